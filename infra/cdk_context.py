"""How every entry point creates its CDK App, so `cdk synth`, `python app.py` and the tests all
synthesize with the same context and the same validation.

- Context: cdk.json's ``context`` (feature flags, default env) then cdk.context.json (pinned
  AZs), exactly what the CLI passes; values given on the command line still take precedence.
- CDK's built-in CloudFormation validation is off: in aws-cdk-lib 2.275 it only warns (its errors
  are downgraded to warnings) and costs about 3 s plus 0.3 s per stack on every synth. The
  enforced template check is cfn-lint over every synthesized template, in every template's own
  region, in ``make test`` (tests/stacks/test_cfn_lint.py). cdk-nag is unaffected: it is a
  validation plugin of its own and still fails the synth on any unacknowledged finding.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import App

ROOT = Path(__file__).resolve().parents[1]


def file_context(root: Path = ROOT) -> dict[str, Any]:
    context = dict(json.loads((root / "cdk.json").read_text())["context"])
    context.update(json.loads((root / "cdk.context.json").read_text()))
    return context


def new_app(*, outdir: str | None = None, context: dict[str, Any] | None = None) -> App:
    return App(
        outdir=outdir,
        context={**file_context(), **(context or {})},
        builtin_cloud_formation_validation=False,
    )
