"""A small fake of the Azure Key Vault secrets data plane, served by the fake ARM server
(``fake_arm.py``) under ``/secrets``: enough for the real ``azure-keyvault-secrets`` client.

Like Key Vault, it answers a request without a token with 401 and a ``WWW-Authenticate: Bearer
authorization="...", resource="..."`` challenge. The client checks that the vault's host ends
with ``.<resource host>``; the fake's resource is ``https://0.0.1:<port>`` so that
``127.0.0.1:<port>`` passes that check unchanged (the production code keeps verification on).

Every value is kept in versions, so a test can count them: ``versions(name)``. Writes are refused
until the fake ARM server holds a deployed vault (a data-plane call before the vault exists
fails in Azure too).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

TOKEN = "fake-token"
SECRET_PATH = "/secrets/"


@dataclass
class SecretVersion:
    version: str
    value: str
    content_type: str | None
    tags: dict[str, str]
    created: int


@dataclass
class FakeKeyVault:
    vault_exists: Callable[[], bool] = lambda: True
    secrets: dict[str, list[SecretVersion]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    bodies: list[Any] = field(default_factory=list)
    forbidden: bool = False  # as if the caller had no Key Vault Secrets Officer role
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    # -- helpers for tests ----------------------------------------------------------------------
    def versions(self, name: str) -> int:
        return len(self.secrets.get(name, []))

    def latest(self, name: str) -> str | None:
        found = self.secrets.get(name)
        return found[-1].value if found else None

    def put(self, name: str, value: str) -> None:
        """Write a secret as an operator would (outside the code under test)."""
        self.secrets.setdefault(name, []).append(
            SecretVersion(f"v{next(self._ids)}", value, None, {}, int(time.time()))
        )

    # -- the data plane -------------------------------------------------------------------------
    def handle(
        self, method: str, path: str, headers: Any, body: Any, host: str
    ) -> tuple[int, dict[str, str], Any]:
        self.requests.append((method, path))
        if headers.get("Authorization") != f"Bearer {TOKEN}":
            port = host.rsplit(":", 1)[-1]
            challenge = (
                'Bearer authorization="https://login.microsoftonline.com/fake-tenant", '
                f'resource="https://0.0.1:{port}"'
            )
            return (
                401,
                {"WWW-Authenticate": challenge},
                _error("Unauthorized", "AKV10000: Request is missing a Bearer or PoP token."),
            )
        if not self.vault_exists():
            return 404, {}, _error("VaultNotFound", "The vault does not exist (not deployed).")
        if self.forbidden:
            return (
                403,
                {},
                _error(
                    "Forbidden",
                    "Caller is not authorized to perform action on resource. Action: "
                    "'Microsoft.KeyVault/vaults/secrets/setSecret/action'",
                ),
            )
        parts = [p for p in path[len(SECRET_PATH) :].split("/") if p]
        if not parts:
            return 404, {}, _error("NotFound", f"fake Key Vault does not serve {method} {path}")
        name, version = parts[0], (parts[1] if len(parts) > 1 else "")
        url = f"https://{host}{SECRET_PATH}{name}"
        if method == "PUT":
            self.bodies.append(body)
            entry = SecretVersion(
                f"v{next(self._ids)}",
                body["value"],
                body.get("contentType"),
                body.get("tags") or {},
                int(time.time()),
            )
            self.secrets.setdefault(name, []).append(entry)
            return 200, {}, _bundle(url, entry)
        if method == "GET":
            found = self.secrets.get(name) or []
            current: SecretVersion | None = (
                (found[-1] if found else None)
                if not version
                else next((v for v in found if v.version == version), None)
            )
            if current is None:
                return (
                    404,
                    {},
                    _error(
                        "SecretNotFound",
                        f"A secret with (name/id) {name} was not found in this key vault.",
                    ),
                )
            return 200, {}, _bundle(url, current)
        return 405, {}, _error("BadRequest", f"fake Key Vault does not serve {method}")

    def metadata(self, name: str) -> dict[str, Any] | None:
        """What ARM's management plane returns for a secret: attributes, never the value."""
        found = self.secrets.get(name)
        if not found:
            return None
        latest = found[-1]
        return {
            "name": name,
            "type": "Microsoft.KeyVault/vaults/secrets",
            "properties": {
                "attributes": {"enabled": True, "created": latest.created},
                "contentType": latest.content_type,
            },
            "tags": latest.tags,
        }


def _bundle(url: str, entry: SecretVersion) -> dict[str, Any]:
    return {
        "value": entry.value,
        "id": f"{url}/{entry.version}",
        "contentType": entry.content_type,
        "tags": entry.tags,
        "attributes": {
            "enabled": True,
            "created": entry.created,
            "updated": entry.created,
            "recoveryLevel": "Recoverable",
        },
    }


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}
