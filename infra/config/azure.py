"""Azure DR settings read by ``azure_dr``. The AWS app only reads the reserved CIDR."""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, StringConstraints, field_validator, model_validator

from infra.config.azure_identity import AccessConfig, IdentityConfig
from infra.config.base import StrictModel

# Offline list: validation must not call Azure. Extend when the project enters a new region.
AZURE_REGIONS: frozenset[str] = frozenset(
    {
        "eastus", "eastus2", "centralus", "northcentralus", "southcentralus", "westcentralus",
        "westus", "westus2", "westus3", "canadacentral", "canadaeast", "brazilsouth",
        "northeurope", "westeurope", "uksouth", "ukwest", "francecentral", "germanywestcentral",
        "swedencentral", "switzerlandnorth", "norwayeast", "polandcentral", "italynorth",
        "southeastasia", "eastasia", "australiaeast", "australiasoutheast", "japaneast",
        "japanwest", "koreacentral", "centralindia", "southindia", "uaenorth",
        "southafricanorth", "usgovvirginia", "usgovarizona", "usgovtexas",
        "chinanorth3", "chinaeast3",
    }
)  # fmt: skip


def _known_azure_region(value: str) -> str:
    if value not in AZURE_REGIONS:
        raise ValueError(f"unknown Azure region {value!r} (use the short name, e.g. eastus2)")
    return value


AzureRegion = Annotated[str, AfterValidator(_known_azure_region)]
SubscriptionId = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$"),
]
VmSize = Annotated[str, StringConstraints(pattern=r"^Standard_[A-Za-z0-9_]+$")]
# Linux AKS pool names: lowercase alphanumerics, at most 12 characters.
PoolName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]{0,11}$")]
# Flexible Server accepts only these disk sizes (GiB).
POSTGRES_STORAGE_SIZES: tuple[int, ...] = (
    32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32767,
)  # fmt: skip


def _valid_storage_size(value: int) -> int:
    if value not in POSTGRES_STORAGE_SIZES:
        raise ValueError(
            f"{value} GiB is not a PostgreSQL Flexible Server disk size "
            f"(one of {', '.join(map(str, POSTGRES_STORAGE_SIZES))})"
        )
    return value


class TaintEffect(StrEnum):
    NO_SCHEDULE = "NoSchedule"
    PREFER_NO_SCHEDULE = "PreferNoSchedule"
    NO_EXECUTE = "NoExecute"


class Taint(StrictModel):
    key: str = Field(pattern=r"^[a-z0-9A-Z][-a-zA-Z0-9_./]{0,252}$")
    """Taint key (the same as the EKS node group's)."""
    value: str = Field(pattern=r"^[-a-zA-Z0-9_.]{0,63}$")
    """Taint value (the same as the EKS node group's)."""
    effect: TaintEffect
    """NoSchedule, PreferNoSchedule or NoExecute."""


class SubnetMasks(StrictModel):
    """Prefix length of each VNet subnet, allocated in this order from the VNet CIDR."""

    aks_system: int = Field(ge=16, le=28)
    """AKS system pool nodes (pods get overlay addresses, so nodes only need one each)."""
    aks_user: int = Field(ge=16, le=28)
    """AKS user pools: the application, AI and database node groups."""
    postgres: int = Field(ge=16, le=28)
    """Delegated to PostgreSQL Flexible Server (private access); Azure requires at least /28."""
    private_endpoints: int = Field(ge=16, le=28)
    """Private endpoints of Key Vault and Blob Storage."""

    def in_allocation_order(self) -> list[tuple[str, int]]:
        return [
            ("aks_system", self.aks_system),
            ("aks_user", self.aks_user),
            ("postgres", self.postgres),
            ("private_endpoints", self.private_endpoints),
        ]


class NodePool(StrictModel):
    vm_size: VmSize
    """VM size of the pool's nodes, e.g. Standard_D4s_v5."""
    min_count: int = Field(ge=0, le=1000)
    """Cluster autoscaler lower bound (DR scale: the warm minimum)."""
    max_count: int = Field(ge=1, le=1000)
    """Cluster autoscaler upper bound (what the pool may grow to during a failover)."""
    labels: dict[str, str] = Field(default_factory=dict)
    """Node labels, the same as the EKS node group's so that workloads schedule unchanged."""
    taints: list[Taint] = Field(default_factory=list)
    """Node taints, the same as the EKS node group's."""

    @model_validator(mode="after")
    def _bounds(self) -> Self:
        if self.min_count > self.max_count:
            raise ValueError(
                f"min_count {self.min_count} exceeds max_count {self.max_count}: "
                "the autoscaler could never satisfy the pool"
            )
        return self


