"""Synthesizes an environment in-process exactly as `cdk synth` would (same context, same nag
gate) and gives tests its templates. Each environment is synthesized once per test session."""

from __future__ import annotations

import functools
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk.assertions import Template

from infra.app_builder import AppStacks, build_app
from infra.cdk_context import new_app
from infra.config import EnvironmentConfig, load_config

ROOT = Path(__file__).resolve().parents[1]
ENVIRONMENTS = ("development", "staging", "production")
# The environments whose edge is on: the edge tests run on them (fixture ``edge_env``).
EDGE_ENVS = ["staging", "production"]


@dataclass
class SynthesizedEnvironment:
    config: EnvironmentConfig
    stacks: AppStacks
    outdir: Path
    manifest: dict[str, Any]
    templates: dict[str, dict[str, Any]]

    def template(self, tier: str, region: str) -> dict[str, Any]:
        return self.templates[self.stacks.names.stack_id(tier, region)]

    def assertions(self, tier: str, region: str) -> Template:
        return Template.from_json(self.template(tier, region))


def synthesize(env_name: str, outdir: Path | None = None) -> SynthesizedEnvironment:
    outdir = outdir or Path(tempfile.mkdtemp(prefix=f"cdk-{env_name}-"))
    config = load_config(env_name, environ={})
    app = new_app(outdir=str(outdir), context={"env": env_name})
    stacks = build_app(app, config)
    app.synth()
    manifest = json.loads((outdir / "manifest.json").read_text())
    templates = {
        path.name.removesuffix(".template.json"): json.loads(path.read_text())
        for path in sorted(outdir.glob("*.template.json"))
    }
    return SynthesizedEnvironment(config, stacks, outdir, manifest, templates)


@functools.cache
def synthesized(env_name: str) -> SynthesizedEnvironment:
    return synthesize(env_name)
