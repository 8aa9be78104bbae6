"""Continuous mode (``database_replication.mode: continuous``, turned on by a config override in
tests/continuous_mode.py; every config/*.yaml keeps dump mode until the link exists):
``rds.logical_replication`` on the primary's parameter group only, and the lag probe in the
primary region's monitoring stack: schedule, network path, IAM, alarms, all read from config."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.constructs.replication_lag import DIMENSIONS, HANDLER, LAG_METRIC, SLOT_MISSING_METRIC
from tests.continuous_mode import PROBE_OVERRIDES, Variant, continuous
from tests.contract.test_security_group_members import unattached_groups
from tests.stacks.template_queries import ref_target, resources
from tests.synth import SynthesizedEnvironment


def _parameters(template: dict[str, Any]) -> dict[str, str]:
    (group,) = resources(template, "AWS::RDS::DBParameterGroup").values()
    return dict(group["Properties"]["Parameters"])


@pytest.fixture(scope="module")
def probe_variant() -> Variant:
    return continuous("production", overrides=True)


@pytest.mark.parametrize("env", ["production", "staging"])
def test_logical_replication_is_on_the_primary_only(env: str) -> None:
    variant = continuous(env, probe=env == "production", overrides=env == "production")
    primary = variant.config.primary_region
    assert _parameters(variant.template("data", primary))["rds.logical_replication"] == "1"
    replicas = [r for r in variant.config.regions if r != primary]
    assert replicas
    for region in replicas:  # read replicas (and the standby) are no publishers
        assert "rds.logical_replication" not in _parameters(variant.template("data", region))


def test_dump_mode_leaves_logical_replication_off(any_env: SynthesizedEnvironment) -> None:
    assert any_env.config.database_replication.mode == "dump"
    for region in any_env.config.regions:
        assert "rds.logical_replication" not in _parameters(any_env.template("data", region))
    handlers = {
        f["Properties"].get("Handler")
        for t in any_env.templates.values()
        for f in resources(t, "AWS::Lambda::Function").values()
    }
    assert HANDLER not in handlers  # no probe without continuous mode


def _probe(variant: Variant) -> tuple[dict[str, Any], str, dict[str, Any]]:
    template = variant.template("monitoring", variant.config.primary_region)
    ((logical_id, function),) = [
        (k, f)
        for k, f in resources(template, "AWS::Lambda::Function").items()
        if f["Properties"]["Handler"] == HANDLER
    ]
    return template, logical_id, function["Properties"]


def test_only_the_primary_region_runs_the_probe(probe_variant: Variant) -> None:
    primary = probe_variant.config.primary_region
    for stack, template in probe_variant.templates.items():
        found = [
            f
            for f in resources(template, "AWS::Lambda::Function").values()
            if f["Properties"].get("Handler") == HANDLER
        ]
        expected = 1 if stack == probe_variant.names.stack_id("monitoring", primary) else 0
        assert len(found) == expected, stack


def test_probe_runs_on_the_configured_schedule(probe_variant: Variant) -> None:
    template, logical_id, _ = _probe(probe_variant)
    minutes = PROBE_OVERRIDES["lag_check_minutes"]
    (schedule,) = [
        s["Properties"]
        for s in resources(template, "AWS::Scheduler::Schedule").values()
        if ref_target(s["Properties"]["Target"]["Arn"]) == logical_id
    ]
    assert schedule["ScheduleExpression"] == f"rate({minutes} minutes)"
    assert schedule["State"] == "ENABLED" and schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert "DeadLetterConfig" in schedule["Target"]
    assert schedule["Target"]["RetryPolicy"]["MaximumEventAgeInSeconds"] == minutes * 60


def test_probe_reaches_the_primary_only_on_postgresql(probe_variant: Variant) -> None:
    template, _, function = _probe(probe_variant)
    network = probe_variant.names.stack_id("network", probe_variant.config.primary_region)
    vpc = function["VpcConfig"]
    outputs = [s["Fn::GetStackOutput"] for s in vpc["SubnetIds"]]
    assert outputs and all(o["StackName"] == network for o in outputs)
    assert all("Vpcapplication" in o["OutputName"] for o in outputs), outputs  # private subnets
    (group_ref,) = vpc["SecurityGroupIds"]
    group = template["Resources"][ref_target(group_ref)]["Properties"]
    (egress,) = group["SecurityGroupEgress"]  # PostgreSQL to the db group, nothing else
    port = probe_variant.config.network.ports.postgres
    assert (egress["IpProtocol"], egress["FromPort"], egress["ToPort"]) == ("tcp", port, port)
    assert "SecurityGroupsDb" in json.dumps(egress["DestinationSecurityGroupId"])
    assert "SecurityGroupIngress" not in group
    (ingress,) = [
        r["Properties"]
        for r in resources(template, "AWS::EC2::SecurityGroupIngress").values()
        if ref_target(r["Properties"]["SourceSecurityGroupId"]) == ref_target(group_ref)
    ]
    assert ingress["FromPort"] == ingress["ToPort"] == port
    assert "SecurityGroupsDb" in json.dumps(ingress["GroupId"])
    # the probe's group has a member (the variant leaves out other regions' compute stacks, so
    # only this stack is judged here; every environment is judged in tests/contract)
    monitoring = probe_variant.names.stack_id("monitoring", probe_variant.config.primary_region)
    assert not [g for g in unattached_groups(probe_variant.templates) if monitoring in g]


def test_probe_connects_as_the_monitor_user_of_the_primary_only(probe_variant: Variant) -> None:
    template, _, function = _probe(probe_variant)
    role = ref_target(function["Role"])
    statements = [
        s
        for p in resources(template, "AWS::IAM::ManagedPolicy").values()
        if any(ref_target(r) == role for r in p["Properties"].get("Roles", []))
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    actions = [a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str)
               else s["Action"])]  # fmt: skip
    assert not any(a.endswith("*") for a in actions)
    (connect,) = [s for s in statements if s["Action"] == "rds-db:connect"]
    resource = json.dumps(connect["Resource"])
    data = probe_variant.names.stack_id("data", probe_variant.config.primary_region)
    assert "dbuser:" in resource and f"/{PROBE_OVERRIDES['monitor_user']}" in resource
    assert "DbiResourceId" in resource and data in resource  # the primary instance's id
    settings = json.dumps(function["Environment"]["Variables"])
    assert PROBE_OVERRIDES["monitor_user"] in settings
    assert "password" not in settings.lower() and "secret" not in settings.lower()


def _alarm(template: dict[str, Any], metric: str) -> dict[str, Any]:
    (alarm,) = [
        a["Properties"]
        for a in resources(template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == metric
    ]
    return alarm


def test_alarms_use_the_configured_threshold_and_notify_the_topic(
    probe_variant: Variant,
) -> None:
    template, _, _ = _probe(probe_variant)
    (topic,) = resources(template, "AWS::SNS::Topic")
    minutes = PROBE_OVERRIDES["max_lag_minutes"]
    dimensions = [{"Name": k, "Value": v} for k, v in DIMENSIONS.items()]
    lag = _alarm(template, LAG_METRIC)
    assert lag["Threshold"] == minutes * 60 and lag["Period"] == minutes * 60
    assert lag["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert lag["TreatMissingData"] == "breaching" and lag["Statistic"] == "Maximum"
    slot = _alarm(template, SLOT_MISSING_METRIC)
    assert slot["Threshold"] == 1 and slot["TreatMissingData"] == "notBreaching"
    for alarm in (lag, slot):
        assert alarm["Namespace"] == "FDR/Replication" and alarm["Dimensions"] == dimensions
        assert [ref_target(a) for a in alarm["AlarmActions"]] == [topic]
        assert [ref_target(a) for a in alarm["OKActions"]] == [topic]
    # never part of the composite that may trigger the Region switch plan
    (composite,) = [
        a["Properties"]
        for a in resources(template, "AWS::CloudWatch::CompositeAlarm").values()
        if "region-unhealthy" in json.dumps(a["Properties"]["AlarmName"])
    ]
    assert "ReplicationLag" not in json.dumps(composite["AlarmRule"])
