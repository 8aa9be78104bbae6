"""The design's security-group matrix ("Network Security Configuration"), and nothing more.

Every group is created with ``allow_all_outbound=False``; the only rules are the ones below, so
a test can pin the complete matrix.

With the edge on (``OriginLockdown``), the web group accepts HTTPS from CloudFront's
origin-facing prefix list only (no 0.0.0.0/0, no HTTP: CloudFront talks HTTPS to the origin), and
a second group on the ALB, ``HealthCheckers``, accepts HTTPS from the Route 53 health checkers'
prefix list. Two groups because a prefix list counts as its maximum size against the 60 inbound
rules of a group: CloudFront's weighs 55, Route 53's 25.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import aws_ec2 as ec2
from constructs import Construct


@dataclass(frozen=True)
class OriginLockdown:
    """Prefix-list ids (deploy-time tokens) of who may reach the ALBs once the edge is on."""

    cloudfront_prefix_list_id: str
    health_checkers_prefix_list_id: str


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
        scrape_ports: Sequence[int],
        postgres_port: int,
        redis_port: int,
        bastion: bool,
        endpoints: bool,
        origin_lockdown: OriginLockdown | None = None,
        remote_postgres_clients: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self.web = self._group("Web", vpc, "web_tier: internet-facing load balancers")
        self.app = self._group("App", vpc, "app_tier: EKS nodes and pods")
        self.db = self._group("Db", vpc, "db_tier: PostgreSQL; no egress")
        self.cache = self._group("Cache", vpc, "cache_tier: Redis; no egress")
        self.monitoring = self._group("Monitoring", vpc, "monitoring_sg: metric scrapers")
        # bastion_sg exists only with a member: the Session Manager operator host.
        self.bastion: ec2.SecurityGroup | None = None
        if bastion:
            self.bastion = self._group("Bastion", vpc, "bastion_sg: Session Manager only, no SSH")
        # The endpoints' group exists only when there are interface endpoints to carry it.
        self.endpoints: ec2.SecurityGroup | None = None
        if endpoints:
            self.endpoints = self._group("Endpoints", vpc, "interface VPC endpoints")

        anywhere = ec2.Peer.any_ipv4()
        self.health_checkers: ec2.SecurityGroup | None = None
        if origin_lockdown is None:
            self.web.add_ingress_rule(anywhere, ec2.Port.tcp(https_port), "HTTPS from the internet")
            self.web.add_ingress_rule(
                anywhere, ec2.Port.tcp(http_port), "HTTP, redirected to HTTPS"
            )
        else:
            self.web.add_ingress_rule(
                ec2.Peer.prefix_list(origin_lockdown.cloudfront_prefix_list_id),
                ec2.Port.tcp(https_port),
                "HTTPS from CloudFront origin-facing servers only",
            )
            self.health_checkers = self._group(
                "HealthCheckers", vpc, "web_tier: Route 53 health checkers to the ALB, HTTPS only"
            )
            self.health_checkers.add_ingress_rule(
                ec2.Peer.prefix_list(origin_lockdown.health_checkers_prefix_list_id),
                ec2.Port.tcp(https_port),
                "HTTPS from the Route 53 health checkers",
            )
        self.web.connections.allow_to(self.app, ec2.Port.tcp(application_port), "web to app")

        # The managed Prometheus scraper: annotated pods, node-exporter, kube-state-metrics.
        for port in scrape_ports:
            self.monitoring.connections.allow_to(self.app, ec2.Port.tcp(port), f"scrape :{port}")
        self.app.connections.allow_to(self.db, ec2.Port.tcp(postgres_port), "app to PostgreSQL")
        self.app.connections.allow_to(self.cache, ec2.Port.tcp(redis_port), "app to Redis")
        if self.bastion is not None:
            self.bastion.connections.allow_to(self.db, ec2.Port.tcp(postgres_port), "bastion to db")
        # Over the Transit Gateway (infra/config/link.py): the Azure DR footprint's continuous
        # replication and on-premises sites given data access; nothing when the link is off.
        for cidr in remote_postgres_clients:
            self.db.add_ingress_rule(
                ec2.Peer.ipv4(cidr), ec2.Port.tcp(postgres_port), f"PostgreSQL from {cidr} (link)"
            )

        # AWS APIs (through the interface endpoints or the NAT) and image registries.
        for group in (self.app, self.monitoring, self.bastion):
            if group is not None:
                group.add_egress_rule(anywhere, ec2.Port.tcp(https_port), "HTTPS to AWS APIs")

        if self.endpoints is not None:
            self.endpoints.add_ingress_rule(
                ec2.Peer.ipv4(vpc_cidr), ec2.Port.tcp(https_port), "HTTPS from the VPC"
            )

    def _group(self, construct_id: str, vpc: ec2.IVpc, description: str) -> ec2.SecurityGroup:
        return ec2.SecurityGroup(
            self, construct_id, vpc=vpc, description=description, allow_all_outbound=False
        )
