"""Replication tier: S3 objects of one region's data bucket to the Azure DR storage account.

Runs where the data bucket is a replica (the standby region; the primary in an environment
without standby), so the copies never load the primary. Creates:

- a rotating KMS key ``alias/<project>-<env>-replication`` (logs, queues, environment);
- an EventBridge rule for the bucket's ``Object Created`` / ``Object Deleted`` events (the
  storage stack turns EventBridge notifications on for that bucket) into an encrypted SQS queue,
  drained in batches by the ``objects`` function (partial batch failures; after
  ``max_receive_count`` deliveries an event goes to the dead-letter queue);
- the ``reconcile`` function on an EventBridge Scheduler schedule (reserved concurrency 1): lists
  both sides, publishes the lag, copies what events missed, applies deletes after the delay;
- ONE IAM role for both functions, named by ``Names.object_replicator_role`` because the Entra
  federated credential of the Azure managed identity trusts its ARN (the token's subject). It
  may read the bucket (KMS decrypt through S3 only) and obtain AWS web identity tokens for the
  configured audience, algorithm and lifetime only; no Azure secret exists anywhere;
- alarms: replication lag at the objects RPO (missing data breaching), function errors,
  dead-letter depth. Like the backup stack's, they carry no action: the region's monitoring
  stack routes them to its alert topic through its composite alarms.

Code: ``lambdas/object_replication`` (boto3/urllib3 of the runtime, Powertools layer; no build).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config.replication import ObjectReplicationConfig
from infra.constructs.database_dump import DatabaseDumpJob
from infra.constructs.dead_letter_queue import dead_letter_queue
from infra.constructs.encryption import LogsEncryptionKey
from infra.constructs.lambda_runtime import RUNTIME, lambda_code, powertools_layer
from infra.constructs.lambda_runtime import architecture as lambda_architecture
from infra.constructs.replication_function import ReplicationFunction
from infra.constructs.retention import log_retention
from infra.constructs.scheduler_role import scheduler_role
from infra.replication_settings import METRIC_NAMESPACE
from infra.stacks.base import RegionalStack

LAG_METRIC = "ReplicationLagSeconds"
# The Azure side of the replication settings the dump job needs too.
AZURE_SETTINGS = (
    "blob_endpoint", "tenant_id", "client_id", "authority_host", "token_audience",
    "signing_algorithm", "token_duration_seconds",
)  # fmt: skip


@dataclass(frozen=True)
class Placement:
    """Where the functions and the dump job run: the region VPC's application subnets."""

    vpc: ec2.IVpc
    subnets: ec2.SubnetSelection
    https_port: int


# The dimension set the reconcile function's EMF carries (object_replication/runtime.py).
LAG_DIMENSIONS = {"DataSet": "objects"}
S3_EVENTS = ["Object Created", "Object Deleted"]


