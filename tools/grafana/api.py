"""The few Grafana HTTP API calls provisioning needs (data sources, a folder, dashboards), over
HTTPS with a bearer token; nothing else is imported, so the same code runs against the local
fake server in the tests."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


class GrafanaError(RuntimeError):
    """A call the workspace refused: method, path, status and Grafana's own message."""


class GrafanaApi:
    def __init__(self, base_url: str, token: str, *, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.timeout = timeout

    def _call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base_url + path,
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {self._token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as err:
            payload = err.read().decode(errors="replace")
            if err.code == 404 and method == "GET":
                return 404, None
            try:
                message = json.loads(payload).get("message", payload)
            except (json.JSONDecodeError, AttributeError):
                message = payload
            raise GrafanaError(f"{method} {path}: HTTP {err.code}: {message}") from None

    def upsert_data_source(self, source: dict[str, Any]) -> str:
        """Create the data source, or update it in place by uid; returns what was done."""
        uid = source["uid"]
        status, _ = self._call("GET", f"/api/datasources/uid/{uid}")
        if status == 404:
            self._call("POST", "/api/datasources", source)
            return "created"
        self._call("PUT", f"/api/datasources/uid/{uid}", source)
        return "updated"

    def ensure_folder(self, uid: str, title: str) -> None:
        status, _ = self._call("GET", f"/api/folders/{uid}")
        if status == 404:
            self._call("POST", "/api/folders", {"uid": uid, "title": title})

    def put_dashboard(self, dashboard: dict[str, Any], folder_uid: str) -> int:
        """Overwrite the dashboard of the same uid (the repository is the source of truth);
        returns the version Grafana stored."""
        model = {k: v for k, v in dashboard.items() if k not in ("id", "version")}
        _, answer = self._call(
            "POST",
            "/api/dashboards/db",
            {
                "dashboard": model,
                "folderUid": folder_uid,
                "overwrite": True,
                "message": "provisioned by make grafana",
            },
        )
        return int(answer.get("version", 0))
