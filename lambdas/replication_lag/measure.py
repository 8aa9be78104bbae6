"""How far the Azure subscriber is behind the RDS publisher, measured on the publisher alone.

Why not the walsender's ``replay_lag``: it goes NULL when the publisher is idle and does not
exist at all when the subscriber is disconnected, exactly when the lag matters. So each probe run
writes a heartbeat row ``(pg_current_wal_insert_lsn(), now())`` into
``fdr_replication.heartbeat``, and

    lag = age of the oldest heartbeat whose LSN the subscription's slot has not confirmed
          (``confirmed_flush_lsn``), 0 when every heartbeat is confirmed.

A confirmed heartbeat means the subscriber holds every change committed before it was written. The
measure is a lower bound of the data-loss window, short by at most one probe interval (the first
unconfirmed heartbeat may be up to one interval younger than the first unreplicated change). It
stays meaningful when the publisher is idle (heartbeats are the writes) and when the subscriber is
gone (the unconfirmed heartbeats pile up and age). Without the slot nothing is confirmed: the lag
is the age of the oldest heartbeat and ``slot`` is false, which has an alarm of its own.

The heartbeat table is in the publication (``FOR ALL TABLES``), so the subscriber must have it
too: ``replicate database --setup`` creates it on both sides. Pruning keeps the newest confirmed
heartbeat, so that a slot lost later still shows how long ago the subscriber last confirmed.

Pure text and parsing: the probe sends it over ``recovery_actions.pg_wire``, the CLI through psql.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

SUBSCRIPTION = "azure_dr"
"""Publication, subscription and replication slot share this name (azure_dr.database.logical)."""
SCHEMA, TABLE = "fdr_replication", "heartbeat"
HEARTBEAT = f"{SCHEMA}.{TABLE}"

# What the probe publishes (namespace from its settings), with exactly DIMENSIONS: the alarms in
# infra/constructs/replication_lag.py select these names and this dimension set.
LAG_METRIC = "ReplicationLagSeconds"
SLOT_MISSING_METRIC = "ReplicationSlotMissing"
RETAINED_METRIC = "ReplicationSlotRetainedBytes"
DIMENSIONS = {"DataSet": "database"}
UNITS = {LAG_METRIC: "Seconds", SLOT_MISSING_METRIC: "Count", RETAINED_METRIC: "Bytes"}

_SLOT = (
    "slot AS (SELECT confirmed_flush_lsn AS confirmed, active FROM pg_catalog.pg_replication_slots "
    f"WHERE slot_name = '{SUBSCRIPTION}' AND database = current_database())"
)

MEASURE_SQL = (
    f"WITH {_SLOT}, pending AS (SELECT h.written_at FROM {HEARTBEAT} h "
    "WHERE NOT EXISTS (SELECT 1 FROM slot WHERE slot.confirmed >= h.lsn)) "
    "SELECT (SELECT count(*) FROM slot) > 0, "
    "coalesce(extract(epoch FROM now() - (SELECT min(written_at) FROM pending)), 0), "
    "(SELECT count(*) FROM pending), "
    f"extract(epoch FROM now() - (SELECT max(written_at) FROM {HEARTBEAT})), "
    "coalesce((SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), confirmed) FROM slot), 0)"
    "::bigint, "
    "coalesce((SELECT active FROM slot), false)"
)
"""One row: slot exists, lag seconds, pending heartbeats, newest heartbeat's age (NULL: none),
WAL bytes the slot retains, a walsender serves it."""

BEAT_SQL = (
    f"INSERT INTO {HEARTBEAT} (lsn, written_at) VALUES (pg_current_wal_insert_lsn(), now()) "
    "ON CONFLICT (lsn) DO NOTHING"
)
"""After measuring: a heartbeat measured by the next run. The insert position, not
``pg_current_wal_lsn()`` (the write position, which trails it with asynchronous commit): every
change inserted before the heartbeat lies below it."""

PRUNE_SQL = (
    f"WITH {_SLOT} DELETE FROM {HEARTBEAT} WHERE lsn < (SELECT max(h.lsn) FROM {HEARTBEAT} h "
    "JOIN slot ON h.lsn <= slot.confirmed)"
)
"""Confirmed heartbeats but the newest; nothing without the slot (they are the evidence)."""


def setup_sql(monitor_user: str) -> str:
    """The bookkeeping table and the monitor's grants, idempotent; run as the master user on the
    publisher (and the table alone on the subscriber, ``table_sql``). The monitor logs in with
    IAM authentication on RDS (``rds_iam``, granted where that role exists) and may only read and
    write the heartbeats: no superuser, no replication privilege (pg_replication_slots and
    pg_current_wal_insert_lsn() are open to every role)."""
    user = _identifier(monitor_user)
    return (
        f"{table_sql()}; "
        "DO $$ BEGIN "
        f"IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{monitor_user}') THEN "
        f"CREATE ROLE {user} WITH LOGIN; END IF; "
        "IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'rds_iam') THEN "
        f"GRANT rds_iam TO {user}; END IF; END $$; "
        f"GRANT USAGE ON SCHEMA {SCHEMA} TO {user}; "
        f"GRANT SELECT, INSERT, DELETE ON {HEARTBEAT} TO {user}"
    )


def table_sql() -> str:
    """The heartbeat table (the LSN is the key: the replica identity deletes replicate with)."""
    return (
        f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}; "
        f"CREATE TABLE IF NOT EXISTS {HEARTBEAT} (lsn pg_lsn PRIMARY KEY, "
        "written_at timestamptz NOT NULL)"
    )


def _identifier(name: str) -> str:
    if not name.replace("_", "").isalnum() or not name[:1].isalpha() or name.lower() != name:
        raise ValueError(f"{name!r} is not a plain lower-case PostgreSQL role name")
    return name


@dataclass(frozen=True)
class LagReading:
    slot: bool
    """The subscription's replication slot exists on the publisher."""
    lag_seconds: float
    """Age of the oldest unconfirmed heartbeat; 0 when all are confirmed."""
    pending_heartbeats: int
    heartbeat_age_seconds: float | None
    """Age of the newest heartbeat: how long ago the probe last ran (None: never)."""
    lag_bytes: int
    """WAL the slot retains on the publisher (its disk, until the subscriber confirms)."""
    active: bool
    """A walsender serves the slot (false: the subscriber is disconnected or disabled)."""

    def breaches(self, max_lag_seconds: float) -> bool:
        """What the alarms say: the slot is gone, or the lag reached the threshold."""
        return not self.slot or self.lag_seconds >= max_lag_seconds

    def within(self, max_lag_seconds: float) -> bool:
        """No breach, and a heartbeat younger than the threshold: without a recent heartbeat the
        lag cannot be told (the probe is not running; its alarm sees missing data)."""
        return (
            not self.breaches(max_lag_seconds)
            and self.heartbeat_age_seconds is not None
            and self.heartbeat_age_seconds < max_lag_seconds
        )

    def metrics(self) -> dict[str, float]:
        return {
            LAG_METRIC: round(self.lag_seconds, 3),
            SLOT_MISSING_METRIC: 0.0 if self.slot else 1.0,
            RETAINED_METRIC: float(self.lag_bytes),
        }

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _bool(value: str | None) -> bool:
    return value in ("t", "true")


def parse(row: Sequence[str | None]) -> LagReading:
    """The one row of MEASURE_SQL, as text (psql's ``t``/``f`` or the wire's ``t``/``f``)."""
    slot, lag, pending, newest, retained, active = row
    return LagReading(
        slot=_bool(slot),
        lag_seconds=max(0.0, float(lag or 0)),
        pending_heartbeats=int(pending or 0),
        heartbeat_age_seconds=None if newest in (None, "") else float(newest),
        lag_bytes=max(0, int(retained or 0)),
        active=_bool(active),
    )
