"""The lag probe (lambdas/replication_lag) against two real PostgreSQL 15 clusters: the publisher
serves TLS and the probe logs in as the monitor user through the standard-library client, exactly
as in AWS but for the IAM token (a SCRAM password here; the cleartext token path is the canary's,
tests/lambdas/test_canary_write.py).

Idle publisher: the lag reads 0. Subscription disabled while writes go on: it grows, and with the
heartbeats aged by six minutes it is past the 5-minute threshold. Slot dropped: the slot-missing
signal. Re-enabled or slot restored: it catches up to 0. And one clear line per failure."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from typing import Any

import pytest
from replication_lag import measure
from replication_lag.probe import ProbeError, ProbeSettings, probe

from azure_dr.database import logical
from azure_dr.database.pg import Dsn, psql, scalar
from tests.database.conftest import new_database
from tests.database.postgres import Cluster

MONITOR = "azure_dr_monitor"
MONITOR_PASSWORD = "monitor-secret"
THRESHOLD = 300  # database_replication.max_lag_minutes' default, in seconds
NAMESPACE = "FDR/Replication"


@dataclass
class Pair:
    source: str
    target: str
    settings: ProbeSettings

    @property
    def pub(self) -> Dsn:
        return Dsn.parse(self.source)

    @property
    def sub(self) -> Dsn:
        return Dsn.parse(self.target)


def probe_settings(rds: Cluster, database: str) -> ProbeSettings:
    assert rds.cafile, "the publisher must serve TLS"
    return ProbeSettings(
        host="localhost",  # the certificate's name
        address="127.0.0.1",
        port=rds.port,
        database=database,
        user=MONITOR,
        region="us-east-1",
        metric_namespace=NAMESPACE,
        cafile=rds.cafile,
    )


def run(settings: ProbeSettings) -> tuple[measure.LagReading, dict[str, Any]]:
    """One probe run: the reading and the one EMF line it printed."""
    out = io.StringIO()
    reading = measure.LagReading(**probe(settings, MONITOR_PASSWORD, out))
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == 1, lines
    return reading, lines[0]


def wait_for(check: Any, timeout: float = 30) -> float:
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < timeout, "replication did not catch up"
        time.sleep(0.1)
    return time.monotonic() - start


def caught_up(pair: Pair) -> float:
    """Seconds until every heartbeat is confirmed, then a probe run reads 0. The wait measures
    read-only: probing in the loop would write a heartbeat every 0.1 s and move the goal faster
    than the subscriber's feedback (the real probe writes one a minute)."""
    took = wait_for(lambda: _confirmed(pair))
    assert run(pair.settings)[0].lag_seconds == 0
    return took


def _confirmed(pair: Pair) -> bool:
    reading = logical.lag(pair.source)
    return reading.slot and reading.pending_heartbeats == 0


@pytest.fixture
def pair(clusters: tuple[Cluster, Cluster]) -> Iterator[Pair]:
    rds, azure = clusters
    source, target = new_database(rds), new_database(azure)
    psql(Dsn.parse(source), "CREATE TABLE events (id bigserial PRIMARY KEY, body text)")
    logical.setup(
        publisher_dsn=source, subscriber_dsn=target, replication_dsn=source, monitor_user=MONITOR
    )
    psql(Dsn.parse(source), f"ALTER ROLE {MONITOR} PASSWORD '{MONITOR_PASSWORD}'")
    settings = probe_settings(rds, Dsn.parse(source).database)
    try:
        yield Pair(source, target, settings)
    finally:
        logical.teardown(publisher_dsn=source, subscriber_dsn=target)


