"""The dumps in the DR storage account: names, metadata, the newest verified one, retention.

A dump is the blob ``<prefix>/<database>/<UTC timestamp>.dump`` (``pg_dump -Fc``). Its block list
is committed only after pg_dump exited 0, with the SHA-256 and size of the streamed bytes in the
blob's metadata; a dump is *verified* when that metadata is present and the size agrees with the
blob. An interrupted upload leaves only uncommitted blocks, which Azure discards after a week,
so it never appears here. The restore recomputes the SHA-256 over the bytes it reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

PREFIX = "database"
SUFFIX = ".dump"
STAMP = "%Y%m%dT%H%M%SZ"
META_SHA256 = "sha256"
META_SIZE = "size"
META_TAKEN_AT = "taken_at"
META_DATABASE = "database"


@dataclass(frozen=True)
class DumpInfo:
    name: str
    taken_at: datetime
    size: int
    sha256: str

    def age_seconds(self, now: datetime) -> float:
        return max(0.0, (now - self.taken_at).total_seconds())


def blob_name(database: str, taken_at: datetime) -> str:
    return f"{PREFIX}/{database}/{taken_at.astimezone(UTC).strftime(STAMP)}{SUFFIX}"


def metadata(database: str, taken_at: datetime, size: int, sha256: str) -> dict[str, str]:
    return {
        META_SHA256: sha256,
        META_SIZE: str(size),
        META_TAKEN_AT: taken_at.astimezone(UTC).strftime(STAMP),
        META_DATABASE: database,
    }


def _verified(blob: Any) -> DumpInfo | None:
    meta = blob.metadata or {}
    try:
        size = int(meta[META_SIZE])
        taken_at = datetime.strptime(meta[META_TAKEN_AT], STAMP).replace(tzinfo=UTC)
        sha256 = meta[META_SHA256]
    except (KeyError, ValueError):
        return None
    if size != blob.size or len(sha256) != 64:
        return None
    return DumpInfo(blob.name, taken_at, size, sha256)


def verified_dumps(container: Any, database: str | None = None) -> list[DumpInfo]:
    """Verified dumps, oldest first."""
    prefix = f"{PREFIX}/{database}/" if database else f"{PREFIX}/"
    found = [
        info
        for blob in container.list_blobs(name_starts_with=prefix, include=["metadata"])
        if blob.name.endswith(SUFFIX) and (info := _verified(blob)) is not None
    ]
    return sorted(found, key=lambda d: (d.taken_at, d.name))


def newest_verified_dump(container: Any, database: str | None = None) -> DumpInfo | None:
    """The dump a restore would use (and whose age is the dump mode's RPO)."""
    dumps = verified_dumps(container, database)
    return dumps[-1] if dumps else None


def prune(container: Any, database: str, *, keep: int, now: datetime, keep_days: int) -> list[str]:
    """Delete verified dumps beyond the newest ``keep`` that are also older than ``keep_days``;
    the newest verified dump is never deleted. Returns the deleted names."""
    dumps = verified_dumps(container, database)
    candidates = dumps[: max(0, len(dumps) - max(keep, 1))]
    deleted = []
    for dump in candidates:
        if dump.age_seconds(now) > keep_days * 86400:
            container.delete_blob(dump.name)
            deleted.append(dump.name)
    return deleted
