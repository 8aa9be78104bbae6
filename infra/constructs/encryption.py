"""Customer-managed KMS keys with rotation and least-privilege service grants."""

from __future__ import annotations

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct


def rotating_key(
    scope: Construct, construct_id: str, *, alias: str, purpose: str, removal_policy: RemovalPolicy
) -> kms.Key:
    """A symmetric customer-managed key with yearly rotation, described by its purpose."""
    return kms.Key(
        scope,
        construct_id,
        alias=alias,
        description=f"{purpose} ({alias})",
        enable_key_rotation=True,
        removal_policy=removal_policy,
    )


class LogsEncryptionKey(Construct):
    """A key that CloudWatch Logs may use, but only for log groups of this account and region."""

    def __init__(
        self, scope: Construct, construct_id: str, *, alias: str, removal_policy: RemovalPolicy
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.key = rotating_key(
            self,
            "Key",
            alias=alias,
            purpose="CloudWatch Logs encryption",
            removal_policy=removal_policy,
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchLogsOfThisAccountAndRegion",
                principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
                actions=[
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                resources=["*"],  # in a key policy "*" means this key
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:*"
                        )
                    }
                },
            )
        )


def customer_key(
    scope: Construct,
    construct_id: str,
    *,
    alias: str,
    description: str,
    removal_policy: RemovalPolicy,
) -> kms.Key:
    """A symmetric key with yearly rotation whose policy delegates to IAM in this account only.

    AWS services (RDS, ElastiCache, S3, Secrets Manager) use such a key on behalf of the calling
    principal, so no service principal is needed in the key policy: who may use the key is decided
    by the IAM policies of the roles that call those services, each scoped to this key.
    """
    return kms.Key(
        scope,
        construct_id,
        alias=alias,
        description=description,
        enable_key_rotation=True,
        removal_policy=removal_policy,
    )
