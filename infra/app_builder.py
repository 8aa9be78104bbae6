"""Builds every stack of one environment into a CDK app: global stacks, then the region loop.

Stack ids read ``fdr-<env>-<tier>-<region>``. Cross-stack order is explicit (``add_dependency``)
wherever a stack needs another to exist first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aws_cdk import App, RemovalPolicy, Tags

from infra.config import EnvironmentConfig, RegionConfig, RegionRole
from infra.constructs import tiered_vpc
from infra.constructs.backup_policies import BackupTargets
from infra.constructs.data_bucket import ReplicationTarget
from infra.constructs.postgres import Replica
from infra.constructs.region_health import BackupAlarms
from infra.constructs.watched import Cache, Database, Ingress
from infra.nag import apply_rule_packs
from infra.nag import backup as backup_nag
from infra.nag import compute as compute_nag
from infra.nag import data as data_nag
from infra.nag import dns as dns_nag
from infra.nag import monitoring as monitoring_nag
from infra.nag import network as network_nag
from infra.nag import storage as storage_nag
from infra.naming import Names
from infra.stacks.backup import BackupStack
from infra.stacks.compute import ComputeStack
from infra.stacks.data import DataStack
from infra.stacks.dns import DNS_HOME_REGION, DnsStack
from infra.stacks.monitoring import MonitoringStack
from infra.stacks.network import NetworkStack
from infra.stacks.storage import StorageStack


@dataclass
class RegionStacks:
    region: str
    config: RegionConfig
    network: NetworkStack
    data: DataStack
    storage: StorageStack
    compute: ComputeStack
    backup: BackupStack | None = None
    monitoring: MonitoringStack | None = None


@dataclass
class AppStacks:
    names: Names
    regions: dict[str, RegionStacks] = field(default_factory=dict)
    dns: DnsStack | None = None


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
        data, storage = _stateful_stacks(
            app, config, names, region, network, removal_policy, common
        )
        compute = _compute_stack(app, config, names, region, network, removal_policy, common)
        stacks.regions[region] = RegionStacks(
            region, region_config, network, data, storage, compute
        )

        # Backup jobs run in the primary region; promote waits in the standby region.
        if region_config.role in (RegionRole.PRIMARY, RegionRole.STANDBY):
            stacks.regions[region].backup = _backup_stack(
                app, config, names, region, (data, storage), removal_policy, common
            )
        stacks.regions[region].monitoring = _monitoring_stack(
            app, config, names, stacks.regions[region], removal_policy, common
        )

    # Replicas are created from the primary; the primary bucket replicates into buckets that
    # must already exist. Cross-region references are names and ARNs, so there is no cycle.
    primary = stacks.regions[config.primary_region]
    for region, regional in stacks.regions.items():
        if region != config.primary_region:
            regional.data.add_stack_dependency(primary.data)
            primary.storage.add_stack_dependency(regional.storage)

    stacks.dns = _dns_stack(app, config, names, stacks, removal_policy)

    for key, value in {
        "project": config.project,
        "environment": config.name,
        "managed-by": "aws-cdk",
        **config.tags,
    }.items():
        Tags.of(app).add(key, value)
    apply_rule_packs(app)
    return stacks


def _stateful_stacks(
    app: App,
    config: EnvironmentConfig,
    names: Names,
    region: str,
    network: NetworkStack,
    removal_policy: RemovalPolicy,
    common: dict[str, Any],
) -> tuple[DataStack, StorageStack]:
    """The data and storage stacks of one region."""
    role = config.regions[region].role
    primary_region = config.primary_region
    replica_of = None
    if role is not RegionRole.PRIMARY:
        replica_of = Replica(
            source_instance_arn=(
                f"arn:aws:rds:{primary_region}:{config.account}:db:"
                f"{names.database_identifier(primary_region)}"
            ),
            source_region=primary_region,
            promotable=role is RegionRole.STANDBY,
        )
    data = DataStack(
        app,
        names.stack_id("data", region),
        description=f"{names.resource('data')} ({role}): PostgreSQL, Redis, database keys",
        database=config.data.database,
        cache=config.data.cache,
        database_identifier=names.database_identifier(region),
        replica_of=replica_of,
        redis_group_id=names.redis_group_id(region),
        database_key_alias=names.kms_alias("database"),
        backup_key_alias=names.kms_alias("backup"),
        vpc=network.vpc,
        data_subnets=network.tiered_vpc.subnets(tiered_vpc.DATA),
        db_security_group=network.security_groups.db,
        cache_security_group=network.security_groups.cache,
        postgres_port=config.network.ports.postgres,
        redis_port=config.network.ports.redis,
        logs_key=network.logs_key,
        deletion_protection=config.deletion_protection,
        removal_policy=removal_policy,
        **common,
    )
    data_nag.acknowledge_findings(
        data,
        replica=replica_of is not None,
        multi_node_cache=config.data.cache.num_nodes > 1,
        multi_az=config.data.database.multi_az,
        deletion_protection=config.deletion_protection,
    )
    targets = []
    if role is RegionRole.PRIMARY:
        targets = [
            ReplicationTarget(
                region=other,
                bucket_name=names.data_bucket(config.account, other),
                key_alias=names.kms_alias("storage"),
            )
            for other in config.regions
            if other != region
        ]
    storage = StorageStack(
        app,
        names.stack_id("storage", region),
        description=f"{names.resource('storage')} ({role}): data bucket, access logs, storage key",
        storage=config.data.storage,
        bucket_name=names.data_bucket(config.account, region),
        access_log_bucket_name=names.access_log_bucket(config.account, region),
        storage_key_alias=names.kms_alias("storage"),
        replication_targets=targets,
        removal_policy=removal_policy,
        **common,
    )
    storage_nag.acknowledge_findings(
        storage, replication_wildcards=storage.buckets.replication_wildcards
    )
    return data, storage


def _compute_stack(
    app: App,
    config: EnvironmentConfig,
    names: Names,
    region: str,
    network: NetworkStack,
    removal_policy: RemovalPolicy,
    common: dict[str, Any],
) -> ComputeStack:
    """EKS and the ingress of one region."""
    role = config.regions[region].role
    compute = ComputeStack(
        app,
        names.stack_id("compute", region),
        description=f"{names.resource('compute')} ({role}): EKS, ALB, WAF",
        names=names,
        role=role,
        compute=config.compute,
        ingress=config.ingress,
        dns=config.dns,
        ports=config.network.ports,
        vpc=network.vpc,
        application_subnets=network.tiered_vpc.subnets(tiered_vpc.APPLICATION),
        public_subnets=network.tiered_vpc.subnets(tiered_vpc.PUBLIC),
        app_security_group=network.security_groups.app,
        web_security_group=network.security_groups.web,
        logs_key=network.logs_key,
        deletion_protection=config.deletion_protection,
        removal_policy=removal_policy,
        **common,
    )
    compute.add_stack_dependency(network)
    compute_nag.acknowledge_findings(compute, deletion_protection=config.deletion_protection)
    return compute


def _dns_stack(
    app: App,
    config: EnvironmentConfig,
    names: Names,
    stacks: AppStacks,
    removal_policy: RemovalPolicy,
) -> DnsStack:
    """The global DNS stack: it points at every region's ALB, so it deploys after them."""
    region_roles = {region: region_config.role for region, region_config in config.regions.items()}
    dns = DnsStack(
        app,
        names.stack_id("dns", "global"),
        description=f"{names.resource('dns')}: Route 53 zone, health checks, failover records",
        account=config.account,
        region=DNS_HOME_REGION,
        termination_protection=config.deletion_protection,
        dns=config.dns,
        region_roles=region_roles,
        https_port=config.network.ports.https,
        names=names,
        removal_policy=removal_policy,
    )
    dns_nag.acknowledge_findings(dns)
    for region in config.dns.ingress_regions(region_roles):
        # The compute stack publishes the ALB's SSM parameters that the DNS stack reads.
        dns.add_stack_dependency(stacks.regions[region].compute)
    return dns


