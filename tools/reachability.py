"""Can tier X reach tier Y on port P? Answered from a synthesized network template alone, through
every layer a packet meets: route tables, security groups (both ends) and network ACLs (both
subnets, both directions, since ACLs are stateless and the answer must come back).

Tiers are the design's names: ``web``, ``app``, ``db``, ``cache``, ``monitoring``, ``bastion``,
``endpoints`` (a subnet tier and a security group each) and ``internet`` (any public address).
Two more sources stand for AWS-managed prefix lists a security group may name (the edge's
origin lock-down): ``cloudfront`` (CloudFront's origin-facing servers) and
``route53-health-checkers``; a rule naming a prefix list matches only its own source. The web
tier's ALB may carry a second group (``HealthCheckers``), so the web tier is its groups together.
It reads the template the way EC2 evaluates it: ACL entries by rule number, first match wins,
then the implicit deny; a security group allows what any of its rules allows.

Public names (``app.<domain>``, ``api-read.<domain>``) are followed from DNS through CloudFront to
these ALBs by ``tools/reachability_names.py``; links beyond the Transit Gateway by
``tools/reachability_links.py``.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from typing import Any

# tier -> (subnet group, security-group construct id under SecurityGroups)
TIERS: dict[str, tuple[str, str]] = {
    "web": ("public", "Web"),
    "app": ("application", "App"),
    "db": ("data", "Db"),
    "cache": ("data", "Cache"),
    "monitoring": ("management", "Monitoring"),
    "bastion": ("management", "Bastion"),
    "endpoints": ("application", "Endpoints"),
}
INTERNET = "internet"
INTERNET_ADDRESS = "198.51.100.7"  # TEST-NET-2: stands for any public client or server
# Sources known by the AWS-managed prefix list that holds them (name up to the region part).
PREFIX_LIST_SOURCES: dict[str, tuple[str, str]] = {
    # source -> (prefix-list name pattern, a public address standing for its members)
    "cloudfront": (r"^com\.amazonaws\.global\.cloudfront\.origin-facing$", "130.176.0.10"),
    "route53-health-checkers": (
        r"^com\.amazonaws\.[a-z0-9-]+\.route53-healthchecks$",
        "54.243.31.200",
    ),
}
# Extra groups of a tier, by construct id under SecurityGroups (present only in some templates).
EXTRA_GROUPS: dict[str, tuple[str, ...]] = {"web": ("HealthCheckers",)}
RETURN_PORT = 40000  # a client's ephemeral port


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


class NetworkModel:
    def __init__(self, template: dict[str, Any]) -> None:
        self.resources: dict[str, dict[str, Any]] = template["Resources"]
        self.subnets = self._subnets()
        groups = self._of_type("AWS::EC2::SecurityGroup")
        # A tier whose group the template leaves out (bastion without an operator host) has no
        # hosts: nothing reaches it and it reaches nothing.
        self.groups = {
            name: self._one(f"SecurityGroups{construct}", "AWS::EC2::SecurityGroup")
            for name, (_, construct) in TIERS.items()
            if any(k.startswith(f"SecurityGroups{construct}") for k in groups)
        }
        self.extra_groups = {
            tier: [
                k
                for k in self._of_type("AWS::EC2::SecurityGroup")
                for construct in constructs
                if k.startswith(f"SecurityGroups{construct}")
            ]
            for tier, constructs in EXTRA_GROUPS.items()
        }
        self.prefix_lists = self._prefix_lists()

    # --- template reading -------------------------------------------------------------------
    def _of_type(self, type_name: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v["Type"] == type_name}

    def _one(self, prefix: str, type_name: str) -> str:
        (match,) = [k for k in self._of_type(type_name) if k.startswith(prefix)]
        return match

    def _subnets(self) -> dict[str, list[tuple[str, str]]]:
        """subnet group -> [(logical id, CIDR)] in AZ order."""
        groups: dict[str, list[tuple[str, str]]] = {}
        for logical_id, subnet in self._of_type("AWS::EC2::Subnet").items():
            props = subnet["Properties"]
            tags = {t["Key"]: t["Value"] for t in props.get("Tags", [])}
            groups.setdefault(tags["aws-cdk:subnet-name"], []).append(
                (logical_id, props["CidrBlock"])
            )
        return {name: sorted(members, key=lambda m: m[1]) for name, members in groups.items()}

    def _prefix_lists(self) -> dict[str, str]:
        """Logical id of each deploy-time prefix-list look-up -> the prefix-list name it asks for
        (``infra/constructs/managed_prefix_lists.py``)."""
        found = {}
        for logical_id, resource in self._of_type("Custom::AWS").items():
            create = resource["Properties"].get("Create")
            if not isinstance(create, str) or "describeManagedPrefixLists" not in create:
                continue
            (name,) = json.loads(create)["parameters"]["Filters"][0]["Values"]
            found[logical_id] = name
        return found

    def _associated(self, type_name: str, subnet: str, key: str) -> str | None:
        for resource in self._of_type(type_name).values():
            props = resource["Properties"]
            if _ref(props["SubnetId"]) == subnet:
                return _ref(props[key])
        return None

    # --- layers -----------------------------------------------------------------------------
    def route_to_internet(self, subnet: str) -> str | None:
        """'igw' or 'nat' when the subnet's route table sends 0.0.0.0/0 out of the VPC."""
        table = self._associated("AWS::EC2::SubnetRouteTableAssociation", subnet, "RouteTableId")
        for route in self._of_type("AWS::EC2::Route").values():
            props = route["Properties"]
            if _ref(props["RouteTableId"]) != table:
                continue
            if props.get("DestinationCidrBlock") == "0.0.0.0/0":
                return "igw" if "GatewayId" in props else "nat" if "NatGatewayId" in props else None
        return None

    def acl_allows(self, subnet: str, egress: bool, peer: str, port: int) -> bool:
        acl = self._associated("AWS::EC2::SubnetNetworkAclAssociation", subnet, "NetworkAclId")
        if acl is None:
            return True  # the VPC's default ACL allows everything
        entries = sorted(
            (
                e["Properties"]
                for e in self._of_type("AWS::EC2::NetworkAclEntry").values()
                if _ref(e["Properties"]["NetworkAclId"]) == acl
                and bool(e["Properties"].get("Egress", False)) == egress
            ),
            key=lambda p: p["RuleNumber"],
        )
        for entry in entries:
            if ipaddress.ip_address(peer) not in ipaddress.ip_network(entry["CidrBlock"]):
                continue
            if str(entry["Protocol"]) not in ("-1", "6"):
                continue
            span = entry.get("PortRange", {"From": 0, "To": 65535})
            if str(entry["Protocol"]) == "6" and not span["From"] <= port <= span["To"]:
                continue
            return bool(entry["RuleAction"] == "allow")
        return False

    def group_allows(
        self,
        group: str,
        ingress: bool,
        peer_group: str | None,
        peer: str,
        port: int,
        peer_source: str | None = None,
    ) -> bool:
        inline, separate, peer_key = (
            ("SecurityGroupIngress", "AWS::EC2::SecurityGroupIngress", "SourceSecurityGroupId")
            if ingress
            else (
                "SecurityGroupEgress",
                "AWS::EC2::SecurityGroupEgress",
                "DestinationSecurityGroupId",
            )
        )
        rules = list(self.resources[group]["Properties"].get(inline, []))
        rules += [
            r["Properties"]
            for r in self._of_type(separate).values()
            if _ref(r["Properties"]["GroupId"]) == group
        ]
        for rule in rules:
            if rule["IpProtocol"] not in ("tcp", "-1"):
                continue
            if rule["IpProtocol"] == "tcp" and not rule["FromPort"] <= port <= rule["ToPort"]:
                continue
            if peer_key in rule and peer_group is not None and _ref(rule[peer_key]) == peer_group:
                return True
            if "SourcePrefixListId" in rule and peer_source in PREFIX_LIST_SOURCES:
                name = self.prefix_lists.get(_ref(rule["SourcePrefixListId"]), "")
                if re.match(PREFIX_LIST_SOURCES[peer_source][0], name):
                    return True
            if "CidrIp" in rule and ipaddress.ip_address(peer) in ipaddress.ip_network(
                rule["CidrIp"]
            ):
                return True
        return False

    # --- the question -----------------------------------------------------------------------
    def _endpoint(self, tier: str, index: int) -> tuple[str | None, str | None, str]:
        """(subnet logical id, group logical id, address) of a host of the tier."""
        if tier == INTERNET:
            return None, None, INTERNET_ADDRESS
        if tier in PREFIX_LIST_SOURCES:
            return None, None, PREFIX_LIST_SOURCES[tier][1]
        subnet_group, _ = TIERS[tier]
        members = self.subnets[subnet_group]
        subnet, cidr = members[index % len(members)]
        address = str(ipaddress.ip_network(cidr).network_address + 10)
        return subnet, self.groups[tier], address

    def can_reach(self, source: str, destination: str, port: int) -> Verdict:
        for tier in (source, destination):
            if tier != INTERNET and tier not in PREFIX_LIST_SOURCES and tier not in self.groups:
                return Verdict(False, f"no {tier} tier in this template")
        # Hosts in different AZs, so the traffic crosses both subnets' ACLs.
        src_subnet, src_group, src_addr = self._endpoint(source, 0)
        dst_subnet, dst_group, dst_addr = self._endpoint(destination, 1)
        if src_subnet is None and dst_subnet and self.route_to_internet(dst_subnet) != "igw":
            return Verdict(False, f"{destination}'s subnet has no internet gateway route")
        if dst_subnet is None and src_subnet and self.route_to_internet(src_subnet) is None:
            return Verdict(False, f"{source}'s subnet has no route out of the VPC")
        if src_group and not self.group_allows(src_group, False, dst_group, dst_addr, port):
            return Verdict(False, f"{source}'s security group does not allow egress")
        dst_groups = [dst_group, *self.extra_groups.get(destination, [])] if dst_group else []
        if dst_groups and not any(
            self.group_allows(g, True, src_group, src_addr, port, peer_source=source)
            for g in dst_groups
        ):
            return Verdict(False, f"{destination}'s security group does not allow ingress")
        checks = [
            (src_subnet, True, dst_addr, port, f"{source}'s ACL, outbound"),
            (dst_subnet, False, src_addr, port, f"{destination}'s ACL, inbound"),
            (dst_subnet, True, src_addr, RETURN_PORT, f"{destination}'s ACL, the answer out"),
            (src_subnet, False, dst_addr, RETURN_PORT, f"{source}'s ACL, the answer in"),
        ]
        if dst_subnet is None and src_subnet is not None and self._via_nat(src_subnet):
            nat = self._nat_subnet()
            checks += [
                (nat, False, src_addr, port, "the NAT subnet's ACL, inbound"),
                (nat, True, dst_addr, port, "the NAT subnet's ACL, outbound"),
                (nat, False, dst_addr, RETURN_PORT, "the NAT subnet's ACL, the answer in"),
                (nat, True, src_addr, RETURN_PORT, "the NAT subnet's ACL, the answer out"),
            ]
        for subnet, egress, peer, checked_port, what in checks:
            if subnet is not None and not self.acl_allows(subnet, egress, peer, checked_port):
                return Verdict(False, f"{what} denies {peer} port {checked_port}")
        return Verdict(True, "allowed by routes, security groups and ACLs")

    def _via_nat(self, subnet: str) -> bool:
        return self.route_to_internet(subnet) == "nat"

    def _nat_subnet(self) -> str:
        return self.subnets["public"][0][0]


def _ref(value: Any) -> str:
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
    return str(value)
