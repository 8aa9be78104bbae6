"""``sync``'s baseline step: the rendered AKS overlay of this checkout
(k8s/rendered/<env>/aks/baseline.yaml, written by ``make baseline``) goes into the DR storage
account's baseline container, in the folder named by its content digest, which is the folder the
template's Flux configuration applies (azure_dr/footprint/baseline.py). Content-addressed: a
second sync finds the blob and uploads nothing; a changed baseline is a new folder.

Runs after the deployment (which creates the container and grants the deploying principal
Storage Blob Data Contributor on it). A fresh role assignment can take a while to reach the
storage data plane, so a 403 is retried for a while (``WAITS``).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError, ServiceRequestError

from azure_dr.errors import AzureDrError
from infra.k8s_baseline import published_blob, rendered_file, rendered_text

RETRY_SECONDS = 15.0
CONTENT_TYPE = "application/yaml"
DIGEST_KEY = "sha256"
# 403 codes of the Blob service: the firewall refuses the address (AuthorizationFailure), or the
# identity has no data role yet (AuthorizationPermissionMismatch).
FIREWALL, NO_ROLE = "AuthorizationFailure", "AuthorizationPermissionMismatch"
# How long each refusal is waited out. A new role assignment: "can take up to 30 minutes to
# propagate" (Azure Storage, "Authorize access to blobs using Microsoft Entra ID"). A firewall
# refusal rarely goes away by itself (the deployment may just have admitted new addresses).
WAITS: Mapping[str, float] = {NO_ROLE: 1800.0, FIREWALL: 60.0}


@dataclass(frozen=True)
class Published:
    container: str
    blob: str
    uploaded: bool


def checkout_text(config: Any) -> str:
    """The rendered AKS overlay in the checkout, refused when it is not what ``make baseline``
    renders from k8s/ and this config (the template points Flux at the rendered content)."""
    path = rendered_file(config.name, "aks")
    expected = rendered_text(config, "aks")
    if not path.is_file() or path.read_text() != expected:
        raise AzureDrError(
            f"{path} is missing or stale (k8s/ or config/{config.name}.yaml changed since it was "
            "rendered): run `make baseline` and commit it, then sync again"
        )
    return expected


def publish(
    container: Any,
    text: str,
    *,
    progress: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    waits: Mapping[str, float] = WAITS,
) -> Published:
    """Upload ``text`` to its content folder in ``container`` (an azure-storage-blob
    ContainerClient) unless it is already there."""
    name = published_blob(text)
    digest = hashlib.sha256(text.encode()).hexdigest()
    blob = container.get_blob_client(name)
    started = clock()
    while True:
        try:
            if _present(blob, digest):
                return Published(container.container_name, name, uploaded=False)
            blob.upload_blob(
                text.encode(),
                overwrite=True,
                metadata={DIGEST_KEY: digest},
                content_settings=_content_settings(),
            )
            return Published(container.container_name, name, uploaded=True)
        except HttpResponseError as exc:
            code = _code(exc)
            if exc.status_code == 403 and clock() < started + waits.get(code, 0.0):
                progress(f"cluster baseline: {code} from the storage account, retrying")
                sleep(RETRY_SECONDS)
                continue
            raise AzureDrError(_describe(exc, container.container_name)) from exc
        except ServiceRequestError as exc:
            raise AzureDrError(
                f"cannot reach the Blob endpoint {container.url} for the baseline upload "
                f"({exc.message}): run sync where the storage account is reachable (an address "
                "in azure.storage.allowed_ip_ranges, or inside the DR VNet)"
            ) from exc


def _present(blob: Any, digest: str) -> bool:
    try:
        properties = blob.get_blob_properties()
    except ResourceNotFoundError:
        return False
    return bool((properties.metadata or {}).get(DIGEST_KEY) == digest)


def _content_settings() -> Any:
    from azure.storage.blob import ContentSettings

    return ContentSettings(content_type=CONTENT_TYPE)


def _code(exc: HttpResponseError) -> str:
    """The Blob service's error code (azure-storage-blob sets ``error_code`` from the
    x-ms-error-code header; a HEAD response has no body)."""
    return str(getattr(exc, "error_code", None) or "")


def _describe(exc: HttpResponseError, container: str) -> str:
    code = _code(exc)
    if code == FIREWALL:
        return (
            f"the storage firewall refused the baseline upload ({code}): run sync from an "
            "address in azure.storage.allowed_ip_ranges or from inside the DR VNet (private "
            "endpoint)"
        )
    if code == NO_ROLE:
        return (
            f"the baseline upload was refused ({code}): the signed-in identity has no Storage "
            f"Blob Data Contributor on container {container} (the deployment grants it to the "
            "deploying principal; another identity than the one that deployed?)"
        )
    if code == "ContainerNotFound":
        return f"container {container} does not exist: the deployment creates it (did it fail?)"
    return f"baseline upload to {container} failed: {exc.status_code} {code or exc.message}"
