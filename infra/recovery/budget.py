"""The RTO budget: the worst case of each plan step, added up and compared with the objective.

An estimate, read before any drill: the durations that our configuration does not set (replica
promotion, node scale-up) come from ``recovery.estimates``; a drill (``make drill``) measures
the real ones. Pure functions of configuration: no AWS call.
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.config.dns import HealthCheckConfig
from infra.config.recovery import RecoveryConfig
from infra.recovery.steps import APP_CONFIG, DNS, PROMOTE, VERIFY, StepKind, plan_steps


@dataclass(frozen=True)
class BudgetLine:
    step: str
    minutes: float
    basis: str


@dataclass(frozen=True)
class RtoBudget:
    lines: tuple[BudgetLine, ...]
    objective_minutes: int

    @property
    def total_minutes(self) -> float:
        return sum(line.minutes for line in self.lines)

    @property
    def fits(self) -> bool:
        return self.total_minutes <= self.objective_minutes

    def summary(self) -> str:
        parts = " + ".join(f"{line.step} {line.minutes:g}" for line in self.lines)
        return f"{self.total_minutes:g} min ({parts})"


def rto_budget(recovery: RecoveryConfig, health_check: HealthCheckConfig) -> RtoBudget:
    e = recovery.estimates
    retry = recovery.retry_interval_minutes
    detection_seconds = health_check.interval_seconds * health_check.failure_threshold
    lines = []
    for step in plan_steps(recovery):
        if step.kind is StepKind.APPROVAL:
            assert recovery.approval is not None
            lines.append(
                BudgetLine(step.name, recovery.approval.expected_minutes, "approval response")
            )
        elif step.kind is StepKind.EKS_SCALING:
            lines.append(BudgetLine(step.name, e.node_scale_up_minutes, "node and pod scale-up"))
        elif step.function == PROMOTE:
            # The step returns "not yet" while RDS promotes; Region switch re-runs it one retry
            # interval later, so the promotion can finish up to one interval before it is seen.
            lines.append(
                BudgetLine(
                    step.name,
                    e.promotion_minutes + retry,
                    f"replica promotion {e.promotion_minutes:g} + one retry interval {retry:g}",
                )
            )
        elif step.function == APP_CONFIG:
            lines.append(BudgetLine(step.name, e.app_config_minutes, "parameter writes"))
        elif step.function == DNS:
            lines.append(
                BudgetLine(
                    step.name,
                    round((e.dns_ttl_seconds + detection_seconds) / 60, 2),
                    f"TTL {e.dns_ttl_seconds} s + health-check detection "
                    f"{health_check.failure_threshold} x {health_check.interval_seconds} s",
                )
            )
        elif step.function == VERIFY:
            lines.append(BudgetLine(step.name, e.verification_minutes, "smoke test"))
    return RtoBudget(tuple(lines), recovery.rto_minutes)


def render(budget: RtoBudget, *, environment: str) -> str:
    width = max(len(line.step) for line in budget.lines)
    rows = [f"RTO budget of {environment} (an ESTIMATE, not a measurement; `make drill` measures)"]
    rows += [
        f"  {line.step:<{width}}  {line.minutes:6.2f} min  {line.basis}" for line in budget.lines
    ]
    verdict = "fits" if budget.fits else "DOES NOT FIT"
    rows.append(
        f"  {'total':<{width}}  {budget.total_minutes:6.2f} min  objective "
        f"{budget.objective_minutes} min: {verdict}"
    )
    return "\n".join(rows)
