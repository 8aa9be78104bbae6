"""Talks to Azure Resource Manager through the SDK: credential, resource group, what-if,
validate, deploy (Incremental only) and outputs. Retries and polling are the SDK's own."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.exceptions import ResourceNotFoundError
from azure.identity import DefaultAzureCredential
from azure.mgmt.resource.deployments import DeploymentsMgmtClient, models
from azure.mgmt.resource.resources import ResourceManagementClient

from azure_dr.clouds import Cloud
from azure_dr.errors import AzureDrError
from azure_dr.footprint import Footprint
from azure_dr.footprint.arm import API_VERSIONS
from azure_dr.preview import Change, changes_from_what_if, creates_from_template

MANAGED_IDENTITY_VARIABLE = "FDR_AZURE_MANAGED_IDENTITY"
# The tool never deletes what it did not declare.
MODE = "Incremental"


def default_credential(cloud: Cloud, environ: Mapping[str, str] = os.environ) -> TokenCredential:
    """DefaultAzureCredential without the slow or interactive links. Managed identity only when
    the host says it is in Azure: elsewhere its metadata endpoint can hang for minutes."""
    on_azure = (
        "IDENTITY_ENDPOINT" in environ
        or "MSI_ENDPOINT" in environ
        or environ.get(MANAGED_IDENTITY_VARIABLE) == "1"
    )
    return DefaultAzureCredential(
        authority=cloud.authority_host,
        exclude_managed_identity_credential=not on_azure,
        exclude_interactive_browser_credential=True,
        exclude_visual_studio_code_credential=True,
        exclude_shared_token_cache_credential=True,
        exclude_powershell_credential=True,
    )


@dataclass(frozen=True)
class ClientOptions:
    """Transport settings; tests point them at the local fake ARM server."""

    arm_endpoint: str
    credential_scopes: list[str]
    connection_verify: bool | str = True
    polling_interval: float = 10
    retry_total: int = 6
    retry_backoff_factor: float = 0.8
    read_timeout: float = 120

    def sdk_kwargs(self) -> dict[str, Any]:
        return {
            "base_url": self.arm_endpoint,
            "credential_scopes": self.credential_scopes,
            "connection_verify": self.connection_verify,
            "polling_interval": self.polling_interval,
            "retry_total": self.retry_total,
            "retry_backoff_factor": self.retry_backoff_factor,
            "read_timeout": self.read_timeout,
        }


Progress = Callable[[str], None]
VAULT_API = API_VERSIONS["Microsoft.KeyVault/vaults"]


@dataclass(frozen=True)
class DeletedVault:
    """A soft-deleted Key Vault (Key Vault management API, Vaults - Get Deleted)."""

    name: str
    vault_id: str
    deletion_date: str
    scheduled_purge_date: str

    def resource_group(self) -> str:
        parts = self.vault_id.split("/")
        lowered = [p.lower() for p in parts]
        return parts[lowered.index("resourcegroups") + 1] if "resourcegroups" in lowered else ""


class ArmSession:
    def __init__(
        self,
        footprint: Footprint,
        credential: TokenCredential,
        options: ClientOptions,
    ) -> None:
        self.footprint = footprint
        kwargs = options.sdk_kwargs()
        sub = footprint.subscription_id
        self.resources = ResourceManagementClient(credential, sub, **kwargs)
        self.deployments = DeploymentsMgmtClient(credential, sub, **kwargs)

    @property
    def _group(self) -> str:
        return self.footprint.resource_group

    def resource_group_exists(self) -> bool:
        # GET, not HEAD: a HEAD 404 cannot tell a missing group from a wrong subscription.
        try:
            self.resources.resource_groups.get(self._group)
        except ResourceNotFoundError as exc:
            if exc.error is not None and exc.error.code == "ResourceGroupNotFound":
                return False
            raise
        return True

    def ensure_resource_group(self) -> None:
        self.resources.resource_groups.create_or_update(
            self._group, {"location": self.footprint.location, "tags": self.footprint.tags}
        )

    def _body(self, parameters: dict[str, Any]) -> dict[str, Any]:
        """``parameters``: Key Vault references (``azure_dr/sync_secrets.py``), never values,
        except the what-if stand-ins of secrets ``sync`` has yet to write."""
        return {
            "properties": {
                "mode": MODE,
                "template": self.footprint.template,
                "parameters": parameters,
            },
            "tags": self.footprint.tags,
        }

    def exists(self, resource_id: str) -> bool:
        """A management-plane GET (the Key Vault API version: the vault and its secrets, whose
        metadata ARM returns without the value)."""
        try:
            self.resources.resources.get_by_id(resource_id, api_version=VAULT_API)
        except ResourceNotFoundError as exc:
            code = (exc.error.code or "") if exc.error is not None else ""
            if "subscription" in code.lower():
                raise
            return False
        return True

    def bootstrap_key_vault(self, *, timeout: float, progress: Progress, every: float = 10) -> None:
        """Deploy the vault alone (``Footprint.key_vault_bootstrap_template``)."""
        name = self.footprint.key_vault_bootstrap_deployment
        body = {
            "properties": {"mode": MODE, "template": self.footprint.key_vault_bootstrap_template()},
            "tags": self.footprint.tags,
        }
        poller = self.deployments.deployments.begin_create_or_update(
            self._group, name, models.Deployment(body)
        )
        _outputs(_wait(poller, name, timeout=timeout, progress=progress, every=every))

    def plan(self, parameters: dict[str, Any]) -> tuple[bool, list[Change]]:
        """(resource group exists, changes). Without the group ARM cannot run what-if: then
        everything is a create, known from the template alone."""
        if not self.resource_group_exists():
            return False, creates_from_template(self.footprint)
        poller = self.deployments.deployments.begin_what_if(
            self._group,
            self.footprint.deployment_name,
            models.DeploymentWhatIf(self._body(parameters)),
        )
        return True, changes_from_what_if(poller.result())

    def validate(self, parameters: dict[str, Any]) -> None:
        result = self.deployments.deployments.begin_validate(
            self._group, self.footprint.deployment_name, models.Deployment(self._body(parameters))
        ).result()
        error = result.get("error") if hasattr(result, "get") else None
        if error:
            code = error.get("code", "")
            target = f" ({error['target']})" if error.get("target") else ""
            raise AzureDrError(f"Azure rejected the template: {code}{target}: {error['message']}")

    def deploy(
        self, parameters: dict[str, Any], *, timeout: float, progress: Progress, every: float = 10
    ) -> dict[str, Any]:
        name = self.footprint.deployment_name
        poller = self.deployments.deployments.begin_create_or_update(
            self._group, name, models.Deployment(self._body(parameters))
        )
        return _outputs(_wait(poller, name, timeout=timeout, progress=progress, every=every))

    def deleted_key_vault(self) -> DeletedVault | None:
        """The footprint's vault if it is soft-deleted in the configured location (what-if does
        not see it: it reports a plain create that would then fail)."""
        fp = self.footprint
        path = (
            f"/subscriptions/{fp.subscription_id}/providers/Microsoft.KeyVault/locations/"
            f"{fp.location}/deletedVaults/{fp.names.key_vault}"
        )
        try:
            found = self.resources.resources.get_by_id(path, api_version=VAULT_API)
        except ResourceNotFoundError as exc:
            code = (exc.error.code or "") if exc.error is not None else ""
            if "subscription" in code.lower():
                raise
            return None
        props = found.properties or {}
        return DeletedVault(
            name=fp.names.key_vault,
            vault_id=str(props.get("vaultId", "")),
            deletion_date=str(props.get("deletionDate", "")),
            scheduled_purge_date=str(props.get("scheduledPurgeDate", "")),
        )

    def check_recoverable(self, deleted: DeletedVault) -> None:
        """Recovery brings a vault back into the resource group it was deleted from."""
        if deleted.resource_group().lower() != self._group.lower():
            raise AzureDrError(
                f"Key Vault {deleted.name} is soft-deleted from resource group "
                f"{deleted.resource_group() or '(unknown)'}, not {self._group}: recover it there "
                f"(az keyvault recover --name {deleted.name}) and move it, or wait for its purge "
                f"on {deleted.scheduled_purge_date} (purge protection forbids purging earlier)"
            )

    def recover_key_vault(
        self, deleted: DeletedVault, *, timeout: float, progress: Progress, every: float = 10
    ) -> None:
        """Undelete the vault in its own deployment, before the main one re-applies settings."""
        self.check_recoverable(deleted)
        name = self.footprint.key_vault_recovery_deployment
        body = {
            "properties": {"mode": MODE, "template": self.footprint.key_vault_recovery_template()},
            "tags": self.footprint.tags,
        }
        poller = self.deployments.deployments.begin_create_or_update(
            self._group, name, models.Deployment(body)
        )
        _outputs(_wait(poller, name, timeout=timeout, progress=progress, every=every))

    def outputs(self) -> dict[str, Any]:
        result = self.deployments.deployments.get(self._group, self.footprint.deployment_name)
        return _outputs(result)


def _wait(poller: Any, name: str, *, timeout: float, progress: Progress, every: float) -> Any:
    started = time.monotonic()
    while not poller.done():
        elapsed = time.monotonic() - started
        if elapsed >= timeout:
            raise AzureDrError(
                f"timed out after {timeout:g} s waiting for deployment {name} (status "
                f"{poller.status()}); it keeps running in Azure: re-run sync to finish, or "
                "raise --timeout"
            )
        poller.wait(min(every, timeout - elapsed))
        if not poller.done():
            progress(f"deployment {name}: {poller.status()} ({time.monotonic() - started:.0f} s)")
    return poller.result()


def _outputs(deployment: Any) -> dict[str, Any]:
    properties = deployment.get("properties") or {}
    state = properties.get("provisioningState")
    if state not in (None, "Succeeded"):
        error = properties.get("error") or {}
        raise AzureDrError(
            f"deployment is {state}: {error.get('code', '')} {error.get('message', '')}".strip()
        )
    outputs = properties.get("outputs") or {}
    return {key: value.get("value") for key, value in sorted(outputs.items())}
