"""Observability tier settings: managed Prometheus (AMP), Container Insights, X-Ray sampling,
Managed Grafana, CloudWatch alarm thresholds and who the alarms notify (``monitoring`` stacks)."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from infra.config.base import LogRetentionDays, StrictModel
from infra.config.compute import pinned_addons
from infra.config.dns import AlarmSubscription

# EKS add-ons this tier installs (the two exporters are EKS community add-ons).
MonitoringAddon = Literal[
    "amazon-cloudwatch-observability", "prometheus-node-exporter", "kube-state-metrics"
]
REQUIRED_MONITORING_ADDONS: frozenset[str] = frozenset(MonitoringAddon.__args__)  # type: ignore[attr-defined]


class PrometheusRules(StrictModel):
    """Thresholds of the AMP rule groups (evaluated by AMP, routed by its alert manager)."""

    node_not_ready_minutes: int = Field(ge=1, le=60)
    """A node whose Ready condition is false this long raises NodeNotReady."""
    crash_loop_restarts: int = Field(ge=1, le=100)
    """Container restarts within 15 minutes that count as crash looping (PodCrashLooping)."""
    node_cpu_percent: int = Field(ge=50, le=100)
    """Node CPU use (node-exporter) above which NodeHighCpu fires after ``for_minutes``."""
    node_memory_percent: int = Field(ge=50, le=100)
    """Node memory use (node-exporter) above which NodeHighMemory fires after ``for_minutes``."""
    for_minutes: int = Field(ge=1, le=60)
    """How long the CPU and memory conditions must hold before the alert fires."""


class PrometheusConfig(StrictModel):
    retention_days: int = Field(ge=1, le=1095)
    """Days AMP keeps samples (the design: 30 d); AMP accepts 1 to 1095."""
    scrape_interval_seconds: int = Field(ge=15, le=300)
    """How often the managed scraper collects every job."""
    log_retention_days: LogRetentionDays
    """Retention of the AMP workspace and scraper log groups (rule and alert-manager errors)."""
    rules: PrometheusRules
    """Thresholds of the basic Kubernetes alert rules."""


class ContainerInsightsConfig(StrictModel):
    log_retention_days: LogRetentionDays
    """Retention of the Container Insights log groups (application, dataplane, host,
    performance) that Fluent Bit and the CloudWatch agent write to."""


class TracingConfig(StrictModel):
    """The X-Ray sampling rule of the region (traces arrive through the CloudWatch agent)."""

    fixed_rate: float = Field(ge=0, le=1)
    """Share of requests sampled beyond the reservoir (0.05 = 5 %)."""
    reservoir_size: int = Field(ge=0, le=10000)
    """Requests per second always sampled before ``fixed_rate`` applies."""
    priority: int = Field(ge=1, le=9999)
    """Rule priority (lower wins over other rules; the X-Ray default rule is 10000)."""
    service_name: str = Field(default="*", min_length=1, max_length=64)
    """Service the rule applies to (``*`` for every service of the account)."""


class GrafanaConfig(StrictModel):
    authentication: Literal["AWS_SSO", "SAML"]
    """IAM Identity Center (AWS_SSO) or a SAML identity provider."""
    saml_metadata_url: str | None = None
    """Metadata URL of the SAML identity provider (required with SAML)."""
    saml_admin_role_values: list[str] = Field(default_factory=list)
    """SAML role-assertion values that become Grafana admins (with SAML)."""
    grafana_version: str = Field(pattern=r"^\d+\.\d+$")
    """Grafana major.minor of the workspace (e.g. 10.4)."""
    provisioning_token_minutes: int = Field(default=10, ge=1, le=60)
    """Lifetime of the service-account token ``make grafana`` creates (and deletes when it is
    done): the most a leaked token could be used for."""

    @model_validator(mode="after")
    def _saml_needs_metadata(self) -> Self:
        if self.authentication == "SAML":
            url = self.saml_metadata_url
            if not url or not url.startswith("https://"):
                raise ValueError(
                    f"saml_metadata_url: SAML authentication needs the identity provider's "
                    f"https:// metadata URL (got {url!r})"
                )
        return self


class AlarmThresholds(StrictModel):
    """CloudWatch alarm thresholds (replica lag is not here: its threshold is the RPO it protects,
    ``backup.rpo_minutes``)."""

    period_minutes: Literal[1, 5, 10, 15, 30, 60]
    """Evaluation period of every alarm of this tier."""
    evaluation_periods: int = Field(ge=1, le=60)
    """Consecutive breaching periods before an alarm fires."""
    database_free_storage_gib: int = Field(ge=1, le=65536)
    """Free storage of a database instance below which the alarm fires."""
    database_cpu_percent: int = Field(ge=1, le=100)
    """Database CPU above which the alarm fires."""
    redis_memory_percent: int = Field(ge=1, le=100)
    """Redis DatabaseMemoryUsagePercentage of any node above which the alarm fires."""
    alb_5xx_percent: float = Field(gt=0, le=100)
    """Share of ALB requests answered 5xx (by the ALB or a target) above which the alarm fires."""
    alb_min_requests: int = Field(ge=0)
    """Requests per period below which the 5xx ratio is not judged (a handful of requests at
    night must not page anyone)."""
    alb_min_healthy_hosts: int = Field(ge=1)
    """Healthy targets below which the alarm fires."""
    eks_failed_nodes: int = Field(ge=1)
    """Failed nodes (Container Insights cluster_failed_node_count) at which the alarm fires."""


class MonitoringConfig(StrictModel):
    addons: dict[MonitoringAddon, str]
    """Pinned versions (``aws eks describe-addon-versions --addon-name X``) of
    amazon-cloudwatch-observability, prometheus-node-exporter and kube-state-metrics."""
    prometheus: PrometheusConfig
    """Amazon Managed Service for Prometheus: workspace, managed scraper, rules."""
    container_insights: ContainerInsightsConfig
    """The amazon-cloudwatch-observability add-on (Container Insights, Fluent Bit)."""
    tracing: TracingConfig
    """X-Ray sampling."""
    grafana: GrafanaConfig
    """Amazon Managed Grafana workspace (primary region only)."""
    alarms: AlarmThresholds
    """CloudWatch alarm thresholds."""
    subscriptions: list[AlarmSubscription] = Field(default_factory=list)
    """Who the region's alert topic notifies (email, or https for a paging webhook)."""

    @field_validator("addons")
    @classmethod
    def _addons(cls, value: dict[str, str]) -> dict[str, str]:
        return pinned_addons(value, REQUIRED_MONITORING_ADDONS)
