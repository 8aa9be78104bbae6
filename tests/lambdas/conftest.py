"""moto across two regions: a primary database with a cross-region standby replica, backup keys
in both regions, data buckets, and helpers to age snapshots."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lambdas"))
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "FDR/Backup")
os.environ.setdefault("POWERTOOLS_DEV", "false")

import boto3
from backup_jobs.aws import RetryPolicy
from backup_jobs.settings import Settings
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

PRIMARY, STANDBY = "us-east-1", "us-west-2"
DB = "fdr-test-postgres-us-east-1"
REPLICA = "fdr-test-postgres-us-west-2"


def settings(**overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "project": "fdr",
        "environment": "test",
        "account": DEFAULT_ACCOUNT_ID,
        "partition": "aws",
        "primary_region": PRIMARY,
        "database_id": DB,
        "copy_regions": (STANDBY,),
        "backup_key_alias": "alias/fdr-test-backup",
        "redis_group_id": None,
        # every tier 30 days: the prune tests age snapshots in days around that one boundary
        "hourly_retention_hours": 30 * 24,
        "daily_retention_days": 30,
        "monthly_retention_days": 30,
        "keep_newest": 2,
        "window_minutes": 60,
        "rpo_seconds": 3600,
        "prune_dry_run": False,
        "metric_namespace": "FDR/Backup",
        "standby_region": STANDBY,
        "standby_database_id": REPLICA,
        "promote_max_lag_seconds": 300,
        "primary_bucket": "fdr-test-data-primary",
        "replica_buckets": ((STANDBY, "fdr-test-data-standby"),),
    }
    base.update(overrides)
    return Settings(**base)


class Clients:
    """A ClientFactory that counts clients and can hand out a prepared (stubbed) client."""

    def __init__(self) -> None:
        self.cache: dict[tuple[str, str], Any] = {}

    def __call__(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self.cache:
            self.cache[key] = boto3.client(service, region_name=region)
        return self.cache[key]


def no_sleep_policy(attempts: int = 5) -> tuple[RetryPolicy, list[float]]:
    slept: list[float] = []
    return RetryPolicy(attempts=attempts, sleep=slept.append), slept


def create_primary_database() -> str:
    rds = boto3.client("rds", region_name=PRIMARY)
    created = rds.create_db_instance(
        DBInstanceIdentifier=DB,
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="admin",
        MasterUserPassword="password123",
        AllocatedStorage=20,
        BackupRetentionPeriod=7,
    )
    return str(created["DBInstance"]["DBInstanceArn"])


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", PRIMARY)
    with mock_aws():
        for region in (PRIMARY, STANDBY):
            kms = boto3.client("kms", region_name=region)
            key = kms.create_key()["KeyMetadata"]["KeyId"]
            kms.create_alias(AliasName="alias/fdr-test-backup", TargetKeyId=key)
        arn = create_primary_database()
        boto3.client("rds", region_name=STANDBY).create_db_instance_read_replica(
            DBInstanceIdentifier=REPLICA, SourceDBInstanceIdentifier=arn
        )
        s3 = boto3.client("s3", region_name=PRIMARY)
        s3.create_bucket(Bucket="fdr-test-data-primary")
        boto3.client("s3", region_name=STANDBY).create_bucket(
            Bucket="fdr-test-data-standby",
            CreateBucketConfiguration={"LocationConstraint": STANDBY},
        )
        yield Clients()


def our_tags(**extra: str) -> list[dict[str, str]]:
    tags = {"project": "fdr", "environment": "test", "backup-job": "snapshot", **extra}
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def make_snapshot(
    identifier: str,
    *,
    region: str = PRIMARY,
    age: timedelta = timedelta(0),
    tags: list[dict[str, str]] | None = None,
    status: str = "available",
    database: str = DB,
) -> None:
    """A manual snapshot of the primary database in ``region``, created ``age`` ago."""
    from moto.rds.models import rds_backends

    if region == PRIMARY:
        boto3.client("rds", region_name=PRIMARY).create_db_snapshot(
            DBSnapshotIdentifier=identifier,
            DBInstanceIdentifier=database,
            Tags=our_tags() if tags is None else tags,
        )
    else:
        source = rds_backends[DEFAULT_ACCOUNT_ID][PRIMARY]
        backend = rds_backends[DEFAULT_ACCOUNT_ID][region]
        from moto.rds.models import DBSnapshot

        backend.database_snapshots[identifier] = DBSnapshot(
            backend,
            source.databases[database],
            identifier,
            tags=our_tags() if tags is None else tags,
        )
    snap = rds_backends[DEFAULT_ACCOUNT_ID][region].database_snapshots[identifier]
    when = datetime.now(UTC) - age
    snap.created = when
    snap.original_snapshot_create_time = when
    snap.status = status
