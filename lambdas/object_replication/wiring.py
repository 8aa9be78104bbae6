"""Builds a Replicator from settings and clients: the Lambda handlers and ``azure_dr`` call this
with their own clients and token source, so both run the same engine."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from backup_jobs.aws import RetryPolicy

from object_replication.blob import BlobContainer
from object_replication.engine import Replicator
from object_replication.identity import EntraToken, aws_web_identity_token
from object_replication.settings import ReplicationSettings
from object_replication.source import Source
from object_replication.transport import Http


def http_for(settings: ReplicationSettings, on_retry: Callable[[str], None]) -> Http:
    return Http(
        attempts=settings.http_attempts,
        cap_seconds=settings.retry_cap_seconds,
        ca_bundle=settings.ca_bundle,
        on_retry=on_retry,
    )


def federated_token(settings: ReplicationSettings, sts: Any, http: Http) -> Callable[[], str]:
    """Bearer tokens of the managed identity, obtained with the caller's AWS identity."""
    entra = EntraToken(
        token_url=settings.token_url,
        client_id=settings.client_id,
        scope=settings.storage_scope,
        assertion=lambda: aws_web_identity_token(
            sts,
            audience=settings.token_audience,
            signing_algorithm=settings.signing_algorithm,
            duration_seconds=settings.token_duration_seconds,
        ),
        http=http,
    )
    lock = threading.Lock()

    def token() -> str:
        with lock:  # one exchange at a time; the copy threads share the cached token
            return entra.token()

    return token


def replicator(
    settings: ReplicationSettings,
    *,
    s3: Any,
    token: Callable[[], str],
    http: Http,
    log: Callable[..., None] = lambda message, **extra: None,
    on_retry: Callable[[str], None] = lambda code: None,
    policy: RetryPolicy | None = None,
    workers: int = 16,
) -> Replicator:
    return Replicator(
        settings=settings,
        source=Source(s3, settings.source_bucket, policy or RetryPolicy(), on_retry),
        blobs=BlobContainer(settings.blob_endpoint, settings.container, token=token, http=http),
        log=log,
        workers=workers,
    )


def s3_client(settings: ReplicationSettings) -> Any:
    """SigV4 and the regional virtual-hosted endpoint: the presigned URL Azure fetches must be
    valid from anywhere and for ``presign_seconds``."""
    import boto3
    from botocore.config import Config

    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "virtual" if not settings.s3_endpoint else "path"},
        retries={"mode": settings.retry_mode, "max_attempts": settings.retry_max_attempts},
        max_pool_connections=32,
    )
    return boto3.client(
        "s3", region_name=settings.source_region, endpoint_url=settings.s3_endpoint, config=config
    )
