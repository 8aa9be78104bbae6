"""One scheduled-or-manual backup job: a Lambda function with its own role, managed policy,
encrypted log group, dead-letter queue, X-Ray tracing, error alarm and, when asked for, reserved
concurrency."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct


@dataclass(frozen=True)
class VpcPlacement:
    """Where a job that must reach something inside the VPC runs."""

    vpc: ec2.IVpc
    subnets: ec2.SubnetSelection
    security_group: ec2.ISecurityGroup


class BackupJob(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function_name: str,
        handler: str,
        code: lambda_.Code,
        runtime: lambda_.Runtime,
        architecture: lambda_.Architecture,
        layers: Sequence[lambda_.ILayerVersion],
        memory_mb: int,
        timeout: Duration,
        environment: dict[str, str],
        log_retention: logs.RetentionDays,
        key: kms.IKey,
        dead_letter_queue: sqs.IQueue,
        async_retries: int,
        reserved_concurrency: int | None,
        statements: Sequence[iam.PolicyStatement],
        removal_policy: RemovalPolicy,
        network: VpcPlacement | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/aws/lambda/{function_name}",
            retention=log_retention,
            encryption_key=key,
            removal_policy=removal_policy,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Execution role of {function_name}",
        )
        # A managed policy (not CDK's inline default): everything the job may do, in one place.
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(
                    sid="WriteOwnLogs",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[self.log_group.log_group_arn],
                ),
                iam.PolicyStatement(
                    sid="Tracing",
                    actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                    resources=["*"],  # X-Ray has no resource-level permissions
                ),
                iam.PolicyStatement(
                    sid="DeadLetters",
                    actions=["sqs:SendMessage"],
                    resources=[dead_letter_queue.queue_arn],
                ),
                iam.PolicyStatement(
                    sid="DeadLetterEncryption",
                    actions=["kms:GenerateDataKey", "kms:Decrypt"],
                    resources=[key.key_arn],
                ),
                *statements,
            ],
        )
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=function_name,
            runtime=runtime,
            architecture=architecture,
            handler=handler,
            code=code,
            layers=list(layers),
            memory_size=memory_mb,
            timeout=timeout,
            environment=environment,
            environment_encryption=key,
            role=self.role.without_policy_updates(),
            log_group=self.log_group,
            tracing=lambda_.Tracing.ACTIVE,
            # None by default: reserving is rejected in accounts whose unreserved concurrency
            # would drop below 100, and overlapping runs of these idempotent jobs are harmless.
            reserved_concurrent_executions=reserved_concurrency,
            dead_letter_queue=dead_letter_queue,
            retry_attempts=async_retries,
            max_event_age=Duration.hours(1),
            # In a VPC the ENI permissions come from ``statements`` (the role takes no updates,
            # so CDK's AWSLambdaVPCAccessExecutionRole attachment does not happen).
            vpc=network.vpc if network else None,
            vpc_subnets=network.subnets if network else None,
            security_groups=[network.security_group] if network else None,
        )
        self.function.node.add_dependency(self.policy)
        self.errors_alarm = cloudwatch.Alarm(
            self,
            "ErrorsAlarm",
            alarm_description=f"{function_name} failed (see its log group)",
            metric=self.function.metric_errors(period=Duration.minutes(5), statistic="Sum"),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
