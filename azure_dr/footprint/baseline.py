"""Delivery of the cluster baseline to AKS without a manual step: ``python -m azure_dr sync``
uploads the rendered AKS overlay to a private container of the DR storage account (one folder
per content digest), and the managed Flux extension applies the folder this template names.

- The container (``azure.aks.baseline_source.container``): outside the mirror's lifecycle rule,
  so the baseline is never archived or deleted.
- Flux reads it keylessly: ``azureBlob.managedIdentity.clientId`` is the cluster's kubelet
  identity (the source-controller gets its token from the node's IMDS), which holds Storage
  Blob Data Reader on this container only. The stable fluxConfigurations API (2025-04-01) has
  no workload-identity field for an AzureBlob source; docs/cluster-baseline.md says why this
  identity and not another.
- The deploying principal (``deployer()``, who runs ``sync``) holds Storage Blob Data
  Contributor on this container only, for the upload that follows the deployment.
- Network: the source-controller reaches the account through its blob private endpoint (the
  privatelink zone is linked to the VNet); the operator's upload needs an address the storage
  firewall admits (``azure.storage.allowed_ip_ranges``) or a path into the VNet.
"""

from __future__ import annotations

from typing import Any

from azure_dr.footprint.arm import resource, resource_id
from azure_dr.footprint.cluster import AKS_TYPE
from azure_dr.footprint.names import AzureNames
from azure_dr.footprint.roles import (
    ROLE_ASSIGNMENT_TYPE,
    STORAGE_BLOB_DATA_CONTRIBUTOR,
    STORAGE_BLOB_DATA_READER,
    inner,
    role_assignment,
)
from azure_dr.footprint.storage import ACCOUNT_TYPE
from infra.config.azure import BaselineSource

CONTAINER_TYPE = f"{ACCOUNT_TYPE}/blobServices/containers"
EXTENSION_TYPE = "Microsoft.KubernetesConfiguration/extensions"
FLUX_TYPE = "Microsoft.KubernetesConfiguration/fluxConfigurations"
FLUX_NAMESPACE = "flux-system"
FLUX_CONFIGURATION = "fdr-baseline"
KUSTOMIZATION = "baseline"
# A new baseline arrives with a template change (a new folder), not with a poll; the poll only
# repairs drift. The short retry covers the first deployment, where the upload follows it.
FLUX_INTERVAL_SECONDS = 600
FLUX_RETRY_SECONDS = 60


def container_id(names: AzureNames, source: BaselineSource) -> str:
    return resource_id(CONTAINER_TYPE, names.storage_account, "default", source.container)


def kubelet_identity(names: AzureNames, field: str) -> str:
    """The AKS-created kubelet identity (on every node, reachable through IMDS)."""
    cluster = inner(resource_id(AKS_TYPE, names.cluster))
    return f"[reference({cluster}).identityProfile.kubeletidentity.{field}]"


def baseline_delivery(
    names: AzureNames, source: BaselineSource, folder: str
) -> list[dict[str, Any]]:
    """``folder``: where ``sync`` puts this checkout's rendered AKS overlay in the container
    (``infra.k8s_baseline.published_folder``)."""
    cluster_id = resource_id(AKS_TYPE, names.cluster)
    account_id = resource_id(ACCOUNT_TYPE, names.storage_account)
    scope = container_id(names, source)
    container = resource(
        CONTAINER_TYPE,
        f"{names.storage_account}/default/{source.container}",
        {"publicAccess": "None"},
        depends_on=[resource_id(f"{ACCOUNT_TYPE}/blobServices", names.storage_account, "default")],
    )
    flux_reads = role_assignment(
        STORAGE_BLOB_DATA_READER,
        scope=scope,
        principal_id=kubelet_identity(names, "objectId"),
        principal_type="ServicePrincipal",
        principal_key=f"{inner(cluster_id)}, 'kubeletidentity'",
        depends_on=[cluster_id, scope],
    )
    sync_writes = role_assignment(
        STORAGE_BLOB_DATA_CONTRIBUTOR,
        scope=scope,
        principal_id="[deployer().objectId]",
        principal_type=None,
        principal_key="deployer().objectId",
        depends_on=[scope],
    )
    # The configuration waits for the extension (its CRDs and controllers).
    extension_id = f"[extensionResourceId({inner(cluster_id)}, '{EXTENSION_TYPE}', 'flux')]"
    extension = resource(
        EXTENSION_TYPE,
        "flux",
        {
            "extensionType": "microsoft.flux",
            "autoUpgradeMinorVersion": False,
            "version": source.flux_extension_version,
            "scope": {"cluster": {"releaseNamespace": FLUX_NAMESPACE}},
        },
        scope=cluster_id,
        depends_on=[cluster_id],
    )
    configuration = resource(
        FLUX_TYPE,
        FLUX_CONFIGURATION,
        {
            "scope": "cluster",
            "namespace": FLUX_NAMESPACE,
            "sourceKind": "AzureBlob",
            "suspend": False,
            "azureBlob": {
                "url": f"[reference({inner(account_id)}).primaryEndpoints.blob]",
                "containerName": source.container,
                "managedIdentity": {"clientId": kubelet_identity(names, "clientId")},
                "syncIntervalInSeconds": FLUX_INTERVAL_SECONDS,
                "timeoutInSeconds": FLUX_INTERVAL_SECONDS,
            },
            "kustomizations": {
                KUSTOMIZATION: {
                    "path": f"./{folder}",
                    "prune": True,
                    "syncIntervalInSeconds": FLUX_INTERVAL_SECONDS,
                    "timeoutInSeconds": FLUX_INTERVAL_SECONDS,
                    "retryIntervalInSeconds": FLUX_RETRY_SECONDS,
                }
            },
        },
        scope=cluster_id,
        depends_on=[
            cluster_id,
            extension_id,
            account_id,
            scope,
            # Flux reaches the account through its private endpoint only.
            resource_id("Microsoft.Network/privateEndpoints", names.private_endpoint("blob")),
            f"[extensionResourceId({inner(scope)}, '{ROLE_ASSIGNMENT_TYPE}', "
            f"{inner(flux_reads['name'])})]",
        ],
    )
    return [container, flux_reads, sync_writes, extension, configuration]
