"""The global edge: CloudFront (viewer TLS, HTTP versions, cache behaviours, the one origin), its
CLOUDFRONT-scope WAF in us-east-1, access logs, the origin secret, and what the edge changes in
the other tiers: the ALBs' origin lock-down (security groups and listener rules) and the DNS
records. Also the validation of the ``edge`` config section."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from infra.cdk_context import new_app
from infra.config import load_config
from infra.constructs.distribution import VIEWER_POLICIES
from infra.constructs.managed_prefix_lists import CLOUDFRONT_ORIGIN_FACING, route53_health_checkers
from infra.stack_factory import StackFactory
from tests.stacks.template_queries import ref_target, resources, walk
from tests.synth import EDGE_ENVS, SynthesizedEnvironment
from tests.unit.config_helpers import config_error, one_line

DISTRIBUTION = "AWS::CloudFront::Distribution"
# AWS managed cache and origin-request policies (ids are global and fixed).
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
# Route 53's alias hosted zone id for every CloudFront distribution.
CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"
DYNAMIC_REFERENCE = re.compile(
    r"^\{\{resolve:secretsmanager:[^:}]+:SecretString:(current|previous)\}\}$"
)


def _edge(env: SynthesizedEnvironment) -> dict[str, Any]:
    return env.template("edge", "global")


def _distributions(env: SynthesizedEnvironment) -> dict[str, dict[str, Any]]:
    """Distribution config by its first alias (app.<domain>, api-read.<domain>)."""
    found = {}
    for distribution in resources(_edge(env), DISTRIBUTION).values():
        config = distribution["Properties"]["DistributionConfig"]
        (alias,) = config["Aliases"]
        found[alias] = dict(config)
    return found


def _distribution(env: SynthesizedEnvironment) -> dict[str, Any]:
    dns = env.config.dns
    return _distributions(env)[f"{dns.application_record}.{dns.domain}"]


def _read_distribution(env: SynthesizedEnvironment) -> dict[str, Any]:
    dns = env.config.dns
    return _distributions(env)[f"{dns.read_record}.{dns.domain}"]


def test_no_edge_stack_where_the_edge_is_off(development: SynthesizedEnvironment):
    assert not development.config.edge.enabled
    assert development.stacks.edge is None
    assert not any("-edge-" in name for name in development.templates)


def test_edge_stack_lives_in_us_east_1(edge_env: SynthesizedEnvironment):
    artifact = edge_env.manifest["artifacts"][edge_env.stacks.names.stack_id("edge", "global")]
    assert artifact["environment"].endswith("/us-east-1")


def test_viewer_tls_http_versions_and_certificate(edge_env: SynthesizedEnvironment):
    config = _distribution(edge_env)
    edge, dns = edge_env.config.edge, edge_env.config.dns
    viewer = config["ViewerCertificate"]
    assert viewer["MinimumProtocolVersion"] == edge.viewer_security_policy
    assert viewer["SslSupportMethod"] == "sni-only"
    assert config["HttpVersion"] == "http2and3"
    assert config["IPV6Enabled"] is True
    application = f"{dns.application_record}.{dns.domain}"
    assert config["Aliases"] == [application]
    certificate = _edge(edge_env)["Resources"][ref_target(viewer["AcmCertificateArn"])]
    assert certificate["Type"] == "AWS::CertificateManager::Certificate"
    props = certificate["Properties"]
    assert props["DomainName"] == application
    assert props["ValidationMethod"] == "DNS"
    assert props["DomainValidationOptions"][0]["HostedZoneId"] == dns.hosted_zone_id


def test_every_viewer_policy_in_config_exists_in_cdk():
    # The config's Literal and the construct's table name the same CloudFront policies.
    from infra.config.edge import ViewerSecurityPolicy

    assert set(ViewerSecurityPolicy.__args__) == set(VIEWER_POLICIES)  # type: ignore[attr-defined]


def test_cache_behaviours_follow_the_configured_paths(edge_env: SynthesizedEnvironment):
    config = _distribution(edge_env)
    edge = edge_env.config.edge
    template = _edge(edge_env)
    behaviours = {b["PathPattern"]: b for b in config["CacheBehaviors"]}
    assert set(behaviours) == {*edge.static_paths, *edge.api_paths}
    for path in [*edge.api_paths, None]:
        behaviour = config["DefaultCacheBehavior"] if path is None else behaviours[path]
        assert behaviour["CachePolicyId"] == CACHING_DISABLED, path
        assert behaviour["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER, path
        assert "POST" in behaviour["AllowedMethods"], path
        assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
    ttls = edge.static_cache
    for path in edge.static_paths:
        behaviour = behaviours[path]
        assert behaviour["AllowedMethods"] == ["GET", "HEAD", "OPTIONS"]
        policy = template["Resources"][ref_target(behaviour["CachePolicyId"])]["Properties"]
        policy_config = policy["CachePolicyConfig"]
        assert policy_config["MinTTL"] == ttls.min_ttl_seconds
        assert policy_config["DefaultTTL"] == ttls.default_ttl_seconds
        assert policy_config["MaxTTL"] == ttls.max_ttl_seconds
        assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"


def test_one_origin_the_dns_failover_chain_over_https(edge_env: SynthesizedEnvironment):
    config = _distribution(edge_env)
    edge, dns = edge_env.config.edge, edge_env.config.dns
    # No origin group: failover is DNS's alone (docs/decisions.md).
    assert "OriginGroups" not in config
    (origin,) = config["Origins"]
    assert origin["DomainName"] == f"{edge.origin_record}.{dns.domain}"
    assert origin["DomainName"] == edge_env.config.failover_record
    custom = origin["CustomOriginConfig"]
    assert custom["OriginProtocolPolicy"] == "https-only"
    assert custom["OriginSSLProtocols"] == ["TLSv1.2"]
    assert custom["HTTPSPort"] == edge_env.config.network.ports.https
    (header,) = origin["OriginCustomHeaders"]
    assert header["HeaderName"] == edge.origin_header_name
    assert DYNAMIC_REFERENCE.match(header["HeaderValue"])
    assert header["HeaderValue"].endswith(":current}}")


def test_read_endpoint_has_its_own_read_only_distribution(edge_env: SynthesizedEnvironment):
    """api-read.<domain> goes through the edge too: same viewer TLS, HTTP versions, WAF and
    origin header as app.<domain>, no caching, only the methods that read, and the latency
    records (read-origin.<domain>) as its one origin."""
    edge, dns = edge_env.config.edge, edge_env.config.dns
    config, app = _read_distribution(edge_env), _distribution(edge_env)
    for key in ("HttpVersion", "IPV6Enabled", "PriceClass", "WebACLId"):
        assert config[key] == app[key], key
    viewer = config["ViewerCertificate"]
    assert viewer["MinimumProtocolVersion"] == edge.viewer_security_policy
    assert viewer["SslSupportMethod"] == "sni-only"
    certificate = _edge(edge_env)["Resources"][ref_target(viewer["AcmCertificateArn"])]
    assert certificate["Properties"]["DomainName"] == f"{dns.read_record}.{dns.domain}"
    assert config.get("CacheBehaviors", []) == []
    behaviour = config["DefaultCacheBehavior"]
    assert behaviour["AllowedMethods"] == ["GET", "HEAD", "OPTIONS"]
    assert behaviour["CachePolicyId"] == CACHING_DISABLED
    assert behaviour["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
    assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
    assert "OriginGroups" not in config
    (origin,) = config["Origins"]
    assert origin["DomainName"] == f"{edge.read_origin_record}.{dns.domain}"
    assert origin["DomainName"] == edge_env.config.latency_record
    assert "OriginShield" not in origin  # it would pin every request to one Region
    assert origin["CustomOriginConfig"] == app["Origins"][0]["CustomOriginConfig"]
    assert origin["OriginCustomHeaders"] == app["Origins"][0]["OriginCustomHeaders"]


def test_the_stack_lists_every_distribution_that_sends_the_origin_header(
    edge_env: SynthesizedEnvironment,
):
    stack = edge_env.stacks.edge
    assert stack is not None
    listed = {stack.resolve(d.distribution_id)["Ref"] for d in stack.distributions}
    assert listed == set(resources(_edge(edge_env), DISTRIBUTION))


def test_waf_at_cloudfront_scope_in_us_east_1(edge_env: SynthesizedEnvironment):
    template = _edge(edge_env)
    ((acl_id, acl),) = resources(template, "AWS::WAFv2::WebACL").items()
    props = acl["Properties"]
    assert props["Scope"] == "CLOUDFRONT"
    for config in _distributions(edge_env).values():
        assert config["WebACLId"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    assert resources(template, "AWS::WAFv2::WebACLAssociation") == {}
    rules = {r["Name"]: r for r in props["Rules"]}
    assert "AWSManagedRulesCommonRuleSet" in rules
    assert "AWSManagedRulesAmazonIpReputationList" in rules
    rate = rules["RateLimitPerIp"]["Statement"]["RateBasedStatement"]
    assert rate["Limit"] == edge_env.config.edge.rate_limit_per_5_minutes
    (logging,) = resources(template, "AWS::WAFv2::LoggingConfiguration").values()
    assert ref_target(logging["Properties"]["ResourceArn"]) == acl_id


def test_access_logs_go_to_the_log_bucket(edge_env: SynthesizedEnvironment):
    template = _edge(edge_env)
    distributions = set(resources(template, DISTRIBUTION))
    assert len(distributions) == 2
    sources = resources(template, "AWS::Logs::DeliverySource")
    logged = set()
    for source in sources.values():
        assert source["Properties"]["LogType"] == "ACCESS_LOGS"
        (distribution_id,) = [
            d for d in distributions if d in json.dumps(source["Properties"]["ResourceArn"])
        ]
        logged.add(distribution_id)
    assert logged == distributions
    ((destination_id, destination),) = resources(template, "AWS::Logs::DeliveryDestination").items()
    bucket_id = ref_target(destination["Properties"]["DestinationResourceArn"])
    bucket = template["Resources"][bucket_id]["Properties"]
    rules = bucket["LifecycleConfiguration"]["Rules"]
    assert rules[0]["ExpirationInDays"] == edge_env.config.edge.access_log_retention_days
    deliveries = resources(template, "AWS::Logs::Delivery").values()
    assert sorted(d["Properties"]["DeliverySourceName"] for d in deliveries) == sorted(
        s["Properties"]["Name"] for s in sources.values()
    )
    for delivery in deliveries:
        assert ref_target(delivery["Properties"]["DeliveryDestinationArn"]) == destination_id


def test_origin_secret_is_generated_and_replicated_never_in_a_template(
    edge_env: SynthesizedEnvironment,
):
    (secret,) = resources(_edge(edge_env), "AWS::SecretsManager::Secret").values()
    props = secret["Properties"]
    assert "SecretString" not in props
    assert props["GenerateSecretString"]["GenerateStringKey"] == "current"
    assert props["Name"] == edge_env.stacks.names.origin_secret()
    replicas = {r["Region"] for r in props["ReplicaRegions"]}
    assert replicas == set(edge_env.config.regions) - {"us-east-1"}
    # Every place the header travels holds a dynamic reference, in every template.
    header = edge_env.config.edge.origin_header_name
    for name, template in edge_env.templates.items():
        for node in walk(template):
            if isinstance(node, dict) and node.get("HeaderName") == header:
                assert DYNAMIC_REFERENCE.match(node["HeaderValue"]), name
            if isinstance(node, dict) and node.get("HttpHeaderName") == header:
                assert node["Values"] and all(DYNAMIC_REFERENCE.match(v) for v in node["Values"])


def _web_groups(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        k: v
        for k, v in resources(template, "AWS::EC2::SecurityGroup").items()
        if k.startswith(("SecurityGroupsWeb", "SecurityGroupsHealthCheckers"))
    }


def _ingress_rules(template: dict[str, Any], group: str) -> list[dict[str, Any]]:
    inline = template["Resources"][group]["Properties"].get("SecurityGroupIngress", [])
    separate = [
        r["Properties"]
        for r in resources(template, "AWS::EC2::SecurityGroupIngress").values()
        if ref_target(r["Properties"]["GroupId"]) == group
    ]
    return [*inline, *separate]


def _prefix_list_name(template: dict[str, Any], rule: dict[str, Any]) -> str:
    lookup = template["Resources"][ref_target(rule["SourcePrefixListId"])]
    call = json.loads(lookup["Properties"]["Create"])
    assert (call["service"], call["action"]) == ("EC2", "describeManagedPrefixLists")
    (name,) = call["parameters"]["Filters"][0]["Values"]
    return str(name)


def test_alb_groups_admit_only_cloudfront_and_the_health_checkers(
    edge_env: SynthesizedEnvironment,
):
    https = edge_env.config.network.ports.https
    for region in edge_env.config.regions:
        template = edge_env.template("network", region)
        groups = _web_groups(template)
        assert len(groups) == 2, region
        sources = {}
        for group in groups:
            for rule in _ingress_rules(template, group):
                assert rule.get("CidrIp") != "0.0.0.0/0" and "CidrIpv6" not in rule, (region, rule)
                assert (rule["FromPort"], rule["ToPort"]) == (https, https), (region, rule)
                sources[_prefix_list_name(template, rule)] = group
        assert set(sources) == {CLOUDFRONT_ORIGIN_FACING, route53_health_checkers(region)}
        # One prefix list per group: their weights (55 and 25) exceed 60 rules together.
        assert len(set(sources.values())) == 2


def test_without_edge_the_web_group_is_open_to_the_internet(development: SynthesizedEnvironment):
    template = development.template("network", "us-east-1")
    (group,) = _web_groups(template)
    assert {r.get("CidrIp") for r in _ingress_rules(template, group)} == {"0.0.0.0/0"}


def test_listener_forwards_only_with_the_origin_header_or_to_the_health_path(
    edge_env: SynthesizedEnvironment,
):
    edge, dns = edge_env.config.edge, edge_env.config.dns
    for region in edge_env.config.regions:
        template = edge_env.template("compute", region)
        https = edge_env.config.network.ports.https
        (listener_id, listener), = [
            (k, v) for k, v in resources(template, "AWS::ElasticLoadBalancingV2::Listener").items()
            if v["Properties"]["Port"] == https
        ]  # fmt: skip
        (default,) = listener["Properties"]["DefaultActions"]
        assert default["Type"] == "fixed-response"
        assert default["FixedResponseConfig"]["StatusCode"] == "403"
        rules = [
            r["Properties"]
            for r in resources(template, "AWS::ElasticLoadBalancingV2::ListenerRule").values()
            if ref_target(r["Properties"]["ListenerArn"]) == listener_id
        ]
        conditions = {c["Field"]: c for rule in rules for c in rule["Conditions"]}
        header = conditions["http-header"]["HttpHeaderConfig"]
        assert header["HttpHeaderName"] == edge.origin_header_name
        # Both, always: a deploy after a rotation must not drop the value CloudFront may still send.
        assert [DYNAMIC_REFERENCE.match(v)[1] for v in header["Values"]] == ["current", "previous"]
        assert conditions["path-pattern"]["PathPatternConfig"]["Values"] == [dns.health_check.path]
        assert {r["Actions"][0]["Type"] for r in rules} == {"forward"}
        (alb,) = resources(template, "AWS::ElasticLoadBalancingV2::LoadBalancer").values()
        assert len(alb["Properties"]["SecurityGroups"]) == 2


def test_without_edge_the_listener_forwards_everything(development: SynthesizedEnvironment):
    template = development.template("compute", "us-east-1")
    assert resources(template, "AWS::ElasticLoadBalancingV2::ListenerRule") == {}


def test_app_aliases_the_distribution_and_the_chain_moves_to_the_origin_name(
    edge_env: SynthesizedEnvironment,
):
    template = edge_env.template("dns", "global")
    dns = edge_env.config.dns
    records = resources(template, "AWS::Route53::RecordSet").values()
    app = [
        r["Properties"]
        for r in records
        if r["Properties"]["Name"] == f"{dns.application_record}.{dns.domain}."
    ]
    assert sorted(r["Type"] for r in app) == ["A", "AAAA"]
    for record in app:
        mapping, _, key = record["AliasTarget"]["HostedZoneId"]["Fn::FindInMap"]
        assert template["Mappings"][mapping]["aws"][key] == CLOUDFRONT_ZONE_ID
        assert "Failover" not in record
    origin = [
        r["Properties"]
        for r in records
        if r["Properties"]["Name"] == f"{edge_env.config.failover_record}."
    ]
    assert sorted(r["Failover"] for r in origin) == ["PRIMARY", "SECONDARY"]


def test_read_record_aliases_the_read_distribution_and_the_latency_records_move(
    edge_env: SynthesizedEnvironment,
):
    template = edge_env.template("dns", "global")
    dns = edge_env.config.dns
    records = [r["Properties"] for r in resources(template, "AWS::Route53::RecordSet").values()]
    read = [r for r in records if r["Name"] == f"{dns.read_record}.{dns.domain}."]
    assert sorted(r["Type"] for r in read) == ["A", "AAAA"]
    edge_id = edge_env.stacks.names.stack_id("edge", "global")
    outputs = _edge(edge_env)["Outputs"]
    (read_distribution_id,) = [
        k for k, v in resources(_edge(edge_env), DISTRIBUTION).items()
        if v["Properties"]["DistributionConfig"]["Aliases"] == [f"{dns.read_record}.{dns.domain}"]
    ]  # fmt: skip
    for record in read:
        assert "Region" not in record and "SetIdentifier" not in record
        output = record["AliasTarget"]["DNSName"]["Fn::GetStackOutput"]
        assert output["StackName"] == edge_id
        assert outputs[output["OutputName"]]["Value"] == {
            "Fn::GetAtt": [read_distribution_id, "DomainName"]
        }
    latency = [r for r in records if r["Name"] == f"{edge_env.config.latency_record}."]
    roles = {r: c.role for r, c in edge_env.config.regions.items()}
    assert sorted(r["Region"] for r in latency) == sorted(dns.latency_regions(roles))
    assert all(r["AliasTarget"]["EvaluateTargetHealth"] and "HealthCheckId" in r for r in latency)


def test_without_edge_the_read_record_is_the_latency_records(development: SynthesizedEnvironment):
    dns = development.config.dns
    assert development.config.latency_record == f"{dns.read_record}.{dns.domain}"
    records = resources(development.template("dns", "global"), "AWS::Route53::RecordSet")
    read = [
        r["Properties"] for r in records.values()
        if r["Properties"]["Name"] == f"{dns.read_record}.{dns.domain}."
    ]  # fmt: skip
    assert read and all("Region" in r for r in read)


def test_edge_deploys_before_the_listeners_and_the_dns(edge_env: SynthesizedEnvironment):
    names = edge_env.stacks.names
    edge_id = names.stack_id("edge", "global")
    for region in edge_env.config.regions:
        stack = names.stack_id("compute", region)
        assert edge_id in edge_env.manifest["artifacts"][stack]["dependencies"], region
    assert (
        edge_id in edge_env.manifest["artifacts"][names.stack_id("dns", "global")]["dependencies"]
    )


def test_shield_advanced_only_when_configured(edge_env: SynthesizedEnvironment):
    assert not edge_env.config.edge.shield_advanced
    for template in edge_env.templates.values():
        assert resources(template, "AWS::Shield::Protection") == {}


def test_shield_advanced_protects_the_distribution(tmp_path: Path):
    from tests.unit.config_helpers import load_mutated

    def shield_on(data: dict[str, Any]) -> None:
        data["edge"]["shield_advanced"] = True

    config = load_mutated(tmp_path, shield_on, "staging")
    app = new_app(outdir=str(tmp_path / "out"), context={"env": "staging"})
    edge = StackFactory(app, config).edge()
    template = app.synth().get_stack_by_name(edge.stack_name).template
    protections = [
        json.dumps(p["Properties"]["ResourceArn"])
        for p in resources(template, "AWS::Shield::Protection").values()
    ]
    distributions = resources(template, DISTRIBUTION)
    assert len(protections) == len(distributions) == 2
    for distribution_id in distributions:
        assert sum(distribution_id in arn for arn in protections) == 1, distribution_id


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda e: e.update(static_paths=["static/*"]), "edge.static_paths"),
        (lambda e: e.update(api_paths=["/api/*", "/api/*"]), "must be distinct"),
        (lambda e: e.update(static_paths=["/api/*"]), "static_paths and api_paths both list"),
        (lambda e: e.update(origin_header_name="X Origin"), "origin_header_name"),
        (lambda e: e.update(viewer_security_policy="TLSv1_2016"), "viewer_security_policy"),
        (lambda e: e["static_cache"].update(default_ttl_seconds=0, min_ttl_seconds=10), "min_ttl"),
        (lambda e: e.update(origin_record="app"), "edge.origin_record"),
        (lambda e: e.update(read_origin_record="api-read"), "edge.read_origin_record"),
        (lambda e: e.update(read_origin_record="origin"), "edge.read_origin_record"),
        (lambda e: e.update(read_origin_record="origin-standby"), "standby level"),
        (lambda e: e.update(read_origin_record="Read"), "edge.read_origin_record"),
    ],
)
def test_edge_config_errors_are_one_line(tmp_path: Path, mutate, expected: str):
    message = one_line(config_error(tmp_path, lambda data: mutate(data["edge"])))
    assert expected in message


def test_environments_load_with_their_edge_setting():
    assert not load_config("development", environ={}).edge.enabled
    for env in EDGE_ENVS:
        assert load_config(env, environ={}).edge.enabled
