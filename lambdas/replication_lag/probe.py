"""The scheduled lag probe of continuous mode (one run a minute, in the primary region's VPC).

Each run, as the monitor user over verified TLS with an IAM token (``recovery_actions.pg_wire``,
the same standard-library client as the verify step's canary): measure (``measure.MEASURE_SQL``),
publish ``ReplicationLagSeconds``, ``ReplicationSlotMissing`` and ``ReplicationSlotRetainedBytes``
as one embedded-metric-format line with exactly ``measure.DIMENSIONS`` (no Powertools ``service``
dimension: the alarms name the dimension set the line carries), then write this run's heartbeat
and prune the confirmed ones. A run that cannot connect or finds no heartbeat table publishes
nothing and fails: the lag alarm treats missing data as breaching, the errors alarm names it.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass, fields
from typing import Any, TextIO

from recovery_actions.canary import RDS_CA_BUNDLE
from recovery_actions.pg_wire import PostgresError, ProtocolError, connect

from replication_lag.measure import (
    BEAT_SQL,
    DIMENSIONS,
    HEARTBEAT,
    MEASURE_SQL,
    PRUNE_SQL,
    UNITS,
    LagReading,
    parse,
)

SETTINGS_VARIABLE = "LAG_PROBE_SETTINGS"
APPLICATION_NAME = "fdr-replication-lag-probe"
_LOGIN_REFUSED = {"28000", "28P01"}
_NOT_SET_UP = {"3F000", "42P01", "42501"}  # no schema, no table, no privilege


class ProbeError(RuntimeError):
    """The run measured nothing; the message is the one line to act on."""


@dataclass(frozen=True)
class ProbeSettings:
    host: str
    """The primary's endpoint: the name its certificate carries and the token is signed for."""
    port: int
    database: str
    user: str
    region: str
    metric_namespace: str
    statement_timeout_ms: int = 20000
    connect_timeout_seconds: float = 10.0
    address: str | None = None
    """Where to connect when it differs from ``host`` (tests: 127.0.0.1)."""
    cafile: str = str(RDS_CA_BUNDLE)

    @classmethod
    def from_mapping(cls, raw: dict[str, Any]) -> ProbeSettings:
        unknown = sorted(set(raw) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"{SETTINGS_VARIABLE}: unknown keys {unknown}")
        return cls(**raw)


def emf(namespace: str, reading: LagReading, out: TextIO) -> None:
    """One embedded-metric-format line: every metric with exactly DIMENSIONS."""
    values = reading.metrics()
    line = {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": namespace,
                    "Dimensions": [sorted(DIMENSIONS)],
                    "Metrics": [{"Name": n, "Unit": UNITS[n]} for n in sorted(values)],
                }
            ],
        },
        **DIMENSIONS,
        **values,
    }
    print(json.dumps(line, separators=(",", ":")), file=out, flush=True)


def _explain(error: PostgresError, s: ProbeSettings) -> str:
    where = f"{s.user}@{s.host}:{s.port}/{s.database}"
    setup = (
        "run `python -m azure_dr replicate database --setup --env <env>` (it creates "
        f"{HEARTBEAT} and the monitor's grants)"
    )
    if error.sqlstate in _LOGIN_REFUSED:
        return (
            f"login refused for {where} ({error}): the monitor user is missing or lacks rds_iam, "
            f"or the function's role lacks rds-db:connect on it; {setup}"
        )
    if error.sqlstate in _NOT_SET_UP:
        return f"{where}: no usable {HEARTBEAT} ({error}); {setup}"
    return f"lag probe on {where} failed ({error})"


def probe(s: ProbeSettings, password: str, out: TextIO) -> dict[str, Any]:
    """Measure, publish, beat, prune; the reading as a dict."""
    try:
        with connect(
            s.address or s.host,
            s.port,
            user=s.user,
            database=s.database,
            password=password,
            cafile=s.cafile,
            server_hostname=s.host,
            timeout=s.connect_timeout_seconds,
            application_name=APPLICATION_NAME,
        ) as connection:
            connection.query(f"SET statement_timeout = {int(s.statement_timeout_ms)}")
            rows = connection.query(MEASURE_SQL)
            reading = parse(rows[0])
            emf(s.metric_namespace, reading, out)
            connection.query(BEAT_SQL)
            connection.query(PRUNE_SQL)
    except PostgresError as err:
        raise ProbeError(_explain(err, s)) from err
    except (OSError, ProtocolError) as err:  # ssl.SSLError and timeouts are OSErrors
        raise ProbeError(
            f"cannot open a verified TLS session to {s.host}:{s.port} "
            f"({type(err).__name__}: {err}): security groups, network ACLs, the CA bundle"
        ) from err
    return reading.as_dict()


def iam_token(s: ProbeSettings) -> str:
    """An RDS IAM authentication token: a SigV4-presigned ``connect`` request, signed locally
    with the function's role (no API call, so no HTTPS egress is needed)."""
    import boto3

    rds = boto3.client("rds", region_name=s.region)
    return str(
        rds.generate_db_auth_token(
            DBHostname=s.host, Port=s.port, DBUsername=s.user, Region=s.region
        )
    )


def handler(event: Any, context: Any) -> dict[str, Any]:
    settings = ProbeSettings.from_mapping(json.loads(os.environ[SETTINGS_VARIABLE]))
    report = probe(settings, iam_token(settings), sys.stdout)
    print(json.dumps({"message": "lag measured", "reading": report}), flush=True)
    return report
