"""Two runs of one job at once (no reserved concurrency) against moto: the second run starts
while the first is between its listing and its first change, and both finish without harm."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import boto3
from backup_jobs import copy, promote, prune, snapshot
from backup_jobs.aws import Job
from botocore.exceptions import ClientError
from moto.core import DEFAULT_ACCOUNT_ID

from tests.lambdas.conftest import (
    DB,
    PRIMARY,
    REPLICA,
    STANDBY,
    Clients,
    make_snapshot,
    no_sleep_policy,
    settings,
)
from tests.lambdas.test_jobs import _lag, ids

NOOP = lambda code: None  # noqa: E731


class _Interleaved:
    """A client whose ``operation`` first runs ``other`` (once), then the real call."""

    def __init__(self, client: Any, operation: str, other: Callable[[], Any]) -> None:
        self._client, self._operation, self._other = client, operation, other
        self.other_result: Any = None

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._client, name)
        if name != self._operation:
            return real

        def interleaved(**kwargs: Any) -> Any:
            if self._other is not None:
                other, self._other = self._other, None
                self.other_result = other()
            return real(**kwargs)

        return interleaved


def _job(clients: Any, **overrides: Any) -> Job:
    policy, _ = no_sleep_policy()
    return Job(settings(**overrides), clients, policy, NOOP)


def _second_run_inside(
    aws: Clients, region: str, operation: str, run_other: Callable[[], Any]
) -> tuple[Clients, _Interleaved]:
    first = Clients()
    first.cache = dict(aws.cache)
    wrapped = _Interleaved(boto3.client("rds", region_name=region), operation, run_other)
    first.cache[("rds", region)] = wrapped
    return first, wrapped


def test_two_prunes_at_once_delete_each_snapshot_once_and_report_no_failure(aws):
    for region in (PRIMARY, STANDBY):
        make_snapshot(f"{DB}-new", region=region, age=timedelta(days=1))
        make_snapshot(f"{DB}-new2", region=region, age=timedelta(days=2))
        make_snapshot(f"{DB}-old1", region=region, age=timedelta(days=40))
        make_snapshot(f"{DB}-old2", region=region, age=timedelta(days=50))
    request = prune.PruneRequest(dry_run=None)
    first_clients, wrapped = _second_run_inside(
        aws, PRIMARY, "delete_db_snapshot", lambda: prune.run(request, _job(aws))
    )
    first = prune.run(request, _job(first_clients))
    second = wrapped.other_result
    assert sorted(second[PRIMARY]["deleted"]) == [f"{DB}-old1", f"{DB}-old2"]
    # the first run listed both as expired, found them gone and counts that as done
    assert sorted(first[PRIMARY]["expired"]) == [f"{DB}-old1", f"{DB}-old2"]
    assert first[PRIMARY]["deleted"] == [] and first[PRIMARY]["failed"] == []
    assert ids(PRIMARY) == ids(STANDBY) == {f"{DB}-new", f"{DB}-new2"}


def test_prune_meeting_a_snapshot_another_run_is_deleting_counts_it_as_gone(aws):
    make_snapshot(f"{DB}-new", age=timedelta(days=1))
    make_snapshot(f"{DB}-new2", age=timedelta(days=2))
    make_snapshot(f"{DB}-old", age=timedelta(days=40))

    def other_run_is_deleting() -> None:
        # what RDS answers while another request deletes the snapshot (moto deletes at once)
        raise ClientError(
            {"Error": {"Code": "InvalidDBSnapshotState", "Message": "deleting"}}, "Delete"
        )

    class Deleting(Clients):
        def __call__(self, service: str, region: str) -> Any:
            client = super().__call__(service, region)
            if service == "rds" and region == PRIMARY:
                return _Interleaved(client, "delete_db_snapshot", other_run_is_deleting)
            return client

    report = prune.run(prune.PruneRequest(dry_run=None), _job(Deleting()))
    assert report[PRIMARY]["expired"] == [f"{DB}-old"]
    assert report[PRIMARY]["failed"] == [] and report[PRIMARY]["deleted"] == []


def test_two_copies_at_once_copy_each_snapshot_once(aws):
    make_snapshot(f"{DB}-a")
    make_snapshot(f"{DB}-b")
    first_clients, wrapped = _second_run_inside(
        aws, STANDBY, "copy_db_snapshot", lambda: copy.run(copy.CopyRequest(), _job(aws))
    )
    first = copy.run(copy.CopyRequest(), _job(first_clients))
    second = wrapped.other_result
    assert sorted(second[STANDBY]["copied"]) == [f"{DB}-a", f"{DB}-b"]
    assert first[STANDBY]["failed"] == [] and first[STANDBY]["copied"] == []
    assert sorted(first[STANDBY]["present"]) == [f"{DB}-a", f"{DB}-b"]
    assert ids(STANDBY) == {f"{DB}-a", f"{DB}-b"}


def test_two_snapshots_of_one_window_take_one_snapshot(aws):
    event = {"scheduled_time": "2026-11-27T18:00:00Z"}
    first_clients, wrapped = _second_run_inside(
        aws,
        PRIMARY,
        "create_db_snapshot",
        lambda: snapshot.run(snapshot.parse(event), _job(aws)),
    )
    first = snapshot.run(snapshot.parse(event), _job(first_clients))
    assert wrapped.other_result["database"]["result"] == "created"
    assert first["database"]["result"] == "already-exists"
    assert ids(PRIMARY) == {f"{DB}-20261127t1800"}


def _standby_status(status: str) -> None:
    """moto promotes at once and stays "available"; RDS moves the instance to "modifying"."""
    from moto.rds.models import rds_backends

    rds_backends[DEFAULT_ACCOUNT_ID][STANDBY].databases[REPLICA].status = status


def _promote_like_rds(aws: Clients) -> Clients:
    """RDS refuses a second PromoteReadReplica while the first is under way."""

    class LikeRds(Clients):
        def __call__(self, service: str, region: str) -> Any:
            client = super().__call__(service, region)
            if service != "rds" or region != STANDBY:
                return client

            class Promoting:
                def __getattr__(self, name: str) -> Any:
                    return getattr(client, name)

                def promote_read_replica(self, **kwargs: Any) -> Any:
                    instance = client.describe_db_instances(
                        DBInstanceIdentifier=kwargs["DBInstanceIdentifier"]
                    )["DBInstances"][0]
                    if instance["DBInstanceStatus"] != "available":
                        raise ClientError(
                            {"Error": {"Code": "InvalidDBInstanceState", "Message": "busy"}},
                            "PromoteReadReplica",
                        )
                    answer = client.promote_read_replica(**kwargs)
                    _standby_status("modifying")
                    return answer

            return Promoting()

    like_rds = LikeRds()
    like_rds.cache = {k: v for k, v in aws.cache.items() if k != ("rds", STANDBY)}
    return like_rds


def test_a_second_promote_after_the_first_reports_already_promoting(aws):
    _lag(3)
    request = promote.parse({"confirm": REPLICA, "reason": "drill"})
    clients = _promote_like_rds(aws)
    first = promote.run(request, _job(clients))
    second = promote.run(request, _job(clients))
    assert first["result"] == "promoting"
    assert second["result"] == "already-promoting"
    assert second["promoted_at"] == first["promoted_at"]


def test_two_promotes_racing_past_the_checks_promote_once(aws):
    _lag(3)
    request = promote.parse({"confirm": REPLICA, "reason": "drill"})
    clients = _promote_like_rds(aws)
    rds = clients("rds", STANDBY)

    class Racing(Clients):
        def __call__(self, service: str, region: str) -> Any:
            if (service, region) == ("rds", STANDBY):
                return _Interleaved(
                    rds, "promote_read_replica", lambda: promote.run(request, _job(clients))
                )
            return clients(service, region)

    racing = Racing()
    first = promote.run(request, _job(racing))
    assert first["result"] == "already-promoting"  # the other run's request got there first
