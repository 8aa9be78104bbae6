"""Plan executions read through the ``arc-region-switch`` client: find the plan, start an
execution, follow it to the end, summarise steps and totals. The client is passed in (a botocore
Stubber in tests); nothing here reads configuration or credentials."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

FINISHED = frozenset(
    {
        "completed",
        "completedWithExceptions",
        "completedMonitoringApplicationHealth",
        "canceled",
        "planExecutionTimedOut",
        "failed",
    }
)
# A paused execution waits for a person (retry the failed step, or resume): the drill stops
# following and says so.
PAUSED = frozenset({"pausedByFailedStep", "pausedByOperator"})
SUCCEEDED = frozenset({"completed", "completedMonitoringApplicationHealth"})
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


class DrillError(RuntimeError):
    """A problem phrased for the operator (one line)."""


@dataclass(frozen=True)
class StepTiming:
    name: str
    status: str
    started: str | None
    ended: str | None
    seconds: float | None


@dataclass(frozen=True)
class ExecutionSummary:
    execution_id: str
    state: str
    mode: str
    action: str
    region: str
    started: str
    ended: str | None
    total_seconds: float | None
    objective_minutes: int | None
    steps: list[StepTiming] = field(default_factory=list)
    comment: str = ""

    @property
    def met_objective(self) -> bool | None:
        if self.total_seconds is None or self.objective_minutes is None:
            return None
        return self.state in SUCCEEDED and self.total_seconds <= self.objective_minutes * 60

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "met_objective": self.met_objective}


def iso_duration_seconds(value: str) -> float | None:
    """Seconds of an ISO-8601 duration such as ``PT12M3S`` (Region switch's actualRecoveryTime)."""
    match = _DURATION.match(value or "")
    if not match or not any(match.groups()):
        return None
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return days * 86400 + hours * 3600 + minutes * 60 + seconds


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def find_plan(client: Any, plan_name: str) -> dict[str, Any]:
    """The plan called ``plan_name`` as the client's region sees it (data-plane listing, so a
    drill does not depend on the control plane's region)."""
    for page in client.get_paginator("list_plans_in_region").paginate():
        for plan in page.get("plans", []):
            if plan["name"] == plan_name:
                return dict(plan)
    raise DrillError(
        f"no Region switch plan named {plan_name!r} in {client.meta.region_name}: deploy the "
        "environment's region-switch stack first"
    )


def start(
    client: Any, plan_arn: str, *, target_region: str, mode: str, comment: str, token: str
) -> str:
    found = client.start_plan_execution(
        planArn=plan_arn,
        targetRegion=target_region,
        action="activate",
        mode=mode,
        comment=comment,
        clientToken=token,
    )
    return str(found["executionId"])


def read(client: Any, plan_arn: str, execution_id: str) -> dict[str, Any]:
    """One execution with every step state (GetPlanExecution pages its stepStates)."""
    execution: dict[str, Any] = {}
    steps: list[dict[str, Any]] = []
    paginator = client.get_paginator("get_plan_execution")
    for page in paginator.paginate(planArn=plan_arn, executionId=execution_id):
        execution = execution or dict(page)
        steps += page.get("stepStates", [])
    execution["stepStates"] = steps
    return execution


def summarize(execution: dict[str, Any]) -> ExecutionSummary:
    steps = []
    for state in execution.get("stepStates", []):
        start_, end = state.get("startTime"), state.get("endTime")
        steps.append(
            StepTiming(
                name=state.get("name", "?"),
                status=state.get("status", "?"),
                started=_iso(start_),
                ended=_iso(end),
                seconds=(end - start_).total_seconds() if start_ and end else None,
            )
        )
    started, ended = execution["startTime"], execution.get("endTime")
    total = iso_duration_seconds(execution.get("actualRecoveryTime", ""))
    if total is None and ended:
        total = (ended - started).total_seconds()
    return ExecutionSummary(
        execution_id=execution["executionId"],
        state=execution["executionState"],
        mode=execution["mode"],
        action=execution["executionAction"],
        region=execution["executionRegion"],
        started=started.isoformat(),
        ended=_iso(ended),
        total_seconds=total,
        objective_minutes=(execution.get("plan") or {}).get("recoveryTimeObjectiveMinutes"),
        steps=steps,
        comment=execution.get("comment", ""),
    )


def follow(
    client: Any,
    plan_arn: str,
    execution_id: str,
    *,
    poll_seconds: float,
    max_wait_seconds: float,
    on_change: Callable[[ExecutionSummary], None] = lambda summary: None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> ExecutionSummary:
    """Poll until the execution finishes or pauses, calling ``on_change`` whenever its state or
    a step's status changes; DrillError after ``max_wait_seconds``."""
    deadline = clock() + max_wait_seconds
    seen: tuple[str, ...] = ()
    while True:
        summary = summarize(read(client, plan_arn, execution_id))
        current = (summary.state, *(f"{s.name}={s.status}" for s in summary.steps))
        if current != seen:
            seen = current
            on_change(summary)
        if summary.state in FINISHED or summary.state in PAUSED:
            return summary
        if clock() + poll_seconds > deadline:
            raise DrillError(
                f"execution {execution_id} is still {summary.state} after "
                f"{max_wait_seconds / 60:g} min; it keeps running: `make drill-report` reads it "
                "back later"
            )
        sleep(poll_seconds)


def recent(client: Any, plan_arn: str, limit: int) -> list[ExecutionSummary]:
    """The newest ``limit`` executions of the plan, newest first, with their step timings."""
    found: list[dict[str, Any]] = []
    for page in client.get_paginator("list_plan_executions").paginate(planArn=plan_arn):
        found += page.get("items", [])
    found.sort(key=lambda e: e["startTime"], reverse=True)
    return [summarize(read(client, plan_arn, e["executionId"])) for e in found[:limit]]
