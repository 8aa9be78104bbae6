"""The template builder, issue 14's footprint fixes: dependencies ARM cannot infer, role
assignments (least privilege, deterministic names), Container insights' data collection rule,
the replicator's keyless identity, Key Vault recovery; bad access/identity config is one line."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from azure_dr.footprint import build_footprint
from azure_dr.footprint.roles import (
    AKS_RBAC_CLUSTER_ADMIN,
    KEY_VAULT_SECRETS_OFFICER,
    KEY_VAULT_SECRETS_USER,
    STORAGE_BLOB_DATA_CONTRIBUTOR,
    STORAGE_BLOB_DATA_READER,
)
from infra.config import load_config
from tests.azure_dr.arm_queries import of_type, one, rid
from tests.unit.config_helpers import config_error, one_line

ROLE_TYPE = "Microsoft.Authorization/roleAssignments"
RESOURCE_ID = re.compile(r"resourceId\(([^()]*)\)")


def _declared(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """resourceId() expression -> body, for every resource that is not an extension."""
    return {
        rid(r["type"], *r["name"].split("/")): r
        for r in template["resources"]
        if "scope" not in r and not r["name"].startswith("[")
    }


def _closure(body: dict[str, Any], declared: dict[str, dict[str, Any]]) -> set[str]:
    seen: set[str] = set()
    todo = list(body.get("dependsOn", []))
    while todo:
        dep = todo.pop()
        if dep not in seen:
            seen.add(dep)
            todo += declared.get(dep, {}).get("dependsOn", [])
    return seen


def _parent_declared(args: str, declared: dict[str, dict[str, Any]]) -> str | None:
    """The declared resource a resourceId() names, or the nearest declared parent of it (a
    subnet id needs its VNet deployed)."""
    parts = [a.strip().strip("'") for a in args.split(",")]
    resource_type, names = parts[0].split("/"), parts[1:]
    while len(names) >= 1:
        expression = rid("/".join(resource_type), *names)
        if expression in declared:
            return expression
        resource_type, names = resource_type[:-1], names[:-1]
    return None


def test_every_referenced_template_resource_is_a_dependency(env):
    """resourceId() in properties or scope creates no implicit dependency in ARM: each template
    resource a resource refers to must be in its dependsOn (directly or through another)."""
    _, footprint = env
    declared = _declared(footprint.template)
    missing = []
    for body in footprint.template["resources"]:
        text = json.dumps({"p": body.get("properties"), "s": body.get("scope")})
        own = rid(body["type"], *body["name"].split("/"))
        needed = {_parent_declared(m, declared) for m in RESOURCE_ID.findall(text)} - {None, own}
        for dep in needed - _closure(body, declared):
            missing.append(f"{body['type']} {body['name']} -> {dep}")
    assert missing == []


def test_vault_and_postgres_diagnostics_depend_on_the_workspace(env):
    _, footprint = env
    workspace = rid("Microsoft.OperationalInsights/workspaces", footprint.names.workspace)
    settings = of_type(footprint.template, "Microsoft.Insights/diagnosticSettings")
    scopes = {s["scope"].split("'")[1] for s in settings}
    assert {"Microsoft.KeyVault/vaults", "Microsoft.DBforPostgreSQL/flexibleServers"} <= scopes
    for setting in settings:
        assert workspace in setting["dependsOn"], setting["scope"]


def _assignments(template: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    return [
        r for r in of_type(template, ROLE_TYPE)
        if r["properties"]["roleDefinitionId"].endswith(f"'{role_id}')]")
    ]  # fmt: skip


def test_cluster_admin_groups_get_the_aks_rbac_cluster_admin_role_on_the_cluster(env):
    config, footprint = env
    cluster = rid("Microsoft.ContainerService/managedClusters", footprint.names.cluster)
    admins = _assignments(footprint.template, AKS_RBAC_CLUSTER_ADMIN.definition_id)
    groups = config.azure.access.cluster_admin_group_ids
    assert sorted(a["properties"]["principalId"] for a in admins) == sorted(groups)
    for a in admins:
        group = a["properties"]["principalId"]
        assert a["scope"] == cluster
        assert a["properties"]["principalType"] == "Group"
        assert a["name"] == (
            f"[guid({cluster[1:-1]}, '{group}', '{AKS_RBAC_CLUSTER_ADMIN.definition_id}')]"
        )
        assert cluster in a["dependsOn"]


def test_csi_identity_reads_secrets_of_the_vault_only(env):
    _, footprint = env
    vault = rid("Microsoft.KeyVault/vaults", footprint.names.key_vault)
    (csi,) = (
        a
        for a in _assignments(footprint.template, KEY_VAULT_SECRETS_USER.definition_id)
        if "addonProfiles" in a["properties"]["principalId"]
    )
    assert csi["scope"] == vault
    assert csi["properties"]["principalType"] == "ServicePrincipal"
    assert csi["properties"]["principalId"].endswith(
        ".addonProfiles.azureKeyvaultSecretsProvider.identity.objectId]"
    )
    assert vault in csi["dependsOn"]


def test_role_assignments_are_least_privilege_and_deterministic(env):
    config, footprint = env
    assignments = of_type(footprint.template, ROLE_TYPE)
    expected_roles = {
        AKS_RBAC_CLUSTER_ADMIN.definition_id,
        KEY_VAULT_SECRETS_USER.definition_id,
        STORAGE_BLOB_DATA_CONTRIBUTOR.definition_id,
        STORAGE_BLOB_DATA_READER.definition_id,  # the cluster baseline's container
        footprint.names.command_invoke_role_id,  # the custom command-invoke role
        KEY_VAULT_SECRETS_OFFICER.definition_id,  # the operators who run sync (on the vault)
    }
    assert {a["properties"]["roleDefinitionId"].split("'")[3] for a in assignments} == (
        expected_roles
    )
    # Each on one resource: never the resource group or the subscription.
    assert all(a["scope"].startswith("[resourceId(") for a in assignments)
    names = [a["name"] for a in assignments]
    assert len(names) == len(set(names))
    assert all(n.startswith("[guid(") and "reference(" not in n for n in names)
    gateway = 1 if config.azure.ingress.enabled else 0  # its certificate read
    officers = len(config.azure.key_vault.secrets_officer_group_ids)
    admins = len(config.azure.access.cluster_admin_group_ids)  # RBAC admin + command invoke
    baseline = 2  # Flux reads, sync writes the baseline container
    assert len(assignments) == 2 * admins + officers + 2 + baseline + gateway


def test_container_insights_has_its_data_collection_rule_and_association(env):
    config, footprint = env
    t = footprint.template
    workspace = one(t, "Microsoft.OperationalInsights/workspaces")
    assert workspace["properties"]["features"]["disableLocalAuth"] is True
    oms = one(t, "Microsoft.ContainerService/managedClusters")["properties"]["addonProfiles"]
    assert oms["omsagent"]["config"]["useAADAuth"] == "true"
    workspace_id = rid("Microsoft.OperationalInsights/workspaces", footprint.names.workspace)
    rule = one(t, "Microsoft.Insights/dataCollectionRules")
    assert rule["name"] == f"MSCI-{config.azure.location}-{footprint.names.cluster}"
    assert rule["kind"] == "Linux" and rule["location"] == config.azure.location
    (extension,) = rule["properties"]["dataSources"]["extensions"]
    assert extension["extensionName"] == "ContainerInsights"
    assert "Microsoft-ContainerLogV2" in extension["streams"]
    (destination,) = rule["properties"]["destinations"]["logAnalytics"]
    assert destination["workspaceResourceId"] == workspace_id
    (flow,) = rule["properties"]["dataFlows"]
    assert flow == {"streams": extension["streams"], "destinations": [destination["name"]]}
    assert workspace_id in rule["dependsOn"]
    association = one(t, "Microsoft.Insights/dataCollectionRuleAssociations")
    cluster = rid("Microsoft.ContainerService/managedClusters", footprint.names.cluster)
    rule_id = rid("Microsoft.Insights/dataCollectionRules", rule["name"])
    assert association["name"] == "ContainerInsightsExtension"
    assert association["scope"] == cluster
    assert association["properties"]["dataCollectionRuleId"] == rule_id
    assert set(association["dependsOn"]) == {cluster, rule_id}


def test_replicator_identity_trusts_the_configured_issuer_with_blob_access_only(env):
    config, footprint = env
    trust = config.azure.identity.replicator
    t = footprint.template
    (identity,) = (
        r
        for r in of_type(t, "Microsoft.ManagedIdentity/userAssignedIdentities")
        if r["name"] == footprint.names.replicator_identity
    )
    credential = one(t, f"{identity['type']}/federatedIdentityCredentials")
    assert credential["properties"] == {
        "issuer": trust.issuer,
        "subject": trust.subject,
        "audiences": ["api://AzureADTokenExchange"],
    }
    account = footprint.names.storage_account
    (blob,) = (
        a for a in _assignments(t, STORAGE_BLOB_DATA_CONTRIBUTOR.definition_id)
        if a["scope"] == rid("Microsoft.Storage/storageAccounts", account)
    )  # fmt: skip
    assert blob["scope"] == rid("Microsoft.Storage/storageAccounts", account)
    assert blob["properties"]["principalId"].endswith(".principalId]")
    assert blob["properties"]["principalType"] == "ServicePrincipal"
    outputs = t["outputs"]
    assert outputs["replicatorClientId"]["value"].endswith(").clientId]")
    assert outputs["replicatorTenantId"]["value"].endswith(").tenantId]")
    assert "secret" not in json.dumps(identity).lower()


def test_blob_versioning_and_soft_delete_stay_on(env):
    """Issue 14, Build 3: deletes and overwrites never destroy the only DR copy."""
    config, footprint = env
    blob = one(footprint.template, "Microsoft.Storage/storageAccounts/blobServices")
    p = blob["properties"]
    days = config.azure.storage.soft_delete_days
    assert p["isVersioningEnabled"] is True
    assert p["deleteRetentionPolicy"] == {"enabled": True, "days": days}
    assert p["containerDeleteRetentionPolicy"] == {"enabled": True, "days": days}


def test_key_vault_recovery_template_recovers_the_same_vault():
    footprint = build_footprint(load_config("production", environ={}))
    recovery = footprint.key_vault_recovery_template()
    (vault,) = recovery["resources"]
    assert vault["type"] == "Microsoft.KeyVault/vaults"
    assert vault["name"] == footprint.names.key_vault
    assert vault["properties"]["createMode"] == "recover"
    assert vault["properties"]["enablePurgeProtection"] is True
    main = one(footprint.template, "Microsoft.KeyVault/vaults")
    assert "createMode" not in main["properties"]  # a normal plan never shows it as drift


# -- bad configuration: one clear line each -------------------------------------------------


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda c: c["azure"].pop("access"), "azure.access: required key is missing"),
        (
            lambda c: c["azure"]["access"].update(cluster_admin_group_ids=["admins"]),
            "azure.access.cluster_admin_group_ids.0: 'admins' is not an Entra object id",
        ),
        (
            lambda c: c["azure"]["access"].update(cluster_admin_group_ids=[]),
            "azure.access.cluster_admin_group_ids: List should have at least 1 item",
        ),
        (
            lambda c: c["azure"]["access"].update(
                cluster_admin_group_ids=["0a1b2c3d-0000-4000-8000-000000000001"] * 2
            ),
            "cluster_admin_group_ids lists a group twice",
        ),
        (lambda c: c["azure"].pop("identity"), "azure.identity: required key is missing"),
        (
            lambda c: c["azure"]["identity"]["replicator"].pop("issuer"),
            "azure.identity.replicator.issuer: required key is missing",
        ),
        (
            lambda c: c["azure"]["identity"]["replicator"].update(
                issuer="http://abc.tokens.sts.global.api.aws"
            ),
            "azure.identity.replicator.issuer: 'http://abc.tokens.sts.global.api.aws' is not "
            "an https issuer URL",
        ),
        (
            lambda c: c["azure"]["identity"]["replicator"].update(issuer="not a url"),
            "is not an https issuer URL",
        ),
        (
            lambda c: c["azure"]["identity"]["replicator"].update(subject=""),
            "azure.identity.replicator.subject: String should have at least 1 character",
        ),
    ],
)
def test_bad_access_or_identity_configuration(tmp_path: Path, mutate, expected: str):
    message = one_line(config_error(tmp_path, mutate))
    assert expected in message


def test_group_ids_are_normalised_and_audience_defaults(tmp_path: Path):
    from tests.unit.config_helpers import load_mutated

    def upper(c):
        c["azure"]["access"]["cluster_admin_group_ids"] = ["0A1B2C3D-0000-4000-8000-00000000000F"]

    config = load_mutated(tmp_path, upper)
    assert config.azure.access.cluster_admin_group_ids == ["0a1b2c3d-0000-4000-8000-00000000000f"]
    assert config.azure.identity.replicator.audience == "api://AzureADTokenExchange"


def test_cli_names_the_bad_issuer_in_one_line(tmp_path: Path, capsys):
    from azure_dr.cli import main
    from tests.unit.config_helpers import load_mutated

    def plain_http(c):
        c["azure"]["identity"]["replicator"]["issuer"] = "http://issuer.example"

    with pytest.raises(Exception):  # noqa: B017 - load_mutated itself raises ConfigError
        load_mutated(tmp_path, plain_http)
    assert main(["template", "--env", "production"], config_dir=tmp_path) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert "azure.identity.replicator.issuer: 'http://issuer.example' is not an https" in err
