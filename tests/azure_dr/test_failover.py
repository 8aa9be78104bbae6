"""``python -m azure_dr failover`` / ``failback`` end to end: the real SDK clients against the
fake ARM server (agentPools), boto3 against moto (Route 53 health checks and the DNS stack's
gates), the failover marker in Azurite, and a recording stand-in for the database half (the
real one against PostgreSQL: test_failover_real_database.py)."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.route53.responses import Route53 as MotoRoute53

from azure_dr.cli import main
from azure_dr.database.pg import Dsn
from azure_dr.failover.database import DatabaseSeam
from azure_dr.vault import ADMIN_PASSWORD_SECRET
from infra.config import load_config
from infra.naming import Names
from tests.azure_dr.conftest import ENV, FAST, FakeCredential, Result
from tests.azurite import Azurite

REGIONS = ("us-east-1", "us-west-2")
NOW = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)


@dataclass
class FakeRestore:
    """Stands in for the database half (same call signatures), to count and fail its calls;
    test_failover_real_database.py runs the real one."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    fail_next: bool = False

    def restore(self, *, container: Any, target_dsn: str, jobs: int = 4, force: bool = False):
        self.calls.append({"dsn": target_dsn, "force": force})
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("server closed the connection unexpectedly")
        return _Result("fdr-20261202T0430Z.dump", NOW - timedelta(minutes=30), 10_000, 2.5, 42)

    def detach(self, subscriber_dsn: str) -> list[str]:
        return []

    def data_loss(self, subscriber_dsn: str) -> float | None:
        return None

    def newest(self, container: Any):
        return _Dump("fdr-20261202T0430Z.dump", NOW - timedelta(minutes=30), 10_000, "ab" * 32)


@dataclass(frozen=True)
class _Result:
    dump_name: str
    dump_taken_at: datetime
    bytes: int
    seconds: float
    tables: int


@dataclass(frozen=True)
class _Dump:
    name: str
    taken_at: datetime
    size: int
    sha256: str


@pytest.fixture
def aws(monkeypatch) -> Iterator[dict[str, Any]]:
    """Route 53 as the DNS stack leaves it: each region's ALB check and its CALCULATED gate,
    tagged by name. ``status[region]`` says what the checkers report."""
    names = Names("fdr", ENV)
    status = dict.fromkeys(REGIONS, True)
    original = MotoRoute53.get_health_check_status

    def reported(self):
        result = original(self)
        check_id = self._get_param("HealthCheckId")
        region = ids.get(check_id)
        if region is not None and not status[region]:
            for observation in result.result["HealthCheckObservations"]:
                observation["StatusReport"]["Status"] = "Failure: Connection timed out."
        return result

    monkeypatch.setattr(MotoRoute53, "get_health_check_status", reported)
    ids: dict[str, str] = {}
    with mock_aws():
        client = boto3.client("route53", region_name="us-east-1")
        gates = {}
        for region in REGIONS:
            alb = client.create_health_check(
                CallerReference=f"alb-{region}",
                HealthCheckConfig={
                    "Type": "HTTPS",
                    "FullyQualifiedDomainName": f"alb.{region}.example",
                    "Port": 443,
                    "ResourcePath": "/healthz",
                },
            )["HealthCheck"]["Id"]
            ids[alb] = region
            gate = client.create_health_check(
                CallerReference=f"gate-{region}",
                HealthCheckConfig={"Type": "CALCULATED", "ChildHealthChecks": [alb],
                                   "HealthThreshold": 1},
            )["HealthCheck"]["Id"]  # fmt: skip
            gates[region] = gate
            for check, name in (
                (alb, names.alb_health_check(region)),
                (gate, names.dr_gate(region)),
            ):
                client.change_tags_for_resource(
                    ResourceType="healthcheck",
                    ResourceId=check,
                    AddTags=[{"Key": "Name", "Value": name}],
                )
        yield {"client": client, "status": status, "gates": gates}


def _threshold(aws: dict[str, Any], region: str) -> int:
    check = aws["client"].get_health_check(HealthCheckId=aws["gates"][region])
    return int(check["HealthCheck"]["HealthCheckConfig"]["HealthThreshold"])


