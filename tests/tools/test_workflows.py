"""The GitHub Actions workflows: valid against GitHub's workflow schema (check-jsonschema's
vendored copy, offline), every action pinned by commit SHA with its version beside it, least
permissions, and only make targets that exist."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.synth import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
# Scopes a job may raise above the workflow's `contents: read`, and only on the jobs that post
# a comment (pull-requests) or assume an AWS role (id-token).
ELEVATED = {"pull-requests": "write", "id-token": "write"}


def _load(path: Path) -> dict[Any, Any]:
    document = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the bare key `on` as True.
    document["on"] = document.pop(True, document.get("on"))
    return document


def test_there_are_workflows():
    assert {path.name for path in WORKFLOWS} >= {"pull-request.yml", "deploy.yml"}


def test_workflows_match_the_github_workflow_schema():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, WORKFLOWS),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_every_action_is_pinned_by_commit_sha_with_its_version(path):
    for line in path.read_text().splitlines():
        match = re.match(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", line)
        if not match or match.group(1).startswith("./"):
            continue
        action, comment = match.groups()
        assert PINNED.match(action), f"{path.name}: {action} is not pinned to a commit SHA"
        assert re.match(r"^\s+# v\d", comment), f"{path.name}: {action} lacks a # vX comment"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_permissions_are_least_privilege(path):
    workflow = _load(path)
    assert workflow["permissions"] == {"contents": "read"}
    for name, job in workflow["jobs"].items():
        permissions = job.get("permissions", {})
        for scope, level in permissions.items():
            assert (scope == "contents" and level == "read") or ELEVATED.get(scope) == level, (
                f"{path.name}: job {name} asks for {scope}: {level}"
            )


def test_elevated_permissions_only_where_needed():
    jobs = {
        (path.name, name): job for path in WORKFLOWS for name, job in _load(path)["jobs"].items()
    }
    for (file, name), job in jobs.items():
        permissions = job.get("permissions", {})
        uses = " ".join(step.get("uses", "") for step in job.get("steps", []))
        if "pull-requests" in permissions:
            assert "sticky-pull-request-comment" in uses, f"{file}:{name}"
        if "id-token" in permissions:
            assert "configure-aws-credentials" in uses or "deploy-environment" in job.get(
                "uses", ""
            ), f"{file}:{name}"


def test_jobs_call_only_existing_make_targets():
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([\w-]+):", makefile, flags=re.MULTILINE))
    for path in WORKFLOWS:
        for job in _load(path)["jobs"].values():
            for step in job.get("steps", []):
                for target in re.findall(r"\bmake ([\w-]+)", step.get("run", "")):
                    assert target in targets, f"{path.name}: make {target} is not a target"


def test_pull_requests_run_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme
    steps = _load(ROOT / ".github/workflows/pull-request.yml")["jobs"]["test"]["steps"]
    assert any(step.get("run") == "make test" for step in steps)


def test_deploys_go_development_first():
    jobs = _load(ROOT / ".github/workflows/deploy.yml")["jobs"]
    assert "needs" not in jobs["development"]
    assert jobs["staging"]["needs"] == "development"
    assert jobs["production"]["needs"] == "staging"
