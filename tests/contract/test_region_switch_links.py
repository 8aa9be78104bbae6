"""Both sides of every link of the Region switch plan: what the stacks write and what the step
Lambdas (``lambdas/recovery_actions``) read, by name, from the synthesized staging templates."""

from __future__ import annotations

import dataclasses
import importlib
import json
import sys
from typing import Any

import pytest

from tests.stacks.template_queries import resources
from tests.synth import ROOT, SynthesizedEnvironment

# The Lambda side: the package as the runtime sees it (lambdas/ is the code asset's root).
if str(ROOT / "lambdas") not in sys.path:
    sys.path.insert(0, str(ROOT / "lambdas"))

from recovery_actions import dns_step
from recovery_actions.settings import RecoverySettings

PRIMARY, STANDBY = "us-east-1", "us-west-2"


def _pascal(region: str) -> str:
    return "".join(part.capitalize() for part in region.split("-"))


def _functions(env: SynthesizedEnvironment, region: str) -> dict[str, dict[str, Any]]:
    return {
        f["Properties"]["FunctionName"]: f["Properties"]
        for f in resources(env.template("recovery", region), "AWS::Lambda::Function").values()
    }


def _plan(env: SynthesizedEnvironment) -> dict[str, Any]:
    (plan,) = resources(
        env.template("region-switch", STANDBY), "AWS::ARCRegionSwitch::Plan"
    ).values()
    return dict(plan["Properties"])


def _settings(env: SynthesizedEnvironment, region: str) -> RecoverySettings:
    (props, *_) = _functions(env, region).values()
    return RecoverySettings.from_mapping(
        json.loads(props["Environment"]["Variables"]["RECOVERY_SETTINGS"])
    )


@pytest.mark.parametrize("region", [PRIMARY, STANDBY])
def test_settings_the_stack_writes_are_the_settings_the_lambdas_read(staging, region):
    # from_mapping rejects unknown keys; every field without a default must be present.
    settings = _settings(staging, region)
    required = {
        f.name for f in dataclasses.fields(RecoverySettings) if f.default is dataclasses.MISSING
    }
    raw = json.loads(
        next(iter(_functions(staging, region).values()))["Environment"]["Variables"][
            "RECOVERY_SETTINGS"
        ]
    )
    assert required <= set(raw)
    assert settings.region == region
    assert settings.database_id == f"fdr-staging-postgres-{region}"


@pytest.mark.parametrize("region", [PRIMARY, STANDBY])
def test_every_handler_names_a_function_of_the_lambda_package(staging, region):
    for props in _functions(staging, region).values():
        module, attribute = props["Handler"].rsplit(".", 1)
        assert callable(getattr(importlib.import_module(module), attribute)), props["Handler"]


def test_dns_step_reads_the_failover_records_the_dns_stack_writes(staging):
    """The DNS stack names its failover records ``<primary|secondary>-<region>`` and points each
    at that region's ingress; the dns step derives the region from the name."""
    settings = _settings(staging, STANDBY)
    records = [
        r["Properties"]
        for r in resources(staging.template("dns", "global"), "AWS::Route53::RecordSet").values()
        if "Failover" in r["Properties"]
    ]
    assert {r["Name"] for r in records} == {settings.record_name + "."}
    assert staging.config.dns.hosted_zone_id == settings.hosted_zone_id
    regions = set()
    for record in records:
        region = dns_step.record_region(record["SetIdentifier"], record["Failover"])
        target = json.dumps(record["AliasTarget"])
        assert f"Ingress{_pascal(region)}" in target, (record["SetIdentifier"], target)
        assert "HealthCheckId" in record  # the step inverts this check
        regions.add(region)
    assert regions == {PRIMARY, STANDBY}


@pytest.mark.parametrize("region", [PRIMARY, STANDBY])
def test_verify_reads_the_alb_parameter_the_compute_stack_publishes(staging, region):
    published = {
        p["Properties"].get("Name")
        for p in resources(staging.template("compute", region), "AWS::SSM::Parameter").values()
    }
    assert _settings(staging, region).ingress_dns_parameter in published


def test_app_config_writes_the_parameters_created_in_the_primary(staging):
    created = {
        p["Properties"]["Name"]
        for p in resources(staging.template("recovery", PRIMARY), "AWS::SSM::Parameter").values()
    }
    settings = _settings(staging, PRIMARY)
    assert created == {settings.writer_parameter, settings.cache_parameter}


