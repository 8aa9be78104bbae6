"""What replication does, independent of where it runs (Lambda or an operator's machine).

``copy`` replicates one key: HEAD the source, skip when the blob already holds that ETag
(idempotent by key and ETag/version), otherwise a server-side copy from a presigned URL, then a
verification of the blob's properties against the source (size, content type, S3 ETag in the
blob metadata, Content-MD5 when S3's ETag is an MD5). A mismatch or a source that changed
during the copy is retried (``copy_attempts``); blocks already staged by an interrupted copy are
reused (their ids derive from the source ETag and version, so a different version never reuses
them).

``reconcile`` lists both sides, measures the lag (oldest source object whose current ETag is
not in Azure, and how many), copies what is behind, and handles keys gone from the source:
first marked (``fdr_source_gone`` in the blob metadata, the time it was first seen gone), then
deleted once ``delete_delay_days`` have passed. Blob versioning and soft delete keep older
versions after an overwrite or delete in any case.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote_plus

from object_replication.blob import AzureError, BlobContainer, BlobProperties
from object_replication.settings import ReplicationSettings
from object_replication.source import ARCHIVED_CLASSES, Source, SourceObject

META_ETAG = "fdr_s3_etag"
META_VERSION = "fdr_s3_version"
META_MODIFIED = "fdr_s3_modified"
META_CHECKSUM = "fdr_s3_checksum"
META_GONE = "fdr_source_gone"
OWN_PREFIX = "fdr_"
# Azure metadata names are C# identifiers; S3's may carry '-' (mapped to '_').
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Azure's answer when the bytes it fetched do not match x-ms-source-content-md5.
MISMATCH_CODES = frozenset({"Md5Mismatch", "Crc64Mismatch"})
# Azure could not read the source URL (object deleted, URL expired): look at the source again.
SOURCE_CODES = frozenset({"CannotVerifyCopySource", "BlobNotFound"})


class CopyRetry(Exception):
    """This attempt's result cannot be trusted (checksum mismatch, source changed): retry."""


