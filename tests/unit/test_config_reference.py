"""docs/configuration.md is generated from the model and must stay in sync with it."""

from __future__ import annotations

from infra.config.reference import README, readme_section, render


def test_readme_reference_matches_the_model():
    assert readme_section(README.read_text()) == render(), (
        "docs/configuration.md is stale: run `python -m infra.config.reference --write`"
    )


def test_every_field_is_documented():
    undocumented = [line for line in render().splitlines() if line.endswith("|  |")]
    assert undocumented == []
