"""Continuous mode: PostgreSQL logical replication from RDS (publisher) to the Azure flexible
server (subscriber).

``setup`` is idempotent: the publication on the publisher (``FOR ALL TABLES``; RDS needs
``rds.logical_replication = 1`` in the primary's parameter group, the data stack sets it when
continuous mode is on), the schema copied first (``pg_dump --schema-only`` restored into an empty
subscriber: logical replication carries rows, not DDL), then the subscription, which copies the
existing rows and follows the changes. ``lag`` reads the publisher's view of the subscription:
the WAL bytes the slot has not confirmed and the walsender's replay lag.

Secrets: the subscription's connection string holds the replication user's password (from
Secrets Manager); it is sent to the subscriber on psql's stdin, never argv, and PostgreSQL keeps
it in pg_subscription, readable by superusers only (on Azure: the admin role)."""

from __future__ import annotations

import subprocess
from dataclasses import asdict, dataclass
from typing import Any

from azure_dr.database.pg import Dsn, PostgresError, program, psql, scalar, user_tables

NAME = "azure_dr"


@dataclass(frozen=True)
class Lag:
    active: bool
    """A walsender serves the subscription (false: disconnected or not set up)."""
    lag_bytes: int
    lag_seconds: float
    slot: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def copy_schema(publisher: Dsn, subscriber: Dsn) -> bool:
    """Apply the publisher's schema to an empty subscriber; False when it already has tables."""
    if user_tables(subscriber):
        return False
    dump = subprocess.run(
        [program("pg_dump"), "--schema-only", "-Fc", "--no-owner", "--no-privileges",
         "--no-publications", "--no-subscriptions", "--no-password", "-d", publisher.url],
        capture_output=True, env=publisher.env(), check=False,
    )  # fmt: skip
    if dump.returncode != 0:
        raise PostgresError(f"pg_dump --schema-only of {publisher}: {dump.stderr.decode()[:300]}")
    restore = subprocess.run(
        [program("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
         "--no-password", "-d", subscriber.url],
        input=dump.stdout, capture_output=True, env=subscriber.env(), check=False,
    )  # fmt: skip
    if restore.returncode != 0:
        raise PostgresError(f"schema restore into {subscriber}: {restore.stderr.decode()[:300]}")
    return True


def setup(*, publisher_dsn: str, subscriber_dsn: str, replication_dsn: str) -> list[str]:
    """Publication, schema, subscription; returns what it did (empty: all present already).
    ``replication_dsn``: how the subscriber reaches the publisher, as the replication user."""
    publisher, subscriber = Dsn.parse(publisher_dsn), Dsn.parse(subscriber_dsn)
    done = []
    if scalar(publisher, f"SELECT count(*) FROM pg_publication WHERE pubname = '{NAME}'") == "0":
        psql(publisher, f"CREATE PUBLICATION {NAME} FOR ALL TABLES")
        done.append("publication created")
    if copy_schema(publisher, subscriber):
        done.append("schema applied")
    if scalar(subscriber, f"SELECT count(*) FROM pg_subscription WHERE subname = '{NAME}'") == "0":
        source = Dsn.parse(replication_dsn)
        conninfo = source.url if source.password is None else _conninfo(source)
        psql(
            subscriber,
            f"CREATE SUBSCRIPTION {NAME} CONNECTION {_literal(conninfo)} PUBLICATION {NAME}",
        )
        done.append("subscription created")
    return done


def _conninfo(dsn: Dsn) -> str:
    """A key=value conninfo with the password (the subscription stores it; stdin only)."""
    from urllib.parse import parse_qsl, unquote, urlsplit

    parts = urlsplit(dsn.url)
    pairs = {
        "host": parts.hostname or "",
        "port": str(parts.port or 5432),
        "dbname": parts.path.lstrip("/") or "postgres",
        "user": unquote(parts.username or ""),
        "password": dsn.password or "",
        **dict(parse_qsl(parts.query)),
    }
    return " ".join(f"{k}={_literal(v)}" for k, v in pairs.items())


def lag(publisher_dsn: str) -> Lag:
    publisher = Dsn.parse(publisher_dsn)
    rows = psql(
        publisher,
        "SELECT coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), s.confirmed_flush_lsn), 0)::bigint,"
        " coalesce(extract(epoch FROM r.replay_lag), 0), r.pid IS NOT NULL "
        f"FROM pg_replication_slots s LEFT JOIN pg_stat_replication r ON r.pid = s.active_pid "
        f"WHERE s.slot_name = '{NAME}'",
    )
    if not rows:
        return Lag(active=False, lag_bytes=0, lag_seconds=0.0, slot=False)
    lag_bytes, seconds, active = rows[0]
    return Lag(
        active=active == "t", lag_bytes=int(lag_bytes), lag_seconds=float(seconds), slot=True
    )


def teardown(*, publisher_dsn: str, subscriber_dsn: str) -> list[str]:
    """Detach the subscriber (failover, or back to dump mode); the publication is dropped too."""
    publisher, subscriber = Dsn.parse(publisher_dsn), Dsn.parse(subscriber_dsn)
    done = []
    if scalar(subscriber, f"SELECT count(*) FROM pg_subscription WHERE subname = '{NAME}'") != "0":
        psql(subscriber, f"ALTER SUBSCRIPTION {NAME} DISABLE")
        psql(subscriber, f"ALTER SUBSCRIPTION {NAME} SET (slot_name = NONE)")
        psql(subscriber, f"DROP SUBSCRIPTION {NAME}")
        done.append("subscription dropped")
    if (
        scalar(publisher, f"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{NAME}'")
        != "0"
    ):
        psql(publisher, f"SELECT pg_drop_replication_slot('{NAME}')")
        done.append("slot dropped")
    if scalar(publisher, f"SELECT count(*) FROM pg_publication WHERE pubname = '{NAME}'") != "0":
        psql(publisher, f"DROP PUBLICATION {NAME}")
        done.append("publication dropped")
    return done