@pytest.fixture
def failover(run, arm, aws, azurite: Azurite, ca_bundle):
    assert run("sync", "--yes").code == 0  # the footprint exists (cluster with its pools)
    service = azurite.service()
    container = f"backups-{uuid.uuid4().hex[:12]}"  # one Azurite serves the whole session
    service.create_container(container)
    restore = FakeRestore()
    seams = {
        "route53": aws["client"],
        "database": DatabaseSeam(
            restore=restore.restore,
            newest=restore.newest,
            detach=restore.detach,
            data_loss=restore.data_loss,
        ),
        "container": service.get_container_client,
        "mode": "dump",
        "clock": lambda: NOW.timestamp(),
    }

    def _run(command: str, *extra: str) -> Result:
        out, err = io.StringIO(), io.StringIO()
        argv = [command, "--env", ENV, "--arm-endpoint", arm.url, "--ca-bundle", ca_bundle,
                "--vault-endpoint", arm.url, "--dump-container", container, *extra]  # fmt: skip
        code = main(argv, credential=FakeCredential(), transport=FAST, environ={},
                    stdin=io.StringIO(""), stdout=out, stderr=err, seams=seams)  # fmt: skip
        return Result(code, out.getvalue(), err.getvalue())

    _run.restore = restore  # type: ignore[attr-defined]
    _run.marker = lambda: service.get_container_client(container).get_blob_client(  # type: ignore[attr-defined]
        f"failover/{ENV}.json"
    )
    return _run


def _pools(arm) -> dict[str, dict[str, Any]]:
    (cluster,) = (r for k, r in arm.arm.resources.items() if k.endswith("/fdr-production-dr-aks"))
    return {p["name"]: p for p in cluster["properties"]["agentPoolProfiles"]}


def test_failover_end_to_end_then_a_second_run_changes_nothing(failover, arm, aws):
    aws["status"].update({"us-east-1": False, "us-west-2": False})
    result = failover("failover", "--yes", "--output", "json")
    assert result.code == 0, result.err
    timeline = json.loads(result.out)
    assert [s["step"] for s in timeline["steps"]] == ["replication", "database", "aks-pools", "dns"]
    outcomes = {s["step"]: s["outcome"] for s in timeline["steps"]}
    assert outcomes == {"replication": "already done", "database": "done",
                        "aks-pools": "done", "dns": "done"}  # fmt: skip
    for step in timeline["steps"]:
        assert step["started"] <= step["ended"] and step["seconds"] >= 0
    assert timeline["total_seconds"] == pytest.approx(sum(s["seconds"] for s in timeline["steps"]))
    assert len(failover.restore.calls) == 1 and failover.restore.calls[0]["force"] is False
    # The admin password comes from Key Vault (generated by sync) and is never printed.
    password = arm.arm.vault.latest(ADMIN_PASSWORD_SECRET)
    dsn = Dsn.parse(failover.restore.calls[0]["dsn"])
    assert dsn.password == password and dsn.url.startswith("postgresql://")
    assert password not in result.out + result.err
    config = load_config(ENV, environ={})
    pools = _pools(arm)
    for name, pool in config.azure.aks.user_pools.items():
        assert pools[name]["minCount"] == pool.dr_count and pools[name]["count"] >= pool.dr_count
    assert pools["system"]["minCount"] == config.azure.aks.system_pool.min_count
    assert {r: _threshold(aws, r) for r in REGIONS} == {"us-east-1": 2, "us-west-2": 2}

    puts = arm.arm.agent_pool_puts
    again = failover("failover", "--yes", "--output", "json")
    assert again.code == 0, again.err
    assert {s["outcome"] for s in json.loads(again.out)["steps"]} == {"already done"}
    assert arm.arm.agent_pool_puts == puts
    assert len(failover.restore.calls) == 1
    assert {r: _threshold(aws, r) for r in REGIONS} == {"us-east-1": 2, "us-west-2": 2}


def test_refused_while_aws_is_healthy_unless_forced(failover, arm, aws):
    aws["status"]["us-east-1"] = False  # us-west-2 still serves: AWS is not the side to leave
    refused = failover("failover", "--yes")
    assert refused.code == 1
    assert "refused: Route 53 reports us-west-2 healthy" in refused.err
    assert "Traceback" not in refused.err
    assert arm.arm.agent_pool_puts == 0 and not failover.marker().exists()
    forced = failover("failover", "--yes", "--force")
    assert forced.code == 0, forced.err
    assert "total (measured RTO of this run)" in forced.out
    assert failover.restore.calls[0]["force"] is True


