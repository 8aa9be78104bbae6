"""Synthesizes a git ref (in a temporary ``git worktree``) or the working tree, offline.

Each side runs its own ``app.py`` in a child process with the context the CDK CLI would pass
(its own ``cdk.json`` and ``cdk.context.json``), so a change of feature flags or pinned AZs
shows in the diff too. No AWS credentials are read: the account comes from the configuration.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class DiffError(Exception):
    """A bad ref, a failed synth: reported as one line, exit status 3."""


def _git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["git failed"])[-1]
        raise DiffError(f"git {' '.join(args)}: {detail}")
    return result.stdout.strip()


def repository_root(path: Path) -> Path:
    return Path(_git(path, "rev-parse", "--show-toplevel"))


def resolve(repo: Path, ref: str) -> str:
    try:
        return _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except DiffError:
        raise DiffError(
            f"unknown git ref {ref!r} (fetch it first, e.g. git fetch origin)"
        ) from None


@contextmanager
def checkout(repo: Path, commit: str) -> Iterator[Path]:
    """A detached temporary worktree of ``commit``; removed again whatever happens."""
    with tempfile.TemporaryDirectory(prefix="template-diff-") as tmp:
        tree = Path(tmp) / "base"
        _git(repo, "worktree", "add", "--quiet", "--detach", str(tree), commit)
        try:
            yield tree
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(tree)], cwd=repo, capture_output=True
            )


def cli_context(root: Path, env_name: str) -> dict[str, Any]:
    """What ``cdk synth -c env=<env_name>`` passes: cdk.json's context, then cdk.context.json."""
    context = dict(json.loads((root / "cdk.json").read_text()).get("context", {}))
    saved = root / "cdk.context.json"
    if saved.exists():
        context.update(json.loads(saved.read_text()))
    context["env"] = env_name
    return context


def synthesize(root: Path, env_name: str, *, label: str) -> dict[str, dict[str, Any]]:
    """Templates of every stack of one environment, keyed by stack id."""
    with tempfile.TemporaryDirectory(prefix="template-diff-out-") as outdir:
        environ = {
            **os.environ,
            "CDK_OUTDIR": outdir,
            "CDK_CONTEXT_JSON": json.dumps(cli_context(root, env_name)),
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        }
        # The child imports the infra/ package next to app.py (sys.path[0] is the script's
        # folder), so the base ref's code is what gets synthesized there.
        result = subprocess.run(
            [sys.executable, "app.py"], cwd=root, env=environ, capture_output=True, text=True
        )
        if result.returncode != 0:
            lines = [line for line in result.stderr.splitlines() if line.strip()]
            errors = [line for line in lines if line.startswith("error:")]
            detail = (errors or lines or ["no output"])[-1].removeprefix("error: ")
            raise DiffError(f"synth of {label} ({env_name}) failed: {detail}")
        return _templates(Path(outdir))


def _templates(outdir: Path) -> dict[str, dict[str, Any]]:
    manifest = json.loads((outdir / "manifest.json").read_text())
    templates = {}
    for stack_id, artifact in manifest.get("artifacts", {}).items():
        if artifact.get("type") == "aws:cloudformation:stack":
            path = outdir / artifact["properties"]["templateFile"]
            templates[stack_id] = json.loads(path.read_text())
    return templates
