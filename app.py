#!/usr/bin/env python3
"""CDK entry point: builds every stack of one environment.

npx cdk synth -c env=production        # default: development
npx cdk synth -c env=staging -c account=123456789012
"""

from __future__ import annotations

import os
import sys

# Set before jsii starts its Node process: Node 20 otherwise prints an end-of-life banner.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from infra.app_builder import build_app
from infra.cdk_context import new_app
from infra.config import ConfigError, load_config
from infra.versions import synth_messages

DEFAULT_ENVIRONMENT = "development"


def main() -> int:
    # Same context and validation as the tests (infra/cdk_context.py); the CLI's -c values win.
    app = new_app()
    env_name = app.node.try_get_context("env") or DEFAULT_ENVIRONMENT
    try:
        config = load_config(env_name, account_override=app.node.try_get_context("account"))
    except ConfigError as err:
        for line in str(err).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return 1
    # Pinned versions near or past their end of standard support (infra/config/support.py).
    expired, ending = synth_messages(config)
    for line in ending:
        print(f"warning: {line}", file=sys.stderr)
    if expired:  # only the Lambda runtime gets here: config pins already failed in load_config
        for line in expired:
            print(f"error: {line}", file=sys.stderr)
        return 1
    build_app(app, config)
    try:
        app.synth()
    except Exception as err:  # jsii re-raises Node's error: show its report, not a traceback
        print(f"error: synth failed: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
