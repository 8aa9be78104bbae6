"""Acknowledged findings of the storage tier."""

from __future__ import annotations

from aws_cdk import Stack

from infra.nag.acknowledge import acknowledge, child


def acknowledge_findings(stack: Stack, *, replication_wildcards: list[str]) -> None:
    access_logs = child(stack, "Buckets/AccessLogs/Resource")
    acknowledge(
        access_logs,
        "NIST.800.53.R5-S3DefaultEncryptionKMS",
        "S3 server access log delivery only writes to buckets encrypted with SSE-S3 (AES-256); "
        "SSE-KMS on the target bucket would silently drop the logs.",
    )
    acknowledge(
        access_logs,
        "NIST.800.53.R5-S3BucketReplicationEnabled",
        "Access logs are regional operational records with a short retention; the data they "
        "describe is replicated, the logs themselves need no second copy.",
    )
    if replication_wildcards:
        _acknowledge_replication_policy(stack, replication_wildcards)
    else:
        acknowledge(
            child(stack, "Buckets/Data/Resource"),
            "NIST.800.53.R5-S3BucketReplicationEnabled",
            "This bucket is not a replication source: it is the destination of the primary "
            "region's replication, or the environment has a single region.",
        )


# S3 replication needs object-level actions on every key of a bucket, and IAM cannot name a KMS
# key by alias: the key ARNs are scoped by region, account and the kms:ResourceAliases condition.
_REPLICATION_REASON = (
    "S3 replication reads and writes every object version, so object actions cover bucket/*; "
    "the target keys are any key of that region and account but only the one carrying the "
    "storage alias (kms:ResourceAliases condition): a key object across regions would be a cycle."
)


def _acknowledge_replication_policy(stack: Stack, resources: list[str]) -> None:
    policy = child(stack, "Buckets/ReplicationPolicy/Resource")
    for resource in resources:
        acknowledge(policy, f"AwsSolutions-IAM5[Resource::{resource}]", _REPLICATION_REASON)
