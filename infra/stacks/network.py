"""Network tier of one region.

Creates: the four-tier VPC across the configured AZs (public, application, data, management),
NAT gateways (per AZ or single), VPC flow logs to a KMS-encrypted log group, the design's
security-group matrix (with the edge on: the ALBs' groups admit only CloudFront's and the Route 53
health checkers' AWS-managed prefix lists, their ids resolved at deploy time) and one network ACL
per subnet tier mirroring it, gateway and interface endpoints, and a locked-down default security
group. In the regions linked to Azure (primary and standby, ``link.enabled``): the Transit
Gateway, its VPC attachment and route tables, and the VPC routes to the Azure VNet and
on-premises sites (infra/constructs/transit_gateway.py).

Other stacks of the same region receive ``vpc``, ``security_groups`` and ``logs_key``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import RemovalPolicy
from constructs import Construct

from infra.config.network import NatStrategy, NetworkConfig
from infra.constructs import tiered_vpc
from infra.constructs.encryption import LogsEncryptionKey
from infra.constructs.managed_prefix_lists import (
    CLOUDFRONT_ORIGIN_FACING,
    ManagedPrefixList,
    describe_policy,
    route53_health_checkers,
)
from infra.constructs.network_acls import TierNetworkAcls
from infra.constructs.retention import log_retention
from infra.constructs.sdk_calls import SdkCalls
from infra.constructs.security_groups import OriginLockdown, SecurityGroupMatrix
from infra.constructs.tiered_vpc import TieredVpc
from infra.constructs.transit_gateway import TransitGateway, TransitPlan
from infra.constructs.vpc_endpoints import VpcEndpoints
from infra.stacks.base import RegionalStack


class NetworkStack(RegionalStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        network: NetworkConfig,
        vpc_cidr: str,
        logs_key_alias: str,
        bastion: bool,
        removal_policy: RemovalPolicy,
        origin_lockdown: bool = False,
        transit: TransitPlan | None = None,
        remote_postgres_clients: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        azs = self.availability_zones
        self.logs_key = LogsEncryptionKey(
            self, "LogsKey", alias=logs_key_alias, removal_policy=removal_policy
        ).key
        self.tiered_vpc = TieredVpc(
            self,
            "Network",
            cidr=vpc_cidr,
            availability_zones=azs,
            subnet_masks=network.subnet_masks.in_allocation_order(),
            nat_gateways=len(azs) if network.nat_gateways is NatStrategy.PER_AZ else 1,
            flow_log_retention=log_retention(network.flow_logs.retention_days),
            flow_log_key=self.logs_key,
            removal_policy=removal_policy,
        )
        self.vpc = self.tiered_vpc.vpc
        ports = network.ports
        self.security_groups = SecurityGroupMatrix(
            self,
            "SecurityGroups",
            vpc=self.vpc,
            vpc_cidr=vpc_cidr,
            https_port=ports.https,
            http_port=ports.http,
            application_port=ports.application,
            scrape_ports=ports.scrape_ports(),
            postgres_port=ports.postgres,
            redis_port=ports.redis,
            bastion=bastion,
            endpoints=bool(network.interface_endpoints),
            origin_lockdown=self._origin_lockdown(removal_policy, network)
            if origin_lockdown
            else None,
            remote_postgres_clients=remote_postgres_clients,
        )
        self.network_acls = TierNetworkAcls(
            self,
            "NetworkAcls",
            vpc=self.vpc,
            ports=ports,
            remote_postgres_clients=remote_postgres_clients,
        )
        self.transit_gateway = None
        if transit is not None:
            self.transit_gateway = TransitGateway(
                self,
                "TransitGateway",
                name=transit.name,
                asn=transit.asn,
                vpc=self.vpc,
                attachment_subnets=self.vpc.select_subnets(
                    subnet_group_name=tiered_vpc.APPLICATION
                ).subnets,
                routes={
                    cidr: [
                        subnet
                        for tier in tiers
                        for subnet in self.vpc.select_subnets(subnet_group_name=tier).subnets
                    ]
                    for cidr, tiers in transit.routes.items()
                },
            )
        self.endpoints = VpcEndpoints(
            self,
            "Endpoints",
            vpc=self.vpc,
            gateway_services=list(network.gateway_endpoints),
            interface_services=list(network.interface_endpoints),
            subnets=self.tiered_vpc.subnets(tiered_vpc.APPLICATION),
            security_group=self.security_groups.endpoints,
        )

    def _origin_lockdown(
        self, removal_policy: RemovalPolicy, network: NetworkConfig
    ) -> OriginLockdown:
        sdk_calls = SdkCalls(
            self,
            "SdkCalls",
            log_key=self.logs_key,
            log_retention=log_retention(network.flow_logs.retention_days),
            removal_policy=removal_policy,
        )
        permission = sdk_calls.add_policy("DescribePrefixLists", [describe_policy(self)])
        cloudfront, checkers = (
            ManagedPrefixList(
                self, construct_id, sdk_calls=sdk_calls, permission=permission, name=n
            )
            for construct_id, n in (
                ("CloudFrontPrefixList", CLOUDFRONT_ORIGIN_FACING),
                ("HealthCheckersPrefixList", route53_health_checkers(self.region)),
            )
        )
        return OriginLockdown(cloudfront.prefix_list_id, checkers.prefix_list_id)
