"""Backup tier settings: job schedules, snapshot retention, RPO/RTO, copy regions, runtime."""

from __future__ import annotations

import re
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from infra.config.base import AwsRegion, LogRetentionDays, StrictModel

_SCHEDULE = re.compile(r"^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$")
_RATE = re.compile(r"^rate\((\d+) (minute|hour|day)s?\)$")
_MINUTES = {"minute": 1, "hour": 60, "day": 1440}


def rate_minutes(expression: str) -> int | None:
    """Period of a ``rate(...)`` expression in minutes; None for ``cron(...)``."""
    match = _RATE.match(expression)
    return int(match.group(1)) * _MINUTES[match.group(2)] if match else None


class Schedules(StrictModel):
    """EventBridge Scheduler expressions (``rate(...)`` or ``cron(...)``, UTC)."""

    snapshot: str
    """Manual snapshot of the primary database and Redis; one snapshot per window."""
    copy_snapshots: str
    """Cross-region copy of new manual snapshots; re-checks copies still in progress."""
    prune: str
    """Deletion of manual snapshots past their retention."""
    verify: str
    """RPO measurement and S3 replication canary; must run well inside the RPO."""

    @field_validator("snapshot", "copy_snapshots", "prune", "verify")
    @classmethod
    def _expression(cls, value: str) -> str:
        if not _SCHEDULE.match(value):
            raise ValueError(
                f"{value!r} is not an EventBridge Scheduler expression "
                "(rate(N minutes|hours|days) or cron(...))"
            )
        return value


class BackupConfig(StrictModel):
    schedules: Schedules
    """When each scheduled job runs."""
    snapshot_window_minutes: int = Field(ge=5, le=1440)
    """Length of one snapshot window: a retried invocation inside the same window reuses the
    window's snapshot id and creates nothing. Match it to the snapshot schedule's period."""
    manual_snapshot_retention_days: int = Field(ge=1, le=3650)
    """Manual snapshots older than this are pruned (the design: 365 in production)."""
    automated_backup_retention_days: int = Field(ge=1, le=35)
    """RDS automated backups (PITR) kept by a promoted standby (the design: 30)."""
    keep_newest: int = Field(ge=1, le=100)
    """Newest manual snapshots per database and region that prune never deletes, however old."""
    rpo_minutes: int = Field(ge=5, le=1440)
    """Recovery point objective: the RPO alarm fires when the newest recovery point is older."""
    rto_minutes: int = Field(ge=15, le=2880)
    """Recovery time objective (documented target; promote plus failover must fit inside)."""
    copy_regions: list[AwsRegion] = Field(default_factory=list)
    """Extra regions that receive snapshot copies besides the standby (which always does); each
    needs the ``alias/<project>-<env>-backup`` key."""
    prune_dry_run: bool
    """When true, prune only logs what it would delete (an event may override it)."""
    promote_max_replica_lag_seconds: int = Field(ge=0, le=86400)
    """promote refuses when the standby's ReplicaLag is above this (unless the data loss is
    explicitly accepted)."""
    data_bucket_key_purpose: str = "storage"
    """KMS alias purpose of the data buckets' key (``alias/<project>-<env>-<purpose>``): verify
    writes and reads the replication canary through it."""
    powertools_layer_version: int = Field(ge=1)
    """Version of the public Powertools for AWS Lambda (Python) v3 layer (account 017000801446)."""
    architecture: Literal["x86_64", "arm64"] = "arm64"
    """Lambda CPU architecture; the Powertools layer is chosen to match."""
    memory_mb: int = Field(ge=128, le=10240)
    """Memory of each job (more memory is also more CPU)."""
    timeout_seconds: int = Field(ge=30, le=900)
    """Maximum run time of each job."""
    async_retries: int = Field(ge=0, le=2)
    """Lambda's retries of a failed scheduled run before the event goes to the dead-letter
    queue (snapshot retries are safe: idempotent per window)."""
    log_retention_days: LogRetentionDays
    """How long the jobs' logs are kept."""
    retry_mode: Literal["standard", "adaptive"] = "standard"
    """botocore retry mode of the jobs' clients (adaptive also rate-limits client-side)."""
    retry_max_attempts: int = Field(default=5, ge=1, le=20)
    """botocore attempts per API call before the job's own back-off takes over."""

    @model_validator(mode="after")
    def _schedules_fit_windows_and_rpo(self) -> Self:
        period = rate_minutes(self.schedules.snapshot)
        if period is not None and period != self.snapshot_window_minutes:
            raise ValueError(
                f"snapshot_window_minutes {self.snapshot_window_minutes} differs from the "
                f"snapshot schedule's period ({period} min): "
                + ("runs would share a window and skip snapshots"
                   if period < self.snapshot_window_minutes
                   else "a manual re-run later in the same period would take a second snapshot")
            )  # fmt: skip
        verify = rate_minutes(self.schedules.verify)
        if verify is not None and verify >= self.rpo_minutes:
            raise ValueError(
                f"schedules.verify {self.schedules.verify} is not shorter than the RPO "
                f"({self.rpo_minutes} min): an RPO breach could go unmeasured"
            )
        return self
