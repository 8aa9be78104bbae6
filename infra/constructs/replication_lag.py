"""Continuous mode's lag probe, in the primary region: a scheduled Lambda that measures how far
the Azure subscriber is behind the RDS primary (``lambdas/replication_lag``) and the alarms on
what it publishes.

- Function: ``replication_lag.probe.handler`` with the backup jobs' guard rails (``BackupJob``:
  own role and managed policy, encrypted logs, X-Ray, dead-letter queue, errors alarm). It runs in
  the application subnets with a security group of its own whose only rule is PostgreSQL to the
  database group, which admits it on that port (a rule in this stack, like the dump job's): the
  IAM token is signed locally and the metrics leave as log lines, so it needs no other egress.
- Identity: ``rds-db:connect`` as ``database_replication.monitor_user`` on the primary instance
  only; in the database that user may only read and write the heartbeat table (``replicate
  database --setup`` grants it).
- Schedule: EventBridge Scheduler every ``lag_check_minutes``.
- Alarms, each notifying the region's alert topic on ALARM and OK: the lag (``Maximum`` over
  ``max_lag_minutes`` at or above ``max_lag_minutes``, missing data breaching: a probe that stops
  reporting is a lag nobody can see), the replication slot missing, and the function's errors.
  Not part of the "region unhealthy" composite: that one may trigger the Region switch plan, and
  a lagging Azure copy is no reason to leave the primary region.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.config.database_replication import DatabaseReplicationConfig
from infra.constructs import recovery_policies
from infra.constructs.backup_job import BackupJob, VpcPlacement
from infra.constructs.dead_letter_queue import dead_letter_queue
from infra.constructs.encryption import LogsEncryptionKey
from infra.constructs.scheduler_role import scheduler_role

# What lambdas/replication_lag/probe.py publishes (measure.py), with exactly this dimension set;
# tests/contract/test_metrics_contract.py runs the probe against PostgreSQL and compares.
LAG_METRIC = "ReplicationLagSeconds"
SLOT_MISSING_METRIC = "ReplicationSlotMissing"
DIMENSIONS = {"DataSet": "database"}
HANDLER = "replication_lag.probe.handler"
SETTINGS_VARIABLE = "LAG_PROBE_SETTINGS"


@dataclass(frozen=True)
class ProbeTarget:
    """The primary instance and the network path to it."""

    vpc: ec2.IVpc
    subnets: ec2.SubnetSelection
    """The application subnets (private; their network ACLs admit PostgreSQL to the data tier)."""
    database_security_group_id: str
    port: int
    host: str
    """The instance endpoint (the name its certificate carries, the IAM token is signed for)."""
    resource_id: str
    """DbiResourceId: ``rds-db:connect`` is scoped to it."""
    database: str


@dataclass(frozen=True)
class FunctionSettings:
    """The Lambda knobs shared with the other jobs (``backup`` config)."""

    code: lambda_.Code
    runtime: lambda_.Runtime
    architecture: lambda_.Architecture
    memory_mb: int
    timeout_seconds: int
    reserved_concurrency: int | None
    log_retention: logs.RetentionDays


@dataclass(frozen=True)
class ProbeProps:
    """Everything the probe needs but the topic (the monitoring stack owns that)."""

    config: DatabaseReplicationConfig
    target: ProbeTarget
    function: FunctionSettings
    function_name: str
    key_alias: str
    metric_namespace: str


def rate(minutes: int) -> str:
    """A Scheduler rate expression (the unit is singular for one)."""
    return f"rate({minutes} minute{'s' if minutes != 1 else ''})"


class ReplicationLagProbe(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: ProbeProps,
        topic: sns.ITopic,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        config, target, function = props.config, props.target, props.function
        function_name, metric_namespace = props.function_name, props.metric_namespace
        self.metric_namespace = metric_namespace
        self.reserved_concurrency = function.reserved_concurrency
        self.key = LogsEncryptionKey(
            self, "Key", alias=props.key_alias, removal_policy=removal_policy
        ).key
        self.dead_letters = dead_letter_queue(
            self, "DeadLetters", key=self.key, removal_policy=removal_policy
        )
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=target.vpc,
            description="replication lag probe: PostgreSQL to the database group only",
            allow_all_outbound=False,
        )
        self.security_group.add_egress_rule(
            ec2.Peer.security_group_id(target.database_security_group_id),
            ec2.Port.tcp(target.port),
            "PostgreSQL to the primary",
        )
        ec2.CfnSecurityGroupIngress(
            self,
            "DatabaseIngress",
            group_id=target.database_security_group_id,
            ip_protocol="tcp",
            from_port=target.port,
            to_port=target.port,
            source_security_group_id=self.security_group.security_group_id,
            description="replication lag probe to the primary",
        )
        subnet_ids = target.vpc.select_subnets(
            subnet_group_name=target.subnets.subnet_group_name
        ).subnet_ids
        settings = {
            "host": target.host,
            "port": target.port,
            "database": target.database,
            "user": config.monitor_user,
            "region": stack.region,
            "metric_namespace": metric_namespace,
        }
        # A run never outlives the interval: the next one measures again anyway.
        timeout = min(function.timeout_seconds, config.lag_check_minutes * 60)
        self.job = BackupJob(
            self,
            "Probe",
            function_name=function_name,
            handler=HANDLER,
            code=function.code,
            runtime=function.runtime,
            architecture=function.architecture,
            layers=[],  # standard library and the runtime's boto3 only
            memory_mb=function.memory_mb,
            timeout=Duration.seconds(timeout),
            environment={SETTINGS_VARIABLE: stack.to_json_string(settings)},
            log_retention=function.log_retention,
            key=self.key,
            dead_letter_queue=self.dead_letters,
            async_retries=0,  # the next scheduled run is the retry
            reserved_concurrency=function.reserved_concurrency,
            statements=[
                *recovery_policies.vpc_network_interfaces(
                    stack, stack.region, subnet_ids, self.security_group
                ),
                recovery_policies.canary_connect(
                    stack,
                    stack.region,
                    target.resource_id,
                    config.monitor_user,
                    sid="ConnectAsTheMonitorUser",
                ),
            ],
            removal_policy=RemovalPolicy.DESTROY,
            network=VpcPlacement(target.vpc, target.subnets, self.security_group),
        )
        self._schedule(config, function_name)
        action = cw_actions.SnsAction(topic)
        period = Duration.minutes(config.max_lag_minutes)
        self.lag_alarm = self._alarm(
            "LagAlarm",
            f"the Azure database subscriber is {config.max_lag_minutes} min or more behind the "
            "primary, or the lag probe stopped reporting. Runbook: docs/database-to-azure.md, "
            "'Lag alarm'.",
            LAG_METRIC,
            period,
            config.max_lag_minutes * 60,
            cloudwatch.TreatMissingData.BREACHING,
        )
        self.slot_alarm = self._alarm(
            "SlotMissingAlarm",
            "the replication slot of the Azure subscription is missing on the primary: nothing "
            "reaches Azure. Runbook: docs/database-to-azure.md, 'Lag alarm'.",
            SLOT_MISSING_METRIC,
            period,
            1,
            # Missing data is the lag alarm's: one page for a probe that stopped, not two.
            cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.alarms = [self.lag_alarm, self.slot_alarm, self.job.errors_alarm]
        for alarm in self.alarms:
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)

    def _alarm(
        self,
        construct_id: str,
        description: str,
        metric_name: str,
        period: Duration,
        threshold: float,
        missing: cloudwatch.TreatMissingData,
    ) -> cloudwatch.Alarm:
        return cloudwatch.Alarm(
            self,
            construct_id,
            alarm_description=description,
            metric=cloudwatch.Metric(
                namespace=self.metric_namespace,
                metric_name=metric_name,
                dimensions_map=DIMENSIONS,
                statistic="Maximum",
                period=period,
            ),
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=missing,
        )

    def _schedule(self, config: DatabaseReplicationConfig, function_name: str) -> None:
        function = self.job.function
        role, policy = scheduler_role(
            self,
            description="EventBridge Scheduler: runs the replication lag probe",
            statements=[
                iam.PolicyStatement(
                    sid="InvokeTheProbe",
                    actions=["lambda:InvokeFunction"],
                    resources=[function.function_arn],
                ),
            ],
            dead_letters=self.dead_letters,
            key=self.key,
        )
        interval = config.lag_check_minutes * 60
        self.schedule = scheduler.CfnSchedule(
            self,
            "Schedule",
            name=function_name,
            description="Measures the Azure subscriber's replication lag and writes a heartbeat",
            schedule_expression=rate(config.lag_check_minutes),
            schedule_expression_timezone="UTC",
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
            state="ENABLED",
            target=scheduler.CfnSchedule.TargetProperty(
                arn=function.function_arn,
                role_arn=role.role_arn,
                input=json.dumps({}),
                dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(
                    arn=self.dead_letters.queue_arn
                ),
                # Scheduler's minimum event age is 60 s; a later retry would measure late.
                retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                    maximum_event_age_in_seconds=max(60, interval), maximum_retry_attempts=2
                ),
            ),
        )
        self.schedule.node.add_dependency(policy)
