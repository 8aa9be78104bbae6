"""Creates each tier's stack for one environment, with its cdk-nag acknowledgments.

``infra.app_builder`` decides which stacks a region gets and in which order they deploy; this
module knows how to build each one from the configuration (and nothing about the others).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import App, Duration, RemovalPolicy, Stack

from infra.config import EnvironmentConfig, RegionRole
from infra.constructs import tiered_vpc
from infra.constructs.backup_policies import BackupTargets
from infra.constructs.data_bucket import ReplicationTarget
from infra.constructs.lambda_runtime import RUNTIME, architecture, lambda_code
from infra.constructs.postgres import Replica
from infra.constructs.private_api_access import HostSettings, PrivateApiClients
from infra.constructs.recovery_policies import PlanTargets
from infra.constructs.region_health import BackupAlarms
from infra.constructs.replication_lag import FunctionSettings, ProbeProps, ProbeTarget
from infra.constructs.retention import log_retention
from infra.constructs.transit_gateway import TransitPlan
from infra.constructs.watched import Cache, Database, Ingress
from infra.nag import backup as backup_nag
from infra.nag import compute as compute_nag
from infra.nag import data as data_nag
from infra.nag import dns as dns_nag
from infra.nag import edge as edge_nag
from infra.nag import link as link_nag
from infra.nag import monitoring as monitoring_nag
from infra.nag import network as network_nag
from infra.nag import recovery as recovery_nag
from infra.nag import replication as replication_nag
from infra.nag import storage as storage_nag
from infra.naming import Names
from infra.recovery.steps import FUNCTIONS
from infra.replication_settings import METRIC_NAMESPACE as REPLICATION_NAMESPACE
from infra.replication_settings import replication_settings
from infra.stacks.backup import BackupStack
from infra.stacks.compute import ComputeStack
from infra.stacks.data import DataStack
from infra.stacks.dns import DNS_HOME_REGION, DnsStack, DrIngress
from infra.stacks.edge import EDGE_HOME_REGION, EdgeStack
from infra.stacks.link import LinkStack
from infra.stacks.monitoring import MonitoringStack
from infra.stacks.network import NetworkStack
from infra.stacks.recovery_actions import (
    CACHE_PARAMETER,
    WRITER_PARAMETER,
    CanaryNetwork,
    RecoveryActionsStack,
)
from infra.stacks.region_switch import RegionSwitchStack
from infra.stacks.replication import Placement, ReplicationStack
from infra.stacks.storage import StorageStack


class StackFactory:
    def __init__(self, app: App, config: EnvironmentConfig) -> None:
        self.app = app
        self.config = config
        self.names = Names(config.project, config.name)
        self.removal_policy = (
            RemovalPolicy.RETAIN if config.retain_stateful_resources else RemovalPolicy.DESTROY
        )

    def _common(self, region: str) -> dict[str, Any]:
        return {
            "account": self.config.account,
            "region": region,
            "availability_zones": self.config.regions[region].availability_zones,
            "termination_protection": self.config.deletion_protection,
        }

    def network(self, region: str) -> NetworkStack:
        role = self.config.regions[region].role
        network = NetworkStack(
            self.app,
            self.names.stack_id("network", region),
            description=f"{self.names.resource('network')} ({role}): VPC, SG matrix",
            network=self.config.network,
            vpc_cidr=str(self.config.regions[region].vpc_cidr),
            logs_key_alias=self.names.kms_alias("logs"),
            bastion=self.config.operator_access.session_manager_host,
            removal_policy=self.removal_policy,
            origin_lockdown=self.config.edge.enabled,
            transit=self.transit_plan(region),
            remote_postgres_clients=self.config.remote_postgres_clients(region),
            **self._common(region),
        )
        network_nag.acknowledge_findings(
            network,
            az_count=len(self.config.regions[region].availability_zones),
            origin_lockdown=self.config.edge.enabled,
        )
        return network

    def transit_plan(self, region: str) -> TransitPlan | None:
        """The Transit Gateway of a linked region and the routes its subnets get."""
        if region not in self.config.linked_regions:
            return None
        link = self.config.link
        azure_tiers = (tiered_vpc.APPLICATION,) + (
            (tiered_vpc.DATA,) if link.continuous_replication else ()
        )
        routes: dict[str, tuple[str, ...]] = {str(self.config.azure.vnet_cidr): azure_tiers}
        for site in link.sites:
            if site.region == region:
                tiers = (tiered_vpc.APPLICATION,) + ((tiered_vpc.DATA,) if site.data_access else ())
                routes.update({str(cidr): tiers for cidr in site.cidrs})
        return TransitPlan(
            name=self.names.resource("link", region), asn=link.aws_asn, routes=routes
        )

    def stateful(self, region: str, network: NetworkStack) -> tuple[DataStack, StorageStack]:
        """The data and storage stacks of one region."""
        role = self.config.regions[region].role
        primary_region = self.config.primary_region
        replica_of = None
        if role is not RegionRole.PRIMARY:
            replica_of = Replica(
                source_instance_arn=(
                    f"arn:aws:rds:{primary_region}:{self.config.account}:db:"
                    f"{self.names.database_identifier(primary_region)}"
                ),
                source_region=primary_region,
                promotable=role is RegionRole.STANDBY,
            )
        data = DataStack(
            self.app,
            self.names.stack_id("data", region),
            description=f"{self.names.resource('data')} ({role}): PostgreSQL, Redis, database keys",
            database=self.config.data.database,
            cache=self.config.data.cache,
            database_identifier=self.names.database_identifier(region),
            replica_of=replica_of,
            redis_group_id=self.names.redis_group_id(region),
            database_key_alias=self.names.kms_alias("database"),
            vpc=network.vpc,
            data_subnets=network.tiered_vpc.subnets(tiered_vpc.DATA),
            db_security_group=network.security_groups.db,
            cache_security_group=network.security_groups.cache,
            postgres_port=self.config.network.ports.postgres,
            logical_replication=self.continuous_replication(),
            replication_login=(
                (
                    self.names.replication_user_secret(),
                    self.config.database_replication.replication_user,
                )
                if self.continuous_replication()
                else None
            ),
            redis_port=self.config.network.ports.redis,
            logs_key=network.logs_key,
            deletion_protection=self.config.deletion_protection,
            removal_policy=self.removal_policy,
            **self._common(region),
        )
        data_nag.acknowledge_findings(
            data,
            replica=replica_of is not None,
            multi_node_cache=self.config.data.cache.num_nodes > 1,
            multi_az=self.config.data.database.multi_az,
            deletion_protection=self.config.deletion_protection,
            replication_secret=data.replication_secret is not None,
        )
        targets = []
        if role is RegionRole.PRIMARY:
            targets = [
                ReplicationTarget(
                    region=other,
                    bucket_name=self.names.data_bucket(self.config.account, other),
                    key_alias=self.names.kms_alias("storage"),
                )
                for other in self.config.regions
                if other != region
            ]
        storage = StorageStack(
            self.app,
            self.names.stack_id("storage", region),
            description=(
                f"{self.names.resource('storage')} ({role}): data bucket, access logs, storage key"
            ),
            storage=self.config.data.storage,
            bucket_name=self.names.data_bucket(self.config.account, region),
            access_log_bucket_name=self.names.access_log_bucket(self.config.account, region),
            storage_key_alias=self.names.kms_alias("storage"),
            backup_key_alias=self.names.kms_alias("backup"),
            replication_targets=targets,
            removal_policy=self.removal_policy,
            event_bridge=self.replicates_objects(region),
            **self._common(region),
        )
        storage_nag.acknowledge_findings(
            storage, replication_wildcards=storage.buckets.replication_wildcards
        )
        return data, storage

    def compute(
        self,
        region: str,
        network: NetworkStack,
    ) -> ComputeStack:
        """EKS and the ingress of one region."""
        role = self.config.regions[region].role
        compute = ComputeStack(
            self.app,
            self.names.stack_id("compute", region),
            description=f"{self.names.resource('compute')} ({role}): EKS, ALB, WAF",
            names=self.names,
            role=role,
            compute=self.config.compute,
            ingress=self.config.ingress,
            dns=self.config.dns,
            ports=self.config.network.ports,
            vpc=network.vpc,
            application_subnets=network.tiered_vpc.subnets(tiered_vpc.APPLICATION),
            public_subnets=network.tiered_vpc.subnets(tiered_vpc.PUBLIC),
            app_security_group=network.security_groups.app,
            web_security_group=network.security_groups.web,
            health_checkers_security_group=network.security_groups.health_checkers,
            edge=self.config.edge,
            logs_key=network.logs_key,
            private_api_clients=self._private_api_clients(network),
            deletion_protection=self.config.deletion_protection,
            removal_policy=self.removal_policy,
            **self._common(region),
        )
        compute.add_stack_dependency(network)
        compute_nag.acknowledge_findings(
            compute, deletion_protection=self.config.deletion_protection
        )
        if self.config.operator_access.session_manager_host:
            compute_nag.acknowledge_operator_host(compute)
        return compute

    def _private_api_clients(self, network: NetworkStack) -> PrivateApiClients:
        access = self.config.operator_access
        bastion = network.security_groups.bastion
        return PrivateApiClients(
            bastion=bastion,
            monitoring=network.security_groups.monitoring,
            management_subnets=network.tiered_vpc.subnets(tiered_vpc.MANAGEMENT),
            host=HostSettings(  # bastion_sg exists exactly when the host does
                instance_type=access.instance_type,
                root_volume_gib=access.root_volume_gib,
                idle_session_timeout_minutes=access.idle_session_timeout_minutes,
                session_log_retention=log_retention(access.session_log_retention_days),
            )
            if bastion is not None
            else None,
        )

    def backup(
        self,
        region: str,
        acts_on: tuple[DataStack, StorageStack],
    ) -> BackupStack:
        role = self.config.regions[region].role
        backup = BackupStack(
            self.app,
            self.names.stack_id("backup", region),
            description=f"{self.names.resource('backup')} ({role}): backup/DR jobs",
            role="primary" if role is RegionRole.PRIMARY else "standby",
            backup=self.config.backup,
            targets=backup_targets(self.config, self.names),
            resource_prefix=self.names.resource("backup"),
            jobs_key_alias=self.names.kms_alias("backup-jobs"),
            removal_policy=self.removal_policy,
            **self._common(region),
        )
        backup_nag.acknowledge_findings(backup)
        # The jobs act on this region's database, cache and bucket: deploy after them.
        for stack in acts_on:
            backup.add_stack_dependency(stack)
        return backup

    def replicates_objects(self, region: str) -> bool:
        return self.config.object_replication.enabled and region == self.config.replication_region

    def replication(
        self, region: str, storage: StorageStack, network: NetworkStack, data: DataStack
    ) -> ReplicationStack:
        """Objects of this region's data bucket to Azure Blob (see ``replicates_objects``), and
        the database dump job where database_replication is enabled; both in the VPC."""
        role = self.config.regions[region].role
        ports = self.config.network.ports
        db = self.config.database_replication
        dump = None
        if db.enabled:
            postgres = self.config.data.database
            dump = {
                "config": db,
                "database_security_group_id": network.security_groups.db.security_group_id,
                "postgres_port": ports.postgres,
                "replica_host": data.database.instance.attr_endpoint_address,
                "replica_resource_id": data.database.instance.attr_dbi_resource_id,
                "database_name": postgres.database_name,
                "pg_major": postgres.engine_version.split(".")[0],
                "architecture": self.config.backup.architecture,
            }
        replication = ReplicationStack(
            self.app,
            self.names.stack_id("replication", region),
            description=f"{self.names.resource('replication')} ({role}): S3 objects to Azure Blob",
            replication=self.config.object_replication,
            settings=replication_settings(self.config, self.names, region),
            source_bucket=self.names.data_bucket(self.config.account, region),
            storage_key_alias=self.names.kms_alias("storage"),
            role_name=self.names.object_replicator_role(region),
            resource_prefix=self.names.resource("replication"),
            key_alias=self.names.kms_alias("replication"),
            powertools_layer_version=self.config.backup.powertools_layer_version,
            architecture=self.config.backup.architecture,
            removal_policy=self.removal_policy,
            placement=Placement(
                vpc=network.vpc,
                subnets=network.tiered_vpc.subnets(tiered_vpc.APPLICATION),
                https_port=ports.https,
            ),
            database_dump=dump,
            **self._common(region),
        )
        replication_nag.acknowledge_findings(replication)
        # The rule reads the bucket's events: the bucket (and its EventBridge switch) first.
        replication.add_stack_dependency(storage)
        return replication

    def monitoring(
        self,
        region: str,
        *,
        network: NetworkStack,
        data: DataStack,
        compute: ComputeStack,
        backup: BackupStack | None,
        replication: ReplicationStack | None = None,
    ) -> MonitoringStack:
        """Watches the constructs of this region's other stacks (exports inside one region)."""
        role = self.config.regions[region].role
        backup_alarms = None
        if backup is not None or replication is not None:
            alarms = backup.alarms if backup else {}
            rpo = {k: a for k, a in alarms.items() if k.startswith("Rpo")}
            # The objects RPO counts like a recovery point; failing replication machinery like
            # a failing backup job.
            backup_alarms = BackupAlarms(
                # The database dump's age is a recovery point of the database like a backup's.
                rpo=list(rpo.values())
                + ([replication.dump.age_alarm] if replication and replication.dump else []),
                others=[a for k, a in alarms.items() if k not in rpo]
                + ([job.errors_alarm for job in backup.jobs.values()] if backup else [])
                + (replication.other_alarms if replication else []),
                objects_rpo=[replication.lag_alarm] if replication else [],
                objects_rpo_seconds=self.config.object_replication.rpo_minutes * 60,
            )
        monitoring = MonitoringStack(
            self.app,
            self.names.stack_id("monitoring", region),
            description=f"{self.names.resource('monitoring')} ({role}): AMP, Container Insights, "
            "X-Ray, alarms, dashboard" + (", Grafana" if role is RegionRole.PRIMARY else ""),
            names=self.names,
            monitoring=self.config.monitoring,
            rpo_minutes=self.config.backup.rpo_minutes,
            database=Database(data.database.instance, replica=role is not RegionRole.PRIMARY),
            cache=Cache(data.cache.group),
            ingress=Ingress(compute.load_balancer, compute.target_group),
            cluster_name=compute.cluster.cluster_name,
            cluster_arn=compute.cluster.cluster_arn,
            scraper_security_group_id=network.security_groups.monitoring.security_group_id,
            scraper_subnet_ids=network.vpc.select_subnets(
                subnet_group_name=tiered_vpc.APPLICATION
            ).subnet_ids,
            backup_alarms=backup_alarms,
            grafana_regions=list(self.config.regions) if role is RegionRole.PRIMARY else None,
            project_tag=("project", self.config.project),
            logs_key=network.logs_key,
            removal_policy=self.removal_policy,
            replication_lag=self._replication_lag(region, network, data),
            **self._common(region),
        )
        monitoring_nag.acknowledge_findings(monitoring)
        # Its EKS add-ons run pods: explicit, not only implied by the cross-stack references, so
        # they are always created after the compute stack's node groups.
        monitoring.add_stack_dependency(compute)
        return monitoring

    def continuous_replication(self) -> bool:
        db = self.config.database_replication
        return db.enabled and db.mode == "continuous"

    def _replication_lag(
        self, region: str, network: NetworkStack, data: DataStack
    ) -> ProbeProps | None:
        """Continuous mode's lag probe: in the primary region, next to the publisher."""
        if not self.continuous_replication() or region != self.config.primary_region:
            return None
        backup, postgres = self.config.backup, self.config.data.database
        instance = data.database.instance
        return ProbeProps(
            config=self.config.database_replication,
            target=ProbeTarget(
                vpc=network.vpc,
                subnets=network.tiered_vpc.subnets(tiered_vpc.APPLICATION),
                database_security_group_id=network.security_groups.db.security_group_id,
                port=self.config.network.ports.postgres,
                host=instance.attr_endpoint_address,
                resource_id=instance.attr_dbi_resource_id,
                database=postgres.database_name,
            ),
            function=FunctionSettings(
                code=lambda_code(),
                runtime=RUNTIME,
                architecture=architecture(backup.architecture),
                memory_mb=backup.memory_mb,
                timeout_seconds=backup.timeout_seconds,
                reserved_concurrency=backup.reserved_concurrency,
                log_retention=log_retention(self.config.database_replication.log_retention_days),
            ),
            function_name=self.names.resource("replication-lag"),
            key_alias=self.names.kms_alias("replication-lag"),
            metric_namespace=REPLICATION_NAMESPACE,
        )

    def edge(self) -> EdgeStack:
        """The global edge: CloudFront, its WAF, certificate and logs, the origin secret."""
        config = self.config
        edge = EdgeStack(
            self.app,
            self.names.stack_id("edge", "global"),
            description=(
                f"{self.names.resource('edge')}: CloudFront, edge WAF, origin secret, access logs"
            ),
            account=config.account,
            region=EDGE_HOME_REGION,
            termination_protection=config.deletion_protection,
            edge=config.edge,
            domain=config.dns.domain,
            hosted_zone_id=config.dns.hosted_zone_id,
            application_record=config.dns.application_record,
            read_record=config.dns.read_record,
            alb_regions=list(config.regions),
            https_port=config.network.ports.https,
            backup=config.backup,
            names=self.names,
            removal_policy=self.removal_policy,
        )
        edge_nag.acknowledge_findings(edge)
        return edge

    def link(
        self, region: str, *, network: NetworkStack, monitoring: MonitoringStack
    ) -> LinkStack | None:
        """Phase 2 of the cross-cloud link: the VPN connections of a linked region, once the
        Azure gateway's addresses are configured."""
        link = self.config.link
        if (
            region not in self.config.linked_regions
            or link.phase < 2
            or network.transit_gateway is None
        ):
            return None
        role = self.config.regions[region].role
        alarms = self.config.monitoring.alarms
        stack = LinkStack(
            self.app,
            self.names.stack_id("link", region),
            description=f"{self.names.resource('link')} ({role}): VPN connections to Azure and "
            "on-premises sites, pre-shared keys, tunnel alarms",
            link=link,
            name_prefix=self.names.resource("link", region),
            secret_prefix=self.names.link_secret_prefix(region),
            key_alias=self.names.kms_alias("link"),
            transit_gateway=network.transit_gateway,
            topic=monitoring.topic,
            logs_key=network.logs_key,
            log_retention=log_retention(self.config.network.flow_logs.retention_days),
            alarm_period=Duration.minutes(alarms.period_minutes),
            alarm_evaluation_periods=alarms.evaluation_periods,
            removal_policy=self.removal_policy,
            **self._common(region),
        )
        link_nag.acknowledge_findings(stack)
        stack.add_stack_dependency(network)
        stack.add_stack_dependency(monitoring)
        return stack

    def _dr_ingress(self) -> DrIngress | None:
        """The Azure level of the failover chain, once the gateway's public IP is in config."""
        ingress = self.config.azure.ingress
        if not ingress.enabled or ingress.public_ip is None:
            return None
        return DrIngress(
            public_ip=str(ingress.public_ip),
            port=self.config.network.ports.https,
            health_path=ingress.health_path,
            ttl_seconds=ingress.dns_ttl_seconds,
        )

    def dns(
        self,
        ingress: dict[str, ComputeStack],
        edge: EdgeStack | None = None,
    ) -> DnsStack:
        """The global DNS stack: it points at every region's ALB, so it deploys after them."""
        region_roles = {
            region: region_config.role for region, region_config in self.config.regions.items()
        }
        dns = DnsStack(
            self.app,
            self.names.stack_id("dns", "global"),
            description=(
                f"{self.names.resource('dns')}: Route 53 zone, health checks, failover records"
            ),
            account=self.config.account,
            region=DNS_HOME_REGION,
            termination_protection=self.config.deletion_protection,
            dns=self.config.dns,
            region_roles=region_roles,
            https_port=self.config.network.ports.https,
            names=self.names,
            removal_policy=self.removal_policy,
            failover_record=self.config.failover_record,
            latency_record=self.config.latency_record,
            distribution=edge.distribution if edge else None,
            read_distribution=edge.read_distribution if edge else None,
            shield_advanced=self.config.edge.enabled and self.config.edge.shield_advanced,
            dr_ingress=self._dr_ingress(),
        )
        dns_nag.acknowledge_findings(dns)
        if edge is not None:
            dns.add_stack_dependency(edge)
        for region in self.config.dns.ingress_regions(region_roles):
            # The compute stack publishes the ALB's SSM parameters that the DNS stack reads.
            dns.add_stack_dependency(ingress[region])
        return dns

    # Recovery: the ARC Region switch plan between the primary and the standby ---------------

    def plan_targets(self) -> PlanTargets:
        config, names = self.config, self.names
        primary = config.primary_region
        standby = config.regions_with_role(RegionRole.STANDBY)[0]
        regions = (primary, standby)
        return PlanTargets(
            plan_name=names.region_switch_plan(),
            regions=regions,
            functions={step: names.recovery_function(step) for step in FUNCTIONS},
            cluster_names={r: names.cluster_name(r) for r in regions},
            database_ids={r: names.database_identifier(r) for r in regions},
            redis_group_ids={r: names.redis_group_id(r) for r in regions},
            app_parameters=(
                names.app_parameter(WRITER_PARAMETER),
                names.app_parameter(CACHE_PARAMETER),
            ),
            ingress_dns_parameter=names.ssm_parameter("ingress", "alb-dns-name"),
            hosted_zone_id=config.dns.hosted_zone_id,
            trigger_alarm=(
                f"{names.resource(primary)}-region-unhealthy"
                if config.recovery.trigger_on_region_unhealthy
                else None
            ),
        )

    def recovery_actions(
        self, region: str, *, network: NetworkStack, data: DataStack, compute: ComputeStack
    ) -> RecoveryActionsStack:
        """The plan's custom-action Lambdas (and access entry) in one of the two plan regions."""
        config, names = self.config, self.names
        role = config.regions[region].role
        targets = self.plan_targets()
        deploy_time_endpoints = None
        if role is RegionRole.PRIMARY:
            deploy_time_endpoints = (
                data.database.instance.attr_endpoint_address,
                data.cache.group.attr_primary_end_point_address,
            )
        actions = RecoveryActionsStack(
            self.app,
            names.stack_id("recovery", region),
            description=f"{names.resource('recovery')} ({role}): Region switch plan steps",
            role="primary" if role is RegionRole.PRIMARY else "standby",
            recovery=config.recovery,
            backup=config.backup,
            targets=targets,
            plan_role_name=names.region_switch_role(),
            settings={
                "project": config.project,
                "environment": config.name,
                "account": config.account,
                "region": region,
                "plan_name": targets.plan_name,
                "primary_region": config.primary_region,
                "database_id": targets.database_ids[region],
                "redis_group_id": targets.redis_group_ids[region],
                "writer_parameter": targets.app_parameters[0],
                "cache_parameter": targets.app_parameters[1],
                "ingress_dns_parameter": targets.ingress_dns_parameter,
                "hosted_zone_id": config.dns.hosted_zone_id,
                # The failover chain the dns step flips (origin.<domain> behind the edge).
                "record_name": config.failover_record,
                # The path Route 53 probes on every ALB: the smoke test asks the same question.
                "smoke_test_path": config.dns.health_check.path,
                # Behind the edge the ALBs admit only CloudFront: the smoke test goes through it.
                "edge_host": (
                    f"{config.dns.application_record}.{config.dns.domain}"
                    if config.edge.enabled
                    else None
                ),
                "https_port": config.network.ports.https,
                "database_port": config.network.ports.postgres,
                "database_name": config.data.database.database_name,
                "canary_user": config.recovery.canary_user,
                "promote_max_lag_seconds": config.backup.promote_max_replica_lag_seconds,
                "promoted_backup_retention_days": config.backup.automated_backup_retention_days,
                "step_wait_seconds": config.recovery.step_wait_seconds,
                "retry_mode": config.backup.retry_mode,
                "retry_max_attempts": config.backup.retry_max_attempts,
            },
            jobs_key_alias=names.kms_alias("recovery-jobs"),
            deploy_time_endpoints=deploy_time_endpoints,
            # The verify step's canary write: the application subnets and the app_tier group
            # (which may reach db_tier on the PostgreSQL port), and the instance's resource id
            # for rds-db:connect (a weak Fn::GetStackOutput reference, like the endpoints).
            canary_network=CanaryNetwork(
                vpc=network.vpc,
                subnets=network.tiered_vpc.subnets(tiered_vpc.APPLICATION),
                security_group=network.security_groups.app,
                database_resource_id=data.database.instance.attr_dbi_resource_id,
            ),
            removal_policy=self.removal_policy,
            **self._common(region),
        )
        recovery_nag.acknowledge_actions(actions)
        # The access entry needs the cluster; the deploy-time parameters read the data stack.
        actions.add_stack_dependency(compute)
        actions.add_stack_dependency(data)
        actions.add_stack_dependency(network)
        return actions

    def region_switch(self, after: list[Stack]) -> RegionSwitchStack:
        """The plan, in the standby region, after every stack whose names it references."""
        targets = self.plan_targets()
        standby = targets.regions[1]
        plan = RegionSwitchStack(
            self.app,
            self.names.stack_id("region-switch", standby),
            description=f"{targets.plan_name}: Region switch plan {' <-> '.join(targets.regions)}",
            recovery=self.config.recovery,
            targets=targets,
            plan_role_name=self.names.region_switch_role(),
            approver_role_name=self.names.resource("region-switch-approver"),
            account=self.config.account,
            region=standby,
            termination_protection=self.config.deletion_protection,
        )
        recovery_nag.acknowledge_plan(plan)
        for stack in after:
            plan.add_stack_dependency(stack)
        return plan


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
