"""Link tier of a linked region (primary or standby), phase 2 of the bring-up.

Creates: on the network stack's Transit Gateway, two VPN connections to the Azure DR VPN gateway
(one per gateway instance, two tunnels each: four tunnels, BGP, IKEv2) and one per configured
on-premises site; their customer gateways; one pre-shared key per tunnel generated into Secrets
Manager under a KMS key of this stack; the Transit Gateway route-table associations and
propagations of the VPN attachments; a TunnelState alarm per connection to the region's alert
topic. Exists only once ``link.azure_gateway_ips`` is set (docs/azure-dr.md, "Cross-cloud link").
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.config.link import LinkConfig
from infra.constructs.sdk_calls import SdkCalls
from infra.constructs.transit_gateway import TransitGateway
from infra.constructs.vpn_connection import VpnConnection
from infra.naming import azure_connection_name
from infra.stacks.base import RegionalStack


class LinkStack(RegionalStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        link: LinkConfig,
        name_prefix: str,
        secret_prefix: str,
        key_alias: str,
        transit_gateway: TransitGateway,
        topic: sns.ITopic,
        logs_key: kms.IKey,
        log_retention: logs.RetentionDays,
        alarm_period: Duration,
        alarm_evaluation_periods: int,
        removal_policy: RemovalPolicy,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        region = self.region
        self.key = kms.Key(
            self,
            "PreSharedKeys",
            alias=key_alias,
            description="Encrypts the VPN tunnels' pre-shared keys",
            enable_key_rotation=True,
            removal_policy=removal_policy,
        )
        self.sdk_calls = SdkCalls(
            self,
            "SdkCalls",
            log_key=logs_key,
            log_retention=log_retention,
            removal_policy=removal_policy,
        )
        lookup = self.sdk_calls.add_policy(
            "DescribeAttachments",
            [
                iam.PolicyStatement(
                    # Describe calls have no resource-level permissions.
                    actions=["ec2:DescribeTransitGatewayAttachments"],
                    resources=["*"],
                )
            ],
        )
        gateway = transit_gateway.gateway.ref
        tables = {k: t.ref for k, t in transit_gateway.route_tables.items()}
        common: dict[str, Any] = {
            "transit_gateway_id": gateway,
            "propagation_table_id": tables["Vpc"],
            "key": self.key,
            "sdk_calls": self.sdk_calls,
            "lookup_permission": lookup,
            "topic": topic,
            "alarm_period": alarm_period,
            "alarm_evaluation_periods": alarm_evaluation_periods,
            "removal_policy": removal_policy,
        }
        inside = [str(c) for c in link.tunnel_inside_cidrs[region]]
        self.connections: dict[str, VpnConnection] = {}
        for index, address in enumerate(link.azure_gateway_ips, start=1):
            name = azure_connection_name(name_prefix, index)
            self.connections[f"Azure{index}"] = VpnConnection(
                self,
                f"Azure{index}",
                name=name,
                secret_prefix=f"{secret_prefix}/azure-{index}",
                association_table_id=tables["Azure"],
                remote_ip=str(address),
                remote_asn=link.azure_asn,
                inside_cidrs=inside[2 * (index - 1) : 2 * index],
                **common,
            )
        for site in link.sites:
            if site.region != region:
                continue
            construct_id = "Site" + "".join(p.capitalize() for p in site.name.split("-"))
            self.connections[construct_id] = VpnConnection(
                self,
                construct_id,
                name=f"{name_prefix}-site-{site.name}",
                secret_prefix=f"{secret_prefix}/site-{site.name}",
                association_table_id=tables["Sites"],
                remote_ip=str(site.public_ip),
                remote_asn=site.asn,
                inside_cidrs=[str(c) for c in site.inside_cidrs],
                **common,
            )
        for construct_id, connection in self.connections.items():
            CfnOutput(
                self,
                f"{construct_id}VpnConnectionId",
                value=connection.connection.ref,
                description=f"VPN connection {construct_id} (its tunnels' outside addresses: "
                "aws ec2 describe-vpn-connections)",
            )
