"""A footprint re-created within the soft-delete retention: sync finds the soft-deleted Key Vault
(Key Vault management API, deletedVaults) and recovers it before deploying; the real SDK
against the fake ARM server, which enforces Key Vault's rules for a soft-deleted name."""

from __future__ import annotations

import json

from infra.config import load_config
from tests.azure_dr.conftest import ENV

CONFIG = load_config(ENV, environ={}).azure
DELETED_PATH = "/providers/Microsoft.KeyVault/locations/eastus2/deletedVaults/"


def _vault_name(run) -> str:
    template = json.loads(run("template").out)
    (vault,) = [r for r in template["resources"] if r["type"] == "Microsoft.KeyVault/vaults"]
    return vault["name"]


def _deployments_put(arm) -> list[str]:
    puts = [p for m, p in arm.arm.requests if m == "PUT" and "/deployments/" in p]
    return [p.rsplit("/", 1)[-1] for p in puts]


def _error_line(result) -> str:
    lines = [line for line in result.err.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err
    return lines[0]


def test_soft_deleted_vault_is_recovered_then_the_footprint_deployed(run, arm):
    name = _vault_name(run)
    arm.arm.soft_delete_vault(CONFIG.resource_group, name, CONFIG.location)

    plan = run("plan")
    assert plan.code == 2
    assert f"Key Vault {name} is soft-deleted" in plan.err
    assert arm.arm.deleted_vaults  # plan changes nothing

    result = run("sync", "--yes")
    assert result.code == 0, result.err
    assert f"recovering Key Vault {name} (createMode recover)" in result.err
    assert _deployments_put(arm) == ["fdr-production-dr-kv-recover", "fdr-production-dr"]
    assert arm.arm.deleted_vaults == {}
    assert arm.arm.deployments["fdr-production-dr"]["properties"]["provisioningState"] == (
        "Succeeded"
    )
    vault_id = (
        f"/subscriptions/{CONFIG.subscription_id}/resourcegroups/{CONFIG.resource_group}/"
        f"providers/microsoft.keyvault/vaults/{name}"
    ).lower()
    # The main deployment re-applied the vault's settings, without createMode.
    assert "createMode" not in arm.arm.resources[vault_id]["properties"]
    assert run("plan").code == 0  # nothing left to do


def test_no_deleted_vault_is_a_normal_create(run, arm):
    result = run("sync", "--yes")
    assert result.code == 0, result.err
    assert any(m == "GET" and DELETED_PATH in p for m, p in arm.arm.requests)
    assert "recovering" not in result.err
    # A new vault is deployed alone first, so that sync can write the secrets it references.
    assert _deployments_put(arm) == ["fdr-production-dr-kv", "fdr-production-dr"]


def test_without_recovery_the_soft_deleted_name_fails_the_deployment(run, arm, monkeypatch):
    """What sync did before: the fake enforces Key Vault's rule, so recovery is what passes."""
    from azure_dr.client import ArmSession

    monkeypatch.setattr(ArmSession, "deleted_key_vault", lambda self: None)
    name = _vault_name(run)
    arm.arm.soft_delete_vault(CONFIG.resource_group, name, CONFIG.location)
    line = _error_line(run("sync", "--yes"))
    assert "ConflictError" in line and "already exists in deleted state" in line


def test_vault_deleted_from_another_resource_group_is_one_clear_line(run, arm):
    name = _vault_name(run)
    arm.arm.soft_delete_vault("someone-elses-rg", name, CONFIG.location)
    line = _error_line(run("sync", "--yes"))
    assert f"Key Vault {name} is soft-deleted from resource group someone-elses-rg" in line
    assert _deployments_put(arm) == []
    assert arm.arm.groups == {}  # refused before changing anything


def test_outputs_carry_the_replicator_identity_for_the_aws_side(run):
    assert run("sync", "--yes").code == 0
    outputs = json.loads(run("outputs", "--output", "json").out)["outputs"]
    assert outputs["replicatorClientId"] == "fake-replicatorClientId"
    assert outputs["replicatorTenantId"] == "fake-replicatorTenantId"


def test_deployer_without_role_assignment_rights_gets_the_roles_it_needs(run, arm):
    from tests.azure_dr.fake_arm import DeploymentFailure

    arm.arm.failure = DeploymentFailure(
        code="AuthorizationFailed",
        message="The client 'x' does not have authorization to perform action "
        "'Microsoft.Authorization/roleAssignments/write' over scope '/subscriptions/…'.",
    )
    line = _error_line(run("sync", "--yes"))
    assert "Role Based Access Control Administrator" in line
    assert "User Access Administrator or Owner" in line
