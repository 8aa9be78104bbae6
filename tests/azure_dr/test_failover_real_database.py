"""``python -m azure_dr failover`` with the real database half: the real seam
(``azure_dr.failover.database.real_seam``) against two real PostgreSQL 15 clusters (``rds`` and
``azure``, tests/database/conftest.py) and a real dump in Azurite, beside the fake ARM server and
moto's Route 53 of test_failover.py.

Dump mode: the newest verified dump is restored into the Azure server, rows and checksum equal
the source, and a second run restores nothing. Continuous mode: the Azure-side subscription is
dropped without contacting RDS (its connection points at a dead port, as when AWS is gone), the
rows stay, and a second run changes nothing."""

from __future__ import annotations

import io
import json
import time
import uuid
from types import SimpleNamespace
from typing import Any

import pytest

from azure_dr.cli import main
from azure_dr.database import dump, logical
from azure_dr.database.pg import Dsn, psql, scalar
from azure_dr.failover.wiring import configured_mode
from tests.azure_dr.conftest import ENV, FAST, FakeCredential, Result
from tests.azure_dr.test_failover import aws  # noqa: F401  (fixture)
from tests.azurite import Azurite
from tests.database.conftest import clusters, new_database  # noqa: F401  (fixture)
from tests.database.postgres import Cluster

ROWS = 2000
CHECKSUM = "SELECT md5(string_agg(id::text || body, ',' ORDER BY id)) FROM events"
SUBSCRIPTIONS = "SELECT count(*) FROM pg_subscription"


def _source(cluster: Cluster) -> str:
    source = new_database(cluster)
    psql(
        Dsn.parse(source),
        "CREATE TABLE events (id bigserial PRIMARY KEY, body text NOT NULL);"
        f"INSERT INTO events(body) SELECT md5(g::text) FROM generate_series(1, {ROWS}) g",
    )
    return source


def _wait_for(check, timeout: float = 20) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the subscriber did not catch up"
        time.sleep(0.1)


@pytest.fixture
def dr(run, arm, aws, azurite: Azurite, ca_bundle):  # noqa: F811
    """The failover CLI with the real database seam; ``container`` holds the dumps and marker."""
    assert run("sync", "--yes").code == 0
    service = azurite.service()
    container = f"backups-{uuid.uuid4().hex[:12]}"
    service.create_container(container)
    aws["status"].update({"us-east-1": False, "us-west-2": False})  # both AWS levels down

    def _run(target: str, *extra: str, mode: str | None = None) -> Result:
        out, err = io.StringIO(), io.StringIO()
        argv = ["failover", "--env", ENV, "--arm-endpoint", arm.url, "--ca-bundle", ca_bundle,
                "--vault-endpoint", arm.url, "--dump-container", container, "--yes",
                "--output", "json", *extra]  # fmt: skip
        seams: dict[str, Any] = {
            "route53": aws["client"],
            "container": service.get_container_client,
        }
        if mode:
            seams["mode"] = mode
        code = main(argv, credential=FakeCredential(), transport=FAST,
                    environ={"FDR_AZURE_POSTGRES_DSN": target}, stdin=io.StringIO(""),
                    stdout=out, stderr=err, seams=seams)  # fmt: skip
        return Result(code, out.getvalue(), err.getvalue())

    _run.container = service.get_container_client(container)  # type: ignore[attr-defined]
    return _run


def _outcomes(result: Result) -> dict[str, str]:
    assert result.code == 0, result.err
    return {s["step"]: s["outcome"] for s in json.loads(result.out)["steps"]}


def test_dump_mode_restores_the_real_dump_then_a_second_run_restores_nothing(
    dr,
    clusters: tuple[Cluster, Cluster],  # noqa: F811
):
    rds, azure = clusters
    source = _source(rds)
    shipped = dump.ship_dump(source_dsn=source, container=dr.container).dump
    target = new_database(azure)

    first = dr(target)  # the mode comes from config: production is in dump mode
    assert _outcomes(first) == {"replication": "already done", "database": "done",
                                "aks-pools": "done", "dns": "done"}  # fmt: skip
    database = next(s for s in json.loads(first.out)["steps"] if s["step"] == "database")
    assert shipped.name in database["detail"]
    src, dst = Dsn.parse(source), Dsn.parse(target)
    assert scalar(dst, "SELECT count(*) FROM events") == str(ROWS)
    assert scalar(dst, CHECKSUM) == scalar(src, CHECKSUM)

    psql(dst, "INSERT INTO events(body) VALUES ('written in Azure after the failover')")
    again = dr(target)
    assert set(_outcomes(again).values()) == {"already done"}
    # Nothing restored over the rows Azure took after the switch.
    assert scalar(dst, "SELECT count(*) FROM events") == str(ROWS + 1)


def test_continuous_mode_drops_the_subscription_with_aws_gone_and_keeps_the_rows(
    dr,
    clusters: tuple[Cluster, Cluster],  # noqa: F811
):
    rds, azure = clusters
    source, target = _source(rds), new_database(azure)
    logical.setup(
        publisher_dsn=source, subscriber_dsn=target, replication_dsn=source,
        monitor_user="azure_dr_monitor",
    )  # fmt: skip
    dst = Dsn.parse(target)
    _wait_for(lambda: scalar(dst, "SELECT count(*) FROM events") == str(ROWS))
    plan = json.loads(dr(target, "--dry-run", mode="continuous").out)
    assert plan["rpo"] == {"mode": "continuous", "data_loss_seconds": None}  # no heartbeat yet
    logical.heartbeat(source)  # what the probe writes every minute in AWS
    _wait_for(lambda: logical.data_loss_seconds(target) is not None)
    # AWS is gone: the subscription's publisher no longer answers.
    psql(dst, f"ALTER SUBSCRIPTION {logical.NAME} CONNECTION 'host=127.0.0.1 port=1 dbname=x'")
    try:
        # The data loss it would accept, read on the Azure side alone: the newest heartbeat's age.
        plan = json.loads(dr(target, "--dry-run", mode="continuous").out)
        assert 0 <= plan["rpo"]["data_loss_seconds"] < 60
        assert scalar(dst, SUBSCRIPTIONS) == "1"  # the dry run changed nothing
        first = dr(target, mode="continuous")
        assert _outcomes(first) == {"replication": "done", "database": "already done",
                                    "aks-pools": "done", "dns": "done"}  # fmt: skip
        steps = {s["step"]: s["detail"] for s in json.loads(first.out)["steps"]}
        assert steps["replication"] == "subscription dropped"
        assert "the Azure server already holds the data" in steps["database"]
        assert scalar(dst, SUBSCRIPTIONS) == "0"
        assert scalar(dst, "SELECT count(*) FROM events") == str(ROWS)

        again = dr(target, mode="continuous")
        assert set(_outcomes(again).values()) == {"already done"}
        assert logical.detach(target) == []  # idempotent on its own too
    finally:
        # The publisher's half (RDS, once it is back): its slot and publication.
        logical.teardown(publisher_dsn=source, subscriber_dsn=target)


@pytest.mark.parametrize(
    ("enabled", "mode", "expected"),
    [(True, "continuous", "continuous"), (True, "dump", "dump"), (False, "continuous", "dump")],
)
def test_the_failover_follows_database_replication_mode(enabled: bool, mode: str, expected: str):
    config = SimpleNamespace(database_replication=SimpleNamespace(enabled=enabled, mode=mode))
    assert configured_mode(config) == expected  # type: ignore[arg-type]
