"""Log Analytics workspace and the private AKS cluster (Entra ID RBAC, no local accounts)."""

from __future__ import annotations

import ipaddress
from typing import Any

from azure_dr.footprint.arm import diagnostics, resource, resource_id
from azure_dr.footprint.names import AzureNames
from azure_dr.footprint.network import subnet_id
from azure_dr.footprint.roles import (
    AKS_RBAC_CLUSTER_ADMIN,
    KEY_VAULT_SECRETS_USER,
    CustomRole,
    inner,
    role_assignment,
)
from infra.config.azure import AksConfig, NodePool

AKS_TYPE = "Microsoft.ContainerService/managedClusters"
WORKSPACE_TYPE = "Microsoft.OperationalInsights/workspaces"
SECRETS_PROVIDER = "azureKeyvaultSecretsProvider"


def workspace(
    names: AzureNames, *, location: str, tags: dict[str, str], retention_days: int
) -> dict[str, Any]:
    return resource(
        WORKSPACE_TYPE,
        names.workspace,
        {
            "sku": {"name": "PerGB2018"},
            "retentionInDays": retention_days,
            # Agents authenticate with Entra ID; shared workspace keys are refused.
            "features": {"disableLocalAuth": True},
        },
        location=location,
        tags=tags,
    )


def _pool(name: str, pool: NodePool, *, mode: str, subnet: str, zones: list[str]) -> dict[str, Any]:
    taints = [f"{t.key}={t.value}:{t.effect.value}" for t in pool.taints]
    if mode == "System":
        # Only system add-ons on the system pool (the AKS-recommended isolation).
        taints = ["CriticalAddonsOnly=true:NoSchedule", *taints]
    body: dict[str, Any] = {
        "name": name,
        "mode": mode,
        "vmSize": pool.vm_size,
        "osType": "Linux",
        "osSKU": "AzureLinux",
        "type": "VirtualMachineScaleSets",
        "enableAutoScaling": True,
        "minCount": pool.min_count,
        "maxCount": pool.max_count,
        "count": pool.min_count,
        "vnetSubnetID": subnet,
        "nodeLabels": dict(sorted(pool.labels.items())),
        "nodeTaints": taints,
        "upgradeSettings": {"maxSurge": "33%"},
    }
    if zones:
        body["availabilityZones"] = zones
    return body


def cluster(
    names: AzureNames,
    aks: AksConfig,
    *,
    location: str,
    tags: dict[str, str],
    istio_revision: str,
) -> list[dict[str, Any]]:
    workspace_id = resource_id(WORKSPACE_TYPE, names.workspace)
    zones: list[str] = list(aks.availability_zones)
    pools = [
        _pool("system", aks.system_pool, mode="System",
              subnet=subnet_id(names, "aks_system"), zones=zones),
        *(
            _pool(name, pool, mode="User", subnet=subnet_id(names, "aks_user"), zones=zones)
            for name, pool in aks.user_pools.items()
        ),
    ]  # fmt: skip
    dns_service_ip = str(ipaddress.IPv4Address(int(aks.service_cidr.network_address) + 10))
    properties = {
        "kubernetesVersion": aks.kubernetes_version,
        "dnsPrefix": names.cluster,
        "enableRBAC": True,
        "disableLocalAccounts": True,
        "aadProfile": {"managed": True, "enableAzureRBAC": True},
        "apiServerAccessProfile": {
            "enablePrivateCluster": True,
            "privateDNSZone": "system",
            "enablePrivateClusterPublicFQDN": False,
        },
        "networkProfile": {
            "networkPlugin": "azure",
            "networkPluginMode": "overlay",
            "networkDataplane": "cilium",
            "networkPolicy": "cilium",
            "podCidr": str(aks.pod_cidr),
            "serviceCidr": str(aks.service_cidr),
            "dnsServiceIP": dns_service_ip,
            "loadBalancerSku": "standard",
            "outboundType": "loadBalancer",
        },
        "agentPoolProfiles": pools,
        "addonProfiles": {
            "azurepolicy": {"enabled": True},
            SECRETS_PROVIDER: {
                "enabled": True,
                "config": {"enableSecretRotation": "true"},
            },
            "omsagent": {
                "enabled": True,
                "config": {"logAnalyticsWorkspaceResourceID": workspace_id, "useAADAuth": "true"},
            },
        },
        # The Istio-based service mesh add-on (the same Istio minor as the EKS charts): strict
        # mTLS in the application namespaces comes with the baseline (k8s/).
        "serviceMeshProfile": {"mode": "Istio", "istio": {"revisions": [istio_revision]}},
        "oidcIssuerProfile": {"enabled": True},
        "securityProfile": {"workloadIdentity": {"enabled": True}},
        "autoUpgradeProfile": {"upgradeChannel": "patch", "nodeOSUpgradeChannel": "NodeImage"},
    }
    return [
        resource(
            AKS_TYPE,
            names.cluster,
            properties,
            location=location,
            tags=tags,
            sku={"name": "Base", "tier": aks.sku_tier},
            identity={"type": "SystemAssigned"},
            depends_on=[
                workspace_id,
                resource_id("Microsoft.Network/virtualNetworks", names.vnet),
            ],
        ),
        diagnostics(AKS_TYPE, names.cluster, workspace_id),
    ]


