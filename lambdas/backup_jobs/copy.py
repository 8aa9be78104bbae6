"""``copy``: every manual snapshot of ours that is available in the primary region and not yet
in a copy region is copied there, re-encrypted with that region's backup key, tags included.

One listing per region, then a set difference: cost grows with the number of snapshots, not with
its square. Nothing waits for a copy to finish: a copy in progress is already present in the
target listing, so the next run neither repeats it nor busy-loops on it. A failed copy is
reported and retried by the next run; SnapshotQuotaExceeded (the per-region limit on manual
snapshots or concurrent copies) stops that region for this run and reports what was deferred.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from backup_jobs.aws import Job, error_code, with_backoff
from backup_jobs.observability import MetricUnit, lambda_entry, logger, metrics
from backup_jobs.retention import kept_hours
from backup_jobs.settings import NoOptions, Settings, parse_no_options
from backup_jobs.snapshots import Snapshot, database_snapshots

JOB = "copy"
QUOTA_CODES = frozenset({"SnapshotQuotaExceeded", "SnapshotQuotaExceededFault"})


CopyRequest = NoOptions
parse = parse_no_options


def to_copy(snapshots: list[Snapshot], settings: Settings, now: datetime) -> list[Snapshot]:
    """Our available snapshots that prune would still keep (copying an expiring one would only
    give prune one more to delete)."""
    chosen = []
    for snapshot in snapshots:
        created = snapshot.created or now
        kept = timedelta(hours=kept_hours(snapshot.tags, created, settings))
        if snapshot.is_ours(settings) and snapshot.status == "available" and now - created <= kept:
            chosen.append(snapshot)
    return chosen


def run(request: CopyRequest, job: Job, now: datetime | None = None) -> dict[str, Any]:
    settings = job.settings
    now = now or datetime.now(UTC)
    source = to_copy(list(database_snapshots(job, settings.primary_region)), settings, now)
    return {region: _copy_to(job, region, source) for region in settings.copy_regions}


def _copy_to(job: Job, region: str, source: list[Snapshot]) -> dict[str, list[str]]:
    settings = job.settings
    rds = job.clients("rds", region)
    present = {s.identifier for s in database_snapshots(job, region)}
    missing = [s for s in source if s.identifier not in present]
    result: dict[str, list[str]] = {
        "copied": [],
        "present": [s.identifier for s in source if s.identifier in present],
        "failed": [],
        "deferred": [],
    }
    for index, snapshot in enumerate(missing):
        try:
            with_backoff(
                rds.copy_db_snapshot,
                job.policy,
                job.on_retry,
                SourceDBSnapshotIdentifier=snapshot.arn,
                TargetDBSnapshotIdentifier=snapshot.identifier,
                KmsKeyId=settings.key_alias_arn(region),
                CopyTags=True,
                SourceRegion=settings.primary_region,
            )
            result["copied"].append(snapshot.identifier)
        except ClientError as err:
            code = error_code(err)
            if code in QUOTA_CODES:
                result["deferred"] = [s.identifier for s in missing[index:]]
                logger.warning(
                    "snapshot quota reached; the next run continues",
                    extra={"region": region, "deferred": len(result["deferred"])},
                )
                break
            if code == "DBSnapshotAlreadyExists":  # a concurrent or earlier attempt got there
                result["present"].append(snapshot.identifier)
                continue
            logger.error(
                "copy failed",
                extra={"region": region, "snapshot": snapshot.identifier, "error_code": code},
            )
            result["failed"].append(snapshot.identifier)
    metrics.add_metric(name="SnapshotsCopied", unit=MetricUnit.Count, value=len(result["copied"]))
    metrics.add_metric(name="CopyFailures", unit=MetricUnit.Count, value=len(result["failed"]))
    return result


handler = lambda_entry(JOB, parse, run)
