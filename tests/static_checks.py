"""ruff and mypy (the same commands as `make lint`) started in the background when the session
starts, so that mypy's CPU on a fresh clone (~26 s, tools/mypy_scope.py) overlaps the synths and
the other tests instead of adding to them. tests/test_code_style.py only waits for the results.

The checks run at a lower CPU priority than the test process (nice): they fill whatever the tests
leave idle and never slow the tests that wait on servers, synths or subprocesses."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
# How much less CPU priority background work gets than the test process (nice(2) increment).
BACKGROUND_NICENESS = 10

CHECKS = {
    "ruff check": ["ruff", "check", "."],
    "ruff format": ["ruff", "format", "--check", "."],
    "mypy": ["mypy", "infra", "azure_dr", "lambdas", "tools", "app.py"],
    # The aws_cdk modules mypy reads (pyproject.toml) are the ones the project needs.
    "mypy scope": ["tools.mypy_scope"],
}


@dataclass
class Result:
    returncode: int
    output: str


def lower_priority() -> None:
    """For a pool worker (its initializer)."""
    os.nice(BACKGROUND_NICENESS)


# For a child process: nice(1) rather than a preexec_fn, which is unsafe once threads exist.
_NICE = ["nice", "-n", str(BACKGROUND_NICENESS)] if shutil.which("nice") else []


_running: dict[str, tuple[subprocess.Popen[bytes], IO[bytes]]] = {}


def start() -> None:
    """Start every check not started yet (output to a temp file: a full pipe would block)."""
    for name, args in CHECKS.items():
        if name in _running:
            continue
        output = tempfile.TemporaryFile()  # noqa: SIM115  (open until result() reads it)
        process = subprocess.Popen(
            [*_NICE, sys.executable, "-m", *args],
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        _running[name] = (process, output)


def result(name: str) -> Result:
    """The check's exit status and output, waiting for it (started now if it was not)."""
    start()
    process, output = _running[name]
    returncode = process.wait()
    output.seek(0)
    return Result(returncode, output.read().decode(errors="replace"))


def stop() -> None:
    """End the checks nobody waited for (a session that deselected them) and forget them all."""
    for process, output in _running.values():
        if process.poll() is None:
            process.terminate()
            process.wait()
        output.close()
    _running.clear()
