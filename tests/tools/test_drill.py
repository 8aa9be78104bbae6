"""The drill tool's follow and report logic against a botocore Stubber of the real
``arc-region-switch`` client (moto has no Region switch), and its one-line refusals."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from tools.drill import cli
from tools.drill.executions import (
    DrillError,
    find_plan,
    follow,
    iso_duration_seconds,
    recent,
    summarize,
)

PLAN_ARN = "arn:aws:arc-region-switch::222222222222:plan/fdr-staging-dr:a1b2c3"
T0 = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
STEPS = [
    "approve",
    "promote-database",
    "app-configuration",
    "scale-workloads",
    "move-dns",
    "verify",
]


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def execution(state: str, done: int, *, end: float | None = None, **extra: Any) -> dict[str, Any]:
    """An execution whose first ``done`` steps completed, each taking two minutes."""
    states = []
    for i, name in enumerate(STEPS):
        if i < done:
            states.append(
                {
                    "name": name,
                    "status": "completed",
                    "startTime": at(3 * i),
                    "endTime": at(3 * i + 2),
                }
            )
        elif i == done and state == "inProgress":
            states.append({"name": name, "status": "running", "startTime": at(3 * i)})
        else:
            states.append({"name": name, "status": "notStarted"})
    body: dict[str, Any] = {
        "planArn": PLAN_ARN,
        "executionId": "exec-1",
        "startTime": T0,
        "mode": "graceful",
        "executionState": state,
        "executionAction": "activate",
        "executionRegion": "us-west-2",
        "stepStates": states,
        "plan": {
            "arn": PLAN_ARN,
            "name": "fdr-staging-dr",
            "owner": "222222222222",
            "regions": ["us-east-1", "us-west-2"],
            "recoveryApproach": "activePassive",
            "executionRole": "arn:aws:iam::222222222222:role/fdr-staging-region-switch",
            "workflows": [],
            "recoveryTimeObjectiveMinutes": 20,
        },
        **extra,
    }
    if end is not None:
        body["endTime"] = at(end)
    return body


def client_with(responses: list[tuple[str, dict[str, Any]]]) -> tuple[Any, Stubber]:
    client = boto3.client(
        "arc-region-switch",
        region_name="us-west-2",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    stubber = Stubber(client)
    for operation, response in responses:
        stubber.add_response(operation, response)
    stubber.activate()
    return client, stubber


PLAN_LIST = (
    "list_plans_in_region",
    {
        "plans": [
            {
                "arn": PLAN_ARN.replace("fdr-staging-dr", "other"),
                "owner": "222222222222",
                "name": "other",
                "regions": ["us-east-1", "us-west-2"],
                "recoveryApproach": "activePassive",
            },
            {
                "arn": PLAN_ARN,
                "owner": "222222222222",
                "name": "fdr-staging-dr",
                "regions": ["us-east-1", "us-west-2"],
                "recoveryApproach": "activePassive",
            },
        ]
    },
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("PT12M3S", 723), ("PT1H", 3600), ("P1DT2M", 86520), ("PT0.5S", 0.5), ("", None), ("P", None)],
)
def test_iso_durations(text, seconds):
    assert iso_duration_seconds(text) == seconds


def test_summary_has_each_steps_duration_and_the_total_against_the_objective():
    summary = summarize(execution("completed", len(STEPS), end=17, actualRecoveryTime="PT16M30S"))
    assert [s.seconds for s in summary.steps] == [120.0] * len(STEPS)
    assert summary.total_seconds == 990 and summary.objective_minutes == 20
    assert summary.met_objective is True
    slow = summarize(execution("completed", len(STEPS), end=25))
    assert slow.total_seconds == 1500 and slow.met_objective is False
    failed = summarize(execution("failed", 2, end=7))
    assert failed.met_objective is False


def test_follow_reports_changes_until_the_execution_finishes():
    client, stubber = client_with(
        [
            ("get_plan_execution", execution("inProgress", 1)),
            ("get_plan_execution", execution("inProgress", 1)),  # no change: not reported
            ("get_plan_execution", execution("inProgress", 4)),
            ("get_plan_execution", execution("completed", len(STEPS), end=18)),
        ]
    )
    seen, slept = [], []
    summary = follow(
        client,
        PLAN_ARN,
        "exec-1",
        poll_seconds=15,
        max_wait_seconds=3600,
        on_change=seen.append,
        sleep=slept.append,
        clock=lambda: 0.0,
    )
    assert summary.state == "completed" and summary.total_seconds == 18 * 60
    assert [s.state for s in seen] == ["inProgress", "inProgress", "completed"]
    assert slept == [15, 15, 15]
    stubber.assert_no_pending_responses()


def test_follow_stops_at_a_paused_execution_and_at_the_wait_limit():
    client, _ = client_with([("get_plan_execution", execution("pausedByFailedStep", 1))])
    paused = follow(
        client, PLAN_ARN, "exec-1", poll_seconds=1, max_wait_seconds=60, sleep=lambda s: None
    )
    assert paused.state == "pausedByFailedStep"
    client, _ = client_with([("get_plan_execution", execution("inProgress", 1))])
    with pytest.raises(DrillError, match=r"still inProgress after 0\.5 min; it keeps running"):
        follow(client, PLAN_ARN, "exec-1", poll_seconds=60, max_wait_seconds=30, clock=lambda: 0.0)


def test_follow_reads_every_page_of_step_states():
    first = execution("completed", len(STEPS), end=18)
    second = dict(first)
    first = {**first, "stepStates": first["stepStates"][:3], "nextToken": "page-2"}
    second = {**second, "stepStates": second["stepStates"][3:]}
    client, _ = client_with([("get_plan_execution", first), ("get_plan_execution", second)])
    summary = follow(client, PLAN_ARN, "exec-1", poll_seconds=1, max_wait_seconds=60)
    assert [s.name for s in summary.steps] == STEPS


def test_find_plan_by_name_or_one_clear_error():
    client, _ = client_with([PLAN_LIST, PLAN_LIST])
    assert find_plan(client, "fdr-staging-dr")["arn"] == PLAN_ARN
    with pytest.raises(DrillError, match="no Region switch plan named 'fdr-x-dr' in us-west-2"):
        find_plan(client, "fdr-x-dr")


def test_report_reads_the_newest_executions_back():
    listed = {
        "items": [
            {
                k: v
                for k, v in execution("completed", 6, end=18).items()
                if k not in ("stepStates", "plan")
            },
            {
                **{
                    k: v
                    for k, v in execution("failed", 2, end=7).items()
                    if k not in ("stepStates", "plan")
                },
                "executionId": "exec-2",
                "startTime": at(60),
            },
        ]
    }
    client, _ = client_with(
        [
            ("list_plan_executions", listed),
            (
                "get_plan_execution",
                {**execution("failed", 2, end=67), "executionId": "exec-2", "startTime": at(60)},
            ),
        ]
    )
    (newest,) = recent(client, PLAN_ARN, limit=1)
    assert newest.execution_id == "exec-2" and newest.state == "failed"


def test_make_drill_starts_a_switchover_and_prints_text_and_json(monkeypatch):
    client, stubber = client_with([])
    stubber.add_response(*PLAN_LIST)
    stubber.add_response(
        "start_plan_execution",
        {"executionId": "exec-1"},
        {
            "planArn": PLAN_ARN,
            "targetRegion": "us-west-2",
            "action": "activate",
            "mode": "graceful",
            "comment": "drill via make drill (graceful)",
            "clientToken": ANY,
        },
    )
    stubber.add_response("get_plan_execution", execution("completed", len(STEPS), end=18))
    out, err = io.StringIO(), io.StringIO()
    assert cli.main(["start", "--env", "staging"], out=out, err=err, client=client) == 0
    text = out.getvalue()
    assert "promote-database" in text and "2m00s" in text
    assert "18m00s  (measured)  objective 20 min: met" in text
    assert "(estimate from config, `make rto`)" in text

    client, _ = client_with(
        [PLAN_LIST, ("start_plan_execution", {"executionId": "exec-1"}),
         ("get_plan_execution", execution("completed", len(STEPS), end=25))]
    )  # fmt: skip
    out = io.StringIO()
    assert cli.main(["start", "--env", "staging", "--output", "json"], out=out, client=client) == 1
    report = json.loads(out.getvalue())
    (result,) = report["executions"]
    assert result["total_seconds"] == 1500 and result["met_objective"] is False
    assert [s["seconds"] for s in result["steps"]] == [120.0] * len(STEPS)
    assert report["budget_estimate_minutes"] == 18.0


def test_without_credentials_the_drill_explains_what_it_needs_in_one_line(monkeypatch, tmp_path):
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    err = io.StringIO()
    assert cli.main(["report", "--env", "staging"], err=err) == 2
    message = err.getvalue().strip()
    assert "\n" not in message
    assert message.startswith("drill: no AWS credentials found: set AWS_PROFILE")
    assert (
        "222222222222" in message
        and "StartPlanExecution" in message
        and "fdr-staging-dr" in message
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["start", "--env", "development"], "development has no standby region"),
        (["start", "--env", "nowhere"], "unknown environment 'nowhere'"),
        (["start", "--env", "staging", "--to", "eu-west-1"], "--to eu-west-1 is not a plan region"),
    ],
)
def test_nothing_starts_on_bad_input(argv, message):
    err = io.StringIO()
    assert cli.main(argv, err=err, client=object()) == 2
    assert message in err.getvalue() and err.getvalue().count("\n") == 1
