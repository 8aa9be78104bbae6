"""The AKS user pools at their DR sizes, through ARM's agentPools resource (the generic
resources client of azure-mgmt-resource; agentPools take PUT, not PATCH)."""

from __future__ import annotations

from typing import Any

from azure.mgmt.resource.resources import ResourceManagementClient

from azure_dr.footprint.arm import API_VERSIONS

AGENT_POOL_API = API_VERSIONS["Microsoft.ContainerService/managedClusters"]


class AgentPools:
    def __init__(self, client: ResourceManagementClient, cluster_id: str) -> None:
        self.client = client
        self.cluster_id = cluster_id

    def _id(self, pool: str) -> str:
        return f"{self.cluster_id}/agentPools/{pool}"

    def get(self, pool: str) -> dict[str, Any]:
        found = self.client.resources.get_by_id(self._id(pool), api_version=AGENT_POOL_API)
        return dict(found.properties or {})

    def at_least(self, pool: str, minimum: int) -> bool:
        p = self.get(pool)
        return int(p.get("minCount") or 0) >= minimum and int(p.get("count") or 0) >= minimum

    def at_exactly_min(self, pool: str, minimum: int) -> bool:
        return int(self.get(pool).get("minCount") or 0) == minimum

    def scale(self, pool: str, minimum: int) -> None:
        """Sets the autoscaler minimum and raises the node count to it (never lowers a pool
        the autoscaler has grown)."""
        properties = self.get(pool)
        properties["minCount"] = minimum
        properties["count"] = max(int(properties.get("count") or 0), minimum)
        properties.pop("provisioningState", None)
        self.client.resources.begin_create_or_update_by_id(
            self._id(pool), {"properties": properties}, api_version=AGENT_POOL_API
        ).result()
