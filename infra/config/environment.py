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
from infra.config.dns import DnsConfig
from infra.config.monitoring import MonitoringConfig
from infra.config.network import NetworkConfig, plan_subnets
from infra.config.replication import ObjectReplicationConfig


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
    object_replication: ObjectReplicationConfig = ObjectReplicationConfig()
    """S3 objects to Azure Blob (``replication`` stack, ``azure_dr replicate objects``)."""

    @property
    def replication_region(self) -> str:
        """Where object replication runs: the standby (its replica bucket; the primary is not
        loaded), or the primary when there is no standby (development)."""
        return next(iter(self.regions_with_role(RegionRole.STANDBY)), self.primary_region)

    @property
    def primary_region(self) -> str:
        return next(r for r, c in self.regions.items() if c.role is RegionRole.PRIMARY)

    def regions_with_role(self, role: RegionRole) -> list[str]:
        return [r for r, c in self.regions.items() if c.role is role]

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
        for i, (name_a, net_a) in enumerate(named):
            for name_b, net_b in named[i + 1 :]:
                if net_a.overlaps(net_b):
                    raise ValueError(f"{name_b}: {net_b} overlaps {name_a} ({net_a})")
        return self

    @model_validator(mode="after")
    def _subnets_fit(self) -> Self:
        for region, cfg in self.regions.items():
            try:
                plan_subnets(cfg.vpc_cidr, len(cfg.availability_zones), self.network.subnet_masks)
            except ValueError as err:
                raise ValueError(f"regions.{region}.vpc_cidr: {err}") from None
        return self

    @model_validator(mode="after")
    def _dns_points_at_configured_regions(self) -> Self:
        self.dns.check_regions({r: c.role for r, c in self.regions.items()})
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
    def _certificates_for_known_regions(self) -> Self:
        for region in self.ingress.certificate_arns:
            if region not in self.regions:
                raise ValueError(f"ingress.certificate_arns.{region}: not a configured region")
        return self
