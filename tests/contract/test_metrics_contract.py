"""Alarm <-> emitter: every CloudWatch alarm on a custom namespace, in every synthesized template,
selects a metric that a backup job or the object replication really emits: same namespace,
metric name, exact dimension set and dimension values. The jobs run in-process against moto, in
the order the schedules run them, each with exactly the environment variables its template gives
it (so Powertools sees the deployed POWERTOOLS_SERVICE_NAME); their embedded-metric-format lines
are read from stdout.

Continuous mode's lag probe (no config/*.yaml turns it on yet) is held to its alarms in a
continuous-mode variant (tests/continuous_mode.py): the probe runs against the session's real
publisher/subscriber pair (tests/database/conftest.py) with the settings its template gives it."""

from __future__ import annotations

import importlib
import json
import sys
from datetime import UTC, datetime
from typing import Any

import pytest
from moto import mock_aws
from object_replication import runtime as replication_runtime
from object_replication.engine import Report
from object_replication.settings import ReplicationSettings
from replication_lag import probe as lag_probe
from replication_lag.probe import ProbeSettings

from azure_dr.database import logical
from azure_dr.database.pg import Dsn, psql
from tests.continuous_mode import continuous
from tests.contract.deployed_jobs import (
    LambdaContext,
    build_world,
    deployed_environment,
    deployed_jobs,
    emitted_metrics,
)
from tests.database.conftest import clusters, new_database  # noqa: F401  (the session's pair)
from tests.database.postgres import Cluster
from tests.stacks.template_queries import resources
from tests.synth import SynthesizedEnvironment

LAG_SETTINGS = "LAG_PROBE_SETTINGS"

# Namespaces that AWS software publishes, not our code: nothing of ours can emit into them.
PUBLISHED_BY_AWS = {
    "ContainerInsights": "the CloudWatch agent of the amazon-cloudwatch-observability add-on",
}
RUN_ORDER = ("snapshot", "copy", "verify", "prune", "promote")

Alarmed = tuple[str, str, str, frozenset[str], dict[str, str]]


def _events(settings: Any) -> dict[str, dict[str, Any]]:
    return {
        "snapshot": {"scheduled_time": datetime.now(UTC).isoformat()},
        "copy": {},
        "verify": {},
        "prune": {},
        "promote": {"confirm": settings.standby_database_id, "reason": "contract test"},
    }


def custom_alarms(env: SynthesizedEnvironment) -> list[Alarmed]:
    """(alarm, namespace, metric, dimension names, dimension values) of every alarm whose
    namespace is not AWS/..., including metric-math alarms' MetricStat parts."""
    return alarms_in(env.templates)


def alarms_in(templates: dict[str, dict[str, Any]]) -> list[Alarmed]:
    found = []
    for stack_id, template in templates.items():
        for logical_id, alarm in resources(template, "AWS::CloudWatch::Alarm").items():
            props = alarm["Properties"]
            metrics = [props] if "MetricName" in props else []
            metrics += [
                m["MetricStat"]["Metric"] for m in props.get("Metrics", []) if "MetricStat" in m
            ]
            for metric in metrics:
                namespace = metric["Namespace"]
                if namespace.startswith("AWS/") or namespace in PUBLISHED_BY_AWS:
                    continue
                dimensions = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
                found.append(
                    (
                        f"{stack_id}/{logical_id}",
                        namespace,
                        metric["MetricName"],
                        frozenset(dimensions),
                        dimensions,
                    )
                )
    return found


@pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")
def _run_every_job(env: SynthesizedEnvironment, capsys: pytest.CaptureFixture[str]) -> list[Any]:
    jobs = sorted(deployed_jobs(env), key=lambda j: RUN_ORDER.index(j.job))
    assert {j.job for j in jobs} >= {"snapshot", "copy", "prune", "verify"}
    emitted = []
    with mock_aws():
        build_world(jobs[0].settings)
        capsys.readouterr()
        for job in jobs:
            with deployed_environment(job) as module:
                module.handler(_events(job.settings)[job.job], LambdaContext())
            emitted += [(job.job, *m) for m in emitted_metrics(capsys.readouterr().out)]
    return emitted


def _run_object_replication(
    env: SynthesizedEnvironment, capsys: pytest.CaptureFixture[str]
) -> list[Any]:
    """The metrics each object replication function publishes, with the environment variables
    its template gives it (Powertools reads them when the module is imported)."""
    template = env.template("replication", env.config.replication_region)
    emitted = []
    for function in resources(template, "AWS::Lambda::Function").values():
        variables = function["Properties"]["Environment"]["Variables"]
        settings = ReplicationSettings.from_mapping(json.loads(variables["REPLICATION_SETTINGS"]))
        # Reload inside the deployed environment, then put the module's objects back exactly
        # as they were: other tests hold references to them.
        before = dict(vars(replication_runtime))
        try:
            with pytest.MonkeyPatch.context() as patch:
                for name, value in variables.items():
                    patch.setenv(name, value)
                module = importlib.reload(replication_runtime)
                capsys.readouterr()
                module.metrics.clear_metrics()
                module.publish(
                    Report(lag_seconds=42.0, behind=3), settings.metric_namespace, lag=True
                )
                module.metrics.flush_metrics()
                out = capsys.readouterr().out
        finally:
            vars(replication_runtime).clear()
            vars(replication_runtime).update(before)
        emitted += [("object-replication", *m) for m in emitted_metrics(out)]
    return emitted


