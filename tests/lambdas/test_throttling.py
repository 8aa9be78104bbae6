"""Pagination and throttling with botocore's Stubber: back-off, resume, nothing lost."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
from backup_jobs import copy, prune
from backup_jobs.aws import Job
from backup_jobs.snapshots import list_snapshots
from botocore.stub import Stubber

from tests.lambdas.conftest import DB, PRIMARY, STANDBY, no_sleep_policy, settings

TAGS = [{"Key": "project", "Value": "fdr"}, {"Key": "environment", "Value": "test"},
        {"Key": "backup-job", "Value": "snapshot"}]  # fmt: skip


def _snap(name: str, region: str = PRIMARY) -> dict:
    return {
        "DBSnapshotIdentifier": name,
        "DBSnapshotArn": f"arn:aws:rds:{region}:123456789012:snapshot:{name}",
        "DBInstanceIdentifier": DB,
        "SnapshotType": "manual",
        "Status": "available",
        "SnapshotCreateTime": datetime.now(UTC),
        "TagList": TAGS,
    }


def test_throttled_page_is_retried_from_where_it_stopped():
    rds = boto3.client("rds", region_name=PRIMARY, aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(rds)
    stub.add_response("describe_db_snapshots", {"DBSnapshots": [_snap("a")], "Marker": "m1"})
    stub.add_client_error("describe_db_snapshots", "ThrottlingException", http_status_code=400)
    stub.add_client_error("describe_db_snapshots", "Throttling", http_status_code=400)
    stub.add_response(
        "describe_db_snapshots",
        {"DBSnapshots": [_snap("b")], "Marker": "m2"},
        {"MaxRecords": 100, "Marker": "m1"},
    )
    stub.add_response("describe_db_snapshots", {"DBSnapshots": [_snap("c")]})
    policy, slept = no_sleep_policy()
    retries: list[str] = []
    with stub:
        found = [
            s.identifier
            for s in list_snapshots(rds, PRIMARY, policy=policy, on_retry=retries.append)
        ]
    assert found == ["a", "b", "c"]  # nothing lost, nothing twice
    assert retries == ["ThrottlingException", "Throttling"]
    assert len(slept) == 2
    stub.assert_no_pending_responses()


def _rds(region: str):
    return boto3.client("rds", region_name=region, aws_access_key_id="x", aws_secret_access_key="x")


def _copy_setup():
    """Stubbed source and target clients, and the Job that uses them."""
    source, target = _rds(PRIMARY), _rds(STANDBY)
    clients = {("rds", PRIMARY): source, ("rds", STANDBY): target}
    policy, slept = no_sleep_policy()
    job = Job(settings(), lambda service, region: clients[(service, region)], policy, print)
    return Stubber(source), Stubber(target), job, slept


def test_quota_exceeded_defers_the_rest_and_the_next_run_resumes():
    s_stub, t_stub, job, slept = _copy_setup()
    listing = {"DBSnapshots": [_snap("a"), _snap("b"), _snap("c")]}
    s_stub.add_response("describe_db_snapshots", listing)
    t_stub.add_response("describe_db_snapshots", {"DBSnapshots": []})
    t_stub.add_client_error("copy_db_snapshot", "ThrottlingException", http_status_code=400)
    t_stub.add_response("copy_db_snapshot", {"DBSnapshot": {}})
    t_stub.add_client_error("copy_db_snapshot", "SnapshotQuotaExceeded", http_status_code=400)
    # the next run: "a" is in the target (still copying), "b" and "c" are copied now
    s_stub.add_response("describe_db_snapshots", listing)
    t_stub.add_response("describe_db_snapshots", {"DBSnapshots": [_snap("a", STANDBY)]})
    t_stub.add_response("copy_db_snapshot", {"DBSnapshot": {}})
    t_stub.add_response("copy_db_snapshot", {"DBSnapshot": {}})
    with s_stub, t_stub:
        first = copy.run(copy.CopyRequest(), job)
        second = copy.run(copy.CopyRequest(), job)
    assert first[STANDBY]["copied"] == ["a"]
    assert first[STANDBY]["deferred"] == ["b", "c"]
    assert second[STANDBY] == {"copied": ["b", "c"], "present": ["a"], "failed": [], "deferred": []}
    assert len(slept) == 1
    t_stub.assert_no_pending_responses()


def test_copy_failure_of_one_snapshot_does_not_stop_the_others():
    s_stub, t_stub, job, _ = _copy_setup()
    s_stub.add_response("describe_db_snapshots", {"DBSnapshots": [_snap("a"), _snap("b")]})
    t_stub.add_response("describe_db_snapshots", {"DBSnapshots": []})
    t_stub.add_client_error("copy_db_snapshot", "KMSKeyNotAccessibleFault", http_status_code=400)
    t_stub.add_response("copy_db_snapshot", {"DBSnapshot": {}})
    with s_stub, t_stub:
        report = copy.run(copy.CopyRequest(), job)
    assert report[STANDBY]["failed"] == ["a"] and report[STANDBY]["copied"] == ["b"]


def _old(name: str) -> dict:
    snap = _snap(name)
    snap["SnapshotCreateTime"] = datetime(2020, 1, 1, tzinfo=UTC)
    return snap


def test_prune_partial_failure_is_reported_and_resumed():
    rds = _rds(PRIMARY)
    stub = Stubber(rds)
    listing = {"DBSnapshots": [_snap("new"), _old("o1"), _old("o2"), _old("o3")]}
    stub.add_response("describe_db_snapshots", listing)
    stub.add_client_error("delete_db_snapshot", "AccessDenied", http_status_code=403)
    stub.add_client_error("delete_db_snapshot", "ThrottlingException", http_status_code=400)
    stub.add_response("delete_db_snapshot", {}, {"DBSnapshotIdentifier": "o2"})
    stub.add_response("delete_db_snapshot", {}, {"DBSnapshotIdentifier": "o3"})
    # next run: o1 is still there and is deleted this time
    stub.add_response("describe_db_snapshots", {"DBSnapshots": [_snap("new"), _old("o1")]})
    stub.add_response("delete_db_snapshot", {}, {"DBSnapshotIdentifier": "o1"})
    policy, slept = no_sleep_policy()
    job = Job(settings(keep_newest=1, copy_regions=()), lambda s, r: rds, policy, print)
    with stub:
        first = prune.run(prune.PruneRequest(dry_run=None), job)
        second = prune.run(prune.PruneRequest(dry_run=None), job)
    assert first[PRIMARY]["failed"] == ["o1"]
    assert first[PRIMARY]["deleted"] == ["o2", "o3"]
    assert second[PRIMARY]["deleted"] == ["o1"]
    assert len(slept) == 1
    stub.assert_no_pending_responses()