class ReplicationStack(RegionalStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        replication: ObjectReplicationConfig,
        settings: dict[str, Any],
        source_bucket: str,
        storage_key_alias: str,
        role_name: str,
        resource_prefix: str,
        key_alias: str,
        powertools_layer_version: int,
        architecture: str,
        removal_policy: RemovalPolicy,
        placement: Placement | None = None,
        database_dump: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.placement = placement
        self.config = replication
        self.prefix = resource_prefix
        self.key = LogsEncryptionKey(
            self, "Key", alias=key_alias, removal_policy=removal_policy
        ).key
        self.dead_letters = dead_letter_queue(
            self, "DeadLetters", key=self.key, removal_policy=removal_policy
        )
        self.queue = sqs.Queue(
            self,
            "Events",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.key,
            enforce_ssl=True,
            # AWS: at least the function timeout; six times it absorbs retries of a batch.
            visibility_timeout=Duration.seconds(6 * replication.timeout_seconds),
            retention_period=Duration.days(4),
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letters, max_receive_count=replication.max_receive_count
            ),
            removal_policy=removal_policy,
        )
        self.rule = events.Rule(
            self,
            "ObjectEvents",
            rule_name=f"{resource_prefix}-object-events",
            description=f"S3 object events of {source_bucket} for replication to Azure",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=S3_EVENTS,
                detail={"bucket": {"name": [source_bucket]}},
            ),
            targets=[targets.SqsQueue(self.queue, dead_letter_queue=self.dead_letters)],
        )
        self._allow_eventbridge()
        services = ["lambda.amazonaws.com"] + (["ecs-tasks.amazonaws.com"] if database_dump else [])
        self.role = iam.Role(
            self,
            "Role",
            role_name=role_name,
            # The dump task shares the role: the federated credential trusts this one ARN.
            assumed_by=iam.CompositePrincipal(*(iam.ServicePrincipal(s) for s in services)),
            description="Object replication to Azure (trusted by the Entra federated credential)",
        )
        self.security_group: ec2.SecurityGroup | None = None
        if placement is not None:
            self.security_group = ec2.SecurityGroup(
                self,
                "FunctionsSecurityGroup",
                vpc=placement.vpc,
                description="object replication functions: HTTPS out only (AWS, Entra, Azure)",
                allow_all_outbound=False,
            )
            self.security_group.add_egress_rule(
                ec2.Peer.any_ipv4(), ec2.Port.tcp(placement.https_port), "HTTPS out"
            )
        self.functions: dict[str, ReplicationFunction] = {}
        layer = powertools_layer(self, architecture, powertools_layer_version)
        code = lambda_code()
        environment = {
            "REPLICATION_SETTINGS": json.dumps(settings, sort_keys=True),
            "POWERTOOLS_METRICS_NAMESPACE": METRIC_NAMESPACE,
        }
        for name, handler, concurrency, dlq in (
            # The queue's maximum concurrency fits inside the reservation.
            ("objects", "object_replication.events.handler", replication.event_concurrency, None),
            ("reconcile", "object_replication.reconcile.handler", 1, self.dead_letters),
        ):
            self.functions[name] = ReplicationFunction(
                self,
                name.capitalize(),
                function_name=f"{resource_prefix}-{name}",
                handler=handler,
                code=code,
                runtime=RUNTIME,
                architecture=lambda_architecture(architecture),
                layers=[layer],
                memory_mb=replication.memory_mb,
                timeout=Duration.seconds(replication.timeout_seconds),
                environment=environment,
                log_retention=log_retention(replication.log_retention_days),
                key=self.key,
                role=self.role.without_policy_updates(),
                reserved_concurrency=concurrency,
                dead_letter_queue=dlq,
                removal_policy=RemovalPolicy.DESTROY,
                vpc=placement.vpc if placement else None,
                vpc_subnets=placement.subnets if placement else None,
                security_group=self.security_group,
            )
        self.dump: DatabaseDumpJob | None = None
        if database_dump is not None:
            assert placement is not None, "the dump job runs in the VPC"
            self.dump = DatabaseDumpJob(
                self,
                "DatabaseDump",
                vpc=placement.vpc,
                subnets=placement.subnets,
                https_port=placement.https_port,
                settings={k: settings[k] for k in AZURE_SETTINGS} | {"region": self.region},
                task_role=self.role,
                key=self.key,
                dead_letters=self.dead_letters,
                resource_prefix=resource_prefix,
                metric_namespace=METRIC_NAMESPACE,
                **database_dump,
            )
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            roles=[self.role],
            statements=self._statements(settings, source_bucket, storage_key_alias),
        )
        for function in self.functions.values():
            function.function.node.add_dependency(self.policy)
        self.functions["objects"].function.add_event_source(
            sources.SqsEventSource(
                self.queue,
                batch_size=replication.event_batch_size,
                max_batching_window=Duration.seconds(replication.event_batching_window_seconds),
                report_batch_item_failures=True,
                max_concurrency=replication.event_concurrency,
            )
        )
        self._schedule(replication.reconcile_schedule)
        self.lag_alarm = cloudwatch.Alarm(
            self,
            "LagAlarm",
            alarm_description=(
                f"objects not in Azure for longer than the objects RPO "
                f"({replication.rpo_minutes} min), or reconciliation stopped reporting"
            ),
            metric=cloudwatch.Metric(
                namespace=METRIC_NAMESPACE,
                metric_name=LAG_METRIC,
                dimensions_map=LAG_DIMENSIONS,
                statistic="Maximum",
                period=Duration.minutes(replication.rpo_minutes),
            ),
            threshold=replication.rpo_minutes * 60,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        )
        self.dead_letters_alarm = cloudwatch.Alarm(
            self,
            "DeadLettersAlarm",
            alarm_description="an object event or reconciliation run went to the dead-letter queue",
            metric=self.dead_letters.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(5), statistic="Maximum"
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        CfnOutput(
            self,
            "ReplicatorRoleArn",
            value=self.role.role_arn,
            description="Subject of the AWS web identity tokens (Entra federated credential)",
        )

    @property
    def rpo_alarms(self) -> list[cloudwatch.Alarm]:
        """The data sets' recovery points: the objects lag and (dump mode) the dump age."""
        return [self.lag_alarm, *([self.dump.age_alarm] if self.dump else [])]

    @property
    def other_alarms(self) -> list[cloudwatch.Alarm]:
        """Every alarm but the lag: failures of the machinery rather than of the RPO."""
        return [self.dead_letters_alarm, *(f.errors_alarm for f in self.functions.values())]

    def _arn(self, service: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{self.region}:{self.account}:{resource}"

    def _network_statements(self) -> list[iam.PolicyStatement]:
        """What AWSLambdaVPCAccessExecutionRole grants, narrowed to this VPC and group."""
        if self.placement is None or self.security_group is None:
            return []
        vpc = {"ArnEquals": {"ec2:Vpc": self._arn("ec2", f"vpc/{self.placement.vpc.vpc_id}")}}
        return [
            iam.PolicyStatement(
                sid="DescribeNetworkInterfaces",
                actions=["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
                resources=["*"],  # Describe actions have no resource-level permissions
            ),
            iam.PolicyStatement(
                sid="CreateInterfacesInTheVpc",
                actions=["ec2:CreateNetworkInterface"],
                resources=[
                    self._arn("ec2", "network-interface/*"),
                    self._arn("ec2", "subnet/*"),
                    self._arn("ec2", f"security-group/{self.security_group.security_group_id}"),
                ],
                conditions=vpc,
            ),
            iam.PolicyStatement(
                sid="ManageInterfacesInTheVpc",
                actions=[
                    "ec2:DeleteNetworkInterface",
                    "ec2:AssignPrivateIpAddresses",
                    "ec2:UnassignPrivateIpAddresses",
                ],
                resources=[self._arn("ec2", "network-interface/*")],
                conditions=vpc,
            ),
        ]

    def _statements(
        self, settings: dict[str, Any], bucket: str, storage_key_alias: str
    ) -> list[iam.PolicyStatement]:
        bucket_arn = f"arn:{self.partition}:s3:::{bucket}"
        log_groups = [f.log_group.log_group_arn for f in self.functions.values()]
        return [
            *self._network_statements(),
            *([self.dump.connect] if self.dump else []),
            iam.PolicyStatement(
                sid="WriteOwnLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=log_groups,
            ),
            iam.PolicyStatement(
                sid="Tracing",
                actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                resources=["*"],  # X-Ray has no resource-level permissions
            ),
            iam.PolicyStatement(
                sid="ListSource",
                actions=["s3:ListBucket"],
                resources=[bucket_arn],
            ),
            # Presigned URLs carry the role's permission: Azure can read what the role can.
            iam.PolicyStatement(
                sid="ReadSourceObjects",
                actions=["s3:GetObject", "s3:GetObjectVersion"],
                resources=[f"{bucket_arn}/*"],
            ),
            iam.PolicyStatement(
                sid="DecryptSourceThroughS3",
                actions=["kms:Decrypt"],
                resources=[self._arn("kms", "key/*")],
                conditions={
                    "ForAnyValue:StringEquals": {"kms:ResourceAliases": [storage_key_alias]},
                    "StringEquals": {"kms:ViaService": f"s3.{self.region}.amazonaws.com"},
                },
            ),
            iam.PolicyStatement(
                sid="AwsWebIdentityTokenForAzure",
                actions=["sts:GetWebIdentityToken"],
                resources=["*"],  # the action has no resource; the conditions bound the token
                conditions={
                    "ForAllValues:StringEquals": {
                        "sts:IdentityTokenAudience": [settings["token_audience"]]
                    },
                    "StringEquals": {"sts:SigningAlgorithm": settings["signing_algorithm"]},
                    "NumericLessThanEquals": {
                        "sts:DurationSeconds": settings["token_duration_seconds"]
                    },
                },
            ),
            iam.PolicyStatement(
                sid="ConsumeEvents",
                actions=[
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:ChangeMessageVisibility",
                    "sqs:GetQueueAttributes",
                ],
                resources=[self.queue.queue_arn],
            ),
            iam.PolicyStatement(
                sid="DeadLetters",
                actions=["sqs:SendMessage"],
                resources=[self.dead_letters.queue_arn],
            ),
            iam.PolicyStatement(
                sid="OwnKey",
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=[self.key.key_arn],
            ),
        ]

    def _allow_eventbridge(self) -> None:
        """EventBridge delivers into the encrypted queue only for this rule (its ARN from its
        name: a GetAtt would make key -> rule -> queue -> key a cycle)."""
        rule_arn = self._arn("events", f"rule/{self.prefix}-object-events")
        rule = {"ArnEquals": {"aws:SourceArn": rule_arn}}
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowEventBridgeDeliveryOfTheObjectRule",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],  # in a key policy "*" means this key
                conditions=rule,
            )
        )

    def _schedule(self, expression: str) -> None:
        reconcile = self.functions["reconcile"].function
        role, policy = scheduler_role(
            self,
            description="EventBridge Scheduler: invokes the reconciliation",
            statements=[
                iam.PolicyStatement(
                    sid="InvokeReconcile",
                    actions=["lambda:InvokeFunction"],
                    resources=[reconcile.function_arn],
                ),
            ],
            dead_letters=self.dead_letters,
            key=self.key,
        )
        schedule = scheduler.CfnSchedule(
            self,
            "ReconcileSchedule",
            name=f"{self.prefix}-reconcile",
            description="Reconciles the data bucket with the Azure container",
            schedule_expression=expression,
            schedule_expression_timezone="UTC",
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
            state="ENABLED",
            target=scheduler.CfnSchedule.TargetProperty(
                arn=reconcile.function_arn,
                role_arn=role.role_arn,
                input="{}",
                dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(
                    arn=self.dead_letters.queue_arn
                ),
                retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                    maximum_event_age_in_seconds=900, maximum_retry_attempts=2
                ),
            ),
        )
        schedule.node.add_dependency(policy)
