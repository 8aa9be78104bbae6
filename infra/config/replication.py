"""Object replication S3 -> Azure Blob (the ``replication`` tier and ``azure_dr replicate``)."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, StringConstraints, field_validator, model_validator

from infra.config.backup import rate_minutes
from infra.config.base import LogRetentionDays, StrictModel

_GUID = r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$"
Guid = Annotated[str, StringConstraints(pattern=_GUID)]
_SCHEDULE_PREFIXES = ("rate(", "cron(")


class ObjectReplicationConfig(StrictModel):
    enabled: bool = False
    """Deploy the replication stack (standby region; the primary where there is no standby)."""
    rpo_minutes: int = Field(default=15, ge=5, le=1440)
    """Objects RPO: the lag alarm fires when the oldest object not yet in Azure is older."""
    delete_delay_days: int = Field(default=7, ge=1, le=365)
    """A key deleted at the source is deleted in Azure only after this many days (Blob
    versioning and soft delete keep its versions after that too)."""
    reconcile_schedule: str = "rate(5 minutes)"
    """EventBridge Scheduler expression of the reconciliation pass; must be shorter than the RPO."""
    container: str = "data"
    """Blob container of the data bucket (one of ``azure.storage.containers``)."""
    storage_account: str | None = Field(default=None, pattern=r"^[a-z0-9]{3,24}$")
    """DR storage account: ``storageAccountName`` of ``python -m azure_dr outputs``."""
    blob_endpoint: str | None = Field(default=None, pattern=r"^https://[^\s/]+/?$")
    """Blob service URL (default ``https://<storage_account>.blob.core.windows.net/``)."""
    tenant_id: Guid | None = None
    """Entra tenant of the replicator's managed identity (ARM output)."""
    client_id: Guid | None = None
    """Client id of the replicator's user-assigned managed identity (ARM output)."""
    authority_host: str = "login.microsoftonline.com"
    """Entra ID host of the token exchange (sovereign clouds differ)."""
    token_audience: str = "api://AzureADTokenExchange"
    """``aud`` of the AWS web identity token; must equal the federated credential's audience."""
    signing_algorithm: Literal["RS256", "ES384"] = "RS256"
    """Signing algorithm of the AWS web identity token."""
    token_duration_seconds: int = Field(default=300, ge=60, le=3600)
    """Lifetime of the AWS web identity token (it is exchanged at once)."""
    block_size_mib: int = Field(default=100, ge=1, le=4000)
    """Block size of objects copied in blocks (Azure: at most 4000 MiB and 50,000 blocks)."""
    single_put_max_mib: int = Field(default=256, ge=1, le=5000)
    """Objects up to this size are copied with one Put Blob From URL (Azure: up to 5000 MiB)."""
    presigned_url_minutes: int = Field(default=60, ge=5, le=720)
    """Validity of the presigned S3 URLs Azure fetches from (a copy must finish inside it)."""
    copy_workers: int = Field(default=16, ge=1, le=64)
    """Concurrent copies in one reconciliation run."""
    memory_mb: int = Field(default=512, ge=128, le=10240)
    """Memory of both functions (the bytes never pass through them: this is for concurrency)."""
    timeout_seconds: int = Field(default=900, ge=60, le=900)
    """Maximum run time of both functions."""
    event_batch_size: int = Field(default=10, ge=1, le=100)
    """S3 events per invocation of the event function."""
    event_batching_window_seconds: int = Field(default=5, ge=0, le=300)
    """How long SQS gathers events into one batch."""
    event_concurrency: int = Field(default=5, ge=2, le=1000)
    """Maximum concurrent invocations from the event queue (SQS maximum concurrency)."""
    max_receive_count: int = Field(default=5, ge=1, le=100)
    """Deliveries of one event before it goes to the dead-letter queue."""
    log_retention_days: LogRetentionDays = 30
    """Retention of both functions' logs."""

    @field_validator("reconcile_schedule")
    @classmethod
    def _expression(cls, value: str) -> str:
        if not value.startswith(_SCHEDULE_PREFIXES) or not value.endswith(")"):
            raise ValueError(f"{value!r} is not an EventBridge Scheduler rate(...) or cron(...)")
        return value

    @model_validator(mode="after")
    def _complete_and_within_rpo(self) -> Self:
        period = rate_minutes(self.reconcile_schedule)
        if period is not None and period >= self.rpo_minutes:
            raise ValueError(
                f"reconcile_schedule {self.reconcile_schedule} is not shorter than rpo_minutes "
                f"({self.rpo_minutes}): a missed event could stay unreplicated past the RPO"
            )
        if self.enabled:
            missing = [
                name
                for name in ("storage_account", "tenant_id", "client_id")
                if getattr(self, name) is None
            ]
            if missing:
                raise ValueError(
                    f"enabled, but {', '.join(missing)} missing: take them from "
                    "`python -m azure_dr outputs --env <env>` after `sync` (the replicator "
                    "cannot reach Azure without its account and identity)"
                )
        return self

    @property
    def endpoint(self) -> str:
        return self.blob_endpoint or f"https://{self.storage_account}.blob.core.windows.net/"
