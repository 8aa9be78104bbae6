"""The CloudWatch alarms, the "region unhealthy" composite alarm and the dashboard of one region.

Every alarm (and the composite) notifies one SNS topic, on ALARM and on OK. Alarms another tier
already owns (the backup stack's RPO, dead-letter, job-error and replication alarms) are
referenced, not duplicated: they appear on the dashboard, the RPO alarms feed the "region
unhealthy" composite and the others a "backup jobs failing" composite, so every alarm of the
region reaches this one topic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.constructs.watched import Cache, Cluster, Database, Ingress

GIB = 1024**3
Cmp = cloudwatch.ComparisonOperator
Missing = cloudwatch.TreatMissingData


@dataclass(frozen=True)
class Thresholds:
    period_minutes: int
    evaluation_periods: int
    database_free_storage_gib: int
    database_cpu_percent: int
    replica_lag_seconds: int
    redis_memory_percent: int
    alb_5xx_percent: float
    alb_min_requests: int
    alb_min_healthy_hosts: int
    eks_failed_nodes: int


@dataclass(frozen=True)
class BackupAlarms:
    """The backup stack's alarms: ``rpo`` feed the region composite, ``others`` (dead letters,
    job errors, replication) the backup-jobs composite; both notify the region's one topic. The
    replication stack's alarms join them: ``objects_rpo`` (its lag, with its own RPO) the region
    composite, the rest ``others``."""

    rpo: list[cloudwatch.Alarm]
    others: list[cloudwatch.Alarm]
    objects_rpo: list[cloudwatch.Alarm] = field(default_factory=list)
    objects_rpo_seconds: int = 0


class RegionHealth(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        topic: sns.ITopic,
        thresholds: Thresholds,
        database: Database,
        cache: Cache,
        ingress: Ingress,
        cluster: Cluster,
        backup: BackupAlarms | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self._action = cw_actions.SnsAction(topic)
        self._t = thresholds
        period = Duration.minutes(thresholds.period_minutes)
        self.alarms: dict[str, cloudwatch.Alarm] = {}

        self._alarm(
            "DatabaseFreeStorage",
            f"database free storage below {thresholds.database_free_storage_gib} GiB",
            database.metric("FreeStorageSpace", "Minimum", period),
            thresholds.database_free_storage_gib * GIB,
            Cmp.LESS_THAN_THRESHOLD,
        )
        self._alarm(
            "DatabaseCpu",
            f"database CPU above {thresholds.database_cpu_percent} %",
            database.metric("CPUUtilization", "Average", period),
            thresholds.database_cpu_percent,
        )
        if database.replica:
            self._alarm(
                "ReplicaLag",
                f"database replica lags more than the RPO ({thresholds.replica_lag_seconds} s)",
                database.metric("ReplicaLag", "Maximum", period),
                thresholds.replica_lag_seconds,
            )
        memory = cache.metrics("DatabaseMemoryUsagePercentage", "Maximum", period)
        self._alarm(
            "RedisMemory",
            f"a Redis node uses more than {thresholds.redis_memory_percent} % of its memory",
            cloudwatch.MathExpression(
                expression="MAX([" + ",".join(f"m{i}" for i in range(len(memory))) + "])",
                using_metrics={f"m{i}": m for i, m in enumerate(memory)},
                period=period,
                label="highest node memory %",
            ),
            thresholds.redis_memory_percent,
        )
        self._alarm(
            "Alb5xxRatio",
            f"more than {thresholds.alb_5xx_percent} % of ALB requests answered 5xx "
            f"(judged from {thresholds.alb_min_requests} requests per period)",
            self._error_ratio(ingress, period),
            thresholds.alb_5xx_percent,
        )
        self._alarm(
            "AlbHealthyHosts",
            f"fewer than {thresholds.alb_min_healthy_hosts} healthy targets behind the ALB "
            "(no data counts: the target group stopped reporting)",
            ingress.healthy_hosts(period),
            thresholds.alb_min_healthy_hosts,
            Cmp.LESS_THAN_THRESHOLD,
            Missing.BREACHING,
        )
        self._alarm(
            "EksFailedNodes",
            f"{thresholds.eks_failed_nodes} or more failed EKS nodes (Container Insights)",
            cluster.metric("cluster_failed_node_count", "Maximum", period),
            thresholds.eks_failed_nodes,
            Cmp.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        )

        watched = list(self.alarms.values()) + (
            [*backup.rpo, *backup.objects_rpo] if backup else []
        )
        self.composite = cloudwatch.CompositeAlarm(
            self,
            "RegionUnhealthy",
            composite_alarm_name=f"{name}-region-unhealthy",
            alarm_description=(
                "Region unhealthy: one of its data, ingress, cluster or recovery-point alarms is "
                "in ALARM. Runbook: docs/runbooks.md, 'region unhealthy'."
            ),
            alarm_rule=cloudwatch.AlarmRule.any_of(*watched),
        )
        self.composite.add_alarm_action(self._action)
        self.composite.add_ok_action(self._action)
        # The backup stack deploys before this one, so its alarms cannot name this topic
        # (that would make the stacks depend on each other); this composite routes them here.
        self.backup_composite = None
        if backup and backup.others:
            self.backup_composite = cloudwatch.CompositeAlarm(
                self,
                "BackupJobsFailing",
                composite_alarm_name=f"{name}-backup-jobs-failing",
                alarm_description=(
                    "A backup job failed, a run went to the dead-letter queue, a replica bucket "
                    "lags or object replication to Azure fails. Runbook: docs/runbooks.md, "
                    "'region unhealthy'."
                ),
                alarm_rule=cloudwatch.AlarmRule.any_of(*backup.others),
            )
            self.backup_composite.add_alarm_action(self._action)
            self.backup_composite.add_ok_action(self._action)

        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=name,
            default_interval=Duration.hours(6),
        )
        self._widgets(period, database, cache, ingress, cluster, backup)

    def _alarm(
        self,
        key: str,
        description: str,
        metric: cloudwatch.IMetric,
        threshold: float,
        comparison: cloudwatch.ComparisonOperator = Cmp.GREATER_THAN_THRESHOLD,
        missing: cloudwatch.TreatMissingData = Missing.NOT_BREACHING,
    ) -> None:
        alarm = cloudwatch.Alarm(
            self,
            f"{key}Alarm",
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=self._t.evaluation_periods,
            treat_missing_data=missing,
        )
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        self.alarms[key] = alarm

    def _error_ratio(self, ingress: Ingress, period: Duration) -> cloudwatch.MathExpression:
        # 5xx counts have no data points in a period without errors: FILL them with 0.
        return cloudwatch.MathExpression(
            expression=(
                f"IF(requests >= {self._t.alb_min_requests}, "
                "100 * (FILL(elb5xx, 0) + FILL(target5xx, 0)) / requests, 0)"
            ),
            using_metrics={
                "requests": ingress.requests(period),
                "elb5xx": ingress.elb_5xx(period),
                "target5xx": ingress.target_5xx(period),
            },
            period=period,
            label="5xx % of requests",
        )

    def _widgets(
        self,
        period: Duration,
        database: Database,
        cache: Cache,
        ingress: Ingress,
        cluster: Cluster,
        backup: BackupAlarms | None,
    ) -> None:
        def graph(title: str, metrics: Sequence[cloudwatch.IMetric]) -> cloudwatch.GraphWidget:
            return cloudwatch.GraphWidget(title=title, left=list(metrics), width=6, height=6)

        db_metrics = [
            ("CPU %", "CPUUtilization", "Average"),
            ("Connections", "DatabaseConnections", "Average"),
            ("Free storage (bytes)", "FreeStorageSpace", "Minimum"),
        ] + ([("Replica lag (s)", "ReplicaLag", "Maximum")] if database.replica else [])
        board = self.dashboard
        board.add_widgets(
            cloudwatch.AlarmStatusWidget(
                title="Alarms",
                alarms=[
                    self.composite,
                    *self.alarms.values(),
                    *((*backup.rpo, *backup.objects_rpo, *backup.others) if backup else ()),
                ],
                width=24,
            )
        )
        board.add_widgets(
            cloudwatch.TextWidget(markdown="## PostgreSQL", width=24, height=1),
            *(graph(f"RDS {t}", [database.metric(m, s, period)]) for t, m, s in db_metrics),
        )
        board.add_widgets(
            cloudwatch.TextWidget(markdown="## Redis", width=24, height=1),
            graph("Redis engine CPU %", cache.metrics("EngineCPUUtilization", "Average", period)),
            graph(
                "Redis memory %",
                cache.metrics("DatabaseMemoryUsagePercentage", "Maximum", period),
            ),
            graph("Redis evictions", cache.metrics("Evictions", "Sum", period)),
            graph("Redis replication lag (s)", cache.replication_lag(period)),
        )
        board.add_widgets(
            cloudwatch.TextWidget(markdown="## Ingress (ALB)", width=24, height=1),
            graph("ALB 5xx", [ingress.elb_5xx(period), ingress.target_5xx(period)]),
            graph("ALB 5xx % of requests", [self._error_ratio(ingress, period)]),
            graph("ALB target latency p99 (s)", [ingress.latency_p99(period)]),
            graph("ALB healthy targets", [ingress.healthy_hosts(period)]),
        )
        board.add_widgets(
            cloudwatch.TextWidget(markdown="## EKS nodes (Container Insights)", width=24, height=1),
            graph("Node CPU %", [cluster.metric("node_cpu_utilization", "Average", period)]),
            graph("Node memory %", [cluster.metric("node_memory_utilization", "Average", period)]),
            graph(
                "Nodes / failed nodes",
                [
                    cluster.metric("cluster_node_count", "Average", period),
                    cluster.metric("cluster_failed_node_count", "Maximum", period),
                ],
            ),
            graph(
                "Pod restarts",
                [cluster.metric("pod_number_of_container_restarts", "Sum", period)],
            ),
        )
        if backup and backup.rpo:
            board.add_widgets(
                cloudwatch.TextWidget(markdown="## Backup jobs (RPO)", width=24, height=1),
                cloudwatch.GraphWidget(
                    title="Recovery point age (s) against the RPO",
                    left=[alarm.metric for alarm in backup.rpo],
                    left_annotations=[
                        cloudwatch.HorizontalAnnotation(
                            value=self._t.replica_lag_seconds, label="RPO"
                        )
                    ],
                    width=24,
                    height=6,
                ),
            )
        if backup and backup.objects_rpo:
            board.add_widgets(
                cloudwatch.TextWidget(markdown="## Objects to Azure (RPO)", width=24, height=1),
                cloudwatch.GraphWidget(
                    title="Oldest object not yet in Azure (s) against the objects RPO",
                    left=[alarm.metric for alarm in backup.objects_rpo],
                    left_annotations=[
                        cloudwatch.HorizontalAnnotation(
                            value=backup.objects_rpo_seconds, label="objects RPO"
                        )
                    ],
                    width=24,
                    height=6,
                ),
            )
