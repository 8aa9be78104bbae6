"""The S3 side: listing, HEAD and presigned GET URLs of the source bucket.

S3 throttling (SlowDown, 503) is retried by botocore inside each call and then by the jittered
back-off of ``backup_jobs.aws.with_backoff`` around whole calls; a throttled listing resumes at
the page it stopped on (its continuation token), so nothing is listed twice or skipped.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from backup_jobs.aws import RetryPolicy, error_code, with_backoff

# S3 ETags are the MD5 of the content only for single-part uploads that are not SSE-KMS.
KMS_ENCRYPTIONS = frozenset({"aws:kms", "aws:kms:dsse"})
# Storage classes whose objects must be restored before a GET (and so before a copy from URL).
ARCHIVED_CLASSES = frozenset({"GLACIER", "DEEP_ARCHIVE"})
CHECKSUMS = (
    "ChecksumCRC64NVME",
    "ChecksumCRC32",
    "ChecksumCRC32C",
    "ChecksumSHA1",
    "ChecksumSHA256",
)


@dataclass(frozen=True)
class SourceObject:
    key: str
    size: int
    etag: str
    """Without the quotes S3 puts around it."""
    last_modified: datetime
    version_id: str | None = None
    content_type: str = "application/octet-stream"
    metadata: dict[str, str] = field(default_factory=dict)
    md5: str | None = None
    """Base64 MD5 of the content when S3 tells it (its ETag), else None."""
    checksum: str | None = None
    """S3's own checksum, ``<ALGORITHM>:<base64>`` (e.g. CRC64NVME), when it has one."""
    storage_class: str = "STANDARD"


def _md5(etag: str, encryption: str | None) -> str | None:
    if "-" in etag or encryption in KMS_ENCRYPTIONS or len(etag) != 32:
        return None
    try:
        return base64.b64encode(binascii.unhexlify(etag)).decode()
    except binascii.Error:
        return None


@dataclass
class Source:
    s3: Any
    bucket: str
    policy: RetryPolicy
    on_retry: Callable[[str], None]

    def list(self, prefix: str = "", page_size: int = 1000) -> Iterator[SourceObject]:
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"Bucket": self.bucket, "MaxKeys": page_size}
            if prefix:
                kwargs["Prefix"] = prefix
            if token:
                kwargs["ContinuationToken"] = token
            page = with_backoff(self.s3.list_objects_v2, self.policy, self.on_retry, **kwargs)
            for item in page.get("Contents", []):
                yield SourceObject(
                    key=item["Key"],
                    size=int(item["Size"]),
                    etag=item["ETag"].strip('"'),
                    last_modified=item["LastModified"],
                    storage_class=item.get("StorageClass", "STANDARD"),
                )
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return

    def head(self, key: str) -> SourceObject | None:
        from botocore.exceptions import ClientError

        try:
            head = with_backoff(
                self.s3.head_object,
                self.policy,
                self.on_retry,
                Bucket=self.bucket,
                Key=key,
                ChecksumMode="ENABLED",
            )
        except ClientError as err:
            if error_code(err) in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise
        etag = head["ETag"].strip('"')
        checksum = next(
            (
                f"{name.removeprefix('Checksum')}:{head[name]}"
                for name in CHECKSUMS
                if head.get(name)
            ),
            None,
        )
        version = head.get("VersionId")
        return SourceObject(
            key=key,
            size=int(head["ContentLength"]),
            etag=etag,
            last_modified=head["LastModified"],
            version_id=version if version and version != "null" else None,
            content_type=head.get("ContentType") or "application/octet-stream",
            metadata=dict(head.get("Metadata") or {}),
            md5=_md5(etag, head.get("ServerSideEncryption")),
            checksum=checksum,
        )

    def presigned_url(self, obj: SourceObject, expires_in: int) -> str:
        """A GET URL Azure Storage can fetch; pinned to the version when the bucket is versioned,
        so an overwrite during the copy cannot mix two versions."""
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": obj.key}
        if obj.version_id:
            params["VersionId"] = obj.version_id
        return str(
            self.s3.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in)
        )