@dataclass
class Report:
    copied: int = 0
    present: int = 0
    gone: int = 0
    failed: list[str] = field(default_factory=list)
    resumed_blocks: int = 0
    retried: int = 0
    marked_gone: int = 0
    deleted: int = 0
    behind: int = 0
    lag_seconds: float = 0.0
    oldest_behind: str | None = None
    skipped_metadata: int = 0
    archived: int = 0
    """Objects not in Azure that S3 archived (Glacier, Deep Archive): not copied, not in the
    lag; restore them for a backfill (continuous replication copies objects long before the
    lifecycle archives them)."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def fail(self, key: str) -> None:
        with self._lock:
            self.failed.append(key)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}


def block_ids(obj: SourceObject, count: int) -> list[str]:
    """Deterministic, equal-length ids: a resumed copy of the same version finds its blocks."""
    import base64

    tag = hashlib.sha256(f"{obj.etag}|{obj.version_id or ''}".encode()).hexdigest()[:16]
    return [base64.b64encode(f"{tag}-{i:05d}".encode()).decode() for i in range(count)]


def is_current(blob: BlobProperties | None, obj: SourceObject) -> bool:
    return (
        blob is not None
        and blob.metadata.get(META_ETAG) == obj.etag
        and blob.size == obj.size
        and META_GONE not in blob.metadata
    )


@dataclass
class Replicator:
    settings: ReplicationSettings
    source: Source
    blobs: BlobContainer
    log: Callable[..., None] = lambda message, **extra: None
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    workers: int = 16

    # ---- one object ----------------------------------------------------------------------
    def blob_metadata(self, obj: SourceObject, report: Report | None = None) -> dict[str, str]:
        metadata: dict[str, str] = {}
        for key, value in obj.metadata.items():
            name = key.lower().replace("-", "_")
            if not _IDENTIFIER.match(name) or name.startswith(OWN_PREFIX) or not value.isascii():
                if report:
                    report.add(skipped_metadata=1)
                self.log("metadata not representable in Azure, skipped", key=obj.key, name=key)
                continue
            metadata[name] = value
        metadata[META_ETAG] = obj.etag
        metadata[META_MODIFIED] = obj.last_modified.astimezone(UTC).isoformat()
        if obj.version_id:
            metadata[META_VERSION] = obj.version_id
        if obj.checksum:
            metadata[META_CHECKSUM] = obj.checksum
        return metadata

    def verify(self, obj: SourceObject) -> None:
        blob = self.blobs.properties(obj.key)
        problems = []
        if blob is None:
            problems.append("blob missing after the copy")
        else:
            if blob.size != obj.size:
                problems.append(f"size {blob.size} != {obj.size}")
            if blob.metadata.get(META_ETAG) != obj.etag:
                problems.append("S3 ETag not recorded")
            if (blob.content_type or "") != obj.content_type:
                problems.append(f"content type {blob.content_type!r} != {obj.content_type!r}")
            if obj.md5 and blob.content_md5 and blob.content_md5 != obj.md5:
                problems.append(f"Content-MD5 {blob.content_md5} != {obj.md5}")
        if problems:
            raise CopyRetry("verification failed: " + "; ".join(problems))

    def _unchanged(self, obj: SourceObject) -> None:
        """A copy from an unpinned URL (no version id) is only good if the ETag held."""
        if obj.version_id:
            return
        now = self.source.head(obj.key)
        if now is None or now.etag != obj.etag:
            raise CopyRetry("source changed during the copy")

    def _copy_blocks(
        self, obj: SourceObject, url: str, metadata: dict[str, str], report: Report
    ) -> None:
        size, block = obj.size, self.settings.block_bytes
        count = -(-size // block)
        ids = block_ids(obj, count)
        staged = self.blobs.uncommitted_blocks(obj.key)
        for i, block_id in enumerate(ids):
            start = i * block
            end = min(size, start + block) - 1
            if staged.get(block_id) == end - start + 1:
                report.add(resumed_blocks=1)
                continue
            self.blobs.put_block_from_url(obj.key, block_id, url, start=start, end=end)
        self._unchanged(obj)
        self.blobs.put_block_list(
            obj.key, ids, content_type=obj.content_type, metadata=metadata, content_md5=obj.md5
        )

    def copy(self, key: str, report: Report, *, check_present: bool = True) -> str:
        """``copied``, ``present`` (already in Azure), ``gone`` (not in the source) or
        ``failed``. ``check_present=False`` when a listing just showed the blob is behind."""
        for attempt in range(self.settings.copy_attempts):
            obj = self.source.head(key)
            if obj is None:
                report.add(gone=1)
                return "gone"
            if attempt == 0 and check_present and is_current(self.blobs.properties(key), obj):
                report.add(present=1)
                return "present"
            url = self.source.presigned_url(obj, self.settings.presign_seconds)
            metadata = self.blob_metadata(obj, report)
            try:
                if obj.size == 0:  # nothing to fetch: an empty Put Blob carries the properties
                    self.blobs.put_empty(key, content_type=obj.content_type, metadata=metadata)
                elif obj.size <= self.settings.single_put_max_bytes:
                    self.blobs.put_blob_from_url(
                        key,
                        url,
                        content_type=obj.content_type,
                        metadata=metadata,
                        source_md5=obj.md5,
                    )
                    self._unchanged(obj)
                else:
                    self._copy_blocks(obj, url, metadata, report)
                self.verify(obj)
            except CopyRetry as why:
                report.add(retried=1)
                self.log("copy not trusted, retrying", key=key, attempt=attempt, reason=str(why))
                continue
            except AzureError as err:
                if err.code in MISMATCH_CODES or err.code in SOURCE_CODES:
                    report.add(retried=1)
                    self.log("copy rejected, retrying", key=key, attempt=attempt, error=str(err))
                    continue
                raise
            report.add(copied=1)
            return "copied"
        report.fail(key)
        self.log("copy failed after retries", key=key)
        return "failed"

    def mark_gone(self, blob: BlobProperties, now: datetime, report: Report) -> None:
        try:
            since = datetime.fromisoformat(blob.metadata[META_GONE])
        except (KeyError, ValueError):
            # not marked yet, or a marker we cannot read: (re)start the delay, never delete early
            self.blobs.set_metadata(blob.name, {**blob.metadata, META_GONE: now.isoformat()})
            report.add(marked_gone=1)
            return
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        if now - since >= timedelta(days=self.settings.delete_delay_days):
            self.blobs.delete(blob.name)
            report.add(deleted=1)

    # ---- events ----------------------------------------------------------------------------
    def on_event(self, detail_type: str, key: str, report: Report) -> str:
        """An S3 'Object Created' or 'Object Deleted' event for ``key``; the event is only a
        hint: the source is read again, so a late or duplicated event does no harm. A key gone
        from the source is only marked (the delete waits for the delay)."""
        exists = self.source.head(key) is not None
        decoded = unquote_plus(key)  # in case the key arrives URL-encoded
        if not exists and decoded != key and self.source.head(decoded) is not None:
            key, exists = decoded, True
        if exists:
            return self.copy(key, report)
        blob = self.blobs.properties(key)
        if blob is not None and META_GONE not in blob.metadata:
            self.mark_gone(blob, self.clock(), report)
        return "marked"

    # ---- the whole bucket ------------------------------------------------------------------
    def reconcile(self, *, copy: bool = True, deletes: bool = True) -> Report:
        report = Report()
        now = self.clock()
        prefix = self.settings.prefix
        blobs = {b.name: b for b in self.blobs.list(prefix)}
        behind: list[SourceObject] = []
        seen: set[str] = set()
        for obj in self.source.list(prefix):
            seen.add(obj.key)
            if is_current(blobs.get(obj.key), obj):
                report.add(present=1)
            elif obj.storage_class in ARCHIVED_CLASSES:
                report.add(archived=1)
                self.log("archived in S3, restore it to replicate", key=obj.key)
            else:
                behind.append(obj)
        report.behind = len(behind)
        if behind:
            oldest = min(behind, key=lambda o: o.last_modified)
            report.lag_seconds = max(0.0, (now - oldest.last_modified).total_seconds())
            report.oldest_behind = oldest.key
        if copy:
            self.copy_all((o.key for o in behind), report)
        if deletes:
            for name, blob in blobs.items():
                if name not in seen:
                    self.mark_gone(blob, now, report)
        return report

    def copy_all(self, keys: Iterable[str], report: Report) -> None:
        """Copies concurrently; one object's failure is reported and does not stop the rest
        (the lag metric keeps counting it until a later pass succeeds)."""

        def one(key: str) -> None:
            try:
                self.copy(key, report, check_present=False)
            except Exception as err:
                report.fail(key)
                self.log("copy failed", key=key, error=f"{type(err).__name__}: {err}")

        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            list(pool.map(one, keys))
