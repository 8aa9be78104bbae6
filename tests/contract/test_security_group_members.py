"""Security group <-> its members: every AWS::EC2::SecurityGroup in the templates is attached to
something (an instance, a load balancer, a node group, a database, an endpoint, the Prometheus
scraper...), in its own stack or in another one through a stack output. A group that only rules
mention is dead: its rules protect nothing, and readers of the matrix are misled."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.synth import SynthesizedEnvironment

# Properties of the rule resources themselves: a mention there is not membership.
RULE_TYPES = {"AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"}
RULE_KEYS = {"SourceSecurityGroupId", "DestinationSecurityGroupId"}


def _mentions(value: Any, key: str | None = None) -> Iterator[tuple[str, str]]:
    """(kind, name) of every Ref/GetAtt ("local") and stack-output read ("output") in a value,
    skipping what sits under a rule's peer keys (a peer is not a member)."""
    if key in RULE_KEYS:
        return
    if isinstance(value, dict):
        if "Ref" in value:
            yield "local", str(value["Ref"])
        elif "Fn::GetAtt" in value:
            yield "local", str(value["Fn::GetAtt"][0])
        elif "Fn::GetStackOutput" in value:
            read = value["Fn::GetStackOutput"]
            yield "output", f"{read['StackName']}/{read['OutputName']}"
        elif "Fn::ImportValue" in value:
            yield "output", str(value["Fn::ImportValue"])
        for k, v in value.items():
            yield from _mentions(v, k)
    elif isinstance(value, list):
        for item in value:
            yield from _mentions(item, key)


def unattached_groups(templates: dict[str, dict[str, Any]]) -> list[str]:
    groups = {
        (stack, logical_id)
        for stack, template in templates.items()
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::EC2::SecurityGroup"
    }
    # stack output (by "stack/output" and by export name) -> the group it publishes
    published: dict[str, tuple[str, str]] = {}
    for stack, template in templates.items():
        for name, output in template.get("Outputs", {}).items():
            for kind, target in _mentions(output["Value"]):
                if kind == "local" and (stack, target) in groups:
                    published[f"{stack}/{name}"] = (stack, target)
                    if "Export" in output:
                        published[str(output["Export"]["Name"])] = (stack, target)
    members: set[tuple[str, str]] = set()
    for stack, template in templates.items():
        for resource in template["Resources"].values():
            if resource["Type"] in RULE_TYPES or resource["Type"] == "AWS::EC2::SecurityGroup":
                continue  # rules and the groups' own inline rules
            for kind, target in _mentions(resource.get("Properties", {})):
                if kind == "local" and (stack, target) in groups:
                    members.add((stack, target))
                elif kind == "output" and target in published:
                    members.add(published[target])
    return sorted(f"{stack}/{logical_id}" for stack, logical_id in groups - members)


def test_every_security_group_has_a_member(any_env: SynthesizedEnvironment):
    assert unattached_groups(any_env.templates) == []


def test_a_group_without_members_is_found(production: SynthesizedEnvironment):
    """The check itself: detach the scraper from monitoring_sg and the group is reported."""
    templates = {k: dict(v) for k, v in production.templates.items()}
    stack = production.stacks.names.stack_id("monitoring", "us-east-1")
    template = {**templates[stack], "Resources": dict(templates[stack]["Resources"])}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] == "AWS::APS::Scraper":
            source = resource["Properties"]["Source"]["EksConfiguration"]
            detached = {**source, "SecurityGroupIds": []}
            props = {**resource["Properties"], "Source": {"EksConfiguration": detached}}
            template["Resources"][logical_id] = {**resource, "Properties": props}
    templates[stack] = template
    found = unattached_groups(templates)
    assert any("SecurityGroupsMonitoring" in g for g in found), found
