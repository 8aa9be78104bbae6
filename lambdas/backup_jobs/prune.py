"""``prune``: deletes manual snapshots of ours older than their retention, in every snapshot
region (primary and copy regions). Retention is tiered (``backup_jobs.retention``): each snapshot
carries the hours its tier keeps it, written when it was taken.

Never deleted: the newest ``keep_newest`` snapshots of each database in each region (even when
expired: a stalled snapshot job must not leave us with none), snapshots without our tags,
snapshots that are not ``available`` (still creating or copying), automated snapshots (RDS owns
their lifecycle; they are not even listed). A snapshot exactly at the retention boundary is kept.
Dry run logs what it would delete and deletes nothing. A failed delete is reported and the others
proceed; the next run picks it up again. Two runs at once are harmless: a snapshot the other run
already deleted (DBSnapshotNotFound) or is deleting (InvalidDBSnapshotState) counts as gone.
The primary region's Redis snapshots get the same rules
(``backup_jobs.redis_snapshots``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from backup_jobs import redis_snapshots
from backup_jobs.aws import Job, error_code, with_backoff
from backup_jobs.observability import MetricUnit, lambda_entry, logger, metrics
from backup_jobs.retention import kept_hours
from backup_jobs.settings import (
    Settings,
    optional_bool,
    reject_unknown,
    require_mapping,
)
from backup_jobs.snapshots import Snapshot, database_snapshots

JOB = "prune"


@dataclass(frozen=True)
class PruneRequest:
    dry_run: bool | None
    """None: the configured default."""


def parse(event: Any) -> PruneRequest:
    body = require_mapping(event)
    reject_unknown(body, {"dry_run"})
    return PruneRequest(optional_bool(body, "dry_run", False) if "dry_run" in body else None)


# Another run deleted it, or is deleting it: the goal is reached either way.
GONE_CODES = frozenset({"DBSnapshotNotFound", "DBSnapshotNotFoundFault", "InvalidDBSnapshotState"})


def expired(
    snapshots: list[Snapshot], *, settings: Settings, now: datetime
) -> tuple[list[Snapshot], int]:
    """Which of one region's listed snapshots to delete, and how many were protected as newest."""
    by_database: dict[str, list[Snapshot]] = defaultdict(list)
    for snapshot in snapshots:
        if (
            snapshot.snapshot_type == "manual"
            and snapshot.is_ours(settings)
            and snapshot.created is not None
        ):
            by_database[snapshot.database_id].append(snapshot)
    doomed: list[Snapshot] = []
    protected = 0
    for group in by_database.values():
        group.sort(key=lambda s: s.created, reverse=True)  # type: ignore[arg-type,return-value]
        for position, snapshot in enumerate(group):
            age = now - snapshot.created  # type: ignore[operator]
            keep = kept_hours(snapshot.tags, snapshot.created, settings)  # type: ignore[arg-type]
            if age <= timedelta(hours=keep):
                continue
            if position < settings.keep_newest:
                protected += 1
            elif snapshot.status == "available":
                doomed.append(snapshot)
    return doomed, protected


def run(request: PruneRequest, job: Job, now: datetime | None = None) -> dict[str, Any]:
    settings, clients, policy, on_retry = job.settings, job.clients, job.policy, job.on_retry
    now = now or datetime.now(UTC)
    dry_run = settings.prune_dry_run if request.dry_run is None else request.dry_run
    report: dict[str, Any] = {"dry_run": dry_run}
    for region in settings.snapshot_regions:
        rds = clients("rds", region)
        listed = list(database_snapshots(job, region))
        doomed, protected = expired(listed, settings=settings, now=now)
        deleted: list[str] = []
        failed: list[str] = []
        for snapshot in doomed:
            if dry_run:
                logger.info("dry run: would delete", extra={"snapshot": snapshot.identifier})
                continue
            try:
                with_backoff(
                    rds.delete_db_snapshot,
                    policy,
                    on_retry,
                    DBSnapshotIdentifier=snapshot.identifier,
                )
                deleted.append(snapshot.identifier)
            except ClientError as err:
                code = error_code(err)
                if code in GONE_CODES:
                    logger.info(
                        "already deleted or being deleted",
                        extra={"snapshot": snapshot.identifier, "error_code": code},
                    )
                    continue
                logger.error(
                    "delete failed", extra={"snapshot": snapshot.identifier, "error_code": code}
                )
                failed.append(snapshot.identifier)
        report[region] = {
            "listed": len(listed),
            "expired": [s.identifier for s in doomed],
            "deleted": deleted,
            "failed": failed,
            "kept_as_newest": protected,
        }
        metrics.add_metric(name="SnapshotsDeleted", unit=MetricUnit.Count, value=len(deleted))
        metrics.add_metric(name="PruneFailures", unit=MetricUnit.Count, value=len(failed))
    if settings.redis_group_id:
        report["redis"] = redis_snapshots.prune(
            clients, settings, dry_run=dry_run, now=now, policy=policy, on_retry=on_retry
        )
    return report


handler = lambda_entry(JOB, parse, run)
