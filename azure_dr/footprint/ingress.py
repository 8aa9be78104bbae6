"""DR ingress: Application Gateway v2 with a WAF policy in front of the AKS ingress controller.

- WAF policy: Microsoft's Default Rule Set (the OWASP CRS-based managed set) in prevention mode
  (config ``azure.ingress.waf_mode``), request body inspection on.
- TLS: predefined policy AppGwSslPolicy20220101S (minimum TLS 1.2, TLS 1.3 on; v2 SKUs only),
  HTTPS listener only (no port 80), the certificate read from the footprint's Key Vault by the
  gateway's user-assigned identity (Key Vault Secrets User on that vault only).
- Backend: the private IP of the AKS ingress controller's internal load balancer (config
  ``azure.ingress.backend_ip``), over HTTPS with the application's host name; a custom probe on
  ``azure.ingress.health_path``. Chosen over the AGIC add-on: the gateway stays a plain ARM
  resource this tool plans and syncs, and nothing inside the cluster writes to it.
- Public IP: Standard, static, in the cluster's zones (zone-redundant).
Route 53's Azure-level health check requests the same port and path (tests/contract/).
"""

from __future__ import annotations

from typing import Any

from azure_dr.footprint.arm import diagnostics, resource, resource_id
from azure_dr.footprint.identity import IDENTITY_TYPE
from azure_dr.footprint.names import AzureNames
from azure_dr.footprint.network import subnet_id
from azure_dr.footprint.roles import (
    KEY_VAULT_SECRETS_USER,
    ROLE_ASSIGNMENT_TYPE,
    inner,
    role_assignment,
)
from infra.config.azure import IngressConfig

GATEWAY_TYPE = "Microsoft.Network/applicationGateways"
WAF_POLICY_TYPE = "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies"
PUBLIC_IP_TYPE = "Microsoft.Network/publicIPAddresses"
# Verified in "Application Gateway TLS policy overview" (learn.microsoft.com/azure/
# application-gateway/application-gateway-ssl-policy-overview): 20220101S = minimum TLS 1.2,
# TLS 1.2 and 1.3 enabled, the stricter cipher list.
TLS_POLICY = "AppGwSslPolicy20220101S"
MANAGED_RULE_SET = ("Microsoft_DefaultRuleSet", "2.1")
PROBE_INTERVAL_SECONDS = 30
PROBE_TIMEOUT_SECONDS = 30
PROBE_UNHEALTHY_THRESHOLD = 3


def _child(kind: str, gateway: str, name: str) -> dict[str, str]:
    return {"id": resource_id(f"{GATEWAY_TYPE}/{kind}", gateway, name)}


