"""Least-privilege statements of each backup job, built from physical names in config.

KMS: an alias ARN is not a valid IAM resource for key operations (IAM matches the key ARN the
call resolves to). Keys are therefore matched as ``key/*`` of the account and region, narrowed
with ``kms:ResourceAliases`` (ForAnyValue:StringEquals) to the named aliases: the job can use the
backup (or database, or storage) key and no other key, without this stack knowing key ids owned
by another stack. RDS snapshots are scoped by name prefix (``<database id>-``) and deletion
additionally by the ``project``/``environment`` tags the snapshot job writes.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Stack
from aws_cdk import aws_iam as iam

# Object verify writes to the primary data bucket and reads back from each replica bucket.
CANARY_KEY = "backup-verify/canary.json"


@dataclass(frozen=True)
class BackupTargets:
    """Physical names of the other tiers' resources the jobs act on (from ``Names``)."""

    project: str
    environment: str
    primary_region: str
    database_id: str
    redis_group_id: str
    standby_region: str | None
    standby_database_id: str | None
    copy_regions: list[str]
    """Standby first, then any configured extra backup regions."""
    backup_key_alias: str
    database_key_alias: str
    data_key_alias: str
    primary_bucket: str
    replica_buckets: dict[str, str]
    """Region -> data bucket that the primary data bucket replicates into."""


def _arn(stack: Stack, service: str, region: str, resource: str) -> str:
    return f"arn:{stack.partition}:{service}:{region}:{stack.account}:{resource}"


def _key_use(
    sid: str, actions: list[str], stack: Stack, regions: list[str], aliases: list[str]
) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        sid=sid,
        actions=actions,
        resources=[_arn(stack, "kms", r, "key/*") for r in regions],
        conditions={"ForAnyValue:StringEquals": {"kms:ResourceAliases": aliases}},
    )


def _snapshots(stack: Stack, t: BackupTargets, regions: list[str]) -> list[str]:
    return [_arn(stack, "rds", r, f"snapshot:{t.database_id}-*") for r in regions]


def _describe_snapshots(stack: Stack, t: BackupTargets, regions: list[str]) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        sid="ListSnapshots",
        actions=["rds:DescribeDBSnapshots"],
        resources=[
            *[_arn(stack, "rds", r, f"db:{t.database_id}") for r in regions],
            *_snapshots(stack, t, regions),
        ],
    )


def snapshot(stack: Stack, t: BackupTargets) -> list[iam.PolicyStatement]:
    region = t.primary_region
    redis = t.redis_group_id
    return [
        iam.PolicyStatement(
            sid="SnapshotDatabase",
            actions=["rds:CreateDBSnapshot", "rds:AddTagsToResource"],
            resources=[
                _arn(stack, "rds", region, f"db:{t.database_id}"),
                *_snapshots(stack, t, [region]),
            ],
        ),
        iam.PolicyStatement(
            sid="SnapshotRedis",
            actions=["elasticache:CreateSnapshot", "elasticache:AddTagsToResource"],
            resources=[
                _arn(stack, "elasticache", region, f"replicationgroup:{redis}"),
                _arn(stack, "elasticache", region, f"cluster:{redis}-*"),
                _arn(stack, "elasticache", region, f"snapshot:{redis}-*"),
            ],
        ),
    ]


def copy(stack: Stack, t: BackupTargets) -> list[iam.PolicyStatement]:
    regions = [t.primary_region, *t.copy_regions]
    aliases = [t.backup_key_alias, t.database_key_alias]
    return [
        _describe_snapshots(stack, t, regions),
        iam.PolicyStatement(
            sid="CopySnapshots",
            actions=["rds:CopyDBSnapshot", "rds:AddTagsToResource"],
            resources=_snapshots(stack, t, regions),
        ),
        _key_use(
            "ReEncryptWithBackupKeys",
            [
                "kms:DescribeKey",
                "kms:Decrypt",
                "kms:ReEncryptFrom",
                "kms:ReEncryptTo",
                "kms:GenerateDataKeyWithoutPlaintext",
            ],
            stack,
            regions,
            aliases,
        ),
        iam.PolicyStatement(
            sid="GrantRdsUseOfBackupKeys",
            actions=["kms:CreateGrant"],
            resources=[_arn(stack, "kms", r, "key/*") for r in regions],
            conditions={
                "ForAnyValue:StringEquals": {"kms:ResourceAliases": aliases},
                "Bool": {"kms:GrantIsForAWSResource": "true"},
            },
        ),
    ]


