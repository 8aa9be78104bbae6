"""The server-side copy against the recording fake Blob service, with moto (server mode) as the
S3 source: request shapes, verification, faults, resumption, idempotence, deferred deletes."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from botocore.exceptions import ClientError
from object_replication.blob import AzureError
from object_replication.engine import META_ETAG, META_GONE, Report, block_ids

from tests.object_replication.conftest import MIB, Rig, make_rig
from tests.object_replication.fake_blob import FakeBlobServer, Fault, State
from tests.object_replication.fake_entra import storage_token


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def test_small_object_is_one_put_blob_from_url_and_verified(rig: Rig, blob_state: State) -> None:
    body = b"hello azure" * 100
    rig.put("reports/a b.txt", body, ContentType="text/plain", Metadata={"owner-team": "dr"})
    gets: list[str] = []
    rig.s3.meta.events.register("before-call.s3.GetObject", lambda **kw: gets.append("x"))

    report = rig.replicator().reconcile()

    assert (report.copied, report.failed, report.behind) == (1, [], 1)
    (put,) = blob_state.ops("put_blob_from_url")
    h = put.headers
    assert put.name == "reports/a b.txt"
    assert h["x-ms-blob-type"] == "BlockBlob"
    assert h["x-ms-copy-source-blob-properties"] == "false"
    assert h["x-ms-blob-content-type"] == "text/plain"
    assert h["content-length"] == "0"
    assert h["authorization"].startswith("Bearer ")
    assert h["x-ms-version"] >= "2020-04-08"  # Put Blob From URL exists from this version on
    # S3's ETag of a single-part, non-KMS object is its MD5: Azure checks what it fetched
    assert h["x-ms-source-content-md5"] == md5_b64(body)
    assert h["x-ms-meta-owner_team"] == "dr"
    assert h["x-ms-meta-fdr_s3_etag"] == hashlib.md5(body).hexdigest()
    source = urlsplit(h["x-ms-copy-source"])
    query = parse_qs(source.query)
    assert source.path.endswith("/reports/a%20b.txt")
    assert "versionId" in query and "X-Amz-Signature" in query  # pinned, presigned (SigV4)
    # the bytes went from S3 to the "storage service" only; this process fetched none
    assert gets == []
    assert blob_state.fetched_bytes == len(body)
    stored = blob_state.blobs["reports/a b.txt"]
    assert (stored.size, stored.md5, stored.content_type) == (
        len(body),
        md5_b64(body),
        "text/plain",
    )


def test_large_object_goes_in_blocks_with_ranges(rig: Rig, blob_state: State) -> None:
    body = bytes(range(256)) * (14 * 1024)  # 3.5 MiB: blocks of 1 MiB
    rig.put("big.bin", body)
    report = rig.replicator().reconcile()
    assert report.copied == 1
    blocks = blob_state.ops("put_block")
    assert [b.headers["x-ms-source-range"] for b in blocks] == [
        f"bytes=0-{MIB - 1}",
        f"bytes={MIB}-{2 * MIB - 1}",
        f"bytes={2 * MIB}-{3 * MIB - 1}",
        f"bytes={3 * MIB}-{len(body) - 1}",
    ]
    ids = [b.query["blockid"] for b in blocks]
    assert len({len(i) for i in ids}) == 1  # Azure requires equal-length ids
    (commit,) = blob_state.ops("put_blocklist")
    assert commit.body.decode().count("<Uncommitted>") == 4
    assert [i in commit.body.decode() for i in ids] == [True] * 4
    assert blob_state.blobs["big.bin"].size == len(body)
    assert not blob_state.ops("put_blob_from_url")


def test_rerun_copies_nothing_and_overwrite_copies_the_new_version(
    rig: Rig, blob_state: State
) -> None:
    rig.put("a", b"one")
    rig.put("b", b"two")
    engine = rig.replicator()
    assert engine.reconcile().copied == 2
    again = engine.reconcile()
    assert (again.copied, again.present, again.behind) == (0, 2, 0)
    assert len(blob_state.ops("put_blob_from_url")) == 2  # nothing duplicated
    new_etag = rig.put("a", b"one, changed")
    third = engine.reconcile()
    assert (third.copied, third.behind) == (1, 1)
    assert blob_state.blobs["a"].metadata[META_ETAG] == new_etag.strip('"')
    assert len(blob_state.versions["a"]) == 1  # the overwritten content is a version, not lost


def test_azure_throttling_and_unavailability_honour_retry_after(
    rig: Rig, blob_state: State
) -> None:
    rig.put("k", b"data")
    blob_state.faults["put_blob_from_url"] = [
        Fault(429, "ServerBusy", "7"),
        Fault(503, "ServerBusy", "2"),
    ]
    blob_state.faults["list"] = [Fault(500, "InternalError")]
    report = rig.replicator().reconcile()
    assert report.copied == 1
    assert 7.0 in rig.sleeps.seconds and 2.0 in rig.sleeps.seconds
    assert len(blob_state.ops("put_blob_from_url")) == 3


class ThrottledS3:
    """The S3 client, but the first ``n`` calls of each listed operation answer SlowDown."""

    def __init__(self, s3: Any, n: int, operations: tuple[str, ...]) -> None:
        self.s3, self.left = s3, {op: n for op in operations}

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.s3, name)
        if self.left.get(name, 0) <= 0:
            return target

        def throttled(**kwargs: Any) -> Any:
            if self.left[name] <= 0:
                return target(**kwargs)
            self.left[name] -= 1
            error = {"Error": {"Code": "SlowDown", "Message": "Reduce your request rate"}}
            raise ClientError(error, name)

        return throttled


def test_s3_throttling_backs_off_and_continues(rig: Rig, blob_state: State) -> None:
    for i in range(3):
        rig.put(f"obj-{i}", b"x" * i)
    s3 = ThrottledS3(rig.s3, 2, ("list_objects_v2", "head_object"))
    report = rig.replicator(s3=s3).reconcile()
    assert (report.copied, report.failed) == (3, [])
    assert len(rig.sleeps.seconds) >= 4


def test_object_changed_during_copy_is_detected_and_copied_again(
    moto_endpoint: str, fake_blob_server: FakeBlobServer, blob_state: State
) -> None:
    # Unversioned source: the URL cannot pin a version, so the ETag must be checked.
    rig = make_rig(moto_endpoint, fake_blob_server.account_url, versioned=False)
    rig.put("moving.bin", b"a" * (3 * MIB))
    changed: list[bool] = []

    def overwrite_once(record: Any) -> None:
        if not changed:
            changed.append(True)
            rig.put("moving.bin", b"b" * (3 * MIB))

    blob_state.hooks["put_block"] = [overwrite_once]
    report = rig.replicator().reconcile()
    assert (report.copied, report.retried, report.failed) == (1, 1, [])
    final = rig.s3.head_object(Bucket=rig.bucket, Key="moving.bin")["ETag"].strip('"')
    assert blob_state.blobs["moving.bin"].metadata[META_ETAG] == final
    assert len(blob_state.ops("put_blocklist")) == 1  # the mixed block list was never committed


def test_interrupted_copy_resumes_with_the_staged_blocks(rig: Rig, blob_state: State) -> None:
    body = b"z" * (4 * MIB)
    rig.put("resume.bin", body)
    calls: list[int] = []

    def cut_after_two(record: Any) -> None:
        calls.append(1)
        if len(calls) == 2:  # the third block and every later one fail
            blob_state.faults["put_block"] = [Fault(500, "InternalError")] * 10

    blob_state.hooks["put_block"] = [cut_after_two]
    first = rig.replicator().reconcile()
    assert first.failed == ["resume.bin"] and "resume.bin" not in blob_state.blobs
    assert len(blob_state.uncommitted["resume.bin"]) == 2
    blob_state.hooks.clear()
    blob_state.faults.clear()
    fetched_before = blob_state.fetched_bytes
    second = rig.replicator().reconcile()
    assert (second.copied, second.resumed_blocks) == (1, 2)
    assert blob_state.fetched_bytes - fetched_before == 2 * MIB  # only the missing blocks
    assert blob_state.blobs["resume.bin"].size == len(body)


def test_block_ids_differ_per_version_so_stale_blocks_are_never_reused() -> None:
    from object_replication.source import SourceObject

    now = datetime.now(UTC)
    one = SourceObject("k", 10, "etag1", now, version_id="v1")
    two = SourceObject("k", 10, "etag1", now, version_id="v2")
    assert block_ids(one, 3) != block_ids(two, 3)
    assert block_ids(one, 3) == block_ids(one, 3)


def test_checksum_mismatch_is_detected_and_retried(rig: Rig, blob_state: State) -> None:
    rig.put("c1", b"content one")
    rig.put("c2", b"content two")
    blob_state.corrupt_next = 1  # the first stored blob has the wrong size
    blob_state.faults["put_blob_from_url"] = [Fault(400, "Md5Mismatch")]
    report = rig.replicator().reconcile()
    assert (report.copied, report.retried, report.failed) == (2, 2, [])
    assert all(
        blob_state.blobs[k].size == len(f"content {n}") for k, n in (("c1", "one"), ("c2", "two"))
    )


def test_a_copy_that_keeps_failing_is_reported_and_counted_behind(
    rig: Rig, blob_state: State
) -> None:
    rig.put("bad", b"x")
    blob_state.corrupt_next = 10
    engine = rig.replicator()
    assert engine.reconcile().failed == ["bad"]
    blob_state.corrupt_next = 0
    assert engine.reconcile(copy=False).behind == 1


def test_deletes_wait_for_the_delay_and_keep_versions(rig: Rig, blob_state: State) -> None:
    rig.put("gone", b"bye")
    rig.put("back", b"again")
    rig.clock = [datetime(2026, 1, 1, tzinfo=UTC)]
    engine = rig.replicator()
    engine.reconcile()
    rig.s3.delete_object(Bucket=rig.bucket, Key="gone")
    rig.s3.delete_object(Bucket=rig.bucket, Key="back")

    first = engine.reconcile()
    assert first.marked_gone == 2 and first.deleted == 0
    assert META_GONE in blob_state.blobs["gone"].metadata
    rig.put("back", b"again")  # re-created inside the delay: replicated, marker cleared
    rig.clock[0] += timedelta(days=6, hours=23)
    second = engine.reconcile()
    assert second.deleted == 0 and second.copied == 1
    assert META_GONE not in blob_state.blobs["back"].metadata
    rig.clock[0] += timedelta(hours=1)
    third = engine.reconcile()
    assert third.deleted == 1 and "gone" not in blob_state.blobs and "back" in blob_state.blobs
    assert blob_state.versions["gone"]  # the last content survives as a version (soft delete)


def test_lag_is_the_age_of_the_oldest_object_not_in_azure(rig: Rig, blob_state: State) -> None:
    rig.put("old", b"1")
    rig.put("new", b"2")
    modified = rig.s3.head_object(Bucket=rig.bucket, Key="old")["LastModified"]
    rig.clock = [modified + timedelta(minutes=20)]
    report = rig.replicator().reconcile(copy=False)
    assert report.behind == 2 and 1190 <= report.lag_seconds <= 1210
    assert report.oldest_behind in {"old", "new"}
    rig.replicator().reconcile()
    assert rig.replicator().reconcile(copy=False).behind == 0


def test_events_copy_and_mark_but_never_delete(rig: Rig, blob_state: State) -> None:
    engine = rig.replicator()
    rig.put("e/one", b"1")
    report = Report()
    assert engine.on_event("Object Created", "e/one", report) == "copied"
    assert engine.on_event("Object Created", "e/one", report) == "present"  # duplicate event
    rig.s3.delete_object(Bucket=rig.bucket, Key="e/one")
    assert engine.on_event("Object Deleted", "e/one", report) == "marked"
    assert "e/one" in blob_state.blobs and META_GONE in blob_state.blobs["e/one"].metadata
    rig.put("e/two words", b"2")
    assert engine.on_event("Object Created", "e/two+words", report) == "copied"  # URL-encoded key


def test_a_wrong_token_is_refused_by_the_service(rig: Rig, blob_state: State) -> None:
    token = storage_token()
    blob_state.expected_token = token
    rig.put("k", b"1")
    with pytest.raises(AzureError) as refused:
        rig.replicator(token=lambda: "not-the-token").reconcile()
    assert refused.value.status == 403
    assert rig.replicator(token=lambda: token).reconcile().copied == 1


def test_archived_objects_are_reported_not_copied(rig: Rig, blob_state: State) -> None:
    rig.put("cold", b"archived", StorageClass="GLACIER")
    rig.put("warm", b"fine")
    report = rig.replicator().reconcile()
    assert (report.copied, report.archived, report.behind, report.failed) == (1, 1, 1, [])
    assert "cold" not in blob_state.blobs


def test_an_unreadable_delete_marker_restarts_the_delay(rig: Rig, blob_state: State) -> None:
    rig.put("odd", b"1")
    rig.clock = [datetime(2026, 1, 1, tzinfo=UTC)]
    engine = rig.replicator()
    engine.reconcile()
    rig.s3.delete_object(Bucket=rig.bucket, Key="odd")
    blob_state.blobs["odd"].metadata[META_GONE] = "last tuesday"
    rig.clock[0] += timedelta(days=30)
    report = engine.reconcile()
    assert (report.deleted, report.marked_gone) == (0, 1)
    assert blob_state.blobs["odd"].metadata[META_GONE] == rig.clock[0].isoformat()
