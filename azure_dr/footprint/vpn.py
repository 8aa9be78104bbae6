"""The Azure end of the cross-cloud link (infra/config/link.py): a zone-redundant, active-active
VPN gateway with BGP in the VNet's GatewaySubnet, its two public addresses, and, once the AWS
tunnels' outside addresses are known (phase 2), one local network gateway and one IKEv2
connection per AWS tunnel; an action group and metric alerts on the gateway's BGP peers.

Mapping onto the AWS side: each linked region has two VPN connections, one to each gateway
instance's public address, with two tunnels each. Tunnel ``t`` of connection ``c`` terminates on
gateway instance ``c``; its /30 inside CIDR gives AWS the first address and the Azure instance
the second (a custom APIPA BGP address). An Azure connection is made from both instances; the one
that is not the AWS customer gateway never comes up (AWS accepts a tunnel from its customer
gateway's address only), which is why the alert looks at each peer's best instance.

Pre-shared keys are never template values: each connection's ``sharedKey`` is a secure parameter
that ``azure_dr`` passes as a Key Vault reference, which ARM resolves itself; ``sync`` copies
each key from Secrets Manager into that secret first (``azure_dr/sync_secrets.py``).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from azure_dr.footprint.arm import resource, resource_id
from azure_dr.footprint.names import AzureNames
from infra.config.link import TUNNEL_POLICY, LinkConfig, tunnel_addresses

GATEWAY_TYPE = "Microsoft.Network/virtualNetworkGateways"
IP_TYPE = "Microsoft.Network/publicIPAddresses"
LNG_TYPE = "Microsoft.Network/localNetworkGateways"
CONNECTION_TYPE = "Microsoft.Network/connections"
GATEWAY_SUBNET = "GatewaySubnet"  # the only name Azure accepts for a gateway's subnet
INSTANCES = ("instance0", "instance1")
# Azure's names for the suite AWS offers (infra/config/link.py, TUNNEL_POLICY).
AZURE_SUITE = {"AES256": "AES256", "SHA2-256": "SHA256", 14: "DHGroup14"}
AZURE_PFS = {14: "PFS2048"}


@dataclass(frozen=True)
class Tunnel:
    """One AWS tunnel as the Azure side sees it."""

    region: str
    connection: int  # 1 or 2: also the Azure instance (connection - 1) it terminates on
    tunnel: int  # 1 or 2
    inside_cidr: ipaddress.IPv4Network
    outside_address: str | None  # the AWS endpoint; None until phase 2 reads it

    @property
    def key(self) -> str:
        return f"{self.region}-azure-{self.connection}-tunnel-{self.tunnel}"

    @property
    def aws_bgp_address(self) -> str:
        return tunnel_addresses(self.inside_cidr)[0]

    @property
    def azure_bgp_address(self) -> str:
        return tunnel_addresses(self.inside_cidr)[1]

    @property
    def parameter(self) -> str:
        """ARM parameter of the tunnel's pre-shared key."""
        return "vpnKey" + "".join(p.capitalize() for p in self.key.split("-"))

    @property
    def secret_name(self) -> str:
        """Key Vault secret holding the key (``sync`` copies it from Secrets Manager,
        ``Names.link_tunnel_secret``)."""
        return f"link-{self.key}"


def tunnels(link: LinkConfig, outside: dict[str, list[str]]) -> list[Tunnel]:
    """Every AWS tunnel of every linked region, in connection then tunnel order."""
    found = []
    for region, cidrs in link.tunnel_inside_cidrs.items():
        addresses = outside.get(region)
        for index, cidr in enumerate(cidrs):
            found.append(
                Tunnel(
                    region=region,
                    connection=index // 2 + 1,
                    tunnel=index % 2 + 1,
                    inside_cidr=cidr,
                    outside_address=addresses[index] if addresses else None,
                )
            )
    return found


