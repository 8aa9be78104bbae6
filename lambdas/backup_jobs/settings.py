"""What every job knows about the deployment (one JSON environment variable written by the
stack from config) and how events are validated before any AWS call."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

SETTINGS_VARIABLE = "BACKUP_SETTINGS"

# Tags every snapshot of ours carries. prune only ever touches snapshots that carry all of
# TAG_PROJECT/TAG_ENVIRONMENT with our values and a TAG_JOB.
TAG_PROJECT = "project"
TAG_ENVIRONMENT = "environment"
TAG_JOB = "backup-job"
TAG_WINDOW = "backup-window"
TAG_TIER = "backup-tier"
TAG_RETENTION_HOURS = "retention-hours"
# Written before tiered retention; prune still honours it.
TAG_RETENTION_DAYS = "retention-days"


class EventError(ValueError):
    """The event does not describe a valid request; raised before any AWS call."""


@dataclass(frozen=True)
class Settings:
    project: str
    environment: str
    account: str
    partition: str
    primary_region: str
    database_id: str
    """RDS instance id of the primary database (primary region)."""
    copy_regions: tuple[str, ...]
    """Regions that receive a copy of every manual snapshot (standby first)."""
    backup_key_alias: str
    """Alias of the key copies are re-encrypted with, the same name in every copy region."""
    redis_group_id: str | None
    hourly_retention_hours: int
    """Every snapshot is kept at least this long (see ``backup_jobs.retention``)."""
    daily_retention_days: int
    """The snapshot of the 00:00 UTC window is kept this long."""
    monthly_retention_days: int
    """The snapshot of the 00:00 UTC window on the 1st of a month is kept this long."""
    keep_newest: int
    window_minutes: int
    rpo_seconds: int
    prune_dry_run: bool
    metric_namespace: str
    standby_region: str | None = None
    standby_database_id: str | None = None
    promote_max_lag_seconds: int = 300
    promoted_backup_retention_days: int = 30
    primary_bucket: str | None = None
    replica_buckets: tuple[tuple[str, str], ...] = ()
    """(region, bucket) pairs that the primary data bucket replicates into."""
    canary_key: str = "backup-verify/canary.json"
    retry_mode: str = "standard"
    retry_max_attempts: int = 5

    @property
    def snapshot_regions(self) -> tuple[str, ...]:
        return (self.primary_region, *self.copy_regions)

    def key_alias_arn(self, region: str) -> str:
        return f"arn:{self.partition}:kms:{region}:{self.account}:{self.backup_key_alias}"

    @classmethod
    def from_mapping(cls, raw: dict[str, Any]) -> Settings:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ValueError(f"{SETTINGS_VARIABLE}: unknown keys {unknown}")
        data = dict(raw)
        data["copy_regions"] = tuple(data.get("copy_regions", ()))
        data["replica_buckets"] = tuple(tuple(p) for p in data.get("replica_buckets", ()))
        return cls(**data)

    @classmethod
    def from_environment(cls) -> Settings:
        return cls.from_mapping(json.loads(os.environ[SETTINGS_VARIABLE]))


def require_mapping(event: Any) -> dict[str, Any]:
    if event is None:
        return {}
    if not isinstance(event, dict):
        raise EventError(f"event must be a JSON object, got {type(event).__name__}")
    return event


def reject_unknown(event: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(event) - allowed)
    if unknown:
        raise EventError(f"unknown event field(s) {unknown} (allowed: {sorted(allowed)})")


def optional_bool(event: dict[str, Any], name: str, default: bool) -> bool:
    value = event.get(name, default)
    if not isinstance(value, bool):
        raise EventError(f"{name} must be true or false, got {value!r}")
    return value


def optional_time(event: dict[str, Any], name: str, default: datetime) -> datetime:
    value = event.get(name)
    if value is None:
        return default
    if not isinstance(value, str):
        raise EventError(f"{name} must be an ISO-8601 timestamp string, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise EventError(f"{name} must be an ISO-8601 timestamp, got {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class NoOptions:
    """The request of a job that takes no options (an empty or absent event)."""


def parse_no_options(event: Any) -> NoOptions:
    reject_unknown(require_mapping(event), set())
    return NoOptions()
