"""The region's Transit Gateway, its VPC attachment, its route tables and the VPC routes to the
ranges beyond it (the Azure VNet, on-premises sites). The VPN connections that attach to it live
in the link stack (infra/stacks/link.py), phase 2 of the bring-up.

Three route tables keep the link to "every AWS VPC CIDR <-> the Azure VNet, nothing else":
- ``Vpc``: associated with the VPC attachment; the VPN attachments propagate into it what their
  BGP peers announce (the VNet, each site's ranges).
- ``Azure``: associated with the Azure VPN attachments; only the VPC attachment propagates into
  it, so Azure learns the VPC CIDR and nothing else (no transit to on-premises).
- ``Sites``: associated with the on-premises VPN attachments; only the VPC propagates.
Default association and propagation are off, so an attachment created by hand routes nowhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from aws_cdk import CfnTag
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

ROUTE_TABLES = ("Vpc", "Azure", "Sites")


@dataclass(frozen=True)
class TransitPlan:
    """What the network stack of a linked region builds (from ``EnvironmentConfig``)."""

    name: str
    asn: int
    routes: dict[str, tuple[str, ...]]
    """Remote CIDR -> the subnet tiers whose route tables send it to the Transit Gateway."""


class TransitGateway(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        asn: int,
        vpc: ec2.IVpc,
        attachment_subnets: Sequence[ec2.ISubnet],
        routes: dict[str, Sequence[ec2.ISubnet]],
    ) -> None:
        """``routes`` maps each remote CIDR to the subnets whose route tables send it here."""
        super().__init__(scope, construct_id)
        self.gateway = ec2.CfnTransitGateway(
            self,
            "Gateway",
            amazon_side_asn=asn,
            auto_accept_shared_attachments="disable",
            default_route_table_association="disable",
            default_route_table_propagation="disable",
            dns_support="enable",
            vpn_ecmp_support="enable",  # both tunnels (and both connections) carry traffic
            description=f"{name}: VPC <-> Azure DR VNet and on-premises sites",
            tags=[CfnTag(key="Name", value=name)],
        )
        # In the application subnets: their ACL already passes the flows the link carries
        # (see infra/network_acl_rules.py), so no tier is opened for the attachment's sake.
        self.attachment = ec2.CfnTransitGatewayVpcAttachment(
            self,
            "VpcAttachment",
            transit_gateway_id=self.gateway.ref,
            vpc_id=vpc.vpc_id,
            subnet_ids=[s.subnet_id for s in attachment_subnets],
            tags=[CfnTag(key="Name", value=name)],
        )
        self.route_tables = {
            key: ec2.CfnTransitGatewayRouteTable(
                self,
                f"{key}Routes",
                transit_gateway_id=self.gateway.ref,
                tags=[CfnTag(key="Name", value=f"{name}-{key.lower()}")],
            )
            for key in ROUTE_TABLES
        }
        ec2.CfnTransitGatewayRouteTableAssociation(
            self,
            "VpcAssociation",
            transit_gateway_attachment_id=self.attachment.ref,
            transit_gateway_route_table_id=self.route_tables["Vpc"].ref,
        )
        for key in ("Azure", "Sites"):
            ec2.CfnTransitGatewayRouteTablePropagation(
                self,
                f"VpcInto{key}",
                transit_gateway_attachment_id=self.attachment.ref,
                transit_gateway_route_table_id=self.route_tables[key].ref,
            )
        for index, (cidr, subnets) in enumerate(routes.items()):
            seen: set[str] = set()
            for subnet in subnets:
                table = subnet.route_table.route_table_id
                if table in seen:
                    continue
                seen.add(table)
                route = ec2.CfnRoute(
                    cast(Construct, subnet),  # next to the subnet's own routes (a Subnet)
                    f"Link{index}",
                    route_table_id=table,
                    destination_cidr_block=cidr,
                    transit_gateway_id=self.gateway.ref,
                )
                route.node.add_dependency(self.attachment)  # a TGW route needs an attached VPC
