"""`make grafana` against a local fake Grafana HTTP server: data sources, folder and dashboards
land; a re-run updates in place; the service-account token is created for minutes and deleted,
also when Grafana refuses the run. AWS calls go through botocore Stubbers."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from infra.config import load_config
from infra.naming import Names
from tests.tools.fake_grafana import FakeGrafana
from tools.grafana.__main__ import PROVISIONER, main, provision
from tools.grafana.api import GrafanaApi, GrafanaError
from tools.grafana.dashboards import load_dashboards
from tools.grafana.datasources import PrometheusWorkspace, data_sources

TOKEN = "glsa_test_token"
WORKSPACE = "g-0123456789"


@pytest.fixture(scope="session")
def grafana_server() -> Iterator[FakeGrafana]:
    server = FakeGrafana(TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def grafana(grafana_server: FakeGrafana) -> FakeGrafana:
    grafana_server.reset()
    return grafana_server


def _sources() -> list[dict[str, Any]]:
    return data_sources(
        [PrometheusWorkspace("us-east-1", "ws-1"), PrometheusWorkspace("us-west-2", "ws-2")],
        "us-east-1",
    )


def test_provision_creates_then_updates_in_place(grafana: FakeGrafana):
    api = GrafanaApi(grafana.url, TOKEN)
    dashboards = load_dashboards()
    first = provision(api, _sources(), dashboards)
    assert set(grafana.data_sources) == {"amp-us-east-1", "amp-us-west-2", "cloudwatch", "xray"}
    assert set(grafana.dashboards) == {d["uid"] for d in dashboards.values()}
    assert all("created" in line for line in first if line.startswith("data source"))
    second = provision(api, _sources(), dashboards)
    assert all("updated" in line for line in second if line.startswith("data source"))
    assert {d["version"] for d in grafana.dashboards.values()} == {2}
    assert len(grafana.data_sources) == 4  # no duplicates


def test_a_refused_token_is_a_clear_error(grafana: FakeGrafana):
    api = GrafanaApi(grafana.url, "wrong")
    with pytest.raises(GrafanaError, match="HTTP 401: invalid API key"):
        provision(api, _sources(), load_dashboards())


def test_a_dashboard_naming_a_missing_source_is_refused(grafana: FakeGrafana):
    api = GrafanaApi(grafana.url, TOKEN)
    broken = {
        "x.json": {
            "uid": "x",
            "title": "x",
            "panels": [
                {"id": 1, "datasource": {"type": "prometheus", "uid": "amp-mars-1"}, "targets": []}
            ],
        }
    }
    with pytest.raises(GrafanaError, match="amp-mars-1"):
        provision(api, _sources(), broken)


class _Session:
    def __init__(self, clients: dict[tuple[str, str], Any]) -> None:
        self.clients = clients

    def client(self, service: str, region_name: str) -> Any:
        return self.clients[(service, region_name)]


def _stubbed_session(env: str, endpoint: str) -> tuple[_Session, list[Stubber]]:
    config = load_config(env, environ={})
    names = Names(config.project, config.name)
    home = config.primary_region
    grafana = boto3.client("grafana", region_name=home, aws_access_key_id="x",
                           aws_secret_access_key="x")  # fmt: skip
    stub = Stubber(grafana)
    host = endpoint.removeprefix("http://")
    stub.add_response("list_workspaces", {"workspaces": [
        {"id": "g-9999999999", "name": "someone-else", "endpoint": "other", "created": 0,
         "modified": 0, "status": "ACTIVE", "authentication": {"providers": ["AWS_SSO"]},
         "grafanaVersion": "10.4"},
        {"id": WORKSPACE, "name": names.resource("grafana"), "endpoint": host, "created": 0,
         "modified": 0, "status": "ACTIVE", "authentication": {"providers": ["AWS_SSO"]},
         "grafanaVersion": "10.4"}]})  # fmt: skip
    stub.add_response(
        "list_workspace_service_accounts",
        {"serviceAccounts": [], "workspaceId": WORKSPACE},
        {"workspaceId": WORKSPACE},
    )
    stub.add_response(
        "create_workspace_service_account",
        {"id": "7", "name": PROVISIONER, "grafanaRole": "ADMIN", "workspaceId": WORKSPACE},
        {"workspaceId": WORKSPACE, "name": PROVISIONER, "grafanaRole": "ADMIN"},
    )
    minutes = config.monitoring.grafana.provisioning_token_minutes
    stub.add_response(
        "create_workspace_service_account_token",
        {
            "serviceAccountToken": {"id": "t1", "name": "n", "key": TOKEN},
            "serviceAccountId": "7",
            "workspaceId": WORKSPACE,
        },
        {
            "workspaceId": WORKSPACE,
            "serviceAccountId": "7",
            "name": ANY,
            "secondsToLive": minutes * 60,
        },
    )
    stub.add_response(
        "delete_workspace_service_account_token",
        {"tokenId": "t1", "serviceAccountId": "7", "workspaceId": WORKSPACE},
        {"workspaceId": WORKSPACE, "serviceAccountId": "7", "tokenId": "t1"},
    )
    clients: dict[tuple[str, str], Any] = {("grafana", home): grafana}
    stubs = [stub]
    for region in config.regions:
        amp = boto3.client("amp", region_name=region, aws_access_key_id="x",
                           aws_secret_access_key="x")  # fmt: skip
        amp_stub = Stubber(amp)
        alias = names.resource("prometheus", region)
        amp_stub.add_response(
            "list_workspaces",
            {
                "workspaces": [
                    {
                        "workspaceId": f"ws-{region}",
                        "alias": alias,
                        "arn": f"arn:aws:aps:{region}:1:workspace/ws",
                        "createdAt": 0,
                        "status": {"statusCode": "ACTIVE"},
                    }
                ]
            },
            {"alias": alias},
        )
        clients[("amp", region)] = amp
        stubs.append(amp_stub)
    for s in stubs:
        s.activate()
    return _Session(clients), stubs


def test_make_grafana_end_to_end_deletes_its_token(grafana: FakeGrafana):
    session, stubs = _stubbed_session("production", grafana.url)
    out, err = io.StringIO(), io.StringIO()
    assert main(["--env", "production", "--endpoint", grafana.url], out, err, session) == 0, (
        err.getvalue()
    )
    for stub in stubs:
        stub.assert_no_pending_responses()  # the token was deleted
    assert set(grafana.data_sources) >= {"amp-us-east-1", "amp-us-west-2", "cloudwatch", "xray"}
    assert grafana.data_sources["amp-us-east-1"]["url"].endswith("/workspaces/ws-us-east-1")
    assert "dashboard fdr-replication" in out.getvalue()


def test_the_token_is_deleted_when_grafana_refuses(grafana: FakeGrafana):
    session, stubs = _stubbed_session("production", grafana.url)
    grafana.token = "rotated"  # the workspace refuses the token it was given
    try:
        err = io.StringIO()
        assert main(["--env", "production", "--endpoint", grafana.url], io.StringIO(), err,
                    session) == 1  # fmt: skip
    finally:
        grafana.token = TOKEN
    assert "HTTP 401" in err.getvalue()
    for stub in stubs:
        stub.assert_no_pending_responses()
