"""Properties of the synthesized app as a whole: offline, deterministic, cfn-lint clean."""

from __future__ import annotations

import json
from pathlib import Path

from infra.config import load_config
from tests.synth import ENVIRONMENTS, ROOT, SynthesizedEnvironment, synthesize, synthesized


def test_synth_needs_no_context_lookup(any_env: SynthesizedEnvironment):
    assert "missing" not in any_env.manifest


def test_context_file_pins_the_azs_of_every_configured_region():
    context = json.loads((ROOT / "cdk.context.json").read_text())
    for env in ENVIRONMENTS:
        config = load_config(env, environ={})
        for region, region_config in config.regions.items():
            key = f"availability-zones:account={config.account}:region={region}"
            assert set(region_config.availability_zones) <= set(context[key]), key


def test_two_synths_give_identical_templates(tmp_path: Path):
    again = synthesize("production", tmp_path)
    assert again.templates == synthesized("production").templates


def test_stack_ids_follow_the_naming_scheme(any_env: SynthesizedEnvironment):
    for stack_id in any_env.templates:
        assert stack_id.startswith(f"fdr-{any_env.config.name}-")
