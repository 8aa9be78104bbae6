"""Both sides of the object replication links: the lag metric the reconcile function emits and
the alarm on it; the settings the stack writes and the engine reads; the storage account name in
config and the one the footprint creates; the bucket the rule listens to and the bucket that
sends events."""

from __future__ import annotations

import json
from importlib import import_module
from typing import Any

import pytest
from object_replication import runtime
from object_replication.engine import Report
from object_replication.settings import ReplicationSettings

from azure_dr.footprint import build_footprint
from infra.config import load_config
from tests.synth import ENVIRONMENTS, SynthesizedEnvironment


def _resources(template: dict[str, Any], kind: str) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def _emitted(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    runtime.metrics.clear_metrics()
    runtime.publish(Report(lag_seconds=42.0, behind=3), "FDR/Replication", lag=True)
    runtime.metrics.flush_metrics()
    (line,) = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith('{"_aws"')]
    return dict(json.loads(line))


def test_lag_alarm_watches_exactly_what_reconcile_emits(
    development: SynthesizedEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    emf = _emitted(capsys)
    (directive,) = emf["_aws"]["CloudWatchMetrics"]
    (dimension_set,) = directive["Dimensions"]
    emitted_names = {m["Name"] for m in directive["Metrics"]}
    alarms = _resources(development.template("replication", "us-east-1"), "AWS::CloudWatch::Alarm")
    lag = next(a["Properties"] for k, a in alarms.items() if k.startswith("LagAlarm"))
    assert lag["Namespace"] == directive["Namespace"]
    assert lag["MetricName"] in emitted_names
    alarm_dimensions = {d["Name"]: d["Value"] for d in lag["Dimensions"]}
    assert set(alarm_dimensions) == set(dimension_set), "alarm and EMF dimension sets differ"
    assert all(emf[name] == value for name, value in alarm_dimensions.items())


def test_function_settings_are_what_the_engine_reads(any_env: SynthesizedEnvironment) -> None:
    region = any_env.config.replication_region
    functions = _resources(any_env.template("replication", region), "AWS::Lambda::Function")
    for function in functions.values():
        props = function["Properties"]
        raw = json.loads(props["Environment"]["Variables"]["REPLICATION_SETTINGS"])
        settings = ReplicationSettings.from_mapping(raw)  # unknown or missing keys raise
        assert settings.source_bucket == any_env.stacks.names.data_bucket(
            any_env.config.account, region
        )
        module, _, attribute = props["Handler"].rpartition(".")
        assert callable(getattr(import_module(module), attribute))


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_configured_storage_account_is_the_one_the_footprint_creates(env: str) -> None:
    config = load_config(env, environ={})
    footprint = build_footprint(config)
    assert config.object_replication.storage_account == footprint.names.storage_account
    containers = [
        r["name"].rsplit("/", 1)[-1]
        for r in footprint.template["resources"]
        if r["type"] == "Microsoft.Storage/storageAccounts/blobServices/containers"
    ]
    assert config.object_replication.container in containers


def test_rule_listens_to_the_bucket_that_sends_events(any_env: SynthesizedEnvironment) -> None:
    region = any_env.config.replication_region
    (rule,) = _resources(any_env.template("replication", region), "AWS::Events::Rule").values()
    (listened,) = rule["Properties"]["EventPattern"]["detail"]["bucket"]["name"]
    sending = [
        b["Properties"]["BucketName"]
        for b in _resources(any_env.template("storage", region), "AWS::S3::Bucket").values()
        if b["Properties"].get("NotificationConfiguration", {}).get("EventBridgeConfiguration")
    ]
    assert sending == [listened]


def test_federated_credential_trusts_the_replicator_role(any_env: SynthesizedEnvironment) -> None:
    """The Azure side (``azure.identity.replicator``, from the footprint's branch) must trust the
    role the functions run under: the token's subject is that role's ARN, its audience ours."""
    identity = getattr(any_env.config.azure, "identity", None)
    if identity is None:
        pytest.skip("azure.identity.replicator (the footprint's federated credential) not here")
    region = any_env.config.replication_region
    roles = _resources(any_env.template("replication", region), "AWS::IAM::Role")
    (role_name,) = [
        r["Properties"]["RoleName"] for r in roles.values() if "RoleName" in r["Properties"]
    ]
    assert identity.replicator.subject == f"arn:aws:iam::{any_env.config.account}:role/{role_name}"
    assert identity.replicator.audience == any_env.config.object_replication.token_audience