def _backup_stack(
    app: App,
    config: EnvironmentConfig,
    names: Names,
    region: str,
    acts_on: tuple[DataStack, StorageStack],
    removal_policy: RemovalPolicy,
    common: dict[str, Any],
) -> BackupStack:
    role = config.regions[region].role
    backup = BackupStack(
        app,
        names.stack_id("backup", region),
        description=f"{names.resource('backup')} ({role}): backup/DR jobs",
        role="primary" if role is RegionRole.PRIMARY else "standby",
        backup=config.backup,
        targets=backup_targets(config, names),
        resource_prefix=names.resource("backup"),
        jobs_key_alias=names.kms_alias("backup-jobs"),
        removal_policy=removal_policy,
        **common,
    )
    backup_nag.acknowledge_findings(backup)
    # The jobs act on this region's database, cache and bucket: deploy after them.
    for stack in acts_on:
        backup.add_stack_dependency(stack)
    return backup


def _monitoring_stack(
    app: App,
    config: EnvironmentConfig,
    names: Names,
    regional: RegionStacks,
    removal_policy: RemovalPolicy,
    common: dict[str, Any],
) -> MonitoringStack:
    """Watches the constructs of this region's other stacks (exports inside one region)."""
    region, role = regional.region, regional.config.role
    data, compute, backup = regional.data, regional.compute, regional.backup
    backup_alarms = None
    if backup is not None:
        rpo = {k: a for k, a in backup.alarms.items() if k.startswith("Rpo")}
        backup_alarms = BackupAlarms(
            rpo=list(rpo.values()),
            others=[a for k, a in backup.alarms.items() if k not in rpo]
            + [job.errors_alarm for job in backup.jobs.values()],
        )
    monitoring = MonitoringStack(
        app,
        names.stack_id("monitoring", region),
        description=f"{names.resource('monitoring')} ({role}): AMP, Container Insights, "
        "X-Ray, alarms, dashboard" + (", Grafana" if role is RegionRole.PRIMARY else ""),
        names=names,
        monitoring=config.monitoring,
        rpo_minutes=config.backup.rpo_minutes,
        database=Database(data.database.instance, replica=role is not RegionRole.PRIMARY),
        cache=Cache(data.cache.group),
        ingress=Ingress(compute.load_balancer, compute.target_group),
        cluster_name=compute.cluster.cluster_name,
        cluster_arn=compute.cluster.cluster_arn,
        cluster_security_group_id=compute.cluster.cluster_security_group_id,
        scraper_subnet_ids=regional.network.vpc.select_subnets(
            subnet_group_name=tiered_vpc.APPLICATION
        ).subnet_ids,
        backup_alarms=backup_alarms,
        grafana_regions=list(config.regions) if role is RegionRole.PRIMARY else None,
        project_tag=("project", config.project),
        logs_key=regional.network.logs_key,
        removal_policy=removal_policy,
        **common,
    )
    monitoring_nag.acknowledge_findings(monitoring)
    return monitoring


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
