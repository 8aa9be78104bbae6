from __future__ import annotations

import sys
from typing import Any

import pytest

from tests.azurite import azurite  # noqa: F401  (one Azurite per session, shared)
from tests.synth import SynthesizedEnvironment, synthesized

CFN_LINT = "tests.stacks.test_cfn_lint"


def _cfn_lint() -> Any:
    """The cfn-lint test module when this session collected it (importing it synthesizes)."""
    return sys.modules.get(CFN_LINT)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # cfn-lint runs in a background pool from the end of collection on; its tests only wait for
    # the results, so they go last.
    items.sort(key=lambda item: item.module is not None and item.module.__name__ == CFN_LINT)


def pytest_collection_finish(session: pytest.Session) -> None:
    module = _cfn_lint()
    if module is not None and any(item.module is module for item in session.items):
        module.start()


def pytest_sessionfinish(session: pytest.Session) -> None:
    module = _cfn_lint()
    if module is not None:
        module.stop()


@pytest.fixture(scope="session")
def development() -> SynthesizedEnvironment:
    return synthesized("development")


@pytest.fixture(scope="session")
def staging() -> SynthesizedEnvironment:
    return synthesized("staging")


@pytest.fixture(scope="session")
def production() -> SynthesizedEnvironment:
    return synthesized("production")


@pytest.fixture(scope="session", params=["development", "staging", "production"])
def any_env(request: pytest.FixtureRequest) -> SynthesizedEnvironment:
    return synthesized(request.param)
