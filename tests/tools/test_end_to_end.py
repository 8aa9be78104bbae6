"""The diff between two real commits of a copy of this project, synthesized for development.

One temporary repository: commit A is the project, commit B adds only a README. B's working
tree against A must show nothing; then (still against A, whose synth is reused) an added
security-group rule and a renamed KMS key (a changed logical id) in the working tree must show
as a security-relevant change and as the replacement of a stateful resource, which
``--fail-on-replace`` turns into exit status 2.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.synth import ROOT
from tools.template_diff.__main__ import main

# Everything app.py reads: code, config, the Lambda code the backup stack packages, and the
# cluster baseline manifests (k8s/) the compute stack applies.
PROJECT_FILES = ("app.py", "cdk.json", "cdk.context.json", "config", "infra", "lambdas", "k8s")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def _replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{path}: anchor {old!r} moved; update this test"
    path.write_text(text.replace(old, new))


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("project")
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, repo / name)
    _git(repo, "init", "--quiet", "--initial-branch=main")
    _git(repo, "config", "user.email", "test@example.invalid")
    _git(repo, "config", "user.name", "test")
    _git(repo, "add", ".")
    _git(repo, "commit", "--quiet", "-m", "A: the project")
    (repo / "README.md").write_text("docs only\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "--quiet", "-m", "B: docs only")
    return repo


def test_docs_only_change_reports_no_template_change(repo, capsys):
    assert main(["--base", "HEAD~1", "--repo", str(repo)]) == 0
    assert "No template changes." in capsys.readouterr().out


def test_new_ingress_rule_and_renamed_key(repo, tmp_path, capsys):
    anchor = (
        "        self.app.connections.allow_to("
        'self.db, ec2.Port.tcp(postgres_port), "app to PostgreSQL")\n'
    )
    new_rule = (
        '        self.app.connections.allow_to(self.db, ec2.Port.tcp(3306), "app to MySQL")\n'
    )
    _replace_once(repo / "infra/constructs/security_groups.py", anchor, anchor + new_rule)
    _replace_once(repo / "infra/stacks/network.py", '"LogsKey"', '"LogsKeyV2"')
    comment = tmp_path / "comment.md"

    status = main(
        ["--base", "HEAD~1", "--repo", str(repo), "--fail-on-replace", "--markdown", str(comment)]
    )

    out = capsys.readouterr().out
    assert status == 2, out
    security = out.split("SECURITY-RELEVANT CHANGES:")[1].split("\nStack ")[0]
    assert "+ ingress tcp 3306 from " in security
    assert "+ egress tcp 3306 to " in security
    destructive = out.split("STATEFUL RESOURCES REPLACED OR REMOVED")[1].split("SECURITY")[0]
    assert "(AWS::KMS::Key): logical id changed from LogsKey" in destructive
    markdown = comment.read_text()
    assert markdown.startswith("<!-- fdr-template-diff -->")
    assert "> [!CAUTION]" in markdown
