"""Every failure the operator can meet, turned into one clear line (what happened, what to do)."""

from __future__ import annotations

from typing import Any

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)

CREDENTIAL_HELP = (
    "sign in with `az login`, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET "
    "(service principal) or AZURE_FEDERATED_TOKEN_FILE (workload identity); on an Azure host "
    "set FDR_AZURE_MANAGED_IDENTITY=1 to use its managed identity"
)


ROLE_ASSIGNMENT_HELP = (
    "creating the footprint's role assignments needs Microsoft.Authorization/roleAssignments/"
    "write: give the deploying identity Role Based Access Control Administrator (least "
    "privilege), User Access Administrator or Owner in addition to Contributor; see "
    "docs/azure-dr.md"
)


class AzureDrError(Exception):
    """A failure already phrased for the operator."""


def _error_parts(err: Any) -> tuple[str, str, str]:
    """(code, target, message) of the most specific error Azure gave."""
    while err is not None and getattr(err, "details", None):
        err = err.details[0]
    if err is None:
        return "", "", ""
    message = " ".join(str(getattr(err, "message", "") or "").split())
    return str(getattr(err, "code", "") or ""), str(getattr(err, "target", "") or ""), message


def describe(exc: HttpResponseError) -> str:
    code, target, message = _error_parts(exc.error)
    if not code:
        message = " ".join(str(exc.message or exc).split())
    where = f" ({target})" if target else ""
    return f"{code}{where}: {message}" if code else message


def translate(exc: BaseException, *, subscription_id: str, resource_group: str) -> AzureDrError:
    if isinstance(exc, AzureDrError):
        return exc
    if isinstance(exc, ClientAuthenticationError) and exc.response is None:
        return AzureDrError(f"no usable Azure credentials: {CREDENTIAL_HELP}")
    if isinstance(exc, HttpResponseError):
        status = exc.status_code
        code, _, _ = _error_parts(exc.error)
        if status == 401:
            return AzureDrError(
                f"Azure rejected the credentials (401 {describe(exc)}): the token is expired or "
                f"for another tenant or cloud; {CREDENTIAL_HELP}"
            )
        if "roleassignments/write" in describe(exc).lower():
            return AzureDrError(f"not authorized ({describe(exc)}): {ROLE_ASSIGNMENT_HELP}")
        if status == 403:
            return AzureDrError(
                f"not authorized (403 {describe(exc)}): the identity needs the Contributor role "
                f"on subscription {subscription_id} (or on resource group {resource_group} once "
                "it exists); see docs/azure-dr.md"
            )
        if code in ("SubscriptionNotFound", "InvalidSubscriptionId") or (
            status == 404 and "subscription" in code.lower()
        ):
            return AzureDrError(
                f"subscription {subscription_id} not found or not visible to this identity "
                f"({describe(exc)}): check azure.subscription_id or pass --subscription"
            )
        if status == 429:
            return AzureDrError(
                f"Azure throttled the requests and the retries were exhausted (429 "
                f"{describe(exc)}): wait a few minutes and re-run"
            )
        if status is not None and status >= 500:
            return AzureDrError(
                f"Azure Resource Manager failed after retries ({status} {describe(exc)}): "
                "re-run; sync resumes where it stopped"
            )
        if status is None or status < 400:
            # A long-running operation that ended in Failed (deployment, what-if).
            return AzureDrError(f"Azure reported a failure: {describe(exc)}")
        return AzureDrError(f"Azure rejected the request ({status} {describe(exc)})")
    if isinstance(exc, ServiceResponseError):
        return AzureDrError(f"no answer from Azure Resource Manager in time: {exc}")
    if isinstance(exc, ServiceRequestError):
        hint = ""
        if "CERTIFICATE" in str(exc).upper():
            hint = " (TLS verification failed: pass --ca-bundle for a private endpoint)"
        return AzureDrError(f"cannot reach Azure Resource Manager{hint}: {exc}")
    return AzureDrError(f"{type(exc).__name__}: {exc}")