def ingress(
    names: AzureNames,
    config: IngressConfig,
    *,
    vault_id: str,
    workspace_id: str,
    https_port: int,
    zones: list[str],
    location: str,
    tags: dict[str, str],
) -> list[dict[str, Any]]:
    gw = names.app_gateway
    identity_id = resource_id(IDENTITY_TYPE, names.app_gateway_identity)
    ip_id = resource_id(PUBLIC_IP_TYPE, names.app_gateway_ip)
    policy_id = resource_id(WAF_POLICY_TYPE, names.waf_policy)
    secret = config.certificate_secret
    secret_id = f"[concat(reference({inner(vault_id)}).vaultUri, 'secrets/{secret}')]"
    zoned = {"zones": zones} if zones else {}
    rule_type, rule_version = MANAGED_RULE_SET
    read_certificate = role_assignment(
        KEY_VAULT_SECRETS_USER,
        scope=vault_id,
        principal_id=f"[reference({inner(identity_id)}).principalId]",
        principal_type="ServicePrincipal",
        principal_key=inner(identity_id),
        depends_on=[identity_id, vault_id],
    )
    gateway_properties: dict[str, Any] = {
        "sku": {"name": "WAF_v2", "tier": "WAF_v2"},
        "autoscaleConfiguration": {
            "minCapacity": config.autoscale.min_capacity,
            "maxCapacity": config.autoscale.max_capacity,
        },
        "sslPolicy": {"policyType": "Predefined", "policyName": TLS_POLICY},
        "firewallPolicy": {"id": policy_id},
        "enableHttp2": True,
        "gatewayIPConfigurations": [
            {"name": "gateway", "properties": {"subnet": {"id": subnet_id(names, "appgw")}}}
        ],
        "frontendIPConfigurations": [
            {"name": "public", "properties": {"publicIPAddress": {"id": ip_id}}}
        ],
        "frontendPorts": [{"name": "https", "properties": {"port": https_port}}],
        "sslCertificates": [{"name": "application", "properties": {"keyVaultSecretId": secret_id}}],
        "httpListeners": [
            {
                "name": "https",
                "properties": {
                    "frontendIPConfiguration": _child("frontendIPConfigurations", gw, "public"),
                    "frontendPort": _child("frontendPorts", gw, "https"),
                    "protocol": "Https",
                    "sslCertificate": _child("sslCertificates", gw, "application"),
                    "requireServerNameIndication": False,
                },
            }
        ],
        "backendAddressPools": [
            {
                "name": "aks-ingress",
                "properties": {"backendAddresses": [{"ipAddress": str(config.backend_ip)}]},
            }
        ],
        "probes": [
            {
                "name": "health",
                "properties": {
                    "protocol": "Https",
                    "path": config.health_path,
                    "interval": PROBE_INTERVAL_SECONDS,
                    "timeout": PROBE_TIMEOUT_SECONDS,
                    "unhealthyThreshold": PROBE_UNHEALTHY_THRESHOLD,
                    "pickHostNameFromBackendHttpSettings": True,
                    "match": {"statusCodes": ["200-399"]},
                },
            }
        ],
        "backendHttpSettingsCollection": [
            {
                "name": "aks-ingress-https",
                "properties": {
                    "port": https_port,
                    "protocol": "Https",
                    "hostName": config.backend_host,
                    "pickHostNameFromBackendAddress": False,
                    "requestTimeout": 60,
                    "cookieBasedAffinity": "Disabled",
                    "probe": _child("probes", gw, "health"),
                },
            }
        ],
        "requestRoutingRules": [
            {
                "name": "https-to-aks",
                "properties": {
                    "ruleType": "Basic",
                    "priority": 100,
                    "httpListener": _child("httpListeners", gw, "https"),
                    "backendAddressPool": _child("backendAddressPools", gw, "aks-ingress"),
                    "backendHttpSettings": _child(
                        "backendHttpSettingsCollection", gw, "aks-ingress-https"
                    ),
                },
            }
        ],
    }
    return [
        resource(IDENTITY_TYPE, names.app_gateway_identity, {}, location=location, tags=tags),
        read_certificate,
        resource(
            PUBLIC_IP_TYPE,
            names.app_gateway_ip,
            {
                "publicIPAllocationMethod": "Static",
                "publicIPAddressVersion": "IPv4",
                "dnsSettings": {"domainNameLabel": names.app_gateway_dns_label},
            },
            sku={"name": "Standard", "tier": "Regional"},
            location=location,
            tags=tags,
            **zoned,
        ),
        resource(
            WAF_POLICY_TYPE,
            names.waf_policy,
            {
                "policySettings": {
                    "state": "Enabled",
                    "mode": config.waf_mode,
                    "requestBodyCheck": True,
                },
                "managedRules": {
                    "managedRuleSets": [{"ruleSetType": rule_type, "ruleSetVersion": rule_version}]
                },
            },
            location=location,
            tags=tags,
        ),
        resource(
            GATEWAY_TYPE,
            gw,
            gateway_properties,
            location=location,
            tags=tags,
            identity={"type": "UserAssigned", "userAssignedIdentities": {identity_id: {}}},
            depends_on=[
                ip_id,
                policy_id,
                identity_id,
                resource_id("Microsoft.Network/virtualNetworks", names.vnet),
                vault_id,
                # The gateway reads the certificate when it is created: the role comes first.
                f"[extensionResourceId({inner(vault_id)}, "
                f"'{ROLE_ASSIGNMENT_TYPE}', {inner(read_certificate['name'])})]",
            ],
            **zoned,
        ),
        diagnostics(GATEWAY_TYPE, gw, workspace_id),
    ]


def ingress_outputs(names: AzureNames) -> dict[str, Any]:
    ref = f"reference({inner(resource_id(PUBLIC_IP_TYPE, names.app_gateway_ip))})"
    return {
        "appGatewayPublicIp": {"type": "string", "value": f"[{ref}.ipAddress]"},
        "appGatewayFqdn": {"type": "string", "value": f"[{ref}.dnsSettings.fqdn]"},
    }
