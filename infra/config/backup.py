"""Backup tier settings: job schedules, tiered snapshot retention and its quota, RPO/RTO and the
alarm thresholds derived from them, copy regions, runtime."""

from __future__ import annotations

import re
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from infra.config.base import AwsRegion, LogRetentionDays, StrictModel
from infra.config.snapshot_retention import (
    MINUTES_PER_DAY,
    RetentionTiers,
    WorstCase,
    period_minutes,
    rate_minutes,
    worst_case,
)

_SCHEDULE = re.compile(r"^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$")


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
    retention: RetentionTiers
    """Tiered retention of the manual snapshots (hourly, daily, monthly), written on each
    snapshot by the snapshot job and applied by prune."""
    manual_snapshot_quota: int = Field(default=100, ge=1, le=100000)
    """RDS manual DB snapshots allowed per region (the AWS default quota is 100; raise it here
    only after Service Quotas granted more)."""
    manual_snapshot_headroom: int = Field(default=10, ge=0, le=1000)
    """Manual snapshots per region left free for everything else (final snapshots of deleted
    instances, an operator's snapshot before a change)."""
    automated_backup_retention_days: int = Field(ge=1, le=35)
    """RDS automated backups (PITR) kept by a promoted standby (the design: 30)."""
    keep_newest: int = Field(ge=1, le=100)
    """Newest manual snapshots per database and region that prune never deletes, however old."""
    rpo_minutes: int = Field(ge=5, le=1440)
    """Recovery point objective. The recovery-point alarm of a region fires when its newest
    recovery point is older than the RPO plus the snapshot cadence (plus
    ``copy_allowance_minutes`` in a copy region): then a recovery point is really late, not just
    between two snapshots. The replication-canary alarm fires at the RPO itself."""
    copy_allowance_minutes: int = Field(ge=5, le=1440)
    """Time from a snapshot's creation to its copy being available in a copy region (the wait
    for the next copy run included); must be longer than the copy schedule's period."""
    rto_minutes: int = Field(ge=15, le=2880)
    """Recovery time objective (documented target; promote plus failover must fit inside)."""
    copy_regions: list[AwsRegion] = Field(default_factory=list)
    """Extra regions that receive snapshot copies besides the standby (which always does); each
    needs the ``alias/<project>-<env>-backup`` key."""
    prune_dry_run: bool
    """When true, prune only logs what it would delete (an event may override it). Rejected
    when true: nothing would ever be deleted and the snapshot quota would fill up; a single
    dry run is the event ``{"dry_run": true}``."""
    standby_backup_replication_days: int | None = Field(default=None, ge=1, le=35)
    """RDS cross-Region automated backup replication of the primary database into the standby
    region, kept this many days (point-in-time restore there without extra snapshots); omit
    (null) to turn it off. Only where a standby region exists."""
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
    reserved_concurrency: int | None = Field(default=None, ge=1, le=10)
    """Reserved concurrency of each job; omit (null, the default) for none. Reserving takes
    from the account's unreserved pool, which Lambda keeps at 100 or more, so new accounts with
    a low limit reject it; overlapping runs are harmless without it (the jobs are idempotent)."""
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
        copy = rate_minutes(self.schedules.copy_snapshots)
        if copy is not None and copy >= self.copy_allowance_minutes:
            raise ValueError(
                f"copy_allowance_minutes {self.copy_allowance_minutes} is not longer than the "
                f"copy schedule's period ({copy} min): a healthy copy region would alarm"
            )
        return self

    @model_validator(mode="after")
    def _retention_fits_the_quota(self) -> Self:
        if MINUTES_PER_DAY % self.snapshot_window_minutes:
            raise ValueError(
                f"snapshot_window_minutes {self.snapshot_window_minutes} does not divide a day: "
                "no window would start at 00:00 UTC, so no snapshot would be kept as daily or "
                "monthly"
            )
        if self.prune_period_minutes is None:
            raise ValueError(
                f"schedules.prune {self.schedules.prune} has no period that can be checked "
                "offline (use rate(...) or a daily cron(M H * * ? *)): the snapshot count "
                "against manual_snapshot_quota could not be bounded"
            )
        limit = self.manual_snapshot_quota - self.manual_snapshot_headroom
        if self.prune_dry_run:
            per_day = MINUTES_PER_DAY // self.snapshot_window_minutes
            raise ValueError(
                f"prune_dry_run true: prune would delete nothing, and {per_day} manual "
                f"snapshot(s) a day reach manual_snapshot_quota minus headroom ({limit}) in "
                f"{-(-limit // per_day)} days; try a deletion with the event "
                '{"dry_run": true} instead'
            )
        bound = self.worst_case_snapshots
        if bound.total > limit:
            raise ValueError(
                f"retention: up to {bound.total} manual snapshots per region (hourly "
                f"{bound.hourly} + daily {bound.daily} + monthly {bound.monthly}, the same in "
                f"every copy region) exceeds manual_snapshot_quota {self.manual_snapshot_quota} "
                f"minus manual_snapshot_headroom {self.manual_snapshot_headroom} ({limit}): the "
                "snapshot and copy jobs would fail with SnapshotQuotaExceeded"
            )
        return self

    @property
    def prune_period_minutes(self) -> int | None:
        return period_minutes(self.schedules.prune)

    @property
    def worst_case_snapshots(self) -> WorstCase:
        """Most manual snapshots of the primary database one region can hold at once."""
        return worst_case(
            self.retention,
            window_minutes=self.snapshot_window_minutes,
            prune_period_minutes=self.prune_period_minutes or MINUTES_PER_DAY,
            keep_newest=self.keep_newest,
        )

    def recovery_point_threshold_minutes(self, *, copy_region: bool) -> int:
        """Age at which a region's newest recovery point is really late: the RPO, plus one
        snapshot cadence (the age grows to it between two snapshots), plus the copy allowance
        where the recovery point is a copy."""
        return (
            self.rpo_minutes
            + self.snapshot_window_minutes
            + (self.copy_allowance_minutes if copy_region else 0)
        )
