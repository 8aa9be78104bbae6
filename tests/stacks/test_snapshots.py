"""A reviewed snapshot of every stack of every environment. A failing snapshot means the
infrastructure changed: review the diff, then `pytest --snapshot-update`."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from syrupy.extensions.json import JSONSnapshotExtension

from tests.synth import ENVIRONMENTS, synthesized

# Asset hashes change with unrelated edits to asset folders or CDK upgrades.
_ASSET_HASH = re.compile(r"[0-9a-f]{64}")


def normalise(template: dict[str, Any]) -> dict[str, Any]:
    text = _ASSET_HASH.sub("<asset-hash>", json.dumps(template, sort_keys=True))
    return json.loads(text)


def _stack_ids() -> list[tuple[str, str]]:
    return [(env, stack) for env in ENVIRONMENTS for stack in synthesized(env).templates]


@pytest.fixture
def snapshot_json(snapshot):
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize(("env", "stack_id"), _stack_ids(), ids=lambda v: v)
def test_stack_snapshot(env: str, stack_id: str, snapshot_json):
    assert normalise(synthesized(env).templates[stack_id]) == snapshot_json
