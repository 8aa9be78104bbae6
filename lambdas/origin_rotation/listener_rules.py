"""The ALB listener rules that check the origin header, one per ALB region, found through the SSM
parameter each compute stack writes (its value is the rule's ARN)."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from backup_jobs.aws import error_code
from botocore.exceptions import ClientError

from origin_rotation.context import Rotation, RotationError

HTTP_HEADER = "http-header"


@dataclass(frozen=True)
class HeaderRule:
    region: str
    arn: str
    conditions: list[dict[str, Any]]

    def header_condition(self, header: str) -> dict[str, Any]:
        for condition in self.conditions:
            config = condition.get("HttpHeaderConfig") or {}
            if (
                condition.get("Field") == HTTP_HEADER
                and str(config.get("HttpHeaderName", "")).lower() == header.lower()
            ):
                return condition
        raise RotationError(
            f"{self.region}: rule {self.arn} has no {HTTP_HEADER} condition on {header}: the "
            "parameter names another rule, or the header name differs between the stacks"
        )

    def values(self, header: str) -> list[str]:
        return list(self.header_condition(header)["HttpHeaderConfig"].get("Values", []))

    def conditions_accepting(self, header: str, values: tuple[str, ...]) -> list[dict[str, Any]]:
        """The rule's conditions for ModifyRule, the header condition accepting ``values``."""
        target = self.header_condition(header)
        result = []
        for condition in self.conditions:
            # DescribeRules also returns the legacy top-level Values next to the *Config keys;
            # ModifyRule takes one or the other.
            clean = {k: copy.deepcopy(v) for k, v in condition.items() if k.endswith("Config")}
            if not clean:
                clean = {"Values": list(condition.get("Values", []))}
            clean["Field"] = condition["Field"]
            if condition is target:
                clean["HttpHeaderConfig"]["Values"] = list(values)
            result.append(clean)
        return result


def find(rotation: Rotation, region: str) -> HeaderRule:
    settings = rotation.settings
    parameter = settings.rule_parameter
    try:
        arn = rotation.call("ssm", region, "get_parameter", Name=parameter)["Parameter"]["Value"]
    except ClientError as err:
        if error_code(err) != "ParameterNotFound":
            raise
        raise RotationError(
            f"{region}: SSM parameter {parameter} not found: the compute stack of {region} has "
            "not published its origin-check rule (deploy it with the edge on)"
        ) from err
    try:
        rules = rotation.call("elbv2", region, "describe_rules", RuleArns=[arn])["Rules"]
    except ClientError as err:
        if error_code(err) != "RuleNotFound":
            raise
        raise RotationError(
            f"{region}: listener rule {arn} (from {parameter}) does not exist: redeploy the "
            f"compute stack of {region}"
        ) from err
    return HeaderRule(region, arn, list(rules[0]["Conditions"]))


def _each_region(rotation: Rotation, work: Any) -> list[str]:
    """``work(rule)`` in every ALB region; one error naming every region that failed."""
    done, problems = [], []
    for region in rotation.settings.alb_regions:
        try:
            result = work(find(rotation, region))
        except RotationError as err:
            problems.append(str(err))
            continue
        except ClientError as err:
            problems.append(f"{region}: {error_code(err)}: {err}")
            continue
        if result:
            done.append(result)
    if problems:
        raise RotationError("; ".join(problems))
    return done


def accept(rotation: Rotation, values: tuple[str, ...]) -> list[str]:
    """Every header rule accepts exactly ``values``; returns the ARNs it had to modify."""
    header = rotation.settings.header_name

    def modify(rule: HeaderRule) -> str | None:
        if sorted(rule.values(header)) == sorted(values):
            return None
        rotation.call(
            "elbv2",
            rule.region,
            "modify_rule",
            RuleArn=rule.arn,
            Conditions=rule.conditions_accepting(header, values),
        )
        return rule.arn

    return _each_region(rotation, modify)


def check(rotation: Rotation, values: tuple[str, ...]) -> None:
    """Every header rule, read back, accepts all of ``values``."""
    header = rotation.settings.header_name

    def verify(rule: HeaderRule) -> None:
        if not set(values) <= set(rule.values(header)):
            raise RotationError(
                f"{rule.region}: rule {rule.arn} does not accept the new value (was it changed "
                "by a deploy during the rotation?)"
            )

    _each_region(rotation, verify)
