"""A region's data bucket (KMS, versioned, TLS-only, lifecycle) with its access-log bucket, and
the optional replication of the data bucket into other regions' data buckets."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.constructs.log_bucket import log_delivery_bucket


@dataclass(frozen=True)
class ReplicationTarget:
    """A destination of another region, addressed by names only (no cross-region objects)."""

    region: str
    bucket_name: str
    key_alias: str


class DataBucket(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket_name: str,
        access_log_bucket_name: str,
        key: kms.IKey,
        infrequent_access_after_days: int,
        glacier_after_days: int,
        noncurrent_expiration_days: int,
        abort_incomplete_multipart_days: int,
        access_log_retention_days: int,
        removal_policy: RemovalPolicy,
        event_bridge: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self.access_log_bucket = log_delivery_bucket(
            self,
            "AccessLogs",
            bucket_name=access_log_bucket_name,
            retention_days=access_log_retention_days,
            removal_policy=removal_policy,
        )
        self.bucket = s3.Bucket(
            self,
            "Data",
            bucket_name=bucket_name,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key,
            bucket_key_enabled=True,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            server_access_logs_bucket=self.access_log_bucket,
            server_access_logs_prefix=f"{bucket_name}/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="tiering-and-version-expiry",
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                            transition_after=Duration.days(infrequent_access_after_days),
                        ),
                        s3.Transition(
                            storage_class=s3.StorageClass.GLACIER,
                            transition_after=Duration.days(glacier_after_days),
                        ),
                    ],
                    noncurrent_version_expiration=Duration.days(noncurrent_expiration_days),
                    abort_incomplete_multipart_upload_after=Duration.days(
                        abort_incomplete_multipart_days
                    ),
                )
            ],
            removal_policy=removal_policy,
        )
        if event_bridge:
            # Object events for the replication to Azure, set on the CloudFormation resource:
            # the L2 switch would deploy a notifications custom-resource Lambda for it.
            cfn = self.bucket.node.default_child
            assert isinstance(cfn, s3.CfnBucket)
            cfn.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
                event_bridge_configuration=s3.CfnBucket.EventBridgeConfigurationProperty(
                    event_bridge_enabled=True
                )
            )
        self.key = key
        self.bucket_name = bucket_name
        self.replication_role: iam.Role | None = None
        self.replication_wildcards: list[str] = []

    def replicate_to(
        self,
        targets: list[ReplicationTarget],
        *,
        storage_class: str,
        time_control: bool,
        metrics: bool,
    ) -> None:
        """Replicate every object, delete marker and tag into each target, re-encrypted there with
        the target region's key (addressed by alias ARN: an object would create a cycle)."""
        stack = Stack.of(self)
        arn = f"arn:{stack.partition}"
        # Plain ARNs from names, so that the policy needs no token of the bucket.
        source = f"{arn}:s3:::{self.bucket_name}"
        destination_objects = [f"{arn}:s3:::{t.bucket_name}/*" for t in targets]
        destination_keys = [f"{arn}:kms:{t.region}:{stack.account}:key/*" for t in targets]
        role = iam.Role(
            self,
            "ReplicationRole",
            assumed_by=iam.ServicePrincipal("s3.amazonaws.com"),
            description=f"S3 replication of {self.bucket_name} into the other regions",
        )
        # A managed policy, not the role's inline default policy (NIST IAMNoInlinePolicy).
        iam.ManagedPolicy(
            self,
            "ReplicationPolicy",
            roles=[role],
            statements=[
                iam.PolicyStatement(
                    actions=["s3:GetReplicationConfiguration", "s3:ListBucket"],
                    resources=[source],
                ),
                iam.PolicyStatement(
                    actions=[
                        "s3:GetObjectVersionForReplication",
                        "s3:GetObjectVersionAcl",
                        "s3:GetObjectVersionTagging",
                    ],
                    resources=[f"{source}/*"],
                ),
                iam.PolicyStatement(
                    actions=["kms:Decrypt"],
                    resources=[self.key.key_arn],
                ),
                iam.PolicyStatement(
                    actions=["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                    resources=destination_objects,
                ),
                # IAM cannot name a key by alias: any key of the target regions, but only the one
                # carrying the storage alias (kms:ResourceAliases).
                iam.PolicyStatement(
                    actions=["kms:Encrypt", "kms:GenerateDataKey"],
                    resources=destination_keys,
                    conditions={
                        "ForAnyValue:StringEquals": {
                            "kms:ResourceAliases": sorted({t.key_alias for t in targets})
                        }
                    },
                ),
            ],
        )
        cfn = s3.CfnBucket
        rules = []
        for priority, target in enumerate(targets):
            rules.append(
                cfn.ReplicationRuleProperty(
                    id=f"to-{target.region}",
                    priority=priority,
                    status="Enabled",
                    filter=cfn.ReplicationRuleFilterProperty(prefix=""),
                    delete_marker_replication=cfn.DeleteMarkerReplicationProperty(status="Enabled"),
                    source_selection_criteria=cfn.SourceSelectionCriteriaProperty(
                        sse_kms_encrypted_objects=cfn.SseKmsEncryptedObjectsProperty(
                            status="Enabled"
                        )
                    ),
                    destination=cfn.ReplicationDestinationProperty(
                        bucket=f"{arn}:s3:::{target.bucket_name}",
                        storage_class=storage_class,
                        encryption_configuration=cfn.EncryptionConfigurationProperty(
                            replica_kms_key_id=(
                                f"{arn}:kms:{target.region}:{stack.account}:{target.key_alias}"
                            )
                        ),
                        metrics=cfn.MetricsProperty(
                            status="Enabled",
                            event_threshold=cfn.ReplicationTimeValueProperty(minutes=15),
                        )
                        if metrics or time_control
                        else None,
                        replication_time=cfn.ReplicationTimeProperty(
                            status="Enabled", time=cfn.ReplicationTimeValueProperty(minutes=15)
                        )
                        if time_control
                        else None,
                    ),
                )
            )
        cfn_bucket = self.bucket.node.default_child
        assert isinstance(cfn_bucket, s3.CfnBucket)
        cfn_bucket.replication_configuration = cfn.ReplicationConfigurationProperty(
            role=role.role_arn, rules=rules
        )
        self.replication_role = role
        self.replication_wildcards = [f"{source}/*", *destination_objects, *destination_keys]