def cluster_admins(names: AzureNames, group_ids: list[str]) -> list[dict[str, Any]]:
    """Entra groups that administer the cluster through Azure RBAC (local accounts are off)."""
    cluster_id = resource_id(AKS_TYPE, names.cluster)
    return [
        role_assignment(
            AKS_RBAC_CLUSTER_ADMIN,
            scope=cluster_id,
            principal_id=group,
            principal_type="Group",
            principal_key=f"'{group}'",
            depends_on=[cluster_id],
        )
        for group in group_ids
    ]


# What `az aks command invoke` needs on the cluster (learn.microsoft.com/azure/aks/
# access-private-cluster): runcommand/action and commandResults/read; plus managedClusters/read,
# because the CLI reads the cluster first (to pass the caller's Entra token to the command).
# No built-in role is that narrow: "Azure Kubernetes Service Cluster Admin Role" lacks
# commandResults/read and adds listClusterAdminCredential, the Contributor role has
# managedClusters/*, the Cluster User and RBAC roles lack runcommand.
COMMAND_INVOKE_ACTIONS = (
    "Microsoft.ContainerService/managedClusters/read",
    "Microsoft.ContainerService/managedClusters/runcommand/action",
    "Microsoft.ContainerService/managedClusters/commandResults/read",
)


def command_invoke(names: AzureNames, group_ids: list[str]) -> list[dict[str, Any]]:
    """The operator path into the private cluster: the admin groups may run ``kubectl`` through
    ``az aks command invoke`` (the command runs with their own Entra identity, so Kubernetes
    RBAC still decides what it may do) and nothing else at the ARM level."""
    role = CustomRole(
        name=names.command_invoke_role,
        definition_id=names.command_invoke_role_id,
        actions=COMMAND_INVOKE_ACTIONS,
        description=f"az aks command invoke on {names.cluster} (managed by azure_dr)",
    )
    cluster_id = resource_id(AKS_TYPE, names.cluster)
    return [
        role.definition(),
        *(
            role_assignment(
                role,
                scope=cluster_id,
                principal_id=group,
                principal_type="Group",
                principal_key=f"'{group}'",
                depends_on=[cluster_id],
            )
            for group in group_ids
        ),
    ]


def secrets_provider_reads(names: AzureNames, vault_id: str) -> dict[str, Any]:
    """The Key Vault CSI driver's identity (the add-on's managed identity, which AKS creates
    with the cluster) reads secrets of this vault only."""
    cluster_id = resource_id(AKS_TYPE, names.cluster)
    return role_assignment(
        KEY_VAULT_SECRETS_USER,
        scope=vault_id,
        principal_id=(
            f"[reference({inner(cluster_id)}).addonProfiles.{SECRETS_PROVIDER}.identity.objectId]"
        ),
        principal_type="ServicePrincipal",
        principal_key=f"{inner(cluster_id)}, '{SECRETS_PROVIDER}'",
        depends_on=[cluster_id, vault_id],
    )
