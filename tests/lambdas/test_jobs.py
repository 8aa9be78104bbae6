"""Every job in-process against moto across two regions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from backup_jobs import copy, promote, prune, snapshot, verify
from backup_jobs.aws import Job
from backup_jobs.settings import EventError

from tests.lambdas.conftest import (
    DB,
    PRIMARY,
    REPLICA,
    STANDBY,
    make_snapshot,
    no_sleep_policy,
    settings,
)

NOOP = lambda code: None  # noqa: E731


def ids(region: str) -> set[str]:
    rds = boto3.client("rds", region_name=region)
    return {
        s["DBSnapshotIdentifier"]
        for s in rds.describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]
    }


def run(module, request, clients, **overrides):
    policy, _ = no_sleep_policy()
    return module.run(request, Job(settings(**overrides), clients, policy, NOOP))


# snapshot ------------------------------------------------------------------------------------


def test_snapshot_is_idempotent_per_window(aws):
    first = run(snapshot, snapshot.parse({"scheduled_time": "2026-11-27T18:00:07Z"}), aws)
    retry = run(snapshot, snapshot.parse({"scheduled_time": "2026-11-27T18:40:00Z"}), aws)
    assert first["database"] == {"snapshot": f"{DB}-20261127t1800", "result": "created"}
    assert retry["database"]["result"] == "already-exists"
    assert ids(PRIMARY) == {f"{DB}-20261127t1800"}
    tags = boto3.client("rds", region_name=PRIMARY).describe_db_snapshots(SnapshotType="manual")[
        "DBSnapshots"
    ][0]
    written = {t["Key"]: t["Value"] for t in tags["TagList"]}
    assert (written["backup-tier"], written["retention-hours"]) == ("hourly", "720")


def test_next_window_creates_a_new_snapshot(aws):
    run(snapshot, snapshot.parse({"scheduled_time": "2026-11-27T18:00:00Z"}), aws)
    run(snapshot, snapshot.parse({"scheduled_time": "2026-11-27T19:00:00Z"}), aws)
    assert len(ids(PRIMARY)) == 2


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ([], "event must be a JSON object"),
        ({"scheduled_time": 5}, "scheduled_time must be an ISO-8601 timestamp string"),
        ({"scheduled_time": "yesterday"}, "scheduled_time must be an ISO-8601 timestamp"),
        ({"when": "x"}, "unknown event field(s) ['when']"),
    ],
)
def test_bad_snapshot_event_is_one_clear_error(event, message):
    with pytest.raises(EventError) as caught:
        snapshot.parse(event)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


# A rejected event publishes no metric, which is the point; Powertools warns about exactly that.
@pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")
def test_bad_event_makes_no_aws_call(monkeypatch):
    def no_clients(*args, **kwargs):
        raise AssertionError("an AWS client was created for a bad event")

    monkeypatch.setattr("backup_jobs.observability.client_factory", no_clients)
    with pytest.raises(EventError, match="dry_run must be true or false"):
        prune.handler({"dry_run": "yes"}, LambdaContext())
    with pytest.raises(EventError, match="confirm is required"):
        promote.handler({}, LambdaContext())


class LambdaContext:
    function_name = "fdr-test-backup-prune"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:fdr-test-backup-prune"
    aws_request_id = "req-1"


# copy ----------------------------------------------------------------------------------------


def test_copy_copies_new_snapshots_and_resumes(aws):
    make_snapshot(f"{DB}-a")
    make_snapshot(f"{DB}-b")
    make_snapshot(f"{DB}-foreign", tags=[])
    first = run(copy, copy.CopyRequest(), aws)
    assert sorted(first[STANDBY]["copied"]) == [f"{DB}-a", f"{DB}-b"]
    assert ids(STANDBY) == {f"{DB}-a", f"{DB}-b"}
    make_snapshot(f"{DB}-c")
    again = run(copy, copy.CopyRequest(), aws)
    assert again[STANDBY]["copied"] == [f"{DB}-c"]
    assert sorted(again[STANDBY]["present"]) == [f"{DB}-a", f"{DB}-b"]
    copied = boto3.client("rds", region_name=STANDBY).describe_db_snapshots(
        DBSnapshotIdentifier=f"{DB}-c"
    )["DBSnapshots"][0]
    assert {t["Key"] for t in copied["TagList"]} >= {"project", "environment", "backup-job"}


def test_copy_skips_snapshots_still_creating(aws):
    make_snapshot(f"{DB}-busy", status="creating")
    assert run(copy, copy.CopyRequest(), aws)[STANDBY]["copied"] == []


# prune ---------------------------------------------------------------------------------------


def _aged(region: str = PRIMARY) -> None:
    make_snapshot(f"{DB}-new1", region=region, age=timedelta(days=1))
    make_snapshot(f"{DB}-new2", region=region, age=timedelta(days=2))
    make_snapshot(f"{DB}-old1", region=region, age=timedelta(days=40))
    make_snapshot(f"{DB}-old2", region=region, age=timedelta(days=50))


def test_prune_deletes_expired_in_every_region(aws):
    _aged(PRIMARY)
    _aged(STANDBY)
    report = run(prune, prune.PruneRequest(dry_run=None), aws)
    assert ids(PRIMARY) == ids(STANDBY) == {f"{DB}-new1", f"{DB}-new2"}
    assert sorted(report[STANDBY]["deleted"]) == [f"{DB}-old1", f"{DB}-old2"]


def test_prune_keeps_newest_n_even_when_expired(aws):
    for days in (40, 50, 60):
        make_snapshot(f"{DB}-d{days}", age=timedelta(days=days))
    report = run(prune, prune.PruneRequest(dry_run=None), aws)
    assert ids(PRIMARY) == {f"{DB}-d40", f"{DB}-d50"}
    assert report[PRIMARY]["kept_as_newest"] == 2


def test_prune_boundary_untagged_and_copying(aws):
    _aged()
    make_snapshot(f"{DB}-boundary", age=timedelta(days=30) - timedelta(seconds=5))
    make_snapshot(f"{DB}-untagged", age=timedelta(days=400), tags=[])
    make_snapshot(
        f"{DB}-othenv", age=timedelta(days=400), tags=[{"Key": "environment", "Value": "prod"}]
    )
    make_snapshot(f"{DB}-copying", age=timedelta(days=400), status="copying")
    run(prune, prune.PruneRequest(dry_run=None), aws)
    left = ids(PRIMARY)
    assert {f"{DB}-boundary", f"{DB}-untagged", f"{DB}-othenv", f"{DB}-copying"} <= left
    assert f"{DB}-old2" not in left


def test_prune_exactly_at_the_boundary_is_kept():
    now = datetime(2026, 11, 27, tzinfo=UTC)
    from backup_jobs.snapshots import Snapshot

    def snap(name: str, days: float) -> Snapshot:
        tags = {"project": "fdr", "environment": "test", "backup-job": "snapshot"}
        return Snapshot(
            name, "", PRIMARY, DB, "manual", "available", now - timedelta(days=days), tags
        )

    listed = [snap("n1", 0), snap("n2", 1), snap("edge", 30), snap("past", 30.0001)]
    doomed, _ = prune.expired(listed, settings=settings(), now=now)
    assert [s.identifier for s in doomed] == ["past"]


def test_prune_never_touches_automated_snapshots(aws):
    boto3.client("rds", region_name=PRIMARY)  # moto creates no automated snapshot; model one
    from backup_jobs.snapshots import Snapshot

    old = datetime.now(UTC) - timedelta(days=999)
    tags = {"project": "fdr", "environment": "test", "backup-job": "snapshot"}
    auto = Snapshot("rds:auto", "", PRIMARY, DB, "automated", "available", old, tags)
    assert prune.expired([auto], settings=settings(keep_newest=1), now=datetime.now(UTC))[0] == []


def test_dry_run_deletes_nothing(aws):
    _aged()
    report = run(prune, prune.parse({"dry_run": True}), aws)
    assert len(ids(PRIMARY)) == 4
    assert report["dry_run"] is True
    assert sorted(report[PRIMARY]["expired"]) == [f"{DB}-old1", f"{DB}-old2"]
    assert report[PRIMARY]["deleted"] == []


def test_configured_dry_run_default_applies(aws):
    _aged()
    run(prune, prune.parse({}), aws, prune_dry_run=True)
    assert len(ids(PRIMARY)) == 4


# verify --------------------------------------------------------------------------------------


def test_verify_measures_recovery_points_and_replication(aws):
    make_snapshot(f"{DB}-recent", region=STANDBY, age=timedelta(minutes=20))
    first = run(verify, verify.VerifyRequest(), aws)
    standby = first["recovery_points"][STANDBY]
    assert 1100 < standby["age_seconds"] < 1300 and standby["within_rpo"]
    assert first["replication"][STANDBY] == {"canary_age_seconds": None}
    # replicate the canary by hand (moto has no replication) and measure its age
    body = boto3.client("s3").get_object(Bucket="fdr-test-data-primary", Key=verify_key())
    boto3.client("s3", region_name=STANDBY).put_object(
        Bucket="fdr-test-data-standby", Key=verify_key(), Body=body["Body"].read()
    )
    second = run(verify, verify.VerifyRequest(), aws)
    assert second["replication"][STANDBY]["canary_age_seconds"] >= 0


def verify_key() -> str:
    return settings().canary_key


def test_verify_reports_a_region_without_recovery_point(aws):
    report = run(verify, verify.VerifyRequest(), aws)
    assert report["recovery_points"][STANDBY] == {
        "newest": None,
        "age_seconds": None,
        "within_rpo": False,
    }


# promote -------------------------------------------------------------------------------------


def _lag(seconds: float) -> None:
    boto3.client("cloudwatch", region_name=STANDBY).put_metric_data(
        Namespace="AWS/RDS",
        MetricData=[
            {
                "MetricName": "ReplicaLag",
                "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": REPLICA}],
                "Value": seconds,
                # moto leaves out the current, partial period
                "Timestamp": datetime.now(UTC) - timedelta(minutes=2),
            }
        ],
    )


def _is_replica() -> bool:
    rds = boto3.client("rds", region_name=STANDBY)
    instance = rds.describe_db_instances(DBInstanceIdentifier=REPLICA)["DBInstances"][0]
    return bool(instance.get("ReadReplicaSourceDBInstanceIdentifier"))


def test_promote_requires_confirmation():
    with pytest.raises(EventError, match="confirm is required"):
        promote.parse({"accept_data_loss": True})


def test_promote_refuses_wrong_confirmation(aws):
    with pytest.raises(promote.PromoteRefused, match="confirm must equal"):
        run(promote, promote.parse({"confirm": DB}), aws)
    assert _is_replica()


def test_promote_refuses_when_lagging_or_lag_unknown(aws):
    with pytest.raises(promote.PromoteRefused, match=r"lag .* is unknown"):
        run(promote, promote.parse({"confirm": REPLICA}), aws)
    _lag(900)
    with pytest.raises(promote.PromoteRefused, match="is 900 s"):
        run(promote, promote.parse({"confirm": REPLICA}), aws)
    assert _is_replica()


def test_promote_with_healthy_lag_records_what_it_did(aws):
    _lag(3)
    record = run(promote, promote.parse({"confirm": REPLICA, "reason": "drill"}), aws)
    assert record["result"] == "promoting" and record["replica_lag_seconds"] == 3
    rds = boto3.client("rds", region_name=STANDBY)
    arn = rds.describe_db_instances(DBInstanceIdentifier=REPLICA)["DBInstances"][0]["DBInstanceArn"]
    tags = {t["Key"]: t["Value"] for t in rds.list_tags_for_resource(ResourceName=arn)["TagList"]}
    assert tags["promoted-reason"] == "drill" and tags["promoted-lag-seconds"] == "3.0"
    # moto keeps the replica link after promotion, so "already standalone" is not observable here


def test_promote_accepting_data_loss(aws):
    record = run(promote, promote.parse({"confirm": REPLICA, "accept_data_loss": True}), aws)
    assert record["accepted_data_loss"] is True


# redis ---------------------------------------------------------------------------------------

GROUP = "fdr-test-redis-us-east-1"


def _redis_snapshots() -> set[str]:
    elasticache = boto3.client("elasticache", region_name=PRIMARY)
    return {s["SnapshotName"] for s in elasticache.describe_snapshots()["Snapshots"]}


def test_redis_snapshot_and_prune(aws):
    boto3.client("elasticache", region_name=PRIMARY).create_replication_group(
        ReplicationGroupId=GROUP,
        ReplicationGroupDescription="test",
        Engine="redis",
        CacheNodeType="cache.t3.micro",
        NumCacheClusters=1,
    )
    now = datetime.now(UTC)
    for days in (1, 40, 50, 60):
        when = (now - timedelta(days=days)).isoformat()
        report = run(snapshot, snapshot.parse({"scheduled_time": when}), aws, redis_group_id=GROUP)
        assert report["redis"]["result"] == "created"
    retry = run(snapshot, snapshot.parse({"scheduled_time": when}), aws, redis_group_id=GROUP)
    assert retry["redis"]["result"] == "already-exists"
    boto3.client("elasticache", region_name=PRIMARY).create_snapshot(
        ReplicationGroupId=GROUP, SnapshotName=f"{GROUP}-20200101t0000"
    )  # untagged, ancient: never ours to delete
    assert len(_redis_snapshots()) == 5
    dry = run(prune, prune.PruneRequest(dry_run=True), aws, redis_group_id=GROUP)
    assert len(dry["redis"]["expired"]) == 2 and len(_redis_snapshots()) == 5
    report = run(prune, prune.PruneRequest(dry_run=None), aws, redis_group_id=GROUP)
    assert len(report["redis"]["deleted"]) == 2
    left = _redis_snapshots()
    assert f"{GROUP}-20200101t0000" in left and len(left) == 3


def test_handler_runs_the_job_with_settings_from_the_environment(aws, monkeypatch, capsys):
    import dataclasses
    import json

    monkeypatch.setenv("BACKUP_SETTINGS", json.dumps(dataclasses.asdict(settings())))
    _aged()
    report = prune.handler({"dry_run": True}, LambdaContext())
    assert sorted(report[PRIMARY]["expired"]) == [f"{DB}-old1", f"{DB}-old2"]
    assert len(ids(PRIMARY)) == 4
    assert '"SnapshotsDeleted"' in capsys.readouterr().out  # EMF metrics were flushed
