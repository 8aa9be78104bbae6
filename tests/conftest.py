from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

# moto's EC2 backend otherwise loads ~46,000 default AMIs each time it starts in a region (an RDS
# instance or an S3 bucket is enough to start it): 0.2 s of CPU per test and region. No test here
# looks up an AMI.
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")

from tests import static_checks
from tests.azurite import azurite  # noqa: F401  (one Azurite per session, shared)
from tests.synth import EDGE_ENVS, SynthesizedEnvironment, synthesized

CFN_LINT = "tests.stacks.test_cfn_lint"
CODE_STYLE_MODULE = "tests.test_code_style"
CODE_STYLE = Path(__file__).resolve().parent / "test_code_style.py"


def _may_collect(config: pytest.Config, path: Path) -> bool:
    """Whether the session's arguments include ``path`` (before any -k/-m selection)."""
    args = config.args or [str(config.rootpath / p) for p in config.getini("testpaths")]
    for arg in args:
        target = (config.invocation_params.dir / arg.split("::")[0]).resolve()
        if path == target or target in path.parents:
            return True
    return False


def pytest_sessionstart(session: pytest.Session) -> None:
    # mypy alone is ~85 s of CPU on a fresh clone: start it (and ruff) now, at a lower priority,
    # so that it runs alongside collection's synths and the tests rather than after them.
    if _may_collect(session.config, CODE_STYLE):
        static_checks.start()


def _cfn_lint() -> Any:
    """The cfn-lint test module when this session collected it (importing it synthesizes)."""
    return sys.modules.get(CFN_LINT)


def _waits_for_background_work(item: pytest.Item) -> int:
    if item.module is None:
        return 0
    return {CODE_STYLE_MODULE: 1, CFN_LINT: 2}.get(item.module.__name__, 0)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The static checks run in the background from the session's start, cfn-lint in a pool from
    # the end of collection on; their tests only wait for the results, so they go last.
    items.sort(key=_waits_for_background_work)


def pytest_collection_finish(session: pytest.Session) -> None:
    module = _cfn_lint()
    if module is not None and any(item.module is module for item in session.items):
        module.start()


def pytest_sessionfinish(session: pytest.Session) -> None:
    module = _cfn_lint()
    if module is not None:
        module.stop()
    static_checks.stop()


@pytest.fixture(scope="session")
def development() -> SynthesizedEnvironment:
    return synthesized("development")


@pytest.fixture(scope="session")
def staging() -> SynthesizedEnvironment:
    return synthesized("staging")


@pytest.fixture(scope="session")
def production() -> SynthesizedEnvironment:
    return synthesized("production")


@pytest.fixture(params=EDGE_ENVS)
def edge_env(request: pytest.FixtureRequest) -> SynthesizedEnvironment:
    """The environments with the edge on (CloudFront in front of the ALBs)."""
    env: SynthesizedEnvironment = request.getfixturevalue(request.param)
    assert env.config.edge.enabled and env.stacks.edge is not None
    return env


@pytest.fixture(scope="session", params=["development", "staging", "production"])
def any_env(request: pytest.FixtureRequest) -> SynthesizedEnvironment:
    return synthesized(request.param)
