"""VNet, one NSG per subnet mirroring the AWS security-group matrix, private DNS zones.

Mapping of the AWS matrix (docs/tiers.md, "Network tier") onto the Azure subnets:
- aks_system, aks_user = app_tier: application port and scrape ports from the VNet (the web tier
  and monitoring live there), the cluster's own traffic, Azure load balancer probes; every other
  VNet source denied. Outbound stays at Azure's defaults: AKS needs its documented egress set.
- postgres = db_tier: PostgreSQL port from the AKS subnets only (pods leave the overlay through
  their node's address) and within the subnet (HA replication); outbound only to Azure Storage
  (WAL and backups) and Entra ID, everything else denied.
- private_endpoints = endpoints: HTTPS from the VNet CIDR; no outbound.
Azure has no cache or bastion tier here (no Redis in the DR design; no SSH anywhere).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from azure_dr.footprint.arm import resource, resource_id
from azure_dr.footprint.names import AzureNames

DENY_PRIORITY = 4000
POSTGRES_DELEGATION = "Microsoft.DBforPostgreSQL/flexibleServers"


def _rule(
    name: str,
    priority: int,
    direction: str,
    *,
    access: str = "Allow",
    protocol: str = "Tcp",
    source: str | list[str] = "*",
    destination: str | list[str] = "*",
    port: int | str | list[int] = "*",
) -> dict[str, Any]:
    props: dict[str, Any] = {
        "priority": priority,
        "direction": direction,
        "access": access,
        "protocol": protocol,
        "sourcePortRange": "*",
    }
    if isinstance(port, list):  # the same scrape ports as the AWS matrix, in one rule
        props["destinationPortRanges"] = [str(p) for p in port]
    else:
        props["destinationPortRange"] = str(port)
    for key, value in (("source", source), ("destination", destination)):
        if isinstance(value, list):
            props[f"{key}AddressPrefixes"] = value
        else:
            props[f"{key}AddressPrefix"] = value
    return {"name": name, "properties": props}


def nsg_rules(
    *,
    subnets: dict[str, ipaddress.IPv4Network],
    vnet_cidr: ipaddress.IPv4Network,
    pod_cidr: ipaddress.IPv4Network,
    https_port: int,
    application_port: int,
    scrape_ports: tuple[int, ...],
    postgres_port: int,
    aws_postgres_targets: list[str] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Security rules of each subnet's NSG. ``aws_postgres_targets`` (the linked VPCs, when
    continuous replication is on) lets the PostgreSQL server reach RDS over the VPN; the AKS
    subnets keep Azure's default outbound, so the AWS side alone decides what they reach there."""
    aks = [str(subnets["aks_system"]), str(subnets["aks_user"])]
    postgres = str(subnets["postgres"])
    deny_vnet_in = _rule(
        "DenyOtherVnetInbound",
        DENY_PRIORITY,
        "Inbound",
        access="Deny",
        protocol="*",
        source="VirtualNetwork",
    )
    app_tier = [
        _rule("AllowApplicationFromVnet", 100, "Inbound", source="VirtualNetwork",
              port=application_port),
        _rule("AllowMetricsFromVnet", 110, "Inbound", source="VirtualNetwork",
              port=list(scrape_ports)),
        _rule("AllowClusterInternal", 120, "Inbound", protocol="*",
              source=[*aks, str(pod_cidr)]),
        _rule("AllowAzureLoadBalancer", 130, "Inbound", protocol="*", source="AzureLoadBalancer"),
        deny_vnet_in,
    ]  # fmt: skip
    db_tier = [
        _rule("AllowPostgresFromAks", 100, "Inbound", source=aks, port=postgres_port),
        _rule("AllowPostgresWithinSubnet", 110, "Inbound", source=postgres, port=postgres_port),
        deny_vnet_in,
        _rule("AllowStorageOutbound", 100, "Outbound", destination="Storage", port=https_port),
        _rule("AllowEntraIdOutbound", 110, "Outbound", destination="AzureActiveDirectory",
              port=https_port),
        _rule("AllowPostgresWithinSubnetOutbound", 120, "Outbound", destination=postgres,
              port=postgres_port),
        *([_rule("AllowPostgresToAwsOutbound", 130, "Outbound",
                 destination=list(aws_postgres_targets), port=postgres_port)]
          if aws_postgres_targets else []),
        _rule("DenyAllOutbound", DENY_PRIORITY, "Outbound", access="Deny", protocol="*"),
    ]  # fmt: skip
    endpoints = [
        _rule("AllowHttpsFromVnet", 100, "Inbound", source=str(vnet_cidr), port=https_port),
        deny_vnet_in,
        _rule("DenyAllOutbound", DENY_PRIORITY, "Outbound", access="Deny", protocol="*"),
    ]
    rules = {
        "aks_system": app_tier,
        "aks_user": app_tier,
        "postgres": db_tier,
        "private_endpoints": endpoints,
    }
    if "appgw" in subnets:
        # The gateway reaches the AKS ingress load balancer over HTTPS (user pools only).
        rules["aks_user"] = [
            *app_tier[:-1],
            _rule("AllowHttpsFromAppGateway", 140, "Inbound", source=str(subnets["appgw"]),
                  port=https_port),
            deny_vnet_in,
        ]  # fmt: skip
        # What Application Gateway v2 requires: GatewayManager on 65200-65535 (infrastructure
        # health) and the Azure load balancer; plus HTTPS from the internet, nothing else.
        rules["appgw"] = [
            _rule("AllowGatewayManager", 100, "Inbound", source="GatewayManager",
                  port="65200-65535"),
            _rule("AllowAzureLoadBalancer", 110, "Inbound", protocol="*",
                  source="AzureLoadBalancer"),
            _rule("AllowHttpsFromInternet", 120, "Inbound", source="Internet", port=https_port),
        ]  # fmt: skip
    return rules


