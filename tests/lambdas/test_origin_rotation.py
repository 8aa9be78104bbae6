"""The origin secret's rotation Lambda in-process against moto: the secret in us-east-1, an ALB
with the header rule (and its SSM parameter) in us-east-1 and us-west-2, and a CloudFront
distribution whose origin sends the header.

moto completes a rotation by itself when no function is configured, so ``start_rotation`` does
what RotateSecret does before it calls the function: it adds an empty version labelled
AWSPENDING (whose value GetSecretValue cannot find until createSecret writes it). The steps are
then called in Secrets Manager's order, with the same token, as often as a test needs."""

from __future__ import annotations

import io
import itertools
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from origin_rotation import handler as handler_module
from origin_rotation.context import NotReady, Rotation, RotationError
from origin_rotation.secret_versions import HeaderValues, changes_current
from origin_rotation.settings import (
    DISTRIBUTIONS_VARIABLE,
    SETTINGS_VARIABLE,
    RotationSettings,
)
from origin_rotation.steps import STEPS, StepRequest, run

from tests.lambdas.conftest import Clients, no_sleep_policy

HOME, OTHER = "us-east-1", "us-west-2"
REGIONS = (HOME, OTHER)
HEADER = "x-origin-verify"
PARAMETER = "/fdr/test/ingress/origin-check-rule-arn"
SETTLE = 30


@dataclass
class World:
    clients: Clients
    secret_name: str
    secret_arn: str
    distribution_id: str
    listeners: dict[str, Listener]
    rules: dict[str, str] = field(default_factory=dict)
    slept: list[float] = field(default_factory=list)

    def settings(self, **overrides: Any) -> dict[str, Any]:
        return {
            "secret_name": self.secret_name,
            "header_name": HEADER,
            "alb_regions": list(REGIONS),
            "rule_parameter": PARAMETER,
            "home_region": HOME,
            "value_length": 48,
            "rule_settle_seconds": SETTLE,
            **overrides,
        }

    def rotation(self) -> Rotation:
        policy, _ = no_sleep_policy()
        settings = RotationSettings.from_mapping(self.settings(), self.distribution_id)
        return Rotation(settings, self.clients, policy, sleep=self.slept.append)

    # What is deployed -----------------------------------------------------------------------
    def secret(self, stage: str = "AWSCURRENT") -> dict[str, Any]:
        found = self.clients("secretsmanager", HOME).get_secret_value(
            SecretId=self.secret_name, VersionStage=stage
        )
        return dict(json.loads(found["SecretString"]))

    def accepted(self, region: str) -> set[str]:
        (rule,) = self.clients("elbv2", region).describe_rules(RuleArns=[self.rules[region]])[
            "Rules"
        ]
        (condition,) = [c for c in rule["Conditions"] if c["Field"] == "http-header"]
        return set(condition["HttpHeaderConfig"]["Values"])

    def sent(self) -> str:
        config = self.clients("cloudfront", HOME).get_distribution_config(Id=self.distribution_id)[
            "DistributionConfig"
        ]
        ((header,),) = [o["CustomHeaders"]["Items"] for o in config["Origins"]["Items"]]
        return str(header["HeaderValue"])

    def set_rule(self, region: str, values: list[str]) -> None:
        """What a compute deploy does: the rule's values as the template resolves them."""
        self.clients("elbv2", region).modify_rule(
            RuleArn=self.rules[region], Conditions=[header_condition(values)]
        )

    def set_sent(self, value: str) -> None:
        client = self.clients("cloudfront", HOME)
        found = client.get_distribution_config(Id=self.distribution_id)
        config = found["DistributionConfig"]
        config["Origins"]["Items"][0]["CustomHeaders"]["Items"][0]["HeaderValue"] = value
        client.update_distribution(
            Id=self.distribution_id, IfMatch=found["ETag"], DistributionConfig=config
        )

    # Secrets Manager's side -----------------------------------------------------------------
    def start_rotation(self) -> str:
        from moto.secretsmanager.models import secretsmanager_backends

        secret = secretsmanager_backends[DEFAULT_ACCOUNT_ID][HOME].secrets[self.secret_arn]
        token = str(uuid.uuid4())
        for version in secret.versions.values():
            version["version_stages"] = [s for s in version["version_stages"] if s != "AWSPENDING"]
        secret.versions[token] = {
            "createdate": int(time.time()),
            "version_id": token,
            "version_stages": ["AWSPENDING"],
        }
        return token

    def step(self, name: str, token: str) -> dict[str, Any]:
        return run(self.rotation(), StepRequest(name, self.secret_arn, token))

    def rotate(self) -> str:
        token = self.start_rotation()
        for name in STEPS:
            self.step(name, token)
        return token


