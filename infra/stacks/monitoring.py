"""Observability tier of one region.

Creates: the region's alert topic (KMS-encrypted SNS with the configured email/https
subscriptions and an encrypted queue for undeliverable alerts); an Amazon Managed Service for
Prometheus workspace (customer KMS key, logging to an encrypted log group, retention from config)
with a managed scraper on the region's EKS cluster (node-exporter, kube-state-metrics, annotated
pods), the basic Kubernetes rule groups and an alert manager routing to the alert topic; the EKS
add-ons amazon-cloudwatch-observability (Container Insights, Fluent Bit; IAM via EKS Pod
Identity), prometheus-node-exporter and kube-state-metrics, with the Container Insights log
groups encrypted and retained; the X-Ray sampling rule; CloudWatch alarms on the region's
database, Redis, ALB and nodes, the "region unhealthy" composite alarm and the region dashboard.
In the primary region also the Amazon Managed Grafana workspace (AMP of every region,
CloudWatch, X-Ray) and, in continuous database replication mode, the lag probe of the Azure
subscriber with its alarms (``infra/constructs/replication_lag.py``).

It watches constructs of the same region's data, compute and backup stacks (CloudFormation
exports inside one region), so every metric dimension comes from the resource itself.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_xray as xray
from constructs import Construct

from infra.config.monitoring import MonitoringConfig
from infra.constructs.alert_topic import AlertTopic
from infra.constructs.cluster_observability import ClusterObservability
from infra.constructs.grafana import GrafanaWorkspace, Saml
from infra.constructs.prometheus import AlertRules, ManagedPrometheus
from infra.constructs.region_health import BackupAlarms, RegionHealth, Thresholds
from infra.constructs.replication_lag import ProbeProps, ReplicationLagProbe
from infra.constructs.retention import log_retention
from infra.constructs.watched import Cache, Cluster, Database, Ingress
from infra.naming import Names
from infra.stacks.base import RegionalStack


class MonitoringStack(RegionalStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        names: Names,
        monitoring: MonitoringConfig,
        rpo_minutes: int,
        database: Database,
        cache: Cache,
        ingress: Ingress,
        cluster_name: str,
        cluster_arn: str,
        scraper_security_group_id: str,
        scraper_subnet_ids: list[str],
        backup_alarms: BackupAlarms | None,
        grafana_regions: list[str] | None,
        project_tag: tuple[str, str],
        logs_key: kms.IKey,
        removal_policy: RemovalPolicy,
        replication_lag: ProbeProps | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        region = self.region
        subscriptions = monitoring.subscriptions
        self.alerts = AlertTopic(
            self,
            "Alerts",
            key_alias=names.kms_alias("alerts"),
            removal_policy=removal_policy,
            email_endpoints=[s.endpoint for s in subscriptions if s.protocol == "email"],
            https_endpoints=[s.endpoint for s in subscriptions if s.protocol == "https"],
        )
        self.topic = self.alerts.topic
        self._allow_prometheus_alerts()

        prometheus = monitoring.prometheus
        self.prometheus = ManagedPrometheus(
            self,
            "Prometheus",
            alias=names.resource("prometheus", region),
            key_alias=names.kms_alias("prometheus"),
            cluster_arn=cluster_arn,
            subnet_ids=scraper_subnet_ids,
            # monitoring_sg: the matrix lets it reach the scrape ports and the private API.
            security_group_ids=[scraper_security_group_id],
            retention_days=prometheus.retention_days,
            scrape_interval_seconds=prometheus.scrape_interval_seconds,
            rules=AlertRules(**prometheus.rules.model_dump()),
            alert_topic_arn=self.topic.topic_arn,
            log_key=logs_key,
            log_retention=log_retention(prometheus.log_retention_days),
            removal_policy=removal_policy,
        )
        self.cluster_observability = ClusterObservability(
            self,
            "ClusterObservability",
            cluster_name=cluster_name,
            addon_versions={str(name): v for name, v in monitoring.addons.items()},
            log_key=logs_key,
            log_retention=log_retention(monitoring.container_insights.log_retention_days),
            removal_policy=removal_policy,
        )
        tracing = monitoring.tracing
        self.sampling_rule = xray.CfnSamplingRule(
            self,
            "SamplingRule",
            sampling_rule=xray.CfnSamplingRule.SamplingRuleProperty(
                rule_name=names.resource("sampling")[:32],
                fixed_rate=tracing.fixed_rate,
                reservoir_size=tracing.reservoir_size,
                priority=tracing.priority,
                service_name=tracing.service_name,
                service_type="*",
                host="*",
                http_method="*",
                url_path="*",
                resource_arn="*",
                version=1,
            ),
        )

        alarms = monitoring.alarms
        self.health = RegionHealth(
            self,
            "Health",
            name=names.resource(region),
            topic=self.topic,
            thresholds=Thresholds(**alarms.model_dump(), replica_lag_seconds=rpo_minutes * 60),
            database=database,
            cache=cache,
            ingress=ingress,
            cluster=Cluster(cluster_name),
            backup=backup_alarms,
        )

        self.replication_lag: ReplicationLagProbe | None = None
        if replication_lag is not None:
            self.replication_lag = ReplicationLagProbe(
                self,
                "ReplicationLag",
                props=replication_lag,
                topic=self.topic,
                removal_policy=removal_policy,
            )

        self.grafana: GrafanaWorkspace | None = None
        if grafana_regions is not None:
            grafana = monitoring.grafana
            self.grafana = GrafanaWorkspace(
                self,
                "Grafana",
                name=names.resource("grafana"),
                grafana_version=grafana.grafana_version,
                saml=(
                    Saml(grafana.saml_metadata_url, list(grafana.saml_admin_role_values))
                    if grafana.authentication == "SAML" and grafana.saml_metadata_url
                    else None
                ),
                prometheus_regions=grafana_regions,
                project_tag=project_tag,
            )

    def _allow_prometheus_alerts(self) -> None:
        """AMP's alert manager publishes to the encrypted topic of this account only."""
        source = {"StringEquals": {"aws:SourceAccount": self.account}}
        aps = iam.ServicePrincipal("aps.amazonaws.com")
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowPrometheusAlertManager",
                principals=[aps],
                actions=["sns:Publish", "sns:GetTopicAttributes"],
                resources=[self.topic.topic_arn],
                conditions=source,
            )
        )
        self.alerts.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowPrometheusAlertManager",
                principals=[aps],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy "*" means this key
                conditions=source,
            )
        )
