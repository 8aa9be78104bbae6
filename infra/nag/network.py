"""Acknowledged findings of the network tier."""

from __future__ import annotations

from aws_cdk import Stack

from infra.constructs.tiered_vpc import PUBLIC
from infra.nag.acknowledge import acknowledge, child
from infra.network_acl_rules import TIERS


def acknowledge_findings(stack: Stack, *, az_count: int) -> None:
    acknowledge(
        child(stack, "SecurityGroups/Web"),
        "AwsSolutions-EC23",
        "web_tier fronts the internet-facing ALB: 443 (and 80, which only redirects to 443) must "
        "be open to 0.0.0.0/0. The ALB is protected by WAF; nothing else uses this group.",
    )
    for tier in TIERS:
        acknowledge(
            child(stack, f"NetworkAcls/{tier.capitalize()}"),
            "AwsSolutions-VPC3",
            "Deliberate: one network ACL per subnet tier mirrors the security-group matrix as a "
            "second layer (infra/network_acl_rules.py); tools/reachability.py and "
            "tests/contract/test_reachability.py check that the two layers agree.",
        )
    for index in range(1, az_count + 1):
        acknowledge(
            child(stack, f"Network/Vpc/{PUBLIC}Subnet{index}/DefaultRoute"),
            "NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW",
            "Only the public subnets route 0.0.0.0/0 to the internet gateway: they hold the "
            "internet-facing ALB and the NAT gateways and nothing else (no instance gets a "
            "public IP). Application, data and management subnets have no IGW route.",
        )
