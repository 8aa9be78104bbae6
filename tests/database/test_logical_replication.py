"""Continuous mode against two real PostgreSQL 15 clusters: publication, schema first,
subscription, catch-up of existing and new rows, lag measured, idempotent setup, teardown."""

from __future__ import annotations

import time

from azure_dr.database import logical
from azure_dr.database.pg import Dsn, psql, scalar
from tests.database.conftest import new_database
from tests.database.postgres import Cluster


def wait_for(check, timeout: float = 20) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "replication did not catch up"
        time.sleep(0.1)


def test_catch_up_lag_and_teardown(clusters: tuple[Cluster, Cluster]) -> None:
    rds, azure = clusters
    source, target = new_database(rds), new_database(azure)
    pub, sub = Dsn.parse(source), Dsn.parse(target)
    psql(
        pub,
        "CREATE TABLE events (id bigserial PRIMARY KEY, body text);"
        "INSERT INTO events(body) SELECT md5(g::text) FROM generate_series(1, 5000) g",
    )
    assert logical.lag(source) == logical.Lag(
        active=False, lag_bytes=0, lag_seconds=0.0, slot=False
    )

    done = logical.setup(publisher_dsn=source, subscriber_dsn=target, replication_dsn=source)
    assert done == ["publication created", "schema applied", "subscription created"]
    count = "SELECT count(*) FROM events"
    wait_for(lambda: scalar(sub, count) == "5000")

    psql(pub, "INSERT INTO events(body) SELECT 'new' FROM generate_series(1, 1000)")
    wait_for(lambda: scalar(sub, count) == "6000")
    wait_for(lambda: logical.lag(source).lag_bytes == 0)
    measured = logical.lag(source)
    assert measured.active and measured.slot and measured.lag_seconds < 5

    # Setup again changes nothing.
    assert logical.setup(publisher_dsn=source, subscriber_dsn=target, replication_dsn=source) == []

    # A stopped subscriber: the publisher's slot holds the changes and the lag grows in bytes.
    psql(sub, f"ALTER SUBSCRIPTION {logical.NAME} DISABLE")
    wait_for(lambda: not logical.lag(source).active)
    psql(pub, "INSERT INTO events(body) SELECT 'while away' FROM generate_series(1, 1000)")
    behind = logical.lag(source)
    assert not behind.active and behind.lag_bytes > 0
    psql(sub, f"ALTER SUBSCRIPTION {logical.NAME} ENABLE")
    wait_for(lambda: scalar(sub, count) == "7000")

    assert logical.teardown(publisher_dsn=source, subscriber_dsn=target) == [
        "subscription dropped",
        "slot dropped",
        "publication dropped",
    ]
    assert logical.lag(source).slot is False
    assert scalar(sub, count) == "7000"  # the data stays on the Azure side
