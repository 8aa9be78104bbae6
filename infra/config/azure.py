"""Azure DR settings read by ``azure_dr``. The AWS app only reads the reserved CIDR."""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, StringConstraints, field_validator, model_validator

from infra.config.azure_identity import AccessConfig, EntraObjectId, IdentityConfig
from infra.config.base import StrictModel

# A lifecycle rule takes at most 10 prefixMatch entries (Azure Storage lifecycle policy
# structure); the rule names one per mirror container.
MAX_LIFECYCLE_PREFIXES = 10

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
    gateway: int = Field(default=27, ge=16, le=27)
    """GatewaySubnet of the VPN gateway (Azure asks for /27 or larger); allocated after the
    others and created only when the cross-cloud link is on (``link.enabled``)."""
    appgw: int | None = Field(default=None, ge=16, le=26)
    """Application Gateway v2 (DR ingress; needed when ``azure.ingress.enabled``). Allocated
    last, so adding it never moves the other subnets; Microsoft recommends /24 (at least /26)."""

    def in_allocation_order(self) -> list[tuple[str, int]]:
        order = [
            ("aks_system", self.aks_system),
            ("aks_user", self.aks_user),
            ("postgres", self.postgres),
            ("private_endpoints", self.private_endpoints),
        ]
        return order + ([("appgw", self.appgw)] if self.appgw is not None else [])


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
    failover_min_count: int | None = Field(default=None, ge=0, le=1000)
    """Autoscaler minimum (and node count) ``python -m azure_dr failover`` sets, so that the
    nodes exist before traffic arrives; the autoscaler still grows to max_count. Default: max_count
    (the whole DR capacity at once); ``failback`` returns to min_count."""

    @model_validator(mode="after")
    def _bounds(self) -> Self:
        if self.min_count > self.max_count:
            raise ValueError(
                f"min_count {self.min_count} exceeds max_count {self.max_count}: "
                "the autoscaler could never satisfy the pool"
            )
        dr = self.failover_min_count
        if dr is not None and not self.min_count <= dr <= self.max_count:
            raise ValueError(
                f"failover_min_count {dr} must lie between min_count {self.min_count} and "
                f"max_count {self.max_count}"
            )
        return self

    @property
    def dr_count(self) -> int:
        """The pool's size during a failover."""
        return self.max_count if self.failover_min_count is None else self.failover_min_count


class BaselineSource(StrictModel):
    """Where the AKS cluster's managed Flux extension reads the rendered baseline from: a private
    container of the DR storage account that ``python -m azure_dr sync`` fills
    (docs/cluster-baseline.md)."""

    container: str = Field(default="aks-baseline", pattern=r"^[a-z0-9][a-z0-9-]{2,62}$")
    """Blob container holding the rendered AKS overlay, one folder per content digest
    (``sha256-<hex>/baseline.yaml``); the cluster's kubelet identity reads it, nothing else."""
    flux_extension_version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    """Version of the microsoft.flux cluster extension (automatic minor upgrades are off);
    ``az k8s-extension extension-types list-versions-by-cluster --extension-type microsoft.flux``
    lists those a cluster can take. Microsoft supports the newest and the two before it."""


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
    baseline_source: BaselineSource
    """Where the managed Flux extension reads the cluster baseline (k8s/rendered/<env>/aks,
    uploaded by ``sync``; docs/cluster-baseline.md)."""

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
    containers: list[Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{2,62}$")]] = (
        Field(min_length=1, max_length=MAX_LIFECYCLE_PREFIXES)
    )
    """Blob containers mirroring the S3 buckets (e.g. data, backups); the lifecycle applies to
    these containers only (one prefix each; Azure takes at most 10 per rule)."""
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
    secrets_officer_group_ids: list[EntraObjectId] = Field(default_factory=list)
    """Entra group object ids given "Key Vault Secrets Officer" on the vault: the operators and
    CI identities that run ``python -m azure_dr sync`` (it generates the PostgreSQL admin
    password and copies the VPN keys into the vault), ``failover`` and ``replicate database``
    (they read the password). Empty: nobody can write the vault's secrets (RBAC vault)."""
    allowed_ip_ranges: list[ipaddress.IPv4Network] = Field(default_factory=list)
    """Public IPv4 addresses/ranges the vault's firewall admits to its data plane (the operator's
    or CI runner's egress address). Empty: public network access stays disabled and the CLI must
    run where the vault resolves to its private endpoint (the DR VNet or a network linked to it).
    ARM resolving the template's Key Vault references is not affected (control plane)."""

    @field_validator("allowed_ip_ranges")
    @classmethod
    def _public_only(cls, value: list[ipaddress.IPv4Network]) -> list[ipaddress.IPv4Network]:
        for net in value:
            if not net.is_global:
                raise ValueError(
                    f"{net} is not a public range: the vault firewall's IP rules take public "
                    "addresses only (private traffic uses the private endpoint)"
                )
        return value

    @field_validator("secrets_officer_group_ids")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(
                "lists a group twice: ARM would reject two role assignments with the same name"
            )
        return value


class Autoscale(StrictModel):
    min_capacity: int = Field(ge=0, le=125)
    """Instances always running (2 or more keeps the gateway in two zones)."""
    max_capacity: int = Field(ge=2, le=125)
    """Autoscaling upper bound during a failover."""

    @model_validator(mode="after")
    def _bounds(self) -> Self:
        if self.min_capacity > self.max_capacity:
            raise ValueError(
                f"min_capacity {self.min_capacity} exceeds max_capacity {self.max_capacity}"
            )
        return self


