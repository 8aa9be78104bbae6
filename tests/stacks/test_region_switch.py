"""Recovery tier: the Region switch plan (regions, workflows, step order, timeouts), its
custom-action Lambdas in both plan regions, least privilege, the EKS access entry."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.recovery.steps import FUNCTIONS, plan_steps
from tests.stacks.template_queries import resources
from tests.synth import SynthesizedEnvironment

PRIMARY, STANDBY = "us-east-1", "us-west-2"


def _plan(env: SynthesizedEnvironment) -> dict[str, Any]:
    (plan,) = resources(
        env.template("region-switch", STANDBY), "AWS::ARCRegionSwitch::Plan"
    ).values()
    return plan["Properties"]


def _statements(template: dict[str, Any], sid: str) -> list[dict[str, Any]]:
    return [
        s
        for policy in resources(template, "AWS::IAM::ManagedPolicy").values()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Sid") == sid
    ]


def test_development_has_no_plan(development: SynthesizedEnvironment):
    assert not [s for s in development.templates if "region-switch" in s or "recovery" in s]


@pytest.mark.parametrize("env_name", ["staging", "production"])
def test_plan_is_active_passive_between_primary_and_standby(env_name, request):
    env = request.getfixturevalue(env_name)
    plan = _plan(env)
    assert plan["Name"] == f"fdr-{env_name}-dr"
    assert plan["RecoveryApproach"] == "activePassive"
    assert plan["Regions"] == [PRIMARY, STANDBY] and plan["PrimaryRegion"] == PRIMARY
    assert plan["RecoveryTimeObjectiveMinutes"] == env.config.recovery.rto_minutes
    assert plan["ExecutionRole"] == (
        f"arn:aws:iam::{env.config.account}:role/fdr-{env_name}-region-switch"
    )
    # One activate workflow per region: failover (ungraceful) and switchover (graceful) are
    # the execution's mode, chosen when it starts.
    workflows = {w["WorkflowTargetRegion"]: w for w in plan["Workflows"]}
    assert set(workflows) == {PRIMARY, STANDBY}
    assert {w["WorkflowTargetAction"] for w in workflows.values()} == {"activate"}
    # Default: people start the plan; no alarm trigger.
    assert "Triggers" not in plan and "AssociatedAlarms" not in plan


def test_steps_in_order_each_with_its_timeout(staging: SynthesizedEnvironment):
    steps = _plan(staging)["Workflows"][0]["Steps"]
    expected = plan_steps(staging.config.recovery)
    assert [s["Name"] for s in steps] == [
        "approve",
        "promote-database",
        "app-configuration",
        "scale-workloads",
        "move-dns",
        "verify",
    ]
    assert [s["Name"] for s in steps] == [s.name for s in expected]
    assert [s["ExecutionBlockType"] for s in steps] == [
        "ManualApproval",
        "CustomActionLambda",
        "CustomActionLambda",
        "EKSResourceScaling",
        "CustomActionLambda",
        "CustomActionLambda",
    ]
    for step, planned in zip(steps, expected, strict=True):
        (config,) = step["ExecutionBlockConfiguration"].values()
        assert config["TimeoutMinutes"] == planned.timeout_minutes


def test_production_has_no_approval_step(production: SynthesizedEnvironment):
    steps = _plan(production)["Workflows"][0]["Steps"]
    assert steps[0]["Name"] == "promote-database"
    assert not resources(production.template("region-switch", STANDBY), "AWS::IAM::Role")


@pytest.mark.parametrize("env_name", ["staging", "production"])
def test_custom_lambdas_exist_in_both_regions_and_run_where_the_plan_goes(env_name, request):
    env = request.getfixturevalue(env_name)
    deployed = {
        region: {
            f["Properties"]["FunctionName"]
            for f in resources(env.template("recovery", region), "AWS::Lambda::Function").values()
        }
        for region in (PRIMARY, STANDBY)
    }
    wanted = {f"fdr-{env_name}-recovery-{step}" for step in FUNCTIONS}
    assert deployed == {PRIMARY: wanted, STANDBY: wanted}
    for workflow in _plan(env)["Workflows"]:
        for step in workflow["Steps"]:
            config = step["ExecutionBlockConfiguration"].get("CustomActionLambdaConfig")
            if config is None:
                continue
            assert config["RegionToRun"] == "activatingRegion"
            assert "Ungraceful" not in config  # the steps also run in a failover
            arns = [fn["Arn"] for fn in config["Lambdas"]]
            name = arns[0].rsplit(":", 1)[1]
            assert name in wanted
            assert arns == [
                f"arn:aws:lambda:{r}:{env.config.account}:function:{name}"
                for r in (PRIMARY, STANDBY)
            ]


def test_lambdas_carry_the_backup_guard_rails(staging: SynthesizedEnvironment):
    for region in (PRIMARY, STANDBY):
        template = staging.template("recovery", region)
        for function in resources(template, "AWS::Lambda::Function").values():
            props = function["Properties"]
            # no reservation unless config asks (backup.reserved_concurrency): steps run twice
            # safely (tests/lambdas/test_recovery_actions.py)
            assert "ReservedConcurrentExecutions" not in props
            assert props["TracingConfig"] == {"Mode": "Active"}
            assert "DeadLetterConfig" in props and "KmsKeyArn" in props
            settings = json.loads(
                json.dumps(props["Environment"]["Variables"]["RECOVERY_SETTINGS"])
            )
            assert settings  # rendered from config, read by lambdas/recovery_actions/settings.py


def test_plan_role_is_least_privilege(staging: SynthesizedEnvironment):
    template = staging.template("recovery", STANDBY)
    (role,) = [
        r
        for r in resources(template, "AWS::IAM::Role").values()
        if r["Properties"].get("RoleName") == "fdr-staging-region-switch"
    ]
    trust = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust == [
        {
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": "222222222222"}},
            "Effect": "Allow",
            "Principal": {"Service": "arc-region-switch.amazonaws.com"},
        }
    ]
    (invoke,) = _statements(template, "InvokeStepFunctions")
    assert sorted(invoke["Action"]) == ["lambda:GetFunction", "lambda:InvokeFunction"]
    assert len(invoke["Resource"]) == 2 * len(FUNCTIONS)
    assert all(":function:fdr-staging-recovery-" in arn for arn in invoke["Resource"])
    (describe,) = _statements(template, "DescribeClusters")
    assert describe["Resource"] == [
        f"arn:aws:eks:{r}:222222222222:cluster/fdr-staging-cluster-{r}" for r in (PRIMARY, STANDBY)
    ]
    # No action wildcard in any policy of the recovery tier.
    for region in (PRIMARY, STANDBY):
        for policy in resources(
            staging.template("recovery", region), "AWS::IAM::ManagedPolicy"
        ).values():
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                actions = statement["Action"]
                for action in [actions] if isinstance(actions, str) else actions:
                    assert "*" not in action, action


def test_step_functions_touch_only_their_regions_resources(staging: SynthesizedEnvironment):
    for region in (PRIMARY, STANDBY):
        template = staging.template("recovery", region)
        (promote,) = _statements(template, "PromoteDatabase")
        assert promote["Resource"] == (
            f"arn:aws:rds:{region}:222222222222:db:fdr-staging-postgres-{region}"
        )
        (write,) = _statements(template, "WriteAppParameters")
        assert sorted(write["Resource"]) == [
            f"arn:aws:ssm:{region}:222222222222:parameter/fdr/staging/app/{p}"
            for p in ("cache-endpoint", "writer-database-endpoint")
        ]


def test_access_entry_on_each_cluster_with_the_scaling_policy(staging: SynthesizedEnvironment):
    for region in (PRIMARY, STANDBY):
        (entry,) = resources(staging.template("recovery", region), "AWS::EKS::AccessEntry").values()
        props = entry["Properties"]
        assert props["ClusterName"] == f"fdr-staging-cluster-{region}"
        assert props["Type"] == "STANDARD"
        assert props["AccessPolicies"] == [
            {
                "AccessScope": {"Namespaces": ["fdr"], "Type": "namespace"},
                "PolicyArn": "arn:aws:eks::aws:cluster-access-policy/"
                "AmazonARCRegionSwitchScalingPolicy",
            }
        ]
    # The primary's entry names the role by ARN (the role lives in the standby's stack).
    primary = resources(staging.template("recovery", PRIMARY), "AWS::EKS::AccessEntry")
    (entry,) = primary.values()
    assert entry["Properties"]["PrincipalArn"] == (
        "arn:aws:iam::222222222222:role/fdr-staging-region-switch"
    )


def test_writer_and_cache_parameters_written_at_deploy_time_in_the_primary(
    staging: SynthesizedEnvironment,
):
    params = {
        p["Properties"]["Name"]: p["Properties"]["Value"]
        for p in resources(staging.template("recovery", PRIMARY), "AWS::SSM::Parameter").values()
    }
    assert set(params) == {
        "/fdr/staging/app/writer-database-endpoint",
        "/fdr/staging/app/cache-endpoint",
    }
    # Read from the primary's data stack by Fn::GetStackOutput: no export locks the data stack.
    writer = params["/fdr/staging/app/writer-database-endpoint"]["Fn::GetStackOutput"]
    cache = params["/fdr/staging/app/cache-endpoint"]["Fn::GetStackOutput"]
    assert writer["StackName"] == cache["StackName"] == "fdr-staging-data-us-east-1"
    assert "PostgresInstance" in writer["OutputName"] and "EndpointAddress" in writer["OutputName"]
    assert "PrimaryEndPointAddress" in cache["OutputName"]
    assert not resources(staging.template("recovery", STANDBY), "AWS::SSM::Parameter")


def test_scaling_targets_the_configured_deployments_in_both_clusters(staging):
    steps = _plan(staging)["Workflows"][0]["Steps"]
    (scale,) = [s for s in steps if s["ExecutionBlockType"] == "EKSResourceScaling"]
    config = scale["ExecutionBlockConfiguration"]["EksResourceScalingConfig"]
    assert config["KubernetesResourceType"] == {"ApiVersion": "apps/v1", "Kind": "Deployment"}
    assert config["TargetPercent"] == 100
    assert len(config["EksClusters"]) == 2
    names = [next(iter(r)) for r in config["ScalingResources"]]
    assert names == ["fdr-fdr-api", "fdr-fdr-worker"]


def test_deploy_order(staging: SynthesizedEnvironment):
    deps = {
        name: set(artifact.get("dependencies", []))
        for name, artifact in staging.manifest["artifacts"].items()
    }
    assert "fdr-staging-recovery-us-west-2" in deps["fdr-staging-recovery-us-east-1"]
    plan_deps = deps["fdr-staging-region-switch-us-west-2"]
    assert {
        "fdr-staging-recovery-us-east-1",
        "fdr-staging-recovery-us-west-2",
        "fdr-staging-dns-global",
    } <= plan_deps
    for region in (PRIMARY, STANDBY):
        assert f"fdr-staging-compute-{region}" in deps[f"fdr-staging-recovery-{region}"]


def test_alarm_trigger_only_when_configured(tmp_path):
    """With recovery.trigger_on_region_unhealthy the primary's composite alarm starts a
    failover to the standby, and the execution role may read that one alarm."""
    from aws_cdk import Stack
    from aws_cdk.assertions import Template

    from infra.cdk_context import new_app
    from infra.constructs import recovery_policies
    from infra.stack_factory import StackFactory
    from tests.unit.config_helpers import load_mutated

    def trigger(data: dict[str, Any]) -> None:
        data["recovery"]["trigger_on_region_unhealthy"] = True
        data["recovery"]["trigger_min_delay_minutes"] = 240

    config = load_mutated(tmp_path, trigger, "staging")
    factory = StackFactory(new_app(), config)
    plan = Template.from_stack(factory.region_switch([])).to_json()
    (props,) = [r["Properties"] for r in resources(plan, "AWS::ARCRegionSwitch::Plan").values()]
    alarm = "arn:aws:cloudwatch:us-east-1:222222222222:alarm:fdr-staging-us-east-1-region-unhealthy"
    assert props["AssociatedAlarms"] == {
        "primary-region-unhealthy": {"AlarmType": "trigger", "ResourceIdentifier": alarm}
    }
    assert props["Triggers"] == [
        {
            "Action": "activate",
            "Conditions": [{"AssociatedAlarmName": "primary-region-unhealthy", "Condition": "red"}],
            "Description": "Fail over to us-west-2 when us-east-1 is unhealthy",
            "MinDelayMinutesBetweenExecutions": 240,
            "TargetRegion": STANDBY,
        }
    ]
    stack = Stack(new_app(), "Probe", env={"account": "222222222222", "region": STANDBY})
    statements = recovery_policies.plan_role(stack, factory.plan_targets())
    (read,) = [s for s in statements if s.sid == "ReadTriggerAlarm"]
    assert stack.resolve(read.to_statement_json())["Resource"] == alarm


def _output(value: dict[str, Any]) -> tuple[str, str]:
    """(stack, output) of a weak cross-stack reference."""
    ref = value["Fn::GetStackOutput"]
    return ref["StackName"], ref["OutputName"]


@pytest.mark.parametrize("env_name", ["staging", "production"])
def test_only_verify_runs_in_the_vpc_and_connects_as_the_canary_user(env_name, request):
    env = request.getfixturevalue(env_name)
    azs = {r: len(env.stacks.regions[r].network.availability_zones) for r in (PRIMARY, STANDBY)}
    for region in (PRIMARY, STANDBY):
        template = env.template("recovery", region)
        network, data = f"fdr-{env_name}-network-{region}", f"fdr-{env_name}-data-{region}"
        placed = {
            logical_id: f["Properties"]["VpcConfig"]
            for logical_id, f in resources(template, "AWS::Lambda::Function").items()
            if "VpcConfig" in f["Properties"]
        }
        assert list(placed) == [k for k in placed if k.startswith("VerifyFunction")] != []
        (vpc,) = placed.values()
        # the app_tier group (may reach db_tier on 5432: tests/contract/test_reachability.py)
        (group,) = vpc["SecurityGroupIds"]
        assert _output(group)[0] == network and "SecurityGroupsApp" in _output(group)[1]
        subnets = [_output(s) for s in vpc["SubnetIds"]]
        assert len(subnets) == azs[region]
        assert all(stack == network and "applicationSubnet" in out for stack, out in subnets)

        (connect,) = _statements(template, "ConnectAsCanaryUser")
        assert connect["Action"] == "rds-db:connect"
        prefix, resource_id, user = connect["Resource"]["Fn::Join"][1]
        assert prefix == f"arn:aws:rds-db:{region}:{env.config.account}:dbuser:"
        assert _output(resource_id)[0] == data and "DbiResourceId" in _output(resource_id)[1]
        assert user == f"/{env.config.recovery.canary_user}"

        (create,) = _statements(template, "CreateFunctionInterfaces")
        arns = [r if isinstance(r, str) else r["Fn::Join"][1][0] for r in create["Resource"]]
        assert sorted(arns) == sorted(
            [f"arn:aws:ec2:{region}:{env.config.account}:network-interface/*"]
            + [f"arn:aws:ec2:{region}:{env.config.account}:subnet/"] * azs[region]
            + [f"arn:aws:ec2:{region}:{env.config.account}:security-group/"]
        )
        (manage,) = _statements(template, "ManageFunctionInterfaces")
        assert manage["Resource"] == (
            f"arn:aws:ec2:{region}:{env.config.account}:network-interface/*"
        )
        # the canary settings reach the function from config
        (verify,) = [
            f for k, f in resources(template, "AWS::Lambda::Function").items()
            if k.startswith("VerifyFunction")
        ]  # fmt: skip
        settings = json.loads(verify["Properties"]["Environment"]["Variables"]["RECOVERY_SETTINGS"])
        assert settings["canary_user"] == env.config.recovery.canary_user
        assert settings["database_port"] == env.config.network.ports.postgres
        assert settings["database_name"] == env.config.data.database.database_name
