"""Automatic rotation of the origin secret: a Secrets Manager rotation schedule and its Lambda
(``lambdas/origin_rotation``), which writes every new value into the ALB listener rules of every
region and into every CloudFront distribution that sends the header (what the steps do, and why in
that order, is in the Lambda package's docstring).

The function finds its targets without exports: the listener rule of each ALB region through the
SSM parameter the compute stack writes there (``Names.origin_check_rule_parameter``), the
distributions by the ids this stack passes in ``DISTRIBUTIONS_VARIABLE`` (ids only; no secret in
the environment). What it may touch is exactly that: the secret, those parameters, listener rules
tagged ``origin-secret=<secret name>`` in the ALB regions, those distributions. The secret is
encrypted with the AWS managed key ``aws/secretsmanager``, which needs no KMS grant (Secrets
Manager user guide, "Lambda rotation function execution role permissions").
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.config.backup import BackupConfig
from infra.constructs.backup_job import BackupJob
from infra.constructs.dead_letter_queue import dead_letter_queue
from infra.constructs.lambda_runtime import RUNTIME, architecture, lambda_code, powertools_layer
from infra.constructs.origin_secret import RULE_TAG
from infra.constructs.retention import log_retention

HANDLER = "origin_rotation.handler.handler"
SETTINGS_VARIABLE = "ORIGIN_ROTATION_SETTINGS"
DISTRIBUTIONS_VARIABLE = "ORIGIN_ROTATION_DISTRIBUTIONS"


@dataclass(frozen=True)
class LambdaRuntime:
    """How the project's Lambdas run (the backup tier's settings: config ``backup``)."""

    code: lambda_.Code
    runtime: lambda_.Runtime
    architecture: lambda_.Architecture
    layers: Sequence[lambda_.ILayerVersion]
    memory_mb: int
    timeout: Duration
    log_retention: logs.RetentionDays


def runtime_like_the_jobs(scope: Construct, backup: BackupConfig) -> LambdaRuntime:
    """The backup jobs' runtime, layer, sizes and log retention, for a Lambda of another tier."""
    return LambdaRuntime(
        code=lambda_code(),
        runtime=RUNTIME,
        architecture=architecture(backup.architecture),
        layers=[powertools_layer(scope, backup.architecture, backup.powertools_layer_version)],
        memory_mb=backup.memory_mb,
        timeout=Duration.seconds(backup.timeout_seconds),
        log_retention=log_retention(backup.log_retention_days),
    )


@dataclass(frozen=True)
class RotationTargets:
    secret: secretsmanager.ISecret
    secret_name: str
    header_name: str
    alb_regions: list[str]
    rule_parameter: str
    """SSM parameter name (the same in every ALB region) holding the header rule's ARN."""
    distributions: list[cloudfront.IDistribution]
    web_acl_arn: str
    """The distributions' web ACL: CloudFront checks that whoever updates a distribution may
    read the web ACL it names."""


class OriginSecretRotation(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function_name: str,
        targets: RotationTargets,
        settings: dict[str, Any],
        runtime: LambdaRuntime,
        rotation_days: int,
        key: kms.IKey,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.targets = targets
        self.dead_letters = dead_letter_queue(
            self, "DeadLetters", key=key, removal_policy=removal_policy
        )
        self.job = BackupJob(
            self,
            "Function",
            function_name=function_name,
            handler=HANDLER,
            code=runtime.code,
            runtime=runtime.runtime,
            architecture=runtime.architecture,
            layers=runtime.layers,
            memory_mb=runtime.memory_mb,
            timeout=runtime.timeout,
            environment={
                SETTINGS_VARIABLE: json.dumps(settings, sort_keys=True),
                # Tokens (Ref of each distribution), joined by CloudFormation at deploy time.
                DISTRIBUTIONS_VARIABLE: ",".join(d.distribution_id for d in targets.distributions),
                "POWERTOOLS_SERVICE_NAME": "origin-rotation",
            },
            log_retention=runtime.log_retention,
            key=key,
            dead_letter_queue=self.dead_letters,
            # Secrets Manager invokes each step synchronously and retries the whole rotation.
            async_retries=0,
            # Not reserved: Secrets Manager's troubleshooting guide names insufficient
            # concurrency as a cause of failed rotations.
            reserved_concurrency=None,
            statements=self._statements(),
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.function = self.job.function
        # Secrets Manager of this account only (CDK's RotationSchedule would grant any).
        self.function.add_permission(
            "SecretsManagerInvoke",
            principal=iam.ServicePrincipal("secretsmanager.amazonaws.com"),
            source_account=Stack.of(self).account,
        )
        self.schedule = secretsmanager.CfnRotationSchedule(
            self,
            "Schedule",
            secret_id=targets.secret.secret_arn,
            rotation_lambda_arn=self.function.function_arn,
            rotation_rules=secretsmanager.CfnRotationSchedule.RotationRulesProperty(
                schedule_expression=f"rate({rotation_days} days)"
            ),
            # On creation this is the first rotation, which adds the secret's "previous" value
            # before the compute stacks' listener rules read it.
            rotate_immediately_on_update=True,
        )
        # Secrets Manager checks that it may invoke the function when the schedule is created.
        self.schedule.node.add_dependency(self.function.node.find_child("SecretsManagerInvoke"))

    def _statements(self) -> list[iam.PolicyStatement]:
        stack = Stack.of(self)
        targets = self.targets
        return [
            iam.PolicyStatement(
                sid="RotateTheOriginSecret",
                actions=[
                    "secretsmanager:DescribeSecret",
                    "secretsmanager:GetSecretValue",
                    "secretsmanager:PutSecretValue",
                    "secretsmanager:UpdateSecretVersionStage",
                ],
                resources=[targets.secret.secret_arn],
            ),
            iam.PolicyStatement(
                sid="GenerateValues",
                actions=["secretsmanager:GetRandomPassword"],
                resources=["*"],  # no resource-level permissions
            ),
            iam.PolicyStatement(
                sid="FindTheHeaderRules",
                actions=["ssm:GetParameter"],
                resources=[
                    stack.format_arn(
                        service="ssm",
                        region=region,
                        resource="parameter",
                        resource_name=targets.rule_parameter.lstrip("/"),
                    )
                    for region in targets.alb_regions
                ],
            ),
            iam.PolicyStatement(
                sid="ReadTheHeaderRules",
                actions=["elasticloadbalancing:DescribeRules"],
                resources=["*"],  # no resource-level permissions
            ),
            iam.PolicyStatement(
                sid="ModifyOnlyTheHeaderRules",
                actions=["elasticloadbalancing:ModifyRule"],
                # ALB names are generated, so the ARNs are matched up to the rule; the tag the
                # compute stacks put on the header rule (and on no other) does the narrowing.
                resources=[
                    stack.format_arn(
                        service="elasticloadbalancing",
                        region=region,
                        resource="listener-rule",
                        resource_name="app/*",
                    )
                    for region in targets.alb_regions
                ],
                conditions={"StringEquals": {f"aws:ResourceTag/{RULE_TAG}": targets.secret_name}},
            ),
            iam.PolicyStatement(
                sid="SendTheHeader",
                actions=[
                    "cloudfront:GetDistribution",
                    "cloudfront:GetDistributionConfig",
                    "cloudfront:UpdateDistribution",
                ],
                resources=[d.distribution_arn for d in targets.distributions],
            ),
            iam.PolicyStatement(
                sid="ReadTheDistributionsWebAcl",
                actions=["wafv2:GetWebACL"],
                resources=[targets.web_acl_arn],
            ),
        ]