def header_condition(values: list[str]) -> dict[str, Any]:
    config = {"HttpHeaderName": HEADER, "Values": values}
    return {"Field": "http-header", "HttpHeaderConfig": config}


@dataclass(frozen=True)
class Listener:
    """An ALB listener of one region, with the forward action its rules use."""

    region: str
    arn: str
    forward: list[dict[str, str]]


def make_alb(region: str) -> Listener:
    ec2 = boto3.client("ec2", region_name=region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{region}{az}")[
            "Subnet"
        ]["SubnetId"]
        for i, az in enumerate("ab")
    ]
    elbv2 = boto3.client("elbv2", region_name=region)
    alb = elbv2.create_load_balancer(Name="alb", Subnets=subnets)["LoadBalancers"][0]
    group = elbv2.create_target_group(Name="app", Protocol="HTTP", Port=8080, VpcId=vpc)[
        "TargetGroups"
    ][0]["TargetGroupArn"]
    forward = [{"Type": "forward", "TargetGroupArn": group}]
    listener = elbv2.create_listener(
        LoadBalancerArn=alb["LoadBalancerArn"], Protocol="HTTP", Port=80, DefaultActions=forward
    )["Listeners"][0]["ListenerArn"]
    return Listener(region, listener, forward)


_PRIORITIES = itertools.count(1)


def make_alb_rule(listener: Listener, secret_name: str, values: list[str]) -> str:
    """The compute stack's header rule (tagged for the secret) and its SSM parameter."""
    rule = boto3.client("elbv2", region_name=listener.region).create_rule(
        ListenerArn=listener.arn,
        Priority=next(_PRIORITIES),
        Conditions=[header_condition(values)],
        Actions=listener.forward,
        Tags=[{"Key": "origin-secret", "Value": secret_name}],
    )["Rules"][0]["RuleArn"]
    boto3.client("ssm", region_name=listener.region).put_parameter(
        Name=PARAMETER, Value=rule, Type="String", Overwrite=True
    )
    return str(rule)


def make_distribution(value: str) -> str:
    origin = {
        "Id": "origin",
        "DomainName": "origin.example.com",
        "CustomOriginConfig": {
            "HTTPPort": 80,
            "HTTPSPort": 443,
            "OriginProtocolPolicy": "https-only",
        },
        "CustomHeaders": {"Quantity": 1, "Items": [{"HeaderName": HEADER, "HeaderValue": value}]},
    }
    created = boto3.client("cloudfront", region_name=HOME).create_distribution(
        DistributionConfig={
            "CallerReference": str(uuid.uuid4()),
            "Comment": "edge",
            "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [origin]},
            "DefaultCacheBehavior": {
                "TargetOriginId": "origin",
                "ViewerProtocolPolicy": "redirect-to-https",
                "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
            },
        }
    )
    return str(created["Distribution"]["Id"])


