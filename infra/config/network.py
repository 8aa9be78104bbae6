"""Network tier settings: subnet layout, NAT, flow logs, endpoints, ports of the SG matrix."""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from typing import Literal

from pydantic import Field

from infra.config.base import LogRetentionDays, Port, StrictModel

# Interface endpoints we know how to create (service name suffix after com.amazonaws.<region>.).
InterfaceEndpoint = Literal[
    "ecr.api", "ecr.dkr", "sts", "ssm", "ssmmessages", "ec2messages", "ec2",
    "logs", "monitoring", "kms", "secretsmanager", "elasticloadbalancing",
    "autoscaling", "eks", "eks-auth", "aps-workspaces", "xray",
]  # fmt: skip
GatewayEndpoint = Literal["s3", "dynamodb"]


class NatStrategy(StrEnum):
    PER_AZ = "per_az"
    """One NAT gateway per AZ: an AZ outage does not cut the others' egress (production)."""
    SINGLE = "single"
    """One NAT gateway for the VPC: cheaper, one AZ's failure takes all egress (dev/staging)."""


class SubnetMasks(StrictModel):
    """CIDR prefix length of each subnet tier, one subnet per AZ and tier."""

    public: int = Field(ge=16, le=28)
    """Load balancers and NAT gateways."""
    application: int = Field(ge=16, le=28)
    """EKS nodes and pods (the VPC CNI gives each pod a VPC address: keep these large)."""
    data: int = Field(ge=16, le=28)
    """RDS and ElastiCache; these subnets have no route to the internet."""
    management: int = Field(ge=16, le=28)
    """Bastion (Session Manager only) and monitoring collectors."""

    def in_allocation_order(self) -> list[tuple[str, int]]:
        return [
            ("public", self.public),
            ("application", self.application),
            ("data", self.data),
            ("management", self.management),
        ]


class Ports(StrictModel):
    """Ports of the design's security-group matrix, shared with the Azure NSGs."""

    https: Port = 443
    """web_tier ingress from the internet; egress to AWS APIs."""
    http: Port = 80
    """web_tier ingress from the internet; the ALB only redirects it to HTTPS."""
    application: Port = 8080
    """app_tier ingress from web_tier (pods behind the ALB)."""
    metrics: Port = 9090
    """app_tier ingress from monitoring_sg (Prometheus scrapes of annotated pods)."""
    node_exporter: Port = 9100
    """app_tier ingress from monitoring_sg: the prometheus-node-exporter add-on (host network)."""
    kube_state_metrics: Port = 8080
    """app_tier ingress from monitoring_sg: the kube-state-metrics add-on's metrics port."""
    postgres: Port = 5432
    """db_tier ingress from app_tier and bastion_sg."""
    redis: Port = 6379
    """cache_tier ingress from app_tier."""

    def scrape_ports(self) -> tuple[int, ...]:
        """Every port the metric scrapers (monitoring_sg) open on the app tier, in one order."""
        return tuple(sorted({self.metrics, self.node_exporter, self.kube_state_metrics}))


class FlowLogs(StrictModel):
    retention_days: LogRetentionDays
    """How long VPC flow logs (all traffic) are kept in CloudWatch Logs."""


class NetworkConfig(StrictModel):
    subnet_masks: SubnetMasks
    """Prefix length of each subnet tier; checked to fit the VPC CIDR at load."""
    nat_gateways: NatStrategy
    """per_az (an AZ outage keeps the others' egress) or single (cheaper)."""
    flow_logs: FlowLogs
    """VPC flow logs of all traffic, to a KMS-encrypted log group."""
    gateway_endpoints: list[GatewayEndpoint] = Field(default_factory=list)
    """Free gateway endpoints; S3 keeps image-layer and backup traffic off the NAT."""
    interface_endpoints: list[InterfaceEndpoint] = Field(default_factory=list)
    """Paid per AZ and hour: list the AWS APIs private nodes must reach without the NAT."""
    ports: Ports = Ports()
    """Ports of the security-group matrix (defaults are the design's)."""


def plan_subnets(
    vpc_cidr: ipaddress.IPv4Network, az_count: int, masks: SubnetMasks
) -> dict[str, list[ipaddress.IPv4Network]]:
    """Allocate subnets the way CDK's ``IpAddresses.cidr`` does: tier by tier, one block per AZ,
    each aligned to its own size. Raises ValueError when the layout does not fit the VPC."""
    cursor = int(vpc_cidr.network_address)
    end = int(vpc_cidr.broadcast_address)
    plan: dict[str, list[ipaddress.IPv4Network]] = {}
    for tier, mask in masks.in_allocation_order():
        size = 2 ** (32 - mask)
        blocks = []
        for _ in range(az_count):
            cursor = -(-cursor // size) * size  # round up to the block boundary
            if cursor + size - 1 > end:
                raise ValueError(
                    f"subnets do not fit: {az_count} AZs x (/{masks.public} public, "
                    f"/{masks.application} application, /{masks.data} data, "
                    f"/{masks.management} management) need more than {vpc_cidr}"
                )
            blocks.append(ipaddress.IPv4Network((cursor, mask)))
            cursor += size
        plan[tier] = blocks
    return plan
