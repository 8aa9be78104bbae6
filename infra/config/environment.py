"""The root of the configuration: one environment, all tiers, both clouds."""

from __future__ import annotations

import ipaddress
import re
from typing import Self

from pydantic import Field, model_validator

from infra.config.azure import AzureConfig
from infra.config.backup import BackupConfig
from infra.config.base import AccountId, AwsRegion, RegionRole, StrictModel
from infra.config.compute import ComputeConfig, IngressConfig
from infra.config.data import DataConfig
from infra.config.database_replication import DatabaseReplicationConfig
from infra.config.dns import DnsConfig
from infra.config.edge import EdgeConfig
from infra.config.link import LinkConfig
from infra.config.monitoring import MonitoringConfig
from infra.config.network import NetworkConfig, plan_subnets
from infra.config.operator_access import OperatorAccessConfig
from infra.config.recovery import RecoveryConfig
from infra.config.replication import ObjectReplicationConfig
from infra.config.tls import describe_versions, route53_can_negotiate
from infra.network_acl_rules import MAX_RULES_PER_DIRECTION, largest_direction, tier_rules
from infra.recovery.budget import rto_budget

# What the origin secret rotation needs besides its wait: Secrets Manager, SSM and ELB calls in
# every ALB region and CloudFront updates (seconds each, with back-off on throttling).
ROTATION_API_SECONDS = 60


class RegionConfig(StrictModel):
    role: RegionRole
    """primary: all tiers, the database primary; replica: read region; standby: warm DR."""
    availability_zones: list[str] = Field(min_length=2)
    """Explicit AZ names: synth never looks them up. ALBs and RDS subnet groups need two."""
    vpc_cidr: ipaddress.IPv4Network
    """Must not overlap any other region's VPC or the Azure VNet (peering and VPN need that)."""


