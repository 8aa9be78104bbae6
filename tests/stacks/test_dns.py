"""Global DNS: failover and latency records, health checks and their alarms, query logging,
DNSSEC, the cross-region ALB look-ups, and the validation of the ``dns`` config section."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.config import load_config
from infra.config.base import RegionRole
from tests.stacks.template_queries import ref_target, resources, walk
from tests.synth import SynthesizedEnvironment
from tests.unit.config_helpers import config_error, one_line

RECORD = "AWS::Route53::RecordSet"
HEALTH_CHECK = "AWS::Route53::HealthCheck"


def _dns(env: SynthesizedEnvironment) -> dict[str, Any]:
    return env.template("dns", "global")


def _lookup_region(template: dict[str, Any], value: dict[str, Any]) -> tuple[str, str]:
    """(region, parameter name) of the SSM look-up a Fn::GetAtt points to."""
    call = json.loads(template["Resources"][ref_target(value)]["Properties"]["Create"])
    assert call["service"] == "SSM" and call["action"] == "getParameter"
    return call["region"], call["parameters"]["Name"]


def _health_check_region(template: dict[str, Any], health_check_ref: dict[str, Any]) -> str:
    check = template["Resources"][ref_target(health_check_ref)]["Properties"]
    region, name = _lookup_region(template, check["HealthCheckConfig"]["FullyQualifiedDomainName"])
    assert name.endswith("/ingress/alb-dns-name")
    return region


def _alias_region(template: dict[str, Any], record: dict[str, Any]) -> str:
    alias = record["Properties"]["AliasTarget"]
    dns_name = alias["DNSName"]["Fn::Join"][1][1]
    region, name = _lookup_region(template, dns_name)
    zone_region, zone_name = _lookup_region(template, alias["HostedZoneId"])
    assert name.endswith("/ingress/alb-dns-name")
    assert zone_name.endswith("/ingress/alb-hosted-zone-id")
    assert zone_region == region
    assert alias["EvaluateTargetHealth"] is True
    return region


def _joined_json(value: Any) -> Any:
    """Parse a JSON document CDK rendered as Fn::Join (tokens sit inside JSON strings)."""
    if isinstance(value, str):
        return json.loads(value)
    return json.loads("".join(p if isinstance(p, str) else "TOKEN" for p in value["Fn::Join"][1]))


def _records(template: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [r for r in resources(template, RECORD).values() if r["Properties"]["Name"] == name]


def _endpoint_checks(template: dict[str, Any]) -> dict[str, Any]:
    """HTTPS checks of an endpoint (each region's ALB, the Azure gateway), not the gates."""
    return {
        k: r
        for k, r in resources(template, HEALTH_CHECK).items()
        if r["Properties"]["HealthCheckConfig"]["Type"] != "CALCULATED"
    }


def _alb_checks(template: dict[str, Any]) -> dict[str, Any]:
    return {
        k: r
        for k, r in _endpoint_checks(template).items()
        if "IPAddress" not in r["Properties"]["HealthCheckConfig"]
    }


def _gated_region(template: dict[str, Any], health_check_ref: dict[str, Any]) -> str:
    """The region of an ALB check, or of the one child of a gate (CALCULATED) check."""
    check = template["Resources"][ref_target(health_check_ref)]["Properties"]
    config = check["HealthCheckConfig"]
    if config["Type"] == "CALCULATED":
        (child,) = config["ChildHealthChecks"]
        return _health_check_region(template, child)
    return _health_check_region(template, health_check_ref)


def test_dns_stack_is_global_in_us_east_1(any_env: SynthesizedEnvironment):
    stack_id = any_env.stacks.names.stack_id("dns", "global")
    assert any_env.manifest["artifacts"][stack_id]["environment"].endswith("/us-east-1")


def test_zone_is_imported_by_id_without_lookup(any_env: SynthesizedEnvironment):
    template = _dns(any_env)
    assert resources(template, "AWS::Route53::HostedZone") == {}
    for record in resources(template, RECORD).values():
        assert record["Properties"]["HostedZoneId"] == any_env.config.dns.hosted_zone_id


@pytest.mark.parametrize("env_name", ["staging", "production"])
def test_one_primary_and_one_secondary_per_failover_name(env_name: str, request):
    env: SynthesizedEnvironment = request.getfixturevalue(env_name)
    template = _dns(env)
    records = _records(template, f"{env.config.failover_record}.")
    by_role = {r["Properties"]["Failover"]: r for r in records}
    assert sorted(r["Properties"]["Failover"] for r in records) == ["PRIMARY", "SECONDARY"]
    primary = by_role["PRIMARY"]
    assert _alias_region(template, primary) == "us-east-1"
    assert _gated_region(template, primary["Properties"]["HealthCheckId"]) == "us-east-1"
    if env.config.azure.ingress.public_ip is None:  # two levels: the secondary is us-west-2
        secondary = by_role["SECONDARY"]
        assert _alias_region(template, secondary) == "us-west-2"
        assert _health_check_region(template, secondary["Properties"]["HealthCheckId"]) == (
            "us-west-2"
        )
    # Every failover record name has exactly one of each.
    names = {r["Properties"]["Name"] for r in resources(template, RECORD).values()}
    for name in names:
        roles = [r["Properties"].get("Failover") for r in _records(template, name)]
        if any(roles):
            assert sorted(roles) == ["PRIMARY", "SECONDARY"], name


def test_latency_records_cover_every_read_region(any_env: SynthesizedEnvironment):
    template = _dns(any_env)
    dns = any_env.config.dns
    roles = {r: c.role for r, c in any_env.config.regions.items()}
    expected = dns.latency_regions(roles)
    # read-origin.<domain> behind the edge (api-read.<domain> then aliases CloudFront)
    records = _records(template, f"{any_env.config.latency_record}.")
    assert sorted(r["Properties"]["Region"] for r in records) == sorted(expected)
    for record in records:
        region = record["Properties"]["Region"]
        assert record["Properties"]["SetIdentifier"] == f"latency-{region}"
        assert _alias_region(template, record) == region
        assert _health_check_region(template, record["Properties"]["HealthCheckId"]) == region


def test_production_points_at_all_four_regions(production: SynthesizedEnvironment):
    template = _dns(production)
    regions = {
        _health_check_region(template, {"Ref": logical_id}) for logical_id in _alb_checks(template)
    }
    assert regions == {"us-east-1", "eu-west-1", "ap-southeast-1", "us-west-2"}
    roles = {r: c.role for r, c in production.config.regions.items()}
    assert production.config.dns.latency_regions(roles) == [
        r for r, role in roles.items() if role is not RegionRole.STANDBY
    ]


def test_health_checks_use_configured_values(any_env: SynthesizedEnvironment):
    check = any_env.config.dns.health_check
    for resource in _endpoint_checks(_dns(any_env)).values():
        config = resource["Properties"]["HealthCheckConfig"]
        assert config["Type"] == "HTTPS"
        assert config["Port"] == any_env.config.network.ports.https
        assert config["ResourcePath"] == check.path
        assert config["RequestInterval"] == check.interval_seconds
        assert config["FailureThreshold"] == check.failure_threshold
        assert config["MeasureLatency"] is check.measure_latency
        assert config.get("Regions", []) == list(check.checker_regions)


def test_an_alarm_per_health_check_notifies_the_encrypted_topic(any_env: SynthesizedEnvironment):
    template = _dns(any_env)
    topic_id, topic = next(iter(resources(template, "AWS::SNS::Topic").items()))
    assert "KmsMasterKeyId" in topic["Properties"]
    alarms = resources(template, "AWS::CloudWatch::Alarm").values()
    watched = {}
    for alarm in alarms:
        props = alarm["Properties"]
        assert (props["Namespace"], props["MetricName"]) == ("AWS/Route53", "HealthCheckStatus")
        assert props["ComparisonOperator"] == "LessThanThreshold" and props["Threshold"] == 1
        assert props["EvaluationPeriods"] == any_env.config.dns.alarms.evaluation_periods
        assert [ref_target(a) for a in props["AlarmActions"]] == [topic_id]
        (dimension,) = props["Dimensions"]
        watched[ref_target(dimension["Value"])] = alarm
    assert set(watched) == set(_endpoint_checks(template))


def test_subscriptions_come_from_config(any_env: SynthesizedEnvironment):
    subscriptions = resources(_dns(any_env), "AWS::SNS::Subscription").values()
    assert sorted(
        (s["Properties"]["Protocol"], s["Properties"]["Endpoint"]) for s in subscriptions
    ) == sorted((s.protocol, s.endpoint) for s in any_env.config.dns.alarms.subscriptions)


def test_query_logging_is_wired(any_env: SynthesizedEnvironment):
    template = _dns(any_env)
    dns = any_env.config.dns
    (group_id,) = [
        k
        for k, v in resources(template, "AWS::Logs::LogGroup").items()
        if v["Properties"].get("LogGroupName") == f"/aws/route53/{dns.domain}"
    ]
    group = template["Resources"][group_id]["Properties"]
    assert group["RetentionInDays"] == dns.query_log_retention_days
    assert "KmsKeyId" in group
    (policy,) = resources(template, "AWS::Logs::ResourcePolicy").values()
    (statement,) = _joined_json(policy["Properties"]["PolicyDocument"])["Statement"]
    assert statement["Principal"] == {"Service": "route53.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"].endswith(
        f":hostedzone/{dns.hosted_zone_id}"
    )
    (group_ref,) = [
        p for p in policy["Properties"]["PolicyDocument"]["Fn::Join"][1] if isinstance(p, dict)
    ]
    assert ref_target(group_ref) == group_id  # scoped to this one log group
    creates = [
        _joined_json(c["Properties"]["Create"])
        for c in resources(template, "Custom::AWS").values()
        if "Create" in c["Properties"]
    ]
    (create,) = [c for c in creates if c["action"] == "createQueryLoggingConfig"]
    assert create["parameters"]["HostedZoneId"] == dns.hosted_zone_id


def test_query_logging_is_turned_off_with_a_permission_scoped_to_its_id(
    production: SynthesizedEnvironment,
):
    template = _dns(production)
    deletes = [
        c for c in resources(template, "Custom::AWS").values() if "Delete" in c["Properties"]
    ]
    (delete,) = deletes
    for policy_id in delete["DependsOn"]:
        policy = template["Resources"][policy_id]["Properties"]["PolicyDocument"]
        for statement in policy["Statement"]:
            if statement["Action"] == "route53:DeleteQueryLoggingConfig":
                assert "*" not in json.dumps(statement["Resource"])
                break
        else:
            continue
        break
    else:
        pytest.fail("the delete call does not depend on its permission")


def test_ingress_is_read_from_ssm_without_exports(any_env: SynthesizedEnvironment):
    template = _dns(any_env)
    assert not any(isinstance(n, dict) and "Fn::ImportValue" in n for n in walk(template))
    for env_stack in any_env.templates.values():
        assert "Outputs" not in env_stack or not any(
            "Export" in o for o in env_stack["Outputs"].values()
        )
    statements = [
        s
        for p in resources(template, "AWS::IAM::ManagedPolicy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if s["Action"] == "ssm:GetParameter"
    ]
    (statement,) = statements
    for arn in statement["Resource"]:
        assert "*" not in arn and ":parameter/fdr/" in arn
    for resource in resources(template, "Custom::AWS").values():
        assert resource["Properties"]["InstallLatestAwsSdk"] is False


def test_dns_stack_depends_on_the_regions_it_points_to(any_env: SynthesizedEnvironment):
    stack_id = any_env.stacks.names.stack_id("dns", "global")
    depends = set(any_env.manifest["artifacts"][stack_id].get("dependencies", []))
    roles = {r: c.role for r, c in any_env.config.regions.items()}
    for region in any_env.config.dns.ingress_regions(roles):
        assert any_env.stacks.names.stack_id("compute", region) in depends


def test_development_has_a_plain_alias_with_health_check(development: SynthesizedEnvironment):
    template = _dns(development)
    dns = development.config.dns
    (record,) = _records(template, f"{dns.application_record}.{dns.domain}.")
    assert "Failover" not in record["Properties"]
    assert "SetIdentifier" not in record["Properties"]
    assert _alias_region(template, record) == "us-east-1"
    assert len(resources(template, HEALTH_CHECK)) == 1
    assert not any("Failover" in r["Properties"] for r in resources(template, RECORD).values())


def test_dnssec_only_where_enabled(any_env: SynthesizedEnvironment):
    template = _dns(any_env)
    signing = resources(template, "AWS::Route53::DNSSEC")
    keys = resources(template, "AWS::Route53::KeySigningKey")
    if not any_env.config.dns.dnssec:
        assert signing == {} and keys == {}
        return
    (key_signing_key,) = keys.values()
    kms_key = template["Resources"][
        ref_target(key_signing_key["Properties"]["KeyManagementServiceArn"])
    ]
    assert kms_key["Properties"]["KeySpec"] == "ECC_NIST_P256"
    assert kms_key["Properties"]["KeyUsage"] == "SIGN_VERIFY"
    service_statements = [
        s
        for s in kms_key["Properties"]["KeyPolicy"]["Statement"]
        if s["Principal"] == {"Service": "dnssec-route53.amazonaws.com"}
    ]
    actions = {
        a
        for s in service_statements
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert actions == {"kms:DescribeKey", "kms:GetPublicKey", "kms:Sign", "kms:CreateGrant"}
    (dnssec,) = signing.values()
    assert dnssec["Properties"]["HostedZoneId"] == any_env.config.dns.hosted_zone_id


def test_production_signs_its_zone(production: SynthesizedEnvironment):
    assert production.config.dns.dnssec
    assert len(resources(_dns(production), "AWS::Route53::DNSSEC")) == 1


# Config validation: each bad input is one clear line naming the key and the value.


def test_domain_must_be_a_dns_name(tmp_path: Path):
    message = config_error(tmp_path, lambda c: c["dns"].update(domain="fdr..example.com"))
    assert "dns.domain: 'fdr..example.com' is not a valid DNS name" in one_line(message)


def test_hosted_zone_id_pattern(tmp_path: Path):
    message = config_error(tmp_path, lambda c: c["dns"].update(hosted_zone_id="zone-1"))
    assert "dns.hosted_zone_id: String should match pattern" in one_line(message)


def test_failover_region_must_be_configured(tmp_path: Path):
    message = config_error(
        tmp_path, lambda c: c["dns"]["failover"].update(secondary_region="eu-central-1")
    )
    assert one_line(message).endswith(
        "dns.failover.secondary_region: eu-central-1 is not under regions, so it has no ALB for "
        "the record to point to (configured: us-east-1, eu-west-1, ap-southeast-1, us-west-2)"
    )


def test_failover_needs_two_regions(tmp_path: Path):
    message = config_error(
        tmp_path, lambda c: c["dns"]["failover"].update(secondary_region="us-east-1")
    )
    assert "dns.failover: primary and secondary are both us-east-1" in one_line(message)


def test_read_region_must_be_configured(tmp_path: Path):
    message = config_error(
        tmp_path, lambda c: c["dns"].update(read_regions=["us-east-1", "eu-central-1"])
    )
    assert "dns.read_regions.1: eu-central-1 is not under regions" in one_line(message)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("interval_seconds", 15, ".interval_seconds: Input should be 10 or 30 (got 15)"),
        ("failure_threshold", 0, ".failure_threshold: Input should be greater than or equal to 1"),
        ("failure_threshold", 11, ".failure_threshold: Input should be less than or equal to 10"),
        ("path", "healthz", ".path: String should match pattern"),
        ("checker_regions", ["us-east-1", "eu-west-1"], ": checker_regions: Route 53 needs"),
        ("checker_regions", ["us-east-1", "eu-west-1", "eu-central-1"], ".checker_regions.2: "),
    ],
)
def test_health_check_values_in_route53_ranges(tmp_path: Path, key: str, value: Any, expected: str):
    message = config_error(tmp_path, lambda c: c["dns"]["health_check"].update({key: value}))
    assert f"dns.health_check{expected}" in one_line(message)


def test_subscription_endpoint_must_match_protocol(tmp_path: Path):
    message = config_error(
        tmp_path,
        lambda c: c["dns"]["alarms"].update(
            subscriptions=[{"protocol": "https", "endpoint": "http://hooks.example.com/x"}]
        ),
    )
    assert (
        "dns.alarms.subscriptions.0: endpoint 'http://hooks.example.com/x' is not a valid https"
        in (one_line(message))
    )


def test_development_without_standby_has_no_failover_pair():
    config = load_config("development", environ={})
    roles = {r: c.role for r, c in config.regions.items()}
    assert config.dns.application_regions(roles) == ["us-east-1"]


def test_production_fails_over_us_east_1_then_us_west_2_then_azure(
    production: SynthesizedEnvironment,
):
    """The three-level chain: outer pair (us-east-1 / alias to the inner pair), inner pair
    (us-west-2 / the Application Gateway's public IP); every level health-checked."""
    template = _dns(production)
    dns, ingress = production.config.dns, production.config.azure.ingress
    chain_name = production.config.failover_record  # origin.<domain> behind the edge
    outer = {r["Properties"]["Failover"]: r for r in _records(template, f"{chain_name}.")}
    inner_name = f"{chain_name.split('.', 1)[0]}-standby.{dns.domain}."
    inner = {r["Properties"]["Failover"]: r for r in _records(template, inner_name)}
    assert set(outer) == set(inner) == {"PRIMARY", "SECONDARY"}
    assert _alias_region(template, outer["PRIMARY"]) == "us-east-1"
    chain = outer["SECONDARY"]["Properties"]
    assert chain["AliasTarget"]["EvaluateTargetHealth"] is True
    assert chain["AliasTarget"]["HostedZoneId"] == dns.hosted_zone_id
    assert chain["AliasTarget"]["DNSName"] == inner_name
    assert "HealthCheckId" not in chain  # its health is the inner pair's
    assert _alias_region(template, inner["PRIMARY"]) == "us-west-2"
    azure = inner["SECONDARY"]["Properties"]
    assert azure["ResourceRecords"] == [str(ingress.public_ip)] and azure["Type"] == "A"
    assert azure["TTL"] == str(ingress.dns_ttl_seconds)
    # Each AWS level is gated: a CALCULATED check over that region's ALB check, threshold 1.
    for record, region in ((outer["PRIMARY"], "us-east-1"), (inner["PRIMARY"], "us-west-2")):
        gate_ref = record["Properties"]["HealthCheckId"]
        gate = template["Resources"][ref_target(gate_ref)]["Properties"]
        assert gate["HealthCheckConfig"]["Type"] == "CALCULATED"
        assert gate["HealthCheckConfig"]["HealthThreshold"] == 1
        assert _gated_region(template, gate_ref) == region
        tags = {t["Key"]: t["Value"] for t in gate["HealthCheckTags"]}
        assert tags["Name"] == production.stacks.names.dr_gate(region)
    check = template["Resources"][ref_target(azure["HealthCheckId"])]["Properties"]
    config = check["HealthCheckConfig"]
    assert config["Type"] == "HTTPS" and config["IPAddress"] == str(ingress.public_ip)
    assert config["FullyQualifiedDomainName"] == chain_name
    assert config["EnableSNI"] is True


def test_without_the_gateway_address_the_chain_keeps_two_levels(staging: SynthesizedEnvironment):
    template = _dns(staging)
    assert staging.config.azure.ingress.public_ip is None
    checks = resources(template, HEALTH_CHECK).values()
    assert all(c["Properties"]["HealthCheckConfig"]["Type"] == "HTTPS" for c in checks)
    assert not any(
        "-standby." in r["Properties"]["Name"] for r in resources(template, RECORD).values()
    )
