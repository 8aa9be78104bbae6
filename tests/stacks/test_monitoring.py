"""Monitoring tier: AMP, scraper, add-ons, alarms, composite, dashboards, Grafana."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.config import RegionRole
from tests.stacks.template_queries import resources, walk
from tests.synth import SynthesizedEnvironment

GIB = 1024**3


def _one(template: dict[str, Any], kind: str) -> dict[str, Any]:
    found = list(resources(template, kind).values())
    assert len(found) == 1, (kind, len(found))
    return found[0]["Properties"]


def _region_composite(template: dict[str, Any]) -> dict[str, Any]:
    (found,) = [
        c["Properties"]
        for c in resources(template, "AWS::CloudWatch::CompositeAlarm").values()
        if c["Properties"]["AlarmName"].endswith("-region-unhealthy")
    ]
    return found


def _topic_id(template: dict[str, Any]) -> str:
    (topic_id,) = resources(template, "AWS::SNS::Topic")
    return topic_id


def _alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        key.removeprefix("Health").split("Alarm")[0]: alarm["Properties"]
        for key, alarm in resources(template, "AWS::CloudWatch::Alarm").items()
    }


def _producer_value(env: SynthesizedEnvironment, reference: dict[str, Any]) -> Any:
    """The value a Fn::GetStackOutput reads: the producing stack's output, which must exist."""
    ref = reference["Fn::GetStackOutput"]
    outputs = env.templates[ref["StackName"]]["Outputs"]
    assert ref["OutputName"] in outputs, ref
    return outputs[ref["OutputName"]]["Value"]


def _cross_stack_refs(node: Any) -> list[dict[str, Any]]:
    return [n for n in walk(node) if isinstance(n, dict) and "Fn::GetStackOutput" in n]


def test_a_monitoring_stack_per_region_and_grafana_in_the_primary_only(
    any_env: SynthesizedEnvironment,
):
    for region, regional in any_env.config.regions.items():
        template = any_env.template("monitoring", region)
        grafana = resources(template, "AWS::Grafana::Workspace")
        assert len(grafana) == (1 if regional.role is RegionRole.PRIMARY else 0), region


def test_every_alarm_has_its_threshold_from_config_and_the_topic(any_env: SynthesizedEnvironment):
    cfg = any_env.config.monitoring.alarms
    rpo_seconds = any_env.config.backup.rpo_minutes * 60
    expected = {
        "DatabaseFreeStorage": cfg.database_free_storage_gib * GIB,
        "DatabaseCpu": cfg.database_cpu_percent,
        "RedisMemory": cfg.redis_memory_percent,
        "Alb5xxRatio": cfg.alb_5xx_percent,
        "AlbHealthyHosts": cfg.alb_min_healthy_hosts,
        "EksFailedNodes": cfg.eks_failed_nodes,
    }
    for region, regional in any_env.config.regions.items():
        template = any_env.template("monitoring", region)
        topic = {"Ref": _topic_id(template)}
        alarms = _alarms(template)
        wanted = dict(expected)
        if regional.role is not RegionRole.PRIMARY:
            wanted["ReplicaLag"] = rpo_seconds
        assert {k: a["Threshold"] for k, a in alarms.items()} == wanted, region
        for alarm in alarms.values():
            assert alarm["AlarmActions"] == [topic]
            assert alarm["OKActions"] == [topic]
            assert alarm["EvaluationPeriods"] == cfg.evaluation_periods
        composite = _region_composite(template)
        assert composite["AlarmActions"] == [topic]
        assert composite["AlarmName"] == f"fdr-{any_env.config.name}-{region}-region-unhealthy"


def test_composite_covers_every_local_alarm_and_references_the_backup_rpo_alarms(
    production: SynthesizedEnvironment,
):
    template = production.template("monitoring", "us-east-1")
    rule = _region_composite(template)["AlarmRule"]
    local = {n["Fn::GetAtt"][0] for n in walk(rule) if isinstance(n, dict) and "Fn::GetAtt" in n}
    assert local == set(resources(template, "AWS::CloudWatch::Alarm"))
    backup = production.template("backup", "us-east-1")
    referenced = {_producer_value(production, r)["Fn::GetAtt"][0] for r in _cross_stack_refs(rule)}
    rpo_alarms = {k for k in resources(backup, "AWS::CloudWatch::Alarm") if k.startswith("Rpo")}
    assert referenced == rpo_alarms and rpo_alarms
    # the backup stack keeps its own alarms: none is duplicated here
    metric_names = {a.get("MetricName") for a in _alarms(template).values()}
    assert "RecoveryPointAgeSeconds" not in metric_names


