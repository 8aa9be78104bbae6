"""Amazon Managed Service for Prometheus for one cluster: a KMS-encrypted workspace with logging
and retention, an agentless managed scraper, the basic Kubernetes alert rules and an alert
manager that routes to an SNS topic.

Why a managed scraper rather than the ADOT add-on: it runs outside the cluster (no collector pods
to size, patch or lose with the nodes during an incident), AWS operates and scales it, and it
reads the same Prometheus scrape configuration the design writes. It reaches the cluster through
ENIs in the cluster's subnets with the cluster security group, and AMP creates the EKS access
entry for its service-linked role.

The workspace is encrypted with a customer managed key, and the AMP user guide requires a scraper
that writes to such a workspace to be set up like a cross-account scraper, with source and
target account the same: a source role that the scraper service assumes (trust
``scraper.aps.amazonaws.com``, scoped to this account's scrapers) and a target role that only the
source role may assume, with the scraper's ARN as external id, and that may remote-write to this
workspace and use its key through AMP (``RoleConfiguration`` of ``AWS::APS::Scraper``; the role
shapes are the guide's cross-account setup, e.g.
https://docs.aws.amazon.com/prometheus/latest/userguide/prom-opensearch-integration.html).
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml
from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_aps as aps
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constructs.encryption import rotating_key


@dataclass(frozen=True)
class AlertRules:
    node_not_ready_minutes: int
    crash_loop_restarts: int
    node_cpu_percent: int
    node_memory_percent: int
    for_minutes: int


def scrape_configuration(interval_seconds: int) -> str:
    """The design's ``kubernetes-nodes`` (node-exporter on :9100) and ``kubernetes-pods``
    (pods annotated ``prometheus.io/scrape: "true"``) jobs, plus kube-state-metrics."""
    keep_annotated = {
        "source_labels": ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"],
        "action": "keep",
        "regex": "true",
    }
    config = {
        "global": {"scrape_interval": f"{interval_seconds}s"},
        "scrape_configs": [
            {
                "job_name": "kubernetes-nodes",
                "kubernetes_sd_configs": [{"role": "node"}],
                "relabel_configs": [
                    {
                        "source_labels": ["__address__"],
                        "regex": "(.*):10250",
                        "target_label": "__address__",
                        "replacement": "${1}:9100",
                    }
                ],
            },
            {
                "job_name": "kube-state-metrics",
                "kubernetes_sd_configs": [{"role": "endpoints"}],
                "relabel_configs": [
                    {
                        "source_labels": ["__meta_kubernetes_service_name"],
                        "action": "keep",
                        "regex": "kube-state-metrics",
                    }
                ],
            },
            {
                "job_name": "kubernetes-pods",
                "kubernetes_sd_configs": [{"role": "pod"}],
                "relabel_configs": [
                    keep_annotated,
                    {
                        "source_labels": ["__meta_kubernetes_pod_annotation_prometheus_io_path"],
                        "action": "replace",
                        "regex": "(.+)",
                        "target_label": "__metrics_path__",
                    },
                    {
                        "source_labels": [
                            "__address__",
                            "__meta_kubernetes_pod_annotation_prometheus_io_port",
                        ],
                        "action": "replace",
                        "regex": r"([^:]+)(?::\d+)?;(\d+)",
                        "replacement": "$1:$2",
                        "target_label": "__address__",
                    },
                    {
                        "source_labels": ["__meta_kubernetes_namespace"],
                        "target_label": "namespace",
                    },
                    {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
                ],
            },
        ],
    }
    return yaml.safe_dump(config, sort_keys=False)


def rule_groups(rules: AlertRules) -> str:
    def rule(name: str, expr: str, minutes: int, summary: str) -> dict[str, object]:
        return {
            "alert": name,
            "expr": expr,
            "for": f"{minutes}m",
            "labels": {"severity": "critical" if name == "NodeNotReady" else "warning"},
            "annotations": {"summary": summary},
        }

    groups = {
        "groups": [
            {
                "name": "kubernetes-basics",
                "rules": [
                    rule(
                        "NodeNotReady",
                        'kube_node_status_condition{condition="Ready",status="true"} == 0',
                        rules.node_not_ready_minutes,
                        "Node {{ $labels.node }} is not Ready",
                    ),
                    rule(
                        "PodCrashLooping",
                        "increase(kube_pod_container_status_restarts_total[15m]) "
                        f">= {rules.crash_loop_restarts}",
                        1,
                        "Pod {{ $labels.namespace }}/{{ $labels.pod }} is restarting repeatedly",
                    ),
                    rule(
                        "NodeHighCpu",
                        '100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}'
                        f"[5m]))) > {rules.node_cpu_percent}",
                        rules.for_minutes,
                        f"CPU of {{{{ $labels.instance }}}} above {rules.node_cpu_percent} %",
                    ),
                    rule(
                        "NodeHighMemory",
                        "100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes) "
                        f"> {rules.node_memory_percent}",
                        rules.for_minutes,
                        f"Memory of {{{{ $labels.instance }}}} above {rules.node_memory_percent} %",
                    ),
                ],
            }
        ]
    }
    return yaml.safe_dump(groups, sort_keys=False)


def alert_manager_definition(topic_arn: str, region: str) -> str:
    """Every alert to the region's SNS topic (topic_arn may be a token: it is joined by CDK)."""
    return (
        "alertmanager_config: |\n"
        "  route:\n"
        "    receiver: sns\n"
        "    group_by: [alertname]\n"
        "  receivers:\n"
        "    - name: sns\n"
        "      sns_configs:\n"
        f"        - topic_arn: {topic_arn}\n"
        "          sigv4:\n"
        f"            region: {region}\n"
        "          attributes:\n"
        "            source: amazon-managed-prometheus\n"
    )


