"""The origin secret's automatic rotation in the templates: the schedule, the rotation Lambda and
exactly what its role may touch, who may invoke it, and the compute side it relies on (the header
rule's tag and the SSM parameter naming it). Also the validation of the rotation's config."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.constructs.origin_rotation import DISTRIBUTIONS_VARIABLE, HANDLER, SETTINGS_VARIABLE
from infra.constructs.origin_secret import RULE_TAG
from tests.stacks.template_queries import ref_target, resources
from tests.synth import SynthesizedEnvironment
from tests.unit.config_helpers import config_error, one_line


def _edge(env: SynthesizedEnvironment) -> dict[str, Any]:
    return env.template("edge", "global")


def _function(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (k, v["Properties"])
        for k, v in resources(template, "AWS::Lambda::Function").items()
        if v["Properties"].get("Handler") == HANDLER
    ]
    return found


def _statements(template: dict[str, Any], role_id: str) -> dict[str, dict[str, Any]]:
    found = {}
    for policy in resources(template, "AWS::IAM::ManagedPolicy").values():
        props = policy["Properties"]
        if any(ref_target(r) == role_id for r in props.get("Roles", [])):
            found.update({s["Sid"]: s for s in props["PolicyDocument"]["Statement"]})
    return found


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_the_secret_rotates_on_the_configured_schedule(edge_env: SynthesizedEnvironment):
    template = _edge(edge_env)
    (secret_id,) = resources(template, "AWS::SecretsManager::Secret")
    (schedule,) = resources(template, "AWS::SecretsManager::RotationSchedule").values()
    props = schedule["Properties"]
    days = edge_env.config.edge.origin_secret_rotation_days
    assert props["RotationRules"] == {"ScheduleExpression": f"rate({days} days)"}
    assert ref_target(props["SecretId"]) == secret_id
    function_id, _ = _function(template)
    assert ref_target(props["RotationLambdaARN"]) == function_id
    # The first rotation runs when the schedule is created: it adds "previous".
    assert props["RotateImmediatelyOnUpdate"] is True


def test_only_secrets_manager_of_this_account_may_invoke_the_function(
    edge_env: SynthesizedEnvironment,
):
    template = _edge(edge_env)
    function_id, _ = _function(template)
    permissions = [
        p["Properties"]
        for p in resources(template, "AWS::Lambda::Permission").values()
        if ref_target(p["Properties"]["FunctionName"]) == function_id
    ]
    assert permissions == [
        {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Fn::GetAtt": [function_id, "Arn"]},
            "Principal": "secretsmanager.amazonaws.com",
            "SourceAccount": edge_env.config.account,
        }
    ]


def test_the_function_runs_like_the_jobs_and_holds_no_secret(edge_env: SynthesizedEnvironment):
    _, props = _function(_edge(edge_env))
    backup = edge_env.config.backup
    assert props["Timeout"] == backup.timeout_seconds
    assert props["MemorySize"] == backup.memory_mb
    assert "ReservedConcurrentExecutions" not in props  # see infra/nag/edge.py
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert "DeadLetterConfig" in props and "KmsKeyArn" in props
    variables = props["Environment"]["Variables"]
    assert set(variables) == {SETTINGS_VARIABLE, DISTRIBUTIONS_VARIABLE, "POWERTOOLS_SERVICE_NAME"}
    assert "resolve:secretsmanager" not in json.dumps(variables)


def test_the_role_touches_exactly_the_secret_the_rules_and_the_distributions(
    edge_env: SynthesizedEnvironment,
):
    template = _edge(edge_env)
    _, props = _function(template)
    statements = _statements(template, ref_target(props["Role"]))
    account, names = edge_env.config.account, edge_env.stacks.names
    regions = list(edge_env.config.regions)
    (secret_id,) = resources(template, "AWS::SecretsManager::Secret")

    rotate = statements["RotateTheOriginSecret"]
    assert _as_list(rotate["Resource"]) == [{"Ref": secret_id}]
    assert sorted(rotate["Action"]) == [
        "secretsmanager:DescribeSecret",
        "secretsmanager:GetSecretValue",
        "secretsmanager:PutSecretValue",
        "secretsmanager:UpdateSecretVersionStage",
    ]

    parameter = names.origin_check_rule_parameter()
    assert statements["FindTheHeaderRules"]["Action"] == "ssm:GetParameter"
    assert sorted(_as_list(statements["FindTheHeaderRules"]["Resource"])) == sorted(
        f"arn:aws:ssm:{r}:{account}:parameter{parameter}" for r in regions
    )

    modify = statements["ModifyOnlyTheHeaderRules"]
    assert modify["Action"] == "elasticloadbalancing:ModifyRule"
    assert sorted(_as_list(modify["Resource"])) == sorted(
        f"arn:aws:elasticloadbalancing:{r}:{account}:listener-rule/app/*" for r in regions
    )
    assert modify["Condition"] == {
        "StringEquals": {f"aws:ResourceTag/{RULE_TAG}": names.origin_secret()}
    }

    send = statements["SendTheHeader"]
    assert sorted(send["Action"]) == [
        "cloudfront:GetDistribution",
        "cloudfront:GetDistributionConfig",
        "cloudfront:UpdateDistribution",
    ]
    distributions = resources(template, "AWS::CloudFront::Distribution")
    targets = {json.dumps(r) for r in _as_list(send["Resource"])}
    assert all(any(d in target for target in targets) for d in distributions)
    assert len(targets) == len(distributions)

    (web_acl_id,) = resources(template, "AWS::WAFv2::WebACL")
    assert statements["ReadTheDistributionsWebAcl"]["Resource"] == {
        "Fn::GetAtt": [web_acl_id, "Arn"]
    }
    # Everything else that is "*" has no resource-level permissions.
    wildcard = {
        action
        for s in statements.values()
        if "*" in _as_list(s["Resource"])
        for action in _as_list(s["Action"])
    }
    assert wildcard == {
        "secretsmanager:GetRandomPassword",
        "elasticloadbalancing:DescribeRules",
        "xray:PutTelemetryRecords",
        "xray:PutTraceSegments",
    }


def test_each_compute_stack_tags_its_header_rule_and_publishes_it(
    edge_env: SynthesizedEnvironment,
):
    names = edge_env.stacks.names
    for region in edge_env.config.regions:
        template = edge_env.template("compute", region)
        rules = {
            k: v["Properties"]
            for k, v in resources(template, "AWS::ElasticLoadBalancingV2::ListenerRule").items()
        }
        (header_rule,) = [
            k for k, p in rules.items() if p["Conditions"][0]["Field"] == "http-header"
        ]
        for logical_id, props in rules.items():
            tags = {t["Key"]: t["Value"] for t in props.get("Tags", [])}
            if logical_id == header_rule:
                assert tags[RULE_TAG] == names.origin_secret(), region
            else:  # the health-path rule may not be modified by the rotation
                assert RULE_TAG not in tags, region
        (parameter,) = [
            p["Properties"]
            for p in resources(template, "AWS::SSM::Parameter").values()
            if p["Properties"].get("Name") == names.origin_check_rule_parameter()
        ]
        assert parameter["Value"] == {"Ref": header_rule}


def test_without_edge_there_is_no_rotation(development: SynthesizedEnvironment):
    for template in development.templates.values():
        assert resources(template, "AWS::SecretsManager::RotationSchedule") == {}
        assert "origin-check-rule-arn" not in json.dumps(template)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["edge"].update(origin_secret_rotation_days=0), "origin_secret_rotation_days"),
        (
            lambda d: d["edge"].update(origin_secret_rotation_days=400),
            "origin_secret_rotation_days",
        ),
        (
            lambda d: d["edge"].update(origin_secret_rule_settle_seconds=301),
            "origin_secret_rule_settle_seconds",
        ),
        (
            lambda d: (
                d["edge"].update(origin_secret_rule_settle_seconds=250),
                d["backup"].update(timeout_seconds=300),
            ),
            "leaves less than 60 s of backup.timeout_seconds (300)",
        ),
        (lambda d: d["edge"].update(origin_secret_revision=2), "origin_secret_revision"),
    ],
)
def test_rotation_config_errors_are_one_line(tmp_path: Path, mutate, expected: str):
    assert expected in one_line(config_error(tmp_path, mutate, "staging"))
