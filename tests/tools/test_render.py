"""The PR comment is stable: a snapshot of a report with every kind of change."""

from __future__ import annotations

from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from tests.tools.templates import STACK, template
from tools.template_diff import render
from tools.template_diff.engine import compare_templates


class MarkdownSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    file_extension = "md"


def _report():
    head = template()
    resources = head["Resources"]
    resources["Database"]["Properties"]["DBInstanceIdentifier"] = "fdr-test-db2"
    resources["Database"]["Properties"]["AllocatedStorage"] = "50"
    resources["DbSecurityGroup"]["Properties"]["SecurityGroupIngress"].append(
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}
    )
    resources["LogsV2"] = resources.pop("Logs")
    resources.pop("Bucket")
    resources["Queue"] = {"Type": "AWS::SQS::Queue", "Properties": {}}
    return compare_templates({STACK: template()}, {STACK: head, "fdr-test-new-us-east-1": {}})


def test_markdown_comment_snapshot(snapshot):
    text = render.markdown(_report(), base="main", head="working tree", environments=["test"])
    assert text == snapshot(extension_class=MarkdownSnapshot)


def test_text_and_markdown_say_when_nothing_changed():
    report = compare_templates({STACK: template()}, {STACK: template()})
    assert render.text(report, base="main", head="HEAD") == (
        "Template diff main -> HEAD: No template changes.\n"
    )
    markdown = render.markdown(report, base="main", head="HEAD", environments=["development"])
    assert markdown.startswith(render.COMMENT_MARKER)
    assert "No template changes." in markdown


def test_markdown_is_cut_to_fit_a_comment(monkeypatch):
    monkeypatch.setattr(render, "MAX_COMMENT_CHARS", 1200)
    text = render.markdown(_report(), base="main", head="HEAD", environments=["test"])
    assert "more stack(s) cut to fit a comment" in text