def test_idle_publisher_reads_zero(pair: Pair) -> None:
    first, line = run(pair.settings)  # nothing to measure yet: no heartbeat
    assert first.slot and first.lag_seconds == 0 and first.heartbeat_age_seconds is None
    confirm = wait_for(lambda: _confirmed(pair))
    for _ in range(2):  # idle: no write but the heartbeats
        time.sleep(0.5)
        reading, line = run(pair.settings)
        assert reading.lag_seconds == 0 and reading.slot and reading.pending_heartbeats == 0
        assert reading.heartbeat_age_seconds is not None and reading.heartbeat_age_seconds >= 0.5
        assert not reading.breaches(THRESHOLD)
        confirm = max(confirm, wait_for(lambda: _confirmed(pair)))
    assert line["ReplicationLagSeconds"] == 0 and line["ReplicationSlotMissing"] == 0
    # pruning keeps the newest confirmed heartbeat (and this run's, if not yet confirmed)
    assert int(scalar(pair.pub, f"SELECT count(*) FROM {measure.HEARTBEAT}")) <= 2
    print(f"idle publisher: a heartbeat is confirmed within {confirm:.2f} s")


def test_disabled_subscription_grows_past_the_threshold_then_catches_up(pair: Pair) -> None:
    run(pair.settings)
    wait_for(lambda: _confirmed(pair))
    psql(pair.sub, f"ALTER SUBSCRIPTION {logical.NAME} DISABLE")
    wait_for(lambda: not logical.lag(pair.source).active)

    readings = []
    for _ in range(3):  # writes continue while the subscriber is away
        psql(pair.pub, "INSERT INTO events(body) SELECT 'away' FROM generate_series(1, 500)")
        readings.append(run(pair.settings)[0])
        time.sleep(0.5)
    grown = run(pair.settings)[0]
    assert not grown.active and grown.pending_heartbeats == 3  # measured before its own
    assert readings[1].lag_seconds < readings[2].lag_seconds < grown.lag_seconds
    assert grown.lag_seconds >= 1 and grown.lag_bytes > 0

    # Six minutes later (the heartbeats aged in place, as the clock would): past the threshold.
    psql(pair.pub, f"UPDATE {measure.HEARTBEAT} SET written_at = written_at - interval '6 min'")
    late, line = run(pair.settings)
    assert late.lag_seconds >= 360 and late.breaches(THRESHOLD) and not late.within(THRESHOLD)
    assert line["ReplicationLagSeconds"] >= THRESHOLD  # the alarm's comparison
    assert line["ReplicationSlotMissing"] == 0

    psql(pair.sub, f"ALTER SUBSCRIPTION {logical.NAME} ENABLE")
    took = caught_up(pair)
    count = "SELECT count(*) FROM events"
    assert scalar(pair.pub, count) == scalar(pair.sub, count) == "1500"
    assert int(scalar(pair.pub, f"SELECT count(*) FROM {measure.HEARTBEAT}")) <= 2
    print(f"re-enabled: lag back to 0 in {took:.2f} s")


def test_a_missing_slot_is_the_breach_signal_until_it_is_restored(pair: Pair) -> None:
    run(pair.settings)
    wait_for(lambda: _confirmed(pair))
    run(pair.settings)
    psql(pair.sub, f"ALTER SUBSCRIPTION {logical.NAME} DISABLE")
    wait_for(lambda: not logical.lag(pair.source).active)
    psql(pair.sub, f"ALTER SUBSCRIPTION {logical.NAME} SET (slot_name = NONE)")
    psql(pair.pub, f"SELECT pg_drop_replication_slot('{logical.NAME}')")

    lost, line = run(pair.settings)
    assert not lost.slot and lost.breaches(THRESHOLD)
    assert line["ReplicationSlotMissing"] == 1
    assert lost.lag_seconds > 0 and lost.pending_heartbeats >= 1  # nothing confirms them now
    kept = scalar(pair.pub, f"SELECT count(*) FROM {measure.HEARTBEAT}")
    run(pair.settings)
    # without the slot nothing is pruned: the heartbeats are the evidence
    assert int(scalar(pair.pub, f"SELECT count(*) FROM {measure.HEARTBEAT}")) == int(kept) + 1

    psql(pair.pub, f"SELECT pg_create_logical_replication_slot('{logical.NAME}', 'pgoutput')")
    psql(pair.sub, f"ALTER SUBSCRIPTION {logical.NAME} SET (slot_name = '{logical.NAME}')")
    psql(pair.sub, f"ALTER SUBSCRIPTION {logical.NAME} ENABLE")
    caught_up(pair)
    restored, line = run(pair.settings)
    assert restored.slot and line["ReplicationSlotMissing"] == 0


