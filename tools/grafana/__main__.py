"""``python -m tools.grafana --env ENV``: provision the environment's Grafana workspace (data
sources, the FDR folder, every dashboard of infra/grafana/dashboards/) with the caller's AWS
credentials. Idempotent: a re-run updates in place."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from infra.config import ConfigError, load_config
from infra.naming import Names
from tools.grafana.api import GrafanaApi, GrafanaError
from tools.grafana.dashboards import FOLDER_TITLE, FOLDER_UID, load_dashboards
from tools.grafana.datasources import PrometheusWorkspace, data_sources
from tools.grafana.token import temporary_token

PROVISIONER = "fdr-provisioner"


def provision(
    api: GrafanaApi, sources: list[dict[str, Any]], dashboards: dict[str, dict[str, Any]]
) -> list[str]:
    """Data sources first (dashboards name them), then the folder, then the dashboards."""
    done = [f"data source {s['uid']}: {api.upsert_data_source(s)}" for s in sources]
    api.ensure_folder(FOLDER_UID, FOLDER_TITLE)
    for name, dashboard in dashboards.items():
        version = api.put_dashboard(dashboard, FOLDER_UID)
        done.append(f"dashboard {dashboard['uid']} ({name}): version {version}")
    return done


def find_grafana(client: Any, name: str) -> tuple[str, str]:
    """(workspace id, https endpoint) of the workspace called ``name``."""
    for page in client.get_paginator("list_workspaces").paginate():
        for workspace in page["workspaces"]:
            if workspace["name"] == name:
                return workspace["id"], f"https://{workspace['endpoint']}"
    raise LookupError(f"no Amazon Managed Grafana workspace named {name}: deploy the monitoring "
                      "stack of the primary region first")  # fmt: skip


def find_prometheus(session: Any, names: Names, regions: list[str]) -> list[PrometheusWorkspace]:
    found = []
    for region in regions:
        alias = names.resource("prometheus", region)
        page = session.client("amp", region_name=region).list_workspaces(alias=alias)
        matches = [w for w in page["workspaces"] if w["alias"] == alias]
        if not matches:
            raise LookupError(f"no AMP workspace {alias} in {region}: deploy its monitoring stack")
        found.append(PrometheusWorkspace(region, matches[0]["workspaceId"]))
    return found


def main(argv: Sequence[str], out: Any = None, err: Any = None, session: Any = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    parser = argparse.ArgumentParser(prog="python -m tools.grafana", description=__doc__)
    parser.add_argument("--env", required=True)
    parser.add_argument("--endpoint", help="Grafana URL (default: the workspace's endpoint)")
    args = parser.parse_args(list(argv))
    try:
        config = load_config(args.env)
        dashboards = load_dashboards()
    except (ConfigError, ValueError) as problem:
        print(f"grafana: {problem}", file=err)
        return 2
    if session is None:
        import boto3

        session = boto3.Session()
    names = Names(config.project, config.name)
    home = config.primary_region
    client = session.client("grafana", region_name=home)
    try:
        workspace_id, endpoint = find_grafana(client, names.resource("grafana"))
        sources = data_sources(find_prometheus(session, names, list(config.regions)), home)
        minutes = config.monitoring.grafana.provisioning_token_minutes
        with temporary_token(
            client, workspace_id, account_name=PROVISIONER, seconds=minutes * 60
        ) as token:
            api = GrafanaApi(args.endpoint or endpoint, token)
            for line in provision(api, sources, dashboards):
                print(line, file=out)
    except (LookupError, GrafanaError) as problem:
        print(f"grafana: {problem}", file=err)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
