"""The Region switch custom-action Lambdas in-process against moto (the standby's replica, its
Redis, the DNS failover records), with the event shape of the ARC Region switch documentation.
moto has no Region switch: the execution the steps read is served by a botocore Stubber."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from backup_jobs import promote
from backup_jobs.settings import EventError
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto.core import DEFAULT_ACCOUNT_ID
from recovery_actions import app_config, dns_step, promote_step, verify_step
from recovery_actions.canary import CanaryError
from recovery_actions.event import parse
from recovery_actions.settings import RecoverySettings
from recovery_actions.step import StepContext, StepNotDone

from tests.lambdas.conftest import PRIMARY, REPLICA, STANDBY
from tests.lambdas.test_jobs import _is_replica, _lag

PLAN = "fdr-test-dr"
PLAN_ARN = f"arn:aws:arc-region-switch::{DEFAULT_ACCOUNT_ID}:plan/{PLAN}:a1b2c3"
ZONE_NAME, RECORD = "fdr.example.com", "app.fdr.example.com"
WRITER, CACHE = "/fdr/test/app/writer-database-endpoint", "/fdr/test/app/cache-endpoint"
ALB_PARAMETER = "/fdr/test/ingress/alb-dns-name"


def event(step: str = "promote-database", **extra: Any) -> dict[str, Any]:
    """What Region switch sends without a configured payload: only the execution metadata
    (API reference, Lambdas.payload: InvokedBy, PlanArn, ExecutionId, StepName)."""
    return {
        "InvokedBy": "arn:aws:sts::123456789012:assumed-role/oncall/alice",
        "PlanArn": PLAN_ARN,
        "ExecutionId": "exec-0001",
        "StepName": step,
        **extra,
    }


def recovery_settings(region: str = STANDBY, **overrides: Any) -> RecoverySettings:
    base: dict[str, Any] = {
        "project": "fdr",
        "environment": "test",
        "account": DEFAULT_ACCOUNT_ID,
        "partition": "aws",
        "region": region,
        "plan_name": PLAN,
        "primary_region": PRIMARY,
        "database_id": REPLICA if region == STANDBY else "fdr-test-postgres-us-east-1",
        "redis_group_id": f"fdr-test-redis-{region}",
        "writer_parameter": WRITER,
        "cache_parameter": CACHE,
        "ingress_dns_parameter": ALB_PARAMETER,
        "hosted_zone_id": "",
        "record_name": RECORD,
        "smoke_test_path": "/healthz",
        "https_port": 443,
        "database_port": 5432,
        "database_name": "fdr",
        "canary_user": "fdr_canary",
        "promote_max_lag_seconds": 300,
        "promoted_backup_retention_days": 7,
        "step_wait_seconds": 60,
        "poll_seconds": 15,
    }
    return RecoverySettings(**{**base, **overrides})


class Clock:
    """A fake clock that sleeping advances: waits cost no time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class RegionSwitchClients:
    """moto for everything but Region switch, whose GetPlanExecution a Stubber answers."""

    def __init__(self, moto_clients: Any, mode: str = "graceful", comment: str = "") -> None:
        self.moto = moto_clients
        self.arc = boto3.client("arc-region-switch", region_name=STANDBY)
        self.stubber = Stubber(self.arc)
        self.mode, self.comment = mode, comment
        self.wrapped: dict[tuple[str, str], Any] = {}

    def expect_execution(self, times: int = 1) -> None:
        for _ in range(times):
            self.stubber.add_response(
                "get_plan_execution",
                {
                    "planArn": PLAN_ARN,
                    "executionId": "exec-0001",
                    "startTime": "2026-12-02T04:00:00Z",
                    "mode": self.mode,
                    "executionState": "inProgress",
                    "executionAction": "activate",
                    "executionRegion": STANDBY,
                    "comment": self.comment,
                },
                {"planArn": PLAN_ARN, "executionId": "exec-0001"},
            )
        self.stubber.activate()

    def __call__(self, service: str, region: str) -> Any:
        if service == "arc-region-switch":
            return self.arc
        return self.wrapped.get((service, region)) or self.moto(service, region)


