"""Continuous mode against two real PostgreSQL 15 clusters: publication, schema first,
subscription, catch-up of existing and new rows, lag measured, idempotent setup, teardown, and a
subscriber set up before the heartbeat table existed."""

from __future__ import annotations

import time

import pytest

from azure_dr.database import logical
from azure_dr.database.pg import Dsn, PostgresError, psql, scalar
from tests.database.conftest import new_database
from tests.database.postgres import Cluster

MONITOR = "azure_dr_monitor"


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
    with pytest.raises(PostgresError, match="replicate database --setup"):
        logical.lag(source)  # nothing to measure before the heartbeat table exists

    done = logical.setup(
        publisher_dsn=source, subscriber_dsn=target, replication_dsn=source, monitor_user=MONITOR
    )
    assert done == [
        "heartbeat table created",
        "publication created",
        "schema applied",
        "subscription created",
    ]
    count = "SELECT count(*) FROM events"
    wait_for(lambda: scalar(sub, count) == "5000")

    psql(pub, "INSERT INTO events(body) SELECT 'new' FROM generate_series(1, 1000)")
    wait_for(lambda: scalar(sub, count) == "6000")
    wait_for(lambda: logical.lag(source).lag_bytes == 0)
    logical.heartbeat(source)
    wait_for(lambda: logical.lag(source).pending_heartbeats == 0)
    measured = logical.lag(source)
    assert measured.active and measured.slot and measured.lag_seconds == 0
    assert measured.within(300)

    # Setup again changes nothing.
    again = logical.setup(
        publisher_dsn=source, subscriber_dsn=target, replication_dsn=source, monitor_user=MONITOR
    )
    assert again == []

    # A stopped subscriber: the publisher's slot holds the changes and the lag grows in bytes.
    psql(sub, f"ALTER SUBSCRIPTION {logical.NAME} DISABLE")
    wait_for(lambda: not logical.lag(source).active)
    psql(pub, "INSERT INTO events(body) SELECT 'while away' FROM generate_series(1, 1000)")
    logical.heartbeat(source)
    behind = logical.lag(source)
    assert not behind.active and behind.lag_bytes > 0 and behind.pending_heartbeats == 1
    psql(sub, f"ALTER SUBSCRIPTION {logical.NAME} ENABLE")
    wait_for(lambda: scalar(sub, count) == "7000")

    assert logical.teardown(publisher_dsn=source, subscriber_dsn=target) == [
        "subscription dropped",
        "slot dropped",
        "publication dropped",
    ]
    assert logical.lag(source).slot is False
    assert scalar(sub, count) == "7000"  # the data stays on the Azure side


def test_setup_adds_the_heartbeat_table_to_a_running_subscription(
    clusters: tuple[Cluster, Cluster],
) -> None:
    """A subscription created before the lag bookkeeping: setup creates the table on the
    subscriber first (its apply worker would otherwise stop at the first heartbeat) and refreshes
    the subscription, and replication goes on."""
    rds, azure = clusters
    source, target = new_database(rds), new_database(azure)
    pub, sub = Dsn.parse(source), Dsn.parse(target)
    psql(pub, "CREATE TABLE items (id int PRIMARY KEY); INSERT INTO items VALUES (1)")
    psql(sub, "CREATE TABLE items (id int PRIMARY KEY)")
    psql(pub, f"CREATE PUBLICATION {logical.NAME} FOR ALL TABLES")
    psql(
        sub,
        f"CREATE SUBSCRIPTION {logical.NAME} CONNECTION {logical._literal(logical._conninfo(pub))} "
        f"PUBLICATION {logical.NAME}",
    )
    try:
        wait_for(lambda: scalar(sub, "SELECT count(*) FROM items") == "1")
        done = logical.setup(
            publisher_dsn=source,
            subscriber_dsn=target,
            replication_dsn=source,
            monitor_user=MONITOR,
        )
        assert done == [
            "heartbeat table created",
            "heartbeat table created on the subscriber",
            "subscription refreshed",
        ]
        logical.heartbeat(source)
        psql(pub, "INSERT INTO items VALUES (2)")
        wait_for(lambda: scalar(sub, "SELECT count(*) FROM items") == "2")
        wait_for(lambda: logical.lag(source).pending_heartbeats == 0)
        assert scalar(sub, "SELECT count(*) FROM fdr_replication.heartbeat") == "1"
    finally:
        logical.teardown(publisher_dsn=source, subscriber_dsn=target)