class AksConfig(StrictModel):
    kubernetes_version: str = Field(pattern=r"^1\.\d{2}(\.\d+)?$")
    """Kubernetes minor (or patch) version of the control plane and every pool; its minor needs a
    row in infra/config/support.py (AKS calendar): a version past its end of life is rejected."""
    sku_tier: Literal["Free", "Standard", "Premium"]
    """Standard gives the API server an uptime SLA (production); Free has none."""
    availability_zones: list[Literal["1", "2", "3"]] = Field(default_factory=list)
    """Zones the pools spread over; empty for regions without zones."""
    service_cidr: ipaddress.IPv4Network
    """Kubernetes service addresses (not routed outside the cluster); must not overlap the VNet."""
    pod_cidr: ipaddress.IPv4Network
    """Azure CNI overlay pod addresses; must not overlap the VNet or the service CIDR."""
    system_pool: NodePool
    """System pool (CriticalAddonsOnly): CoreDNS, metrics-server, CSI drivers."""
    user_pools: dict[PoolName, NodePool] = Field(min_length=1)
    """User pools mirroring the EKS node groups at DR scale, with the same labels and taints."""

    @model_validator(mode="after")
    def _system_pool_never_empty(self) -> Self:
        if self.system_pool.min_count < 1:
            raise ValueError(
                f"system_pool.min_count: {self.system_pool.min_count} must be at least 1: "
                "AKS needs a system node to run CoreDNS"
            )
        return self


class PostgresConfig(StrictModel):
    major_version: Literal["16", "17"] = "17"
    """PostgreSQL major version: the same as the RDS engine of the AWS data tier."""
    sku_name: VmSize
    """Compute size, e.g. Standard_D4ds_v5 (General Purpose) or Standard_B2ms (Burstable)."""
    tier: Literal["Burstable", "GeneralPurpose", "MemoryOptimized"]
    """Compute tier of sku_name; Burstable does not support high availability."""
    storage_gb: Annotated[int, AfterValidator(_valid_storage_size)]
    """Disk size in GiB (auto-grow is on)."""
    backup_retention_days: int = Field(ge=7, le=35)
    """Point-in-time restore window in days (Azure allows 7 to 35)."""
    geo_redundant_backup: bool
    """Copy backups to the paired region (cannot be changed after the server is created)."""
    zone_redundant_ha: bool
    """Hot standby in another availability zone with automatic failover."""
    admin_login: str = Field(pattern=r"^[a-z][a-z0-9_]{2,62}$")
    """Administrator login; its password is never in config or template (see README)."""
    database_name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")
    """Application database created on the server."""

    @model_validator(mode="after")
    def _ha_needs_a_capable_tier(self) -> Self:
        if self.zone_redundant_ha and self.tier == "Burstable":
            raise ValueError(
                "zone_redundant_ha: true needs tier GeneralPurpose or MemoryOptimized "
                "(Burstable servers cannot have a standby)"
            )
        return self


class Lifecycle(StrictModel):
    """Blob tiers mirroring the S3 lifecycle (Standard-IA, Glacier, expiry)."""

    cool_after_days: int = Field(ge=1)
    """Move blobs to the Cool tier this many days after their last change (S3 Standard-IA)."""
    archive_after_days: int = Field(ge=1)
    """Move blobs to the Archive tier (S3 Glacier)."""
    delete_after_days: int = Field(ge=1)
    """Delete blobs and old versions (the design's 7-year retention)."""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.cool_after_days < self.archive_after_days < self.delete_after_days:
            raise ValueError(
                f"cool_after_days ({self.cool_after_days}) < archive_after_days "
                f"({self.archive_after_days}) < delete_after_days ({self.delete_after_days}) "
                "must hold, or blobs would skip a tier"
            )
        return self