def context(clients: Any, settings: RecoverySettings | None = None) -> tuple[StepContext, Clock]:
    clock = Clock()
    ctx = StepContext(
        settings or recovery_settings(), clients, clock=lambda: clock.now, sleep=clock.sleep
    )
    return ctx, clock


def request(step: str = "promote-database"):
    return parse(event(step), account=DEFAULT_ACCOUNT_ID, plan_name=PLAN)


def finish_promotion(instance_id: str = REPLICA, region: str = STANDBY) -> None:
    """moto keeps the replica link after PromoteReadReplica; RDS drops it when done."""
    from moto.rds.models import rds_backends

    db = rds_backends[DEFAULT_ACCOUNT_ID][region].databases[instance_id]
    db.source_db_instance_identifier = None
    db.is_replica = False


def tags(instance_id: str = REPLICA) -> dict[str, str]:
    rds = boto3.client("rds", region_name=STANDBY)
    arn = rds.describe_db_instances(DBInstanceIdentifier=instance_id)["DBInstances"][0][
        "DBInstanceArn"
    ]
    return {t["Key"]: t["Value"] for t in rds.list_tags_for_resource(ResourceName=arn)["TagList"]}


# The event --------------------------------------------------------------------------------


def test_documented_event_shape_is_accepted_and_payload_keys_are_tolerated():
    parsed = parse(event(reason="drill"), account=DEFAULT_ACCOUNT_ID, plan_name=PLAN)
    assert (parsed.plan_arn, parsed.execution_id, parsed.step_name) == (
        PLAN_ARN,
        "exec-0001",
        "promote-database",
    )


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({}, "PlanArn is missing: this function is a step of the Region switch plan"),
        ({"PlanArn": PLAN_ARN, "StepName": "x"}, "ExecutionId is missing"),
        ({**event(), "PlanArn": "arn:aws:s3:::bucket"}, "is not a Region switch plan ARN"),
        (
            {**event(), "PlanArn": PLAN_ARN.replace(PLAN, "other-plan")},
            "is not the plan 'fdr-test-dr' of account 123456789012",
        ),
        ([1], "event must be a JSON object"),
    ],
)
def test_bad_event_is_one_clear_error(bad, message):
    with pytest.raises(EventError) as caught:
        parse(bad, account=DEFAULT_ACCOUNT_ID, plan_name=PLAN)
    assert message in str(caught.value) and "\n" not in str(caught.value)


# promote ----------------------------------------------------------------------------------


def test_promote_refuses_when_lag_is_unknown_or_above_the_limit(aws):
    clients = RegionSwitchClients(aws)
    clients.expect_execution(times=2)
    ctx, _ = context(clients)
    with pytest.raises(promote.PromoteRefused, match=r"lag .* is unknown .*'accept-data-loss'"):
        promote_step.run(request(), ctx)
    _lag(900)
    with pytest.raises(promote.PromoteRefused, match="is 900 s"):
        promote_step.run(request(), ctx)
    assert _is_replica() and "promoted-at" not in tags()


def test_ungraceful_failover_accepts_data_loss_only_when_the_comment_says_so(aws):
    refused = RegionSwitchClients(aws, mode="ungraceful", comment="region down")
    refused.expect_execution()
    with pytest.raises(promote.PromoteRefused, match="unknown"):
        promote_step.run(request(), context(refused)[0])
    accepted = RegionSwitchClients(
        aws, mode="ungraceful", comment="us-east-1 lost; accept-data-loss"
    )
    accepted.expect_execution()
    ctx, _ = context(accepted)
    with pytest.raises(StepNotDone):  # promotion started, RDS (moto) has not finished yet
        promote_step.run(request(), ctx)
    assert tags()["promoted-lag-seconds"] == "unknown"
    assert "exec-0001 (ungraceful)" in tags()["promoted-reason"]