def vpn_resources(
    names: AzureNames,
    link: LinkConfig,
    *,
    tunnel_list: list[Tunnel],
    location: str,
    zones: list[str],
    tags: dict[str, str],
) -> list[dict[str, Any]]:
    gateway = names.vpn_gateway
    gateway_id = resource_id(GATEWAY_TYPE, gateway)
    subnet_id = resource_id("Microsoft.Network/virtualNetworks/subnets", names.vnet, GATEWAY_SUBNET)
    ips = [
        resource(
            IP_TYPE,
            names.vpn_public_ip(i),
            {"publicIPAllocationMethod": "Static", "publicIPAddressVersion": "IPv4"},
            location=location,
            tags=tags,
            sku={"name": "Standard", "tier": "Regional"},
            **({"zones": zones} if zones else {}),
        )
        for i in range(len(INSTANCES))
    ]
    ip_configurations = [
        {
            "name": instance,
            "properties": {
                "privateIPAllocationMethod": "Dynamic",
                "subnet": {"id": subnet_id},
                "publicIPAddress": {"id": resource_id(IP_TYPE, names.vpn_public_ip(i))},
            },
        }
        for i, instance in enumerate(INSTANCES)
    ]

    def ip_configuration_id(i: int) -> str:
        gateway_expression = resource_id(GATEWAY_TYPE, gateway)[1:-1]
        return f"[concat({gateway_expression}, '/ipConfigurations/{INSTANCES[i]}')]"

    peering = [
        {
            "ipconfigurationId": ip_configuration_id(i),
            "customBgpIpAddresses": [
                t.azure_bgp_address for t in tunnel_list if t.connection - 1 == i
            ],
        }
        for i in range(len(INSTANCES))
    ]
    resources: list[dict[str, Any]] = [
        *ips,
        resource(
            GATEWAY_TYPE,
            gateway,
            {
                "gatewayType": "Vpn",
                "vpnType": "RouteBased",
                "vpnGatewayGeneration": "Generation2",
                "sku": {"name": link.azure_gateway_sku, "tier": link.azure_gateway_sku},
                "activeActive": True,
                "enableBgp": True,
                "bgpSettings": {"asn": link.azure_asn, "bgpPeeringAddresses": peering},
                "ipConfigurations": ip_configurations,
            },
            location=location,
            tags=tags,
            depends_on=[
                resource_id("Microsoft.Network/virtualNetworks", names.vnet),
                *(resource_id(IP_TYPE, names.vpn_public_ip(i)) for i in range(len(INSTANCES))),
            ],
        ),
    ]
    policy = TUNNEL_POLICY
    ipsec_policy = {
        "ikeEncryption": AZURE_SUITE[policy.phase1_encryption],
        "ikeIntegrity": AZURE_SUITE[policy.phase1_integrity],
        "dhGroup": AZURE_SUITE[policy.phase1_dh_group],
        "ipsecEncryption": AZURE_SUITE[policy.phase2_encryption],
        "ipsecIntegrity": AZURE_SUITE[policy.phase2_integrity],
        "pfsGroup": AZURE_PFS[policy.phase2_dh_group],
        "saLifeTimeSeconds": policy.phase2_lifetime_seconds,
        "saDataSizeKilobytes": 102400000,
    }
    for t in tunnel_list:
        if t.outside_address is None:
            continue  # phase 1: the AWS tunnel has no address yet
        lng = names.local_network_gateway(t.key)
        resources.append(
            resource(
                LNG_TYPE,
                lng,
                {
                    "gatewayIpAddress": t.outside_address,
                    # BGP only: the peer's /32 is all Azure needs to reach it; routes come by BGP.
                    "localNetworkAddressSpace": {"addressPrefixes": []},
                    "bgpSettings": {"asn": link.aws_asn, "bgpPeeringAddress": t.aws_bgp_address},
                },
                location=location,
                tags=tags,
            )
        )
        paired = next(
            o for o in tunnel_list
            if o.region == t.region and o.tunnel == t.tunnel and o.connection != t.connection
        )  # fmt: skip
        custom = {
            t.connection - 1: t.azure_bgp_address,
            paired.connection - 1: paired.azure_bgp_address,
        }
        resources.append(
            resource(
                CONNECTION_TYPE,
                names.vpn_connection(t.key),
                {
                    "connectionType": "IPsec",
                    "connectionProtocol": "IKEv2",
                    "enableBgp": True,
                    "virtualNetworkGateway1": {"id": gateway_id, "properties": {}},
                    "localNetworkGateway2": {"id": resource_id(LNG_TYPE, lng), "properties": {}},
                    "sharedKey": f"[parameters('{t.parameter}')]",
                    "usePolicyBasedTrafficSelectors": False,
                    "ipsecPolicies": [ipsec_policy],
                    "gatewayCustomBgpIpAddresses": [
                        {
                            "ipConfigurationId": ip_configuration_id(i),
                            "customBgpIpAddress": custom[i],
                        }
                        for i in range(len(INSTANCES))
                    ],
                },
                location=location,
                tags=tags,
                depends_on=[gateway_id, resource_id(LNG_TYPE, lng)],
            )
        )
    resources += _alerts(names, link, tunnel_list, gateway_id, tags)
    return resources