def test_dry_run_shows_the_plan_and_the_data_loss_and_changes_nothing(failover, arm, aws):
    result = failover("failover", "--dry-run")
    assert result.code == 0, result.err
    assert "data loss accepted (RPO now): 30.0 min of writes" in result.out
    assert "Route 53: us-east-1 healthy" in result.out
    assert "4. dns: close the Route 53 gates of us-east-1 and us-west-2" in result.out
    plan = json.loads(failover("failover", "--dry-run", "--output", "json").out)
    assert plan["rpo"]["data_loss_seconds"] == 1800
    assert arm.arm.agent_pool_puts == 0 and failover.restore.calls == []
    assert {r: _threshold(aws, r) for r in REGIONS} == {"us-east-1": 1, "us-west-2": 1}
    assert not failover.marker().exists()


def test_an_interrupted_failover_resumes_to_completion(failover, arm, aws):
    aws["status"].update({"us-east-1": False, "us-west-2": False})
    failover.restore.fail_next = True
    broken = failover("failover", "--yes")
    assert broken.code == 1
    assert "server closed the connection unexpectedly" in broken.err
    state = json.loads(failover.marker().download_blob().readall())
    assert "started" in state and "database" not in state["steps"]
    assert arm.arm.agent_pool_puts == 0  # stopped before the pools and DNS
    # AWS looks healthy again meanwhile: a started failover still resumes (no --force needed).
    aws["status"].update({"us-east-1": True, "us-west-2": True})
    resumed = failover("failover", "--yes", "--output", "json")
    assert resumed.code == 0, resumed.err
    assert "resuming the failover started at" in resumed.err
    outcomes = {s["step"]: s["outcome"] for s in json.loads(resumed.out)["steps"]}
    assert outcomes["database"] == "done" and outcomes["dns"] == "done"
    assert len(failover.restore.calls) == 2


def test_failback_dry_run_lists_the_way_back_then_failback_reopens_aws(failover, arm, aws):
    aws["status"].update({"us-east-1": False, "us-west-2": False})
    assert failover("failover", "--yes").code == 0
    plan = failover("failback", "--dry-run")
    assert plan.code == 0, plan.err
    assert "manual: pg_dump -Fc from the Azure server" in plan.out
    assert "1. dns: open the Route 53 gates" in plan.out
    assert {r: _threshold(aws, r) for r in REGIONS} == {"us-east-1": 2, "us-west-2": 2}
    refused = failover("failback", "--yes")
    assert refused.code == 1 and "rebuild AWS first" in refused.err
    aws["status"].update({"us-east-1": True, "us-west-2": True})
    back = failover("failback", "--yes")
    assert back.code == 0, back.err
    assert {r: _threshold(aws, r) for r in REGIONS} == {"us-east-1": 1, "us-west-2": 1}
    config = load_config(ENV, environ={})
    pools = _pools(arm)
    for name, pool in config.azure.aks.user_pools.items():
        assert pools[name]["minCount"] == pool.min_count
    assert "failed_back" in json.loads(failover.marker().download_blob().readall())


def test_the_real_database_half_fits_the_seam():
    import inspect

    from azure_dr.database import logical, restore
    from azure_dr.failover.database import real_seam

    seam = real_seam()
    assert seam.restore is restore.restore_newest_dump
    parameters = inspect.signature(restore.restore_newest_dump).parameters
    assert {"container", "target_dsn", "jobs", "force"} <= set(parameters)
    assert seam.newest is restore.newest_verified_dump
    assert seam.detach is logical.detach
    assert seam.data_loss is logical.data_loss_seconds


def test_the_environment_password_overrides_key_vault():
    """FDR_AZURE_POSTGRES_PASSWORD (a drill, a break-glass session) wins over Key Vault."""
    from azure_dr.failover import command

    outputs = {"postgresFqdn": "pg.example"}
    dsn = command.target_dsn(load_config(ENV, environ={}), lambda: outputs,
                             {"FDR_AZURE_POSTGRES_PASSWORD": "from-env"}, vault=None)  # fmt: skip
    assert Dsn.parse(dsn).password == "from-env"
    assert "@pg.example:5432/" in dsn
    assert command.target_dsn(load_config(ENV, environ={}), lambda: outputs,
                              {"FDR_AZURE_POSTGRES_DSN": "postgresql://x@y/z"},
                              vault=None) == "postgresql://x@y/z"  # fmt: skip
