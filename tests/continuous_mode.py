"""An environment with ``database_replication.mode: continuous`` (every config/*.yaml keeps dump
mode until the cross-cloud link exists): the stacks continuous mode changes, synthesized once per
session with the nag gate on, in seconds rather than a whole environment's synth.

Every region's network, data and storage stacks (the parameter groups: logical replication on
the primary only); with ``probe`` also the primary's compute and monitoring stacks (the lag
probe). ``PROBE_OVERRIDES`` moves the probe's settings off their defaults, so that a template
test can tell a value read from config from a hard-coded default."""

from __future__ import annotations

import functools
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.cdk_context import new_app
from infra.config import EnvironmentConfig, RegionRole, load_config
from infra.nag import apply_rule_packs
from infra.naming import Names
from infra.stack_factory import StackFactory


@dataclass(frozen=True)
class Variant:
    config: EnvironmentConfig
    names: Names
    templates: dict[str, dict[str, Any]]

    def template(self, tier: str, region: str) -> dict[str, Any]:
        return self.templates[self.names.stack_id(tier, region)]


PROBE_OVERRIDES = {"max_lag_minutes": 7, "lag_check_minutes": 2, "monitor_user": "lag_watch"}


def with_mode(config: EnvironmentConfig, mode: str, **overrides: Any) -> EnvironmentConfig:
    db = config.database_replication.model_copy(update={"mode": mode, **overrides})
    return config.model_copy(update={"database_replication": db})


def continuous(env_name: str, *, probe: bool = True, overrides: bool = False) -> Variant:
    return _continuous(env_name, probe, overrides)  # one cache key however it is called


@functools.cache
def _continuous(env_name: str, probe: bool, overrides: bool) -> Variant:
    config = with_mode(
        load_config(env_name, environ={}), "continuous", **(PROBE_OVERRIDES if overrides else {})
    )
    outdir = Path(tempfile.mkdtemp(prefix=f"cdk-{env_name}-continuous-"))
    app = new_app(outdir=str(outdir), context={"env": env_name})
    factory = StackFactory(app, config)
    primary = config.primary_region
    assert config.regions_with_role(RegionRole.STANDBY), "continuous mode needs a standby"
    for region in config.regions:
        network = factory.network(region)
        data, _ = factory.stateful(region, network)
        if probe and region == primary:
            compute = factory.compute(region, network)
            factory.monitoring(region, network=network, data=data, compute=compute, backup=None)
    apply_rule_packs(app)
    assembly = app.synth()
    templates = {s.stack_name: s.template for s in assembly.stacks}
    return Variant(config, factory.names, templates)
