"""A bucket that AWS services deliver logs into (S3 server access logs, ALB access logs)."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct


def log_delivery_bucket(
    scope: Construct,
    construct_id: str,
    *,
    bucket_name: str,
    retention_days: int,
    removal_policy: RemovalPolicy,
) -> s3.Bucket:
    """Private, TLS-only, versioned, expiring. SSE-S3 rather than a customer key: neither S3
    server access logging nor ALB log delivery can write to a KMS-encrypted bucket."""
    return s3.Bucket(
        scope,
        construct_id,
        bucket_name=bucket_name,
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        versioned=True,
        lifecycle_rules=[
            s3.LifecycleRule(
                id="expire-delivered-logs",
                expiration=Duration.days(retention_days),
                noncurrent_version_expiration=Duration.days(1),
                abort_incomplete_multipart_upload_after=Duration.days(1),
            )
        ],
        removal_policy=removal_policy,
    )
