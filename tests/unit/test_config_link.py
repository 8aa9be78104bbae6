"""Validation of the cross-cloud link settings (infra/config/link.py): one line per problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infra.config import load_config
from tests.unit.config_helpers import config_error, load_mutated, one_line


def test_phases_follow_the_azure_gateway_addresses():
    assert load_config("production", environ={}).link.phase == 2
    staging = load_config("staging", environ={})
    assert staging.link.phase == 1 and staging.linked_regions == ["us-east-1", "us-west-2"]
    assert load_config("development", environ={}).linked_regions == []


def _link(update: dict[str, Any]):
    return lambda c: c["link"].update(update)


def _inside(region: str, index: int, value: str):
    return lambda c: c["link"]["tunnel_inside_cidrs"][region].__setitem__(index, value)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (_link({"azure_asn": 64512}), "link.azure_asn: 64512 equals link.aws_asn"),
        (_link({"azure_asn": 65515}), "link.azure_asn: 65515 is reserved by Azure"),
        (_link({"aws_asn": 3356}), "3356 is not a private ASN"),
        (_link({"azure_gateway_ips": ["203.0.113.10"]}), "link.azure_gateway_ips: 1 address(es)"),
        (
            _link({"azure_gateway_ips": ["203.0.113.10", "203.0.113.10"]}),
            "link.azure_gateway_ips: the two addresses must be distinct",
        ),
        (
            _inside("us-east-1", 1, "169.254.21.0/30"),
            "link.tunnel_inside_cidrs.us-east-1.1: 169.254.21.0/30 overlaps "
            "link.tunnel_inside_cidrs.us-east-1.0 (169.254.21.0/30)",
        ),
        (
            _inside("us-west-2", 0, "169.254.21.4/30"),
            "link.tunnel_inside_cidrs.us-west-2.0: 169.254.21.4/30 overlaps "
            "link.tunnel_inside_cidrs.us-east-1.1",
        ),
        (
            _inside("us-east-1", 0, "169.254.30.8/30"),
            "link.tunnel_inside_cidrs.us-east-1.0: 169.254.30.8/30 is outside Azure's APIPA range",
        ),
        (_inside("us-east-1", 0, "169.254.21.0/29"), "is not a /30 in 169.254.0.0/16"),
        (_inside("us-east-1", 0, "10.0.0.0/30"), "is not a /30 in 169.254.0.0/16"),
        (_inside("us-east-1", 0, "169.254.169.252/30"), "is reserved by AWS"),
        (
            lambda c: c["link"]["tunnel_inside_cidrs"]["us-east-1"].pop(),
            "link.tunnel_inside_cidrs.us-east-1: 3 CIDR(s), expected 4",
        ),
        (
            lambda c: c["link"]["tunnel_inside_cidrs"].pop("us-west-2"),
            "link.tunnel_inside_cidrs.us-west-2: missing",
        ),
        (
            lambda c: c["link"]["tunnel_inside_cidrs"].update(
                {"eu-west-1": ["169.254.22.100/30"] * 4}
            ),
            "link.tunnel_inside_cidrs.eu-west-1.1: 169.254.22.100/30 overlaps",
        ),
        (
            _link({"aws_tunnel_addresses": {"us-east-1": ["192.0.2.1"]}}),
            "link.aws_tunnel_addresses.us-east-1: 1 address(es), expected 4",
        ),
    ],
)
def test_link_problems_are_one_line(tmp_path: Path, mutate, expected):
    assert expected in one_line(config_error(tmp_path, mutate))


def _site(update: dict[str, Any]):
    return lambda c: c["link"]["sites"][0].update(update)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            _site({"cidrs": ["10.3.128.0/24"]}),
            "link.sites.headquarters.cidrs.0: 10.3.128.0/24 overlaps regions.us-west-2.vpc_cidr",
        ),
        (
            _site({"cidrs": ["10.10.4.0/24"]}),
            "link.sites.headquarters.cidrs.0: 10.10.4.0/24 overlaps azure.vnet_cidr (10.10.0.0/16)",
        ),
        (
            lambda c: c["link"]["sites"].append(
                {
                    **c["link"]["sites"][0],
                    "name": "branch",
                    "inside_cidrs": ["169.254.31.0/30", "169.254.31.4/30"],
                    "cidrs": ["10.100.128.0/20"],
                }
            ),
            "link.sites.branch.cidrs.0: 10.100.128.0/20 overlaps link.sites.headquarters.cidrs.0",
        ),
        (
            _site({"inside_cidrs": ["169.254.21.0/30", "169.254.30.4/30"]}),
            "link.sites.headquarters.inside_cidrs.0: 169.254.21.0/30 overlaps "
            "link.tunnel_inside_cidrs.us-east-1.0",
        ),
        (
            _site({"region": "eu-west-1"}),
            "link.sites.headquarters.region: eu-west-1 has no Transit Gateway",
        ),
        (_site({"asn": 64512}), "link.sites.headquarters.asn: 64512 equals link.aws_asn"),
    ],
)
def test_site_problems_are_one_line(tmp_path: Path, mutate, expected):
    assert expected in one_line(config_error(tmp_path, mutate))


def test_a_disabled_link_checks_nothing_and_opens_nothing(tmp_path: Path):
    config = load_mutated(tmp_path, lambda c: c["link"].update(enabled=False, azure_asn=64512))
    assert config.linked_regions == []
    assert config.remote_postgres_clients("us-east-1") == []


def test_remote_postgres_clients_follow_replication_and_site_access(tmp_path: Path):
    production = load_config("production", environ={})
    assert production.remote_postgres_clients("us-east-1") == ["10.10.4.0/22", "10.10.8.0/27"]
    assert production.remote_postgres_clients("eu-west-1") == []
    config = load_mutated(tmp_path, lambda c: (
        c["link"].update(continuous_replication=False),
        c["link"]["sites"][0].update(data_access=True)))  # fmt: skip
    assert config.remote_postgres_clients("us-east-1") == ["10.100.0.0/16"]
    assert config.remote_postgres_clients("us-west-2") == []


def test_the_gateway_subnet_must_fit_the_vnet(tmp_path: Path):
    message = config_error(tmp_path, lambda c: c["azure"]["subnet_masks"].update(gateway=16))
    assert "subnet_masks.gateway: a /16 GatewaySubnet does not fit vnet_cidr 10.10.0.0/16" in (
        one_line(message)
    )
