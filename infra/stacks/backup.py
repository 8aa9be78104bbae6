"""Backup tier: the backup and DR jobs of ``lambdas/backup_jobs``.

In the primary region (``role="primary"``) it creates: the ``snapshot``, ``copy``, ``prune`` and
``verify`` functions, each with its own least-privilege role (a managed policy), encrypted log
group with retention, X-Ray tracing, an error alarm and reserved concurrency only when
``backup.reserved_concurrency`` asks for it (overlapping runs are harmless: idempotent jobs); an
EventBridge Scheduler group with one schedule per job; a KMS-encrypted dead-letter queue shared
by Lambda's async retries and the scheduler; alarms on DLQ depth, on the RPO metric of each
snapshot region and on the replication canary of each replica bucket (thresholds from config:
``BackupConfig.recovery_point_threshold_minutes``). The alarms carry no actions of their own:
the region's monitoring stack (deployed after this one) routes them to the region's one alert
topic through composite alarms. Attributes for the monitoring tier: ``alarms`` (by construct
id), ``dead_letters``, ``jobs``.

In the standby region (``role="standby"``) it creates the ``promote`` function with the same
guard rails (DLQ, alarm). The DR action lives where the primary is not: when the primary
region is down, a function deployed there could not promote anything.

Every other tier is addressed by names computed from config (``infra/naming.py``), never by
construct objects, so it takes no export from them (``infra/app_builder.py`` still deploys it
after its region's data and storage stacks, so the first scheduled run finds what it acts on).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct

from infra.config.backup import BackupConfig
from infra.constructs import backup_policies as policies
from infra.constructs.backup_job import BackupJob
from infra.constructs.backup_policies import CANARY_KEY, BackupTargets
from infra.constructs.dead_letter_queue import dead_letter_queue
from infra.constructs.encryption import LogsEncryptionKey
from infra.constructs.lambda_runtime import RUNTIME, architecture, lambda_code, powertools_layer
from infra.constructs.retention import log_retention
from infra.constructs.scheduler_role import scheduler_role
from infra.stacks.base import RegionalStack

METRIC_NAMESPACE = "FDR/Backup"
# What lambdas/backup_jobs/verify.py publishes, each with exactly one dimension: Region.
RECOVERY_POINT_METRIC = "RecoveryPointAgeSeconds"
REPLICATION_METRIC = "ReplicaCanaryAgeSeconds"
# Scheduler context attribute: the same value on every retry of one run (snapshot idempotency).
SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"


class BackupStack(RegionalStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        role: Literal["primary", "standby"],
        backup: BackupConfig,
        targets: BackupTargets,
        resource_prefix: str,
        jobs_key_alias: str,
        removal_policy: RemovalPolicy,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.backup = backup
        self.targets = targets
        self.prefix = resource_prefix
        self.key = LogsEncryptionKey(
            self, "JobsKey", alias=jobs_key_alias, removal_policy=removal_policy
        ).key
        self.dead_letters = dead_letter_queue(
            self, "DeadLetters", key=self.key, removal_policy=removal_policy
        )
        self.layer = powertools_layer(self, backup.architecture, backup.powertools_layer_version)
        self.code = lambda_code()
        self.jobs: dict[str, BackupJob] = {}
        # The stack's own alarms by construct id; the monitoring tier references them.
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        if role == "primary":
            self._primary_jobs()
        else:
            self._job("promote", policies.promote(self, targets))
        self._alarm(
            "DeadLettersAlarm",
            "a backup job run was dropped into the dead-letter queue",
            self.dead_letters.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(5), statistic="Maximum"
            ),
            threshold=1,
            missing=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

    def _settings(self) -> dict[str, Any]:
        b, t = self.backup, self.targets
        return {
            "project": t.project,
            "environment": t.environment,
            "account": self.account,
            "partition": self.partition,
            "primary_region": t.primary_region,
            "database_id": t.database_id,
            "copy_regions": t.copy_regions,
            "backup_key_alias": t.backup_key_alias,
            "redis_group_id": t.redis_group_id,
            "hourly_retention_hours": b.retention.hourly_hours,
            "daily_retention_days": b.retention.daily_days,
            "monthly_retention_days": b.retention.monthly_days,
            "keep_newest": b.keep_newest,
            "window_minutes": b.snapshot_window_minutes,
            "rpo_seconds": b.rpo_minutes * 60,
            "prune_dry_run": b.prune_dry_run,
            "metric_namespace": METRIC_NAMESPACE,
            "standby_region": t.standby_region,
            "standby_database_id": t.standby_database_id,
            "promote_max_lag_seconds": b.promote_max_replica_lag_seconds,
            "promoted_backup_retention_days": b.automated_backup_retention_days,
            "primary_bucket": t.primary_bucket,
            "replica_buckets": sorted(t.replica_buckets.items()),
            "canary_key": CANARY_KEY,
            "retry_mode": b.retry_mode,
            "retry_max_attempts": b.retry_max_attempts,
        }

    def _job(self, name: str, statements: list[iam.PolicyStatement]) -> BackupJob:
        b = self.backup
        job = BackupJob(
            self,
            name.capitalize(),
            function_name=f"{self.prefix}-{name}",
            handler=f"backup_jobs.{name}.handler",
            code=self.code,
            runtime=RUNTIME,
            architecture=architecture(b.architecture),
            layers=[self.layer],
            memory_mb=b.memory_mb,
            timeout=Duration.seconds(b.timeout_seconds),
            environment={
                "BACKUP_SETTINGS": json.dumps(self._settings(), sort_keys=True),
                "POWERTOOLS_SERVICE_NAME": f"backup-{name}",
                "POWERTOOLS_METRICS_NAMESPACE": METRIC_NAMESPACE,
            },
            log_retention=log_retention(b.log_retention_days),
            key=self.key,
            dead_letter_queue=self.dead_letters,
            async_retries=b.async_retries,
            reserved_concurrency=b.reserved_concurrency,
            statements=statements,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.jobs[name] = job
        return job

    def _primary_jobs(self) -> None:
        t, b = self.targets, self.backup
        self._job("snapshot", policies.snapshot(self, t))
        self._job("copy", policies.copy(self, t))
        self._job("prune", policies.prune(self, t))
        self._job("verify", policies.verify(self, t))
        self._schedules(
            {
                "snapshot": (b.schedules.snapshot, {"scheduled_time": SCHEDULED_TIME}),
                "copy": (b.schedules.copy_snapshots, {}),
                "prune": (b.schedules.prune, {}),
                "verify": (b.schedules.verify, {}),
            }
        )
        copy_regions = set(t.copy_regions)
        # (construct prefix, metric, region, what is late, threshold in minutes)
        watched = [
            (
                "Rpo",
                RECOVERY_POINT_METRIC,
                r,
                f"newest recovery point in {r}",
                b.recovery_point_threshold_minutes(copy_region=r in copy_regions),
            )
            for r in (t.primary_region, *t.copy_regions)
        ] + [
            (
                "Replication",
                REPLICATION_METRIC,
                r,
                f"newest replicated canary in the {r} replica bucket",
                b.rpo_minutes,
            )
            for r in sorted(t.replica_buckets)
        ]
        for prefix, metric, region, what, minutes in watched:
            self._alarm(
                f"{prefix}{_camel(region)}Alarm",
                f"{what} is older than {minutes} min, or verify stopped reporting",
                _metric(metric, region, b.rpo_minutes),
                threshold=minutes * 60,
                missing=cloudwatch.TreatMissingData.BREACHING,
            )

    def _schedules(self, schedules: dict[str, tuple[str, dict[str, str]]]) -> None:
        group = scheduler.CfnScheduleGroup(self, "Schedules", name=self.prefix)
        role, policy = scheduler_role(
            self,
            description="EventBridge Scheduler: invokes the backup jobs",
            statements=[
                iam.PolicyStatement(
                    sid="InvokeJobs",
                    actions=["lambda:InvokeFunction"],
                    resources=[self.jobs[n].function.function_arn for n in schedules],
                ),
            ],
            dead_letters=self.dead_letters,
            key=self.key,
        )
        for name, (expression, payload) in schedules.items():
            schedule = scheduler.CfnSchedule(
                self,
                f"{name.capitalize()}Schedule",
                name=f"{self.prefix}-{name}",
                group_name=group.name,
                description=f"Runs the {name} backup job",
                schedule_expression=expression,
                schedule_expression_timezone="UTC",
                flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
                state="ENABLED",
                target=scheduler.CfnSchedule.TargetProperty(
                    arn=self.jobs[name].function.function_arn,
                    role_arn=role.role_arn,
                    input=json.dumps(payload),
                    dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(
                        arn=self.dead_letters.queue_arn
                    ),
                    retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                        maximum_event_age_in_seconds=3600, maximum_retry_attempts=3
                    ),
                ),
            )
            schedule.add_resource_dependency(group)
            schedule.node.add_dependency(policy)

    def _alarm(
        self,
        construct_id: str,
        description: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        missing: cloudwatch.TreatMissingData,
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=missing,
        )
        self.alarms[construct_id] = alarm
        return alarm


def _metric(name: str, region: str, period_minutes: int) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=METRIC_NAMESPACE,
        metric_name=name,
        # exactly the dimension set verify emits: an alarm on any other set never gets data
        dimensions_map={"Region": region},
        statistic="Maximum",
        # one RPO-long period: a single missed verify run does not page anyone
        period=Duration.minutes(period_minutes),
    )


def _camel(region: str) -> str:
    return "".join(part.capitalize() for part in region.split("-"))
