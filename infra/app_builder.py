"""Builds every stack of one environment into a CDK app: global stacks, then the region loop.

Stack ids read ``fdr-<env>-<tier>-<region>``. Cross-stack order is explicit (``add_dependency``)
wherever a stack needs another to exist first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aws_cdk import App, RemovalPolicy, Tags

from infra.config import EnvironmentConfig, RegionConfig, RegionRole
from infra.constructs.backup_policies import BackupTargets
from infra.nag import apply_rule_packs
from infra.nag import backup as backup_nag
from infra.nag import network as network_nag
from infra.naming import Names
from infra.stacks.backup import BackupStack
from infra.stacks.network import NetworkStack


@dataclass
class RegionStacks:
    region: str
    config: RegionConfig
    network: NetworkStack
    backup: BackupStack | None = None


@dataclass
class AppStacks:
    names: Names
    regions: dict[str, RegionStacks] = field(default_factory=dict)


def build_app(app: App, config: EnvironmentConfig) -> AppStacks:
    names = Names(config.project, config.name)
    removal_policy = (
        RemovalPolicy.RETAIN if config.retain_stateful_resources else RemovalPolicy.DESTROY
    )
    stacks = AppStacks(names=names)

    for region, region_config in config.regions.items():
        common = {
            "account": config.account,
            "region": region,
            "availability_zones": region_config.availability_zones,
            "termination_protection": config.deletion_protection,
        }
        network = NetworkStack(
            app,
            names.stack_id("network", region),
            description=f"{names.resource('network')} ({region_config.role}): VPC, SG matrix",
            network=config.network,
            vpc_cidr=str(region_config.vpc_cidr),
            logs_key_alias=names.kms_alias("logs"),
            removal_policy=removal_policy,
            **common,
        )
        network_nag.acknowledge_findings(network, az_count=len(region_config.availability_zones))
        stacks.regions[region] = RegionStacks(region, region_config, network)

        # Backup tier: scheduled jobs in the primary region, promote in the standby region.
        if region_config.role in (RegionRole.PRIMARY, RegionRole.STANDBY):
            backup = BackupStack(
                app,
                names.stack_id("backup", region),
                description=f"{names.resource('backup')} ({region_config.role}): backup/DR jobs",
                role="primary" if region_config.role is RegionRole.PRIMARY else "standby",
                backup=config.backup,
                targets=backup_targets(config, names),
                resource_prefix=names.resource("backup"),
                jobs_key_alias=names.kms_alias("backup-jobs"),
                removal_policy=removal_policy,
                **common,
            )
            backup_nag.acknowledge_findings(backup)
            stacks.regions[region].backup = backup

    for key, value in {
        "project": config.project,
        "environment": config.name,
        "managed-by": "aws-cdk",
        **config.tags,
    }.items():
        Tags.of(app).add(key, value)
    apply_rule_packs(app)
    return stacks


def backup_targets(config: EnvironmentConfig, names: Names) -> BackupTargets:
    primary = config.primary_region
    standby = next(iter(config.regions_with_role(RegionRole.STANDBY)), None)
    copy_regions = [r for r in (standby, *config.backup.copy_regions) if r]
    return BackupTargets(
        project=config.project,
        environment=config.name,
        primary_region=primary,
        database_id=names.database_identifier(primary),
        redis_group_id=names.redis_group_id(primary),
        standby_region=standby,
        standby_database_id=names.database_identifier(standby) if standby else None,
        copy_regions=list(dict.fromkeys(copy_regions)),
        backup_key_alias=names.kms_alias("backup"),
        database_key_alias=names.kms_alias("database"),
        data_key_alias=names.kms_alias(config.backup.data_bucket_key_purpose),
        primary_bucket=names.data_bucket(config.account, primary),
        replica_buckets={
            r: names.data_bucket(config.account, r) for r in config.regions if r != primary
        },
    )
