"""The cdk-nag gate itself: it fails on a real finding, every pack runs, and acknowledgments
are scoped to single constructs, never to a stack or the whole app."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk import Stack, Validations
from aws_cdk import aws_sns as sns

from infra.cdk_context import new_app
from infra.nag import apply_rule_packs
from tests.synth import SynthesizedEnvironment


def test_an_unacknowledged_finding_fails_synth(tmp_path: Path):
    # The app factory every entry point uses (infra/cdk_context.py): the gate as app.py runs it,
    # without CDK's built-in CloudFormation validation (2.5 s per app, not part of the gate).
    app = new_app(outdir=str(tmp_path))
    sns.Topic(Stack(app, "Unencrypted"), "Topic")  # no KMS key: AwsSolutions-SNS2, NIST SNS...
    apply_rule_packs(app)
    with pytest.raises(Exception, match=r"(?s)ValidationFailed: ERROR .*AwsSolutions-SNS3"):
        app.synth()


def test_every_pack_reports(tmp_path: Path):
    app = new_app(outdir=str(tmp_path))
    sns.Topic(Stack(app, "Unencrypted"), "Topic")
    apply_rule_packs(app)
    with pytest.raises(Exception, match="ValidationFailed"):
        app.synth()
    report = (tmp_path / "validation-report.json").read_text()
    assert "AwsSolutions" in report
    assert "NIST.800.53.R5" in report


def _acknowledged(node) -> list[str]:
    key = Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    return [m.type for m in node.node.metadata if m.type == key]


def test_acknowledgments_are_never_stack_or_app_wide(any_env: SynthesizedEnvironment):
    for region_stacks in any_env.stacks.regions.values():
        for stack in vars(region_stacks).values():
            if isinstance(stack, Stack):
                assert _acknowledged(stack) == [], stack.stack_name
                assert _acknowledged(stack.node.scope) == []
