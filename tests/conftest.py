from __future__ import annotations

import pytest

from tests.azurite import azurite  # noqa: F401  (one Azurite per session, shared)
from tests.synth import SynthesizedEnvironment, synthesized


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
