"""The ARM template builder: every security setting, per environment; deterministic names;
no secret values; bad configuration is one clear line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from azure_dr.footprint import PASSWORD_PARAMETER, build_footprint
from azure_dr.footprint.arm import template_resource_id
from azure_dr.footprint.database import SERVER_TYPE
from infra.config import load_config
from tests.azure_dr.arm_queries import of_type, one
from tests.unit.config_helpers import config_error


def test_template_is_deterministic_and_json(env):
    config, footprint = env
    again = build_footprint(load_config(config.name, environ={}))
    assert json.dumps(footprint.template, sort_keys=True) == json.dumps(
        again.template, sort_keys=True
    )
    ids = [
        template_resource_id(r, footprint.subscription_id, footprint.resource_group).lower()
        for r in footprint.template["resources"]
    ]
    assert len(ids) == len(set(ids))  # no two template resources target the same id


def test_names_are_deterministic_and_fit_azure_limits(env):
    config, footprint = env
    n = footprint.names
    assert n.cluster == f"fdr-{config.name}-dr-aks"
    assert 3 <= len(n.storage_account) <= 24 and n.storage_account.isalnum()
    assert 3 <= len(n.key_vault) <= 24 and "--" not in n.key_vault
    assert len(n.postgres) <= 63
    other = build_footprint(config, subscription_id="11111111-2222-3333-4444-555555555555")
    assert other.names.storage_account != n.storage_account  # global names differ per target


def test_no_secret_values_in_the_template(env):
    _, footprint = env
    template = footprint.template
    assert template["parameters"][PASSWORD_PARAMETER]["type"] == "securestring"
    assert "defaultValue" not in template["parameters"][PASSWORD_PARAMETER]
    server = one(template, "Microsoft.DBforPostgreSQL/flexibleServers")
    assert server["properties"]["administratorLoginPassword"] == (
        f"[parameters('{PASSWORD_PARAMETER}')]"
    )
    text = json.dumps(template).lower()
    assert 'password": "' not in text.replace('loginpassword": "[parameters', "")


def test_aks_is_private_with_entra_rbac_and_addons(env):
    config, footprint = env
    aks = one(footprint.template, "Microsoft.ContainerService/managedClusters")
    p = aks["properties"]
    assert p["apiServerAccessProfile"]["enablePrivateCluster"] is True
    assert p["apiServerAccessProfile"]["enablePrivateClusterPublicFQDN"] is False
    assert p["disableLocalAccounts"] is True
    assert p["aadProfile"] == {"managed": True, "enableAzureRBAC": True}
    assert p["addonProfiles"]["azurepolicy"]["enabled"] is True
    assert p["addonProfiles"]["azureKeyvaultSecretsProvider"]["enabled"] is True
    assert p["addonProfiles"]["omsagent"]["config"]["useAADAuth"] == "true"
    assert aks["sku"]["tier"] == config.azure.aks.sku_tier
    pools = {pool["name"]: pool for pool in p["agentPoolProfiles"]}
    assert pools["system"]["mode"] == "System"
    assert "CriticalAddonsOnly=true:NoSchedule" in pools["system"]["nodeTaints"]
    for name, pool in config.azure.aks.user_pools.items():
        body = pools[name]
        assert body["mode"] == "User" and body["enableAutoScaling"] is True
        assert (body["minCount"], body["maxCount"]) == (pool.min_count, pool.max_count)
        assert body["nodeLabels"] == pool.labels
        assert body["nodeTaints"] == [f"{t.key}={t.value}:{t.effect.value}" for t in pool.taints]
    diag = [
        d for d in of_type(footprint.template, "Microsoft.Insights/diagnosticSettings")
        if "managedClusters" in d["scope"]
    ]  # fmt: skip
    assert diag and diag[0]["properties"]["logs"] == [{"categoryGroup": "allLogs", "enabled": True}]


def test_eks_node_group_labels_and_taints_are_mirrored():
    pools = load_config("production", environ={}).azure.aks.user_pools
    assert pools["application"].labels == {"node-type": "application", "workload": "general"}
    assert [(t.key, t.value, t.effect.value) for t in pools["aiprocessing"].taints] == [
        ("workload", "ai-processing", "NoSchedule")
    ]
    assert [(t.key, t.value) for t in pools["database"].taints] == [("workload", "database")]


def test_postgres_is_private_tls_and_matches_config(env):
    config, footprint = env
    pg = config.azure.postgres
    server = one(footprint.template, "Microsoft.DBforPostgreSQL/flexibleServers")
    p = server["properties"]
    assert p["version"] == pg.major_version == "17"
    assert p["network"]["publicNetworkAccess"] == "Disabled"
    assert "delegatedSubnetResourceId" in p["network"]
    assert p["highAvailability"]["mode"] == (
        "ZoneRedundant" if pg.zone_redundant_ha else "Disabled"
    )
    assert p["backup"]["geoRedundantBackup"] == (
        "Enabled" if pg.geo_redundant_backup else "Disabled"
    )
    assert p["backup"]["backupRetentionDays"] == pg.backup_retention_days
    settings = {
        c["name"].split("/")[-1]: c["properties"]["value"]
        for c in of_type(footprint.template, f"{SERVER_TYPE}/configurations")
    }
    assert settings == {"require_secure_transport": "ON", "ssl_min_protocol_version": "TLSv1.2"}


def test_production_has_ha_and_geo_backup_and_development_does_not():
    prod = load_config("production", environ={}).azure.postgres
    dev = load_config("development", environ={}).azure.postgres
    assert prod.zone_redundant_ha and prod.geo_redundant_backup
    assert not dev.zone_redundant_ha


def test_storage_is_locked_down_with_the_s3_lifecycle(env):
    config, footprint = env
    account = one(footprint.template, "Microsoft.Storage/storageAccounts")
    p = account["properties"]
    assert p["allowBlobPublicAccess"] is False
    assert p["allowSharedKeyAccess"] is False
    assert p["minimumTlsVersion"] == "TLS1_2"
    assert p["supportsHttpsTrafficOnly"] is True
    assert p["publicNetworkAccess"] == "Disabled"
    assert p["networkAcls"]["defaultAction"] == "Deny"
    assert account["sku"]["name"] in ("Standard_GRS", "Standard_RAGRS")
    blob = one(footprint.template, "Microsoft.Storage/storageAccounts/blobServices")["properties"]
    assert blob["isVersioningEnabled"] is True
    assert blob["deleteRetentionPolicy"] == {
        "enabled": True,
        "days": config.azure.storage.soft_delete_days,
    }
    containers = of_type(
        footprint.template, "Microsoft.Storage/storageAccounts/blobServices/containers"
    )
    # The mirror's containers and the cluster baseline's own (test_footprint_baseline.py).
    assert sorted(c["name"].split("/")[-1] for c in containers) == sorted(
        [*config.azure.storage.containers, config.azure.aks.baseline_source.container]
    )
    assert all(c["properties"]["publicAccess"] == "None" for c in containers)
    rule = one(footprint.template, "Microsoft.Storage/storageAccounts/managementPolicies")
    definition = rule["properties"]["policy"]["rules"][0]["definition"]
    # The lifecycle tiers and deletes the mirror containers only.
    mirror = [f"{c}/" for c in config.azure.storage.containers]
    assert definition["filters"]["prefixMatch"] == mirror
    actions = definition["actions"]["baseBlob"]
    lc = config.azure.storage.lifecycle
    assert actions["tierToCool"]["daysAfterModificationGreaterThan"] == lc.cool_after_days == 30
    assert (
        actions["tierToArchive"]["daysAfterModificationGreaterThan"] == lc.archive_after_days == 90
    )
    assert actions["delete"]["daysAfterModificationGreaterThan"] == lc.delete_after_days == 2555


def test_key_vault_rbac_purge_protection_private(env):
    config, footprint = env
    vault = one(footprint.template, "Microsoft.KeyVault/vaults")["properties"]
    assert vault["enableRbacAuthorization"] is True
    assert vault["enablePurgeProtection"] is True
    assert vault["softDeleteRetentionInDays"] == config.azure.key_vault.soft_delete_days == 90
    assert vault["publicNetworkAccess"] == "Disabled"
    endpoints = of_type(footprint.template, "Microsoft.Network/privateEndpoints")
    groups = sorted(
        e["properties"]["privateLinkServiceConnections"][0]["properties"]["groupIds"][0]
        for e in endpoints
    )
    assert groups == ["blob", "vault"]
    zones = {z["name"] for z in of_type(footprint.template, "Microsoft.Network/privateDnsZones")}
    assert {"privatelink.blob.core.windows.net", "privatelink.vaultcore.azure.net"} <= zones


def _rules(footprint, tier: str) -> list[dict[str, Any]]:
    nsg = [
        r for r in of_type(footprint.template, "Microsoft.Network/networkSecurityGroups")
        if r["name"].endswith(tier.replace("_", "-"))
    ]  # fmt: skip
    return nsg[0]["properties"]["securityRules"]


def test_nsgs_mirror_the_security_group_matrix(env):
    config, footprint = env
    ports = config.network.ports
    subnets = config.azure.subnets()
    aks = {str(subnets["aks_system"]), str(subnets["aks_user"])}
    db = {r["name"]: r["properties"] for r in _rules(footprint, "postgres")}
    assert db["AllowPostgresFromAks"]["destinationPortRange"] == str(ports.postgres)
    assert set(db["AllowPostgresFromAks"]["sourceAddressPrefixes"]) == aks
    assert db["DenyOtherVnetInbound"]["access"] == "Deny"
    assert db["DenyAllOutbound"]["access"] == "Deny"
    app = {r["name"]: r["properties"] for r in _rules(footprint, "aks_user")}
    assert app["AllowApplicationFromVnet"]["destinationPortRange"] == str(ports.application)
    assert app["AllowMetricsFromVnet"]["destinationPortRanges"] == [
        str(p) for p in ports.scrape_ports()
    ]
    assert app["DenyOtherVnetInbound"]["priority"] > max(
        r["priority"] for n, r in app.items() if n != "DenyOtherVnetInbound"
    )
    pe = {r["name"]: r["properties"] for r in _rules(footprint, "private_endpoints")}
    assert pe["AllowHttpsFromVnet"]["destinationPortRange"] == str(ports.https)
    assert pe["AllowHttpsFromVnet"]["sourceAddressPrefix"] == str(config.azure.vnet_cidr)
    # Nothing is open to the internet but the DR ingress gateway's HTTPS listener.
    for tier in subnets:
        for rule in _rules(footprint, tier):
            p = rule["properties"]
            if p["direction"] == "Inbound" and p["access"] == "Allow":
                public = p.get("sourceAddressPrefix") in ("*", "Internet", "0.0.0.0/0")
                assert not public or (tier, rule["name"], p["destinationPortRange"]) == (
                    "appgw",
                    "AllowHttpsFromInternet",
                    str(ports.https),
                )


def test_vnet_subnets_every_subnet_has_an_nsg(env):
    config, footprint = env
    vnet = one(footprint.template, "Microsoft.Network/virtualNetworks")["properties"]
    assert vnet["addressSpace"]["addressPrefixes"] == [str(config.azure.vnet_cidr)]
    for subnet in vnet["subnets"]:
        if subnet["name"] == "GatewaySubnet":  # Azure supports no NSG on a gateway's subnet
            assert config.link.enabled
            continue
        assert "networkSecurityGroup" in subnet["properties"]
    (pg,) = [s for s in vnet["subnets"] if s["name"] == "postgres"]
    assert pg["properties"]["delegations"][0]["properties"]["serviceName"] == (
        "Microsoft.DBforPostgreSQL/flexibleServers"
    )


def test_sovereign_cloud_uses_its_dns_zones():
    from azure_dr.clouds import CLOUDS

    footprint = build_footprint(
        load_config("production", environ={}), cloud=CLOUDS["AzureUSGovernment"]
    )
    zones = {z["name"] for z in of_type(footprint.template, "Microsoft.Network/privateDnsZones")}
    assert "privatelink.blob.core.usgovcloudapi.net" in zones


# -- bad configuration: one clear line each -------------------------------------------------


def _line(message: str) -> str:
    assert "\n" not in message, message
    return message


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda c: c["azure"].pop("subscription_id"),
            "azure.subscription_id: required key is missing",
        ),
        (
            lambda c: c["azure"].update(subscription_id="not-a-guid"),
            "azure.subscription_id: String should match",
        ),
        (
            lambda c: c["azure"].update(vnet_cidr="10.0.0.0/20", ingress={"enabled": False}),
            "azure.vnet_cidr: 10.0.0.0/20 overlaps regions.us-east-1.vpc_cidr",
        ),
        (
            lambda c: c["azure"].update(location="eastus9"),
            "azure.location: unknown Azure region 'eastus9'",
        ),
        (
            lambda c: c["azure"]["postgres"].update(storage_gb=100),
            "azure.postgres.storage_gb: 100 GiB is not a PostgreSQL Flexible Server disk size",
        ),
        (
            lambda c: c["azure"]["aks"]["user_pools"]["application"].update(
                min_count=9, max_count=3
            ),
            "azure.aks.user_pools.application: min_count 9 exceeds max_count 3",
        ),
        (
            lambda c: c["azure"]["aks"]["system_pool"].update(vm_size="d4s"),
            "azure.aks.system_pool.vm_size: String should match",
        ),
        (
            lambda c: c["azure"]["postgres"].update(tier="Burstable"),
            "azure.postgres: zone_redundant_ha: true needs tier GeneralPurpose",
        ),
        (
            lambda c: c["azure"]["storage"].update(sku="Standard_GZRS"),
            "azure.storage: sku: Standard_GZRS cannot hold Archive-tier blobs",
        ),
        (
            lambda c: c["azure"]["storage"]["lifecycle"].update(archive_after_days=20),
            "azure.storage.lifecycle: cool_after_days (30) < archive_after_days (20)",
        ),
        (
            lambda c: c["azure"].update(
                subnet_masks={
                    "aks_system": 17,
                    "aks_user": 17,
                    "postgres": 27,
                    "private_endpoints": 27,
                }
            ),
            "do not fit vnet_cidr",
        ),
        (
            lambda c: c["azure"]["aks"].update(service_cidr="10.10.0.0/24"),
            "aks.service_cidr: 10.10.0.0/24 overlaps vnet_cidr",
        ),
    ],
)
def test_bad_azure_configuration(tmp_path: Path, mutate, expected: str):
    assert expected in _line(config_error(tmp_path, mutate))


def test_cli_prints_the_config_error_and_exits_1(tmp_path: Path, capsys):
    from azure_dr.cli import main
    from tests.unit.config_helpers import load_mutated

    with pytest.raises(Exception):  # noqa: B017 - load_mutated itself raises ConfigError
        load_mutated(tmp_path, lambda c: c["azure"].update(location="mars"))
    assert main(["template", "--env", "production"], config_dir=tmp_path) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "unknown Azure region 'mars'" in err
