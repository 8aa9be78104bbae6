"""The RTO budget as a pure function of configuration, and the validation lines that refuse a
plan whose estimated worst case cannot meet its objective."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from infra.config.dns import HealthCheckConfig
from infra.config.recovery import RecoveryConfig
from infra.recovery.budget import render, rto_budget
from infra.recovery.steps import StepKind, plan_steps
from tests.unit.config_helpers import config_error, one_line
from tools import rto

CHECK_30x3 = HealthCheckConfig(path="/healthz", interval_seconds=30, failure_threshold=3)
CHECK_10x3 = HealthCheckConfig(path="/healthz", interval_seconds=10, failure_threshold=3)
NO_WORKLOADS: dict[str, Any] = {}
WORKLOADS = {"scaling": {"workloads": [{"namespace": "fdr", "name": "api"}]}}
APPROVAL = {"approval": {"timeout_minutes": 30, "expected_minutes": 4}}


@pytest.mark.parametrize(
    ("recovery", "check", "lines", "total"),
    [
        # defaults, no workloads: promote 5+1, app config 0.5, DNS (60 + 90) s, verify 1
        (NO_WORKLOADS, CHECK_30x3, {"promote-database": 6, "move-dns": 2.5}, 10.0),
        # fast health checks shorten detection only
        (NO_WORKLOADS, CHECK_10x3, {"move-dns": 1.5}, 9.0),
        # scaling adds the node scale-up estimate
        (WORKLOADS, CHECK_30x3, {"scale-workloads": 5}, 15.0),
        # an approval step counts its expected response time
        ({**WORKLOADS, **APPROVAL}, CHECK_30x3, {"approve": 4}, 19.0),
        # a longer retry interval is paid once on the promote step
        ({"retry_interval_minutes": 3}, CHECK_30x3, {"promote-database": 8}, 12.0),
        # a lower TTL shortens the DNS step
        ({"estimates": {"dns_ttl_seconds": 0}}, CHECK_30x3, {"move-dns": 1.5}, 9.0),
        # estimates replaced by measured values
        (
            {"estimates": {"promotion_minutes": 12, "verification_minutes": 3}},
            CHECK_30x3,
            {"promote-database": 13, "verify": 3},
            19.0,
        ),
    ],
)
def test_budget_per_step(recovery, check, lines, total):
    budget = rto_budget(RecoveryConfig.model_validate(recovery), check)
    by_step = {line.step: line.minutes for line in budget.lines}
    for step, minutes in lines.items():
        assert by_step[step] == pytest.approx(minutes)
    assert budget.total_minutes == pytest.approx(total)
    assert budget.fits is (total <= budget.objective_minutes)


def test_budget_follows_the_plans_steps_in_order():
    recovery = RecoveryConfig.model_validate({**WORKLOADS, **APPROVAL})
    budget = rto_budget(recovery, CHECK_30x3)
    assert [line.step for line in budget.lines] == [s.name for s in plan_steps(recovery)]
    assert [s.kind for s in plan_steps(recovery)][:1] == [StepKind.APPROVAL]


def test_render_labels_it_as_an_estimate():
    budget = rto_budget(RecoveryConfig.model_validate({"rto_minutes": 5}), CHECK_30x3)
    text = render(budget, environment="staging")
    assert "ESTIMATE" in text and "DOES NOT FIT" in text and "objective 5 min" in text


def test_make_rto_prints_the_budget_of_an_environment():
    out = io.StringIO()
    assert rto.main(["--env", "staging"], out=out) == 0
    assert "total" in out.getvalue() and "objective 20 min: fits" in out.getvalue()
    out = io.StringIO()
    assert rto.main(["--env", "development"], out=out) == 0
    assert "no standby region" in out.getvalue()


# Validation: one clear line per problem ------------------------------------------------------


def _set(path: str, value: Any):
    def mutate(data: dict[str, Any]) -> None:
        node = data
        *parents, last = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value

    return mutate


@pytest.mark.parametrize(
    ("path", "value", "env", "expected"),
    [
        (
            "recovery.rto_minutes",
            10,
            "production",
            "recovery.rto_minutes: the objective (10 min) is below the plan's estimated worst "
            "case of 14 min (promote-database 6 + app-configuration 0.5 + scale-workloads 5 + "
            "move-dns 1.5 + verify 1): raise the objective or shorten the steps",
        ),
        (
            "recovery.estimates.promotion_minutes",
            30,
            "staging",
            "recovery: timeouts.promote: 20 min is shorter than estimates.promotion_minutes "
            "(30 min): the step would time out before it finishes",
        ),
        (
            "recovery.rto_minutes",
            300,
            "staging",
            "recovery.rto_minutes: 300 min is above backup.rto_minutes (240 min)",
        ),
        (
            "recovery.step_wait_seconds",
            590,
            "production",
            "recovery.step_wait_seconds: 590 s leaves less than 30 s of the Lambda timeout",
        ),
        ("recovery.approval", {"timeout_minutes": 2, "expected_minutes": 5}, "staging",
         "recovery: approval.timeout_minutes: 2 min is shorter than approval.expected_minutes"),
    ],
)  # fmt: skip
def test_impossible_objective_is_one_clear_line(tmp_path: Path, path, value, env, expected):
    message = one_line(config_error(tmp_path, _set(path, value), env))
    assert expected in message, message
    assert message.startswith(str(tmp_path)) or "yaml" in message


def test_development_needs_no_recovery_section(tmp_path: Path):
    # One region: no plan, so even an objective no plan could meet is not an error.
    from tests.unit.config_helpers import load_mutated

    config = load_mutated(tmp_path, _set("recovery.rto_minutes", 1), "development")
    assert config.recovery.rto_minutes == 1
