"""The design's security-group matrix ("Network Security Configuration"), and nothing more.

Every group is created with ``allow_all_outbound=False``; the only rules are the ones below, so
a test can pin the complete matrix.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_ec2 as ec2
from constructs import Construct


class SecurityGroupMatrix(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        vpc_cidr: str,
        https_port: int,
        http_port: int,
        application_port: int,
        metrics_port: int,
        postgres_port: int,
        redis_port: int,
        remote_postgres_clients: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self.web = self._group("Web", vpc, "web_tier: internet-facing load balancers")
        self.app = self._group("App", vpc, "app_tier: EKS nodes and pods")
        self.db = self._group("Db", vpc, "db_tier: PostgreSQL; no egress")
        self.cache = self._group("Cache", vpc, "cache_tier: Redis; no egress")
        self.monitoring = self._group("Monitoring", vpc, "monitoring_sg: metric scrapers")
        self.bastion = self._group("Bastion", vpc, "bastion_sg: Session Manager only, no SSH")
        self.endpoints = self._group("Endpoints", vpc, "interface VPC endpoints")

        anywhere = ec2.Peer.any_ipv4()
        self.web.add_ingress_rule(anywhere, ec2.Port.tcp(https_port), "HTTPS from the internet")
        self.web.add_ingress_rule(anywhere, ec2.Port.tcp(http_port), "HTTP, redirected to HTTPS")
        self.web.connections.allow_to(self.app, ec2.Port.tcp(application_port), "web to app")

        self.monitoring.connections.allow_to(self.app, ec2.Port.tcp(metrics_port), "scrape")
        self.app.connections.allow_to(self.db, ec2.Port.tcp(postgres_port), "app to PostgreSQL")
        self.app.connections.allow_to(self.cache, ec2.Port.tcp(redis_port), "app to Redis")
        self.bastion.connections.allow_to(self.db, ec2.Port.tcp(postgres_port), "bastion to db")
        # Over the Transit Gateway (infra/config/link.py): the Azure DR footprint's continuous
        # replication and on-premises sites given data access; nothing when the link is off.
        for cidr in remote_postgres_clients:
            self.db.add_ingress_rule(
                ec2.Peer.ipv4(cidr), ec2.Port.tcp(postgres_port), f"PostgreSQL from {cidr} (link)"
            )

        # AWS APIs (through the interface endpoints or the NAT) and image registries.
        for group in (self.app, self.monitoring, self.bastion):
            group.add_egress_rule(anywhere, ec2.Port.tcp(https_port), "HTTPS to AWS APIs")

        self.endpoints.add_ingress_rule(
            ec2.Peer.ipv4(vpc_cidr), ec2.Port.tcp(https_port), "HTTPS from the VPC"
        )

    def _group(self, construct_id: str, vpc: ec2.IVpc, description: str) -> ec2.SecurityGroup:
        return ec2.SecurityGroup(
            self, construct_id, vpc=vpc, description=description, allow_all_outbound=False
        )