def prune(stack: Stack, t: BackupTargets) -> list[iam.PolicyStatement]:
    regions = [t.primary_region, *t.copy_regions]
    redis_snapshots = _arn(stack, "elasticache", t.primary_region, f"snapshot:{t.redis_group_id}-*")
    return [
        iam.PolicyStatement(
            sid="ListRedisSnapshots",
            actions=["elasticache:DescribeSnapshots", "elasticache:ListTagsForResource"],
            resources=[
                _arn(
                    stack, "elasticache", t.primary_region, f"replicationgroup:{t.redis_group_id}"
                ),
                redis_snapshots,
            ],
        ),
        iam.PolicyStatement(
            sid="DeleteOwnTaggedRedisSnapshots",
            actions=["elasticache:DeleteSnapshot"],
            resources=[redis_snapshots],
            conditions={
                "StringEquals": {
                    "aws:ResourceTag/project": t.project,
                    "aws:ResourceTag/environment": t.environment,
                }
            },
        ),
        _describe_snapshots(stack, t, regions),
        iam.PolicyStatement(
            sid="DeleteOwnTaggedSnapshots",
            actions=["rds:DeleteDBSnapshot"],
            resources=_snapshots(stack, t, regions),
            conditions={
                "StringEquals": {
                    "rds:snapshot-tag/project": t.project,
                    "rds:snapshot-tag/environment": t.environment,
                }
            },
        ),
    ]


def verify(stack: Stack, t: BackupTargets) -> list[iam.PolicyStatement]:
    regions = [t.primary_region, *t.copy_regions]
    statements = [
        _describe_snapshots(stack, t, regions),
        iam.PolicyStatement(
            sid="RestorableTime",
            actions=["rds:DescribeDBInstances"],
            resources=[_arn(stack, "rds", t.primary_region, f"db:{t.database_id}")],
        ),
    ]
    if t.replica_buckets:
        canary = CANARY_KEY
        statements += [
            iam.PolicyStatement(
                sid="WriteCanary",
                actions=["s3:PutObject"],
                resources=[f"arn:{stack.partition}:s3:::{t.primary_bucket}/{canary}"],
            ),
            iam.PolicyStatement(
                sid="ReadReplicatedCanary",
                actions=["s3:GetObject"],
                resources=[
                    f"arn:{stack.partition}:s3:::{b}/{canary}" for b in t.replica_buckets.values()
                ],
            ),
            _key_use(
                "CanaryEncryption",
                ["kms:GenerateDataKey", "kms:Decrypt"],
                stack,
                [t.primary_region, *t.replica_buckets],
                [t.data_key_alias],
            ),
        ]
    return statements


def promote(stack: Stack, t: BackupTargets) -> list[iam.PolicyStatement]:
    assert t.standby_region and t.standby_database_id
    instance = _arn(stack, "rds", t.standby_region, f"db:{t.standby_database_id}")
    return [
        iam.PolicyStatement(
            sid="PromoteStandby",
            actions=[
                "rds:DescribeDBInstances",
                "rds:PromoteReadReplica",
                "rds:AddTagsToResource",
            ],
            resources=[instance],
        ),
        iam.PolicyStatement(
            sid="ReadReplicaLag",
            actions=["cloudwatch:GetMetricStatistics"],
            resources=["*"],  # CloudWatch metric reads have no resource-level permissions
        ),
    ]
