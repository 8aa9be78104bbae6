"""The real SDK clients against the local fake ARM server: plan, sync, idempotence, drift."""

from __future__ import annotations

import json
from pathlib import Path

from azure_dr.footprint import build_footprint
from infra.config import load_config
from tests.azure_dr.conftest import PASSWORD
from tests.unit.config_helpers import load_mutated


def _error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_plan_on_an_empty_subscription_creates_everything(run, arm):
    result = run("plan")
    assert result.code == 2, result.err
    assert "+ create   resource group fdr-production-dr" in result.out
    assert "+ create   Microsoft.ContainerService/managedClusters/fdr-production-dr-aks" in (
        result.out
    )
    assert "to modify, 0 to delete, 0 unchanged" in result.out
    assert arm.arm.groups == {}  # plan never writes


def test_sync_then_plan_again_is_clean_and_sync_is_idempotent(run, arm):
    synced = run("sync", "--yes")
    assert synced.code == 0, synced.err
    assert "applied:" in synced.err
    assert "deploying fdr-production-dr (Incremental)" in synced.err
    assert "postgresFqdn = fake-postgresFqdn" in synced.out
    assert "fdr-production-dr" in arm.arm.groups
    # The password went to ARM as a secure parameter, never inside the template.
    template = run("template").out
    assert PASSWORD not in template

    again = run("plan")
    assert again.code == 0, again.out + again.err
    assert "0 to create, 0 to modify, 0 to delete" in again.out

    puts_before = sum(1 for m, p in arm.arm.requests if m == "PUT")
    second = run("sync", "--yes")
    assert second.code == 0
    assert "nothing to change" in second.err
    assert sum(1 for m, p in arm.arm.requests if m == "PUT") == puts_before


def test_modified_config_shows_the_modified_property(run, tmp_path: Path):
    assert run("sync", "--yes").code == 0

    def grow(c):
        c["azure"]["aks"]["user_pools"]["application"]["max_count"] = 30

    load_mutated(tmp_path, grow)
    result = run("plan", config_dir=tmp_path)
    assert result.code == 2
    assert "~ modify   Microsoft.ContainerService/managedClusters/fdr-production-dr-aks" in (
        result.out
    )
    assert "properties.agentPoolProfiles[1].maxCount: 20 => 30" in result.out
    assert "1 to modify" in result.out


def test_plan_json_for_machines(run):
    result = run("plan", "--output", "json")
    data = json.loads(result.out)
    assert data["pending"] is True
    assert data["resourceGroupExists"] is False
    assert {c["changeType"] for c in data["changes"]} == {"Create"}


def test_outputs_after_sync(run):
    run("sync", "--yes")
    result = run("outputs", "--output", "json")
    assert result.code == 0
    assert json.loads(result.out)["outputs"]["keyVaultUri"] == "fake-keyVaultUri"


def test_sync_refuses_without_yes_on_a_non_terminal(run, arm):
    result = run("sync")
    assert result.code == 1
    assert "pass --yes" in _error_line(result.err)
    assert arm.arm.groups == {}


def test_a_malformed_password_secret_override_is_one_clear_line(run):
    result = run("plan", environ={"FDR_AZURE_POSTGRES_PASSWORD_SECRET": "pg-password"})
    assert result.code == 1
    assert "FDR_AZURE_POSTGRES_PASSWORD_SECRET must read /subscriptions/" in _error_line(result.err)
    assert "pg-password" not in result.err  # the variable's value is never echoed


def test_a_password_secret_override_is_passed_to_arm_as_is(run, arm):
    assert run("sync", "--yes").code == 0
    arm.arm.vault.put("pg-elsewhere", PASSWORD)
    vault_id = build_footprint(load_config("production", environ={})).vault_id
    secret = f"{vault_id}/secrets/pg-elsewhere"
    assert run("plan", environ={"FDR_AZURE_POSTGRES_PASSWORD_SECRET": secret}).code == 0
    (parameters,) = {k: v for k, v in arm.arm.parameters.items() if not k.endswith("-kv")}.values()
    assert parameters["postgresAdminPassword"] == {
        "reference": {"keyVault": {"id": vault_id}, "secretName": "pg-elsewhere"}
    }
