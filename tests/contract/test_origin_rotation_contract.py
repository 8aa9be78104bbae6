"""Compute templates <-> edge template <-> rotation Lambda: the origin header is one name on every
side, the rotation finds exactly the rules the compute stacks publish and the distributions that
send the header, and the Lambda's own settings model accepts what the edge stack deploys.

Each side is read from its synthesized template (the listener rule's http-header condition, its
tag and the SSM parameter naming it; the distributions' origin custom headers; the rotation
function's environment), never from the config both were built from."""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from pathlib import Path
from typing import Any

from tests.stacks.template_queries import ref_target, resources
from tests.synth import SynthesizedEnvironment

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lambdas"))

from origin_rotation.settings import (
    DISTRIBUTIONS_VARIABLE,
    SETTINGS_VARIABLE,
    RotationSettings,
)

HANDLER = re.compile(r"^origin_rotation\.")
SECRET_REFERENCE = re.compile(r"^\{\{resolve:secretsmanager:([^:}]+):SecretString:(\w+)\}\}$")


def _region(env: SynthesizedEnvironment, stack_id: str) -> str:
    return str(env.manifest["artifacts"][stack_id]["environment"].rsplit("/", 1)[-1])


def _rotation_function(edge: dict[str, Any]) -> dict[str, Any]:
    (function,) = [
        f["Properties"]
        for f in resources(edge, "AWS::Lambda::Function").values()
        if HANDLER.match(f["Properties"].get("Handler", ""))
    ]
    return dict(function["Environment"]["Variables"])


def _distribution_refs(value: Any) -> list[str]:
    """The logical ids in the distributions variable: one Ref, or Refs joined by commas."""
    if "Ref" in value:
        return [value["Ref"]]
    separator, parts = value["Fn::Join"]
    assert separator == "" or separator == ",", value
    return [p["Ref"] for p in parts if isinstance(p, dict)]


def _header_rules(env: SynthesizedEnvironment) -> dict[str, dict[str, Any]]:
    """Per ALB region: the header rule's condition, tags and the parameter naming it."""
    found = {}
    for stack_id, template in env.templates.items():
        for logical_id, rule in resources(
            template, "AWS::ElasticLoadBalancingV2::ListenerRule"
        ).items():
            props = rule["Properties"]
            headers = [c for c in props["Conditions"] if c["Field"] == "http-header"]
            if not headers:
                continue
            parameters = [
                p["Properties"]["Name"]
                for p in resources(template, "AWS::SSM::Parameter").values()
                if p["Properties"]["Value"] == {"Ref": logical_id}
            ]
            found[_region(env, stack_id)] = {
                "header": headers[0]["HttpHeaderConfig"],
                "tags": {t["Key"]: t["Value"] for t in props.get("Tags", [])},
                "parameters": parameters,
            }
    return found


def _sent_headers(edge: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    """Per distribution (logical id): the origin custom headers it sends."""
    return {
        logical_id: [
            header
            for origin in d["Properties"]["DistributionConfig"]["Origins"]
            for header in origin.get("OriginCustomHeaders", [])
        ]
        for logical_id, d in resources(edge, "AWS::CloudFront::Distribution").items()
    }


def test_rules_distributions_and_rotation_agree(edge_env: SynthesizedEnvironment):
    edge = edge_env.template("edge", "global")
    variables = _rotation_function(edge)
    raw = json.loads(variables[SETTINGS_VARIABLE])
    refs = _distribution_refs(variables[DISTRIBUTIONS_VARIABLE])
    # The Lambda's own model accepts the deployed settings (unknown or missing keys raise).
    settings = RotationSettings.from_mapping(raw, ",".join(refs))
    defaulted = {f.name for f in dataclasses.fields(RotationSettings)} - set(raw)
    assert defaulted == {"distribution_ids"}, f"settings left to code defaults: {defaulted}"
    header = settings.header_name.lower()

    rules = _header_rules(edge_env)
    assert set(rules) == set(settings.alb_regions), "rotation regions != regions with a rule"
    for region, rule in rules.items():
        assert rule["header"]["HttpHeaderName"].lower() == header, (
            f"{region}: the listener rule checks {rule['header']['HttpHeaderName']!r}, the "
            f"rotation updates {settings.header_name!r}"
        )
        assert rule["parameters"] == [settings.rule_parameter], (
            f"{region}: the compute stack publishes its header rule as {rule['parameters']}, "
            f"the rotation reads {settings.rule_parameter!r}"
        )
        assert rule["tags"].get("origin-secret") == settings.secret_name, (
            f"{region}: the header rule is tagged {rule['tags'].get('origin-secret')!r}, the "
            f"rotation may modify rules tagged {settings.secret_name!r} only"
        )
        keys = set()
        for value in rule["header"]["Values"]:
            name, key = SECRET_REFERENCE.match(value).groups()
            assert name == settings.secret_name, region
            keys.add(key)
        # What a deploy resolves must accept what CloudFront sends (current) and what it sent
        # before the last rotation (previous, while edge locations catch up).
        assert keys == {"current", "previous"}, f"{region}: the rule accepts {sorted(keys)}"

    sending = {
        logical_id
        for logical_id, headers in _sent_headers(edge).items()
        if any(h["HeaderName"].lower() == header for h in headers)
    }
    for logical_id, headers in _sent_headers(edge).items():
        for sent in headers:
            assert sent["HeaderName"].lower() == header, (
                f"distribution {logical_id} sends {sent['HeaderName']!r}, the rules check and "
                f"the rotation updates {settings.header_name!r}"
            )
            assert SECRET_REFERENCE.match(sent["HeaderValue"]).groups() == (
                settings.secret_name,
                "current",
            ), logical_id
    assert sending and sending == set(refs), (
        f"distributions sending the header {sorted(sending)} != distributions the rotation "
        f"updates {sorted(refs)}"
    )

    (secret,) = resources(edge, "AWS::SecretsManager::Secret").values()
    assert secret["Properties"]["Name"] == settings.secret_name
    (schedule,) = resources(edge, "AWS::SecretsManager::RotationSchedule").values()
    assert ref_target(schedule["Properties"]["SecretId"]) in resources(
        edge, "AWS::SecretsManager::Secret"
    )