class EnvironmentConfig(StrictModel):
    name: str = Field(pattern=r"^[a-z][a-z0-9-]{1,20}$")
    """Environment name; part of every stack id and resource name."""
    project: str = Field(default="fdr", pattern=r"^[a-z][a-z0-9-]{1,10}$")
    """Prefix of stack ids and resource names."""
    account: AccountId
    """AWS account that every stack deploys to (override: FDR_ACCOUNT or -c account=...)."""
    tags: dict[str, str] = Field(default_factory=dict)
    """Tags applied to every resource, next to project and environment."""
    retain_stateful_resources: bool
    """Keep databases, caches, buckets, keys and log groups when a stack is deleted or a resource
    replaced (RemovalPolicy.RETAIN); when false they are destroyed with the stack."""
    deletion_protection: bool
    """Deletion protection on databases and load balancers, termination protection on stacks."""
    regions: dict[AwsRegion, RegionConfig] = Field(min_length=1)
    """Regions and their roles; exactly one is the primary."""
    network: NetworkConfig
    """Network tier of every region."""
    azure: AzureConfig
    """Azure DR footprint, read by ``python -m azure_dr``."""
    dns: DnsConfig
    """Global DNS: hosted zone, failover and latency records, health checks (``dns`` stack)."""
    compute: ComputeConfig
    """EKS cluster of every region: version, endpoint, add-ons, node groups, access."""
    ingress: IngressConfig
    """Internet-facing ALB of every region: TLS, health check, access logs, WAF."""
    data: DataConfig
    """Data and storage tiers: PostgreSQL, Redis, S3 data buckets."""
    backup: BackupConfig
    """Backup and DR jobs (snapshot, copy, prune, verify, promote) of the backup tier."""
    monitoring: MonitoringConfig
    """Observability tier: AMP, Container Insights, X-Ray, Grafana, alarms and their topic."""
    recovery: RecoveryConfig = RecoveryConfig()
    """ARC Region switch plan between the primary and the standby region (none without one)."""
    operator_access: OperatorAccessConfig = OperatorAccessConfig(session_manager_host=False)
    """How operators reach a private Kubernetes API (docs/operations.md, "Reaching a private
    cluster")."""

    object_replication: ObjectReplicationConfig = ObjectReplicationConfig()
    """S3 objects to Azure Blob (``replication`` stack, ``azure_dr replicate objects``)."""
    database_replication: DatabaseReplicationConfig = DatabaseReplicationConfig()
    """The database to Azure: dump job and/or logical replication (docs/database-to-azure.md)."""

    @property
    def replication_region(self) -> str:
        """Where object replication runs: the standby (its replica bucket; the primary is not
        loaded), or the primary when there is no standby (development)."""
        return next(iter(self.regions_with_role(RegionRole.STANDBY)), self.primary_region)

    edge: EdgeConfig = EdgeConfig()
    """Global edge: CloudFront in front of the ALBs, edge WAF, origin lock-down (``edge`` stack)."""

    @property
    def failover_record(self) -> str:
        """The name the failover chain answers: the edge's origin name, or the application
        record itself when there is no edge."""
        label = self.edge.origin_record if self.edge.enabled else self.dns.application_record
        return f"{label}.{self.dns.domain}"

    @property
    def latency_record(self) -> str:
        """The name the latency records over the read regions answer: the read distribution's
        origin name, or the read record itself when there is no edge."""
        label = self.edge.read_origin_record if self.edge.enabled else self.dns.read_record
        return f"{label}.{self.dns.domain}"

    link: LinkConfig = LinkConfig()
    """Private network link: Transit Gateways, site-to-site VPN to Azure and on-premises sites."""

    @property
    def primary_region(self) -> str:
        return next(r for r, c in self.regions.items() if c.role is RegionRole.PRIMARY)

    def regions_with_role(self, role: RegionRole) -> list[str]:
        return [r for r, c in self.regions.items() if c.role is role]

    @property
    def linked_regions(self) -> list[str]:
        """Regions with a Transit Gateway and VPN to Azure: the primary and the standby."""
        if not self.link.enabled:
            return []
        roles = (RegionRole.PRIMARY, RegionRole.STANDBY)
        return [r for r, c in self.regions.items() if c.role in roles]

    def replication_sources(self) -> list[str]:
        """Azure subnets that reach RDS over the link when continuous replication is on: the AKS
        user pools (replication tooling) and the PostgreSQL server (the subscriber)."""
        if not (self.link.enabled and self.link.continuous_replication):
            return []
        subnets = self.azure.subnets()
        return [str(subnets["aks_user"]), str(subnets["postgres"])]

    def remote_postgres_clients(self, region: str) -> list[str]:
        """Ranges beyond the region's Transit Gateway that may reach its data tier on the
        PostgreSQL port (routes, network ACLs, the database security group)."""
        if region not in self.linked_regions:
            return []
        sites = [
            str(cidr)
            for site in self.link.sites
            if site.region == region and site.data_access
            for cidr in site.cidrs
        ]
        return [*self.replication_sources(), *sites]

    @model_validator(mode="after")
    def _one_primary(self) -> Self:
        primaries = self.regions_with_role(RegionRole.PRIMARY)
        if len(primaries) != 1:
            raise ValueError(
                f"regions: exactly one region must have role primary, found {len(primaries)}"
                + (f" ({', '.join(primaries)})" if primaries else "")
            )
        return self

    @model_validator(mode="after")
    def _azs_belong_to_their_region(self) -> Self:
        for region, cfg in self.regions.items():
            pattern = re.compile(rf"^{re.escape(region)}[a-z]$")
            for i, az in enumerate(cfg.availability_zones):
                if not pattern.match(az):
                    raise ValueError(
                        f"regions.{region}.availability_zones.{i}: {az!r} is not an AZ of {region}"
                    )
            if len(set(cfg.availability_zones)) != len(cfg.availability_zones):
                raise ValueError(f"regions.{region}.availability_zones: AZs must be distinct")
        return self

    @model_validator(mode="after")
    def _cidrs_do_not_overlap(self) -> Self:
        named = [(f"regions.{r}.vpc_cidr", c.vpc_cidr) for r, c in self.regions.items()]
        named.append(("azure.vnet_cidr", self.azure.vnet_cidr))
        if self.link.enabled:
            named += [
                (f"link.sites.{site.name}.cidrs.{i}", cidr)
                for site in self.link.sites
                for i, cidr in enumerate(site.cidrs)
            ]
        for i, (name_a, net_a) in enumerate(named):
            for name_b, net_b in named[i + 1 :]:
                if net_a.overlaps(net_b):
                    raise ValueError(f"{name_b}: {net_b} overlaps {name_a} ({net_a})")
        return self

    @model_validator(mode="after")
    def _subnets_fit(self) -> Self:
        for region, cfg in self.regions.items():
            try:
                plan = plan_subnets(
                    cfg.vpc_cidr, len(cfg.availability_zones), self.network.subnet_masks
                )
            except ValueError as err:
                raise ValueError(f"regions.{region}.vpc_cidr: {err}") from None
            cidrs = {tier: [str(block) for block in blocks] for tier, blocks in plan.items()}
            rules = tier_rules(cidrs, self.network.ports, self.remote_postgres_clients(region))
            tier, direction, count = largest_direction(rules)
            if count > MAX_RULES_PER_DIRECTION:
                raise ValueError(
                    f"regions.{region}.availability_zones: {len(cfg.availability_zones)} AZs give "
                    f"the {tier} network ACL {count} {direction}bound entries, above the default "
                    f"quota of {MAX_RULES_PER_DIRECTION}: raise the quota, then this limit"
                )
        return self

    @model_validator(mode="after")
    def _link_names_linked_regions(self) -> Self:
        self.link.check_regions(self.linked_regions)
        return self

    @model_validator(mode="after")
    def _dns_points_at_configured_regions(self) -> Self:
        self.dns.check_regions({r: c.role for r, c in self.regions.items()})
        return self

    @model_validator(mode="after")
    def _rotation_fits_its_timeout(self) -> Self:
        # The origin secret's rotation Lambda runs with the jobs' timeout (backup.timeout_seconds).
        settle, timeout = self.edge.origin_secret_rule_settle_seconds, self.backup.timeout_seconds
        if self.edge.enabled and settle + ROTATION_API_SECONDS > timeout:
            raise ValueError(
                f"edge.origin_secret_rule_settle_seconds: {settle} leaves less than "
                f"{ROTATION_API_SECONDS} s of backup.timeout_seconds ({timeout}) for the "
                "rotation's API calls: the rotation Lambda would time out before CloudFront "
                "sends the new value"
            )
        return self

    @model_validator(mode="after")
    def _backup_replication_needs_a_standby(self) -> Self:
        days = self.backup.standby_backup_replication_days
        if days and not self.regions_with_role(RegionRole.STANDBY):
            raise ValueError(
                f"backup.standby_backup_replication_days: {days}, but no region has role "
                "standby: there is no region to replicate the automated backups into"
            )
        return self

    @model_validator(mode="after")
    def _dump_container_exists(self) -> Self:
        db = self.database_replication
        if db.enabled and not self.object_replication.enabled:
            raise ValueError(
                "database_replication.enabled needs object_replication.enabled: the dump job runs "
                "in the replication stack under the replicator's Azure identity"
            )
        if db.enabled and not self.regions_with_role(RegionRole.STANDBY):
            raise ValueError(
                "database_replication.enabled needs a region with role standby: the dump is "
                "taken from the standby's read replica, never from the primary"
            )
        if (
            db.enabled
            and db.mode == "continuous"
            and not (self.link.enabled and self.link.continuous_replication)
        ):
            raise ValueError(
                "database_replication.mode: 'continuous' needs link.enabled and "
                "link.continuous_replication: without the private path the Azure server cannot "
                "reach RDS and the lag alarm would never clear"
            )
        if db.enabled and db.container not in self.azure.storage.containers:
            raise ValueError(
                f"database_replication.container: {db.container!r} is not one of "
                f"azure.storage.containers {self.azure.storage.containers}: the dumps would "
                "have nowhere to go"
            )
        return self

    @model_validator(mode="after")
    def _replication_container_exists(self) -> Self:
        container = self.object_replication.container
        if self.object_replication.enabled and container not in self.azure.storage.containers:
            raise ValueError(
                f"object_replication.container: {container!r} is not one of "
                f"azure.storage.containers {self.azure.storage.containers}: the footprint would "
                "not create it"
            )
        return self

    @model_validator(mode="after")
    def _private_clusters_are_reachable(self) -> Self:
        if not self.compute.public_endpoint_cidrs and not self.operator_access.session_manager_host:
            raise ValueError(
                "operator_access.session_manager_host: false while compute.public_endpoint_cidrs "
                "is empty: the Kubernetes API is private and no operator could reach it; turn "
                "the Session Manager host on or allow an operator CIDR on the public endpoint"
            )
        return self

    @model_validator(mode="after")
    def _certificates_for_known_regions(self) -> Self:
        for region in self.ingress.certificate_arns:
            if region not in self.regions:
                raise ValueError(f"ingress.certificate_arns.{region}: not a configured region")
        return self

    @model_validator(mode="after")
    def _health_checkers_can_negotiate_the_listener(self) -> Self:
        # Every region a DNS record points to gets a Route 53 HTTPS health check on its listener.
        policy = self.ingress.tls_policy
        roles = {r: c.role for r, c in self.regions.items()}
        if self.dns.ingress_regions(roles) and not route53_can_negotiate(policy):
            raise ValueError(
                f"ingress.tls_policy: {policy} offers {describe_versions(policy)} only, but the "
                "Route 53 HTTPS health checks (dns.health_check) negotiate TLS 1.0-1.2: every "
                "check would fail and DNS failover would never happen; use a policy that also "
                "offers TLS 1.2, e.g. ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
            )
        return self

    @model_validator(mode="after")
    def _edge_names_are_distinct(self) -> Self:
        if not self.edge.enabled:
            return self
        dns, edge = self.dns, self.edge
        # The names the zone already answers: CloudFront must not be its own origin, and the two
        # origins must not share records (the failover chain's inner level is <label>-standby).
        taken = {
            dns.application_record: "dns.application_record",
            dns.read_record: "dns.read_record",
        }
        for key, label in (
            ("edge.origin_record", edge.origin_record),
            ("edge.read_origin_record", edge.read_origin_record),
        ):
            if label in taken:
                raise ValueError(
                    f"{key}: {label!r} is also {taken[label]}; each origin name must differ from "
                    "the application and read records and from the other origin, or CloudFront "
                    "would be its own origin or the two record sets would collide"
                )
            taken[label] = key
            if key == "edge.origin_record":
                taken[f"{label}-standby"] = "the failover chain's standby level"
        return self

    @model_validator(mode="after")
    def _recovery_plan_can_meet_its_objective(self) -> Self:
        if not self.regions_with_role(RegionRole.STANDBY):
            return self  # no standby, no plan
        budget = rto_budget(self.recovery, self.dns.health_check)
        if not budget.fits:
            raise ValueError(
                f"recovery.rto_minutes: the objective ({self.recovery.rto_minutes} min) is "
                f"below the plan's estimated worst case of {budget.summary()}: raise the "
                "objective or shorten the steps (`make rto` shows the budget)"
            )
        if self.recovery.rto_minutes > self.backup.rto_minutes:
            raise ValueError(
                f"recovery.rto_minutes: {self.recovery.rto_minutes} min is above "
                f"backup.rto_minutes ({self.backup.rto_minutes} min), the recovery target the "
                "plan is part of"
            )
        lambda_seconds = self.backup.timeout_seconds
        if self.recovery.step_wait_seconds > lambda_seconds - 30:
            raise ValueError(
                f"recovery.step_wait_seconds: {self.recovery.step_wait_seconds} s leaves less "
                f"than 30 s of the Lambda timeout (backup.timeout_seconds {lambda_seconds} s): "
                "a step would be killed before it reports"
            )
        return self
