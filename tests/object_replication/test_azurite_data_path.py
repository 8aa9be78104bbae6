"""The data path against Azurite through real HTTPS and OAuth: listing with metadata and paging,
properties, verification, the deferred-delete marker and deletes, written by the engine and read
back with the real azure-storage-blob client (and the other way round). Azurite cannot run the
server-side copy (Put Blob/Block From URL from a non-Azurite source is not implemented) and has
no blob versioning: those are covered against the recording fake."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from object_replication.engine import META_ETAG, META_GONE, CopyRetry
from object_replication.source import SourceObject

from tests.object_replication.conftest import Azurite, Rig, make_rig


@pytest.fixture
def container(azurite: Azurite) -> Any:
    client = azurite.service().get_container_client(f"c{uuid.uuid4().hex[:10]}")
    client.create_container()
    return client


@pytest.fixture
def on_azurite(moto_endpoint: str, azurite: Azurite, container: Any) -> Rig:
    return make_rig(
        moto_endpoint,
        azurite.account_url,
        container=container.container_name,
        ca_bundle=azurite.ca_bundle,
    )


def upload_as_replicated(container: Any, rig: Rig, key: str) -> None:
    """What a finished copy leaves in Azure: same bytes, S3 ETag in the metadata."""
    body = rig.s3.get_object(Bucket=rig.bucket, Key=key)["Body"].read()
    etag = rig.s3.head_object(Bucket=rig.bucket, Key=key)["ETag"].strip('"')
    from azure.storage.blob import ContentSettings

    container.upload_blob(
        key,
        body,
        overwrite=True,
        metadata={META_ETAG: etag},
        content_settings=ContentSettings(content_type="binary/octet-stream"),
    )


def test_reconcile_sees_present_behind_and_orphans(on_azurite: Rig, container: Any) -> None:
    on_azurite.put("present/ä ö.txt", b"same")
    on_azurite.put("behind.txt", b"missing in azure")
    upload_as_replicated(container, on_azurite, "present/ä ö.txt")
    container.upload_blob("orphan.txt", b"source deleted long ago", metadata={META_ETAG: "x"})
    on_azurite.clock = [datetime(2026, 1, 1, tzinfo=UTC)]
    engine = on_azurite.replicator()

    report = engine.reconcile(copy=False)
    assert (report.present, report.behind, report.oldest_behind) == (1, 1, "behind.txt")
    assert report.marked_gone == 1
    marker = container.get_blob_client("orphan.txt").get_blob_properties().metadata
    assert marker[META_GONE] == "2026-01-01T00:00:00+00:00" and marker[META_ETAG] == "x"

    on_azurite.clock[0] += timedelta(days=7)
    assert engine.reconcile(copy=False).deleted == 1
    assert not container.get_blob_client("orphan.txt").exists()
    assert container.get_blob_client("present/ä ö.txt").exists()


def test_listing_pages_through_the_container(on_azurite: Rig, container: Any) -> None:
    for i in range(7):
        container.upload_blob(f"p/{i}", b"x", metadata={"a": str(i)})
    engine = on_azurite.replicator()
    listed = list(engine.blobs.list("p/", page_size=3))
    assert [b.name for b in listed] == [f"p/{i}" for i in range(7)]
    assert [b.metadata["a"] for b in listed] == [str(i) for i in range(7)]


def test_verification_reads_real_properties(on_azurite: Rig, container: Any) -> None:
    on_azurite.put("v.bin", b"12345")
    upload_as_replicated(container, on_azurite, "v.bin")
    engine = on_azurite.replicator()
    obj = engine.source.head("v.bin")
    assert obj is not None and obj.md5
    engine.verify(obj)  # size, content type, ETag metadata and Content-MD5 agree
    wrong = SourceObject("v.bin", 6, obj.etag, obj.last_modified, content_type=obj.content_type)
    with pytest.raises(CopyRetry, match="size 5 != 6"):
        engine.verify(wrong)


def test_put_blob_from_url_is_refused_by_azurite(on_azurite: Rig, container: Any) -> None:
    """Why the copy itself is tested against the recording fake (docs/object-replication.md)."""
    on_azurite.put("x", b"1")
    report = on_azurite.replicator().reconcile()
    assert report.failed == ["x"] and report.copied == 0


def test_empty_objects_are_created_without_a_copy(on_azurite: Rig, container: Any) -> None:
    on_azurite.put("folder/", b"", ContentType="application/x-directory", Metadata={"k": "v"})
    report = on_azurite.replicator().reconcile()
    assert (report.copied, report.failed) == (1, [])
    props = container.get_blob_client("folder/").get_blob_properties()
    assert props.size == 0 and props.content_settings.content_type == "application/x-directory"
    assert props.metadata["k"] == "v" and META_ETAG in props.metadata
