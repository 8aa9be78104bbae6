"""Storage tier of one region.

Creates: the storage KMS key (``alias/fdr-<env>-storage`` in every region), the backup KMS key
(``alias/fdr-<env>-backup`` in every region: the key the backup jobs re-encrypt snapshot copies
with, and the key of the primary database's automated backups replicated into the standby
region; it lives here, not in the data stack, because the primary database needs the standby's
key when it is created, before the standby's data stack can exist), the data bucket
(versioned, SSE-KMS with that key, TLS-only, no public access, lifecycle from config) and its
server-access-log bucket; where objects replicate to Azure (``event_bridge``), the bucket
sends its object events to EventBridge. In the primary region the data bucket replicates every
object into the data bucket of every replica and standby region, re-encrypted there with that
region's storage key; those stacks deploy first (see ``infra/app_builder.py``).

Exposes ``storage_key``, ``backup_key``, ``data_bucket``, ``access_log_bucket`` and, in the
primary region, ``replication_role``."""

from __future__ import annotations

from typing import Any

from aws_cdk import RemovalPolicy
from constructs import Construct

from infra.config.storage import StorageConfig
from infra.constructs.data_bucket import DataBucket, ReplicationTarget
from infra.constructs.encryption import customer_key
from infra.stacks.base import RegionalStack


class StorageStack(RegionalStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        storage: StorageConfig,
        bucket_name: str,
        access_log_bucket_name: str,
        storage_key_alias: str,
        backup_key_alias: str,
        replication_targets: list[ReplicationTarget],
        removal_policy: RemovalPolicy,
        event_bridge: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.storage_key = customer_key(
            self,
            "StorageKey",
            alias=storage_key_alias,
            description="Objects of the data bucket of this region",
            via_services=["s3"],
            removal_policy=removal_policy,
        )
        self.backup_key = customer_key(
            self,
            "BackupKey",
            alias=backup_key_alias,
            description="Database snapshot copies and replicated automated backups in this region",
            via_services=["rds"],
            removal_policy=removal_policy,
        )
        lifecycle = storage.lifecycle
        self.buckets = DataBucket(
            self,
            "Buckets",
            bucket_name=bucket_name,
            access_log_bucket_name=access_log_bucket_name,
            key=self.storage_key,
            infrequent_access_after_days=lifecycle.infrequent_access_after_days,
            glacier_after_days=lifecycle.glacier_after_days,
            noncurrent_expiration_days=lifecycle.noncurrent_expiration_days,
            abort_incomplete_multipart_days=lifecycle.abort_incomplete_multipart_days,
            access_log_retention_days=storage.access_log_retention_days,
            removal_policy=removal_policy,
            event_bridge=event_bridge,
        )
        if replication_targets:
            self.buckets.replicate_to(
                replication_targets,
                storage_class=storage.replication.storage_class,
                time_control=storage.replication.time_control,
                metrics=storage.replication.metrics,
            )
        self.data_bucket = self.buckets.bucket
        self.access_log_bucket = self.buckets.access_log_bucket
        self.replication_role = self.buckets.replication_role
