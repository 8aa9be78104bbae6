"""Builds every stack of one environment into a CDK app: global stacks, then the region loop.

Stack ids read ``fdr-<env>-<tier>-<region>``. Cross-stack order is explicit (``add_dependency``)
wherever a stack needs another to exist first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aws_cdk import App, RemovalPolicy, Tags

from infra.config import EnvironmentConfig, RegionConfig
from infra.constructs import tiered_vpc
from infra.nag import apply_rule_packs
from infra.nag import compute as compute_nag
from infra.nag import dns as dns_nag
from infra.nag import network as network_nag
from infra.naming import Names
from infra.stacks.compute import ComputeStack
from infra.stacks.dns import DNS_HOME_REGION, DnsStack
from infra.stacks.network import NetworkStack


@dataclass
class RegionStacks:
    region: str
    config: RegionConfig
    network: NetworkStack
    compute: ComputeStack | None = None


@dataclass
class AppStacks:
    names: Names
    regions: dict[str, RegionStacks] = field(default_factory=dict)
    dns: DnsStack | None = None


def build_app(app: App, config: EnvironmentConfig) -> AppStacks:
    names = Names(config.project, config.name)
    removal_policy = (
        RemovalPolicy.RETAIN if config.retain_stateful_resources else RemovalPolicy.DESTROY
    )
    stacks = AppStacks(names=names)

    for region, region_config in config.regions.items():
        common = {
            "account": config.account,
            "region": region,
            "availability_zones": region_config.availability_zones,
            "termination_protection": config.deletion_protection,
        }
        network = NetworkStack(
            app,
            names.stack_id("network", region),
            description=f"{names.resource('network')} ({region_config.role}): VPC, SG matrix",
            network=config.network,
            vpc_cidr=str(region_config.vpc_cidr),
            logs_key_alias=names.kms_alias("logs"),
            removal_policy=removal_policy,
            **common,
        )
        network_nag.acknowledge_findings(network, az_count=len(region_config.availability_zones))
        stacks.regions[region] = RegionStacks(region, region_config, network)

        compute = ComputeStack(
            app,
            names.stack_id("compute", region),
            description=f"{names.resource('compute')} ({region_config.role}): EKS, ALB, WAF",
            names=names,
            role=region_config.role,
            compute=config.compute,
            ingress=config.ingress,
            dns=config.dns,
            ports=config.network.ports,
            vpc=network.vpc,
            application_subnets=network.tiered_vpc.subnets(tiered_vpc.APPLICATION),
            public_subnets=network.tiered_vpc.subnets(tiered_vpc.PUBLIC),
            app_security_group=network.security_groups.app,
            web_security_group=network.security_groups.web,
            logs_key=network.logs_key,
            deletion_protection=config.deletion_protection,
            removal_policy=removal_policy,
            **common,
        )
        compute.add_stack_dependency(network)
        compute_nag.acknowledge_findings(compute, deletion_protection=config.deletion_protection)
        stacks.regions[region].compute = compute
    # Global DNS (after the region loop: it points at every region's ALB).
    region_roles = {region: region_config.role for region, region_config in config.regions.items()}
    dns = DnsStack(
        app,
        names.stack_id("dns", "global"),
        description=f"{names.resource('dns')}: Route 53 zone, health checks, failover records",
        account=config.account,
        region=DNS_HOME_REGION,
        termination_protection=config.deletion_protection,
        dns=config.dns,
        region_roles=region_roles,
        https_port=config.network.ports.https,
        names=names,
        removal_policy=removal_policy,
    )
    dns_nag.acknowledge_findings(dns)
    for region in config.dns.ingress_regions(region_roles):
        # The compute stack publishes the ALB's SSM parameters that the DNS stack reads.
        dns.add_stack_dependency(stacks.regions[region].compute)
    stacks.dns = dns

    for key, value in {
        "project": config.project,
        "environment": config.name,
        "managed-by": "aws-cdk",
        **config.tags,
    }.items():
        Tags.of(app).add(key, value)
    apply_rule_packs(app)
    return stacks
