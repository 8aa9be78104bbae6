"""Builds every stack of one environment into a CDK app: the global edge (when on), the region
loop, then the global DNS.

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
from infra.stacks.edge import EdgeStack
from infra.stacks.link import LinkStack
from infra.stacks.monitoring import MonitoringStack
from infra.stacks.network import NetworkStack
from infra.stacks.recovery_actions import RecoveryActionsStack
from infra.stacks.region_switch import RegionSwitchStack
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
    link: LinkStack | None = None


@dataclass
class AppStacks:
    names: Names
    regions: dict[str, RegionStacks] = field(default_factory=dict)
    dns: DnsStack | None = None
    edge: EdgeStack | None = None
    recovery: dict[str, RecoveryActionsStack] = field(default_factory=dict)
    region_switch: RegionSwitchStack | None = None


def build_app(app: App, config: EnvironmentConfig) -> AppStacks:
    factory = StackFactory(app, config)
    stacks = AppStacks(names=factory.names)
    # The edge first: every ALB listener reads its origin secret (a replica in each region).
    if config.edge.enabled:
        stacks.edge = factory.edge()

    for region, region_config in config.regions.items():
        network = factory.network(region)
        data, storage = factory.stateful(region, network)
        compute = factory.compute(region, network)
        if stacks.edge is not None:
            compute.add_stack_dependency(stacks.edge)
        # Backup jobs run in the primary region; promote waits in the standby region.
        backup = None
        if region_config.role in (RegionRole.PRIMARY, RegionRole.STANDBY):
            backup = factory.backup(region, (data, storage))
        # Objects to Azure run where the data bucket is a replica (the primary if none is).
        replication = None
        if factory.replicates_objects(region):
            replication = factory.replication(region, storage, network, data)
        monitoring = factory.monitoring(
            region,
            network=network,
            data=data,
            compute=compute,
            backup=backup,
            replication=replication,
        )
        link = factory.link(region, network=network, monitoring=monitoring)
        stacks.regions[region] = RegionStacks(
            region,
            region_config,
            network,
            data,
            storage,
            compute,
            monitoring,
            backup,
            replication,
            link,
        )

    # Replicas are created from the primary; the primary bucket replicates into buckets that
    # must already exist. Cross-region references are names and ARNs, so there is no cycle.
    primary = stacks.regions[config.primary_region]
    for region, regional in stacks.regions.items():
        if region != config.primary_region:
            regional.data.add_stack_dependency(primary.data)
            primary.storage.add_stack_dependency(regional.storage)

    # Point-in-time restore in the standby region: the primary's automated backups are
    # replicated there under the standby's backup key. The key ARN is a weak cross-stack
    # reference (Fn::GetStackOutput, no export), so the primary's data stack deploys after the
    # standby's storage stack, which does not depend on the primary.
    standby = next(iter(config.regions_with_role(RegionRole.STANDBY)), None)
    days = config.backup.standby_backup_replication_days
    if standby and days:
        primary.data.database.replicate_backups_to(
            region=standby,
            key_arn=stacks.regions[standby].storage.backup_key.key_arn,
            retention_days=days,
        )

    stacks.dns = factory.dns(
        {region: r.compute for region, r in stacks.regions.items()}, stacks.edge
    )

    # Failover between the primary and the standby: an ARC Region switch plan. The standby's
    # recovery stack holds the plan's role, so it deploys before the primary's.
    standbys = config.regions_with_role(RegionRole.STANDBY)
    if standbys:
        for region in (standbys[0], config.primary_region):
            regional = stacks.regions[region]
            stacks.recovery[region] = factory.recovery_actions(
                region, network=regional.network, data=regional.data, compute=regional.compute
            )
        stacks.recovery[config.primary_region].add_stack_dependency(stacks.recovery[standbys[0]])
        stacks.region_switch = factory.region_switch(
            [*stacks.recovery.values(), stacks.dns, primary.monitoring]
        )

    for key, value in {
        "project": config.project,
        "environment": config.name,
        "managed-by": "aws-cdk",
        **config.tags,
    }.items():
        Tags.of(app).add(key, value)
    apply_rule_packs(app)
    return stacks
