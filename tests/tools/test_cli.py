"""CLI errors: one clear line and exit status 3, before anything is synthesized."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.synth import ROOT
from tools.template_diff.__main__ import main


def test_unknown_ref_is_one_clear_error(capsys):
    assert main(["--base", "no-such-ref-anywhere", "--repo", str(ROOT)]) == 3
    err = capsys.readouterr().err
    assert err == (
        "error: unknown git ref 'no-such-ref-anywhere' (fetch it first, e.g. git fetch origin)\n"
    )


def test_outside_a_repository_is_one_clear_error(tmp_path, capsys):
    assert main(["--base", "main", "--repo", str(tmp_path)]) == 3
    assert capsys.readouterr().err.startswith("error: git rev-parse --show-toplevel: ")


def test_usage_errors_exit_3_not_2():
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 3


def test_module_runs_as_documented():
    result = subprocess.run(
        [sys.executable, "-m", "tools.template_diff", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0
    assert "--fail-on-replace" in result.stdout
