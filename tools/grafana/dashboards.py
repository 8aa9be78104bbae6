"""The dashboards kept as JSON in infra/grafana/dashboards/, and what their panels query."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DASHBOARDS = Path(__file__).resolve().parents[2] / "infra" / "grafana" / "dashboards"
FOLDER_UID = "fdr"
FOLDER_TITLE = "FDR"


def load_dashboards(folder: Path = DASHBOARDS) -> dict[str, dict[str, Any]]:
    """File name -> dashboard model; a file that is not JSON fails here with its name."""
    loaded = {}
    for path in sorted(folder.glob("*.json")):
        try:
            loaded[path.name] = json.loads(path.read_text())
        except json.JSONDecodeError as err:
            raise ValueError(f"{path.name}: not valid JSON ({err})") from None
    return loaded


@dataclass(frozen=True)
class Query:
    dashboard: str
    panel: str
    datasource: dict[str, str]
    target: dict[str, Any]


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])  # collapsed rows carry their own panels


def queries(name: str, dashboard: dict[str, Any]) -> Iterator[Query]:
    """Every target of every panel, with the data source it runs against (the target's own or
    the panel's)."""
    for panel in panels(dashboard):
        for target in panel.get("targets", []):
            source = target.get("datasource") or panel.get("datasource") or {}
            yield Query(name, str(panel.get("title", panel.get("id"))), source, target)


def variables(dashboard: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["name"]: v for v in dashboard.get("templating", {}).get("list", [])}
