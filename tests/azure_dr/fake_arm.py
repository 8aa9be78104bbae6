"""A small fake of Azure Resource Manager: just enough of resource groups, what-if, validate,
deployments (with async-operation polling), soft-deleted Key Vaults and fault injection for the
real SDK clients.

It serves HTTPS on 127.0.0.1 with a trustme certificate. What-if compares the template's
resources with what earlier deployments stored, so plan/sync/plan behaves like Azure.
"""

from __future__ import annotations

import itertools
import json
import re
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from azure_dr.footprint.arm import template_resource_id
from tests.azure_dr.fake_key_vault import SECRET_PATH, FakeKeyVault

TOKEN = "fake-token"
GROUP = re.compile(r"^/subscriptions/([^/]+)/resourcegroups/([^/]+)$", re.I)
DEPLOYMENT = re.compile(
    r"^/subscriptions/([^/]+)/resourcegroups/([^/]+)/providers/microsoft\.resources/"
    r"deployments/([^/]+?)(/whatif|/validate)?$",
    re.I,
)
DELETED_VAULT = re.compile(
    r"^/subscriptions/([^/]+)/providers/microsoft\.keyvault/locations/([^/]+)/"
    r"deletedVaults/([^/]+)$",
    re.I,
)
VAULT_TYPE = "Microsoft.KeyVault/vaults"
VAULT_SECRET = re.compile(
    r"^(/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.keyvault/vaults/[^/]+)/"
    r"secrets/([^/]+)$",
    re.I,
)
AGENT_POOL = re.compile(
    r"^(/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.containerservice/"
    r"managedclusters/[^/]+)/agentpools/([^/]+)$",
    re.I,
)


@dataclass
class Fault:
    """Answer ``times`` requests whose method and path match with this response instead."""

    method: str
    path_contains: str
    status: int
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1


@dataclass
class DeploymentFailure:
    """The next deployment applies ``apply_first`` resources, then fails with this error."""

    code: str
    message: str
    target: str = ""
    apply_first: int = 0
    deployment: str | None = None  # only this deployment fails (default: the next one)


