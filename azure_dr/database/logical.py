"""Continuous mode: PostgreSQL logical replication from RDS (publisher) to the Azure flexible
server (subscriber).

``setup`` is idempotent: the publication on the publisher (``FOR ALL TABLES``; RDS needs
``rds.logical_replication = 1`` in the primary's parameter group, the data stack sets it when
continuous mode is on), the schema copied first (``pg_dump --schema-only`` restored into an empty
subscriber: logical replication carries rows, not DDL), then the subscription, which copies the
existing rows and follows the changes. Before all that, the lag bookkeeping
(``replication_lag.measure``): the heartbeat table on both sides (it is in the publication) and
the monitor user's grants on the publisher. ``lag`` runs the same measure as the probe Lambda
(one definition): the age of the oldest heartbeat the slot has not confirmed.

Secrets: the subscription's connection string holds the replication user's password (from
Secrets Manager); it is sent to the subscriber on psql's stdin, never argv, and PostgreSQL keeps
it in pg_subscription, readable by superusers only (on Azure: the admin role)."""

from __future__ import annotations

import subprocess

from replication_lag import measure
from replication_lag.measure import LagReading

from azure_dr.database.pg import Dsn, PostgresError, program, psql, scalar, user_tables

NAME = measure.SUBSCRIPTION
Lag = LagReading
_HAS_HEARTBEAT = f"SELECT to_regclass('{measure.HEARTBEAT}') IS NOT NULL"
_SUBSCRIPTIONS = f"SELECT count(*) FROM pg_subscription WHERE subname = '{NAME}'"


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


def setup(
    *, publisher_dsn: str, subscriber_dsn: str, replication_dsn: str, monitor_user: str
) -> list[str]:
    """Lag bookkeeping, publication, schema, subscription; returns what it did (empty: all
    present already). ``replication_dsn``: how the subscriber reaches the publisher, as the
    replication user; ``monitor_user``: the probe's login (``database_replication``)."""
    publisher, subscriber = Dsn.parse(publisher_dsn), Dsn.parse(subscriber_dsn)
    done = []
    if scalar(publisher, _HAS_HEARTBEAT) != "t":
        done.append("heartbeat table created")
    psql(publisher, measure.setup_sql(monitor_user))  # idempotent: grants re-applied
    if scalar(publisher, f"SELECT count(*) FROM pg_publication WHERE pubname = '{NAME}'") == "0":
        psql(publisher, f"CREATE PUBLICATION {NAME} FOR ALL TABLES")
        done.append("publication created")
    if copy_schema(publisher, subscriber):
        done.append("schema applied")
    elif scalar(subscriber, _HAS_HEARTBEAT) != "t":
        # A subscriber set up before the heartbeats: without the table its apply worker would
        # stop at the first heartbeat ("logical replication target relation does not exist").
        psql(subscriber, measure.table_sql())
        done.append("heartbeat table created on the subscriber")
        if scalar(subscriber, _SUBSCRIPTIONS) != "0":
            psql(subscriber, f"ALTER SUBSCRIPTION {NAME} REFRESH PUBLICATION")
            done.append("subscription refreshed")
    if scalar(subscriber, _SUBSCRIPTIONS) == "0":
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


def lag(publisher_dsn: str) -> LagReading:
    """The probe's measure (replication_lag.measure), read-only: it writes no heartbeat."""
    publisher = Dsn.parse(publisher_dsn)
    if scalar(publisher, _HAS_HEARTBEAT) != "t":
        raise PostgresError(
            f"{publisher}: no {measure.HEARTBEAT} table, so no lag can be measured: run "
            "`replicate database --setup` first"
        )
    return measure.parse(psql(publisher, measure.MEASURE_SQL)[0])


def heartbeat(publisher_dsn: str) -> None:
    """What the probe writes after measuring (tests and the benchmark stand in for it)."""
    psql(Dsn.parse(publisher_dsn), f"{measure.BEAT_SQL}; {measure.PRUNE_SQL}")


def data_loss_seconds(subscriber_dsn: str) -> float | None:
    """Continuous mode's RPO at this moment, read on the Azure side alone (AWS may be gone): the
    age of the newest heartbeat that reached the subscriber. Every change committed before it was
    written is there; later ones may not be (the probe writes one per ``lag_check_minutes``, so
    the bound is at most that much pessimistic). None: no heartbeat has arrived."""
    value = scalar(
        Dsn.parse(subscriber_dsn),
        f"SELECT extract(epoch FROM now() - max(written_at)) FROM {measure.HEARTBEAT}",
    )
    return max(0.0, float(value)) if value else None


def detach(subscriber_dsn: str) -> list[str]:
    """The subscriber's half of a teardown, which never contacts the publisher (the failover runs
    it when AWS may be gone): disable the subscription, forget its slot (``slot_name = NONE``, so
    the drop does not try to drop the slot on RDS), drop it. The rows stay. Idempotent."""
    subscriber = Dsn.parse(subscriber_dsn)
    if scalar(subscriber, _SUBSCRIPTIONS) == "0":
        return []
    psql(subscriber, f"ALTER SUBSCRIPTION {NAME} DISABLE")
    psql(subscriber, f"ALTER SUBSCRIPTION {NAME} SET (slot_name = NONE)")
    psql(subscriber, f"DROP SUBSCRIPTION {NAME}")
    return ["subscription dropped"]


def teardown(*, publisher_dsn: str, subscriber_dsn: str) -> list[str]:
    """Detach the subscriber (back to dump mode); the slot and publication are dropped too."""
    publisher = Dsn.parse(publisher_dsn)
    done = detach(subscriber_dsn)
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
