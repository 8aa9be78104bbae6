"""Configuration loads for every environment and each kind of bad input gets one clear line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from infra.config import ConfigError, RegionRole, available_environments, load_config
from infra.config.network import SubnetMasks, plan_subnets
from tests.synth import ENVIRONMENTS, ROOT
from tests.unit.config_helpers import config_error, load_mutated


def test_every_environment_file_loads():
    assert available_environments() == sorted(ENVIRONMENTS)
    for env in ENVIRONMENTS:
        assert load_config(env, environ={}).name == env


def test_production_has_the_region_roles_of_the_architecture():
    config = load_config("production", environ={})
    assert config.primary_region == "us-east-1"
    assert config.regions_with_role(RegionRole.REPLICA) == ["eu-west-1", "ap-southeast-1"]
    assert config.regions_with_role(RegionRole.STANDBY) == ["us-west-2"]


def test_development_is_one_region():
    assert list(load_config("development", environ={}).regions) == ["us-east-1"]


def test_account_override_from_environment_and_context():
    assert load_config("production", environ={"FDR_ACCOUNT": "999999999999"}).account == (
        "999999999999"
    )
    config = load_config(
        "production", account_override="888888888888", environ={"FDR_ACCOUNT": "999999999999"}
    )
    assert config.account == "888888888888"


def test_bad_account_override_is_reported():
    with pytest.raises(
        ConfigError, match=r"^FDR_ACCOUNT \(overrides .*production.yaml\): account: .*'12345'"
    ):
        load_config("production", environ={"FDR_ACCOUNT": "12345"})
    with pytest.raises(ConfigError, match=r"^-c account \(overrides .*production.yaml\): account:"):
        load_config("production", account_override="x", environ={})


def test_unknown_environment_lists_the_valid_ones():
    with pytest.raises(ConfigError) as caught:
        load_config("prod")
    assert str(caught.value).startswith(
        "unknown environment 'prod' (valid: development, production, staging)"
    )


def _one_line(message: str) -> str:
    assert "\n" not in message, message
    assert "Traceback" not in message
    return message


def test_unknown_key(tmp_path: Path):
    message = config_error(tmp_path, lambda c: c["network"].update(nat_gateway="single"))
    assert _one_line(message) == "production.yaml: network.nat_gateway: unknown key".replace(
        "production.yaml", str(tmp_path / "production.yaml")
    )


def test_bad_cidr(tmp_path: Path):
    message = config_error(
        tmp_path, lambda c: c["regions"]["eu-west-1"].update(vpc_cidr="10.1.0.0/33")
    )
    assert "regions.eu-west-1.vpc_cidr:" in _one_line(message)
    assert "'10.1.0.0/33'" in message


def test_overlapping_cidrs_between_regions(tmp_path: Path):
    message = config_error(
        tmp_path, lambda c: c["regions"]["us-west-2"].update(vpc_cidr="10.0.128.0/17")
    )
    assert _one_line(message).endswith(
        "regions.us-west-2.vpc_cidr: 10.0.128.0/17 overlaps regions.us-east-1.vpc_cidr "
        "(10.0.0.0/16)"
    )


def test_azure_cidr_must_not_overlap_aws(tmp_path: Path):
    message = config_error(
        tmp_path, lambda c: c["azure"].update(vnet_cidr="10.2.0.0/20", ingress={"enabled": False})
    )
    assert "azure.vnet_cidr: 10.2.0.0/20 overlaps regions.ap-southeast-1.vpc_cidr" in message


def test_subnets_that_do_not_fit_their_vpc(tmp_path: Path):
    message = config_error(
        tmp_path, lambda c: c["regions"]["us-east-1"].update(vpc_cidr="10.0.0.0/20")
    )
    assert "regions.us-east-1.vpc_cidr: subnets do not fit" in _one_line(message)
    assert "need more than 10.0.0.0/20" in message


def test_unknown_region(tmp_path: Path):
    def mutate(c):
        c["regions"]["us-east-7"] = c["regions"].pop("us-west-2")

    message = config_error(tmp_path, mutate)
    assert "regions.us-east-7.[key]: unknown AWS region 'us-east-7'" in _one_line(message)


def test_az_not_in_its_region(tmp_path: Path):
    message = config_error(
        tmp_path,
        lambda c: c["regions"]["eu-west-1"].update(availability_zones=["eu-west-1a", "us-east-1b"]),
    )
    assert _one_line(message).endswith(
        "regions.eu-west-1.availability_zones.1: 'us-east-1b' is not an AZ of eu-west-1"
    )


@pytest.mark.parametrize("primaries", [0, 2])
def test_exactly_one_primary(tmp_path: Path, primaries: int):
    def mutate(c):
        c["regions"]["us-east-1"]["role"] = "primary" if primaries else "replica"
        if primaries == 2:
            c["regions"]["us-west-2"]["role"] = "primary"

    message = config_error(tmp_path, mutate)
    assert f"exactly one region must have role primary, found {primaries}" in _one_line(message)


@pytest.mark.parametrize("account", ["12345678901", "12345678901a", ""])
def test_bad_account_id(tmp_path: Path, account: str):
    message = config_error(tmp_path, lambda c: c.update(account=account))
    assert "account: String should match pattern" in _one_line(message)


def test_bad_log_retention(tmp_path: Path):
    message = config_error(tmp_path, lambda c: c["network"]["flow_logs"].update(retention_days=42))
    assert "network.flow_logs.retention_days: 42 is not a retention CloudWatch Logs accepts" in (
        _one_line(message)
    )


def test_invalid_yaml(tmp_path: Path):
    (tmp_path / "production.yaml").write_text("regions: [\n")
    with pytest.raises(ConfigError, match=r"production.yaml: line \d+: invalid YAML"):
        load_config("production", config_dir=tmp_path)


def test_several_problems_are_one_line_each(tmp_path: Path):
    def mutate(c):
        c["account"] = "x"
        c["network"]["flow_logs"]["retention_days"] = 2

    lines = config_error(tmp_path, mutate).splitlines()
    assert len(lines) == 2


def test_subnet_plan_matches_cdk_allocation_order():
    plan = plan_subnets(
        load_config("production", environ={}).regions["us-east-1"].vpc_cidr,
        3,
        SubnetMasks(public=24, application=19, data=24, management=26),
    )
    assert [str(n) for n in plan["public"]] == ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]
    assert [str(n) for n in plan["application"]] == ["10.0.32.0/19", "10.0.64.0/19", "10.0.96.0/19"]
    assert str(plan["management"][0]) == "10.0.131.0/26"


def test_valid_mutation_still_loads(tmp_path: Path):
    config = load_mutated(tmp_path, lambda c: c["network"].update(nat_gateways="single"))
    assert config.network.nat_gateways == "single"


def test_app_reports_bad_config_in_one_line_without_traceback():
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env={"CDK_CONTEXT_JSON": '{"env": "prod"}', "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "error: unknown environment 'prod' (valid: development, production, staging) in "
        f"{ROOT / 'config'}"
    ]


def test_backup_schedule_must_be_a_scheduler_expression(tmp_path: Path):
    message = config_error(
        tmp_path, lambda c: c["backup"]["schedules"].update(prune="every night at 3")
    )
    assert "backup.schedules.prune:" in _one_line(message)
    assert "'every night at 3' is not an EventBridge Scheduler expression" in message


def test_backup_window_must_match_the_snapshot_period(tmp_path: Path):
    message = config_error(tmp_path, lambda c: c["backup"].update(snapshot_window_minutes=30))
    assert _one_line(message).endswith(
        "backup: snapshot_window_minutes 30 differs from the snapshot schedule's period "
        "(60 min): a manual re-run later in the same period would take a second snapshot"
    )


def test_verify_must_run_inside_the_rpo(tmp_path: Path):
    message = config_error(
        tmp_path, lambda c: c["backup"]["schedules"].update(verify="rate(2 hours)")
    )
    assert "an RPO breach could go unmeasured" in _one_line(message)


def test_production_carries_the_designs_backup_numbers():
    backup = load_config("production", environ={}).backup
    assert backup.retention.monthly_days == 365  # the design's 365-day retention: long tier
    assert backup.automated_backup_retention_days == 30
    assert (backup.rpo_minutes, backup.rto_minutes) == (60, 240)
    assert backup.prune_dry_run is False


def test_network_acls_must_fit_the_rules_per_acl_quota(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # Production's layout needs 13 inbound entries on the application ACL (three scrape ports
    # from management); pretend the quota were lower to see the line the loader prints.
    monkeypatch.setattr("infra.config.environment.MAX_RULES_PER_DIRECTION", 12)
    message = config_error(tmp_path, lambda data: None)
    assert message.endswith(
        "regions.us-east-1.availability_zones: 3 AZs give the application network ACL 13 "
        "inbound entries, above the default quota of 12: raise the quota, then this limit"
    )
