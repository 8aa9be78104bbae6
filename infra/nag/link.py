"""Acknowledged findings of the link tier (VPN connections of a linked region)."""

from __future__ import annotations

from aws_cdk import Stack

from infra.nag.acknowledge import acknowledge, child
from infra.nag.sdk_calls import acknowledge_sdk_call_function
from infra.stacks.link import LinkStack


def acknowledge_findings(stack: LinkStack) -> None:
    for construct_id, connection in stack.connections.items():
        for index, _ in enumerate(connection.secrets, start=1):
            acknowledge(
                child(stack, f"{construct_id}/Tunnel{index}Key/Resource"),
                "AwsSolutions-SMG4",
                "A VPN pre-shared key is shared with the peer (the Azure connection's Key Vault "
                "secret, or the site's device): rotating one side alone drops the tunnel. It is "
                "rotated by the documented two-sided procedure (docs/runbooks.md, 'rotate a "
                "VPN pre-shared key'), one tunnel at a time, while the other carries the traffic.",
            )
            for rule in ("NIST.800.53.R5-SecretsManagerRotationEnabled",):
                acknowledge(
                    child(stack, f"{construct_id}/Tunnel{index}Key/Resource"),
                    rule,
                    "Rotated by the two-sided procedure in docs/runbooks.md ('rotate a VPN "
                    "pre-shared key'): an automatic one-sided rotation would drop the tunnel.",
                )
    _acknowledge_sdk_calls(stack)


def _acknowledge_sdk_calls(stack: Stack) -> None:
    acknowledge_sdk_call_function(stack, calls="EC2 DescribeTransitGatewayAttachments")
    acknowledge(
        child(stack, "SdkCalls/DescribeAttachments/Resource"),
        "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
        "ec2:DescribeTransitGatewayAttachments supports no resource-level permissions: AWS "
        "requires Resource '*' for it. The policy allows this one read-only action only.",
    )
