"""CloudWatch metrics of the resources a region's monitoring watches, with every dimension taken
from the construct that owns the resource (a renamed resource can never leave a dangling
dimension behind)."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, Fn
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_rds as rds


@dataclass(frozen=True)
class Database:
    instance: rds.CfnDBInstance
    replica: bool

    def metric(self, name: str, statistic: str, period: Duration) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace="AWS/RDS",
            metric_name=name,
            # Ref of AWS::RDS::DBInstance is its DBInstanceIdentifier.
            dimensions_map={"DBInstanceIdentifier": self.instance.ref},
            statistic=statistic,
            period=period,
        )


@dataclass(frozen=True)
class Cache:
    group: elasticache.CfnReplicationGroup

    @property
    def member_ids(self) -> list[str]:
        """Member cluster ids of a cluster-mode-disabled group: ElastiCache names them
        ``<group id>-001`` upwards, one per ``NumCacheClusters``."""
        count = int(self.group.num_cache_clusters or 1)
        return [Fn.join("-", [self.group.ref, f"{i:03d}"]) for i in range(1, count + 1)]

    def metrics(self, name: str, statistic: str, period: Duration) -> list[cloudwatch.Metric]:
        return [
            cloudwatch.Metric(
                namespace="AWS/ElastiCache",
                metric_name=name,
                dimensions_map={"CacheClusterId": member},
                statistic=statistic,
                period=period,
                label=f"{name} node {i}",
            )
            for i, member in enumerate(self.member_ids, start=1)
        ]

    def replication_lag(self, period: Duration) -> list[cloudwatch.Metric]:
        """ReplicationLag is reported by the replicas only (every member but the first)."""
        return self.metrics("ReplicationLag", "Maximum", period)[1:]


@dataclass(frozen=True)
class Ingress:
    load_balancer: elbv2.ApplicationLoadBalancer
    target_group: elbv2.ApplicationTargetGroup

    def requests(self, period: Duration) -> cloudwatch.IMetric:
        return self.load_balancer.metrics.request_count(period=period, statistic="Sum")

    def elb_5xx(self, period: Duration) -> cloudwatch.IMetric:
        return self.load_balancer.metrics.http_code_elb(
            elbv2.HttpCodeElb.ELB_5XX_COUNT, period=period, statistic="Sum"
        )

    def target_5xx(self, period: Duration) -> cloudwatch.IMetric:
        return self.load_balancer.metrics.http_code_target(
            elbv2.HttpCodeTarget.TARGET_5XX_COUNT, period=period, statistic="Sum"
        )

    def latency_p99(self, period: Duration) -> cloudwatch.IMetric:
        return self.load_balancer.metrics.target_response_time(period=period, statistic="p99")

    def healthy_hosts(self, period: Duration) -> cloudwatch.IMetric:
        # Both dimensions from the resources' own attributes: the target group's helper would
        # derive the load balancer from the listener ARN by Fn::Split.
        return cloudwatch.Metric(
            namespace="AWS/ApplicationELB",
            metric_name="HealthyHostCount",
            dimensions_map={
                "LoadBalancer": self.load_balancer.load_balancer_full_name,
                "TargetGroup": self.target_group.target_group_full_name,
            },
            statistic="Minimum",
            period=period,
        )


@dataclass(frozen=True)
class Cluster:
    cluster_name: str

    def metric(self, name: str, statistic: str, period: Duration) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace="ContainerInsights",
            metric_name=name,
            dimensions_map={"ClusterName": self.cluster_name},
            statistic=statistic,
            period=period,
        )
