"""Restore the newest verified dump into the Azure flexible server (the failover's data step).

Order: pick the newest verified dump; refuse a target that already holds user tables (unless
``force``, or the target carries the marker of an interrupted restore of ours); download the
dump to ``workdir`` while recomputing its SHA-256 and reject it on a mismatch or a wrong size
(a corrupt or truncated dump never reaches pg_restore); check its table of contents
(``pg_restore --list``); then a parallel ``pg_restore --jobs``.

Idempotence: the database comment marks the state (``azure_dr restore in progress: <dump>`` /
``azure_dr restored: <dump>``). A re-run after an interruption wipes the partial restore and
starts again; a re-run after a completed restore of the same dump changes nothing."""

from __future__ import annotations

import hashlib
import pathlib
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from azure_dr.database.catalog import DumpInfo, newest_verified_dump
from azure_dr.database.pg import Dsn, PostgresError, program, psql, scalar, user_tables

if TYPE_CHECKING:
    from azure.storage.blob import ContainerClient

__all__ = [
    "ChecksumMismatchError",
    "DumpInfo",
    "NoVerifiedDumpError",
    "NotEmptyError",
    "RestoreResult",
    "newest_verified_dump",
    "restore_newest_dump",
]

IN_PROGRESS = "azure_dr restore in progress: "
RESTORED = "azure_dr restored: "
CHUNK = 4 * 1024 * 1024


class RestoreError(Exception):
    """Base of the restore's refusals; the message says what to do."""


class NotEmptyError(RestoreError):
    pass


class NoVerifiedDumpError(RestoreError):
    pass


class ChecksumMismatchError(RestoreError):
    pass


@dataclass(frozen=True)
class RestoreResult:
    dump_name: str
    dump_taken_at: datetime
    bytes: int
    seconds: float
    tables: int
    skipped: bool = False
    """True when the target already held this dump (a re-run changed nothing)."""


def _comment(dsn: Dsn) -> str:
    return scalar(
        dsn,
        "SELECT coalesce(shobj_description(oid, 'pg_database'), '') "
        "FROM pg_database WHERE datname = current_database()",
    )


def _set_comment(dsn: Dsn, text: str) -> None:
    literal = text.replace("'", "''")
    psql(dsn, f"DO $$ BEGIN EXECUTE format('COMMENT ON DATABASE %I IS %L', "
              f"current_database(), '{literal}'); END $$")  # fmt: skip


def _wipe(dsn: Dsn) -> None:
    """Drop every user schema (a partial or forced-over restore) and recreate ``public``."""
    psql(
        dsn,
        "DO $$ DECLARE s text; BEGIN FOR s IN SELECT nspname FROM pg_namespace "
        "WHERE nspname NOT IN ('pg_catalog','information_schema') AND nspname NOT LIKE 'pg_%' "
        "LOOP EXECUTE format('DROP SCHEMA %I CASCADE', s); END LOOP; "
        "CREATE SCHEMA IF NOT EXISTS public; END $$",
    )


def download_verified(container: Any, dump: DumpInfo, path: pathlib.Path) -> None:
    """Download ``dump`` to ``path``, recomputing its SHA-256; ChecksumMismatchError (and no
    file left) when the bytes are not the ones the dump job committed."""
    digest = hashlib.sha256()
    size = 0
    with path.open("wb") as out:
        for chunk in container.download_blob(dump.name).chunks():
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    if size != dump.size or digest.hexdigest() != dump.sha256:
        path.unlink(missing_ok=True)
        raise ChecksumMismatchError(
            f"{dump.name}: read {size} bytes with SHA-256 {digest.hexdigest()}, the dump job "
            f"committed {dump.size} bytes with {dump.sha256}: not restored (corrupt or truncated)"
        )
    listing = subprocess.run(
        [program("pg_restore"), "--list", str(path)], capture_output=True, check=False
    )
    if listing.returncode != 0:
        path.unlink(missing_ok=True)
        raise ChecksumMismatchError(
            f"{dump.name}: the checksum matches but pg_restore cannot read its table of "
            f"contents: {listing.stderr.decode(errors='replace').strip()[:300]}"
        )


def restore_newest_dump(
    *,
    container: ContainerClient,
    target_dsn: str,
    jobs: int = 4,
    force: bool = False,
    workdir: pathlib.Path | None = None,
) -> RestoreResult:
    dsn = Dsn.parse(target_dsn)
    dump = newest_verified_dump(container)
    if dump is None:
        raise NoVerifiedDumpError(
            f"no verified dump in container {getattr(container, 'container_name', '?')}: "
            "has the dump job run (see docs/database-to-azure.md)?"
        )
    started = time.monotonic()
    comment = _comment(dsn)
    tables = user_tables(dsn)
    if comment == RESTORED + dump.name and not force:
        return RestoreResult(dump.name, dump.taken_at, dump.size, 0.0, tables, skipped=True)
    interrupted = comment.startswith(IN_PROGRESS)
    if tables and not (force or interrupted):
        raise NotEmptyError(
            f"target database {dsn.database} holds {tables} user tables "
            f"({comment or 'not restored by azure_dr'}): refusing to restore over them "
            "(use --force to replace them)"
        )
    folder = pathlib.Path(tempfile.mkdtemp(prefix="restore-", dir=workdir))
    try:
        local = folder / "dump.pgc"
        download_verified(container, dump, local)
        _set_comment(dsn, IN_PROGRESS + dump.name)
        if tables:
            _wipe(dsn)
        result = subprocess.run(
            [program("pg_restore"), "--no-password", "--no-owner", "--no-privileges",
             "--exit-on-error", f"--jobs={max(1, jobs)}", "-d", dsn.url, str(local)],
            capture_output=True, env=dsn.env(), check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise PostgresError(
                f"pg_restore of {dump.name} into {dsn} failed: "
                f"{result.stderr.decode(errors='replace').strip()[:500]} (re-run to retry)"
            )
        _set_comment(dsn, RESTORED + dump.name)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return RestoreResult(
        dump.name, dump.taken_at, dump.size, time.monotonic() - started, user_tables(dsn)
    )
