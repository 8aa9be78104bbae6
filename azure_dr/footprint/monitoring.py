"""Container insights with managed-identity ingestion: the data collection rule and its
association with the cluster, in the shape of Microsoft's onboarding template
(microsoft/Docker-Provider, scripts/onboarding/aks/onboarding-using-msi-auth/
existingClusterOnboarding.json). With ``useAADAuth`` the agent sends nothing until a rule is
associated, and the workspace refuses shared-key ingestion (``disableLocalAuth``)."""

from __future__ import annotations

from typing import Any

from azure_dr.footprint.arm import resource, resource_id
from azure_dr.footprint.names import AzureNames

DCR_TYPE = "Microsoft.Insights/dataCollectionRules"
DCRA_TYPE = "Microsoft.Insights/dataCollectionRuleAssociations"
# The association name the agent looks for (Microsoft's template: associationName).
ASSOCIATION_NAME = "ContainerInsightsExtension"
DESTINATION = "ciworkspace"
# Microsoft's default stream list (existingClusterParam.json) without
# Microsoft-RetinaNetworkFlowLogs, which switches on high-scale mode and needs a data
# collection endpoint this footprint does not have.
STREAMS = [
    "Microsoft-ContainerLog",
    "Microsoft-ContainerLogV2",
    "Microsoft-KubeEvents",
    "Microsoft-KubePodInventory",
    "Microsoft-KubeNodeInventory",
    "Microsoft-KubePVInventory",
    "Microsoft-KubeServices",
    "Microsoft-KubeMonAgentEvents",
    "Microsoft-InsightsMetrics",
    "Microsoft-ContainerInventory",
    "Microsoft-ContainerNodeInventory",
    "Microsoft-Perf",
]


def container_insights(
    names: AzureNames,
    *,
    cluster_id: str,
    workspace_id: str,
    location: str,
    tags: dict[str, str],
) -> list[dict[str, Any]]:
    rule = names.data_collection_rule(location)
    rule_id = resource_id(DCR_TYPE, rule)
    return [
        resource(
            DCR_TYPE,
            rule,
            {
                "dataSources": {
                    "extensions": [
                        {
                            "name": ASSOCIATION_NAME,
                            "extensionName": "ContainerInsights",
                            "streams": STREAMS,
                            "extensionSettings": {
                                "dataCollectionSettings": {
                                    "interval": "1m",
                                    "namespaceFilteringMode": "Off",
                                    "enableContainerLogV2": True,
                                }
                            },
                        }
                    ]
                },
                "destinations": {
                    "logAnalytics": [{"workspaceResourceId": workspace_id, "name": DESTINATION}]
                },
                "dataFlows": [{"streams": STREAMS, "destinations": [DESTINATION]}],
            },
            location=location,
            tags=tags,
            kind="Linux",
            depends_on=[workspace_id],
        ),
        resource(
            DCRA_TYPE,
            ASSOCIATION_NAME,
            {
                "description": "Container insights of the DR cluster: deleting this association "
                "stops its data collection.",
                "dataCollectionRuleId": rule_id,
            },
            scope=cluster_id,
            depends_on=[cluster_id, rule_id],
        ),
    ]
