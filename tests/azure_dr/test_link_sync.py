"""The Azure end of the cross-cloud link: the ARM resources of each phase, and the two-phase
bring-up of ``python -m azure_dr sync``: the AWS tunnels' outside addresses read from AWS (moto,
in-process) by the VPN connections' Name tags, or taken from config, into local network gateways
and connections whose pre-shared keys ARM resolves from Key Vault (the fake ARM server)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.ec2.models import ec2_backends

from azure_dr.footprint import build_footprint
from infra.config import EnvironmentConfig, load_config
from infra.config.link import tunnel_addresses
from infra.naming import Names, azure_connection_name
from tests.unit.config_helpers import load_mutated

MOTO_ACCOUNT = "123456789012"


def _of(template: dict[str, Any], type_name: str) -> list[dict[str, Any]]:
    return [r for r in template["resources"] if r["type"] == type_name]


def test_phase_1_gateway_without_connections():
    config = load_config("staging", environ={})
    template = build_footprint(config).template
    (gateway,) = _of(template, "Microsoft.Network/virtualNetworkGateways")
    props = gateway["properties"]
    assert props["activeActive"] is True and props["enableBgp"] is True
    assert props["vpnType"] == "RouteBased" and props["vpnGatewayGeneration"] == "Generation2"
    assert props["bgpSettings"]["asn"] == config.link.azure_asn
    assert len(props["ipConfigurations"]) == 2
    peering = props["bgpSettings"]["bgpPeeringAddresses"]
    apipa = sorted(a for p in peering for a in p["customBgpIpAddresses"])
    assert apipa == sorted(
        tunnel_addresses(c)[1] for cidrs in config.link.tunnel_inside_cidrs.values() for c in cidrs
    )
    assert len(_of(template, "Microsoft.Network/publicIPAddresses")) == 2
    (vnet,) = _of(template, "Microsoft.Network/virtualNetworks")
    gateway_subnet = [s for s in vnet["properties"]["subnets"] if s["name"] == "GatewaySubnet"]
    assert gateway_subnet == [{"name": "GatewaySubnet", "properties": {
        "addressPrefix": str(config.azure.gateway_subnet())}}]  # fmt: skip
    assert not _of(template, "Microsoft.Network/localNetworkGateways")
    assert not _of(template, "Microsoft.Network/connections")
    assert template["outputs"]["vpnGatewayIps"]["type"] == "array"


def test_no_link_no_gateway():
    template = build_footprint(load_config("development", environ={})).template
    assert not _of(template, "Microsoft.Network/virtualNetworkGateways")


def test_alerts_on_bgp_peers_to_the_action_group():
    config = load_config("staging", environ={})
    template = build_footprint(config).template
    (group,) = _of(template, "Microsoft.Insights/actionGroups")
    emails = [r["emailAddress"] for r in group["properties"]["emailReceivers"]]
    assert emails == config.link.alert_emails
    (alert,) = _of(template, "Microsoft.Insights/metricAlerts")
    (criterion,) = alert["properties"]["criteria"]["allOf"]
    assert criterion["metricName"] == "BgpPeerStatus"
    assert (criterion["operator"], criterion["threshold"]) == ("LessThan", 1)
    (dimension,) = criterion["dimensions"]
    assert sorted(dimension["values"]) == sorted(
        tunnel_addresses(c)[0] for cidrs in config.link.tunnel_inside_cidrs.values() for c in cidrs
    )
    assert alert["properties"]["actions"][0]["actionGroupId"].endswith(f"'{group['name']}')]")


def _phase_2(config: EnvironmentConfig) -> dict[str, Any]:
    addresses = {r: [f"192.0.2.{i}" for i in range(1, 5)] for r in config.linked_regions}
    return build_footprint(config, aws_tunnel_addresses=addresses).template


def test_phase_2_connections_ikev2_bgp_keys_from_parameters():
    config = load_config("production", environ={})
    template = _phase_2(config)
    connections = _of(template, "Microsoft.Network/connections")
    assert len(connections) == 4 * len(config.linked_regions)
    for connection in connections:
        props = connection["properties"]
        assert props["connectionProtocol"] == "IKEv2" and props["enableBgp"] is True
        parameter = props["sharedKey"].removeprefix("[parameters('").removesuffix("')]")
        assert template["parameters"][parameter]["type"] == "securestring"
        assert len(props["gatewayCustomBgpIpAddresses"]) == 2
    lngs = _of(template, "Microsoft.Network/localNetworkGateways")
    assert {g["properties"]["bgpSettings"]["asn"] for g in lngs} == {config.link.aws_asn}


# --- the two-phase sync -----------------------------------------------------------------------
@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    with mock_aws():
        yield boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )


def _deploy_link(
    session: boto3.Session, config: EnvironmentConfig, *, skew: bool = False, keys: bool = False
):
    """What the link stack creates, as far as sync reads it: two tagged VPN connections per
    linked region (and with ``keys`` the tunnels' pre-shared keys in Secrets Manager). moto
    keeps no tunnel options, so they are filled in as AWS reports them."""
    names = Names(config.project, config.name)
    expected: dict[str, list[str]] = {}
    for n, region in enumerate(config.linked_regions):
        ec2 = session.client("ec2", region_name=region)
        tgw = ec2.create_transit_gateway()["TransitGateway"]["TransitGatewayId"]
        cidrs = [str(c) for c in config.link.tunnel_inside_cidrs[region]]
        expected[region] = []
        for index, ip in enumerate(config.link.azure_gateway_ips, start=1):
            cgw = ec2.create_customer_gateway(Type="ipsec.1", PublicIp=str(ip), BgpAsn=65010)
            vpn = ec2.create_vpn_connection(
                Type="ipsec.1",
                CustomerGatewayId=cgw["CustomerGateway"]["CustomerGatewayId"],
                TransitGatewayId=tgw,
                TagSpecifications=[{"ResourceType": "vpn-connection", "Tags": [
                    {"Key": "Name", "Value": azure_connection_name(
                        names.resource("link", region), index)}]}],
            )["VpnConnection"]["VpnConnectionId"]  # fmt: skip
            tunnels = []
            for t in (0, 1):
                address = f"198.51.100.{40 * n + 10 * index + t}"
                cidr = cidrs[2 * (index - 1) + t]
                tunnels.append(
                    {
                        "OutsideIpAddress": address,
                        "TunnelInsideCidr": "169.254.21.252/30" if skew else cidr,
                    }
                )
                expected[region].append(address)
            backend = ec2_backends[MOTO_ACCOUNT][region]
            backend.vpn_connections[vpn].options = {"TunnelOptions": tunnels}
            for t in (1, 2) if keys else ():
                session.client("secretsmanager", region_name=region).create_secret(
                    Name=names.link_tunnel_secret(region, index, t),
                    SecretString=f"Key{index}{t}.{region}.0123456789",
                )
    return expected


def test_sync_reads_the_aws_tunnels_and_passes_key_vault_references(run, arm, aws):
    config = load_config("production", environ={})
    expected = _deploy_link(aws, config, keys=True)
    result = run("sync", "--yes", aws_session=aws)
    assert result.code == 0, result.err
    for region in config.linked_regions:
        assert f"link: {region}: tunnel addresses read from AWS" in result.err
    template = build_footprint(config, aws_tunnel_addresses=expected).template
    lngs = {g["properties"]["gatewayIpAddress"]
            for g in _of(template, "Microsoft.Network/localNetworkGateways")}  # fmt: skip
    assert lngs == {a for addresses in expected.values() for a in addresses}
    parameters = arm.arm.parameters[build_footprint(config).deployment_name]
    keys = {k: v for k, v in parameters.items() if k.startswith("vpnKey")}
    assert len(keys) == 4 * len(config.linked_regions)
    for value in keys.values():
        reference = value["reference"]
        assert reference["keyVault"]["id"].endswith(
            f"/providers/Microsoft.KeyVault/vaults/{build_footprint(config).names.key_vault}"
        )
        assert reference["secretName"].startswith("link-us-")
        assert "value" not in value  # ARM resolves the key; it never passes through azure_dr
    assert "192.0.2." not in json.dumps(parameters)


def test_sync_rejects_a_connection_built_from_other_inside_cidrs(run, aws):
    config = load_config("production", environ={})
    _deploy_link(aws, config, skew=True)
    result = run("plan", aws_session=aws)
    assert result.code == 1
    (line,) = [ln for ln in result.err.splitlines() if ln.startswith("error: ")]
    assert "has no tunnel with inside CIDR 169.254.21.0/30" in line
    assert "link.tunnel_inside_cidrs.us-east-1 and the deployed link stack disagree" in line


def test_without_aws_credentials_the_config_addresses_are_used(run, tmp_path: Path):
    addresses = ["192.0.2.21", "192.0.2.22", "192.0.2.23", "192.0.2.24"]
    load_mutated(
        tmp_path, lambda c: c["link"].update(aws_tunnel_addresses={"us-east-1": addresses})
    )
    result = run("plan", config_dir=tmp_path)
    assert result.code == 2, result.err
    assert "link: no AWS credentials; tunnel addresses from config (us-east-1)" in result.err
    # Without AWS credentials the keys cannot reach Key Vault: the connections wait (their
    # keys are copied by a sync with credentials, tests/azure_dr/test_sync_secrets.py).
    assert "link: no AWS credentials: the pre-shared keys of us-east-1-azure-1-tunnel-1" in (
        result.err
    )
    assert "localNetworkGateways/fdr-production-dr-lng-us-east-1" not in result.out
    config = load_config("production", environ={})
    vault = build_footprint(config).names.key_vault
    assert f"secrets: Key Vault {vault} does not exist yet" in result.err


def test_phase_1_reads_nothing_from_aws(run, tmp_path: Path, aws):
    load_mutated(tmp_path, lambda c: c["link"].update(azure_gateway_ips=[]))
    result = run("plan", config_dir=tmp_path, aws_session=aws)
    assert result.code == 2, result.err
    assert "link: phase 1 (link.azure_gateway_ips is empty)" in result.err
    assert "virtualNetworkGateways/fdr-production-dr-vpngw" in result.out
    assert "Microsoft.Network/connections" not in result.out


def test_missing_aws_connections_wait_for_phase_2(run, aws):
    result = run("plan", aws_session=aws)
    assert result.code == 2, result.err
    assert "not found in AWS (deploy the link stack first)" in result.err
    assert "Microsoft.Network/connections" not in result.out


def test_phase_2_references_are_dependencies():
    """The dependency walk of test_footprint_access over the phase-2 resources."""
    from tests.azure_dr.arm_queries import rid as _rid
    from tests.azure_dr.test_footprint_access import (
        RESOURCE_ID,
        _closure,
        _declared,
        _parent_declared,
    )

    template = _phase_2(load_config("production", environ={}))
    declared = _declared(template)
    missing = []
    for body in template["resources"]:
        text = json.dumps({"p": body.get("properties"), "s": body.get("scope")})
        own = _rid(body["type"], *body["name"].split("/"))
        needed = {_parent_declared(m, declared) for m in RESOURCE_ID.findall(text)} - {None, own}
        missing += [f"{body['name']} -> {d}" for d in needed - _closure(body, declared)]
    assert missing == []
