"""The footprint's Key Vault as ``sync`` needs it: who may write its secrets (Key Vault Secrets
Officer for the configured groups, also in the vault's own first deployment) and where from
(private endpoint only, or the firewall admitting the configured public addresses)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from azure_dr.footprint import build_footprint
from azure_dr.footprint.roles import KEY_VAULT_SECRETS_OFFICER
from infra.config import load_config
from tests.unit.config_helpers import config_error, load_mutated, one_line

VAULT = "Microsoft.KeyVault/vaults"


def _vault(template: dict[str, Any]) -> dict[str, Any]:
    (vault,) = (r for r in template["resources"] if r["type"] == VAULT)
    return vault["properties"]


def _officers(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        r
        for r in resources
        if r["type"] == "Microsoft.Authorization/roleAssignments"
        and KEY_VAULT_SECRETS_OFFICER.definition_id in r["properties"]["roleDefinitionId"]
    ]


def test_private_by_default_and_arm_may_resolve_references():
    props = _vault(build_footprint(load_config("production", environ={})).template)
    assert props["publicNetworkAccess"] == "Disabled"
    assert props["networkAcls"] == {"defaultAction": "Deny", "bypass": "AzureServices",
                                    "ipRules": []}  # fmt: skip
    assert props["enabledForTemplateDeployment"] is True
    assert props["enableRbacAuthorization"] is True


def test_admitted_addresses_open_the_firewall_to_them_only(tmp_path: Path):
    def admit(c: dict[str, Any]) -> None:
        c["azure"]["key_vault"]["allowed_ip_ranges"] = ["20.30.40.50/32", "52.10.0.0/24"]

    props = _vault(build_footprint(load_mutated(tmp_path, admit)).template)
    assert props["publicNetworkAccess"] == "Enabled"
    assert props["networkAcls"]["defaultAction"] == "Deny"
    assert props["networkAcls"]["ipRules"] == [{"value": "20.30.40.50"},
                                               {"value": "52.10.0.0/24"}]  # fmt: skip


def test_secrets_officers_on_the_vault_also_in_its_first_deployment():
    config = load_config("production", environ={})
    footprint = build_footprint(config)
    groups = config.azure.key_vault.secrets_officer_group_ids
    assert groups
    for resources in (footprint.template["resources"],
                      footprint.key_vault_bootstrap_template()["resources"]):  # fmt: skip
        officers = _officers(resources)
        assert sorted(r["properties"]["principalId"] for r in officers) == sorted(groups)
        for r in officers:
            assert r["scope"] == f"[resourceId('{VAULT}', '{footprint.names.key_vault}')]"
            assert r["properties"]["principalType"] == "Group"
    bootstrap = footprint.key_vault_bootstrap_template()["resources"]
    assert [r["type"] for r in bootstrap] == [VAULT, *["Microsoft.Authorization/roleAssignments"]
                                              * len(groups)]  # fmt: skip
    # The same vault definition in both deployments: the main one changes nothing of it.
    (main_vault,) = (r for r in footprint.template["resources"] if r["type"] == VAULT)
    assert bootstrap[0] == main_vault


def test_a_private_address_is_one_clear_line(tmp_path: Path):
    message = config_error(
        tmp_path, lambda c: c["azure"]["key_vault"].update(allowed_ip_ranges=["10.1.2.0/24"])
    )
    assert "10.1.2.0/24 is not a public range" in one_line(message)


def test_a_group_listed_twice_is_one_clear_line(tmp_path: Path):
    group = "00000000-0000-4000-8000-00000000b001"
    message = config_error(
        tmp_path,
        lambda c: c["azure"]["key_vault"].update(secrets_officer_group_ids=[group, group]),
    )
    assert "lists a group twice" in one_line(message)
