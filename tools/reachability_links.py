"""Can a source beyond the Transit Gateway (the Azure DR footprint, an on-premises site) reach an
AWS tier on a port? Answered from the synthesized network and link templates of a linked region,
the Azure ARM template and the configured sites (their BGP announcements), through every layer a
packet meets, both ways:

Azure subnet NSG (outbound; service tags and Azure's default rules) -> Azure's BGP-learned routes
(an IKEv2 BGP connection to one of the region's AWS tunnel peers, and the Transit Gateway's Azure
route table announcing the VPC) -> the Transit Gateway route table the VPN attachment is
associated with -> the attachment subnet's ACL (outbound, to the destination) -> the destination
subnet's ACL (inbound) -> its security group; the answer: the destination subnet's ACL (outbound)
and route table (a route to the source via the Transit Gateway) -> the attachment subnet's ACL
(inbound) -> the Transit Gateway's VPC route table (a route to the source, propagated from the
VPN attachment). NSGs and security groups are stateful; ACLs are not
(docs.aws.amazon.com/vpc/latest/tgw/tgw-nacls.html gives which ACL rules AWS evaluates).

Only reads ``tools.reachability.NetworkModel`` for the VPC's own layers.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from infra.config import EnvironmentConfig
from infra.config.link import tunnel_addresses
from tools.reachability import RETURN_PORT, NetworkModel, Verdict

# Azure's default NSG rules (learn.microsoft.com, "Network security groups", default rules).
DEFAULT_RULES = [
    {"name": "AllowVnetInBound", "properties": {"priority": 65000, "direction": "Inbound",
     "access": "Allow", "protocol": "*", "sourceAddressPrefix": "VirtualNetwork",
     "destinationAddressPrefix": "VirtualNetwork", "destinationPortRange": "*"}},
    {"name": "DenyAllInBound", "properties": {"priority": 65500, "direction": "Inbound",
     "access": "Deny", "protocol": "*", "sourceAddressPrefix": "*",
     "destinationAddressPrefix": "*", "destinationPortRange": "*"}},
    {"name": "AllowVnetOutBound", "properties": {"priority": 65000, "direction": "Outbound",
     "access": "Allow", "protocol": "*", "sourceAddressPrefix": "VirtualNetwork",
     "destinationAddressPrefix": "VirtualNetwork", "destinationPortRange": "*"}},
    {"name": "AllowInternetOutBound", "properties": {"priority": 65001, "direction": "Outbound",
     "access": "Allow", "protocol": "*", "sourceAddressPrefix": "*",
     "destinationAddressPrefix": "Internet", "destinationPortRange": "*"}},
    {"name": "DenyAllOutBound", "properties": {"priority": 65500, "direction": "Outbound",
     "access": "Deny", "protocol": "*", "sourceAddressPrefix": "*",
     "destinationAddressPrefix": "*", "destinationPortRange": "*"}},
]  # fmt: skip
# Service tags that never stand for a private AWS or on-premises address.
PUBLIC_SERVICE_TAGS = {"AzureLoadBalancer", "Storage", "AzureActiveDirectory", "AzureCloud"}


@dataclass
class TransitGatewayView:
    """The Transit Gateway of one region, from its network and link templates."""

    vpc_cidr: str
    attachment_subnets: dict[str, str]  # AZ -> subnet logical id
    vpc_attachment: str = ""
    association: dict[str, str] = field(default_factory=dict)  # attachment -> route table key
    propagation: dict[str, list[str]] = field(default_factory=dict)  # table -> attachments
    vpns: dict[str, dict[str, Any]] = field(default_factory=dict)  # attachment -> VPN props


class CrossCloudModel:
    def __init__(
        self,
        config: EnvironmentConfig,
        region: str,
        network: dict[str, Any],
        link: dict[str, Any] | None,
        arm: dict[str, Any],
    ) -> None:
        self.config = config
        self.region = region
        self.vpc = NetworkModel(network)
        self.network = network
        self.link = link or {"Resources": {}}
        self.arm = arm
        self.tgw = self._transit_gateway()
        self.vnet_cidrs = self._vnet_cidrs()

    # --- AWS templates ----------------------------------------------------------------------
    def _of_type(self, template: dict[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in template["Resources"].items() if v["Type"] == type_name}

    def _network_ref(self, value: Any) -> str:
        """The network template's logical id a link-template value stands for."""
        if isinstance(value, dict) and "Fn::GetStackOutput" in value:
            output = self.network["Outputs"][value["Fn::GetStackOutput"]["OutputName"]]
            return _ref(output["Value"])
        return _ref(value)

    def _table_key(self, logical_id: str) -> str:
        for key in ("Vpc", "Azure", "Sites"):
            if logical_id.startswith(f"TransitGateway{key}Routes"):
                return key
        raise ValueError(f"{logical_id} is not one of the Transit Gateway's route tables")

    def _transit_gateway(self) -> TransitGatewayView | None:
        gateways = self._of_type(self.network, "AWS::EC2::TransitGateway")
        if not gateways:
            return None
        (vpc,) = self._of_type(self.network, "AWS::EC2::VPC").values()
        (attachment_id, attachment), *_ = self._of_type(
            self.network, "AWS::EC2::TransitGatewayVpcAttachment"
        ).items()
        subnets = self.network["Resources"]
        view = TransitGatewayView(
            vpc_cidr=vpc["Properties"]["CidrBlock"],
            attachment_subnets={
                subnets[_ref(s)]["Properties"]["AvailabilityZone"]: _ref(s)
                for s in attachment["Properties"]["SubnetIds"]
            },
        )
        for template, resolve in ((self.network, _ref), (self.link, self._network_ref)):
            for assoc in self._of_type(
                template, "AWS::EC2::TransitGatewayRouteTableAssociation"
            ).values():
                props = assoc["Properties"]
                view.association[_ref(props["TransitGatewayAttachmentId"])] = self._table_key(
                    resolve(props["TransitGatewayRouteTableId"])
                )
            for prop in self._of_type(
                template, "AWS::EC2::TransitGatewayRouteTablePropagation"
            ).values():
                props = prop["Properties"]
                table = self._table_key(resolve(props["TransitGatewayRouteTableId"]))
                view.propagation.setdefault(table, []).append(
                    _ref(props["TransitGatewayAttachmentId"])
                )
        view.vpc_attachment = attachment_id
        # A VPN connection's attachment is read by an SDK call filtered on the connection's id.
        for lookup_id, lookup in self._of_type(self.link, "Custom::AWS").items():
            vpn_id = _referenced(lookup["Properties"]["Create"])
            vpn = self.link["Resources"].get(vpn_id)
            if vpn and vpn["Type"] == "AWS::EC2::VPNConnection":
                gateway = self.link["Resources"][_ref(vpn["Properties"]["CustomerGatewayId"])]
                view.vpns[lookup_id] = {**vpn["Properties"], "_customer_gateway": gateway}
        return view

    def _announced(self, attachment: str) -> list[str]:
        """What the attachment's side announces into the route tables it propagates to."""
        assert self.tgw is not None
        if attachment not in self.tgw.vpns:
            return [self.tgw.vpc_cidr]  # the VPC attachment
        vpn = self.tgw.vpns[attachment]
        remote = vpn["_customer_gateway"]["Properties"]["IpAddress"]
        for site in self.config.link.sites:
            if str(site.public_ip) == remote:
                return [str(c) for c in site.cidrs]
        if self._azure_peers(vpn):
            return self.vnet_cidrs  # an Azure gateway announces its VNet
        return []

    def _tgw_routes(self, table: str) -> list[str]:
        assert self.tgw is not None
        return [c for a in self.tgw.propagation.get(table, []) for c in self._announced(a)]

    # --- Azure template ---------------------------------------------------------------------
    def _arm(self, type_name: str) -> list[dict[str, Any]]:
        return [r for r in self.arm["resources"] if r["type"] == type_name]

    def _vnet_cidrs(self) -> list[str]:
        (vnet,) = self._arm("Microsoft.Network/virtualNetworks")
        return list(vnet["properties"]["addressSpace"]["addressPrefixes"])

    def _azure_peers(self, vpn: dict[str, Any]) -> list[str]:
        """AWS tunnel BGP addresses of this VPN that an Azure BGP connection peers with."""
        aws_side = {
            tunnel_addresses(ipaddress.IPv4Network(t["TunnelInsideCidr"]))[0]
            for t in vpn.get("VpnTunnelOptionsSpecifications", [])
        }
        lngs = {
            r["name"]: r["properties"].get("bgpSettings", {}).get("bgpPeeringAddress")
            for r in self._arm("Microsoft.Network/localNetworkGateways")
        }
        peers = []
        for connection in self._arm("Microsoft.Network/connections"):
            props = connection["properties"]
            if not props.get("enableBgp") or props.get("connectionProtocol") != "IKEv2":
                continue
            lng = _arm_name(props["localNetworkGateway2"]["id"])
            if lngs.get(lng) in aws_side:
                peers.append(str(lngs[lng]))
        return peers

    def azure_learned(self) -> list[str]:
        """What the Azure gateway learns by BGP from this region: the Azure route table's
        propagations, over the VPN connections Azure peers with."""
        if self.tgw is None:
            return []
        if not any(
            self.tgw.association.get(a) == "Azure" and self._azure_peers(v)
            for a, v in self.tgw.vpns.items()
        ):
            return []
        return self._tgw_routes("Azure")

    def _subnet(self, tier: str) -> ipaddress.IPv4Network:
        (vnet,) = self._arm("Microsoft.Network/virtualNetworks")
        name = tier.replace("_", "-")
        (subnet,) = [s for s in vnet["properties"]["subnets"] if s["name"] == name]
        return ipaddress.IPv4Network(subnet["properties"]["addressPrefix"])

    def _nsg_rules(self, tier: str) -> list[dict[str, Any]]:
        (vnet,) = self._arm("Microsoft.Network/virtualNetworks")
        (subnet,) = [
            s for s in vnet["properties"]["subnets"] if s["name"] == tier.replace("_", "-")
        ]
        nsg = _arm_name(subnet["properties"]["networkSecurityGroup"]["id"])
        (group,) = [r for r in self._arm("Microsoft.Network/networkSecurityGroups")
                    if r["name"] == nsg]  # fmt: skip
        return list(group["properties"]["securityRules"]) + DEFAULT_RULES

    def nsg_allows(self, tier: str, outbound: bool, local: str, peer: str, port: int) -> bool:
        direction = "Outbound" if outbound else "Inbound"
        rules = sorted(
            (r["properties"] for r in self._nsg_rules(tier)
             if r["properties"]["direction"] == direction),
            key=lambda p: p["priority"],
        )  # fmt: skip
        source, destination = (local, peer) if outbound else (peer, local)
        for rule in rules:
            if rule["protocol"] not in ("*", "Tcp"):
                continue
            if not _port_matches(rule["destinationPortRange"], port):
                continue
            if not self._prefix_matches(rule, "source", source):
                continue
            if not self._prefix_matches(rule, "destination", destination):
                continue
            return bool(rule["access"] == "Allow")
        return False

    def _prefix_matches(self, rule: dict[str, Any], key: str, address: str) -> bool:
        prefixes = rule.get(f"{key}AddressPrefixes") or [rule.get(f"{key}AddressPrefix", "*")]
        addr = ipaddress.ip_address(address)
        virtual_network = [*self.vnet_cidrs, *self.azure_learned()]
        for prefix in prefixes:
            if prefix == "*":
                return True
            if prefix == "VirtualNetwork":
                if any(addr in ipaddress.ip_network(c) for c in virtual_network):
                    return True
                continue
            if prefix == "Internet":
                if not addr.is_private:
                    return True
                continue
            if prefix in PUBLIC_SERVICE_TAGS:
                continue
            if addr in ipaddress.ip_network(prefix):
                return True
        return False

    # --- the question -----------------------------------------------------------------------
    def can_reach(self, source: str, destination: str, port: int) -> Verdict:
        """``source``: ``azure:<subnet tier>`` or ``site:<name>``; ``destination``: an AWS tier
        of ``tools.reachability.TIERS`` or ``site:<name>`` (Azure to on-premises transit)."""
        kind, _, name = source.partition(":")
        if kind == "azure":
            src_addr = str(self._subnet(name).network_address + 10)
        else:
            (site,) = [s for s in self.config.link.sites if s.name == name]
            src_addr = str(site.cidrs[0].network_address + 10)
        if destination.startswith("site:"):
            (site,) = [s for s in self.config.link.sites if s.name == destination[5:]]
            dst_addr = str(site.cidrs[0].network_address + 10)
            if kind == "azure" and not _covered(dst_addr, self.azure_learned()):
                return Verdict(False, "Azure has no route to the site (not announced to it)")
            return Verdict(False, "the Transit Gateway does not carry traffic between its VPNs")
        if self.tgw is None:
            return Verdict(False, f"{self.region} has no Transit Gateway")
        dst_subnet, dst_group, dst_addr = self.vpc._endpoint(destination, 1)
        assert dst_subnet is not None and dst_group is not None
        if kind == "azure":
            if not _covered(dst_addr, self.azure_learned()):
                return Verdict(False, "Azure has learned no route to the VPC (BGP)")
            if not self.nsg_allows(name, True, src_addr, dst_addr, port):
                return Verdict(False, f"the {name} NSG denies outbound {dst_addr} port {port}")
            table_key = "Azure"
        else:
            table_key = "Sites"
        attachments = [a for a, v in self.tgw.vpns.items() if self._serves(v, kind, name)]
        tables = {self.tgw.association.get(a) for a in attachments}
        if table_key not in tables:
            return Verdict(False, f"no {kind} VPN attachment is associated with the {table_key} "
                                  "route table")  # fmt: skip
        if not _covered(dst_addr, self._tgw_routes(table_key)):
            return Verdict(False, f"the Transit Gateway's {table_key} route table has no route "
                                  f"to {dst_addr}")  # fmt: skip
        az = self.network["Resources"][dst_subnet]["Properties"]["AvailabilityZone"]
        via = self.tgw.attachment_subnets.get(az)
        if via is None:
            return Verdict(False, f"the VPC attachment has no subnet in {az}")
        if via == dst_subnet:
            # Same subnet: nothing is evaluated from the attachment to the instance; the answer
            # meets the subnet's ACL outbound (to the source) and inbound (from the instance).
            checks = [
                (dst_subnet, True, src_addr, RETURN_PORT, f"{destination}'s ACL, the answer out"),
                (dst_subnet, False, dst_addr, RETURN_PORT,
                 f"{destination}'s ACL, the answer into the attachment"),
            ]  # fmt: skip
        else:
            checks = [
                (via, True, dst_addr, port, "the attachment subnet's ACL, outbound"),
                (dst_subnet, False, src_addr, port, f"{destination}'s ACL, inbound"),
                (dst_subnet, True, src_addr, RETURN_PORT, f"{destination}'s ACL, the answer out"),
                (via, False, dst_addr, RETURN_PORT, "the attachment subnet's ACL, the answer in"),
            ]  # fmt: skip
        for subnet, egress, peer, checked, what in checks:
            if not self.vpc.acl_allows(subnet, egress, peer, checked):
                return Verdict(False, f"{what} denies {peer} port {checked}")
        if not self.vpc.group_allows(dst_group, True, None, src_addr, port):
            return Verdict(False, f"{destination}'s security group does not allow ingress")
        if not self._routes_back(dst_subnet, src_addr):
            return Verdict(False, f"{destination}'s route table has no route to {src_addr} via "
                                  "the Transit Gateway")  # fmt: skip
        if self.tgw.association.get(self.tgw.vpc_attachment) != "Vpc":
            return Verdict(False, "the VPC attachment is not associated with the Vpc route table")
        if not _covered(src_addr, self._tgw_routes("Vpc")):
            return Verdict(False, f"the Transit Gateway's Vpc route table has no route back to "
                                  f"{src_addr}")  # fmt: skip
        return Verdict(True, "allowed by NSGs, BGP routes, Transit Gateway, ACLs and groups")

    def _serves(self, vpn: dict[str, Any], kind: str, name: str) -> bool:
        remote = vpn["_customer_gateway"]["Properties"]["IpAddress"]
        sites = {s.name: str(s.public_ip) for s in self.config.link.sites}
        if kind == "site":
            return sites.get(name) == remote
        return remote not in sites.values() and bool(self._azure_peers(vpn))

    def _routes_back(self, subnet: str, address: str) -> bool:
        table = self.vpc._associated("AWS::EC2::SubnetRouteTableAssociation", subnet,
                                     "RouteTableId")  # fmt: skip
        for route in self._of_type(self.network, "AWS::EC2::Route").values():
            props = route["Properties"]
            if _ref(props["RouteTableId"]) != table or "TransitGatewayId" not in props:
                continue
            if ipaddress.ip_address(address) in ipaddress.ip_network(props["DestinationCidrBlock"]):
                return True
        return False


def _covered(address: str, cidrs: list[str]) -> bool:
    return any(ipaddress.ip_address(address) in ipaddress.ip_network(c) for c in cidrs)


def _port_matches(spec: str, port: int) -> bool:
    if spec == "*":
        return True
    low, _, high = str(spec).partition("-")
    return int(low) <= port <= int(high or low)


def _arm_name(expression: str) -> str:
    """The last name argument of a ``[resourceId(...)]`` expression."""
    return expression.rstrip(")]").split(",")[-1].strip().strip("'")


def _referenced(value: Any) -> str | None:
    """The first ``Ref`` inside a (joined) value."""
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        for inner in value.values():
            found = _referenced(inner)
            if found:
                return found
    if isinstance(value, list):
        for inner in value:
            found = _referenced(inner)
            if found:
                return found
    return None


def _ref(value: Any) -> str:
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
    return str(value)
