"""Small helpers for writing ARM template JSON in Python."""

from __future__ import annotations

import re
from typing import Any

# One place to bump API versions. PostgreSQL 17 needs a flexibleServers API newer than 2024-08-01.
API_VERSIONS: dict[str, str] = {
    "Microsoft.Network/virtualNetworks": "2024-05-01",
    "Microsoft.Network/networkSecurityGroups": "2024-05-01",
    "Microsoft.Network/privateEndpoints": "2024-05-01",
    "Microsoft.Network/privateEndpoints/privateDnsZoneGroups": "2024-05-01",
    "Microsoft.Network/privateDnsZones": "2020-06-01",
    "Microsoft.Network/publicIPAddresses": "2024-05-01",
    "Microsoft.Network/virtualNetworkGateways": "2024-05-01",
    "Microsoft.Network/localNetworkGateways": "2024-05-01",
    "Microsoft.Network/connections": "2024-05-01",
    "Microsoft.Insights/actionGroups": "2023-01-01",
    "Microsoft.Insights/metricAlerts": "2018-03-01",
    "Microsoft.Network/privateDnsZones/virtualNetworkLinks": "2020-06-01",
    "Microsoft.OperationalInsights/workspaces": "2023-09-01",
    "Microsoft.ContainerService/managedClusters": "2024-09-01",
    "Microsoft.DBforPostgreSQL/flexibleServers": "2025-08-01",
    "Microsoft.DBforPostgreSQL/flexibleServers/configurations": "2025-08-01",
    "Microsoft.DBforPostgreSQL/flexibleServers/databases": "2025-08-01",
    "Microsoft.Storage/storageAccounts": "2023-05-01",
    "Microsoft.Storage/storageAccounts/blobServices": "2023-05-01",
    "Microsoft.Storage/storageAccounts/blobServices/containers": "2023-05-01",
    "Microsoft.Storage/storageAccounts/managementPolicies": "2023-05-01",
    "Microsoft.KeyVault/vaults": "2023-07-01",
    "Microsoft.Insights/diagnosticSettings": "2021-05-01-preview",
    "Microsoft.Insights/dataCollectionRules": "2022-06-01",
    "Microsoft.Insights/dataCollectionRuleAssociations": "2022-06-01",
    "Microsoft.ManagedIdentity/userAssignedIdentities": "2023-01-31",
    "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials": "2023-01-31",
    "Microsoft.Authorization/roleAssignments": "2022-04-01",
    "Microsoft.Authorization/roleDefinitions": "2022-04-01",
    "Microsoft.KubernetesConfiguration/extensions": "2024-11-01",
    "Microsoft.KubernetesConfiguration/fluxConfigurations": "2025-04-01",
    "Microsoft.Network/applicationGateways": "2024-05-01",
    "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies": "2024-05-01",
}


def resource_id(resource_type: str, *names: str) -> str:
    """ARM expression for the id of a resource in the deployment's resource group."""
    args = ", ".join(f"'{a}'" for a in (resource_type, *names))
    return f"[resourceId({args})]"


def resource(
    resource_type: str,
    name: str,
    properties: dict[str, Any],
    *,
    depends_on: list[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": resource_type,
        "apiVersion": API_VERSIONS[resource_type],
        "name": name,
        **extra,
        "properties": properties,
    }
    if depends_on:
        body["dependsOn"] = depends_on
    return body


def diagnostics(
    target_type: str, target_name: str, workspace_id: str, *, metrics: bool = True
) -> dict[str, Any]:
    """Send every log category (and metrics) of a resource to the Log Analytics workspace.
    Depends on the workspace too: a resourceId() in a property creates no implicit dependency,
    and a setting written before its workspace exists fails."""
    properties: dict[str, Any] = {
        "workspaceId": workspace_id,
        "logs": [{"categoryGroup": "allLogs", "enabled": True}],
    }
    if metrics:
        properties["metrics"] = [{"category": "AllMetrics", "enabled": True}]
    return resource(
        "Microsoft.Insights/diagnosticSettings",
        "to-log-analytics",
        properties,
        scope=resource_id(target_type, target_name),
        depends_on=[resource_id(target_type, target_name), workspace_id],
    )


_RESOURCE_ID = re.compile(r"^\[resourceId\((.*)\)\]$")


def _expand(subscription_id: str, resource_group: str, resource_type: str, name: str) -> str:
    namespace, *types = resource_type.split("/")
    segments = [f"{t}/{n}" for t, n in zip(types, name.split("/"), strict=True)]
    return (
        f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/"
        f"{namespace}/" + "/".join(segments)
    )


def evaluate_resource_id(expression: str, subscription_id: str, resource_group: str) -> str:
    """The id a ``resource_id()`` expression stands for (for previews computed offline)."""
    match = _RESOURCE_ID.match(expression)
    if not match:
        raise ValueError(f"not a resourceId() expression: {expression}")
    resource_type, *names = (a.strip().strip("'") for a in match.group(1).split(","))
    return _expand(subscription_id, resource_group, resource_type, "/".join(names))


def template_resource_id(body: dict[str, Any], subscription_id: str, resource_group: str) -> str:
    """The id ARM gives a template resource (extension resources hang under their scope)."""
    if "scope" in body:
        scope = evaluate_resource_id(body["scope"], subscription_id, resource_group)
        return f"{scope}/providers/{body['type']}/{body['name']}"
    return _expand(subscription_id, resource_group, body["type"], body["name"])
