"""The event Region switch sends a custom-action Lambda, validated before any AWS call.

Documented contract (ARC Region switch API reference, ``Lambdas.payload``): without a payload
the function receives only the execution metadata, the keys ``InvokedBy``, ``PlanArn``,
``ExecutionId`` and ``StepName`` at the top level of a JSON object. A configured JSON-object
payload is merged with them. The values of ``InvokedBy`` are not documented: it is kept as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from backup_jobs.settings import EventError, require_mapping

_PLAN_ARN = re.compile(
    r"^arn:aws[a-zA-Z-]*:arc-region-switch::(?P<account>\d{12}):plan/"
    r"(?P<name>[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?):[a-z0-9]{6}$"
)
METADATA = ("PlanArn", "ExecutionId", "StepName", "InvokedBy")


@dataclass(frozen=True)
class RegionSwitchEvent:
    plan_arn: str
    execution_id: str
    step_name: str
    invoked_by: str


def parse(event: Any, *, account: str, plan_name: str) -> RegionSwitchEvent:
    body = require_mapping(event)
    for key in ("PlanArn", "ExecutionId", "StepName"):
        if not isinstance(body.get(key), str) or not body[key]:
            raise EventError(
                f"{key} is missing: this function is a step of the Region switch plan "
                f"{plan_name!r} and runs only inside one of its executions"
            )
    match = _PLAN_ARN.match(body["PlanArn"])
    if not match:
        raise EventError(f"PlanArn {body['PlanArn']!r} is not a Region switch plan ARN")
    if match["account"] != account or match["name"] != plan_name:
        raise EventError(
            f"PlanArn {body['PlanArn']!r} is not the plan {plan_name!r} of account {account}: "
            "refusing to act for another plan"
        )
    return RegionSwitchEvent(
        plan_arn=body["PlanArn"],
        execution_id=body["ExecutionId"],
        step_name=body["StepName"],
        invoked_by=str(body.get("InvokedBy", "")),
    )