class ManagedPrometheus(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        alias: str,
        key_alias: str,
        cluster_arn: str,
        subnet_ids: list[str],
        security_group_ids: list[str],
        retention_days: int,
        scrape_interval_seconds: int,
        rules: AlertRules,
        alert_topic_arn: str,
        log_key: kms.IKey,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        region = Stack.of(self).region
        self.key = rotating_key(
            self,
            "Key",
            alias=key_alias,
            purpose="Amazon Managed Service for Prometheus workspace",
            removal_policy=removal_policy,
        )
        self.log_group = logs.LogGroup(
            self,
            "WorkspaceLogs",
            log_group_name=f"/aws/vendedlogs/prometheus/{alias}",
            encryption_key=log_key,
            retention=log_retention,
            removal_policy=removal_policy,
        )
        self.workspace = aps.CfnWorkspace(
            self,
            "Workspace",
            alias=alias,
            kms_key_arn=self.key.key_arn,
            logging_configuration=aps.CfnWorkspace.LoggingConfigurationProperty(
                log_group_arn=self.log_group.log_group_arn
            ),
            workspace_configuration=aps.CfnWorkspace.WorkspaceConfigurationProperty(
                retention_period_in_days=retention_days
            ),
            alert_manager_definition=alert_manager_definition(alert_topic_arn, region),
        )
        self.workspace.apply_removal_policy(removal_policy)
        self.rules = aps.CfnRuleGroupsNamespace(
            self,
            "Rules",
            name="kubernetes-basics",
            workspace=self.workspace.attr_arn,
            data=rule_groups(rules),
        )
        self.scraper_log_group = logs.LogGroup(
            self,
            "ScraperLogs",
            log_group_name=f"/aws/vendedlogs/prometheus/{alias}-scraper",
            encryption_key=log_key,
            retention=log_retention,
            removal_policy=removal_policy,
        )
        self.source_role, self.target_role = self._scraper_roles(region)
        self.scraper = aps.CfnScraper(
            self,
            "Scraper",
            alias=f"{alias}-eks",
            source=aps.CfnScraper.SourceProperty(
                eks_configuration=aps.CfnScraper.EksConfigurationProperty(
                    cluster_arn=cluster_arn,
                    subnet_ids=subnet_ids,
                    security_group_ids=security_group_ids,
                )
            ),
            destination=aps.CfnScraper.DestinationProperty(
                amp_configuration=aps.CfnScraper.AmpConfigurationProperty(
                    workspace_arn=self.workspace.attr_arn
                )
            ),
            role_configuration=aps.CfnScraper.RoleConfigurationProperty(
                source_role_arn=self.source_role.role_arn,
                target_role_arn=self.target_role.role_arn,
            ),
            scrape_configuration=aps.CfnScraper.ScrapeConfigurationProperty(
                configuration_blob=scrape_configuration(scrape_interval_seconds)
            ),
            scraper_logging_configuration=aps.CfnScraper.ScraperLoggingConfigurationProperty(
                logging_destination=aps.CfnScraper.ScraperLoggingDestinationProperty(
                    cloud_watch_logs=aps.CfnScraper.CloudWatchLogDestinationProperty(
                        log_group_arn=self.scraper_log_group.log_group_arn
                    )
                ),
                # Every part of the scraper logs: target discovery, scraping, remote write.
                scraper_components=[
                    aps.CfnScraper.ScraperComponentProperty(type=component)
                    for component in ("SERVICE_DISCOVERY", "COLLECTOR", "EXPORTER")
                ],
            ),
        )
        # AMP assumes the roles while creating the scraper: their permissions come first.
        self.scraper.node.add_dependency(*self.scraper_policies)

    def _scraper_roles(self, region: str) -> tuple[iam.Role, iam.Role]:
        """The source and target roles of a scraper writing to a customer-key workspace. The
        scraper's id is generated at creation (and the scraper names the roles), so the trust
        conditions name this account's and region's scrapers rather than one ARN."""
        stack = Stack.of(self)
        scrapers = f"arn:{stack.partition}:aps:{region}:{stack.account}:scraper/*"
        service = iam.ServicePrincipal("scraper.aps.amazonaws.com").with_conditions(
            {
                "StringEquals": {"aws:SourceAccount": stack.account},
                "ArnLike": {"aws:SourceArn": scrapers},
            }
        )
        source = iam.Role(
            self,
            "ScraperSourceRole",
            assumed_by=service,
            description="AMP managed scraper: assumes the target role to write to the workspace",
        )
        target = iam.Role(
            self,
            "ScraperTargetRole",
            assumed_by=iam.ArnPrincipal(source.role_arn).with_conditions(
                {"StringLike": {"sts:ExternalId": scrapers}}
            ),
            description="AMP managed scraper: remote-writes to the customer-key workspace",
        )
        self.scraper_policies = [
            iam.ManagedPolicy(
                self,
                "ScraperSourcePolicy",
                roles=[source],
                statements=[
                    iam.PolicyStatement(actions=["sts:AssumeRole"], resources=[target.role_arn])
                ],
            ),
            iam.ManagedPolicy(
                self,
                "ScraperTargetPolicy",
                roles=[target],
                statements=[
                    iam.PolicyStatement(
                        actions=["aps:RemoteWrite"], resources=[self.workspace.attr_arn]
                    ),
                    # The workspace's data key, and only through AMP in this region.
                    iam.PolicyStatement(
                        actions=["kms:Decrypt", "kms:GenerateDataKey"],
                        resources=[self.key.key_arn],
                        conditions={
                            "StringEquals": {"kms:ViaService": f"aps.{region}.amazonaws.com"}
                        },
                    ),
                ],
            ),
        ]
        return source, target
