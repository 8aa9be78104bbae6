"""cfn-lint over every synthesized template of every environment, in the template's own region.
Ignored warnings (each with its reason) live in .cfnlintrc.yaml."""

from __future__ import annotations

import functools
import os
from concurrent.futures import ProcessPoolExecutor

import pytest
import yaml

from tests.synth import ENVIRONMENTS, ROOT, synthesized


def _ignored_checks() -> list[str]:
    return yaml.safe_load((ROOT / ".cfnlintrc.yaml").read_text())["ignore_checks"]


def _lint(args: tuple[str, str, list[str]]) -> list[str]:
    from cfnlint.api import ManualArgs, lint

    template, region, ignored = args
    matches = lint(template, config=ManualArgs(regions=[region], ignore_checks=ignored))
    return [f"{m.rule.id} {m.message} (line {m.linenumber})" for m in matches]


def _stacks() -> list[tuple[str, str]]:
    return [(env, stack) for env in ENVIRONMENTS for stack in synthesized(env).templates]


@functools.cache
def _all_findings() -> dict[tuple[str, str], list[str]]:
    """Linting is ~2 s per template: lint them all at once on every core."""
    ignored = _ignored_checks()
    work = []
    for env, stack in _stacks():
        artifact = synthesized(env).manifest["artifacts"][stack]
        region = artifact["environment"].rsplit("/", 1)[1]
        path = synthesized(env).outdir / f"{stack}.template.json"
        work.append(((env, stack), (path.read_text(), region, ignored)))
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = pool.map(_lint, [args for _, args in work])
        return dict(zip([key for key, _ in work], results, strict=True))


@pytest.mark.parametrize(("env", "stack_id"), _stacks(), ids=lambda v: v)
def test_cfn_lint_is_clean(env: str, stack_id: str):
    assert _all_findings()[(env, stack_id)] == []