def test_promote_waits_then_a_rerun_after_partial_success_does_not_promote_twice(aws):
    _lag(3)
    clients = RegionSwitchClients(aws)
    clients.expect_execution()
    ctx, clock = context(clients)
    # First run: promotion starts, the wait runs out while RDS is still promoting.
    with pytest.raises(StepNotDone, match=r"still being promoted .* re-runs this step"):
        promote_step.run(request(), ctx)
    assert clock.now <= 60 and clock.slept
    first = tags()["promoted-at"]
    # Re-run while still promoting: waits again, never calls PromoteReadReplica a second time
    # (no execution read is stubbed for it: the Stubber would fail the test).
    with pytest.raises(StepNotDone):
        promote_step.run(request(), ctx)
    assert tags()["promoted-at"] == first
    # Re-run once RDS finished: reports the writer.
    finish_promotion()
    report = promote_step.run(request(), ctx)
    assert report["result"] == "writable" and report["started_promotion"] is False
    assert tags()["promoted-at"] == first
    clients.stubber.assert_no_pending_responses()


# app-config -------------------------------------------------------------------------------


@pytest.fixture
def standby_cache(aws):
    boto3.client("elasticache", region_name=STANDBY).create_replication_group(
        ReplicationGroupId="fdr-test-redis-us-west-2",
        ReplicationGroupDescription="standby cache",
        Engine="redis",
        CacheNodeType="cache.t4g.small",
        NumCacheClusters=2,
    )
    return aws


def _parameter(name: str) -> str | None:
    try:
        return boto3.client("ssm", region_name=STANDBY).get_parameter(Name=name)["Parameter"][
            "Value"
        ]
    except ClientError:
        return None


def test_app_config_refuses_a_read_replica(standby_cache):
    with pytest.raises(StepNotDone, match="not writable yet"):
        app_config.run(request("app-configuration"), context(standby_cache)[0])
    assert _parameter(WRITER) is None


class FailingSecondPut:
    """An SSM client whose second PutParameter fails (a write that stopped half-way)."""

    def __init__(self, real: Any) -> None:
        self.real, self.puts = real, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def put_parameter(self, **kwargs: Any) -> Any:
        self.puts += 1
        if self.puts == 2:
            raise ClientError({"Error": {"Code": "InternalServerError"}}, "PutParameter")
        return self.real.put_parameter(**kwargs)


def test_app_config_rerun_after_partial_success_finishes_the_rest(standby_cache):
    finish_promotion()
    clients = RegionSwitchClients(standby_cache)
    clients.wrapped[("ssm", STANDBY)] = FailingSecondPut(standby_cache("ssm", STANDBY))
    ctx, _ = context(clients)
    with pytest.raises(ClientError):
        app_config.run(request("app-configuration"), ctx)
    assert _parameter(WRITER) == f"{REPLICA}.aaaaaaaaaa.{STANDBY}.rds.amazonaws.com"
    assert _parameter(CACHE) is None
    report = app_config.run(request("app-configuration"), ctx)
    assert report["unchanged"] == [WRITER] and report["written"] == [CACHE]
    assert _parameter(CACHE) and "fdr-test-redis-us-west-2" in _parameter(CACHE)
    again = app_config.run(request("app-configuration"), ctx)
    assert again["written"] == [] and again["unchanged"] == [WRITER, CACHE]


# dns --------------------------------------------------------------------------------------


@pytest.fixture
def failover_records(aws):
    """The DNS tier's failover records: <primary|secondary>-<region>, each health-checked."""
    route53 = boto3.client("route53", region_name=PRIMARY)
    zone = route53.create_hosted_zone(Name=ZONE_NAME, CallerReference="z")["HostedZone"]["Id"]
    checks = {}
    for failover, region in (("PRIMARY", PRIMARY), ("SECONDARY", STANDBY)):
        checks[region] = route53.create_health_check(
            CallerReference=region,
            HealthCheckConfig={
                "Type": "HTTPS",
                "FullyQualifiedDomainName": f"alb.{region}.elb.amazonaws.com",
                "Port": 443,
                "ResourcePath": "/healthz",
            },
        )["HealthCheck"]["Id"]
        route53.change_resource_record_sets(
            HostedZoneId=zone,
            ChangeBatch={
                "Changes": [
                    {
                        "Action": "CREATE",
                        "ResourceRecordSet": {
                            "Name": RECORD,
                            "Type": "A",
                            "SetIdentifier": f"{failover.lower()}-{region}",
                            "Failover": failover,
                            "HealthCheckId": checks[region],
                            "AliasTarget": {
                                "HostedZoneId": "Z1H1FL5HABSF5",
                                "DNSName": f"alb.{region}.elb.amazonaws.com",
                                "EvaluateTargetHealth": True,
                            },
                        },
                    }
                ]
            },
        )
    return aws, zone.rsplit("/", 1)[-1], checks


