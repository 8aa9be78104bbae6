"""Builds every stack of one environment into a CDK app: the region loop, then the global DNS.

Which stacks a region gets follows its role (ARCHITECTURE.md, "Region roles"); how each stack is
built lives in ``infra/stack_factory.py``. Cross-stack order is explicit (``add_stack_dependency``)
wherever a stack needs another to exist first; across regions stacks share names and ARNs only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aws_cdk import App, Tags

from infra.config import EnvironmentConfig, RegionConfig, RegionRole
from infra.nag import apply_rule_packs
from infra.naming import Names
from infra.stack_factory import StackFactory
from infra.stacks.backup import BackupStack
from infra.stacks.compute import ComputeStack
from infra.stacks.data import DataStack
from infra.stacks.dns import DnsStack
from infra.stacks.monitoring import MonitoringStack
from infra.stacks.network import NetworkStack
from infra.stacks.replication import ReplicationStack
from infra.stacks.storage import StorageStack


@dataclass
class RegionStacks:
    region: str
    config: RegionConfig
    network: NetworkStack
    data: DataStack
    storage: StorageStack
    compute: ComputeStack
    monitoring: MonitoringStack
    backup: BackupStack | None = None
    replication: ReplicationStack | None = None


@dataclass
class AppStacks:
    names: Names
    regions: dict[str, RegionStacks] = field(default_factory=dict)
    dns: DnsStack | None = None


def build_app(app: App, config: EnvironmentConfig) -> AppStacks:
    factory = StackFactory(app, config)
    stacks = AppStacks(names=factory.names)

    for region, region_config in config.regions.items():
        network = factory.network(region)
        data, storage = factory.stateful(region, network)
        compute = factory.compute(region, network)
        # Backup jobs run in the primary region; promote waits in the standby region.
        backup = None
        if region_config.role in (RegionRole.PRIMARY, RegionRole.STANDBY):
            backup = factory.backup(region, (data, storage))
        # Objects to Azure run where the data bucket is a replica (the primary if none is).
        replication = None
        if factory.replicates_objects(region):
            replication = factory.replication(region, storage)
        monitoring = factory.monitoring(
            region,
            network=network,
            data=data,
            compute=compute,
            backup=backup,
            replication=replication,
        )
        stacks.regions[region] = RegionStacks(
            region, region_config, network, data, storage, compute, monitoring, backup, replication
        )

    # Replicas are created from the primary; the primary bucket replicates into buckets that
    # must already exist. Cross-region references are names and ARNs, so there is no cycle.
    primary = stacks.regions[config.primary_region]
    for region, regional in stacks.regions.items():
        if region != config.primary_region:
            regional.data.add_stack_dependency(primary.data)
            primary.storage.add_stack_dependency(regional.storage)

    stacks.dns = factory.dns({region: r.compute for region, r in stacks.regions.items()})

    for key, value in {
        "project": config.project,
        "environment": config.name,
        "managed-by": "aws-cdk",
        **config.tags,
    }.items():
        Tags.of(app).add(key, value)
    apply_rule_packs(app)
    return stacks
