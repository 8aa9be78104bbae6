"""The application namespace's NetworkPolicies (k8s/, both overlays) and the app_tier's
security-group rules (infra/constructs/security_groups.py, as synthesized in every network
template) allow the same peers on the same ports: changing one side without the other fails."""

from __future__ import annotations

from typing import Any

import pytest

from infra.k8s_baseline import render
from tests.synth import SynthesizedEnvironment

APP = "app_tier"
ANYWHERE = "anywhere"
# In-cluster needs with no security-group rule (cluster DNS, the mesh's control plane).
IN_CLUSTER_ONLY = {"dns", "mesh"}

Rule = tuple[str, str, str, int]  # (direction, peer tier, app tier, port)


def _tier(template: dict[str, Any], reference: Any) -> str:
    logical_id = reference["Fn::GetAtt"][0]
    return template["Resources"][logical_id]["Properties"]["GroupDescription"].split(":")[0]


def security_group_rules(template: dict[str, Any]) -> set[Rule]:
    """Rules of the app_tier group: ingress from a group, egress to a group or anywhere."""
    rules: set[Rule] = set()
    for logical_id, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        kind = resource["Type"]
        if kind == "AWS::EC2::SecurityGroup" and props["GroupDescription"].startswith(APP + ":"):
            for egress in props.get("SecurityGroupEgress", []):
                assert egress["CidrIp"] == "0.0.0.0/0", logical_id
                rules.add(("egress", ANYWHERE, APP, egress["FromPort"]))
        elif kind == "AWS::EC2::SecurityGroupIngress" and _tier(template, props["GroupId"]) == APP:
            rules.add(
                ("ingress", _tier(template, props["SourceSecurityGroupId"]), APP, props["FromPort"])
            )
        elif kind == "AWS::EC2::SecurityGroupEgress" and _tier(template, props["GroupId"]) == APP:
            peer = _tier(template, props["DestinationSecurityGroupId"])
            rules.add(("egress", peer, APP, props["FromPort"]))
    return rules


def network_policy_rules(objects: list[dict[str, Any]]) -> set[Rule]:
    rules: set[Rule] = set()
    for policy in objects:
        if policy["kind"] != "NetworkPolicy" or policy["metadata"]["name"] == "default-deny":
            continue
        mirrors = policy["metadata"].get("annotations", {}).get("fdr.io/mirrors")
        assert mirrors, f"{policy['metadata']['name']}: an allow must say what it mirrors"
        if mirrors in IN_CLUSTER_ONLY:
            continue
        source, destination = mirrors.split("->")
        spec = policy["spec"]
        assert spec["podSelector"] == {"matchLabels": {"fdr.io/tier": "app"}}, mirrors
        for direction in ("ingress", "egress"):
            for rule in spec.get(direction, []):
                peer = source if direction == "ingress" else destination
                app = destination if direction == "ingress" else source
                for port in rule["ports"]:
                    assert port["protocol"] == "TCP", mirrors
                    rules.add((direction, peer, app, port["port"]))
    return rules


@pytest.mark.parametrize("overlay", ["eks", "aks"])
def test_network_policies_equal_the_security_group_matrix(
    any_env: SynthesizedEnvironment, overlay: str
) -> None:
    limits = any_env.config.compute.baseline.namespace_limits
    policies = network_policy_rules(render(overlay, limits=limits))  # type: ignore[arg-type]
    for region in sorted(any_env.config.regions):
        groups = security_group_rules(any_env.template("network", region))
        assert policies == groups, (
            f"{overlay} overlay vs network-{region}: only in k8s/: {sorted(policies - groups)}; "
            f"only in the security groups: {sorted(groups - policies)}"
        )
