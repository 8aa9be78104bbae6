"""RDS manual snapshots as the jobs see them: listed once per region with their tags."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backup_jobs.aws import Job, RetryPolicy, pages
from backup_jobs.settings import TAG_ENVIRONMENT, TAG_JOB, TAG_PROJECT, Settings

# Largest page DescribeDBSnapshots accepts: fewer round trips as the snapshot count grows.
PAGE_SIZE = 100


@dataclass(frozen=True)
class Snapshot:
    identifier: str
    arn: str
    region: str
    database_id: str
    snapshot_type: str
    status: str
    created: datetime | None
    """Creation time of the original snapshot (a copy keeps its source's time)."""
    tags: dict[str, str]

    def is_ours(self, settings: Settings) -> bool:
        return (
            self.tags.get(TAG_PROJECT) == settings.project
            and self.tags.get(TAG_ENVIRONMENT) == settings.environment
            and TAG_JOB in self.tags
        )


def from_api(region: str, item: dict[str, Any]) -> Snapshot:
    return Snapshot(
        identifier=item["DBSnapshotIdentifier"],
        arn=item.get("DBSnapshotArn", ""),
        region=region,
        database_id=item.get("DBInstanceIdentifier", ""),
        snapshot_type=item.get("SnapshotType", ""),
        status=item.get("Status", ""),
        created=item.get("OriginalSnapshotCreateTime") or item.get("SnapshotCreateTime"),
        tags={t["Key"]: t["Value"] for t in item.get("TagList", [])},
    )


def list_snapshots(
    rds: Any,
    region: str,
    *,
    policy: RetryPolicy,
    on_retry: Callable[[str], None],
    **filters: Any,
) -> Iterator[Snapshot]:
    """DescribeDBSnapshots returns each snapshot's TagList: one listing, no per-snapshot calls."""
    for page in pages(
        rds,
        "describe_db_snapshots",
        token="Marker",
        policy=policy,
        on_retry=on_retry,
        page_size=PAGE_SIZE,
        **filters,
    ):
        for item in page.get("DBSnapshots", []):
            yield from_api(region, item)


def database_snapshots(job: Job, region: str, *, manual_only: bool = True) -> Iterator[Snapshot]:
    """Snapshots of the primary database in ``region`` (copies keep the source instance id)."""
    filters = {"SnapshotType": "manual"} if manual_only else {}
    return list_snapshots(
        job.clients("rds", region),
        region,
        policy=job.policy,
        on_retry=job.on_retry,
        DBInstanceIdentifier=job.settings.database_id,
        **filters,
    )
