"""ruff and mypy are part of the suite so that style and type drift fail where everything else
does (the same commands as `make lint`)."""

import subprocess
import sys

import pytest

from tests.synth import ROOT

CHECKS = {
    "ruff check": ["ruff", "check", "."],
    "ruff format": ["ruff", "format", "--check", "."],
    "mypy": ["mypy", "infra", "azure_dr", "lambdas", "tools", "app.py"],
}


@pytest.mark.parametrize("name", CHECKS)
def test_static_checks(name: str):
    result = subprocess.run(
        [sys.executable, "-m", *CHECKS[name]], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
