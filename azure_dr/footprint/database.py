"""PostgreSQL Flexible Server: private access only (delegated subnet), TLS 1.2+ enforced."""

from __future__ import annotations

from typing import Any

from azure_dr.footprint.arm import diagnostics, resource, resource_id
from azure_dr.footprint.names import AzureNames
from azure_dr.footprint.network import subnet_id
from infra.config.azure import PostgresConfig

SERVER_TYPE = "Microsoft.DBforPostgreSQL/flexibleServers"
PASSWORD_PARAMETER = "postgresAdminPassword"


def postgres(
    names: AzureNames,
    pg: PostgresConfig,
    *,
    location: str,
    tags: dict[str, str],
    dns_zone: str,
    zones: list[str],
) -> list[dict[str, Any]]:
    server_id = resource_id(SERVER_TYPE, names.postgres)
    zone_id = resource_id("Microsoft.Network/privateDnsZones", dns_zone)
    properties: dict[str, Any] = {
        "version": pg.major_version,
        "administratorLogin": pg.admin_login,
        # A secure parameter: ARM never returns or logs it, and it is not in the template.
        "administratorLoginPassword": f"[parameters('{PASSWORD_PARAMETER}')]",
        "authConfig": {"activeDirectoryAuth": "Enabled", "passwordAuth": "Enabled"},
        "storage": {"storageSizeGB": pg.storage_gb, "autoGrow": "Enabled"},
        "backup": {
            "backupRetentionDays": pg.backup_retention_days,
            "geoRedundantBackup": "Enabled" if pg.geo_redundant_backup else "Disabled",
        },
        "highAvailability": {"mode": "ZoneRedundant" if pg.zone_redundant_ha else "Disabled"},
        "network": {
            "delegatedSubnetResourceId": subnet_id(names, "postgres"),
            "privateDnsZoneArmResourceId": zone_id,
            "publicNetworkAccess": "Disabled",
        },
    }
    if zones:
        properties["availabilityZone"] = zones[0]
        if pg.zone_redundant_ha and len(zones) > 1:
            properties["highAvailability"]["standbyAvailabilityZone"] = zones[1]
    config_type = f"{SERVER_TYPE}/configurations"
    tls = [
        resource(config_type, f"{names.postgres}/{setting}",
                 {"value": value, "source": "user-override"}, depends_on=[server_id])
        for setting, value in (
            ("require_secure_transport", "ON"),
            ("ssl_min_protocol_version", "TLSv1.2"),
        )
    ]  # fmt: skip
    # Azure applies server parameters one at a time: chain them.
    tls[1]["dependsOn"].append(resource_id(config_type, names.postgres, "require_secure_transport"))
    return [
        resource(
            SERVER_TYPE,
            names.postgres,
            properties,
            location=location,
            tags=tags,
            sku={"name": pg.sku_name, "tier": pg.tier},
            depends_on=[
                resource_id("Microsoft.Network/virtualNetworks", names.vnet),
                resource_id(
                    "Microsoft.Network/privateDnsZones/virtualNetworkLinks", dns_zone, names.vnet
                ),
            ],
        ),
        *tls,
        resource(
            f"{SERVER_TYPE}/databases",
            f"{names.postgres}/{pg.database_name}",
            {"charset": "UTF8", "collation": "en_US.utf8"},
            depends_on=[
                server_id,
                resource_id(config_type, names.postgres, "ssl_min_protocol_version"),
            ],
        ),
        diagnostics(SERVER_TYPE, names.postgres,
                    resource_id("Microsoft.OperationalInsights/workspaces", names.workspace)),
    ]  # fmt: skip
