"""Link tier: the Transit Gateway in the network stack of each linked region (phase 1) and the
VPN connections of the link stack (phase 2): BGP, IKEv2, two tunnels per connection, pre-shared
keys only as dynamic references, route tables that carry the VPC <-> VNet and nothing else."""

from __future__ import annotations

import json
import re

from tests.stacks.template_queries import ref_target, resources
from tests.synth import SynthesizedEnvironment


def test_transit_gateway_only_in_linked_regions(any_env: SynthesizedEnvironment):
    config = any_env.config
    for region in config.regions:
        gateways = resources(any_env.template("network", region), "AWS::EC2::TransitGateway")
        assert len(gateways) == (1 if region in config.linked_regions else 0), region
        link_id = any_env.stacks.names.stack_id("link", region)
        has_link = region in config.linked_regions and config.link.phase == 2
        assert (link_id in any_env.templates) is has_link, region


def test_transit_gateway_settings(production: SynthesizedEnvironment):
    template = production.template("network", "us-east-1")
    (gateway,) = resources(template, "AWS::EC2::TransitGateway").values()
    props = gateway["Properties"]
    assert props["AmazonSideAsn"] == production.config.link.aws_asn
    assert props["DefaultRouteTableAssociation"] == "disable"
    assert props["DefaultRouteTablePropagation"] == "disable"
    assert props["AutoAcceptSharedAttachments"] == "disable"
    assert props["VpnEcmpSupport"] == "enable"
    (attachment,) = resources(template, "AWS::EC2::TransitGatewayVpcAttachment").values()
    subnets = {ref_target(s) for s in attachment["Properties"]["SubnetIds"]}
    assert subnets and all(s.startswith("NetworkVpcapplicationSubnet") for s in subnets)
    assert len(resources(template, "AWS::EC2::TransitGatewayRouteTable")) == 3


def test_vpc_routes_to_the_link_are_the_vnet_and_sites_only(any_env: SynthesizedEnvironment):
    config = any_env.config
    for region in config.linked_regions:
        template = any_env.template("network", region)
        routes = [r["Properties"] for r in resources(template, "AWS::EC2::Route").values()
                  if "TransitGatewayId" in r["Properties"]]  # fmt: skip
        expected = {str(config.azure.vnet_cidr)} | {
            str(c) for s in config.link.sites if s.region == region for c in s.cidrs
        }
        assert {r["DestinationCidrBlock"] for r in routes} == expected
        for route in routes:  # application and data tiers only
            assert re.match(
                r"NetworkVpc(application|data)Subnet", ref_target(route["RouteTableId"])
            )


def test_vpn_connections_bgp_ikev2_two_tunnels(production: SynthesizedEnvironment):
    config = production.config
    for region in config.linked_regions:
        template = production.template("link", region)
        connections = resources(template, "AWS::EC2::VPNConnection")
        sites = [s for s in config.link.sites if s.region == region]
        assert len(connections) == 2 + len(sites)
        inside = []
        for connection in connections.values():
            props = connection["Properties"]
            assert props["StaticRoutesOnly"] is False
            assert props["Type"] == "ipsec.1"
            tunnels = props["VpnTunnelOptionsSpecifications"]
            assert len(tunnels) == 2
            for tunnel in tunnels:
                assert tunnel["IKEVersions"] == [{"Value": "ikev2"}]
                inside.append(tunnel["TunnelInsideCidr"])
        assert set(map(str, config.link.tunnel_inside_cidrs[region])) <= set(inside)
        gateways = resources(template, "AWS::EC2::CustomerGateway")
        addresses = {g["Properties"]["IpAddress"]: g["Properties"]["BgpAsn"]
                     for g in gateways.values()}  # fmt: skip
        for ip in config.link.azure_gateway_ips:
            assert addresses[str(ip)] == config.link.azure_asn


def test_pre_shared_keys_are_dynamic_references_only(production: SynthesizedEnvironment):
    for region in production.config.linked_regions:
        template = production.template("link", region)
        secrets = resources(template, "AWS::SecretsManager::Secret")
        for connection in resources(template, "AWS::EC2::VPNConnection").values():
            for tunnel in connection["Properties"]["VpnTunnelOptionsSpecifications"]:
                key = tunnel["PreSharedKey"]
                parts = key["Fn::Join"][1]
                assert parts[0] == "{{resolve:secretsmanager:"
                assert ref_target(parts[1]) in secrets
        for secret in secrets.values():
            props = secret["Properties"]
            assert "SecretString" not in props
            generate = props["GenerateSecretString"]
            assert generate["ExcludePunctuation"] is True and "0" in generate["ExcludeCharacters"]
            assert "KmsKeyId" in props


def test_attachments_associate_and_propagate_as_designed(production: SynthesizedEnvironment):
    template = production.template("link", "us-east-1")
    text = json.dumps(resources(template, "AWS::EC2::TransitGatewayRouteTableAssociation"))
    assert (
        text.count("TransitGatewayAzureRoutes") == 2
        and text.count("TransitGatewaySitesRoutes") == 1
    )
    propagations = resources(template, "AWS::EC2::TransitGatewayRouteTablePropagation")
    assert all("TransitGatewayVpcRoutes" in json.dumps(p) for p in propagations.values())
    network = production.template("network", "us-east-1")
    into = {k for k in resources(network, "AWS::EC2::TransitGatewayRouteTablePropagation")}
    assert {k[: len("TransitGatewayVpcIntoAzure")] for k in into} >= {"TransitGatewayVpcIntoAzure"}


def test_tunnel_alarms_notify_the_region_topic(production: SynthesizedEnvironment):
    for region in production.config.linked_regions:
        template = production.template("link", region)
        alarms = resources(template, "AWS::CloudWatch::Alarm")
        assert len(alarms) == len(resources(template, "AWS::EC2::VPNConnection"))
        for alarm in alarms.values():
            props = alarm["Properties"]
            assert (props["Namespace"], props["MetricName"]) == ("AWS/VPN", "TunnelState")
            assert props["ComparisonOperator"] == "LessThanThreshold" and props["Threshold"] == 1
            assert props["TreatMissingData"] == "breaching"
            assert props["AlarmActions"] == props["OKActions"]
            assert "Fn::GetStackOutput" in json.dumps(props["AlarmActions"])