def _run_dump_job(env: SynthesizedEnvironment) -> list[Any]:
    """The dump task's EMF line, with the namespace its task definition gives it."""
    import io

    from azure_dr.database import job
    from tests.contract.test_database_dump_contract import dump_task_settings

    settings = dump_task_settings(env)
    if settings is None:
        return []
    out = io.StringIO()
    job.emf(settings["metric_namespace"], {job.AGE_METRIC: 42.0}, out)
    return [("database-dump", *m) for m in emitted_metrics(out.getvalue())]


@pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")
def test_every_custom_alarm_selects_an_emitted_metric(
    any_env: SynthesizedEnvironment, capsys: pytest.CaptureFixture[str]
):
    alarms = custom_alarms(any_env)
    assert alarms, "no alarm on a custom namespace: nothing to hold the jobs to"
    emitted = (
        _run_every_job(any_env, capsys)
        + _run_object_replication(any_env, capsys)
        + _run_dump_job(any_env)
    )
    assert emitted, "the jobs printed no embedded-metric-format line"
    assert_selected(alarms, emitted)


def assert_selected(alarms: list[Alarmed], emitted: list[Any]) -> None:
    """Every alarm selects a metric some emitter printed: same namespace, name, exact dimension
    set and values."""
    for alarm, namespace, name, dimension_names, values in alarms:
        same_metric = [e for e in emitted if (e[1], e[2]) == (namespace, name)]
        assert same_metric, f"{alarm}: no job emits {namespace} {name}"
        same_set = [e for e in same_metric if e[3] == dimension_names]
        assert same_set, (
            f"{alarm}: alarms on {namespace} {name} with dimensions {sorted(dimension_names)}, "
            f"but the jobs emit it with {sorted({tuple(sorted(e[3])) for e in same_metric})}: "
            "the alarm would never receive a data point"
        )
        assert any(e[4] == values for e in same_set), (
            f"{alarm}: no emitted {name} carries the dimension values {values} "
            f"(emitted: {[e[4] for e in same_set]})"
        )


def test_namespaces_published_by_aws_are_not_ours(any_env: SynthesizedEnvironment):
    namespaces = {
        j.variables.get("POWERTOOLS_METRICS_NAMESPACE") for j in deployed_jobs(any_env)
    } | {j.settings.metric_namespace for j in deployed_jobs(any_env)}
    assert not namespaces & set(PUBLISHED_BY_AWS)


def _deployed_settings(function: dict[str, Any]) -> dict[str, Any]:
    """The function's LAG_PROBE_SETTINGS with its deploy-time parts (the endpoint, a stack
    output) replaced by a placeholder: what the template fixes is everything else."""
    value = function["Properties"]["Environment"]["Variables"][LAG_SETTINGS]
    if isinstance(value, dict):
        parts = value["Fn::Join"][1]
        value = "".join(p if isinstance(p, str) else "deploy-time" for p in parts)
    return dict(json.loads(value))


def test_lag_alarms_select_what_the_probe_emits(
    clusters: tuple[Cluster, Cluster],  # noqa: F811  (the fixture imported above)
    capsys: pytest.CaptureFixture[str],
):
    variant = continuous("production", overrides=True)
    template = variant.template("monitoring", variant.config.primary_region)
    alarms = [a for a in alarms_in({"monitoring": template}) if a[1] != "FDR/Backup"]
    assert {a[2] for a in alarms} == {"ReplicationLagSeconds", "ReplicationSlotMissing"}
    (function,) = [
        f
        for f in resources(template, "AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == "replication_lag.probe.handler"
    ]
    deployed = _deployed_settings(function)
    assert deployed["user"] == variant.config.database_replication.monitor_user

    rds, azure = clusters
    source, target = new_database(rds), new_database(azure)
    logical.setup(
        publisher_dsn=source,
        subscriber_dsn=target,
        replication_dsn=source,
        monitor_user=deployed["user"],
    )
    try:
        psql(Dsn.parse(source), f"ALTER ROLE {deployed['user']} PASSWORD 'contract'")
        assert rds.cafile
        settings = ProbeSettings.from_mapping(
            {
                **deployed,
                "host": "localhost",
                "address": "127.0.0.1",
                "port": rds.port,
                "database": Dsn.parse(source).database,
                "cafile": rds.cafile,
            }
        )
        capsys.readouterr()
        lag_probe.probe(settings, "contract", sys.stdout)
        emitted = [("replication-lag", *m) for m in emitted_metrics(capsys.readouterr().out)]
    finally:
        logical.teardown(publisher_dsn=source, subscriber_dsn=target)
    assert emitted, "the probe printed no embedded-metric-format line"
    assert_selected(alarms, emitted)
