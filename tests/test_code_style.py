"""ruff and mypy are part of the suite so that style and type drift fail where everything else
does (the same commands as `make lint`). They run in the background from the start of the session
(tests/static_checks.py, started by tests/conftest.py); these tests wait for their results."""

import pytest

from tests import static_checks


@pytest.mark.parametrize("name", static_checks.CHECKS)
def test_static_checks(name: str):
    result = static_checks.result(name)
    assert result.returncode == 0, result.output
