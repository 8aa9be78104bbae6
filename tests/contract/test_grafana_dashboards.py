"""Grafana dashboards (infra/grafana/dashboards/*.json) <-> what exists to query:

- every panel runs against a data source `make grafana` provisions (by uid, or through a
  data-source variable of a provisioned type);
- every CloudWatch query names a metric our templates already use (an alarm, or a widget of the
  region dashboard) with the same namespace, metric name and dimension names: the alarms of custom
  namespaces are themselves tied to what the backup jobs emit (test_metrics_contract.py);
- every PromQL metric is one the AMP rule groups in the templates evaluate, or one of the few
  exporter metrics listed below with where they come from.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.stacks.template_queries import resources
from tests.synth import SynthesizedEnvironment
from tools.grafana.dashboards import load_dashboards, queries, variables
from tools.grafana.datasources import PrometheusWorkspace, data_sources

# Exporter metrics dashboards use beyond those of the rule groups: the EKS community add-ons'
# upstream projects document them (kube-state-metrics docs/metrics/workload/pod-metrics.md).
EXPORTER_METRICS = {"kube_pod_status_phase"}
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "or", "and",
                "unless", "bool", "offset"}  # fmt: skip
CW_VARIABLE = re.compile(r"dimension_values\(\$\w+,\s*([^,]+),\s*([^,]+),\s*([^)]+)\)")

Metric = tuple[str, str, frozenset[str]]


def _flatten(value: Any) -> str:
    """A Fn::Join'ed dashboard body as text, every token replaced by a placeholder."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(_flatten(p) for p in parts)
    return "TOKEN"


def _widget_metrics(body: dict[str, Any]) -> set[Metric]:
    found = set()
    for widget in body.get("widgets", []):
        previous: list[str] = []
        for row in widget.get("properties", {}).get("metrics", []):
            fields = [f for f in row if isinstance(f, str)]
            # "." repeats the previous row's field at that position (CloudWatch's shorthand)
            padded = previous + fields[len(previous) :]
            fields = [p if f == "." else f for f, p in zip(fields, padded, strict=False)]
            previous = fields
            if len(fields) >= 2 and "expression" not in str(row):
                found.add((fields[0], fields[1], frozenset(fields[2::2])))
    return found


def used_metrics(env: SynthesizedEnvironment) -> set[Metric]:
    """(namespace, metric, dimension names) of every alarm and region-dashboard widget."""
    found: set[Metric] = set()
    for template in env.templates.values():
        for alarm in resources(template, "AWS::CloudWatch::Alarm").values():
            props = alarm["Properties"]
            metrics = [props] if "MetricName" in props else []
            metrics += [m["MetricStat"]["Metric"] for m in props.get("Metrics", [])
                        if "MetricStat" in m]  # fmt: skip
            for m in metrics:
                dims = frozenset(d["Name"] for d in m.get("Dimensions", []))
                found.add((m["Namespace"], m["MetricName"], dims))
        for board in resources(template, "AWS::CloudWatch::Dashboard").values():
            found |= _widget_metrics(json.loads(_flatten(board["Properties"]["DashboardBody"])))
    return found


def rule_metrics(env: SynthesizedEnvironment) -> set[str]:
    names: set[str] = set()
    for template in env.templates.values():
        for group in resources(template, "AWS::APS::RuleGroupsNamespace").values():
            names |= promql_metrics(group["Properties"]["Data"])
    return names


def promql_metrics(text: str) -> set[str]:
    """Metric names in PromQL (or rule YAML): identifiers that are not functions, keywords,
    label names or label values."""
    text = re.sub(r'"[^"]*"', "", text)
    text = re.sub(r"\{[^}]*\}|\[[^\]]*\]", "", text)
    text = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", text)
    tokens = re.findall(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()", text)
    return {t for t in tokens if "_" in t and t not in PROMQL_WORDS}


def provisioned(env: SynthesizedEnvironment) -> dict[str, str]:
    """uid -> plugin type of every data source `make grafana` creates for the environment."""
    workspaces = [PrometheusWorkspace(r, "ws") for r in env.config.regions]
    return {s["uid"]: s["type"] for s in data_sources(workspaces, env.config.primary_region)}


def test_dashboards_are_valid_and_unique():
    dashboards = load_dashboards()
    assert {d["uid"] for d in dashboards.values()} == {
        "fdr-cluster", "fdr-nodes", "fdr-database", "fdr-replication",  # the runbooks' four
    }  # fmt: skip
    for name, dashboard in dashboards.items():
        ids = [p["id"] for p in dashboard["panels"]]
        assert len(ids) == len(set(ids)), name
        assert dashboard["panels"], name


@pytest.mark.parametrize("name", sorted(load_dashboards()))
def test_every_panel_uses_a_provisioned_data_source(production: SynthesizedEnvironment, name):
    dashboard = load_dashboards()[name]
    sources = provisioned(production)
    types = set(sources.values())
    declared = variables(dashboard)
    for query in queries(name, dashboard):
        uid, kind = query.datasource.get("uid", ""), query.datasource.get("type")
        if uid.startswith("${"):
            variable = declared.get(uid[2:-1])
            assert variable and variable["type"] == "datasource", (query.panel, uid)
            assert variable["query"] == kind and kind in types, (query.panel, uid)
        else:
            assert sources.get(uid) == kind, f"{name} / {query.panel}: {uid} ({kind})"
    for variable in declared.values():
        if variable["type"] == "query":
            assert sources.get(variable["datasource"]["uid"]), (name, variable["name"])


@pytest.mark.parametrize("name", sorted(load_dashboards()))
def test_cloudwatch_queries_name_metrics_we_use(production: SynthesizedEnvironment, name):
    dashboard = load_dashboards()[name]
    known = used_metrics(production)
    for query in queries(name, dashboard):
        if query.datasource.get("type") != "cloudwatch":
            continue
        target = query.target
        metric = (target["namespace"], target["metricName"], frozenset(target["dimensions"]))
        assert metric in known, f"{name} / {query.panel}: {metric} is in no alarm or dashboard"
    for variable in variables(dashboard).values():
        match = CW_VARIABLE.match(str(variable.get("query", "")))
        if match:
            namespace, metric_name, dimension = (g.strip() for g in match.groups())
            assert any(k[:2] == (namespace, metric_name) and dimension in k[2] for k in known), (
                f"{name}: variable {variable['name']} lists {namespace} {metric_name} {dimension}"
            )


@pytest.mark.parametrize("name", sorted(load_dashboards()))
def test_promql_queries_name_metrics_that_exist(production: SynthesizedEnvironment, name):
    dashboard = load_dashboards()[name]
    known = rule_metrics(production) | EXPORTER_METRICS
    for query in queries(name, dashboard):
        if query.datasource.get("type") == "prometheus":
            unknown = promql_metrics(query.target["expr"]) - known
            assert not unknown, f"{name} / {query.panel}: {sorted(unknown)}"
