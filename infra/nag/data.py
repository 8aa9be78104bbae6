"""Acknowledged findings of the data tier."""

from __future__ import annotations

from aws_cdk import Stack

from infra.nag.acknowledge import acknowledge, child


def acknowledge_findings(
    stack: Stack,
    *,
    replica: bool,
    multi_node_cache: bool,
    multi_az: bool,
    deletion_protection: bool,
    replication_secret: bool = False,
) -> None:
    database = child(stack, "Postgres/Instance")
    cache = child(stack, "Redis/Group")
    acknowledge(
        database,
        "AwsSolutions-RDS11",
        "PostgreSQL listens on the design's port 5432 (config network.ports.postgres). A "
        "non-default port is obscurity only: db_tier admits that port from app_tier and "
        "bastion_sg alone, in subnets without any internet route.",
    )
    acknowledge(
        cache,
        "AwsSolutions-AEC5",
        "Redis listens on the design's port 6379 (config network.ports.redis). cache_tier admits "
        "it from app_tier alone, in isolated subnets; TLS and the AUTH token are required.",
    )
    acknowledge(
        database,
        "NIST.800.53.R5-RDSInBackupPlan",
        "Backups are 30-day automated backups (point-in-time recovery) plus the backup tier's "
        "snapshot jobs that copy snapshots into the standby region under the backup key; "
        "AWS Backup plans are not used, so no backup selection exists to point at.",
    )
    acknowledge(
        child(stack, "Postgres/MonitoringRole/Resource"),
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
        "AmazonRDSEnhancedMonitoringRole]",
        "AmazonRDSEnhancedMonitoringRole is the AWS-maintained policy for the RDS monitoring "
        "service; it only writes to the RDSOSMetrics log group and AWS updates it with the "
        "service. The role is assumable by monitoring.rds.amazonaws.com only.",
    )
    for rule in ("AwsSolutions-SMG4", "NIST.800.53.R5-SecretsManagerRotationEnabled"):
        acknowledge(
            child(stack, "Redis/AuthToken/Resource"),
            rule,
            "No managed rotation exists for an ElastiCache AUTH token: rotating means "
            "ModifyReplicationGroup with AuthTokenUpdateStrategy ROTATE then SET, coordinated "
            "with the clients. It is a runbook step (docs/tiers.md, data tier), not a schedule.",
        )
    if replication_secret:
        for rule in ("AwsSolutions-SMG4", "NIST.800.53.R5-SecretsManagerRotationEnabled"):
            acknowledge(
                child(stack, "ReplicationUser/Resource"),
                rule,
                "The replication user's password lives in two places that must change together: "
                "the role on RDS and the Azure subscription's stored connection (ALTER "
                "SUBSCRIPTION ... CONNECTION). A rotation Lambda would break replication; "
                "rotation is `replicate database --setup` after a new secret value (runbook in "
                "docs/database-to-azure.md).",
            )
    if replica:
        for rule in ("AwsSolutions-RDS2", "NIST.800.53.R5-RDSStorageEncrypted"):
            acknowledge(
                database,
                rule,
                "A read replica is encrypted because its source is; CloudFormation rejects "
                "StorageEncrypted next to SourceDBInstanceIdentifier (cfn-lint F3020). KmsKeyId "
                "names this region's database key, which encrypts the replica's storage.",
            )
    if not multi_az:
        for rule in ("AwsSolutions-RDS3", "NIST.800.53.R5-RDSMultiAZSupport"):
            acknowledge(
                database,
                rule,
                "This environment's config sets data.database.multi_az false (a development "
                "environment: cost over availability); staging and production run multi-AZ.",
            )
    if not deletion_protection:
        for rule in ("AwsSolutions-RDS10", "NIST.800.53.R5-RDSInstanceDeletionProtectionEnabled"):
            acknowledge(
                database,
                rule,
                "This environment's config sets deletion_protection false so the environment "
                "can be torn down; production has deletion protection on.",
            )
    if not multi_node_cache:
        acknowledge(
            cache,
            "AwsSolutions-AEC4",
            "This environment's config runs one Redis node (data.cache.num_nodes 1, cost over "
            "availability); multi-AZ with automatic failover needs two or more.",
        )