@pytest.fixture(scope="module")
def albs() -> Iterator[dict[str, Listener]]:
    """One mocked account for the module: creating the ALBs (EC2 and ELB backends) is the slow
    part, so it happens once; every test has its own secret, distribution and rules."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            patch.setenv(name, "testing")
        patch.setenv("AWS_DEFAULT_REGION", HOME)
        patch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
        with mock_aws():
            yield {region: make_alb(region) for region in REGIONS}


_SECRETS = itertools.count(1)
# Shared by the module's tests: creating boto3 clients is most of a test's time.
_CLIENTS = Clients()


@pytest.fixture
def fresh(albs: dict[str, Listener]) -> World:
    """The edge stack just created: the generated secret holds ``current`` only, CloudFront sends
    it; no compute stack is deployed yet (no rules, no parameters)."""
    name = f"fdr/test{next(_SECRETS)}/edge/origin-header"
    sm = boto3.client("secretsmanager", region_name=HOME)
    arn = sm.create_secret(Name=name, SecretString=json.dumps({"current": "v1"}))["ARN"]
    # Turns rotation on; without a function moto relabels a copy of the value itself.
    sm.rotate_secret(
        SecretId=arn, RotationRules={"AutomaticallyAfterDays": 30}, RotateImmediately=False
    )
    for region in REGIONS:
        ssm = boto3.client("ssm", region_name=region)
        if ssm.get_parameters(Names=[PARAMETER])["Parameters"]:
            ssm.delete_parameter(Name=PARAMETER)
    return World(_CLIENTS, name, arn, make_distribution("v1"), albs)


@pytest.fixture
def world(fresh: World) -> World:
    """After the first rotation and the compute stacks' deploy: the rules accept both keys."""
    fresh.rotate()
    values = fresh.secret()
    for region in REGIONS:
        fresh.rules[region] = make_alb_rule(
            fresh.listeners[region], fresh.secret_name, [values["current"], values["previous"]]
        )
    fresh.slept.clear()
    return fresh


def test_first_rotation_adds_a_previous_value_and_changes_nothing_outside(fresh: World):
    fresh.rotate()  # no rule exists yet: nothing outside the secret is read or written
    values = fresh.secret()
    assert values["current"] == "v1"
    assert values["previous"] not in (None, "", "v1")
    assert len(values["previous"]) == 48 and values["previous"].isalnum()
    assert fresh.sent() == "v1"
    assert fresh.slept == []


def test_rotation_sets_rules_everywhere_then_cloudfront(world: World):
    before = world.secret()
    token = world.start_rotation()
    world.step("createSecret", token)
    pending = world.secret("AWSPENDING")
    assert pending["previous"] == before["current"] and pending["current"] != before["current"]

    world.step("setSecret", token)
    for region in REGIONS:
        assert world.accepted(region) == {pending["current"], before["current"]}, region
    assert world.sent() == before["current"]  # CloudFront waits for the label to move

    world.step("testSecret", token)
    assert world.secret()["current"] == before["current"]

    report = world.step("finishSecret", token)
    assert world.secret() == pending
    assert world.sent() == pending["current"]
    assert world.slept == [SETTLE]
    assert report["label_moved"] and report["distributions_updated"] == [world.distribution_id]


def test_every_step_may_run_again(world: World):
    before = world.secret()
    token = world.start_rotation()
    for name in STEPS:
        world.step(name, token)
        world.step(name, token)  # Secrets Manager retries
    after = world.secret()
    assert after["previous"] == before["current"]
    for region in REGIONS:
        assert world.accepted(region) == {after["current"], before["current"]}
    assert world.sent() == after["current"]
    assert world.slept == [SETTLE]  # the second finish found CloudFront done
    # createSecret twice wrote one pending value, not two
    versions = world.clients("secretsmanager", HOME).list_secret_version_ids(
        SecretId=world.secret_name
    )
    assert sum(token == v["VersionId"] for v in versions["Versions"]) == 1


def test_the_next_rotation_drops_the_oldest_value(world: World):
    oldest = world.secret()["current"]
    world.rotate()
    middle = world.secret()["current"]
    world.rotate()
    newest = world.secret()
    assert newest["previous"] == middle
    for region in REGIONS:
        assert world.accepted(region) == {newest["current"], middle}
        assert oldest not in world.accepted(region)
    assert world.sent() == newest["current"]


def test_deploys_after_a_rotation_keep_cloudfront_accepted(world: World):
    sent_before = world.sent()
    world.rotate()
    values = world.secret()
    # What CloudFormation resolves when a later deploy updates the resources: the rules read
    # current and previous of AWSCURRENT, the distribution reads current.
    for region in REGIONS:
        world.set_rule(region, [values["current"], values["previous"]])
    world.set_sent(values["current"])
    for region in REGIONS:
        # the new value, and the old one edge locations may still send while CloudFront deploys
        assert {world.sent(), sent_before} <= world.accepted(region)


