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
    return _yearly_rotating_key(
        scope, construct_id, alias, f"{purpose} ({alias})", None, removal_policy
    )


def _yearly_rotating_key(
    scope: Construct,
    construct_id: str,
    alias: str,
    description: str,
    policy: iam.PolicyDocument | None,
    removal_policy: RemovalPolicy,
) -> kms.Key:
    # With the @aws-cdk/aws-kms:defaultKeyPolicies flag a given policy replaces CDK's default
    # policy (account root may do kms:*) instead of adding to it.
    return kms.Key(
        scope,
        construct_id,
        alias=alias,
        description=description,
        enable_key_rotation=True,
        policy=policy,
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


# Key administration without key use: an administrator can manage, rotate and schedule deletion
# but cannot encrypt or decrypt (nor grant itself the right to) outside the services below.
_KEY_ADMINISTRATION = [
    "kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias",
    "kms:DescribeKey", "kms:List*", "kms:Get*",
    "kms:EnableKey", "kms:DisableKey", "kms:EnableKeyRotation", "kms:DisableKeyRotation",
    "kms:RotateKeyOnDemand", "kms:PutKeyPolicy", "kms:UpdateKeyDescription",
    "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
]  # fmt: skip
_KEY_USE = [
    "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey",
    "kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant",
]  # fmt: skip


def customer_key(
    scope: Construct,
    construct_id: str,
    *,
    alias: str,
    description: str,
    via_services: list[str],
    removal_policy: RemovalPolicy,
) -> kms.Key:
    """A symmetric key with yearly rotation that principals of this account can use only through
    the named AWS services of this region (``kms:ViaService``), e.g. ``["rds", "secretsmanager"]``.

    RDS, ElastiCache, S3 and Secrets Manager use such a key on behalf of the calling principal,
    so the key policy names services, not roles; which roles may call those services with this
    key is then decided by their IAM policies (each scoped to the key's alias).
    """
    stack = Stack.of(scope)
    account = iam.AccountRootPrincipal()
    policy = iam.PolicyDocument(
        statements=[
            iam.PolicyStatement(
                sid="KeyAdministrationByThisAccount",
                principals=[account],
                actions=_KEY_ADMINISTRATION,
                resources=["*"],  # in a key policy "*" means this key
            ),
            iam.PolicyStatement(
                sid="UseOnlyThroughTheServicesThatEncryptWithIt",
                principals=[account],
                actions=_KEY_USE,
                resources=["*"],
                conditions={
                    "StringEquals": {
                        "kms:CallerAccount": stack.account,
                        "kms:ViaService": [
                            f"{service}.{stack.region}.amazonaws.com" for service in via_services
                        ],
                    }
                },
            ),
        ]
    )
    return _yearly_rotating_key(scope, construct_id, alias, description, policy, removal_policy)
