"""What the replicator knows about its deployment: one JSON environment variable written by the
replication stack from config (or built by ``azure_dr`` from the same config for a backfill)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, fields, replace
from typing import Any

SETTINGS_VARIABLE = "REPLICATION_SETTINGS"
MIB = 1024 * 1024


@dataclass(frozen=True)
class ReplicationSettings:
    source_bucket: str
    """The data bucket read (the standby region's replica; the primary's in development)."""
    source_region: str
    blob_endpoint: str
    """Blob service URL of the DR storage account, e.g. https://<account>.blob.core.windows.net/"""
    container: str
    tenant_id: str
    client_id: str
    """Client id of the user-assigned managed identity the Entra federated credential trusts."""
    authority_host: str = "login.microsoftonline.com"
    token_audience: str = "api://AzureADTokenExchange"
    """``aud`` of the AWS web identity token; the federated credential's audience."""
    signing_algorithm: str = "RS256"
    token_duration_seconds: int = 300
    storage_scope: str = "https://storage.azure.com/.default"
    single_put_max_bytes: int = 256 * MIB
    """Objects up to this size go in one Put Blob From URL (Azure allows 5000 MiB)."""
    block_bytes: int = 100 * MIB
    """Block size of larger objects (Put Block From URL; Azure allows 4000 MiB, 50,000 blocks)."""
    presign_seconds: int = 3600
    delete_delay_days: float = 7
    rpo_seconds: int = 900
    metric_namespace: str = "FDR/Replication"
    prefix: str = ""
    copy_attempts: int = 3
    """Copies of one object before it is reported failed (checksum mismatch, source changed)."""
    http_attempts: int = 6
    """Attempts per Azure request on 429/500/503 (Retry-After honoured) or a dropped connection."""
    retry_cap_seconds: float = 30.0
    retry_mode: str = "standard"
    retry_max_attempts: int = 5
    ca_bundle: str | None = None
    """Extra CA certificates for the blob and token endpoints (tests, private endpoints)."""
    token_endpoint: str | None = None
    """Overrides ``https://<authority_host>/<tenant>/oauth2/v2.0/token`` (tests)."""
    s3_endpoint: str | None = None
    """Overrides the S3 endpoint (tests: moto in server mode)."""

    @property
    def token_url(self) -> str:
        return self.token_endpoint or (
            f"https://{self.authority_host}/{self.tenant_id}/oauth2/v2.0/token"
        )

    @classmethod
    def from_mapping(cls, raw: dict[str, Any]) -> ReplicationSettings:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ValueError(f"{SETTINGS_VARIABLE}: unknown keys {unknown}")
        return cls(**raw)

    @classmethod
    def from_environment(cls) -> ReplicationSettings:
        return cls.from_mapping(json.loads(os.environ[SETTINGS_VARIABLE]))

    def with_overrides(self, **changes: Any) -> ReplicationSettings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})
