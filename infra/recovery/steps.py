"""The steps of the Region switch plan, in order, derived from configuration.

One list drives both the plan in the template (``infra/stacks/region_switch.py``) and the RTO
budget (``infra/recovery/budget.py``), so the estimate always describes the plan as deployed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from infra.config.recovery import RecoveryConfig


class StepKind(StrEnum):
    APPROVAL = "approval"
    LAMBDA = "lambda"
    EKS_SCALING = "eks-scaling"


# Custom-action Lambdas of the plan by step; each exists in the primary and the standby region.
PROMOTE, APP_CONFIG, DNS, VERIFY = "promote", "app-config", "dns", "verify"
FUNCTIONS = (PROMOTE, APP_CONFIG, DNS, VERIFY)


@dataclass(frozen=True)
class PlanStep:
    name: str
    """Step name in the plan (what ``make drill`` prints)."""
    kind: StepKind
    timeout_minutes: int
    description: str
    function: str | None = None
    """Custom-action Lambda of a ``lambda`` step (one of FUNCTIONS)."""


def plan_steps(recovery: RecoveryConfig) -> list[PlanStep]:
    t = recovery.timeouts
    steps = []
    if recovery.approval is not None:
        steps.append(
            PlanStep(
                "approve",
                StepKind.APPROVAL,
                recovery.approval.timeout_minutes,
                "An on-call engineer approves the switch (nothing has changed yet)",
            )
        )
    steps += [
        PlanStep(
            "promote-database",
            StepKind.LAMBDA,
            t.promote,
            "Promote the activated region's read replica (lag check; waits until writable)",
            PROMOTE,
        ),
        PlanStep(
            "app-configuration",
            StepKind.LAMBDA,
            t.app_config,
            "Write the writer-database and cache endpoints to the activated region's parameters",
            APP_CONFIG,
        ),
    ]
    if recovery.scaling.workloads:
        steps.append(
            PlanStep(
                "scale-workloads",
                StepKind.EKS_SCALING,
                t.scale,
                "Scale the activated region's Deployments to the other region's capacity",
            )
        )
    steps += [
        PlanStep(
            "move-dns",
            StepKind.LAMBDA,
            t.dns,
            "Pin the application failover record to the activated region",
            DNS,
        ),
        PlanStep(
            "verify",
            StepKind.LAMBDA,
            t.verify,
            "Smoke test: ingress health path, writable database, parameters applied",
            VERIFY,
        ),
    ]
    return steps