def _inverted(check_id: str) -> bool:
    route53 = boto3.client("route53", region_name=PRIMARY)
    config = route53.get_health_check(HealthCheckId=check_id)["HealthCheck"]["HealthCheckConfig"]
    return bool(config.get("Inverted", False))


def test_switchover_pins_the_record_to_the_standby_and_failback_unpins(failover_records):
    moto_clients, zone, checks = failover_records
    clients = RegionSwitchClients(moto_clients)
    clients.expect_execution(times=3)
    ctx, _ = context(clients, recovery_settings(hosted_zone_id=zone))
    report = dns_step.run(request("move-dns"), ctx)
    assert report["changed"] == [{"record": "primary-us-east-1", "inverted": True}]
    assert _inverted(checks[PRIMARY]) and not _inverted(checks[STANDBY])
    # A re-run changes nothing.
    assert dns_step.run(request("move-dns"), ctx)["changed"] == []
    # Failing back (the primary's copy of the function activates us-east-1): no inversion left.
    back, _ = context(clients, recovery_settings(PRIMARY, hosted_zone_id=zone))
    report = dns_step.run(request("move-dns"), back)
    assert report["changed"] == [{"record": "primary-us-east-1", "inverted": False}]
    assert not _inverted(checks[PRIMARY])


class Route53Down:
    def __init__(self, real: Any) -> None:
        self.real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def update_health_check(self, **kwargs: Any) -> Any:
        raise ClientError({"Error": {"Code": "ServiceUnavailable"}}, "UpdateHealthCheck")


@pytest.mark.parametrize("mode", ["graceful", "ungraceful"])
def test_route53_control_plane_down(failover_records, mode):
    moto_clients, zone, _ = failover_records
    clients = RegionSwitchClients(moto_clients, mode=mode)
    clients.expect_execution()
    clients.wrapped[("route53", PRIMARY)] = Route53Down(moto_clients("route53", PRIMARY))
    ctx, _ = context(clients, recovery_settings(hosted_zone_id=zone))
    if mode == "graceful":  # a planned switchover must not pretend DNS moved
        with pytest.raises(ClientError):
            dns_step.run(request("move-dns"), ctx)
    else:  # the failed primary's check fails by itself: report, do not block the failover
        report = dns_step.run(request("move-dns"), ctx)
        assert report["not_pinned"][0]["record"] == "primary-us-east-1"


def test_dns_refuses_a_zone_without_the_regions_record(failover_records):
    moto_clients, zone, _ = failover_records
    ctx, _ = context(
        moto_clients, recovery_settings(hosted_zone_id=zone, record_name="x." + ZONE_NAME)
    )
    with pytest.raises(RuntimeError, match="has no health-checked failover record for us-west-2"):
        dns_step.run(request("move-dns"), ctx)


# verify -----------------------------------------------------------------------------------


def _canary(ctx: StepContext, target: Any, execution_id: str) -> dict[str, str]:
    """The canary stands in here; tests/lambdas/test_canary_write.py writes a real one."""
    assert (target.port, target.user, target.database) == (5432, "fdr_canary", "fdr")
    return {"execution_id": execution_id, "writes": "1"}


def _ingress_and_writer(writer: str) -> None:
    ssm = boto3.client("ssm", region_name=STANDBY)
    ssm.put_parameter(
        Name=ALB_PARAMETER, Value="alb.us-west-2.elb.amazonaws.com", Type="String", Overwrite=True
    )
    ssm.put_parameter(Name=WRITER, Value=writer, Type="String", Overwrite=True)


