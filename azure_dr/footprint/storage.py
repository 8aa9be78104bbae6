"""Storage account mirroring the S3 buckets, Key Vault, and their private endpoints."""

from __future__ import annotations

import ipaddress
from typing import Any

from azure_dr.footprint.arm import diagnostics, resource, resource_id
from azure_dr.footprint.names import AzureNames
from azure_dr.footprint.network import subnet_id
from azure_dr.footprint.roles import KEY_VAULT_SECRETS_OFFICER, role_assignment
from infra.config.azure import KeyVaultConfig, StorageConfig

ACCOUNT_TYPE = "Microsoft.Storage/storageAccounts"
VAULT_TYPE = "Microsoft.KeyVault/vaults"
LOCKED_NETWORK = {"defaultAction": "Deny", "bypass": "AzureServices", "ipRules": []}


def ip_rules(ranges: list[ipaddress.IPv4Network]) -> list[dict[str, str]]:
    """Storage firewall IP rules. Azure takes IPv4 addresses or CIDR ranges, but not /31 or
    /32 prefixes: those become single addresses."""
    rules: list[dict[str, str]] = []
    for net in sorted(set(ranges)):
        values = [str(a) for a in net] if net.prefixlen >= 31 else [str(net)]
        rules += [{"value": v, "action": "Allow"} for v in values]
    return rules


def account_network(allowed: list[ipaddress.IPv4Network]) -> dict[str, Any]:
    """Deny by default; public network access only when addresses are admitted (the NAT Elastic
    IPs of the replication region), else private endpoints only."""
    return {
        "publicNetworkAccess": "Enabled" if allowed else "Disabled",
        "networkAcls": {**LOCKED_NETWORK, "ipRules": ip_rules(allowed)},
    }


def storage_account(
    names: AzureNames,
    storage: StorageConfig,
    *,
    location: str,
    tags: dict[str, str],
    allowed: list[ipaddress.IPv4Network] | None = None,
) -> list[dict[str, Any]]:
    """``allowed``: the admitted addresses (default ``storage.allowed_ip_ranges``)."""
    account = names.storage_account
    account_id = resource_id(ACCOUNT_TYPE, account)
    blob_id = resource_id(f"{ACCOUNT_TYPE}/blobServices", account, "default")
    lc = storage.lifecycle
    retention = {"enabled": True, "days": storage.soft_delete_days}
    tiering = {
        "baseBlob": {
            "tierToCool": {"daysAfterModificationGreaterThan": lc.cool_after_days},
            "tierToArchive": {"daysAfterModificationGreaterThan": lc.archive_after_days},
            "delete": {"daysAfterModificationGreaterThan": lc.delete_after_days},
        },
        "version": {
            "tierToCool": {"daysAfterCreationGreaterThan": lc.cool_after_days},
            "tierToArchive": {"daysAfterCreationGreaterThan": lc.archive_after_days},
            "delete": {"daysAfterCreationGreaterThan": lc.delete_after_days},
        },
    }
    return [
        resource(
            ACCOUNT_TYPE,
            account,
            {
                "accessTier": "Hot",
                "allowBlobPublicAccess": False,
                "allowSharedKeyAccess": False,
                "defaultToOAuthAuthentication": True,
                "allowCrossTenantReplication": False,
                "minimumTlsVersion": "TLS1_2",
                "supportsHttpsTrafficOnly": True,
                **account_network(storage.allowed_ip_ranges if allowed is None else allowed),
                "encryption": {
                    "keySource": "Microsoft.Storage",
                    "requireInfrastructureEncryption": True,
                    "services": {"blob": {"enabled": True}, "file": {"enabled": True}},
                },
            },
            location=location,
            tags=tags,
            kind="StorageV2",
            sku={"name": storage.sku},
        ),
        resource(
            f"{ACCOUNT_TYPE}/blobServices",
            f"{account}/default",
            {
                "isVersioningEnabled": True,
                "deleteRetentionPolicy": retention,
                "containerDeleteRetentionPolicy": retention,
            },
            depends_on=[account_id],
        ),
        *(
            resource(
                f"{ACCOUNT_TYPE}/blobServices/containers",
                f"{account}/default/{container}",
                {"publicAccess": "None"},
                depends_on=[blob_id],
            )
            for container in storage.containers
        ),
        resource(
            f"{ACCOUNT_TYPE}/managementPolicies",
            f"{account}/default",
            {
                "policy": {
                    "rules": [
                        {
                            "name": "mirror-s3-lifecycle",
                            "enabled": True,
                            "type": "Lifecycle",
                            "definition": {
                                # The mirror containers only: other containers (the cluster
                                # baseline) must never reach Archive or be deleted.
                                "filters": {
                                    "blobTypes": ["blockBlob"],
                                    "prefixMatch": [f"{c}/" for c in storage.containers],
                                },
                                "actions": tiering,
                            },
                        }
                    ]
                }
            },
            depends_on=[account_id],
        ),
    ]


