"""ElastiCache (Redis) manual snapshots of the primary region: listing and pruning.

DescribeSnapshots does not return tags, so the tag check (ListTagsForResource) runs only for the
snapshots that are past the shortest tier's retention and outside the newest N: one call per
candidate, never a describe inside a describe. The tags then decide (ours? which retention?).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from backup_jobs.aws import ClientFactory, RetryPolicy, error_code, pages, with_backoff
from backup_jobs.observability import logger
from backup_jobs.retention import kept_hours
from backup_jobs.settings import TAG_ENVIRONMENT, TAG_JOB, TAG_PROJECT, Settings

# Another run deleted it, or is deleting it: the goal is reached either way.
GONE_CODES = frozenset({"SnapshotNotFoundFault", "InvalidSnapshotStateFault"})

_WINDOW = re.compile(r"-(\d{8}t\d{4})$")


@dataclass(frozen=True)
class RedisSnapshot:
    name: str
    arn: str
    status: str
    created: datetime | None


def _created(item: dict[str, Any]) -> datetime | None:
    times = [
        n["SnapshotCreateTime"] for n in item.get("NodeSnapshots", []) if "SnapshotCreateTime" in n
    ]
    if times:
        return min(times)
    # our names end with the window start (see snapshot.snapshot_identifier)
    match = _WINDOW.search(item["SnapshotName"])
    return datetime.strptime(match.group(1), "%Y%m%dt%H%M").replace(tzinfo=UTC) if match else None


def list_manual(
    elasticache: Any, group_id: str, *, policy: RetryPolicy, on_retry: Any
) -> list[RedisSnapshot]:
    return [
        RedisSnapshot(
            item["SnapshotName"],
            item.get("ARN", ""),
            item.get("SnapshotStatus", ""),
            _created(item),
        )
        for page in pages(
            elasticache,
            "describe_snapshots",
            token="Marker",
            policy=policy,
            on_retry=on_retry,
            page_size=50,  # the API's maximum
            ReplicationGroupId=group_id,
            SnapshotSource="manual",
        )
        for item in page.get("Snapshots", [])
    ]


def prune(
    clients: ClientFactory,
    settings: Settings,
    *,
    dry_run: bool,
    now: datetime,
    policy: RetryPolicy,
    on_retry: Any,
) -> dict[str, Any]:
    assert settings.redis_group_id
    elasticache = clients("elasticache", settings.primary_region)
    listed = list_manual(elasticache, settings.redis_group_id, policy=policy, on_retry=on_retry)
    dated = sorted((s for s in listed if s.created), key=lambda s: s.created, reverse=True)  # type: ignore[arg-type,return-value]
    shortest = timedelta(hours=settings.hourly_retention_hours)
    candidates = [
        s
        for s in dated[settings.keep_newest :]
        if now - s.created > shortest and s.status == "available"  # type: ignore[operator]
    ]
    expired, deleted, failed = [], [], []
    for snapshot in candidates:
        tags = with_backoff(
            elasticache.list_tags_for_resource, policy, on_retry, ResourceName=snapshot.arn
        ).get("TagList", [])
        values = {t["Key"]: t["Value"] for t in tags}
        if not (
            values.get(TAG_PROJECT) == settings.project
            and values.get(TAG_ENVIRONMENT) == settings.environment
            and TAG_JOB in values
        ):
            continue
        kept = timedelta(hours=kept_hours(values, snapshot.created, settings))  # type: ignore[arg-type]
        if now - snapshot.created <= kept:  # type: ignore[operator]
            continue
        expired.append(snapshot.name)
        if dry_run:
            logger.info("dry run: would delete", extra={"redis_snapshot": snapshot.name})
            continue
        try:
            with_backoff(elasticache.delete_snapshot, policy, on_retry, SnapshotName=snapshot.name)
            deleted.append(snapshot.name)
        except ClientError as err:
            if error_code(err) in GONE_CODES:
                continue
            logger.error(
                "delete failed",
                extra={"redis_snapshot": snapshot.name, "error_code": error_code(err)},
            )
            failed.append(snapshot.name)
    return {"listed": len(listed), "expired": expired, "deleted": deleted, "failed": failed}
