"""Dump mode end to end against real PostgreSQL 15 and Azurite: pg_dump streamed into staged
blocks with its SHA-256, the newest verified dump found, restored with parallel pg_restore, rows
and a table checksum compared; corrupt/truncated dumps, a non-empty target, an interrupted
restore, retention, and that no password reaches a command line."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from azure_dr.database import catalog, dump, restore
from azure_dr.database.pg import Dsn, PostgresError, psql, scalar
from tests.database.conftest import new_database
from tests.database.postgres import PASSWORD, Cluster

SCHEMA = """
CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL,
                        created timestamptz DEFAULT now());
CREATE TABLE orders (id bigserial PRIMARY KEY, customer int REFERENCES customers(id),
                     amount numeric(12,2), note text);
CREATE INDEX orders_customer ON orders(customer);
INSERT INTO customers(name) SELECT 'customer ' || g FROM generate_series(1, 500) g;
INSERT INTO orders(customer, amount, note)
  SELECT 1 + g % 500, g * 1.25, repeat(md5(g::text), 8) FROM generate_series(1, 20000) g;
"""
CHECKSUM = "SELECT count(*) || ':' || md5(string_agg(o::text, ',' ORDER BY o.id)) FROM orders o"


def fingerprint(dsn: str) -> tuple[str, str]:
    d = Dsn.parse(dsn)
    return scalar(d, "SELECT count(*) FROM customers"), scalar(d, CHECKSUM)


@pytest.fixture
def source(clusters: tuple[Cluster, Cluster]) -> str:
    dsn = new_database(clusters[0])
    psql(Dsn.parse(dsn), SCHEMA)
    return dsn


@pytest.fixture
def target(clusters: tuple[Cluster, Cluster]) -> str:
    return new_database(clusters[1])


def clock(at: datetime) -> Any:
    return lambda: at


def test_dump_ship_verify_restore_compare(source: str, target: str, container: Any) -> None:
    shipped = dump.ship_dump(source_dsn=source, container=container, block_bytes=64 * 1024)
    assert shipped.blocks > 1  # really staged in blocks
    newest = restore.newest_verified_dump(container)
    assert newest == shipped.dump
    props = container.get_blob_client(newest.name).get_blob_properties()
    assert props.metadata["sha256"] == newest.sha256 and props.size == newest.size

    result = restore.restore_newest_dump(container=container, target_dsn=target, jobs=2)
    assert result.dump_name == newest.name and result.tables == 2 and not result.skipped
    assert fingerprint(target) == fingerprint(source)

    again = restore.restore_newest_dump(container=container, target_dsn=target)
    assert again.skipped and fingerprint(target) == fingerprint(source)


def test_the_newest_verified_dump_wins(source: str, target: str, container: Any) -> None:
    old = datetime(2026, 1, 1, tzinfo=UTC)
    dump.ship_dump(source_dsn=source, container=container, clock=clock(old))
    psql(Dsn.parse(source), "INSERT INTO customers(name) VALUES ('late')")
    new = dump.ship_dump(
        source_dsn=source, container=container, clock=clock(old + timedelta(hours=1))
    )
    # An unverified blob (no checksum metadata) newer than both is ignored.
    container.upload_blob(catalog.blob_name("x", old + timedelta(hours=2)), b"junk")
    assert restore.newest_verified_dump(container) == new.dump
    restore.restore_newest_dump(container=container, target_dsn=target)
    assert scalar(Dsn.parse(target), "SELECT count(*) FROM customers") == "501"


@pytest.mark.parametrize("damage", ["corrupt", "truncated"])
def test_a_damaged_dump_is_rejected_before_restore(
    source: str, target: str, container: Any, damage: str
) -> None:
    shipped = dump.ship_dump(source_dsn=source, container=container).dump
    blob = container.get_blob_client(shipped.name)
    body = bytearray(blob.download_blob().readall())
    if damage == "corrupt":
        body[len(body) // 2] ^= 0xFF
    else:
        body = body[: len(body) // 2]
    # Rewrite the bytes but keep the dump job's metadata (size as committed).
    meta = blob.get_blob_properties().metadata
    blob.upload_blob(bytes(body), overwrite=True, metadata=meta)
    if damage == "truncated":
        # A truncated blob no longer matches its recorded size: not even listed as verified.
        assert restore.newest_verified_dump(container) is None
        with pytest.raises(restore.NoVerifiedDumpError):
            restore.restore_newest_dump(container=container, target_dsn=target)
        info = catalog.DumpInfo(shipped.name, shipped.taken_at, shipped.size, shipped.sha256)
        with pytest.raises(restore.ChecksumMismatchError, match="truncated"):
            restore.download_verified(container, info, Path(container_tmp()) / "d")
    else:
        with pytest.raises(restore.ChecksumMismatchError, match="not restored"):
            restore.restore_newest_dump(container=container, target_dsn=target)
    assert (
        scalar(Dsn.parse(target), "SELECT count(*) FROM pg_tables WHERE schemaname='public'") == "0"
    )


def container_tmp() -> str:
    import tempfile

    return tempfile.mkdtemp(prefix="dl-")


def test_a_non_empty_target_is_refused_unless_forced(
    source: str, target: str, container: Any
) -> None:
    dump.ship_dump(source_dsn=source, container=container)
    psql(Dsn.parse(target), "CREATE TABLE precious (x int); INSERT INTO precious VALUES (1)")
    with pytest.raises(restore.NotEmptyError, match="1 user tables"):
        restore.restore_newest_dump(container=container, target_dsn=target)
    assert scalar(Dsn.parse(target), "SELECT count(*) FROM precious") == "1"
    result = restore.restore_newest_dump(container=container, target_dsn=target, force=True)
    assert result.tables == 2 and fingerprint(target) == fingerprint(source)


def test_an_interrupted_restore_reruns_to_completion(
    source: str, target: str, container: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    dump.ship_dump(source_dsn=source, container=container)
    real_run = subprocess.run

    def interrupted(args: list[str], **kwargs: Any) -> Any:
        if "--jobs=4" in args:
            # Only the schema and the customers table arrive, then the restore dies.
            real_run([*args[:-1], "--section=pre-data", args[-1]], **kwargs)
            raise KeyboardInterrupt
        return real_run(args, **kwargs)

    monkeypatch.setattr(restore.subprocess, "run", interrupted)
    with pytest.raises(KeyboardInterrupt):
        restore.restore_newest_dump(container=container, target_dsn=target)
    monkeypatch.setattr(restore.subprocess, "run", real_run)
    assert scalar(Dsn.parse(target), "SELECT count(*) FROM orders") == "0"  # partial

    result = restore.restore_newest_dump(container=container, target_dsn=target)  # no force
    assert not result.skipped and fingerprint(target) == fingerprint(source)


def test_no_dump_at_all(target: str, container: Any) -> None:
    with pytest.raises(restore.NoVerifiedDumpError, match="has the dump job run"):
        restore.restore_newest_dump(container=container, target_dsn=target)


def test_a_failing_pg_dump_commits_nothing(
    clusters: tuple[Cluster, Cluster], container: Any
) -> None:
    missing = clusters[0].dsn("no_such_database")
    with pytest.raises(PostgresError) as err:
        dump.ship_dump(source_dsn=missing, container=container)
    assert PASSWORD not in str(err.value)
    assert list(container.list_blobs()) == []


def test_retention_keeps_the_newest(source: str, container: Any) -> None:
    now = datetime(2026, 3, 10, tzinfo=UTC)
    for days in (30, 20, 10, 1):
        dump.ship_dump(
            source_dsn=source, container=container, clock=clock(now - timedelta(days=days))
        )
    database = Dsn.parse(source).database
    deleted = catalog.prune(container, database, keep=2, now=now, keep_days=15)
    assert len(deleted) == 2
    assert [d.taken_at for d in catalog.verified_dumps(container, database)] == [
        now - timedelta(days=10),
        now - timedelta(days=1),
    ]


def test_the_password_never_reaches_argv(
    source: str, container: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[list[str], dict[str, str]]] = []
    real = subprocess.Popen

    def spy(args: list[str], **kwargs: Any) -> Any:
        seen.append((list(args), dict(kwargs.get("env") or {})))
        return real(args, **kwargs)

    monkeypatch.setattr(dump.subprocess, "Popen", spy)
    dump.ship_dump(source_dsn=source, container=container)
    ((args, env),) = seen
    assert not any(PASSWORD in a for a in args)
    assert env["PGPASSWORD"] == PASSWORD