def network_resources(
    names: AzureNames,
    *,
    location: str,
    tags: dict[str, str],
    vnet_cidr: ipaddress.IPv4Network,
    subnets: dict[str, ipaddress.IPv4Network],
    rules: dict[str, list[dict[str, Any]]],
    private_dns_zones: list[str],
    gateway_subnet: ipaddress.IPv4Network | None = None,
) -> list[dict[str, Any]]:
    nsg_type = "Microsoft.Network/networkSecurityGroups"
    resources = [
        resource(nsg_type, names.nsg(tier), {"securityRules": rules[tier]},
                 location=location, tags=tags)
        for tier in subnets
    ]  # fmt: skip
    subnet_bodies = []
    for tier, cidr in subnets.items():
        props: dict[str, Any] = {
            "addressPrefix": str(cidr),
            "networkSecurityGroup": {"id": resource_id(nsg_type, names.nsg(tier))},
        }
        if tier == "postgres":
            props["delegations"] = [
                {"name": "postgres", "properties": {"serviceName": POSTGRES_DELEGATION}}
            ]
        if tier in ("postgres", "private_endpoints"):
            # No implicit internet egress; NSG rules apply to private endpoints too.
            props["defaultOutboundAccess"] = False
        if tier == "private_endpoints":
            props["privateEndpointNetworkPolicies"] = "Enabled"
        subnet_bodies.append({"name": names.subnet(tier), "properties": props})
    if gateway_subnet is not None:
        # The VPN gateway's subnet: named GatewaySubnet, and Azure supports no NSG on it.
        subnet_bodies.append(
            {"name": "GatewaySubnet", "properties": {"addressPrefix": str(gateway_subnet)}}
        )
    resources.append(
        resource(
            "Microsoft.Network/virtualNetworks",
            names.vnet,
            {"addressSpace": {"addressPrefixes": [str(vnet_cidr)]}, "subnets": subnet_bodies},
            location=location,
            tags=tags,
            depends_on=[resource_id(nsg_type, names.nsg(tier)) for tier in subnets],
        )
    )
    vnet_id = resource_id("Microsoft.Network/virtualNetworks", names.vnet)
    zone_type = "Microsoft.Network/privateDnsZones"
    for zone in private_dns_zones:
        resources.append(resource(zone_type, zone, {}, location="global", tags=tags))
        resources.append(
            resource(
                "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
                f"{zone}/{names.vnet}",
                {"registrationEnabled": False, "virtualNetwork": {"id": vnet_id}},
                location="global",
                tags=tags,
                depends_on=[resource_id(zone_type, zone), vnet_id],
            )
        )
    return resources


def subnet_id(names: AzureNames, tier: str) -> str:
    return resource_id("Microsoft.Network/virtualNetworks/subnets", names.vnet, names.subnet(tier))