def test_metric_dimensions_resolve_to_the_watched_resources(any_env: SynthesizedEnvironment):
    """No hand-written dimension: each one reads an output of the stack owning the resource."""
    for region in any_env.config.regions:
        template = any_env.template("monitoring", region)
        data = any_env.template("data", region)
        compute = any_env.template("compute", region)
        watched = {
            next(iter(resources(data, "AWS::RDS::DBInstance"))),
            next(iter(resources(data, "AWS::ElastiCache::ReplicationGroup"))),
            next(iter(resources(compute, "AWS::ElasticLoadBalancingV2::LoadBalancer"))),
            next(iter(resources(compute, "AWS::ElasticLoadBalancingV2::TargetGroup"))),
            next(iter(resources(compute, "AWS::EKS::Cluster"))),
        }
        backup = any_env.templates.get(any_env.stacks.names.stack_id("backup", region))
        if backup is not None:  # its alarms are shown (and the RPO ones composed), not copied
            watched |= set(resources(backup, "AWS::CloudWatch::Alarm"))
        replication = any_env.templates.get(any_env.stacks.names.stack_id("replication", region))
        if replication is not None:  # the same for the object replication's alarms
            watched |= set(resources(replication, "AWS::CloudWatch::Alarm"))
        board = _one(template, "AWS::CloudWatch::Dashboard")
        alarms = resources(template, "AWS::CloudWatch::Alarm")
        seen = set()
        for node in (board["DashboardBody"], alarms):
            for reference in _cross_stack_refs(node):
                value = _producer_value(any_env, reference)
                seen.add(value.get("Ref") or value["Fn::GetAtt"][0])
        # every resource is watched, and nothing else is addressed
        assert seen == watched, (region, seen ^ watched)
        body = json.dumps(board["DashboardBody"])
        for namespace in ("AWS/RDS", "AWS/ElastiCache", "AWS/ApplicationELB", "ContainerInsights"):
            assert namespace in body, (region, namespace)


def test_dashboard_shows_replica_lag_only_for_replicas_and_rpo_only_with_backup(
    production: SynthesizedEnvironment,
):
    def body(region: str) -> str:
        return json.dumps(
            _one(production.template("monitoring", region), "AWS::CloudWatch::Dashboard")
        )

    assert "ReplicaLag" not in body("us-east-1").replace("ReplicationLag", "")
    assert '\\"ReplicaLag\\"' in body("eu-west-1")
    assert "RecoveryPointAgeSeconds" in body("us-east-1")
    assert "RecoveryPointAgeSeconds" not in body("eu-west-1")
    for region in production.config.regions:
        for metric in ("EngineCPUUtilization", "Evictions", "ReplicationLag", "HealthyHostCount"):
            assert metric in body(region), (region, metric)
        assert '\\"p99\\"' in body(region)


def test_prometheus_workspace_is_encrypted_logged_retained_and_scraped(
    any_env: SynthesizedEnvironment,
):
    prometheus = any_env.config.monitoring.prometheus
    for region in any_env.config.regions:
        template = any_env.template("monitoring", region)
        workspace_id, workspace = next(iter(resources(template, "AWS::APS::Workspace").items()))
        props = workspace["Properties"]
        assert props["KmsKeyArn"]["Fn::GetAtt"][0] in resources(template, "AWS::KMS::Key")
        assert props["LoggingConfiguration"]["LogGroupArn"]["Fn::GetAtt"][0] in resources(
            template, "AWS::Logs::LogGroup"
        )
        assert props["WorkspaceConfiguration"]["RetentionPeriodInDays"] == prometheus.retention_days
        assert {"Ref": _topic_id(template)} in walk(props["AlertManagerDefinition"])
        rules = _one(template, "AWS::APS::RuleGroupsNamespace")
        assert rules["Workspace"] == {"Fn::GetAtt": [workspace_id, "Arn"]}
        for alert in ("NodeNotReady", "PodCrashLooping", "NodeHighCpu", "NodeHighMemory"):
            assert f"alert: {alert}" in rules["Data"]
        assert f"> {prometheus.rules.node_cpu_percent}" in rules["Data"]
        scraper = _one(template, "AWS::APS::Scraper")
        assert scraper["Destination"]["AmpConfiguration"]["WorkspaceArn"] == {
            "Fn::GetAtt": [workspace_id, "Arn"]
        }
        (cluster,) = resources(any_env.template("compute", region), "AWS::EKS::Cluster")
        source = scraper["Source"]["EksConfiguration"]
        assert _producer_value(any_env, source["ClusterArn"]) == {"Fn::GetAtt": [cluster, "Arn"]}
        blob = scraper["ScrapeConfiguration"]["ConfigurationBlob"]
        for job in ("kubernetes-nodes", "kube-state-metrics", "kubernetes-pods"):
            assert f"job_name: {job}" in blob
        assert "__meta_kubernetes_pod_annotation_prometheus_io_scrape" in blob
        assert f"scrape_interval: {prometheus.scrape_interval_seconds}s" in blob


