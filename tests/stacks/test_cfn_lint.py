"""cfn-lint over every synthesized template of every environment, in the template's own region.
Ignored warnings (each with its reason) live in .cfnlintrc.yaml.

Linting is ~2 s per template and the templates exist once collection has synthesized every
environment, so ``start`` (called from tests/conftest.py right after collection) hands them all
to a process pool that works while the other tests run; these tests, ordered last, only collect
the findings."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor

import pytest
import yaml

from tests.static_checks import lower_priority
from tests.synth import ENVIRONMENTS, ROOT, synthesized

_pool: ProcessPoolExecutor | None = None
_findings: dict[tuple[str, str], Future[list[str]]] = {}


def _ignored_checks() -> list[str]:
    return yaml.safe_load((ROOT / ".cfnlintrc.yaml").read_text())["ignore_checks"]


def _lint(template: str, region: str, ignored: list[str]) -> list[str]:
    from cfnlint.api import ManualArgs, lint

    matches = lint(template, config=ManualArgs(regions=[region], ignore_checks=ignored))
    return [f"{m.rule.id} {m.message} (line {m.linenumber})" for m in matches]


def _stacks() -> list[tuple[str, str]]:
    return [(env, stack) for env in ENVIRONMENTS for stack in synthesized(env).templates]


def start() -> None:
    """Submit every template to the pool (forked now, before any test starts a server)."""
    global _pool
    if _pool is not None:
        return
    ignored = _ignored_checks()
    # At a lower CPU priority than the test process: the pool fills the cores the tests leave
    # idle and never holds up a test (the test process is the longest path through the session).
    _pool = ProcessPoolExecutor(
        max_workers=os.cpu_count() or 2,
        mp_context=multiprocessing.get_context("fork"),
        initializer=lower_priority,
    )
    for env, stack in _stacks():
        artifact = synthesized(env).manifest["artifacts"][stack]
        region = artifact["environment"].rsplit("/", 1)[1]
        path = synthesized(env).outdir / f"{stack}.template.json"
        _findings[(env, stack)] = _pool.submit(_lint, path.read_text(), region, ignored)


def stop() -> None:
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=True, cancel_futures=True)
        _pool = None


@pytest.mark.parametrize(("env", "stack_id"), _stacks(), ids=lambda v: v)
def test_cfn_lint_is_clean(env: str, stack_id: str):
    start()  # when this file runs alone
    assert _findings[(env, stack_id)].result() == []