def key_vault(
    names: AzureNames, kv: KeyVaultConfig, *, location: str, tags: dict[str, str]
) -> list[dict[str, Any]]:
    workspace_id = resource_id("Microsoft.OperationalInsights/workspaces", names.workspace)
    return [
        key_vault_resource(names, kv, location=location, tags=tags),
        *secrets_officers(names, kv),
        diagnostics(VAULT_TYPE, names.key_vault, workspace_id),
    ]


def key_vault_resource(
    names: AzureNames, kv: KeyVaultConfig, *, location: str, tags: dict[str, str]
) -> dict[str, Any]:
    """The vault alone: also what ``sync`` deploys first when it does not exist yet, so that
    the secrets the main deployment references can be written before it runs."""
    return resource(
        VAULT_TYPE,
        names.key_vault,
        {
            "tenantId": "[subscription().tenantId]",
            "sku": {"family": "A", "name": kv.sku},
            "enableRbacAuthorization": True,
            "enableSoftDelete": True,
            "softDeleteRetentionInDays": kv.soft_delete_days,
            "enablePurgeProtection": True,
            # ARM resolves the Key Vault reference parameters (the PostgreSQL admin password,
            # the VPN pre-shared keys) from this vault: a control-plane path that the vault's
            # firewall does not filter.
            "enabledForTemplateDeployment": True,
            # The data plane: private endpoint only, unless operators' addresses are admitted
            # (``azure_dr sync`` writes secrets from where it runs).
            **_vault_network(kv.allowed_ip_ranges),
        },
        location=location,
        tags=tags,
    )


def _vault_network(allowed: list[ipaddress.IPv4Network]) -> dict[str, Any]:
    # Key Vault takes an address or a CIDR range ("124.56.78.91", "124.56.78.0/24").
    rules = [
        {"value": str(net.network_address) if net.prefixlen == 32 else str(net)}
        for net in sorted(set(allowed))
    ]
    return {
        "publicNetworkAccess": "Enabled" if rules else "Disabled",
        "networkAcls": {**LOCKED_NETWORK, "ipRules": rules},
    }


def secrets_officers(names: AzureNames, kv: KeyVaultConfig) -> list[dict[str, Any]]:
    """Key Vault Secrets Officer on this vault for the groups that run ``azure_dr``."""
    vault_id = resource_id(VAULT_TYPE, names.key_vault)
    return [
        role_assignment(
            KEY_VAULT_SECRETS_OFFICER,
            scope=vault_id,
            principal_id=group,
            principal_type="Group",
            principal_key=f"'{group}'",
            depends_on=[vault_id],
        )
        for group in kv.secrets_officer_group_ids
    ]


def private_endpoint(
    names: AzureNames,
    *,
    target: str,
    target_id: str,
    group_id: str,
    dns_zone: str,
    location: str,
    tags: dict[str, str],
) -> list[dict[str, Any]]:
    endpoint = names.private_endpoint(target)
    endpoint_id = resource_id("Microsoft.Network/privateEndpoints", endpoint)
    zone_id = resource_id("Microsoft.Network/privateDnsZones", dns_zone)
    return [
        resource(
            "Microsoft.Network/privateEndpoints",
            endpoint,
            {
                "subnet": {"id": subnet_id(names, "private_endpoints")},
                "privateLinkServiceConnections": [
                    {
                        "name": endpoint,
                        "properties": {"privateLinkServiceId": target_id, "groupIds": [group_id]},
                    }
                ],
            },
            location=location,
            tags=tags,
            depends_on=[target_id, resource_id("Microsoft.Network/virtualNetworks", names.vnet)],
        ),
        resource(
            "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
            f"{endpoint}/default",
            {
                "privateDnsZoneConfigs": [
                    {
                        "name": dns_zone.replace(".", "-"),
                        "properties": {"privateDnsZoneId": zone_id},
                    }
                ]
            },
            depends_on=[endpoint_id, zone_id],
        ),
    ]
