"""Network tier: subnets per tier, the exact security-group matrix, flow logs, endpoints."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from aws_cdk.assertions import Match

from infra.config.network import plan_subnets
from tests.stacks.template_queries import logical_id_with_prefix, ref_target, resources
from tests.synth import SynthesizedEnvironment

GROUPS = ("Web", "App", "Db", "Cache", "Monitoring", "Bastion", "Endpoints")


def _groups(template: dict[str, Any]) -> dict[str, str]:
    """Logical id -> matrix name (Web, App, ...)."""
    present = resources(template, "AWS::EC2::SecurityGroup")
    found = {
        logical_id_with_prefix(template, "AWS::EC2::SecurityGroup", f"SecurityGroups{g}"): g
        for g in GROUPS
        if any(k.startswith(f"SecurityGroups{g}") for k in present)  # bastion: with its host
    }
    # The ALB's second group, only with the edge on (Route 53 health checkers).
    found.update(
        {
            k: "HealthCheckers"
            for k in resources(template, "AWS::EC2::SecurityGroup")
            if k.startswith("SecurityGroupsHealthCheckers")
        }
    )
    return found


def _rules(template: dict[str, Any]) -> set[tuple[str, str, int, str]]:
    """Every rule of the matrix groups as (group, direction+protocol, port, peer), whether CDK
    wrote it inline on the group or as a separate ingress/egress resource."""
    names = _groups(template)
    rules = set()

    def add(group: str, direction: str, rule: dict[str, Any], peer_key: str) -> None:
        # single ports only (CDK's no-egress marker is ICMP type 252 code 86, not a range)
        assert rule["IpProtocol"] != "tcp" or rule["FromPort"] == rule["ToPort"], rule
        if "CidrIp" in rule:
            peer = rule["CidrIp"]
        elif "SourcePrefixListId" in rule:  # the edge's lock-down (tests/stacks/test_edge.py)
            peer = "prefix-list:" + ref_target(rule["SourcePrefixListId"]).split("Lookup")[0]
        else:
            peer = names[ref_target(rule[peer_key])]
        rules.add((group, f"{direction}/{rule['IpProtocol']}", rule["FromPort"], peer))

    for direction, (inline, peer_key) in {
        "in": ("SecurityGroupIngress", "SourceSecurityGroupId"),
        "out": ("SecurityGroupEgress", "DestinationSecurityGroupId"),
    }.items():
        for logical_id, name in names.items():
            for rule in template["Resources"][logical_id]["Properties"].get(inline, []):
                add(name, direction, rule, peer_key)
        # the same kind of rule as a separate resource (CDK's form between two groups)
        for resource in resources(template, f"AWS::EC2::{inline}").values():
            props = resource["Properties"]
            add(names[ref_target(props["GroupId"])], direction, props, peer_key)
    return rules


# CDK's marker for "no egress at all" on a group with allow_all_outbound=False.
NO_EGRESS = ("out/icmp", 252, "255.255.255.255/32")


def test_security_group_matrix_is_exactly_the_design(any_env: SynthesizedEnvironment):
    for region, region_config in any_env.config.regions.items():
        cidr = str(region_config.vpc_cidr)
        template = any_env.template("network", region)
        web_in = {
            ("Web", "in/tcp", 443, "0.0.0.0/0"),
            ("Web", "in/tcp", 80, "0.0.0.0/0"),
        }
        if any_env.config.edge.enabled:
            web_in = {
                ("Web", "in/tcp", 443, "prefix-list:CloudFrontPrefixList"),
                ("HealthCheckers", "in/tcp", 443, "prefix-list:HealthCheckersPrefixList"),
                ("HealthCheckers", *NO_EGRESS),
            }
        expected = web_in | {
            ("Web", "out/tcp", 8080, "App"),
            ("App", "in/tcp", 8080, "Web"),
            # the scraper: annotated pods, node-exporter, kube-state-metrics (config ports)
            *(("App", "in/tcp", port, "Monitoring") for port in (8080, 9090, 9100)),
            ("App", "out/tcp", 5432, "Db"),
            ("App", "out/tcp", 6379, "Cache"),
            ("App", "out/tcp", 443, "0.0.0.0/0"),
            ("Db", "in/tcp", 5432, "App"),
            ("Db", *NO_EGRESS),
            ("Cache", "in/tcp", 6379, "App"),
            ("Cache", *NO_EGRESS),
            *(("Monitoring", "out/tcp", port, "App") for port in (8080, 9090, 9100)),
            ("Monitoring", "out/tcp", 443, "0.0.0.0/0"),
            # over the Transit Gateway: Azure replication, sites with data access (link config)
            *(("Db", "in/tcp", 5432, c) for c in any_env.config.remote_postgres_clients(region)),
        }
        if any_env.config.network.interface_endpoints:  # the group exists with its members
            expected |= {("Endpoints", "in/tcp", 443, cidr), ("Endpoints", *NO_EGRESS)}
        if any_env.config.operator_access.session_manager_host:
            # bastion_sg exists with its member, the Session Manager host (operator_access)
            expected |= {
                ("Db", "in/tcp", 5432, "Bastion"),
                ("Bastion", "out/tcp", 5432, "Db"),
                ("Bastion", "out/tcp", 443, "0.0.0.0/0"),
            }
        assert _rules(template) == expected


def test_no_ssh_or_rdp_anywhere(any_env: SynthesizedEnvironment):
    for template in any_env.templates.values():
        for rule in resources(template, "AWS::EC2::SecurityGroupIngress").values():
            assert rule["Properties"]["FromPort"] not in (22, 3389)


def test_subnets_per_tier_follow_the_config_plan(any_env: SynthesizedEnvironment):
    for region, region_config in any_env.config.regions.items():
        template = any_env.template("network", region)
        azs = region_config.availability_zones
        plan = plan_subnets(region_config.vpc_cidr, len(azs), any_env.config.network.subnet_masks)
        subnets = resources(template, "AWS::EC2::Subnet")
        for tier, blocks in plan.items():
            tier_subnets = sorted(
                (s["Properties"] for k, s in subnets.items() if k.startswith(f"NetworkVpc{tier}")),
                key=lambda p: ipaddress.IPv4Network(p["CidrBlock"]),
            )
            assert [p["CidrBlock"] for p in tier_subnets] == [str(b) for b in blocks]
            assert [p["AvailabilityZone"] for p in tier_subnets] == azs
            assert all(p["MapPublicIpOnLaunch"] is False for p in tier_subnets)


def test_data_subnets_have_no_route_out(any_env: SynthesizedEnvironment):
    """No route out of the VPC, except to the ranges over the Transit Gateway that may reach
    the data tier (the Azure VNet with continuous replication, sites with data access)."""
    config = any_env.config
    for region in config.regions:
        allowed = set()
        if region in config.linked_regions:
            if config.link.continuous_replication:
                allowed.add(str(config.azure.vnet_cidr))
            allowed |= {str(c) for s in config.link.sites if s.region == region and s.data_access
                        for c in s.cidrs}  # fmt: skip
        template = any_env.template("network", region)
        routes = resources(template, "AWS::EC2::Route")
        data_tables = {
            k for k in resources(template, "AWS::EC2::RouteTable") if k.startswith("NetworkVpcdata")
        }
        assert data_tables
        out = [r["Properties"] for r in routes.values()
               if ref_target(r["Properties"]["RouteTableId"]) in data_tables]  # fmt: skip
        assert all("TransitGatewayId" in p and p["DestinationCidrBlock"] in allowed
                   for p in out), out  # fmt: skip


@pytest.mark.parametrize(("env", "per_az"), [("development", False), ("production", True)])
def test_nat_gateways_per_strategy(env: str, per_az: bool, request: pytest.FixtureRequest):
    synthesized: SynthesizedEnvironment = request.getfixturevalue(env)
    for region, region_config in synthesized.config.regions.items():
        expected = len(region_config.availability_zones) if per_az else 1
        synthesized.assertions("network", region).resource_count_is(
            "AWS::EC2::NatGateway", expected
        )


def test_flow_logs_capture_all_traffic_into_an_encrypted_log_group(
    any_env: SynthesizedEnvironment,
):
    for region in any_env.config.regions:
        t = any_env.assertions("network", region)
        t.has_resource_properties(
            "AWS::EC2::FlowLog",
            {"ResourceType": "VPC", "TrafficType": "ALL", "LogDestinationType": "cloud-watch-logs"},
        )
        t.has_resource_properties(
            "AWS::Logs::LogGroup",
            {
                "RetentionInDays": any_env.config.network.flow_logs.retention_days,
                "KmsKeyId": {"Fn::GetAtt": [Match.string_like_regexp("^LogsKey"), "Arn"]},
            },
        )
        t.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})


def test_log_key_lets_only_this_regions_logs_service_use_it(production: SynthesizedEnvironment):
    t = production.assertions("network", "eu-west-1")
    t.has_resource_properties(
        "AWS::KMS::Key",
        {
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Principal": {"Service": "logs.eu-west-1.amazonaws.com"},
                                "Condition": {
                                    "ArnLike": {
                                        "kms:EncryptionContext:aws:logs:arn": (
                                            "arn:aws:logs:eu-west-1:333333333333:log-group:*"
                                        )
                                    }
                                },
                            }
                        )
                    ]
                )
            }
        },
    )


def test_endpoints_follow_the_config(any_env: SynthesizedEnvironment):
    network = any_env.config.network
    for region in any_env.config.regions:
        template = any_env.template("network", region)
        endpoints = [e["Properties"] for e in resources(template, "AWS::EC2::VPCEndpoint").values()]
        gateway = [e for e in endpoints if e.get("VpcEndpointType") != "Interface"]
        interface = sorted(
            e["ServiceName"] for e in endpoints if e.get("VpcEndpointType") == "Interface"
        )
        assert len(gateway) == len(network.gateway_endpoints)
        assert interface == sorted(
            f"com.amazonaws.{region}.{n}" for n in network.interface_endpoints
        )
        assert all(
            e["PrivateDnsEnabled"] for e in endpoints if e.get("VpcEndpointType") == "Interface"
        )


def test_default_security_group_is_locked_down(any_env: SynthesizedEnvironment):
    for region in any_env.config.regions:
        any_env.assertions("network", region).resource_count_is("Custom::VpcRestrictDefaultSG", 1)


def test_every_region_has_a_network_stack(production: SynthesizedEnvironment):
    assert sorted(k for k in production.templates if "-network-" in k) == [
        f"fdr-production-network-{r}"
        for r in sorted(["us-east-1", "eu-west-1", "ap-southeast-1", "us-west-2"])
    ]