def test_plan_role_access_entries_and_plan_name_one_role(staging):
    plan = _plan(staging)
    roles = [
        r["Properties"]["RoleName"]
        for r in resources(staging.template("recovery", STANDBY), "AWS::IAM::Role").values()
        if "RoleName" in r["Properties"]
    ]
    matching = [n for n in roles if plan["ExecutionRole"].endswith(f":role/{n}")]
    assert matching == ["fdr-staging-region-switch"], (
        f"the plan's execution role {plan['ExecutionRole']} is none of the roles the standby's "
        f"recovery stack creates ({roles})"
    )
    standby_entry, primary_entry = (
        next(iter(resources(staging.template("recovery", r), "AWS::EKS::AccessEntry").values()))
        for r in (STANDBY, PRIMARY)
    )
    assert primary_entry["Properties"]["PrincipalArn"] == plan["ExecutionRole"]
    assert "Fn::GetAtt" in standby_entry["Properties"]["PrincipalArn"]  # the role itself
    # The Lambdas accept only events of this plan.
    assert _settings(staging, STANDBY).plan_name == plan["Name"]


def test_cluster_names_the_plan_scales_are_the_clusters_compute_creates(staging):
    plan = _plan(staging)
    (scale,) = [
        s for s in plan["Workflows"][0]["Steps"] if s["ExecutionBlockType"] == "EKSResourceScaling"
    ]
    arns = [
        c["ClusterArn"]
        for c in scale["ExecutionBlockConfiguration"]["EksResourceScalingConfig"]["EksClusters"]
    ]
    for region in (PRIMARY, STANDBY):
        (cluster,) = resources(staging.template("compute", region), "AWS::EKS::Cluster").values()
        name = cluster["Properties"]["Name"]
        assert f"arn:aws:eks:{region}:222222222222:cluster/{name}" in arns
        entry = next(
            iter(resources(staging.template("recovery", region), "AWS::EKS::AccessEntry").values())
        )
        assert entry["Properties"]["ClusterName"] == name


def test_trigger_alarm_is_the_composite_alarm_the_monitoring_stack_creates(staging, tmp_path):
    """With the trigger on, the plan names the primary's region-unhealthy composite alarm."""
    from infra.cdk_context import new_app
    from infra.stack_factory import StackFactory
    from tests.unit.config_helpers import load_mutated

    def trigger(data: dict[str, Any]) -> None:
        data["recovery"]["trigger_on_region_unhealthy"] = True

    config = load_mutated(tmp_path, trigger, "staging")
    alarm = StackFactory(new_app(), config).plan_targets().trigger_alarm
    composites = {
        a["Properties"]["AlarmName"]
        for a in resources(
            staging.template("monitoring", PRIMARY), "AWS::CloudWatch::CompositeAlarm"
        ).values()
    }
    assert alarm in composites, (alarm, composites)


@pytest.mark.parametrize("region", [PRIMARY, STANDBY])
def test_canary_connects_where_the_data_stack_listens_as_the_user_iam_allows(staging, region):
    """verify's canary (settings) <-> the region's DB instance (data stack): its port, the
    database the primary creates (a replica inherits it), and the instance whose DbiResourceId
    the verify role may rds-db:connect to."""
    settings = _settings(staging, region)
    data = staging.template("data", region)
    ((instance_id, instance),) = resources(data, "AWS::RDS::DBInstance").items()
    assert int(instance["Properties"]["Port"]) == settings.database_port
    assert instance["Properties"]["EnableIAMDatabaseAuthentication"] is True
    (primary,) = resources(staging.template("data", PRIMARY), "AWS::RDS::DBInstance").values()
    assert primary["Properties"]["DBName"] == settings.database_name

    template = staging.template("recovery", region)
    (connect,) = [
        s
        for policy in resources(template, "AWS::IAM::ManagedPolicy").values()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Sid") == "ConnectAsCanaryUser"
    ]
    _, resource_id, user = connect["Resource"]["Fn::Join"][1]
    assert user == f"/{settings.canary_user}"
    reference = resource_id["Fn::GetStackOutput"]
    assert reference["StackName"] == f"fdr-staging-data-{region}"
    assert data["Outputs"][reference["OutputName"]]["Value"] == {
        "Fn::GetAtt": [instance_id, "DbiResourceId"]
    }
