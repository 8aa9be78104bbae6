"""An environment with ``database_replication.mode: continuous`` (every config/*.yaml keeps dump
mode until the cross-cloud link exists): the stacks continuous mode changes, synthesized once per
session with the nag gate on, in seconds rather than a whole environment's synth.

Primary region: network, data, storage, compute and monitoring (which holds the lag probe);
one replica region and the standby: network and data (their parameter groups must not turn
logical replication on)."""

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


def with_mode(config: EnvironmentConfig, mode: str) -> EnvironmentConfig:
    db = config.database_replication.model_copy(update={"mode": mode})
    return config.model_copy(update={"database_replication": db})


@functools.cache
def continuous(env_name: str) -> Variant:
    config = with_mode(load_config(env_name, environ={}), "continuous")
    outdir = Path(tempfile.mkdtemp(prefix=f"cdk-{env_name}-continuous-"))
    app = new_app(outdir=str(outdir), context={"env": env_name})
    factory = StackFactory(app, config)
    primary = config.primary_region
    others = [
        next(iter(config.regions_with_role(role)), None)
        for role in (RegionRole.REPLICA, RegionRole.STANDBY)
    ]
    for region in [primary, *(r for r in others if r)]:
        network = factory.network(region)
        data, _ = factory.stateful(region, network)
        if region == primary:
            compute = factory.compute(region, network)
            factory.monitoring(
                region, network=network, data=data, compute=compute, backup=None
            )
    apply_rule_packs(app)
    assembly = app.synth()
    templates = {s.stack_name: s.template for s in assembly.stacks}
    return Variant(config, factory.names, templates)
