"""Backup tier: schedules, least-privilege roles, DLQ, alarms."""

from __future__ import annotations

import json

from tests.synth import SynthesizedEnvironment


def _resources(template: dict, kind: str) -> dict:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def test_primary_has_four_scheduled_jobs_and_standby_promotes(production: SynthesizedEnvironment):
    primary = production.template("backup", "us-east-1")
    standby = production.template("backup", "us-west-2")
    names = sorted(
        f["Properties"]["FunctionName"]
        for f in _resources(primary, "AWS::Lambda::Function").values()
    )
    assert names == [f"fdr-production-backup-{j}" for j in ("copy", "prune", "snapshot", "verify")]
    promote = list(_resources(standby, "AWS::Lambda::Function").values())
    assert [f["Properties"]["FunctionName"] for f in promote] == ["fdr-production-backup-promote"]
    for template in (primary, standby):
        for function in _resources(template, "AWS::Lambda::Function").values():
            props = function["Properties"]
            assert props["Runtime"] == "python3.14"
            # none by default: new accounts reject reservations (config reserved_concurrency)
            assert "ReservedConcurrentExecutions" not in props
            assert "DeadLetterConfig" in props
            assert ":017000801446:layer:AWSLambdaPowertoolsPythonV3-python314-" in json.dumps(
                props["Layers"]
            )


def test_schedules_come_from_config(production: SynthesizedEnvironment):
    schedules = _resources(production.template("backup", "us-east-1"), "AWS::Scheduler::Schedule")
    by_name = {s["Properties"]["Name"]: s["Properties"] for s in schedules.values()}
    cfg = production.config.backup.schedules
    assert by_name["fdr-production-backup-snapshot"]["ScheduleExpression"] == cfg.snapshot
    assert (
        "<aws.scheduler.scheduled-time>"
        in by_name["fdr-production-backup-snapshot"]["Target"]["Input"]
    )
    assert all("DeadLetterConfig" in s["Target"] for s in by_name.values())


def test_no_wildcard_actions_anywhere(any_env: SynthesizedEnvironment):
    for stack_id, template in any_env.templates.items():
        if "-backup-" not in stack_id:
            continue
        for policy in _resources(template, "AWS::IAM::ManagedPolicy").values():
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                actions = (
                    statement["Action"]
                    if isinstance(statement["Action"], list)
                    else [statement["Action"]]
                )
                assert not [a for a in actions if "*" in a], (stack_id, statement)


def test_prune_deletes_only_our_tagged_snapshots(production: SynthesizedEnvironment):
    text = json.dumps(production.template("backup", "us-east-1"))
    assert '"rds:snapshot-tag/environment": "production"' in text
    assert (
        '"kms:ResourceAliases": ["alias/fdr-production-backup", "alias/fdr-production-database"]'
        in text
    )


def test_dlq_is_encrypted_and_alarmed(production: SynthesizedEnvironment):
    template = production.template("backup", "us-east-1")
    (queue,) = _resources(template, "AWS::SQS::Queue").values()
    assert "KmsMasterKeyId" in queue["Properties"]
    alarms = _resources(template, "AWS::CloudWatch::Alarm").values()
    metrics = [a["Properties"].get("MetricName") for a in alarms]
    assert "ApproximateNumberOfMessagesVisible" in metrics
    assert metrics.count("Errors") == 4
    rpo = [
        a["Properties"]
        for a in alarms
        if a["Properties"].get("MetricName") == "RecoveryPointAgeSeconds"
    ]
    backup = production.config.backup
    by_region = {a["Dimensions"][0]["Value"]: a["Threshold"] for a in rpo}
    # RPO + snapshot cadence, plus the copy allowance where the recovery point is a copy
    assert by_region == {
        "us-east-1": (backup.rpo_minutes + backup.snapshot_window_minutes) * 60,
        "us-west-2": (
            backup.rpo_minutes + backup.snapshot_window_minutes + backup.copy_allowance_minutes
        )
        * 60,
    }
    assert {a["TreatMissingData"] for a in rpo} == {"breaching"}
    assert all([d["Name"] for d in a["Dimensions"]] == ["Region"] for a in rpo)
    # routed by the region's monitoring stack (test_monitoring.py pins that every one is)
    assert not any(a["Properties"].get("AlarmActions") for a in alarms)


def test_development_has_no_promote(development: SynthesizedEnvironment):
    assert not any("backup-us-west-2" in s for s in development.templates)


def test_log_groups_keep_the_configured_retention_and_are_encrypted(
    any_env: SynthesizedEnvironment,
):
    days = any_env.config.backup.log_retention_days
    for stack_id, template in any_env.templates.items():
        if "-backup-" not in stack_id:
            continue
        groups = _resources(template, "AWS::Logs::LogGroup").values()
        assert groups
        for group in groups:
            assert group["Properties"]["RetentionInDays"] == days
            assert "KmsKeyId" in group["Properties"]


def test_reserved_concurrency_is_a_config_option(tmp_path):
    from aws_cdk import App

    from infra.config import load_config
    from infra.stack_factory import StackFactory
    from infra.stacks.backup import BackupStack

    config = load_config("development", environ={})
    config = config.model_copy(
        update={"backup": config.backup.model_copy(update={"reserved_concurrency": 1})}
    )
    app = App(outdir=str(tmp_path))
    factory = StackFactory(app, config)
    stack = factory.backup(config.primary_region, ())
    assert isinstance(stack, BackupStack)
    for job in stack.jobs.values():
        function = job.function.node.default_child
        assert stack.resolve(function.reserved_concurrent_executions) == 1


def test_scheduler_role_may_only_invoke_the_scheduled_jobs(production: SynthesizedEnvironment):
    template = production.template("backup", "us-east-1")
    policies = _resources(template, "AWS::IAM::ManagedPolicy")
    (scheduler,) = [p for k, p in policies.items() if k.startswith("SchedulerPolicy")]
    statements = scheduler["Properties"]["PolicyDocument"]["Statement"]
    invoke = next(s for s in statements if s["Action"] == "lambda:InvokeFunction")
    assert len(invoke["Resource"]) == 4
