"""The DR ingress in the ARM template: Application Gateway v2 + WAF policy, TLS, Key Vault
certificate, backend and probe, its subnet and NSG, public IP."""

from __future__ import annotations

from pathlib import Path

import pytest

from azure_dr.footprint import build_footprint
from azure_dr.footprint.ingress import TLS_POLICY
from azure_dr.footprint.roles import KEY_VAULT_SECRETS_USER
from infra.config import load_config
from tests.azure_dr.arm_queries import one
from tests.unit.config_helpers import config_error, load_mutated


@pytest.fixture(scope="module")
def production():
    config = load_config("production", environ={})
    return config, build_footprint(config)


def test_waf_policy_runs_the_managed_rule_set_in_prevention(production):
    _, footprint = production
    policy = one(
        footprint.template, "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies"
    )
    settings = policy["properties"]["policySettings"]
    assert settings == {"state": "Enabled", "mode": "Prevention", "requestBodyCheck": True}
    (rules,) = policy["properties"]["managedRules"]["managedRuleSets"]
    assert rules["ruleSetType"] == "Microsoft_DefaultRuleSet"
    gateway = one(footprint.template, "Microsoft.Network/applicationGateways")
    assert gateway["properties"]["firewallPolicy"]["id"].endswith(f"'{policy['name']}')]")
    assert gateway["properties"]["sku"] == {"name": "WAF_v2", "tier": "WAF_v2"}


def test_tls_listener_only_with_a_tls13_capable_policy_and_the_vault_certificate(production):
    config, footprint = production
    p = one(footprint.template, "Microsoft.Network/applicationGateways")["properties"]
    assert p["sslPolicy"] == {"policyType": "Predefined", "policyName": TLS_POLICY}
    assert TLS_POLICY == "AppGwSslPolicy20220101S"
    assert [listener["properties"]["protocol"] for listener in p["httpListeners"]] == ["Https"]
    assert [port["properties"]["port"] for port in p["frontendPorts"]] == [443]
    (cert,) = p["sslCertificates"]
    secret = cert["properties"]["keyVaultSecretId"]
    assert footprint.names.key_vault in secret and "vaultUri" in secret
    assert secret.endswith(f"'secrets/{config.azure.ingress.certificate_secret}')]")
    assert "password" not in str(cert).lower() and "data" not in cert["properties"]


def test_gateway_identity_reads_secrets_of_the_vault_only(production):
    _, footprint = production
    t = footprint.template
    gateway = one(t, "Microsoft.Network/applicationGateways")
    (identity_id,) = gateway["identity"]["userAssignedIdentities"]
    assert footprint.names.app_gateway_identity in identity_id
    reads = [
        r for r in t["resources"]
        if r["type"] == "Microsoft.Authorization/roleAssignments"
        and footprint.names.app_gateway_identity in r["properties"]["principalId"]
    ]  # fmt: skip
    (read,) = reads
    assert KEY_VAULT_SECRETS_USER.definition_id in read["properties"]["roleDefinitionId"]
    assert read["scope"].startswith("[resourceId('Microsoft.KeyVault/vaults'")
    assert any("roleAssignments" in d for d in gateway["dependsOn"])


def test_backend_is_the_aks_ingress_with_a_probe_on_the_health_path(production):
    config, footprint = production
    ingress = config.azure.ingress
    p = one(footprint.template, "Microsoft.Network/applicationGateways")["properties"]
    (pool,) = p["backendAddressPools"]
    assert pool["properties"]["backendAddresses"] == [{"ipAddress": str(ingress.backend_ip)}]
    (probe,) = p["probes"]
    assert probe["properties"]["path"] == ingress.health_path
    assert probe["properties"]["protocol"] == "Https"
    (settings,) = p["backendHttpSettingsCollection"]
    assert settings["properties"]["port"] == config.network.ports.https
    assert settings["properties"]["hostName"] == ingress.backend_host
    assert settings["properties"]["probe"]["id"].endswith("'health')]")
    assert p["autoscaleConfiguration"] == {"minCapacity": 2, "maxCapacity": 10}


def test_public_ip_is_standard_static_and_zone_redundant(production):
    config, footprint = production
    (ip,) = (
        r
        for r in footprint.template["resources"]
        if r["type"] == "Microsoft.Network/publicIPAddresses" and "appgw" in r["name"]
    )
    assert ip["sku"]["name"] == "Standard"
    assert ip["properties"]["publicIPAllocationMethod"] == "Static"
    assert ip["zones"] == list(config.azure.aks.availability_zones)
    outputs = footprint.template["outputs"]
    assert outputs["appGatewayPublicIp"]["value"].endswith(".ipAddress]")


def test_gateway_subnet_and_the_nsg_rules_application_gateway_v2_requires(production):
    config, footprint = production
    subnets = config.azure.subnets()
    nsgs = {r["name"]: r for r in footprint.template["resources"]
            if r["type"] == "Microsoft.Network/networkSecurityGroups"}  # fmt: skip
    rules = {
        r["name"]: r["properties"]
        for r in nsgs[footprint.names.nsg("appgw")]["properties"]["securityRules"]
    }
    assert rules["AllowGatewayManager"]["sourceAddressPrefix"] == "GatewayManager"
    assert rules["AllowGatewayManager"]["destinationPortRange"] == "65200-65535"
    assert rules["AllowAzureLoadBalancer"]["sourceAddressPrefix"] == "AzureLoadBalancer"
    aks = {
        r["name"]: r["properties"]
        for r in nsgs[footprint.names.nsg("aks_user")]["properties"]["securityRules"]
    }
    assert aks["AllowHttpsFromAppGateway"]["sourceAddressPrefix"] == str(subnets["appgw"])
    # Allocated last: the other subnets keep their addresses when the gateway is added.
    assert list(subnets)[-1] == "appgw"


def test_disabled_ingress_adds_nothing(tmp_path: Path):
    def off(c):
        c["azure"]["ingress"] = {"enabled": False}

    footprint = build_footprint(load_mutated(tmp_path, off))
    types = {r["type"] for r in footprint.template["resources"]}
    assert "Microsoft.Network/applicationGateways" not in types
    assert "appGatewayPublicIp" not in footprint.template["outputs"]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda c: c["azure"]["ingress"].pop("backend_ip"), "enabled: true needs backend_ip"),
        (lambda c: c["azure"]["subnet_masks"].pop("appgw"), "needs subnet_masks.appgw"),
        (
            lambda c: c["azure"]["ingress"].update(backend_ip="10.10.9.5"),
            "ingress.backend_ip: 10.10.9.5 is not in the aks_user subnet",
        ),
        (
            lambda c: c["azure"]["ingress"].update(enabled=False),
            "public_ip is set while enabled is false",
        ),
        (lambda c: c["azure"]["ingress"].update(waf_mode="Off"), "waf_mode"),
        (
            lambda c: c["azure"]["aks"]["user_pools"]["application"].update(failover_min_count=30),
            "failover_min_count 30 must lie between min_count 2 and max_count 20",
        ),
    ],
)
def test_bad_ingress_configuration(tmp_path: Path, mutate, expected: str):
    message = config_error(tmp_path, mutate)
    assert expected in message and "\n" not in message.strip()
