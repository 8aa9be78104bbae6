"""Both ends of every AWS <-> Azure tunnel agree: the link stack's tunnels (inside CIDR, IKE
version, cipher suite, customer gateway ASN) against the ARM template's local network gateways,
connections and gateway BGP settings."""

from __future__ import annotations

import copy
import ipaddress
from typing import Any

from aws_cdk.assertions import Template

from azure_dr.footprint import build_footprint
from infra.config.link import tunnel_addresses
from tests.synth import SynthesizedEnvironment

# AWS names -> Azure names of the one IPsec suite (infra/config/link.py, TUNNEL_POLICY)
AWS_TO_AZURE = {"AES256": "AES256", "SHA2-256": "SHA256", 14: "DHGroup14"}


def _aws_tunnels(production: SynthesizedEnvironment) -> list[tuple[str, str, dict[str, Any]]]:
    """(region, customer gateway address, tunnel options) of every Azure-facing tunnel."""
    found = []
    sites = {str(s.public_ip) for s in production.config.link.sites}
    for region in production.config.linked_regions:
        resources = production.template("link", region)["Resources"]
        for vpn in resources.values():
            if vpn["Type"] != "AWS::EC2::VPNConnection":
                continue
            cgw = resources[vpn["Properties"]["CustomerGatewayId"]["Ref"]]["Properties"]
            if cgw["IpAddress"] in sites:
                continue
            assert cgw["BgpAsn"] == production.config.link.azure_asn
            for tunnel in vpn["Properties"]["VpnTunnelOptionsSpecifications"]:
                found.append((region, cgw["IpAddress"], tunnel))
    return found


def _arm(production: SynthesizedEnvironment) -> dict[str, Any]:
    config = production.config
    addresses = {r: [f"192.0.2.{i}" for i in range(1, 5)] for r in config.linked_regions}
    return build_footprint(config, aws_tunnel_addresses=addresses).template


def check(tunnels: list[tuple[str, str, dict[str, Any]]], arm: dict[str, Any]) -> list[str]:
    """Every disagreement, one line each."""
    problems = []
    lngs = {r["name"]: r["properties"] for r in arm["resources"]
            if r["type"] == "Microsoft.Network/localNetworkGateways"}  # fmt: skip
    connections = [r["properties"] for r in arm["resources"]
                   if r["type"] == "Microsoft.Network/connections"]  # fmt: skip
    (gateway,) = [r["properties"] for r in arm["resources"]
                  if r["type"] == "Microsoft.Network/virtualNetworkGateways"]  # fmt: skip
    apipa = {a for p in gateway["bgpSettings"]["bgpPeeringAddresses"]
             for a in p["customBgpIpAddresses"]}  # fmt: skip
    for region, _, tunnel in tunnels:
        aws_ip, azure_ip = tunnel_addresses(ipaddress.ip_network(tunnel["TunnelInsideCidr"]))
        where = f"{region} tunnel {tunnel['TunnelInsideCidr']}"
        matching = [c for c in connections
                    if lngs[c["localNetworkGateway2"]["id"].split("'")[-2]]["bgpSettings"][
                        "bgpPeeringAddress"] == aws_ip]  # fmt: skip
        if len(matching) != 1:
            problems.append(f"{where}: {len(matching)} Azure connections peer with {aws_ip}")
            continue
        (connection,) = matching
        if azure_ip not in apipa:
            problems.append(f"{where}: the gateway has no APIPA address {azure_ip}")
        if azure_ip not in {
            a["customBgpIpAddress"] for a in connection["gatewayCustomBgpIpAddresses"]
        }:
            problems.append(f"{where}: the connection does not use {azure_ip}")
        if [v["Value"] for v in tunnel["IKEVersions"]] != ["ikev2"] or (
            connection["connectionProtocol"] != "IKEv2"
        ):
            problems.append(f"{where}: IKE versions differ")
        (policy,) = connection["ipsecPolicies"]
        pairs = [
            ("Phase1EncryptionAlgorithms", "ikeEncryption"),
            ("Phase1IntegrityAlgorithms", "ikeIntegrity"),
            ("Phase1DHGroupNumbers", "dhGroup"),
            ("Phase2EncryptionAlgorithms", "ipsecEncryption"),
            ("Phase2IntegrityAlgorithms", "ipsecIntegrity"),
        ]
        for aws_key, azure_key in pairs:
            offered = [AWS_TO_AZURE.get(v["Value"], v["Value"]) for v in tunnel[aws_key]]
            if offered != [policy[azure_key]]:
                problems.append(f"{where}: {aws_key} {offered} vs Azure {azure_key} "
                                f"{policy[azure_key]}")  # fmt: skip
        if tunnel["Phase2LifetimeSeconds"] != policy["saLifeTimeSeconds"]:
            problems.append(f"{where}: phase 2 lifetime differs")
    return problems


def test_both_ends_of_every_tunnel_agree(production: SynthesizedEnvironment):
    tunnels = _aws_tunnels(production)
    assert len(tunnels) == 4 * len(production.config.linked_regions)
    assert check(tunnels, _arm(production)) == []


def test_a_changed_azure_suite_is_reported(production: SynthesizedEnvironment):
    arm = copy.deepcopy(_arm(production))
    for resource in arm["resources"]:
        if resource["type"] == "Microsoft.Network/connections":
            resource["properties"]["ipsecPolicies"][0]["ikeIntegrity"] = "SHA384"
    problems = check(_aws_tunnels(production), arm)
    assert (
        problems
        and "Phase1IntegrityAlgorithms ['SHA256'] vs Azure ikeIntegrity SHA384" in (problems[0])
    )


def test_a_changed_aws_inside_cidr_is_reported(production: SynthesizedEnvironment):
    tunnels = copy.deepcopy(_aws_tunnels(production))
    tunnels[0][2]["TunnelInsideCidr"] = "169.254.22.252/30"
    assert check(tunnels, _arm(production))[0].endswith(
        "0 Azure connections peer with 169.254.22.253"
    )


def test_templates_hold_no_key_material(production: SynthesizedEnvironment):
    for region in production.config.linked_regions:
        template = Template.from_json(production.template("link", region))
        for vpn in template.find_resources("AWS::EC2::VPNConnection").values():
            for tunnel in vpn["Properties"]["VpnTunnelOptionsSpecifications"]:
                assert isinstance(tunnel["PreSharedKey"], dict)
    for connection in _arm(production)["resources"]:
        if connection["type"] == "Microsoft.Network/connections":
            assert connection["properties"]["sharedKey"].startswith("[parameters('")