def test_verify_passes_once_the_ingress_answers(aws):
    finish_promotion()
    _ingress_and_writer(f"{REPLICA}.aaaaaaaaaa.{STANDBY}.rds.amazonaws.com")
    answers = iter([OSError("connection refused"), 503, 200])
    calls: list[tuple[str, str, int, str]] = []

    def probe(address: str, server_name: str, port: int, path: str) -> int:
        calls.append((address, server_name, port, path))
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    report = verify_step.run(request("verify"), context(aws)[0], probe=probe, canary=_canary)
    assert report["ingress"]["status"] == 200 and report["database"]["writable"] is True
    assert calls[0] == ("alb.us-west-2.elb.amazonaws.com", RECORD, 443, "/healthz")
    assert report["canary_write"] == {"execution_id": "exec-0001", "writes": "1"}


def test_verify_goes_through_the_edge_when_there_is_one(aws):
    finish_promotion()
    _ingress_and_writer(f"{REPLICA}.aaaaaaaaaa.{STANDBY}.rds.amazonaws.com")
    calls: list[tuple[str, str, int, str]] = []

    def probe(address: str, server_name: str, port: int, path: str) -> int:
        calls.append((address, server_name, port, path))
        return 200

    settings = recovery_settings(edge_host="app.example.test")
    verify_step.run(request("verify"), context(aws, settings)[0], probe=probe, canary=_canary)
    assert calls == [("app.example.test", "app.example.test", 443, "/healthz")]


def test_verify_fails_on_stale_configuration_and_on_a_dead_ingress(aws):
    finish_promotion()
    _ingress_and_writer("old-primary.example")
    with pytest.raises(RuntimeError, match="app-configuration step has not applied"):
        verify_step.run(request("verify"), context(aws)[0], probe=lambda *a: 200, canary=_canary)
    _ingress_and_writer(f"{REPLICA}.aaaaaaaaaa.{STANDBY}.rds.amazonaws.com")
    with pytest.raises(StepNotDone, match=r"is not healthy \(HTTP 503\)"):
        verify_step.run(request("verify"), context(aws)[0], probe=lambda *a: 503, canary=_canary)


def test_verify_fails_with_the_canary_line_before_probing_the_ingress(aws):
    finish_promotion()
    _ingress_and_writer(f"{REPLICA}.aaaaaaaaaa.{STANDBY}.rds.amazonaws.com")

    def refused(ctx, target, execution_id):
        raise CanaryError(f"login refused for {target.user}@{target.host}")

    def no_probe(*args):
        raise AssertionError("the ingress was probed after a failed canary")

    with pytest.raises(RuntimeError, match=r"^canary write: login refused for fdr_canary@fdr-"):
        verify_step.run(request("verify"), context(aws)[0], probe=no_probe, canary=refused)


# handler ----------------------------------------------------------------------------------


class LambdaContext:
    function_name = "fdr-test-recovery-promote"
    memory_limit_in_mb = 256
    invoked_function_arn = (
        "arn:aws:lambda:us-west-2:123456789012:function:fdr-test-recovery-promote"
    )
    aws_request_id = "req-1"


# A run that was never throttled publishes no metric; Powertools warns about exactly that.
@pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")
def test_handler_runs_the_step_for_the_documented_event(aws, monkeypatch):
    finish_promotion()
    monkeypatch.setenv("RECOVERY_SETTINGS", json.dumps(recovery_settings().__dict__))
    monkeypatch.setattr("recovery_actions.step.client_factory", lambda *args: aws)
    report = promote_step.handler(event(), LambdaContext())
    assert report["result"] == "writable"


@pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")
def test_handler_rejects_another_plans_event_without_aws_calls(monkeypatch):
    monkeypatch.setenv("RECOVERY_SETTINGS", json.dumps(recovery_settings().__dict__))

    def no_clients(*args):
        raise AssertionError("an AWS client was created for a bad event")

    monkeypatch.setattr("recovery_actions.step.client_factory", no_clients)
    with pytest.raises(EventError, match="refusing to act for another plan"):
        promote_step.handler(event(PlanArn=PLAN_ARN.replace(PLAN, "someone-else")), LambdaContext())
