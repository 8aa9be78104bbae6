"""Reachability over the cross-cloud link, read from both sides: the synthesized network and link
templates of each linked region and the Azure ARM template (tools/reachability_links.py). The
expected table holds with continuous replication on (production) and its opposite holds with it
off; changing one layer alone (an AWS route, an ACL entry, a security group rule, a Transit
Gateway propagation, an Azure NSG rule, a BGP peer address) breaks the flow."""

from __future__ import annotations

import copy
import functools
import tempfile
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Environment, Stack
from aws_cdk import aws_sns as sns

from azure_dr.footprint import build_footprint
from infra.cdk_context import new_app
from infra.config import EnvironmentConfig
from infra.stack_factory import StackFactory
from tests.synth import SynthesizedEnvironment
from tools.reachability_links import CrossCloudModel

# (source, destination, port, reachable) with continuous replication on, site without data access
EXPECTED = [
    ("azure:aks_user", "db", 5432, True),
    ("azure:postgres", "db", 5432, True),
    ("azure:aks_system", "db", 5432, False),
    ("azure:private_endpoints", "db", 5432, False),
    ("azure:aks_user", "db", 22, False),
    ("azure:aks_user", "cache", 6379, False),
    ("azure:aks_user", "app", 8080, False),
    ("azure:aks_user", "bastion", 443, False),
    ("azure:aks_user", "endpoints", 443, False),
    ("azure:aks_user", "site:headquarters", 443, False),
]
SITE_EXPECTED = [
    ("site:headquarters", "db", 5432, False),
    ("site:headquarters", "app", 8080, False),
    ("site:headquarters", "cache", 6379, False),
]


def _tunnel_addresses(config: EnvironmentConfig) -> dict[str, list[str]]:
    """Outside addresses AWS would report (TEST-NET-1), four per linked region."""
    return {
        region: [f"192.0.2.{4 * n + i}" for i in range(1, 5)]
        for n, region in enumerate(config.linked_regions)
    }


def _arm(config: EnvironmentConfig) -> dict[str, Any]:
    return build_footprint(config, aws_tunnel_addresses=_tunnel_addresses(config)).template


def _model(env: SynthesizedEnvironment, region: str, **overrides: Any) -> CrossCloudModel:
    names = env.stacks.names
    return CrossCloudModel(
        env.config,
        region,
        overrides.get("network") or env.template("network", region),
        overrides.get("link") or env.templates.get(names.stack_id("link", region)),
        overrides.get("arm") or _arm(env.config),
    )


@pytest.mark.parametrize(("source", "destination", "port", "reachable"), EXPECTED)
def test_cross_cloud_table_with_replication_on(
    production: SynthesizedEnvironment, source, destination, port, reachable
):
    assert production.config.link.continuous_replication
    for region in production.config.linked_regions:
        verdict = _model(production, region).can_reach(source, destination, port)
        assert verdict.allowed is reachable, f"{region} {source}->{destination}:{port}: {verdict}"


@pytest.mark.parametrize(("source", "destination", "port", "reachable"), SITE_EXPECTED)
def test_a_site_reaches_no_tier_unless_configured(
    production: SynthesizedEnvironment, source, destination, port, reachable
):
    (site,) = production.config.link.sites
    assert not site.data_access
    verdict = _model(production, site.region).can_reach(source, destination, port)
    assert verdict.allowed is reachable, f"{source}->{destination}:{port}: {verdict}"


