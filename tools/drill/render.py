"""Text and JSON views of drill results, the measured total next to the estimated budget."""

from __future__ import annotations

import json

from infra.recovery.budget import RtoBudget
from tools.drill.executions import ExecutionSummary


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s"


def text(summary: ExecutionSummary, budget: RtoBudget | None) -> str:
    rows = [
        f"execution {summary.execution_id}: {summary.action} {summary.region} "
        f"({summary.mode}), {summary.state}, started {summary.started}"
    ]
    width = max([len(s.name) for s in summary.steps] + [5])
    rows += [
        f"  {s.name:<{width}}  {s.status:<15} {_duration(s.seconds):>8}" for s in summary.steps
    ]
    objective = summary.objective_minutes
    verdict = {True: "met", False: "MISSED", None: "not measured"}[summary.met_objective]
    total = f"  {'total':<{width}}  {'':<15} {_duration(summary.total_seconds):>8}  (measured)"
    if objective is not None:
        total += f"  objective {objective} min: {verdict}"
    rows.append(total)
    if budget is not None:
        rows.append(
            f"  {'budget':<{width}}  {'':<15} {_duration(budget.total_minutes * 60):>8}  "
            "(estimate from config, `make rto`)"
        )
    return "\n".join(rows)


def as_json(summaries: list[ExecutionSummary], budget: RtoBudget | None) -> str:
    return json.dumps(
        {
            "executions": [s.as_dict() for s in summaries],
            "budget_estimate_minutes": budget.total_minutes if budget else None,
        },
        indent=2,
        sort_keys=True,
    )
