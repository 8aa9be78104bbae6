"""One network ACL per subnet tier, associated with the tier's subnets; the entries come from
``infra/network_acl_rules.py``."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from infra.network_acl_rules import TIERS, AclRule, MatrixPorts, tier_rules

# Entries start at 100: 1-99 stay free for an operator's emergency deny in front of ours.
FIRST_RULE, RULE_STEP = 100, 10


class TierNetworkAcls(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        ports: MatrixPorts,
        remote_postgres_clients: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        tiers = {
            tier: [s.ipv4_cidr_block for s in vpc.select_subnets(subnet_group_name=tier).subnets]
            for tier in TIERS
        }
        self.rules = tier_rules(tiers, ports, remote_postgres_clients)
        self.acls: dict[str, ec2.NetworkAcl] = {}
        for tier in TIERS:
            acl = ec2.NetworkAcl(
                self,
                tier.capitalize(),
                vpc=vpc,
                subnet_selection=ec2.SubnetSelection(subnet_group_name=tier),
            )
            for index, rule in enumerate(self.rules[tier]):
                _add(acl, index, rule)
            self.acls[tier] = acl


def _add(acl: ec2.NetworkAcl, index: int, rule: AclRule) -> None:
    acl.add_entry(
        f"{rule.direction.capitalize()}{index}",
        cidr=ec2.AclCidr.ipv4(rule.peer),
        rule_number=FIRST_RULE + RULE_STEP * index,
        traffic=(
            ec2.AclTraffic.all_traffic()
            if rule.protocol == "all"
            else ec2.AclTraffic.tcp_port_range(*rule.ports)
        ),
        direction=(
            ec2.TrafficDirection.INGRESS if rule.direction == "in" else ec2.TrafficDirection.EGRESS
        ),
        rule_action=ec2.Action.ALLOW,
    )