def _trust(template: dict[str, Any], role_id: str) -> dict[str, Any]:
    (statement,) = template["Resources"][role_id]["Properties"]["AssumeRolePolicyDocument"][
        "Statement"
    ]
    return statement  # type: ignore[no-any-return]


def test_scraper_writes_to_the_customer_key_workspace_through_its_roles(
    any_env: SynthesizedEnvironment,
):
    for region in any_env.config.regions:
        template = any_env.template("monitoring", region)
        ((workspace_id, workspace),) = resources(template, "AWS::APS::Workspace").items()
        key_id = workspace["Properties"]["KmsKeyArn"]["Fn::GetAtt"][0]
        (scraper,) = resources(template, "AWS::APS::Scraper").values()
        roles = scraper["Properties"]["RoleConfiguration"]
        source_id = roles["SourceRoleArn"]["Fn::GetAtt"][0]
        target_id = roles["TargetRoleArn"]["Fn::GetAtt"][0]
        account = any_env.config.account
        scrapers = f"arn:aws:aps:{region}:{account}:scraper/*"
        source = _trust(template, source_id)
        assert source["Principal"] == {"Service": "scraper.aps.amazonaws.com"}
        assert source["Condition"]["ArnLike"] == {"aws:SourceArn": scrapers}
        assert source["Condition"]["StringEquals"] == {"aws:SourceAccount": account}
        target = _trust(template, target_id)
        assert target["Principal"] == {"AWS": {"Fn::GetAtt": [source_id, "Arn"]}}
        assert target["Condition"] == {"StringLike": {"sts:ExternalId": scrapers}}

        policies = {
            p["Properties"]["Roles"][0]["Ref"]: p["Properties"]["PolicyDocument"]["Statement"]
            for k, p in resources(template, "AWS::IAM::ManagedPolicy").items()
            if k in scraper.get("DependsOn", [])
        }
        assert policies[source_id] == [
            {"Action": "sts:AssumeRole", "Effect": "Allow",
             "Resource": {"Fn::GetAtt": [target_id, "Arn"]}}
        ]  # fmt: skip
        write, use_key = policies[target_id]
        assert write["Action"] == "aps:RemoteWrite"
        assert write["Resource"] == {"Fn::GetAtt": [workspace_id, "Arn"]}
        assert use_key["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]}
        assert use_key["Condition"] == {
            "StringEquals": {"kms:ViaService": f"aps.{region}.amazonaws.com"}
        }


def test_observability_addons_pinned_with_pod_identity(any_env: SynthesizedEnvironment):
    versions = any_env.config.monitoring.addons
    for region in any_env.config.regions:
        template = any_env.template("monitoring", region)
        addons = {
            a["Properties"]["AddonName"]: a["Properties"]
            for a in resources(template, "AWS::EKS::Addon").values()
        }
        assert {n: a["AddonVersion"] for n, a in addons.items()} == dict(versions)
        (association,) = addons["amazon-cloudwatch-observability"]["PodIdentityAssociations"]
        assert association["ServiceAccount"] == "cloudwatch-agent"
        role = template["Resources"][association["RoleArn"]["Fn::GetAtt"][0]]["Properties"]
        principal = role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        assert principal == {"Service": "pods.eks.amazonaws.com"}


def test_observability_addons_deploy_after_the_node_groups(any_env: SynthesizedEnvironment):
    """The exporters and the CloudWatch agent run pods: their stack deploys only once the compute
    stack of the region, node groups included, is complete."""
    names = any_env.stacks.names
    for region in any_env.config.regions:
        monitoring = any_env.manifest["artifacts"][names.stack_id("monitoring", region)]
        assert names.stack_id("compute", region) in monitoring["dependencies"]
        compute = any_env.template("compute", region)
        assert resources(compute, "AWS::EKS::Nodegroup")


def test_encryption_and_retention_everywhere(any_env: SynthesizedEnvironment):
    monitoring = any_env.config.monitoring
    retention = {
        "containerinsights": monitoring.container_insights.log_retention_days,
        "prometheus": monitoring.prometheus.log_retention_days,
    }
    for region in any_env.config.regions:
        template = any_env.template("monitoring", region)
        log_groups = resources(template, "AWS::Logs::LogGroup").values()
        assert len(log_groups) == 6
        for log_group in log_groups:
            props = log_group["Properties"]
            assert "KmsKeyId" in props
            kind = (
                "containerinsights"
                if "containerinsights" in props["LogGroupName"]
                else ("prometheus")
            )
            assert props["RetentionInDays"] == retention[kind], props["LogGroupName"]
        assert "KmsMasterKeyId" in _one(template, "AWS::SNS::Topic")
        assert "KmsMasterKeyId" in _one(template, "AWS::SQS::Queue")
        for key in resources(template, "AWS::KMS::Key").values():
            assert key["Properties"]["EnableKeyRotation"] is True


def test_subscriptions_come_from_config(production: SynthesizedEnvironment):
    template = production.template("monitoring", "us-east-1")
    subscriptions = {
        (s["Properties"]["Protocol"], s["Properties"]["Endpoint"])
        for s in resources(template, "AWS::SNS::Subscription").values()
    }
    assert subscriptions == {
        (s.protocol, s.endpoint) for s in production.config.monitoring.subscriptions
    }


def test_sampling_rule_from_config(any_env: SynthesizedEnvironment):
    tracing = any_env.config.monitoring.tracing
    for region in any_env.config.regions:
        rule = _one(any_env.template("monitoring", region), "AWS::XRay::SamplingRule")
        rule = rule["SamplingRule"]
        assert (rule["FixedRate"], rule["ReservoirSize"], rule["Priority"]) == (
            tracing.fixed_rate,
            tracing.reservoir_size,
            tracing.priority,
        )


@pytest.mark.parametrize("env_name", ["production"])
def test_grafana_reads_amp_cloudwatch_xray_with_its_own_role(
    env_name: str, production: SynthesizedEnvironment
):
    template = production.template("monitoring", production.config.primary_region)
    grafana = _one(template, "AWS::Grafana::Workspace")
    assert grafana["DataSources"] == ["PROMETHEUS", "CLOUDWATCH", "XRAY"]
    assert grafana["AuthenticationProviders"] == [
        production.config.monitoring.grafana.authentication
    ]
    assert grafana["PermissionType"] == "CUSTOMER_MANAGED"
    role_id = grafana["RoleArn"]["Fn::GetAtt"][0]
    (policy,) = [  # the scraper's roles have their own policies
        p["Properties"]
        for p in resources(template, "AWS::IAM::ManagedPolicy").values()
        if p["Properties"]["Roles"] == [{"Ref": role_id}]
    ]
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    query = statements["QueryProjectPrometheus"]
    assert len(query["Resource"]) == len(production.config.regions)
    assert query["Condition"] == {"StringEquals": {"aws:ResourceTag/project": "fdr"}}
    for statement in statements.values():
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        assert not [a for a in actions if "*" in a]
        assert all(
            a.split(":")[1].startswith(("Get", "List", "Describe", "Query", "BatchGet"))
            for a in actions
        ), actions


def test_every_backup_alarm_reaches_the_region_topic_through_a_composite(
    any_env: SynthesizedEnvironment,
):
    """The backup stack's alarms have no actions of their own (acknowledged in
    infra/nag/backup.py); this pins that each is part of a composite alarm that notifies."""
    for region, regional in any_env.stacks.regions.items():
        if regional.backup is None:
            continue
        monitoring = any_env.template("monitoring", region)
        topic = {"Ref": _topic_id(monitoring)}
        routed = set()
        for composite in resources(monitoring, "AWS::CloudWatch::CompositeAlarm").values():
            props = composite["Properties"]
            assert props["AlarmActions"] == [topic] and props["OKActions"] == [topic]
            for ref in _cross_stack_refs(props["AlarmRule"]):
                routed.add(_producer_value(any_env, ref)["Fn::GetAtt"][0])
        alarms = set(resources(any_env.template("backup", region), "AWS::CloudWatch::Alarm"))
        assert alarms and alarms <= routed, alarms - routed