def test_a_region_without_its_rule_stops_the_rotation_and_the_old_value_keeps_working(
    world: World,
):
    before = world.secret()
    world.clients("elbv2", OTHER).delete_rule(RuleArn=world.rules[OTHER])
    token = world.start_rotation()
    world.step("createSecret", token)
    with pytest.raises(RotationError, match=rf"{OTHER}: listener rule .* does not exist"):
        world.step("setSecret", token)
    # Old value: still current, still sent, still accepted where a rule exists.
    assert world.secret() == before
    assert world.sent() == before["current"]
    assert before["current"] in world.accepted(HOME)

    # The compute stack of us-west-2 is redeployed (its rule resolves AWSCURRENT) ...
    world.rules[OTHER] = make_alb_rule(
        world.listeners[OTHER], world.secret_name, [before["current"], before["previous"]]
    )
    # ... and Secrets Manager's retry finishes the same rotation.
    for name in STEPS:
        world.step(name, token)
    after = world.secret()
    for region in REGIONS:
        assert world.accepted(region) == {after["current"], before["current"]}
    assert world.sent() == after["current"]


def test_a_missing_parameter_names_the_region_and_what_to_deploy(world: World):
    world.clients("ssm", OTHER).delete_parameter(Name=PARAMETER)
    token = world.start_rotation()
    world.step("createSecret", token)
    with pytest.raises(RotationError, match=f"{OTHER}: SSM parameter {PARAMETER} not found"):
        world.step("setSecret", token)


def test_a_deploy_during_the_rotation_is_caught_and_healed_by_the_retry(world: World):
    before = world.secret()
    token = world.start_rotation()
    world.step("createSecret", token)
    world.step("setSecret", token)
    # A compute deploy in us-west-2 resolves AWSCURRENT (the label has not moved yet).
    world.set_rule(OTHER, [before["current"], before["previous"]])
    with pytest.raises(RotationError, match=f"{OTHER}: rule .* does not accept the new value"):
        world.step("testSecret", token)
    assert world.sent() == before["current"]  # still accepted everywhere
    for name in STEPS:  # the retried rotation
        world.step(name, token)
    assert world.accepted(OTHER) == {world.secret()["current"], before["current"]}


def test_a_deploy_after_the_label_moved_is_set_right_before_cloudfront_changes(world: World):
    before = world.secret()
    token = world.start_rotation()
    for name in STEPS[:3]:
        world.step(name, token)
    # The label moves, then a deploy of us-west-2 resolved the old AWSCURRENT just before.
    world.clients("secretsmanager", HOME).update_secret_version_stage(
        SecretId=world.secret_name,
        VersionStage="AWSCURRENT",
        MoveToVersionId=token,
        RemoveFromVersionId=next(
            v["VersionId"]
            for v in world.clients("secretsmanager", HOME).list_secret_version_ids(
                SecretId=world.secret_name
            )["Versions"]
            if "AWSCURRENT" in v["VersionStages"]
        ),
    )
    world.set_rule(OTHER, [before["current"], before["previous"]])
    report = world.step("finishSecret", token)
    assert report["rules_modified"] == [world.rules[OTHER]]
    assert world.accepted(OTHER) == {world.secret()["current"], before["current"]}
    assert world.sent() == world.secret()["current"]


def test_a_distribution_left_on_the_older_value_is_repaired_before_that_value_is_dropped(
    world: World,
):
    values = world.secret()
    # An earlier rotation stopped after moving the label: CloudFront still sends "previous".
    world.set_sent(values["previous"])
    token = world.start_rotation()
    world.step("createSecret", token)
    with pytest.raises(NotReady, match="did not send the current value"):
        world.step("setSecret", token)
    assert world.sent() == values["current"]
    for region in REGIONS:  # nothing dropped yet
        assert values["previous"] in world.accepted(region)
    for name in STEPS:  # retried once the distribution is deployed (moto: at once)
        world.step(name, token)
    assert world.sent() == world.secret()["current"]


def test_waits_while_a_distribution_is_deploying(world: World, monkeypatch: pytest.MonkeyPatch):
    from origin_rotation import distributions

    monkeypatch.setattr(distributions, "is_deployed", lambda rotation, distribution_id: False)
    values = world.secret()
    token = world.start_rotation()
    world.step("createSecret", token)
    with pytest.raises(NotReady, match="still deploying"):
        world.step("setSecret", token)
    for region in REGIONS:
        assert world.accepted(region) == {values["current"], values["previous"]}


