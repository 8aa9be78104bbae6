"""``verify``: how old is the newest restorable recovery point of the primary database in each
snapshot region, and is S3 replication keeping up? Both are published as CloudWatch metrics
(embedded metric format, so no PutMetricData permission) that the stack alarms on.

Recovery point of a region: the newest ``available`` snapshot of the database there (automated or
manual, copies included) and, in the primary region, the instance's LatestRestorableTime
(point-in-time recovery). Replication: a canary object with the current time is written to the
primary data bucket; each replica bucket's canary tells how old the newest replicated write is.
A region without any recovery point publishes nothing: the alarm treats missing data as breaching.
Both metrics carry exactly one dimension, ``Region`` (``put_metric``), the set the alarms name.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from backup_jobs.aws import Job, error_code, with_backoff
from backup_jobs.observability import lambda_entry, logger, put_metric
from backup_jobs.settings import NoOptions, Settings, parse_no_options
from backup_jobs.snapshots import database_snapshots

JOB = "verify"
RECOVERY_POINT_METRIC = "RecoveryPointAgeSeconds"
REPLICATION_METRIC = "ReplicaCanaryAgeSeconds"


VerifyRequest = NoOptions
parse = parse_no_options


def publish(settings: Settings, name: str, region: str, seconds: float) -> None:
    put_metric(settings.metric_namespace, name, "Seconds", seconds, {"Region": region})


def recovery_points(job: Job) -> dict[str, datetime | None]:
    settings = job.settings
    newest: dict[str, datetime | None] = {}
    for region in settings.snapshot_regions:
        times = [
            s.created
            for s in database_snapshots(job, region, manual_only=False)
            if s.status == "available" and s.created is not None
        ]
        if region == settings.primary_region:
            instances = with_backoff(
                job.clients("rds", region).describe_db_instances,
                job.policy,
                job.on_retry,
                DBInstanceIdentifier=settings.database_id,
            )["DBInstances"]
            times += [i["LatestRestorableTime"] for i in instances if i.get("LatestRestorableTime")]
        newest[region] = max(times, default=None)
    return newest


def replication_ages(job: Job, now: datetime) -> dict[str, float | None]:
    settings, clients, policy, on_retry = job.settings, job.clients, job.policy, job.on_retry
    if not settings.primary_bucket:
        return {}
    ages: dict[str, float | None] = {}
    for region, bucket in settings.replica_buckets:
        s3 = clients("s3", region)
        try:
            body = with_backoff(
                s3.get_object, policy, on_retry, Bucket=bucket, Key=settings.canary_key
            )["Body"].read()
            written = datetime.fromisoformat(json.loads(body)["written_at"])
            ages[region] = (now - written).total_seconds()
        except ClientError as err:
            if error_code(err) not in {"NoSuchKey", "404"}:
                raise
            ages[region] = None  # not replicated yet (first run, or replication is broken)
    primary = clients("s3", settings.primary_region)
    with_backoff(
        primary.put_object,
        policy,
        on_retry,
        Bucket=settings.primary_bucket,
        Key=settings.canary_key,
        Body=json.dumps({"written_at": now.isoformat()}).encode(),
        ContentType="application/json",
    )
    return ages


def run(request: VerifyRequest, job: Job, now: datetime | None = None) -> dict[str, Any]:
    settings = job.settings
    now = now or datetime.now(UTC)
    report: dict[str, Any] = {"rpo_seconds": settings.rpo_seconds, "recovery_points": {}}
    for region, newest in recovery_points(job).items():
        # LatestRestorableTime can be a moment after our clock read: never report a negative age
        age = None if newest is None else max(0.0, (now - newest).total_seconds())
        report["recovery_points"][region] = {
            "newest": newest.isoformat() if newest else None,
            "age_seconds": age,
            "within_rpo": age is not None and age <= settings.rpo_seconds,
        }
        if age is None:
            logger.error("no restorable recovery point", extra={"region": region})
        else:
            publish(settings, RECOVERY_POINT_METRIC, region, age)
    report["replication"] = {}
    for region, age in replication_ages(job, now).items():
        report["replication"][region] = {"canary_age_seconds": age}
        if age is not None:
            publish(settings, REPLICATION_METRIC, region, age)
    return report


handler = lambda_entry(JOB, parse, run)
