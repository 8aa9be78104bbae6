from __future__ import annotations

import pytest

from tests.stacks import test_cfn_lint
from tests.synth import SynthesizedEnvironment, synthesized


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # cfn-lint runs in a background pool from the end of collection on; its tests only wait for
    # the results, so they go last.
    items.sort(key=lambda item: item.module is test_cfn_lint)


def pytest_collection_finish(session: pytest.Session) -> None:
    if any(item.module is test_cfn_lint for item in session.items):
        test_cfn_lint.start()


def pytest_sessionfinish(session: pytest.Session) -> None:
    test_cfn_lint.stop()


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