class FakeArm:
    def __init__(self, subscription_id: str) -> None:
        self.subscription_id = subscription_id
        self.groups: dict[str, dict[str, Any]] = {}
        self.resources: dict[str, dict[str, Any]] = {}
        self.deployments: dict[str, dict[str, Any]] = {}
        self.parameters: dict[str, dict[str, Any]] = {}  # deployment -> the parameters last sent
        self.operations: dict[str, dict[str, Any]] = {}
        self.faults: list[Fault] = []
        self.failure: DeploymentFailure | None = None
        # Soft-deleted Key Vaults by lowercase name: what Azure keeps after a vault (or its
        # resource group) is deleted while purge protection is on.
        self.deleted_vaults: dict[str, dict[str, Any]] = {}
        self.hang = False
        self.agent_pool_puts = 0
        self.requests: list[tuple[str, str]] = []
        self.output_values: dict[str, Any] = {}  # deployment outputs (default "fake-<key>")
        self.received: list[bytes] = []  # every ARM request body, raw (never a secret's value)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        # The footprint's vault's data plane (one vault: the tests deploy one footprint).
        self.vault = FakeKeyVault(vault_exists=self._vault_deployed)

    def _vault_deployed(self) -> bool:
        return any(f"/providers/{VAULT_TYPE.lower()}/" in k for k in self.resources)

    # -- helpers ---------------------------------------------------------------------------
    def soft_delete_vault(self, group: str, name: str, location: str) -> None:
        """As if the vault (or its whole resource group) had been deleted: soft-deleted."""
        vault_id = (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{group}/providers/"
            f"{VAULT_TYPE}/{name}"
        )
        self.resources.pop(vault_id.lower(), None)
        self.deleted_vaults[name.lower()] = {
            "id": f"/subscriptions/{self.subscription_id}/providers/Microsoft.KeyVault/"
            f"locations/{location}/deletedVaults/{name}",
            "name": name,
            "type": "Microsoft.KeyVault/deletedVaults",
            "properties": {
                "vaultId": vault_id,
                "location": location,
                "deletionDate": "2026-11-20T08:00:00Z",
                "scheduledPurgeDate": "2027-02-18T08:00:00Z",
                "purgeProtectionEnabled": True,
                "tags": {},
            },
        }

    def _vault_conflict(self, template: dict[str, Any]) -> DeploymentFailure | None:
        """Key Vault's rules for a vault name: a soft-deleted name can only be recovered
        (createMode recover), and recover needs a soft-deleted vault."""
        for body in template["resources"]:
            if body["type"] != VAULT_TYPE:
                continue
            name = body["name"]
            recover = body["properties"].get("createMode") == "recover"
            if name.lower() in self.deleted_vaults and not recover:
                return DeploymentFailure(
                    code="ConflictError",
                    message="A vault with the same name already exists in deleted state. You "
                    "need to either recover or purge existing key vault.",
                    target=name,
                )
            if recover and name.lower() not in self.deleted_vaults:
                return DeploymentFailure(
                    code="ResourceNotFound",
                    message=f"No soft-deleted vault named '{name}' to recover.",
                    target=name,
                )
        return None

    def _recover_vaults(self, template: dict[str, Any]) -> None:
        for body in template["resources"]:
            if body["type"] == VAULT_TYPE and body["properties"].get("createMode") == "recover":
                self.deleted_vaults.pop(body["name"].lower())

    def _next_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if (
                fault.times > 0
                and fault.method == method
                and fault.path_contains.lower() in path.lower()
            ):
                fault.times -= 1
                return fault
        return None

    def _apply(self, group: str, template: dict[str, Any], count: int | None = None) -> None:
        for body in template["resources"][:count]:
            rid = template_resource_id(body, self.subscription_id, group)
            self.resources[rid.lower()] = _stored(body)

    def _what_if(self, group: str, template: dict[str, Any]) -> list[dict[str, Any]]:
        changes = []
        for body in template["resources"]:
            rid = template_resource_id(body, self.subscription_id, group)
            before = self.resources.get(rid.lower())
            after = _stored(body)
            if before is None:
                changes.append({"resourceId": rid, "changeType": "Create", "after": after})
            elif before == after:
                changes.append({"resourceId": rid, "changeType": "NoChange"})
            else:
                delta = [
                    {"path": p, "propertyChangeType": "Modify", "before": b, "after": a}
                    for p, b, a in _diff(before, after)
                ]
                changes.append({"resourceId": rid, "changeType": "Modify", "delta": delta})
        return changes

    # -- request handling --------------------------------------------------------------------
    def handle(self, method: str, path: str, headers: Any, body: Any) -> tuple[int, dict, Any]:
        with self._lock:
            self.requests.append((method, path))
            fault = self._next_fault(method, path)
            if fault:
                return fault.status, fault.headers, fault.body
            if headers.get("Authorization") != f"Bearer {TOKEN}":
                return 401, {}, _error("InvalidAuthenticationToken", "The token is invalid.")
            if path.startswith("/fake-operations/"):
                return self._poll(path.rsplit("/", 1)[-1])
            if not path.lower().startswith(f"/subscriptions/{self.subscription_id}"):
                sub = path.split("/")[2] if path.count("/") > 1 else ""
                return (
                    404,
                    {},
                    _error("SubscriptionNotFound", f"The subscription '{sub}' could not be found."),
                )
            if m := DELETED_VAULT.match(path):
                return self._deleted_vault(m.group(2), m.group(3))
            if m := GROUP.match(path):
                return self._group(method, m.group(2), body)
            if m := DEPLOYMENT.match(path):
                return self._deployment(method, m.group(2), m.group(3), m.group(4), path, body)
            if m := AGENT_POOL.match(path):
                return self._agent_pool(method, m.group(1), m.group(2), path, body)
            if m := VAULT_SECRET.match(path):
                return self._vault_secret(m.group(1), m.group(2))
            if method == "GET" and path.lower() in self.resources:
                return 200, {}, {"id": path, **self.resources[path.lower()]}
            return 404, {}, _error("NotFound", f"fake ARM does not serve {method} {path}")

    def _deleted_vault(self, location: str, name: str) -> tuple[int, dict, Any]:
        found = self.deleted_vaults.get(name.lower())
        if found is None or found["properties"]["location"] != location.lower():
            return 404, {}, _error("ResourceNotFound", f"Deleted vault '{name}' was not found.")
        return 200, {}, found

    def _vault_secret(self, vault_id: str, name: str) -> tuple[int, dict, Any]:
        """Management-plane GET of a secret: its attributes, never its value."""
        found = self.vault.metadata(name) if vault_id.lower() in self.resources else None
        if found is None:
            return 404, {}, _error("ResourceNotFound", f"Secret '{name}' was not found.")
        return 200, {}, {"id": f"{vault_id}/secrets/{name}", **found}

    def _unresolved_reference(self, parameters: dict[str, Any]) -> str | None:
        """ARM resolves Key Vault reference parameters itself, in what-if, validate and deploy;
        a missing vault or secret fails the request."""
        for key, given in parameters.items():
            reference = given.get("reference") if isinstance(given, dict) else None
            if reference is None:
                continue
            vault_id = reference["keyVault"]["id"].lower()
            name = reference["secretName"]
            if vault_id not in self.resources or self.vault.metadata(name) is None:
                return (
                    f"The secret of KeyVault parameter '{key}' cannot be retrieved. Http status "
                    f"code: 'NotFound'. Error message: 'A secret with (name/id) {name} was not "
                    "found in this key vault.'"
                )
        return None

    def _group(self, method: str, name: str, body: Any) -> tuple[int, dict, Any]:
        key = name.lower()
        if method == "HEAD":
            return (204 if key in self.groups else 404), {}, None
        if method == "PUT":
            created = key not in self.groups
            self.groups[key] = {
                "id": f"/subscriptions/{self.subscription_id}/resourceGroups/{name}",
                "name": name,
                "location": body["location"],
                "tags": body.get("tags", {}),
                "properties": {"provisioningState": "Succeeded"},
            }
            return (201 if created else 200), {}, self.groups[key]
        if key in self.groups:
            return 200, {}, self.groups[key]
        return (
            404,
            {},
            _error("ResourceGroupNotFound", f"Resource group '{name}' could not be found."),
        )

    def _agent_pool(
        self, method: str, cluster_id: str, name: str, path: str, body: Any
    ) -> tuple[int, dict, Any]:
        """A pool of a deployed cluster: its agentPoolProfiles entry until a PUT replaces it
        (what AKS keeps in sync both ways)."""
        cluster = self.resources.get(cluster_id.lower())
        profiles = (cluster or {}).get("properties", {}).get("agentPoolProfiles", [])
        profile = next((p for p in profiles if p["name"] == name), None)
        if profile is None:
            return 404, {}, _error("NotFound", f"agent pool '{name}' was not found")
        if method == "PUT":
            props = dict(body["properties"])
            profile.update(props)
        props = {k: v for k, v in profile.items() if k != "name"}
        self.agent_pool_puts += method == "PUT"
        pool = {
            "id": path,
            "name": name,
            "type": "Microsoft.ContainerService/managedClusters/agentPools",
            "properties": {**props, "provisioningState": "Succeeded"},
        }
        return 200, {}, pool

    def _deployment(
        self, method: str, group: str, name: str, action: str | None, path: str, body: Any
    ) -> tuple[int, dict, Any]:
        if group.lower() not in self.groups:
            return (
                404,
                {},
                _error("ResourceGroupNotFound", f"Resource group '{group}' could not be found."),
            )
        if method != "GET":
            missing = _missing_parameters(body["properties"])
            if missing:  # what ARM answers for a template parameter without value or default
                return (
                    400,
                    {},
                    _error(
                        "InvalidTemplate",
                        f"Deployment template validation failed: The value for "
                        f"the template parameter '{missing[0]}' is not provided.",
                    ),
                )
            self.parameters[name] = body["properties"].get("parameters", {})
            unresolved = self._unresolved_reference(self.parameters[name])
            if unresolved:
                return 400, {}, _error("KeyVaultParameterReferenceSecretRetrieveFailed", unresolved)
        if action and action.lower() == "/whatif":
            op = self._operation(
                {
                    "status": "Succeeded",
                    "properties": {"changes": self._what_if(group, body["properties"]["template"])},
                }
            )
            return 202, {"Location": f"/fake-operations/{op}", "Retry-After": "0"}, None
        if action:  # validate
            return 200, {}, {"id": path, "properties": {"provisioningState": "Succeeded"}}
        if method == "GET":
            if name not in self.deployments:
                return (
                    404,
                    {},
                    _error("DeploymentNotFound", f"Deployment '{name}' could not be found."),
                )
            return 200, {}, self.deployments[name]
        assert body["properties"]["mode"] == "Incremental"
        template = body["properties"]["template"]
        deployment = {"id": path, "name": name, "properties": {"provisioningState": "Running"}}
        self.deployments[name] = deployment
        op = self._operation({"status": "Running"}, group=group, name=name, template=template)
        headers = {"Azure-AsyncOperation": f"/fake-operations/{op}", "Retry-After": "0"}
        return 201, headers, deployment

    def _operation(self, result: dict[str, Any], **deploy: Any) -> str:
        op = str(next(self._ids))
        self.operations[op] = {"result": result, **deploy}
        return op

    def _poll(self, op: str) -> tuple[int, dict, Any]:
        operation = self.operations[op]
        if "template" not in operation:  # what-if: the result is ready
            return 200, {}, operation["result"]
        if self.hang:
            return 200, {"Retry-After": "0"}, {"status": "Running"}
        if "done" not in operation:
            deployment = self.deployments[operation["name"]]
            failure = self.failure
            if failure and failure.deployment in (None, operation["name"]):
                self.failure = None
            else:
                failure = None
            failure = failure or self._vault_conflict(operation["template"])
            if failure:
                self._apply(operation["group"], operation["template"], failure.apply_first)
                error = {
                    "code": "DeploymentFailed",
                    "message": "At least one resource deployment operation failed.",
                    "details": [
                        {"code": failure.code, "message": failure.message, "target": failure.target}
                    ],
                }
                deployment["properties"] = {"provisioningState": "Failed", "error": error}
                operation["done"] = {"status": "Failed", "error": error}
            else:
                self._recover_vaults(operation["template"])
                self._apply(operation["group"], operation["template"])
                outputs = {
                    key: {"type": "String", "value": self.output_values.get(key, f"fake-{key}")}
                    for key in operation["template"].get("outputs", {})
                }
                deployment["properties"] = {"provisioningState": "Succeeded", "outputs": outputs}
                operation["done"] = {"status": "Succeeded"}
        return 200, {}, operation["done"]