class _Monitoring(Stack):
    """Stands in for the region's monitoring stack: the alert topic is all the link needs."""

    def __init__(self, scope: Any, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.topic = sns.Topic(self, "Alerts")


@functools.cache
def _variant() -> tuple[EnvironmentConfig, dict[str, dict[str, Any]]]:
    """Production with continuous replication off and the site given data access: only the
    network and link stacks of the primary region, synthesized without the nag gate (seconds)."""
    from tests.synth import synthesized

    base = synthesized("production").config
    link = base.link.model_copy(
        update={
            "continuous_replication": False,
            "sites": [s.model_copy(update={"data_access": True}) for s in base.link.sites],
        }
    )
    config = base.model_copy(update={"link": link})
    outdir = Path(tempfile.mkdtemp(prefix="cdk-link-variant-"))
    app = new_app(outdir=str(outdir), context={"env": "production"})
    factory = StackFactory(app, config)
    region = config.primary_region
    network = factory.network(region)
    monitoring = _Monitoring(
        app, "TopicOnly", env=Environment(account=config.account, region=region)
    )
    factory.link(region, network=network, monitoring=monitoring)  # type: ignore[arg-type]
    assembly = app.synth()
    templates = {s.stack_name: s.template for s in assembly.stacks}
    return config, templates


def test_replication_off_closes_azure_and_a_configured_site_opens_the_data_tier():
    config, templates = _variant()
    region = config.primary_region
    network = templates[f"fdr-production-network-{region}"]
    link = templates[f"fdr-production-link-{region}"]
    model = CrossCloudModel(config, region, network, link, _arm(config))
    for source in ("azure:aks_user", "azure:postgres"):
        verdict = model.can_reach(source, "db", 5432)
        assert not verdict, f"{source}->db with replication off: {verdict}"
    assert model.can_reach("site:headquarters", "db", 5432), "site with data_access"
    assert not model.can_reach("site:headquarters", "cache", 6379)
    assert not model.can_reach("site:headquarters", "app", 8080)


# --- one layer alone ------------------------------------------------------------------------
def _without(template: dict[str, Any], predicate: Any) -> dict[str, Any]:
    changed = copy.deepcopy(template)
    doomed = [k for k, v in changed["Resources"].items() if predicate(k, v)]
    assert doomed, "the layer to remove was not found"
    for key in doomed:
        del changed["Resources"][key]
    return changed


def _assert_breaks(model: CrossCloudModel, expected_reason: str) -> None:
    verdict = model.can_reach("azure:aks_user", "db", 5432)
    assert not verdict and expected_reason in verdict.reason, verdict


def test_without_the_data_tier_route_to_azure(production: SynthesizedEnvironment):
    network = production.template("network", "us-east-1")
    vnet = str(production.config.azure.vnet_cidr)
    changed = _without(network, lambda k, v: v["Type"] == "AWS::EC2::Route"
                       and k.startswith("NetworkVpcdataSubnet")
                       and v["Properties"].get("DestinationCidrBlock") == vnet)  # fmt: skip
    _assert_breaks(_model(production, "us-east-1", network=changed), "route table has no route")


def test_without_the_data_tier_acl_entry(production: SynthesizedEnvironment):
    network = production.template("network", "us-east-1")
    sources = production.config.replication_sources()
    changed = _without(network, lambda k, v: v["Type"] == "AWS::EC2::NetworkAclEntry"
                       and k.startswith("NetworkAclsData")
                       and v["Properties"]["CidrBlock"] in sources
                       and not v["Properties"].get("Egress"))  # fmt: skip
    _assert_breaks(_model(production, "us-east-1", network=changed), "db's ACL, inbound")


def test_without_the_database_security_group_rule(production: SynthesizedEnvironment):
    network = copy.deepcopy(production.template("network", "us-east-1"))
    sources = set(production.config.replication_sources())
    for resource in network["Resources"].values():
        if resource["Type"] == "AWS::EC2::SecurityGroup":
            rules = resource["Properties"].get("SecurityGroupIngress", [])
            resource["Properties"]["SecurityGroupIngress"] = [
                r for r in rules if r.get("CidrIp") not in sources
            ]
    _assert_breaks(_model(production, "us-east-1", network=network), "security group")


def test_without_the_vpc_propagation_into_the_azure_table(production: SynthesizedEnvironment):
    network = production.template("network", "us-east-1")
    changed = _without(network, lambda k, v: k.startswith("TransitGatewayVpcIntoAzure"))
    _assert_breaks(_model(production, "us-east-1", network=changed), "learned no route")


def test_without_the_azure_propagation_into_the_vpc_table(production: SynthesizedEnvironment):
    link = production.template("link", "us-east-1")
    propagation = "AWS::EC2::TransitGatewayRouteTablePropagation"
    changed = _without(link, lambda k, v: k.startswith("Azure") and v["Type"] == propagation)
    _assert_breaks(_model(production, "us-east-1", link=changed), "no route back")


def test_without_the_postgres_nsg_rule(production: SynthesizedEnvironment):
    arm = copy.deepcopy(_arm(production.config))
    for resource in arm["resources"]:
        if resource["type"] == "Microsoft.Network/networkSecurityGroups":
            rules = resource["properties"]["securityRules"]
            resource["properties"]["securityRules"] = [
                r for r in rules if r["name"] != "AllowPostgresToAwsOutbound"
            ]
    verdict = _model(production, "us-east-1", arm=arm).can_reach("azure:postgres", "db", 5432)
    assert not verdict and "NSG denies outbound" in verdict.reason, verdict


def test_with_a_bgp_peer_address_azure_does_not_share(production: SynthesizedEnvironment):
    arm = copy.deepcopy(_arm(production.config))
    for resource in arm["resources"]:
        if resource["type"] == "Microsoft.Network/localNetworkGateways":
            resource["properties"]["bgpSettings"]["bgpPeeringAddress"] = "169.254.21.250"
    _assert_breaks(_model(production, "us-east-1", arm=arm), "learned no route")
