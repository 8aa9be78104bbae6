"""Dump mode: ``pg_dump -Fc`` of the standby replica streamed into the DR storage account.

pg_dump's stdout is read in fixed blocks, each staged as a block of one block blob while a
SHA-256 runs over the bytes; memory stays at one block whatever the database size. The block
list is committed (with the checksum and size as metadata) only after pg_dump exited 0, so a
failed or interrupted dump never becomes a visible blob (see catalog.py)."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from azure_dr.database.catalog import DumpInfo, blob_name, metadata
from azure_dr.database.pg import Dsn, PostgresError, program

BLOCK_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class ShipResult:
    dump: DumpInfo
    seconds: float
    blocks: int


def _block_id(index: int) -> str:
    # Block ids of one blob must all have the same length.
    return base64.b64encode(f"{index:08d}".encode()).decode()


def ship_dump(
    *,
    source_dsn: str,
    container: Any,
    block_bytes: int = BLOCK_BYTES,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    compress: int = 6,
) -> ShipResult:
    """Dump the database of ``source_dsn`` into ``container``; returns the verified dump."""
    from azure.storage.blob import BlobBlock

    dsn = Dsn.parse(source_dsn)
    taken_at = clock().astimezone(UTC).replace(microsecond=0)  # the name has seconds
    name = blob_name(dsn.database, taken_at)
    blob = container.get_blob_client(name)
    started = time.monotonic()
    # stderr to a file: a pipe nobody reads while stdout streams could fill and stall pg_dump.
    errors = tempfile.TemporaryFile()  # noqa: SIM115  (closed in the finally below)
    process = subprocess.Popen(
        [program("pg_dump"), "-Fc", f"--compress={compress}", "--no-password", "-d", dsn.url],
        stdout=subprocess.PIPE,
        stderr=errors,
        env=dsn.env(),
    )
    assert process.stdout is not None
    digest = hashlib.sha256()
    blocks: list[Any] = []
    size = 0
    try:
        while True:
            chunk = process.stdout.read(block_bytes)
            if not chunk:
                break
            digest.update(chunk)
            size += len(chunk)
            block_id = _block_id(len(blocks))
            blob.stage_block(block_id, chunk, length=len(chunk))
            blocks.append(BlobBlock(block_id=block_id))
        code = process.wait()
        errors.seek(0)
        error = errors.read().decode(errors="replace").strip()
    except BaseException:
        process.kill()
        process.wait()
        raise
    finally:
        errors.close()
    if code != 0:
        raise PostgresError(f"pg_dump of {dsn} failed ({code}): {error[:500]}")
    if not blocks:
        raise PostgresError(f"pg_dump of {dsn} wrote nothing")
    sha256 = digest.hexdigest()
    blob.commit_block_list(blocks, metadata=metadata(dsn.database, taken_at, size, sha256))
    return ShipResult(
        DumpInfo(name, taken_at, size, sha256), time.monotonic() - started, len(blocks)
    )
