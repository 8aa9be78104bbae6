"""Validation of the monitoring section: one clear line per problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infra.config import load_config
from tests.unit.config_helpers import config_error, load_mutated, one_line


def _set(path: str, value: Any):
    def mutate(c: dict[str, Any]) -> None:
        *parents, key = path.split(".")
        node = c["monitoring"]
        for part in parents:
            node = node[part]
        node[key] = value

    return mutate


def test_production_carries_the_design_numbers():
    monitoring = load_config("production", environ={}).monitoring
    assert monitoring.prometheus.retention_days == 30  # the design's "retention: 30d"
    assert {s.protocol for s in monitoring.subscriptions} == {"email", "https"}
    assert monitoring.grafana.authentication == "AWS_SSO"


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("prometheus.retention_days", 0, "monitoring.prometheus.retention_days: Input should be"),
        ("prometheus.retention_days", 2000, "monitoring.prometheus.retention_days: Input should"),
        ("prometheus.scrape_interval_seconds", 5, "monitoring.prometheus.scrape_interval_seconds"),
        ("prometheus.rules.node_cpu_percent", 120, "monitoring.prometheus.rules.node_cpu_percent"),
        ("alarms.redis_memory_percent", 0, "monitoring.alarms.redis_memory_percent: Input should"),
        ("alarms.alb_5xx_percent", 150, "monitoring.alarms.alb_5xx_percent: Input should be"),
        ("alarms.period_minutes", 7, "monitoring.alarms.period_minutes: Input should be"),
        ("alarms.database_free_storage_gib", 0, "monitoring.alarms.database_free_storage_gib"),
        ("tracing.fixed_rate", 1.5, "monitoring.tracing.fixed_rate: Input should be"),
        (
            "prometheus.log_retention_days",
            42,
            "monitoring.prometheus.log_retention_days: 42 is not a retention CloudWatch Logs "
            "accepts",
        ),
        (
            "container_insights.log_retention_days",
            10,
            "monitoring.container_insights.log_retention_days: 10 is not a retention",
        ),
        (
            "subscriptions",
            [{"protocol": "sms", "endpoint": "+15550100"}],
            "monitoring.subscriptions.0.protocol: Input should be 'email' or 'https'",
        ),
        (
            "subscriptions",
            [{"protocol": "https", "endpoint": "http://hooks.example.com/x"}],
            "monitoring.subscriptions.0: endpoint 'http://hooks.example.com/x' is not a valid "
            "https endpoint",
        ),
        (
            "addons.amazon-cloudwatch-observability",
            "4.5.0",
            "monitoring.addons: amazon-cloudwatch-observability: '4.5.0' is not an add-on version",
        ),
        (
            "grafana.authentication",
            "SAML",
            "monitoring.grafana: saml_metadata_url: SAML authentication needs the identity "
            "provider's https:// metadata URL (got None)",
        ),
        ("grafana.authentication", "LDAP", "monitoring.grafana.authentication: Input should be"),
    ],
)
def test_bad_values_are_one_clear_line(tmp_path: Path, path: str, value: Any, expected: str):
    message = one_line(config_error(tmp_path, _set(path, value)))
    assert expected in message, message


def test_missing_addon_is_named(tmp_path: Path):
    def drop(c: dict[str, Any]) -> None:
        del c["monitoring"]["addons"]["kube-state-metrics"]

    message = one_line(config_error(tmp_path, drop))
    assert "monitoring.addons: missing pinned version for kube-state-metrics" in message


def test_saml_with_metadata_url_loads(tmp_path: Path):
    def saml(c: dict[str, Any]) -> None:
        c["monitoring"]["grafana"].update(
            authentication="SAML", saml_metadata_url="https://idp.example.com/metadata"
        )

    grafana = load_mutated(tmp_path, saml).monitoring.grafana
    assert grafana.saml_metadata_url == "https://idp.example.com/metadata"