def test_a_pending_version_not_made_from_the_current_one_is_refused():
    # (A pure check: moto keeps two AWSCURRENT labels after put-secret-value on a rotated secret.)
    current = HeaderValues("by-hand", "x")
    assert changes_current(HeaderValues("a", None), HeaderValues("b", "a"))
    assert not changes_current(HeaderValues("a", None), HeaderValues("a", "fresh"))
    with pytest.raises(RotationError, match="remove the AWSPENDING label"):
        changes_current(current, HeaderValues("new", "old"))


def test_only_rules_tagged_for_this_secret_are_modified_by_the_policy(world: World):
    # The IAM condition is checked in templates (tests/stacks); here: the function refuses a
    # parameter that names a rule without the header condition.
    elbv2 = world.clients("elbv2", OTHER)
    (rule,) = elbv2.describe_rules(RuleArns=[world.rules[OTHER]])["Rules"]
    elbv2.modify_rule(
        RuleArn=world.rules[OTHER],
        Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/x"]}}],
    )
    token = world.start_rotation()
    world.step("createSecret", token)
    with pytest.raises(RotationError, match=f"no http-header condition on {HEADER}"):
        world.step("setSecret", token)
    assert rule["RuleArn"] == world.rules[OTHER]


def test_a_late_retry_of_an_older_rotation_changes_nothing(world: World):
    first = world.rotate()
    world.rotate()
    after = world.secret()
    with pytest.raises(RotationError, match="its rotation is over"):
        world.step("finishSecret", first)
    assert world.secret() == after and world.sent() == after["current"]


def test_another_secret_is_refused(world: World):
    other = world.clients("secretsmanager", HOME).create_secret(
        Name="someone/else", SecretString="{}"
    )["ARN"]
    with pytest.raises(RotationError, match="this function rotates the edge's origin secret"):
        run(world.rotation(), StepRequest("createSecret", other, str(uuid.uuid4())))


def test_the_handler_rotates_from_its_environment_and_never_logs_a_value(
    world: World, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv(SETTINGS_VARIABLE, json.dumps(world.settings(rule_settle_seconds=0)))
    monkeypatch.setenv(DISTRIBUTIONS_VARIABLE, world.distribution_id)
    logged_to = io.StringIO()
    monkeypatch.setattr(handler_module.logger.registered_handler, "stream", logged_to)
    before = world.secret()
    token = world.start_rotation()
    for name in STEPS:
        event = {"Step": name, "SecretId": world.secret_arn, "ClientRequestToken": token}
        handler_module.handler(event, LambdaContext())
    after = world.secret()
    assert world.sent() == after["current"]
    logged = logged_to.getvalue()
    assert "step finished" in logged
    for value in {*before.values(), *after.values()}:
        assert value not in logged


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"Step": "dropSecret", "SecretId": "x", "ClientRequestToken": "t"}, "Step 'dropSecret'"),
        ({"Step": "setSecret", "ClientRequestToken": "t"}, "SecretId is missing"),
        ([], "not a JSON object"),
    ],
)
def test_a_bad_event_is_refused_before_any_call(event: Any, message: str):
    with pytest.raises(handler_module.EventError, match=message):
        handler_module.handler(event, LambdaContext())


def test_settings_refuse_unknown_keys_and_an_empty_distribution_list():
    good = {
        "secret_name": "fdr/test/edge/origin-header",
        "header_name": HEADER,
        "alb_regions": [HOME],
        "rule_parameter": PARAMETER,
        "home_region": HOME,
        "value_length": 48,
        "rule_settle_seconds": 0,
    }
    assert RotationSettings.from_mapping(good, "E1, E2").distribution_ids == ("E1", "E2")
    with pytest.raises(ValueError, match="unknown keys"):
        RotationSettings.from_mapping({**good, "secret": "x"}, "E1")
    with pytest.raises(ValueError, match="names no distribution"):
        RotationSettings.from_mapping(good, " , ")


class LambdaContext:
    function_name = "origin-rotation"
    memory_limit_in_mb = 256
    invoked_function_arn = f"arn:aws:lambda:{HOME}:{DEFAULT_ACCOUNT_ID}:function:origin-rotation"
    aws_request_id = "test"
