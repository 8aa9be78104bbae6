"""The AKS side of the cluster baseline in the ARM template: the Istio add-on at the configured
revision (Istio CNI, so the application namespaces stay "restricted"), the managed Flux
extension applying the rendered overlay from the DR storage account (keyless, read-only on one
container, over the private endpoint), the operator's `az aks command invoke` role; the rendered
files in the repository are the renderer's current output."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from azure_dr.footprint.baseline import CONTAINER_TYPE, EXTENSION_TYPE, FLUX_TYPE
from azure_dr.footprint.cluster import AKS_TYPE, COMMAND_INVOKE_ACTIONS
from azure_dr.footprint.roles import (
    ROLE_DEFINITION_TYPE,
    STORAGE_BLOB_DATA_CONTRIBUTOR,
    STORAGE_BLOB_DATA_READER,
)
from infra import k8s_baseline
from infra.config.cluster_baseline import AKS_ISTIO_CNI_DEFAULT_MINOR
from tests.azure_dr.arm_queries import of_type, one, rid
from tests.unit.config_helpers import config_error, one_line

ROOT = Path(__file__).resolve().parents[2]
ROLE_TYPE = "Microsoft.Authorization/roleAssignments"


def _container_id(config, footprint) -> str:
    container = config.azure.aks.baseline_source.container
    return rid(CONTAINER_TYPE, footprint.names.storage_account, "default", container)


def _role(assignment: dict[str, Any]) -> str:
    return assignment["properties"]["roleDefinitionId"].split("'")[3]


# -- the mesh: Istio CNI on both clouds, so "restricted" admits sidecar-injected pods ----------


def test_istio_add_on_runs_the_configured_revision(env):
    config, footprint = env
    mesh = one(footprint.template, AKS_TYPE)["properties"]["serviceMeshProfile"]
    assert mesh == {
        "mode": "Istio",
        "istio": {"revisions": [config.compute.baseline.aks_istio_revision]},
    }


def test_restricted_application_namespaces_rely_on_the_add_ons_istio_cni(env):
    """The choice made visible: the AKS overlay keeps Pod Security "restricted" on the
    application namespaces because the pinned add-on revision installs the mesh with Istio CNI
    (istio-validation, no NET_ADMIN/NET_RAW) instead of istio-init. A revision before asm-1-30
    would need the CNIChaining setting, which managedClusters API 2024-09-01 does not carry."""
    config, _ = env
    revision = config.compute.baseline.aks_istio_revision
    assert int(revision.split("-")[-1]) >= AKS_ISTIO_CNI_DEFAULT_MINOR
    namespaces = [
        o for o in k8s_baseline.render_for(config, "aks")
        if o["kind"] == "Namespace" and o["metadata"]["labels"].get("istio.io/rev") == revision
    ]  # fmt: skip
    assert namespaces, "the AKS overlay labels the application namespaces with the revision"
    for namespace in namespaces:
        labels = namespace["metadata"]["labels"]
        assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_a_revision_without_istio_cni_is_one_line(tmp_path: Path):
    def older(c: dict[str, Any]) -> None:
        c["compute"]["baseline"]["charts"]["istio"] = "1.29.3"
        c["compute"]["baseline"]["aks_istio_revision"] = "asm-1-29"

    message = one_line(config_error(tmp_path, older))
    assert "aks_istio_revision: asm-1-29" in message
    assert "istio-init" in message and "restricted" in message


# -- delivery: Flux reads the uploaded overlay from the storage account -------------------------


def test_flux_extension_is_pinned(env):
    config, footprint = env
    extension = one(footprint.template, EXTENSION_TYPE)
    props = extension["properties"]
    assert props["extensionType"] == "microsoft.flux"
    assert props["autoUpgradeMinorVersion"] is False
    assert props["version"] == config.azure.aks.baseline_source.flux_extension_version
    assert extension["scope"] == rid(AKS_TYPE, footprint.names.cluster)


def test_flux_applies_the_rendered_overlay_from_the_baseline_container(env):
    config, footprint = env
    flux = one(footprint.template, FLUX_TYPE)
    props = flux["properties"]
    account = rid("Microsoft.Storage/storageAccounts", footprint.names.storage_account)
    assert props["sourceKind"] == "AzureBlob"
    assert "gitRepository" not in props
    blob = props["azureBlob"]
    assert blob["url"] == f"[reference({account[1:-1]}).primaryEndpoints.blob]"
    assert blob["containerName"] == config.azure.aks.baseline_source.container
    (kustomization,) = props["kustomizations"].values()
    assert kustomization["prune"] is True
    committed = k8s_baseline.rendered_file(config.name, "aks").read_text()
    assert kustomization["path"] == f"./{k8s_baseline.published_folder(committed)}"
    for dependency in (
        _container_id(config, footprint),
        rid("Microsoft.Network/privateEndpoints", footprint.names.private_endpoint("blob")),
    ):
        assert dependency in flux["dependsOn"]
    assert any("extensionResourceId" in d and EXTENSION_TYPE in d for d in flux["dependsOn"])
    assert any(ROLE_TYPE in d for d in flux["dependsOn"])  # the read grant comes first


def test_flux_authenticates_with_the_kubelet_identity_and_no_secret(env):
    _, footprint = env
    props = one(footprint.template, FLUX_TYPE)["properties"]
    identity = props["azureBlob"]["managedIdentity"]["clientId"]
    assert identity.endswith(").identityProfile.kubeletidentity.clientId]")
    text = json.dumps(props)
    for secret in ("accountKey", "sasToken", "servicePrincipal", "localAuthRef",
                   "configurationProtectedSettings"):  # fmt: skip
        assert secret not in text


def test_kubelet_identity_reads_the_baseline_container_only(env):
    config, footprint = env
    kubelet = [
        a for a in of_type(footprint.template, ROLE_TYPE)
        if "kubeletidentity" in a["properties"]["principalId"]
    ]  # fmt: skip
    (reader,) = kubelet
    assert _role(reader) == STORAGE_BLOB_DATA_READER.definition_id
    assert reader["scope"] == _container_id(config, footprint)
    assert reader["properties"]["principalId"].endswith(".kubeletidentity.objectId]")
    assert reader["properties"]["principalType"] == "ServicePrincipal"


def test_the_deploying_principal_may_write_the_baseline_container_only(env):
    config, footprint = env
    (writer,) = [
        a for a in of_type(footprint.template, ROLE_TYPE)
        if a["properties"]["principalId"] == "[deployer().objectId]"
    ]  # fmt: skip
    assert _role(writer) == STORAGE_BLOB_DATA_CONTRIBUTOR.definition_id
    assert writer["scope"] == _container_id(config, footprint)
    # A user or a service principal: unknown when the template is written.
    assert "principalType" not in writer["properties"]
    assert "reference(" not in writer["name"]


def test_baseline_container_is_private_and_outside_the_lifecycle(env):
    config, footprint = env
    container = config.azure.aks.baseline_source.container
    (body,) = [
        c for c in of_type(footprint.template, CONTAINER_TYPE)
        if c["name"].endswith(f"/{container}")
    ]  # fmt: skip
    assert body["properties"] == {"publicAccess": "None"}
    policy = one(footprint.template, "Microsoft.Storage/storageAccounts/managementPolicies")
    for rule in policy["properties"]["policy"]["rules"]:
        prefixes = rule["definition"]["filters"]["prefixMatch"]
        assert prefixes and not any(p.startswith(f"{container}/") for p in prefixes)


def test_the_source_controller_reaches_the_account_over_the_private_endpoint(env):
    """Flux runs on the AKS nodes: the account's blob name must resolve to the private
    endpoint inside the VNet, and the endpoints' subnet must admit HTTPS from the AKS subnets
    (the firewall does not apply to private endpoint traffic)."""
    config, footprint = env
    t = footprint.template
    account = rid("Microsoft.Storage/storageAccounts", footprint.names.storage_account)
    (endpoint,) = [
        e for e in of_type(t, "Microsoft.Network/privateEndpoints")
        if e["name"] == footprint.names.private_endpoint("blob")
    ]  # fmt: skip
    (connection,) = endpoint["properties"]["privateLinkServiceConnections"]
    assert connection["properties"] == {"privateLinkServiceId": account, "groupIds": ["blob"]}
    zone = "privatelink.blob.core.windows.net"
    links = [
        link for link in of_type(t, "Microsoft.Network/privateDnsZones/virtualNetworkLinks")
        if link["name"].startswith(f"{zone}/")
    ]  # fmt: skip
    assert links and links[0]["properties"]["virtualNetwork"]["id"] == rid(
        "Microsoft.Network/virtualNetworks", footprint.names.vnet
    )
    (group,) = [
        g for g in of_type(t, "Microsoft.Network/privateEndpoints/privateDnsZoneGroups")
        if g["name"].startswith(footprint.names.private_endpoint("blob"))
    ]  # fmt: skip
    assert group["properties"]["privateDnsZoneConfigs"][0]["properties"]["privateDnsZoneId"] == (
        rid("Microsoft.Network/privateDnsZones", zone)
    )
    (nsg,) = [
        n for n in of_type(t, "Microsoft.Network/networkSecurityGroups")
        if n["name"] == footprint.names.nsg("private_endpoints")
    ]  # fmt: skip
    rules = {r["name"]: r["properties"] for r in nsg["properties"]["securityRules"]}
    https = rules["AllowHttpsFromVnet"]
    assert https["destinationPortRange"] == str(config.network.ports.https) == "443"
    source = ipaddress.ip_network(https["sourceAddressPrefix"])
    subnets = config.azure.subnets()
    assert subnets["aks_system"].subnet_of(source) and subnets["aks_user"].subnet_of(source)


def test_rendered_aks_baseline_is_current(env):
    config, _ = env
    committed = k8s_baseline.rendered_file(config.name, "aks").read_text()
    assert committed == k8s_baseline.rendered_text(config, "aks"), (
        "run python -m infra.k8s_baseline --write and commit k8s/rendered/"
    )
    assert list(yaml.safe_load_all(committed))  # a YAML stream Flux can apply


def test_stale_rendered_file_is_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys):
    # Nothing rendered yet in tmp_path: every environment's file is missing, so stale.
    monkeypatch.setattr(
        k8s_baseline, "rendered_file", lambda env, overlay: tmp_path / env / "baseline.yaml"
    )
    assert k8s_baseline.main([]) == 1
    assert "is stale: run python -m infra.k8s_baseline --write" in capsys.readouterr().out


def test_baseline_container_apart_from_the_mirror_is_one_line(tmp_path: Path):
    message = config_error(
        tmp_path, lambda c: c["azure"]["aks"]["baseline_source"].update(container="backups")
    )
    assert "aks.baseline_source.container: backups is also in storage.containers" in (
        one_line(message)
    )


def test_more_mirror_containers_than_lifecycle_prefixes_is_one_line(tmp_path: Path):
    many = [f"bucket-{i:02d}" for i in range(11)]
    message = config_error(tmp_path, lambda c: c["azure"]["storage"].update(containers=many))
    assert "azure.storage.containers" in one_line(message)


# -- the operator path: az aks command invoke --------------------------------------------------


def test_admin_groups_may_use_command_invoke_and_nothing_more(env):
    config, footprint = env
    t = footprint.template
    definition = one(t, ROLE_DEFINITION_TYPE)
    props = definition["properties"]
    assert definition["name"] == footprint.names.command_invoke_role_id
    assert props["type"] == "CustomRole"
    (permissions,) = props["permissions"]
    assert permissions == {
        "actions": [
            "Microsoft.ContainerService/managedClusters/read",
            "Microsoft.ContainerService/managedClusters/runcommand/action",
            "Microsoft.ContainerService/managedClusters/commandResults/read",
        ],
        "notActions": [],
        "dataActions": [],
        "notDataActions": [],
    }
    assert tuple(permissions["actions"]) == COMMAND_INVOKE_ACTIONS
    assert props["assignableScopes"] == ["[resourceGroup().id]"]
    assert props["roleName"] == f"fdr-{config.name}-dr-aks-command-invoke"
    reference = rid(ROLE_DEFINITION_TYPE, footprint.names.command_invoke_role_id)
    invokers = [
        a for a in of_type(t, ROLE_TYPE) if a["properties"]["roleDefinitionId"] == reference
    ]
    groups = config.azure.access.cluster_admin_group_ids
    assert sorted(a["properties"]["principalId"] for a in invokers) == sorted(groups)
    for a in invokers:
        assert a["scope"] == rid(AKS_TYPE, footprint.names.cluster)
        assert a["properties"]["principalType"] == "Group"
        assert reference in a["dependsOn"]