def _alerts(
    names: AzureNames,
    link: LinkConfig,
    tunnel_list: list[Tunnel],
    gateway_id: str,
    tags: dict[str, str],
) -> list[dict[str, Any]]:
    group = names.vpn_action_group
    group_id = resource_id("Microsoft.Insights/actionGroups", group)
    action_group = resource(
        "Microsoft.Insights/actionGroups",
        group,
        {
            "groupShortName": "fdr-vpn",
            "enabled": True,
            "emailReceivers": [
                {"name": f"email-{i}", "emailAddress": email, "useCommonAlertSchema": True}
                for i, email in enumerate(link.alert_emails)
            ],
        },
        location="global",
        tags=tags,
    )
    peers = sorted({t.aws_bgp_address for t in tunnel_list})
    # BGP Peer Status is 1 per connected (peer, instance), 0 otherwise; each AWS peer is
    # reachable from one instance only, so the alert takes each peer's maximum over instances.
    bgp_alert = resource(
        "Microsoft.Insights/metricAlerts",
        names.vpn_alert("bgp-peer-down"),
        {
            "description": "A BGP peer (an AWS tunnel) of the cross-cloud VPN gateway is down. "
            "Runbook: docs/runbooks.md, 'cross-cloud link down'.",
            "severity": 1,
            "enabled": True,
            "scopes": [gateway_id],
            "evaluationFrequency": "PT5M",
            "windowSize": "PT15M",
            "criteria": {
                "odata.type": "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
                "allOf": [
                    {
                        "criterionType": "StaticThresholdCriterion",
                        "name": "BgpPeerStatus",
                        "metricName": "BgpPeerStatus",
                        "metricNamespace": GATEWAY_TYPE,
                        "timeAggregation": "Maximum",
                        "operator": "LessThan",
                        "threshold": 1,
                        "dimensions": [
                            {"name": "BgpPeerAddress", "operator": "Include", "values": peers}
                        ],
                    }
                ],
            },
            "autoMitigate": True,
            "actions": [{"actionGroupId": group_id}],
        },
        location="global",
        tags=tags,
        depends_on=[gateway_id, group_id],
    )
    return [action_group, bgp_alert]


def key_vault_parameters(tunnel_list: list[Tunnel], vault_id: str) -> dict[str, Any]:
    """Deployment parameters: each connection's key as a Key Vault reference ARM resolves."""
    return {
        t.parameter: {"reference": {"keyVault": {"id": vault_id}, "secretName": t.secret_name}}
        for t in tunnel_list
        if t.outside_address is not None
    }


def key_parameters(tunnel_list: list[Tunnel]) -> dict[str, Any]:
    """Template parameter declarations of the connections' keys."""
    return {
        t.parameter: {
            "type": "securestring",
            "minLength": 8,
            "metadata": {"description": f"Pre-shared key of AWS tunnel {t.key} (Key Vault)"},
        }
        for t in tunnel_list
        if t.outside_address is not None
    }
