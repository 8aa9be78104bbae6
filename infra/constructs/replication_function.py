"""One function of the replication tier: a Lambda function on a role it shares with the other
(the Entra federated credential trusts exactly one role), with its own encrypted log group,
X-Ray tracing and error alarm."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct


class ReplicationFunction(Construct):
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
        role: iam.IRole,
        reserved_concurrency: int | None,
        dead_letter_queue: sqs.IQueue | None,
        removal_policy: RemovalPolicy,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_group: ec2.ISecurityGroup | None = None,
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
            role=role,
            log_group=self.log_group,
            tracing=lambda_.Tracing.ACTIVE,
            reserved_concurrent_executions=reserved_concurrency,
            dead_letter_queue=dead_letter_queue,
            retry_attempts=2 if dead_letter_queue else None,
            max_event_age=Duration.hours(1) if dead_letter_queue else None,
            # In the VPC: a fixed egress (the NAT Elastic IPs) the Azure storage firewall admits.
            vpc=vpc,
            vpc_subnets=vpc_subnets,
            security_groups=[security_group] if security_group else None,
        )
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
