"""A small stand-in for a Grafana workspace's HTTP API on 127.0.0.1: bearer-token auth, data
sources by uid (name unique, as Grafana enforces), folders, dashboards with versions. It answers
the way Grafana does for the calls tools.grafana makes, and records every request."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeGrafana:
    def __init__(self, token: str) -> None:
        self.token = token
        self.data_sources: dict[str, dict[str, Any]] = {}
        self.folders: dict[str, dict[str, Any]] = {}
        self.dashboards: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeGrafana:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def reset(self) -> None:
        self.data_sources.clear()
        self.folders.clear()
        self.dashboards.clear()
        self.requests.clear()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet test output
                pass

            def _answer(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _route(self, method: str) -> None:
                fake.requests.append((method, self.path))
                if self.headers.get("Authorization") != f"Bearer {fake.token}":
                    self._answer(401, {"message": "invalid API key"})
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                status, answer = fake.handle(method, self.path, body)
                self._answer(status, answer)

            def do_GET(self) -> None:
                self._route("GET")

            def do_POST(self) -> None:
                self._route("POST")

            def do_PUT(self) -> None:
                self._route("PUT")

        return Handler

    def handle(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        if parts[:3] == ["api", "datasources", "uid"]:
            uid = parts[3]
            if method == "GET":
                found = self.data_sources.get(uid)
                return (200, found) if found else (404, {"message": "Data source not found"})
            if uid not in self.data_sources:
                return 404, {"message": "Data source not found"}
            self.data_sources[uid] = body
            return 200, {"message": "Datasource updated"}
        if parts == ["api", "datasources"] and method == "POST":
            if any(s["name"] == body["name"] for s in self.data_sources.values()):
                return 409, {"message": "data source with the same name already exists"}
            if body.get("type") not in ("prometheus", "cloudwatch", "grafana-x-ray-datasource"):
                return 400, {"message": f"unknown plugin {body.get('type')}"}
            self.data_sources[body["uid"]] = body
            return 200, {"message": "Datasource added", "datasource": body}
        if parts[:2] == ["api", "folders"]:
            if method == "GET":
                found = self.folders.get(parts[2])
                return (200, found) if found else (404, {"message": "folder not found"})
            self.folders[body["uid"]] = body
            return 200, body
        if parts == ["api", "dashboards", "db"] and method == "POST":
            dashboard = body["dashboard"]
            if body["folderUid"] not in self.folders:
                return 400, {"message": "folder not found"}
            missing = _unknown_sources(dashboard, set(self.data_sources))
            if missing:  # Grafana would show "data source not found" panels; the fake refuses
                return 400, {"message": f"unknown data sources {sorted(missing)}"}
            uid = dashboard["uid"]
            previous = self.dashboards.get(uid)
            if previous and not body.get("overwrite"):
                return 412, {"message": "version-mismatch"}
            version = previous["version"] + 1 if previous else 1
            self.dashboards[uid] = {"version": version, "model": dashboard}
            return 200, {"status": "success", "uid": uid, "version": version}
        return 404, {"message": "not found"}


def _unknown_sources(dashboard: dict[str, Any], known: set[str]) -> set[str]:
    """Data source uids panels name that do not exist (template variables resolve later)."""
    named = set()
    for panel in dashboard.get("panels", []):
        for holder in [panel, *panel.get("targets", [])]:
            uid = (holder.get("datasource") or {}).get("uid")
            if uid and not uid.startswith("$"):
                named.add(uid)
    return named - known