class StorageConfig(StrictModel):
    sku: Literal["Standard_GRS", "Standard_RAGRS", "Standard_GZRS", "Standard_RAGZRS"]
    """Replication; only geo-redundant SKUs (the DR copy must survive a region loss), and
    without ZRS while the lifecycle archives (Azure has no Archive tier on ZRS accounts)."""
    containers: list[Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{2,62}$")]]
    """Blob containers mirroring the S3 buckets (e.g. data, backups)."""
    soft_delete_days: int = Field(ge=1, le=365)
    """Soft delete of blobs and containers, and the point-in-time restore window source."""
    lifecycle: Lifecycle
    """Tiering and expiry of blobs, mirroring the S3 lifecycle rules."""
    allowed_ip_ranges: list[ipaddress.IPv4Network] = Field(default_factory=list)
    """Public IPv4 addresses/ranges the account's firewall admits: the Elastic IPs of the
    replication region's NAT gateways (object replication and the dump job leave AWS through
    them). Empty: public network access stays disabled (private endpoints only). ``sync`` adds
    the NAT addresses it reads from AWS when it has credentials (docs/database-to-azure.md)."""

    @field_validator("allowed_ip_ranges")
    @classmethod
    def _public_only(cls, value: list[ipaddress.IPv4Network]) -> list[ipaddress.IPv4Network]:
        for net in value:
            if not net.is_global:
                raise ValueError(
                    f"{net} is not a public range: the storage firewall's IP rules take public "
                    "addresses only (private traffic uses the private endpoint)"
                )
        return value

    @model_validator(mode="after")
    def _archive_needs_grs(self) -> Self:
        if "ZRS" in self.sku:
            raise ValueError(
                f"sku: {self.sku} cannot hold Archive-tier blobs: the lifecycle's "
                "archive_after_days needs Standard_GRS or Standard_RAGRS"
            )
        return self


class KeyVaultConfig(StrictModel):
    sku: Literal["standard", "premium"]
    """premium keeps keys in HSMs."""
    soft_delete_days: int = Field(ge=7, le=90)
    """Soft-delete retention of deleted vault objects (purge protection is always on)."""


class AzureConfig(StrictModel):
    vnet_cidr: ipaddress.IPv4Network
    """Address space of the Azure DR VNet; reserved so that it never overlaps an AWS VPC."""
    subscription_id: SubscriptionId
    """Azure subscription of the DR footprint (override: ``--subscription``)."""
    location: AzureRegion
    """Azure region of every resource, e.g. eastus2."""
    resource_group: str = Field(pattern=r"^[-\w.()]{1,89}[-\w()]$")
    """Resource group that holds the footprint; created by ``sync`` if missing."""
    subnet_masks: SubnetMasks
    """Prefix length of each subnet; checked to fit the VNet CIDR at load."""
    log_retention_days: int = Field(ge=30, le=730)
    """Retention of the Log Analytics workspace (AKS and PostgreSQL diagnostics)."""
    aks: AksConfig
    """The DR Kubernetes cluster (private, Entra ID RBAC)."""
    postgres: PostgresConfig
    """PostgreSQL Flexible Server, the target of the RDS replication."""
    storage: StorageConfig
    """Storage account mirroring the S3 buckets."""
    key_vault: KeyVaultConfig
    """Key Vault for application secrets and the database password."""
    access: AccessConfig
    """Entra groups given roles on the footprint (cluster administrators)."""
    identity: IdentityConfig
    """Keyless identities of workloads outside Azure (the AWS-side object replicator)."""

    def subnets(self) -> dict[str, ipaddress.IPv4Network]:
        """Subnet of each tier. Raises ValueError when the layout does not fit the VNet."""
        cursor = int(self.vnet_cidr.network_address)
        end = int(self.vnet_cidr.broadcast_address)
        plan: dict[str, ipaddress.IPv4Network] = {}
        for tier, mask in self.subnet_masks.in_allocation_order():
            size = 2 ** (32 - mask)
            cursor = -(-cursor // size) * size  # round up to the block boundary
            if cursor + size - 1 > end:
                m = self.subnet_masks
                raise ValueError(
                    f"subnet_masks: /{m.aks_system} aks_system, /{m.aks_user} aks_user, "
                    f"/{m.postgres} postgres and /{m.private_endpoints} private_endpoints "
                    f"do not fit vnet_cidr {self.vnet_cidr}"
                )
            plan[tier] = ipaddress.IPv4Network((cursor, mask))
            cursor += size
        return plan

    @model_validator(mode="after")
    def _layout(self) -> Self:
        self.subnets()
        named = [
            ("vnet_cidr", self.vnet_cidr),
            ("aks.service_cidr", self.aks.service_cidr),
            ("aks.pod_cidr", self.aks.pod_cidr),
        ]
        for i, (name_a, net_a) in enumerate(named):
            for name_b, net_b in named[i + 1 :]:
                if net_a.overlaps(net_b):
                    raise ValueError(f"{name_b}: {net_b} overlaps {name_a} ({net_a})")
        return self
