"""Acknowledged findings of the network tier."""

from __future__ import annotations

from aws_cdk import Stack

from infra.constructs.tiered_vpc import PUBLIC
from infra.nag.acknowledge import acknowledge, child
from infra.nag.sdk_calls import acknowledge_sdk_call_function
from infra.network_acl_rules import TIERS


def acknowledge_findings(stack: Stack, *, az_count: int, origin_lockdown: bool) -> None:
    if origin_lockdown:
        # The web group admits CloudFront's prefix list only; the prefix lists are looked up.
        acknowledge(
            child(stack, "SdkCalls/DescribePrefixLists/Resource"),
            "AwsSolutions-IAM5[Resource::*]",
            "ec2:DescribeManagedPrefixLists supports no resource-level permissions (the Service "
            "Authorization Reference lists no resource type for it): '*' is the only form. The "
            "policy allows that one read-only action and nothing else.",
        )
        acknowledge_sdk_call_function(
            stack,
            calls="EC2 DescribeManagedPrefixLists, to resolve the CloudFront and Route 53 "
            "health-checker prefix-list ids of this region",
        )
    else:
        acknowledge(
            child(stack, "SecurityGroups/Web"),
            "AwsSolutions-EC23",
            "web_tier fronts the internet-facing ALB: 443 (and 80, which only redirects to 443) "
            "must be open to 0.0.0.0/0 when there is no edge (edge.enabled false). The ALB is "
            "protected by WAF; nothing else uses this group.",
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
