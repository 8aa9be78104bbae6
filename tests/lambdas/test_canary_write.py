"""The verify step's canary write against a real PostgreSQL 15 (tests/lambdas/pg_server.py):
TLS verified against a CA file, SCRAM-SHA-256 and cleartext-password logins (the latter is how
RDS takes an IAM token), the write read back, re-runs, and one clear line for each refusal."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import replace

import boto3
import pytest
import trustme
from recovery_actions import canary as canary_module
from recovery_actions import verify_step
from recovery_actions.canary import CanaryError, CanaryTarget, bootstrap_sql, write_canary
from recovery_actions.pg_wire import (
    PostgresError,
    ProtocolError,
    ScramClient,
    _parse_error,
    connect,
    quote_literal,
)

from tests.lambdas import pg_server
from tests.lambdas.conftest import REPLICA, STANDBY
from tests.lambdas.test_recovery_actions import (
    _ingress_and_writer,
    context,
    finish_promotion,
    request,
)

SCRAM_PASSWORD = "canary-secret"
TOKEN_LIKE = "db.example:5432/?Action=connect&DBUser=fdr_iam&X-Amz-Signature=abc'def"


@pytest.fixture(scope="module")
def cluster() -> Iterator[pg_server.Cluster]:
    reason = pg_server.available()
    if reason:
        pytest.skip(reason)
    running = pg_server.start_cluster()
    try:
        # The bootstrap the docs ask for, minus rds_iam (RDS only): the canary login owns the
        # schema. fdr_iam logs in with a cleartext password over TLS, as RDS IAM auth does.
        running.sql(
            f"CREATE ROLE fdr_canary WITH LOGIN PASSWORD '{SCRAM_PASSWORD}'; "
            "CREATE SCHEMA fdr_dr AUTHORIZATION fdr_canary; "
            f"CREATE ROLE fresh WITH LOGIN PASSWORD '{SCRAM_PASSWORD}'; "
            f"CREATE ROLE fdr_iam WITH LOGIN PASSWORD {quote_literal(TOKEN_LIKE)}; "
            "GRANT fdr_canary TO fdr_iam"
        )
        running.sql("CREATE DATABASE readonly")  # not inside the transaction above
        running.sql("CREATE SCHEMA fdr_dr AUTHORIZATION fdr_canary", database="readonly")
        running.sql("ALTER DATABASE readonly SET default_transaction_read_only = on")
        hba = running.data / "pg_hba.conf"
        hba.write_text(
            "hostssl all fdr_iam 127.0.0.1/32 password\n" + hba.read_text()
        )  # first match wins: fdr_iam gets the cleartext method
        running.sql("SELECT pg_reload_conf()")
        yield running
    finally:
        running.stop()


def target(cluster: pg_server.Cluster, **changes: object) -> CanaryTarget:
    base = CanaryTarget(
        host=pg_server.HOST_NAME,
        port=cluster.port,
        database="postgres",
        user="fdr_canary",
        region=STANDBY,
        address="127.0.0.1",
        cafile=cluster.cafile,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_canary_is_written_read_back_and_a_rerun_updates_the_same_row(cluster):
    first = write_canary(target(cluster), SCRAM_PASSWORD, "exec-0001")
    again = write_canary(target(cluster), SCRAM_PASSWORD, "exec-0001")
    assert first["execution_id"] == again["execution_id"] == "exec-0001"
    assert (first["writes"], again["writes"], again["region"]) == ("1", "2", STANDBY)
    assert again["written_at"] >= first["written_at"]
    rows = cluster.sql("SELECT count(*) FROM fdr_dr.canary WHERE execution_id = 'exec-0001'")
    assert rows.strip() == "1"


def test_cleartext_password_over_tls_the_way_rds_takes_an_iam_token(cluster):
    row = write_canary(target(cluster, user="fdr_iam"), TOKEN_LIKE, "exec-iam")
    assert row["writes"] == "1"


def test_a_refused_login_is_one_line_with_the_bootstrap_sql(cluster):
    with pytest.raises(CanaryError) as caught:
        write_canary(target(cluster), "wrong", "exec-0002")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("login refused for fdr_canary@localhost:")
    assert "28P01" in message and bootstrap_sql("fdr_canary") in message
    assert "GRANT rds_iam TO fdr_canary;" in message


def test_a_read_only_database_refuses_the_write_in_one_line(cluster):
    with pytest.raises(CanaryError, match=r"refused the canary write as read-only \(.*25006"):
        write_canary(target(cluster, database="readonly"), SCRAM_PASSWORD, "exec-0003")


def test_a_login_without_the_schema_is_told_the_bootstrap(cluster):
    with pytest.raises(CanaryError, match=r"has no usable fdr_dr schema \(ERROR 42501") as caught:
        write_canary(target(cluster, user="fresh"), SCRAM_PASSWORD, "exec-0004")
    assert bootstrap_sql("fresh") in str(caught.value)


@pytest.mark.parametrize(
    "changes, reason",
    [
        ({"host": "db.other.test"}, "Hostname mismatch|doesn't match"),
        ({"cafile": "other-ca"}, "certificate verify failed"),
    ],
)
def test_tls_is_verified_for_the_name_and_the_ca(cluster, tmp_path, changes, reason):
    if changes.get("cafile") == "other-ca":
        other = tmp_path / "other-ca.pem"
        trustme.CA().cert_pem.write_to_path(str(other))
        changes = {"cafile": str(other)}
    with pytest.raises(CanaryError, match=r"cannot open a verified TLS session") as caught:
        write_canary(target(cluster, **changes), SCRAM_PASSWORD, "exec-0005")
    assert caught.value.__cause__ is not None
    assert any(word in str(caught.value) for word in reason.split("|"))


def test_a_server_without_tls_is_refused_before_any_password_is_sent():
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    received: list[bytes] = []

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            received.append(conn.recv(64))
            conn.sendall(b"N")
            received.append(conn.recv(64))  # b"" once the client hangs up

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        with pytest.raises(ProtocolError, match="does not accept TLS"):
            connect("127.0.0.1", port, user="u", database="d", password="secret", cafile="x")
    finally:
        thread.join(timeout=5)
        listener.close()
    assert received == [b"\x00\x00\x00\x08\x04\xd2\x16\x2f", b""]


def test_scram_matches_the_rfc_7677_test_vector():
    client = ScramClient("pencil", nonce="rOprNGfwEbeRWgbNEkqO", user="user")
    assert client.first() == b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
    server_first = (
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
    )
    assert client.final(server_first) == (
        b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
        b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    )
    client.verify("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
    with pytest.raises(ProtocolError, match="signature is wrong"):
        client.verify("v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
    with pytest.raises(ProtocolError, match="unexpected server-first"):
        ScramClient("pencil", nonce="abc").final("r=zzz,s=AA==,i=4096")


def test_error_response_fields_and_literals():
    error = PostgresError(
        _parse_error(b"SFATAL\x00VFATAL\x00C28P01\x00Mpassword authentication failed\x00\x00")
    )
    assert (error.sqlstate, str(error)) == (
        "28P01",
        "FATAL 28P01: password authentication failed",
    )
    assert quote_literal("it's") == "'it''s'"
    with pytest.raises(ValueError):
        quote_literal("a\x00b")
    with pytest.raises(CanaryError, match="not a Region switch execution id"):
        canary_module.write_sql("x'; DROP TABLE fdr_dr.canary; --", STANDBY)


def test_the_verify_step_writes_the_canary_through_an_iam_token(aws, cluster, monkeypatch):
    """The step end to end with moto for RDS and SSM: the token comes from the real botocore
    signer; only where to connect (127.0.0.1, the test CA) and the password check differ."""
    finish_promotion()
    endpoint = boto3.client("rds", region_name=STANDBY).describe_db_instances(
        DBInstanceIdentifier=REPLICA
    )["DBInstances"][0]["Endpoint"]["Address"]
    _ingress_and_writer(endpoint)
    seen: dict[str, object] = {}

    def local(ctx, canary_target: CanaryTarget, execution_id: str) -> dict[str, str]:
        token = verify_step.iam_token(ctx, canary_target)
        seen.update(target=canary_target, token=token)
        cluster.sql(f"ALTER ROLE fdr_iam PASSWORD {quote_literal(token)}")
        here = target(cluster, user="fdr_iam", host=pg_server.HOST_NAME)
        return write_canary(here, token, execution_id)

    report = verify_step.run(request("verify"), context(aws)[0], probe=lambda *a: 200, canary=local)
    assert report["canary_write"]["execution_id"] == "exec-0001"
    sent = seen["target"]
    assert isinstance(sent, CanaryTarget)
    assert (sent.host, sent.port, sent.user, sent.database) == (endpoint, 5432, "fdr_canary", "fdr")
    assert str(seen["token"]).startswith(f"{endpoint}:5432/?Action=connect&DBUser=fdr_canary")
    assert sent.cafile.endswith("rds-ca-bundle.pem")
