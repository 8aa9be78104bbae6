"""``promote``: the DR action. Promotes the standby region's cross-region read replica to a
standalone primary. Route53 failover moves traffic; this moves the database.

Guard rails, in order, before anything changes: the event must carry ``confirm`` equal to the
standby instance id (typed by a human, not defaulted); the instance must be an ``available``
read replica; its ReplicaLag (CloudWatch, maximum over the last minutes) must be known and under
the configured limit. In a real regional outage the lag is unknown or growing: the operator then
decides to accept the data loss explicitly with ``accept_data_loss: true``. What was done is
returned, logged and written as tags on the promoted instance.

Two runs at once are harmless: the promotion is requested once; a run that finds it already
requested (the ``promoted-at`` tag on an instance that is no longer ``available``, or RDS
answering InvalidDBInstanceState to a second request) reports ``already-promoting`` and changes
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from backup_jobs.aws import Job, error_code, with_backoff
from backup_jobs.observability import lambda_entry, logger
from backup_jobs.settings import (
    EventError,
    optional_bool,
    reject_unknown,
    require_mapping,
)

JOB = "promote"
LAG_LOOKBACK = timedelta(minutes=5)
PROMOTED_TAG = "promoted-at"


class PromoteRefused(RuntimeError):
    """A guard rail stopped the promotion; nothing was changed."""


@dataclass(frozen=True)
class PromoteRequest:
    confirm: str
    accept_data_loss: bool
    reason: str


def parse(event: Any) -> PromoteRequest:
    body = require_mapping(event)
    reject_unknown(body, {"confirm", "accept_data_loss", "reason"})
    confirm = body.get("confirm")
    if not isinstance(confirm, str) or not confirm:
        raise EventError("confirm is required: the id of the standby instance to promote")
    reason = body.get("reason", "")
    if not isinstance(reason, str):
        raise EventError(f"reason must be a string, got {reason!r}")
    return PromoteRequest(confirm, optional_bool(body, "accept_data_loss", False), reason)


def replica_lag(cloudwatch: Any, instance_id: str, now: datetime) -> float | None:
    datapoints = cloudwatch.get_metric_statistics(
        Namespace="AWS/RDS",
        MetricName="ReplicaLag",
        Dimensions=[{"Name": "DBInstanceIdentifier", "Value": instance_id}],
        StartTime=now - LAG_LOOKBACK,
        EndTime=now,
        Period=60,
        Statistics=["Maximum"],
    )["Datapoints"]
    return max((d["Maximum"] for d in datapoints), default=None)


def run(request: PromoteRequest, job: Job, now: datetime | None = None) -> dict[str, Any]:
    settings, clients, policy, on_retry = job.settings, job.clients, job.policy, job.on_retry
    now = now or datetime.now(UTC)
    region, instance_id = settings.standby_region, settings.standby_database_id
    if not region or not instance_id:
        raise PromoteRefused("this environment has no standby region: nothing to promote")
    if request.confirm != instance_id:
        raise PromoteRefused(
            f"confirm must equal the standby instance id {instance_id!r}, got {request.confirm!r}"
        )
    rds = clients("rds", region)
    instances = with_backoff(
        rds.describe_db_instances, policy, on_retry, DBInstanceIdentifier=instance_id
    )["DBInstances"]
    instance = instances[0]
    if not instance.get("ReadReplicaSourceDBInstanceIdentifier"):
        return {"instance": instance_id, "result": "already-standalone"}
    status = instance.get("DBInstanceStatus")
    tags = {t["Key"]: t["Value"] for t in instance.get("TagList", [])}
    if status != "available" and PROMOTED_TAG in tags:
        return _already(instance_id, status, tags[PROMOTED_TAG])
    if status != "available":
        raise PromoteRefused(f"{instance_id} is {status!r}, promote only an available replica")
    lag = replica_lag(clients("cloudwatch", region), instance_id, now)
    lag_ok = lag is not None and lag <= settings.promote_max_lag_seconds
    if not lag_ok and not request.accept_data_loss:
        shown = "unknown" if lag is None else f"{lag:.0f} s"
        raise PromoteRefused(
            f"replica lag of {instance_id} is {shown} (limit {settings.promote_max_lag_seconds}"
            " s): promoting would lose those writes; re-run with accept_data_loss: true to "
            "accept that"
        )
    try:
        with_backoff(
            rds.promote_read_replica,
            policy,
            on_retry,
            DBInstanceIdentifier=instance_id,
            BackupRetentionPeriod=settings.promoted_backup_retention_days,
        )
    except ClientError as err:
        if error_code(err) != "InvalidDBInstanceState":
            raise
        # another run's request got there first: the instance is leaving "available"
        return _already(instance_id, "not available", None)
    record = {
        "instance": instance_id,
        "region": region,
        "result": "promoting",
        "promoted_at": now.isoformat(),
        "replica_lag_seconds": lag,
        "accepted_data_loss": not lag_ok,
        "reason": request.reason,
    }
    rds.add_tags_to_resource(
        ResourceName=instance["DBInstanceArn"],
        Tags=[
            {"Key": PROMOTED_TAG, "Value": record["promoted_at"]},
            {"Key": "promoted-lag-seconds", "Value": "unknown" if lag is None else str(lag)},
            {"Key": "promoted-reason", "Value": request.reason[:256] or "not given"},
        ],
    )
    logger.warning("standby promoted", extra={"record": record})
    return record


def _already(instance_id: str, status: str | None, since: str | None) -> dict[str, Any]:
    logger.warning("promotion already requested", extra={"instance": instance_id, "status": status})
    return {"instance": instance_id, "result": "already-promoting", "promoted_at": since}


handler = lambda_entry(JOB, parse, run)
