"""The footprint's Key Vault, data plane (``azure-keyvault-secrets``): the secrets ``azure_dr``
writes (the PostgreSQL admin password it generates, the VPN pre-shared keys it copies from
Secrets Manager) and reads (the admin password, for the failover's and replication's DSNs).

Values never leave this module in a message: errors name the vault and the secret only. A write
happens only when the value differs from the current version, so a re-run makes no new version.

Reaching it: the vault is private (``publicNetworkAccess: Disabled``, a private endpoint in the
VNet) unless ``azure.key_vault.allowed_ip_ranges`` admits the caller's public address; the
caller needs the "Key Vault Secrets Officer" role on it (``azure.key_vault.secrets_officer_
group_ids``). See docs/azure-dr.md, "Secrets".
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from azure.core.credentials import TokenCredential
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError, ServiceRequestError
from azure.keyvault.secrets import SecretClient

from azure_dr.errors import AzureDrError

ADMIN_PASSWORD_SECRET = "postgres-admin-password"
MANAGED_BY = {"managed-by": "azure_dr"}
Outcome = Literal["created", "updated", "unchanged"]
Log = Callable[[str], None]

# 32 characters from the URL-safe alphabet, at least one of each class: upper, lower, digit and
# '-'/'_'. Azure PostgreSQL wants 8-128 characters from three of the four classes; the alphabet
# needs no quoting in a libpq URI or key=value string.
PASSWORD_LENGTH = 32
_SYMBOLS = "-_"
_ALPHABET = string.ascii_letters + string.digits + _SYMBOLS


def generate_admin_password() -> str:
    """A random password (``secrets``, the OS CSPRNG) that meets Azure PostgreSQL's rules."""
    while True:
        candidate = "".join(secrets.choice(_ALPHABET) for _ in range(PASSWORD_LENGTH))
        if (
            any(c.isupper() for c in candidate)
            and any(c.islower() for c in candidate)
            and any(c.isdigit() for c in candidate)
            and any(c in _SYMBOLS for c in candidate)
        ):
            return candidate


def vault_url(name: str, dns_suffix: str, endpoint: str | None = None) -> str:
    """``https://<vault>.<suffix>/``, or ``endpoint`` (a test server, a private DNS name)."""
    return endpoint.rstrip("/") + "/" if endpoint else f"https://{name}.{dns_suffix}/"


@dataclass
class VaultSecrets:
    """One vault's secrets through the SDK (the challenge resource is verified, as default)."""

    name: str
    url: str
    client: SecretClient

    @classmethod
    def connect(
        cls,
        name: str,
        url: str,
        credential: TokenCredential,
        *,
        connection_verify: bool | str = True,
        **transport: Any,
    ) -> VaultSecrets:
        client = SecretClient(
            url, credential, connection_verify=connection_verify, **_transport(transport)
        )
        return cls(name, url, client)

    def value(self, secret: str) -> str | None:
        """The current value, or None when the secret does not exist."""
        try:
            return self.client.get_secret(secret).value
        except ResourceNotFoundError:
            return None
        except Exception as exc:
            raise self._failure("read", secret, exc) from None

    def ensure(self, secret: str, value: str, *, tags: dict[str, str] | None = None) -> Outcome:
        """Write ``value`` unless it is the current version already (no new version then)."""
        current = self.value(secret)
        if current == value:
            return "unchanged"
        try:
            self.client.set_secret(
                secret, value, content_type="text/plain", tags={**MANAGED_BY, **(tags or {})}
            )
        except Exception as exc:
            raise self._failure("write", secret, exc) from None
        return "created" if current is None else "updated"

    def ensure_generated(self, secret: str, generate: Callable[[], str]) -> Outcome:
        """Create ``secret`` from ``generate()`` only when absent; an existing one is kept."""
        if self.value(secret) is not None:
            return "unchanged"
        return self.ensure(secret, generate(), tags={"generated-by": "azure_dr sync"})

    def _failure(self, action: str, secret: str, exc: Exception) -> AzureDrError:
        where = f"Key Vault {self.name} ({self.url}), secret {secret}"
        if isinstance(exc, ServiceRequestError):
            return AzureDrError(
                f"cannot reach {where} to {action} it ({type(exc).__name__}): the vault is "
                "private; run from a host that resolves it to its private endpoint (the DR VNet, "
                "or a network linked to it), or admit your public address in "
                "azure.key_vault.allowed_ip_ranges and sync (docs/azure-dr.md, 'Secrets')"
            )
        if isinstance(exc, HttpResponseError) and exc.status_code == 403:
            text = str(exc.message or exc)
            if "firewall" in text.lower() or "forbiddenby" in text.lower():
                return AzureDrError(
                    f"{where}: the vault's firewall refused this address (403): add it to "
                    "azure.key_vault.allowed_ip_ranges and sync, or run from inside the VNet"
                )
            return AzureDrError(
                f"{where}: not authorized to {action} secrets (403): the identity needs the "
                "Key Vault Secrets Officer role on the vault (add its group to "
                "azure.key_vault.secrets_officer_group_ids and sync; role assignments take a "
                "few minutes to apply)"
            )
        if isinstance(exc, HttpResponseError):
            code = getattr(exc.error, "code", "") or ""
            return AzureDrError(f"{where}: {action} failed ({exc.status_code} {code})")
        return AzureDrError(f"{where}: {action} failed ({type(exc).__name__})")


def _transport(overrides: dict[str, Any]) -> dict[str, Any]:
    keep = ("retry_total", "retry_backoff_factor", "read_timeout")
    return {k: v for k, v in overrides.items() if k in keep}
