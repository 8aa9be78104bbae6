"""Reachability through routes, security groups and network ACLs, read from the synthesized
network templates: the expected table holds in every region of every environment, and a change
to one layer alone cannot open the data tier. Once the edge is on (``edge.enabled``), only
CloudFront and the Route 53 health checkers reach the ALBs. The public names (``app.<domain>``
and the read endpoint ``api-read.<domain>``) are followed end to end through the DNS, edge,
network and compute templates (``tools/reachability_names.py``): each reaches the ALBs of its
regions, through CloudFront with the origin header once the edge is on."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.synth import SynthesizedEnvironment
from tools.reachability import NetworkModel
from tools.reachability_names import CLOUDFRONT, NameModel

# Reachable only while there is no edge in front of the ALBs.
WITHOUT_EDGE = "without edge"

# (source, destination, port, reachable)
EXPECTED: list[tuple[str, str, int, bool | str]] = [
    ("internet", "web", 443, WITHOUT_EDGE),
    ("internet", "web", 80, WITHOUT_EDGE),
    ("cloudfront", "web", 443, True),
    ("cloudfront", "web", 80, WITHOUT_EDGE),
    ("cloudfront", "app", 8080, False),
    ("route53-health-checkers", "web", 443, True),
    ("route53-health-checkers", "web", 80, WITHOUT_EDGE),
    ("route53-health-checkers", "db", 5432, False),
    ("internet", "web", 8080, False),
    ("internet", "app", 8080, False),
    ("internet", "db", 5432, False),
    ("internet", "cache", 6379, False),
    ("internet", "bastion", 22, False),
    ("web", "app", 8080, True),
    ("web", "db", 5432, False),
    ("web", "internet", 443, False),
    ("app", "db", 5432, True),
    ("app", "cache", 6379, True),
    ("app", "db", 6379, False),
    ("app", "internet", 443, True),
    ("app", "internet", 22, False),
    ("app", "endpoints", 443, True),
    ("monitoring", "app", 9090, True),
    ("monitoring", "app", 9100, True),  # node-exporter
    ("monitoring", "app", 8080, True),  # kube-state-metrics
    ("monitoring", "app", 5432, False),
    ("bastion", "app", 9100, False),
    ("bastion", "app", 8080, False),
    ("monitoring", "db", 5432, False),
    ("monitoring", "endpoints", 443, True),
    ("bastion", "db", 5432, True),
    ("bastion", "cache", 6379, False),
    ("bastion", "internet", 443, True),
    ("bastion", "endpoints", 443, True),  # Session Manager's interface endpoints
    ("db", "internet", 443, False),
    ("db", "app", 8080, False),
    ("cache", "internet", 443, False),
]


def _models(env: SynthesizedEnvironment) -> dict[str, NetworkModel]:
    return {r: NetworkModel(env.template("network", r)) for r in env.config.regions}


@pytest.mark.parametrize(("source", "destination", "port", "reachable"), EXPECTED)
def test_reachability_table(any_env: SynthesizedEnvironment, source, destination, port, reachable):
    if reachable == WITHOUT_EDGE:
        reachable = not any_env.config.edge.enabled
    if (
        "bastion" in (source, destination)
        and not any_env.config.operator_access.session_manager_host
    ):
        reachable = False  # no operator host, no bastion_sg: that tier has no hosts
    if "endpoints" in (source, destination) and not any_env.config.network.interface_endpoints:
        reachable = False  # no interface endpoints, no endpoints group
    for region, model in _models(any_env).items():
        verdict = model.can_reach(source, destination, port)
        assert verdict.allowed is reachable, f"{region} {source}->{destination}:{port}: {verdict}"


def _group_id(template: dict[str, Any], construct: str) -> str:
    (logical_id,) = [
        k for k, v in template["Resources"].items()
        if v["Type"] == "AWS::EC2::SecurityGroup" and k.startswith(f"SecurityGroups{construct}")
    ]  # fmt: skip
    return logical_id


def test_a_mistaken_security_group_alone_does_not_open_the_data_tier(
    production: SynthesizedEnvironment,
):
    template = copy.deepcopy(production.template("network", "us-east-1"))
    web, db = _group_id(template, "Web"), _group_id(template, "Db")
    resources = template["Resources"]
    resources["MistakeOut"] = {
        "Type": "AWS::EC2::SecurityGroupEgress",
        "Properties": {"GroupId": {"Fn::GetAtt": [web, "GroupId"]}, "IpProtocol": "tcp",
                       "FromPort": 5432, "ToPort": 5432,
                       "DestinationSecurityGroupId": {"Fn::GetAtt": [db, "GroupId"]}},
    }  # fmt: skip
    resources[db]["Properties"].setdefault("SecurityGroupIngress", []).append(
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "CidrIp": "0.0.0.0/0"}
    )
    model = NetworkModel(template)
    verdict = model.can_reach("web", "db", 5432)
    assert not verdict and "db's ACL, inbound" in verdict.reason, verdict
    assert not model.can_reach("internet", "db", 5432)


def test_an_acl_without_its_return_path_breaks_the_flow(production: SynthesizedEnvironment):
    template = copy.deepcopy(production.template("network", "us-east-1"))
    entries = {
        k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::EC2::NetworkAclEntry"
    }
    for logical_id, entry in entries.items():
        props = entry["Properties"]
        if logical_id.startswith("NetworkAclsData") and props.get("Egress") and \
                props.get("PortRange", {}).get("From") == 1024:  # fmt: skip
            del template["Resources"][logical_id]
    verdict = NetworkModel(template).can_reach("app", "db", 5432)
    assert not verdict and "the answer out" in verdict.reason, verdict


# The read endpoint's regions, seen from the network alone: (source, port, reachable).
READ_ALB_EXPECTED: list[tuple[str, int, bool | str]] = [
    ("internet", 443, WITHOUT_EDGE),
    ("cloudfront", 443, True),
    ("route53-health-checkers", 443, True),
]


def _read_regions(env: SynthesizedEnvironment) -> list[str]:
    return env.config.dns.latency_regions({r: c.role for r, c in env.config.regions.items()})


@pytest.mark.parametrize(("source", "port", "reachable"), READ_ALB_EXPECTED)
def test_read_region_albs(any_env: SynthesizedEnvironment, source, port, reachable):
    if reachable == WITHOUT_EDGE:
        reachable = not any_env.config.edge.enabled
    for region in _read_regions(any_env):
        verdict = NetworkModel(any_env.template("network", region)).can_reach(source, "web", port)
        assert verdict.allowed is reachable, f"{region} {source}->read ALB:{port}: {verdict}"


def _names(env: SynthesizedEnvironment, dns: dict[str, Any] | None = None) -> NameModel:
    names = env.stacks.names
    return NameModel(
        dns or env.template("dns", "global"),
        env.templates.get(names.stack_id("edge", "global")),
        {r: env.template("network", r) for r in env.config.regions},
        {r: env.template("compute", r) for r in env.config.regions},
    )


def _expected_names(env: SynthesizedEnvironment) -> dict[str, list[str]]:
    """Public name -> the ALB regions it must reach."""
    dns = env.config.dns
    roles = {r: c.role for r, c in env.config.regions.items()}
    return {
        f"{dns.application_record}.{dns.domain}": dns.application_regions(roles),
        f"{dns.read_record}.{dns.domain}": dns.latency_regions(roles),
    }


def test_public_names_reach_their_regions_end_to_end(any_env: SynthesizedEnvironment):
    model = _names(any_env)
    for name, regions in _expected_names(any_env).items():
        verdicts = model.can_reach(name)
        albs = {k: v for k, v in verdicts.items() if not k.startswith("address ")}
        assert sorted(albs) == sorted(regions), (name, verdicts)
        for region, verdict in albs.items():
            assert verdict, f"{name} -> {region}: {verdict.reason}"
        # With the edge on, every path goes through CloudFront (the ALBs admit nothing else).
        sources = {a.source for a in model.arrivals(name) if a.region is not None}
        assert sources == ({CLOUDFRONT} if any_env.config.edge.enabled else {"internet"}), name


def test_read_records_straight_at_the_albs_are_unreachable_behind_the_edge(
    staging: SynthesizedEnvironment,
):
    """The regression this guards: with the edge on, latency records named api-read.<domain>
    that alias the ALBs directly (no distribution) lead nowhere, since the ALBs admit only
    CloudFront and the Route 53 health checkers."""
    dns_config = staging.config.dns
    read = f"{dns_config.read_record}.{dns_config.domain}."
    template = copy.deepcopy(staging.template("dns", "global"))
    records = template["Resources"]
    for logical_id in [k for k, v in records.items() if v["Type"] == "AWS::Route53::RecordSet"]:
        props = records[logical_id]["Properties"]
        if props["Name"] == read:
            del records[logical_id]  # the aliases to the read distribution
        elif props["Name"] == f"{staging.config.latency_record}.":
            props["Name"] = read
    verdicts = _names(staging, template).can_reach(read)
    assert sorted(verdicts) == sorted(_read_regions(staging))
    for region, verdict in verdicts.items():
        assert not verdict and "security group does not allow ingress" in verdict.reason, (
            region,
            verdict,
        )


def test_a_distribution_without_the_origin_header_is_refused_by_the_listeners(
    staging: SynthesizedEnvironment,
):
    names = staging.stacks.names
    edge = copy.deepcopy(staging.templates[names.stack_id("edge", "global")])
    for resource in edge["Resources"].values():
        if resource["Type"] == "AWS::CloudFront::Distribution":
            for origin in resource["Properties"]["DistributionConfig"]["Origins"]:
                origin.pop("OriginCustomHeaders", None)
    model = NameModel(
        staging.template("dns", "global"),
        edge,
        {r: staging.template("network", r) for r in staging.config.regions},
        {r: staging.template("compute", r) for r in staging.config.regions},
    )
    dns = staging.config.dns
    for region, verdict in model.can_reach(f"{dns.read_record}.{dns.domain}").items():
        assert not verdict and "answers 403" in verdict.reason, (region, verdict)
