"""The workspace's data sources, as Grafana HTTP API bodies: one Amazon Managed Prometheus data
source per region (uid ``amp-<region>``), CloudWatch and X-Ray. All authenticate with the
workspace's IAM role (Grafana's ``ec2_iam_role`` auth type, the "workspace IAM role" of Amazon
Managed Grafana), so no key is stored in Grafana."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CLOUDWATCH_UID = "cloudwatch"
XRAY_UID = "xray"
WORKSPACE_ROLE = "ec2_iam_role"


def amp_uid(region: str) -> str:
    return f"amp-{region}"


@dataclass(frozen=True)
class PrometheusWorkspace:
    region: str
    workspace_id: str


def amp_url(workspace: PrometheusWorkspace) -> str:
    return f"https://aps-workspaces.{workspace.region}.amazonaws.com/workspaces/{workspace.workspace_id}"


def data_sources(prometheus: list[PrometheusWorkspace], home_region: str) -> list[dict[str, Any]]:
    """Every data source the dashboards may name; the home region's AMP is the default."""
    sources: list[dict[str, Any]] = [
        {
            "uid": amp_uid(w.region),
            "name": f"AMP {w.region}",
            "type": "prometheus",
            "access": "proxy",
            "url": amp_url(w),
            "isDefault": w.region == home_region,
            "jsonData": {
                "httpMethod": "POST",
                "sigV4Auth": True,
                "sigV4AuthType": WORKSPACE_ROLE,
                "sigV4Region": w.region,
            },
        }
        for w in prometheus
    ]
    sources.append(
        {
            "uid": CLOUDWATCH_UID,
            "name": "CloudWatch",
            "type": "cloudwatch",
            "access": "proxy",
            "jsonData": {"authType": WORKSPACE_ROLE, "defaultRegion": home_region},
        }
    )
    sources.append(
        {
            "uid": XRAY_UID,
            "name": "X-Ray",
            "type": "grafana-x-ray-datasource",
            "access": "proxy",
            "jsonData": {"authType": WORKSPACE_ROLE, "defaultRegion": home_region},
        }
    )
    return sources