class IngressConfig(StrictModel):
    """DR ingress: Application Gateway v2 with WAF in front of the AKS ingress."""

    enabled: bool = False
    """Create the gateway (and, once ``public_ip`` is set, the Azure level of the DNS chain)."""
    autoscale: Autoscale = Autoscale(min_capacity=2, max_capacity=10)
    """Gateway instances (WAF_v2 autoscaling)."""
    waf_mode: Literal["Prevention", "Detection"] = "Prevention"
    """Prevention blocks matching requests; Detection only logs them (tuning period)."""
    certificate_secret: str | None = Field(default=None, pattern=r"^[a-zA-Z0-9-]{1,127}$")
    """Name of the listener certificate in the footprint's Key Vault (imported as a certificate,
    so its secret holds the PFX). The gateway reads the versionless secret id with its own
    identity, so a renewed certificate is picked up without a deployment."""
    backend_ip: ipaddress.IPv4Address | None = None
    """Private IP of the AKS ingress controller's internal load balancer (aks_user subnet)."""
    backend_host: str | None = Field(default=None, pattern=r"^[a-z0-9.-]{1,253}$")
    """Host name sent to the backend and checked on its certificate (the application's name)."""
    health_path: str = Field(default="/healthz", pattern=r"^/\S*$", max_length=255)
    """Path of the gateway's backend probe and of Route 53's health check of the gateway."""
    dns_ttl_seconds: int = Field(default=60, ge=10, le=300)
    """TTL of the Azure A record in the DNS chain (alias records to ALBs have none of their own):
    how long resolvers keep sending users to Azure after failback."""
    public_ip: ipaddress.IPv4Address | None = None
    """The gateway's public IP (``python -m azure_dr outputs``: appGatewayPublicIp), filled after
    the first ``sync``: the DNS stack adds the Azure level of the failover chain once it is set."""

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> Self:
        if self.enabled:
            missing = [
                k for k in ("certificate_secret", "backend_ip", "backend_host")
                if getattr(self, k) is None
            ]  # fmt: skip
            if missing:
                raise ValueError(
                    f"enabled: true needs {', '.join(missing)}: the gateway would have no "
                    "certificate or backend"
                )
        elif self.public_ip is not None:
            raise ValueError(
                "public_ip is set while enabled is false: DNS would send traffic to a gateway "
                "that the footprint does not create"
            )
        return self


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
    ingress: IngressConfig = IngressConfig()
    """DR ingress (Application Gateway v2 + WAF) and the Azure level of the DNS failover."""

    def subnets(self) -> dict[str, ipaddress.IPv4Network]:
        """Subnet of each tier. Raises ValueError when the layout does not fit the VNet."""
        cursor = int(self.vnet_cidr.network_address)
        end = int(self.vnet_cidr.broadcast_address)
        plan: dict[str, ipaddress.IPv4Network] = {}
        for tier, mask in self.subnet_masks.in_allocation_order():
            size = 2 ** (32 - mask)
            cursor = -(-cursor // size) * size  # round up to the block boundary
            if cursor + size - 1 > end:
                layout = ", ".join(f"/{m} {t}" for t, m in self.subnet_masks.in_allocation_order())
                raise ValueError(f"subnet_masks: {layout} do not fit vnet_cidr {self.vnet_cidr}")
            plan[tier] = ipaddress.IPv4Network((cursor, mask))
            cursor += size
        return plan

    def gateway_subnet(self) -> ipaddress.IPv4Network:
        """The GatewaySubnet, after every other subnet. Raises ValueError when it does not fit."""
        last = max(self.subnets().values(), key=lambda n: int(n.broadcast_address))
        size = 2 ** (32 - self.subnet_masks.gateway)
        cursor = -(-(int(last.broadcast_address) + 1) // size) * size
        if cursor + size - 1 > int(self.vnet_cidr.broadcast_address):
            raise ValueError(
                f"subnet_masks.gateway: a /{self.subnet_masks.gateway} GatewaySubnet does not fit "
                f"vnet_cidr {self.vnet_cidr} after the other subnets"
            )
        return ipaddress.IPv4Network((cursor, self.subnet_masks.gateway))

    @model_validator(mode="after")
    def _baseline_container_is_its_own(self) -> Self:
        container = self.aks.baseline_source.container
        if container in self.storage.containers:
            raise ValueError(
                f"aks.baseline_source.container: {container} is also in storage.containers: the "
                "mirror's lifecycle would archive and delete the baseline the cluster reads"
            )
        return self

    @model_validator(mode="after")
    def _layout(self) -> Self:
        subnets = self.subnets()
        self.gateway_subnet()
        if self.ingress.enabled:
            if "appgw" not in subnets:
                raise ValueError(
                    "ingress.enabled: true needs subnet_masks.appgw: Application Gateway "
                    "requires a subnet of its own"
                )
            backend = self.ingress.backend_ip
            if backend is not None and backend not in subnets["aks_user"]:
                raise ValueError(
                    f"ingress.backend_ip: {backend} is not in the aks_user subnet "
                    f"{subnets['aks_user']}, where the AKS ingress load balancer lives"
                )
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
