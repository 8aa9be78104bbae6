"""Both sides of the dump job's links: the settings the task definition passes and the ones
the job reads (azure_dr/database/job.py JobSettings); the metric and dimension set the job
emits and the ones the stack's alarm selects; the Dockerfile's entry point and the module."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from azure_dr.database import job
from tests.synth import SynthesizedEnvironment

ROOT = Path(__file__).resolve().parents[2]


def _flatten(value: Any) -> str:
    """The JSON text of a CloudFormation value; intrinsic parts (GetAtt, imports) become "1"."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        sep, parts = value["Fn::Join"]
        return sep.join(_flatten(p) for p in parts)
    return "1"


def dump_task_settings(env: SynthesizedEnvironment) -> dict[str, Any] | None:
    template = env.template("replication", env.config.replication_region)
    tasks = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::ECS::TaskDefinition"
    ]
    if not tasks:
        return None
    (container,) = tasks[0]["ContainerDefinitions"]
    variables = {e["Name"]: e["Value"] for e in container["Environment"]}
    return dict(json.loads(_flatten(variables[job.SETTINGS_VARIABLE])))


def _task_settings(env: SynthesizedEnvironment) -> dict[str, Any]:
    settings = dump_task_settings(env)
    assert settings is not None, f"{env.config.name}: no dump task"
    return settings


@pytest.mark.parametrize("env_name", ["production", "staging"])
def test_the_task_passes_every_setting_the_job_reads(
    env_name: str, request: pytest.FixtureRequest
) -> None:
    env: SynthesizedEnvironment = request.getfixturevalue(env_name)
    raw = _task_settings(env)
    job.JobSettings.from_mapping(raw)  # unknown or missing keys raise
    assert raw["metric_namespace"] == "FDR/Replication"
    assert "sslmode" not in raw  # TLS required in AWS (the code default), never relaxed


def test_the_alarm_selects_what_the_job_emits(production: SynthesizedEnvironment) -> None:
    template = production.template("replication", production.config.replication_region)
    alarms = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
        and r["Properties"].get("MetricName") == job.AGE_METRIC
    ]
    assert len(alarms) == 1, "the dump age alarm selects a metric the job does not emit"
    (alarm,) = alarms
    assert alarm["Namespace"] == _task_settings(production)["metric_namespace"]
    assert {d["Name"]: d["Value"] for d in alarm["Dimensions"]} == job.DIMENSIONS


def test_the_image_runs_the_job_module() -> None:
    dockerfile = (ROOT / "images/database-dump/Dockerfile").read_text()
    (entry,) = re.findall(r'^ENTRYPOINT \["python", "-m", "([\w.]+)"\]', dockerfile, re.M)
    assert entry == job.__name__
    for source, _ in re.findall(r"^COPY (\S+) (\S+)$", dockerfile, re.M):
        assert (ROOT / source).exists(), source
