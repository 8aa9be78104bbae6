"""Data tier of one region.

Creates: the region's database KMS key (alias ``alias/fdr-<env>-database``, the same in every
region so that other regions and the backup jobs can compute its ARN), the PostgreSQL instance
(the primary in the primary region, a cross-region read replica of it everywhere else; the
standby region's replica is the one a failover promotes), and the Redis replication group with
its AUTH-token secret. Both data stores sit in the isolated data subnets behind the network
stack's db_tier / cache_tier groups.

The backup key (``alias/fdr-<env>-backup``) lives in the storage stack: the primary database's
cross-Region automated backup replication needs the standby's key before the primary exists,
and the standby's data stack deploys after the primary's (its replica needs the primary).

In continuous mode (``database_replication.mode: continuous``) the primary's stack also holds
the replication user's login in Secrets Manager (``replication_secret``: JSON ``username`` and
a generated ``password``, encrypted with the database key, no value in the template);
``python -m azure_dr replicate database --setup`` creates that role on the primary with it and
gives the Azure subscription its connection (docs/database-to-azure.md).

Exposes ``database_key``, ``database`` (PostgresInstance: ``instance``,
``log_groups``), ``cache`` (RedisGroup: ``group``, ``auth_secret``, ``log_groups``),
``replication_secret`` (or None).
"""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.config.data import CacheConfig, DatabaseConfig
from infra.constructs.encryption import customer_key
from infra.constructs.postgres import PostgresInstance, Primary, Replica, Storage
from infra.constructs.redis import RedisGroup
from infra.constructs.retention import log_retention
from infra.stacks.base import RegionalStack


class DataStack(RegionalStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        database: DatabaseConfig,
        cache: CacheConfig,
        database_identifier: str,
        replica_of: Replica | None,
        redis_group_id: str,
        database_key_alias: str,
        vpc: ec2.IVpc,
        data_subnets: ec2.SubnetSelection,
        db_security_group: ec2.ISecurityGroup,
        cache_security_group: ec2.ISecurityGroup,
        postgres_port: int,
        redis_port: int,
        logs_key: kms.IKey,
        deletion_protection: bool,
        removal_policy: RemovalPolicy,
        logical_replication: bool = False,
        replication_login: tuple[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        """``replication_login``: (secret name, user name) of continuous mode's replication
        user, created in the primary's stack only."""
        super().__init__(scope, construct_id, **kwargs)
        self.database_key = customer_key(
            self,
            "DatabaseKey",
            alias=database_key_alias,
            description="PostgreSQL storage, Performance Insights, master secret, Redis",
            via_services=["rds", "secretsmanager", "elasticache"],
            removal_policy=removal_policy,
        )
        role: Primary | Replica = replica_of or Primary(
            engine_version=database.engine_version,
            database_name=database.database_name,
            master_username=database.master_username,
        )
        self.database = PostgresInstance(
            self,
            "Postgres",
            identifier=database_identifier,
            role=role,
            parameter_group_family=f"postgres{database.engine_version.split('.')[0]}",
            # the publisher of continuous mode: the primary only
            logical_replication=logical_replication and replica_of is None,
            instance_class=(
                database.instance_class if replica_of is None else database.replica_instance_class
            ),
            storage=Storage(
                allocated_gb=database.allocated_storage_gb,
                max_allocated_gb=database.max_allocated_storage_gb,
                iops=database.iops,
            ),
            multi_az=database.multi_az,
            port=postgres_port,
            vpc=vpc,
            subnets=data_subnets,
            security_group=db_security_group,
            key=self.database_key,
            logs_key=logs_key,
            log_retention=log_retention(database.log_retention_days),
            backup_retention_days=database.backup_retention_days,
            backup_window=database.backup_window,
            maintenance_window=database.maintenance_window,
            performance_insights_retention_days=database.performance_insights_retention_days,
            monitoring_interval_seconds=database.monitoring_interval_seconds,
            deletion_protection=deletion_protection,
            removal_policy=removal_policy,
        )
        self.replication_secret: secretsmanager.Secret | None = None
        if replication_login is not None and replica_of is None:
            secret_name, user = replication_login
            self.replication_secret = secretsmanager.Secret(
                self,
                "ReplicationUser",
                secret_name=secret_name,
                description="Continuous mode: login of the user the Azure subscription "
                "replicates as (azure_dr replicate database)",
                encryption_key=self.database_key,
                generate_secret_string=secretsmanager.SecretStringGenerator(
                    secret_string_template=json.dumps({"username": user}),
                    generate_string_key="password",
                    password_length=40,
                    # The password travels in a libpq conninfo and SQL literal: letters and
                    # digits only, nothing to quote.
                    exclude_punctuation=True,
                    include_space=False,
                ),
                removal_policy=removal_policy,
            )
        self.cache = RedisGroup(
            self,
            "Redis",
            group_id=redis_group_id,
            engine_version=cache.engine_version,
            node_type=cache.node_type,
            num_nodes=cache.num_nodes,
            port=redis_port,
            subnet_ids=vpc.select_subnets(
                subnet_group_name=data_subnets.subnet_group_name
            ).subnet_ids,
            security_group=cache_security_group,
            key=self.database_key,
            logs_key=logs_key,
            log_retention=log_retention(cache.log_retention_days),
            snapshot_retention_days=cache.snapshot_retention_days,
            snapshot_window=cache.snapshot_window,
            maintenance_window=cache.maintenance_window,
            removal_policy=removal_policy,
        )
