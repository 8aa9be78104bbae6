"""``snapshot``: a manual snapshot of the primary database (and of the Redis replication group)
per schedule window, tagged with project, environment, job, window, retention tier and the hours
that tier keeps it (``backup_jobs.retention``).

Idempotency: the snapshot identifier is derived from the schedule window
(``<database id>-<yyyymmddthhmm>``, the window start). EventBridge Scheduler passes the scheduled
time, which stays the same across its retries and Lambda's async retries, so a retry asks for the
same identifier and RDS answers DBSnapshotAlreadyExists: treated as done. This needs no
DynamoDB table, and unlike a persistence-layer record it cannot disagree with what really exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from backup_jobs.aws import ClientFactory, Job, RetryPolicy, error_code, with_backoff
from backup_jobs.observability import MetricUnit, lambda_entry, metrics
from backup_jobs.retention import retention_hours, tier_of
from backup_jobs.settings import (
    TAG_ENVIRONMENT,
    TAG_JOB,
    TAG_PROJECT,
    TAG_RETENTION_HOURS,
    TAG_TIER,
    TAG_WINDOW,
    Settings,
    optional_time,
    reject_unknown,
    require_mapping,
)

JOB = "snapshot"


@dataclass(frozen=True)
class SnapshotRequest:
    scheduled_time: datetime


def parse(event: Any) -> SnapshotRequest:
    body = require_mapping(event)
    reject_unknown(body, {"scheduled_time"})
    return SnapshotRequest(optional_time(body, "scheduled_time", datetime.now(UTC)))


def window_start(when: datetime, window_minutes: int) -> datetime:
    minutes = int(when.astimezone(UTC).timestamp() // 60)
    start = minutes - minutes % window_minutes
    return datetime.fromtimestamp(start * 60, UTC)


def snapshot_identifier(database_id: str, window: datetime) -> str:
    return f"{database_id}-{window:%Y%m%dt%H%M}"


def snapshot_tags(settings: Settings, window: datetime) -> list[dict[str, str]]:
    tier = tier_of(window)
    return [
        {"Key": TAG_PROJECT, "Value": settings.project},
        {"Key": TAG_ENVIRONMENT, "Value": settings.environment},
        {"Key": TAG_JOB, "Value": JOB},
        {"Key": TAG_WINDOW, "Value": window.isoformat()},
        {"Key": TAG_TIER, "Value": tier},
        {"Key": TAG_RETENTION_HOURS, "Value": str(retention_hours(settings, tier))},
    ]


def run(request: SnapshotRequest, job: Job) -> dict[str, Any]:
    settings, clients, policy, on_retry = job.settings, job.clients, job.policy, job.on_retry
    window = window_start(request.scheduled_time, settings.window_minutes)
    tags = snapshot_tags(settings, window)
    region = settings.primary_region
    report: dict[str, Any] = {"window": window.isoformat()}

    identifier = snapshot_identifier(settings.database_id, window)
    rds = clients("rds", region)
    try:
        with_backoff(
            rds.create_db_snapshot,
            policy,
            on_retry,
            DBSnapshotIdentifier=identifier,
            DBInstanceIdentifier=settings.database_id,
            Tags=tags,
        )
        report["database"] = {"snapshot": identifier, "result": "created"}
        metrics.add_metric(name="SnapshotsCreated", unit=MetricUnit.Count, value=1)
    except ClientError as err:
        if error_code(err) != "DBSnapshotAlreadyExists":
            raise
        report["database"] = {"snapshot": identifier, "result": "already-exists"}

    if settings.redis_group_id:
        report["redis"] = _redis_snapshot(clients, settings, window, tags, policy, on_retry)
    return report


def _redis_snapshot(
    clients: ClientFactory,
    settings: Settings,
    window: datetime,
    tags: list[dict[str, str]],
    policy: RetryPolicy,
    on_retry: Any,
) -> dict[str, str]:
    assert settings.redis_group_id
    name = snapshot_identifier(settings.redis_group_id, window)
    elasticache = clients("elasticache", settings.primary_region)
    try:
        with_backoff(
            elasticache.create_snapshot,
            policy,
            on_retry,
            ReplicationGroupId=settings.redis_group_id,
            SnapshotName=name,
            Tags=tags,
        )
        return {"snapshot": name, "result": "created"}
    except ClientError as err:
        if error_code(err) != "SnapshotAlreadyExistsFault":
            raise
        return {"snapshot": name, "result": "already-exists"}


handler = lambda_entry(JOB, parse, run)