def test_each_failure_is_one_line_to_act_on(clusters: tuple[Cluster, Cluster], pair: Pair) -> None:
    rds, azure = clusters
    bare = Dsn.parse(new_database(rds)).database  # no setup: no heartbeat table
    psql(Dsn.parse(rds.dsn(bare)), f"GRANT CONNECT ON DATABASE {bare} TO {MONITOR}")
    with pytest.raises(ProbeError, match=r"no usable fdr_replication\.heartbeat.*--setup"):
        run(replace(pair.settings, database=bare))
    with pytest.raises(ProbeError, match=r"login refused .*rds-db:connect"):
        probe(pair.settings, "wrong", io.StringIO())
    with pytest.raises(ProbeError, match="cannot open a verified TLS session"):
        run(replace(pair.settings, port=azure.port))  # a server without TLS
    out = io.StringIO()
    with pytest.raises(ProbeError):
        probe(replace(pair.settings, database=bare), MONITOR_PASSWORD, out)
    assert out.getvalue() == ""  # nothing published: the alarm sees missing data


def test_the_handler_reads_its_settings_and_signs_an_iam_token(
    pair: Pair, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The Lambda entry point: settings from LAG_PROBE_SETTINGS, the password an RDS IAM token
    signed locally for the endpoint, port, user and region (botocore, fake credentials: no
    network); the token is swapped for the test password at the connection only."""
    from replication_lag import probe as probe_module

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv(probe_module.SETTINGS_VARIABLE, json.dumps(asdict(pair.settings)))
    token = probe_module.iam_token(pair.settings)
    assert token.startswith(f"localhost:{pair.settings.port}/?Action=connect&DBUser={MONITOR}&")
    assert "X-Amz-Credential=AKIDEXAMPLE%2F" in token and "%2Fus-east-1%2Frds-db%2F" in token
    seen: list[str] = []

    def with_test_password(s: ProbeSettings, password: str, out: Any) -> dict[str, Any]:
        seen.append(password)
        return probe(s, MONITOR_PASSWORD, out)

    monkeypatch.setattr(probe_module, "probe", with_test_password)
    report = probe_module.handler({}, None)
    assert seen and seen[0].startswith("localhost:") and report["slot"] is True
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == NAMESPACE
    assert lines[1]["message"] == "lag measured" and MONITOR_PASSWORD not in json.dumps(lines)


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        # psql prints NULL as an empty field; the wire client gives None
        (["t", "0", "0", "", "0", "t"], (True, 0.0, None, False)),
        (["f", "42.5", "3", None, "0", "f"], (False, 42.5, None, True)),
        (["t", "301", "5", "2.0", "123", "f"], (True, 301.0, 2.0, True)),
        (["t", "-0.001", "0", "1", "-5", "t"], (True, 0.0, 1.0, False)),  # clock skew: clamped
    ],
)
def test_a_reading_parses_text_and_states_its_breach(
    row: list[str | None], expected: tuple[bool, float, float | None, bool]
) -> None:
    reading = measure.parse(row)
    slot, lag, age, breach = expected
    assert (reading.slot, reading.lag_seconds, reading.heartbeat_age_seconds) == (slot, lag, age)
    assert reading.breaches(THRESHOLD) is breach and reading.lag_bytes >= 0
    assert reading.metrics()[measure.SLOT_MISSING_METRIC] == (0.0 if slot else 1.0)