def _missing_parameters(properties: dict[str, Any]) -> list[str]:
    declared = properties["template"].get("parameters", {})
    given = properties.get("parameters", {})
    return [k for k, v in declared.items() if "defaultValue" not in v and k not in given]


def _stored(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in ("dependsOn", "apiVersion")}


def _diff(before: Any, after: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    if isinstance(before, dict) and isinstance(after, dict):
        out = []
        for key in sorted(set(before) | set(after)):
            out += _diff(before.get(key), after.get(key), f"{path}.{key}" if path else key)
        return out
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        out = []
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            out += _diff(b, a, f"{path}[{i}]")
        return out
    return [] if before == after else [(path, before, after)]


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


class FakeArmServer:
    """Runs FakeArm over HTTPS on 127.0.0.1 in a background thread (a context manager)."""

    def __init__(self, arm: FakeArm, server_cert: Any) -> None:
        self.arm = arm
        handler = _handler(arm)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_cert.configure_cert(context)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeArmServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join()


def _handler(arm: FakeArm) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            path = urlsplit(self.path).path
            if path.startswith(SECRET_PATH):
                with arm._lock:
                    status, headers, payload = arm.vault.handle(
                        self.command, path, self.headers, body, self.headers["Host"]
                    )
            else:
                arm.received.append(raw)
                status, headers, payload = arm.handle(self.command, path, self.headers, body)
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            for key, value in headers.items():
                if key in ("Location", "Azure-AsyncOperation") and value.startswith("/"):
                    value = f"https://{self.headers['Host']}{value}"
                self.send_header(key, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = _serve

    return Handler
