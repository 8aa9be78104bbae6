"""Replication tier: where it runs, its IAM, event wiring, schedule, alarm and routing."""

from __future__ import annotations

import json
from typing import Any

from tests.synth import SynthesizedEnvironment


def _resources(template: dict[str, Any], kind: str) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def _one(template: dict[str, Any], kind: str) -> dict[str, Any]:
    (resource,) = _resources(template, kind).values()
    return dict(resource["Properties"])


def test_runs_in_the_standby_region_or_the_primary_without_one(
    production: SynthesizedEnvironment, development: SynthesizedEnvironment
) -> None:
    assert [s for s in production.templates if "-replication-" in s] == [
        "fdr-production-replication-us-west-2"
    ]
    assert [s for s in development.templates if "-replication-" in s] == [
        "fdr-development-replication-us-east-1"
    ]
    # the bucket it reads sends its events to EventBridge; the others do not
    for region in production.config.regions:
        bucket = next(
            r
            for r in _resources(production.template("storage", region), "AWS::S3::Bucket").values()
            if "BucketEncryption" in r["Properties"]
            and "KMS" in json.dumps(r["Properties"]["BucketEncryption"])
        )
        events_on = "EventBridgeConfiguration" in json.dumps(bucket["Properties"])
        assert events_on is (region == "us-west-2"), region


def test_role_is_named_and_least_privilege(production: SynthesizedEnvironment) -> None:
    template = production.template("replication", "us-west-2")
    roles = {
        r["Properties"].get("RoleName"): r for r in _resources(template, "AWS::IAM::Role").values()
    }
    assert "fdr-production-object-replicator-us-west-2" in roles
    policies = _resources(template, "AWS::IAM::ManagedPolicy")
    statements = {
        s["Sid"]: s
        for p in policies.values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    }
    bucket = "fdr-production-data-333333333333-us-west-2"
    assert statements["ReadSourceObjects"]["Resource"] == f"arn:aws:s3:::{bucket}/*"
    assert statements["ListSource"]["Resource"] == f"arn:aws:s3:::{bucket}"
    assert set(statements["ReadSourceObjects"]["Action"]) == {"s3:GetObject", "s3:GetObjectVersion"}
    kms = statements["DecryptSourceThroughS3"]
    assert kms["Action"] == "kms:Decrypt"
    assert kms["Condition"]["StringEquals"]["kms:ViaService"] == "s3.us-west-2.amazonaws.com"
    assert kms["Condition"]["ForAnyValue:StringEquals"]["kms:ResourceAliases"] == [
        "alias/fdr-production-storage"
    ]
    sts = statements["AwsWebIdentityTokenForAzure"]
    assert sts["Action"] == "sts:GetWebIdentityToken"
    assert sts["Condition"] == {
        "ForAllValues:StringEquals": {"sts:IdentityTokenAudience": ["api://AzureADTokenExchange"]},
        "StringEquals": {"sts:SigningAlgorithm": "RS256"},
        "NumericLessThanEquals": {"sts:DurationSeconds": 300},
    }
    for statement in statements.values():
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        assert not [a for a in actions if "*" in a]
        assert not {"s3:PutObject", "s3:DeleteObject"} & set(actions)
    # no secret anywhere: the only Azure values are identifiers
    dumped = json.dumps(template).lower()
    assert "client_secret" not in dumped and "accountkey" not in dumped


def test_events_flow_from_the_bucket_through_a_queue(production: SynthesizedEnvironment) -> None:
    template = production.template("replication", "us-west-2")
    rule = _one(template, "AWS::Events::Rule")
    assert rule["EventPattern"] == {
        "source": ["aws.s3"],
        "detail-type": ["Object Created", "Object Deleted"],
        "detail": {"bucket": {"name": ["fdr-production-data-333333333333-us-west-2"]}},
    }
    (target,) = rule["Targets"]
    assert "DeadLetterConfig" in target
    mapping = _one(template, "AWS::Lambda::EventSourceMapping")
    cfg = production.config.object_replication
    assert mapping["BatchSize"] == cfg.event_batch_size
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": cfg.event_concurrency}
    queues = _resources(template, "AWS::SQS::Queue")
    main = next(q["Properties"] for q in queues.values() if "RedrivePolicy" in q["Properties"])
    assert main["RedrivePolicy"]["maxReceiveCount"] == cfg.max_receive_count
    assert main["VisibilityTimeout"] >= cfg.timeout_seconds
    assert all("KmsMasterKeyId" in q["Properties"] for q in queues.values())


def test_reconciliation_is_scheduled_and_alone(production: SynthesizedEnvironment) -> None:
    template = production.template("replication", "us-west-2")
    (schedule,) = (
        s["Properties"]
        for s in _resources(template, "AWS::Scheduler::Schedule").values()
        if s["Properties"]["Name"].endswith("-reconcile")
    )
    assert schedule["ScheduleExpression"] == production.config.object_replication.reconcile_schedule
    assert "DeadLetterConfig" in schedule["Target"]
    functions = {
        f["Properties"]["FunctionName"]: f["Properties"]
        for f in _resources(template, "AWS::Lambda::Function").values()
    }
    reconcile = functions["fdr-production-replication-reconcile"]
    assert reconcile["ReservedConcurrentExecutions"] == 1
    assert reconcile["Handler"] == "object_replication.reconcile.handler"
    assert functions["fdr-production-replication-objects"]["Handler"] == (
        "object_replication.events.handler"
    )


def test_lag_alarm_at_the_objects_rpo_reaches_the_alert_topic(
    production: SynthesizedEnvironment,
) -> None:
    template = production.template("replication", "us-west-2")
    alarms = _resources(template, "AWS::CloudWatch::Alarm")
    lag_id, lag = next((k, a["Properties"]) for k, a in alarms.items() if k.startswith("LagAlarm"))
    rpo = production.config.object_replication.rpo_minutes
    assert lag["MetricName"] == "ReplicationLagSeconds"
    assert lag["Namespace"] == "FDR/Replication"
    assert lag["Dimensions"] == [{"Name": "DataSet", "Value": "objects"}]
    assert lag["Threshold"] == rpo * 60 and lag["Period"] == rpo * 60
    assert lag["TreatMissingData"] == "breaching"
    composites = _resources(
        production.template("monitoring", "us-west-2"), "AWS::CloudWatch::CompositeAlarm"
    )
    rules = {
        c["Properties"]["AlarmName"]: json.dumps(c["Properties"]["AlarmRule"])
        for c in composites.values()
    }
    unhealthy = rules["fdr-production-us-west-2-region-unhealthy"]
    assert "fdr-production-replication-us-west-2" in unhealthy and lag_id in unhealthy
    failing = rules["fdr-production-us-west-2-backup-jobs-failing"]
    for alarm_id in alarms:
        if alarm_id.startswith("DatabaseDumpAgeAlarm"):  # a recovery point, like the lag
            assert alarm_id in unhealthy
        elif not alarm_id.startswith("LagAlarm"):
            assert alarm_id in failing, alarm_id


def test_dashboard_shows_the_lag_against_the_objects_rpo(
    production: SynthesizedEnvironment,
) -> None:
    templates = production.template("monitoring", "us-west-2")
    (board,) = _resources(templates, "AWS::CloudWatch::Dashboard").values()
    body = json.dumps(board["Properties"]["DashboardBody"])
    assert "Oldest object not yet in Azure" in body
    rpo = production.config.object_replication.rpo_minutes * 60
    assert f'\\"value\\":{rpo},\\"label\\":\\"objects RPO\\"' in body
