"""AWS SDK calls made by CloudFormation (``AwsCustomResource``) under one least-privilege role."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import custom_resources as cr
from constructs import Construct

# One small API call per invocation; CDK's default is the same, stated so it is reviewable.
SDK_CALL_MEMORY_MB = 512


class SdkCalls(Construct):
    """Every ``AwsCustomResource`` of a stack runs in CDK's one singleton Lambda function. This
    construct gives that function a role whose permissions are customer-managed policies (one
    per purpose, scoped to named resources) and a KMS-encrypted log group with a retention,
    instead of CDK's default inline policies and never-expiring log group."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        log_key: kms.IKey,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            encryption_key=log_key,
            retention=log_retention,
            removal_policy=removal_policy,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Runs the stack's AWS SDK calls (AwsCustomResource)",
        )
        self.logs_policy = self.add_policy(
            "WriteOwnLogs",
            [
                iam.PolicyStatement(
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[self.log_group.log_group_arn],
                )
            ],
        )

    def add_policy(
        self, policy_id: str, statements: list[iam.PolicyStatement]
    ) -> iam.ManagedPolicy:
        return iam.ManagedPolicy(self, policy_id, statements=statements, roles=[self.role])

    def call(
        self,
        scope: Construct,
        construct_id: str,
        *,
        on_create: cr.AwsSdkCall | None = None,
        on_update: cr.AwsSdkCall | None = None,
        on_delete: cr.AwsSdkCall | None = None,
        permissions: list[iam.ManagedPolicy],
    ) -> cr.AwsCustomResource:
        """An SDK call that CloudFormation makes only once ``permissions`` are attached to the
        role (and removes before them, so a delete call still has its permission)."""
        resource = cr.AwsCustomResource(
            scope,
            construct_id,
            on_create=on_create,
            on_update=on_update,
            on_delete=on_delete,
            role=self.role.without_policy_updates(),
            log_group=self.log_group,
            install_latest_aws_sdk=False,  # the runtime's bundled SDK: no download at deploy
            memory_size=SDK_CALL_MEMORY_MB,
        )
        resource.node.add_dependency(self.logs_policy, *permissions)
        return resource
