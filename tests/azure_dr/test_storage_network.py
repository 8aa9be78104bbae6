"""The storage account's network path: deny by default, public access only for the admitted
AWS egress addresses (NAT Elastic IPs), read from AWS by ``sync`` when it has credentials."""

from __future__ import annotations

import io
import ipaddress
from typing import Any

import boto3
from moto import mock_aws

from azure_dr.cli import _aws_egress
from azure_dr.egress import nat_addresses
from azure_dr.footprint import build_footprint
from azure_dr.footprint.storage import ip_rules
from infra.config import load_config
from tests.unit.config_helpers import config_error, load_mutated, one_line


def account(footprint: Any) -> dict[str, Any]:
    (res,) = (
        r
        for r in footprint.template["resources"]
        if r["type"] == "Microsoft.Storage/storageAccounts"
    )
    return dict(res["properties"])


def test_no_admitted_address_keeps_public_access_disabled() -> None:
    props = account(build_footprint(load_config("production", environ={})))
    assert props["publicNetworkAccess"] == "Disabled"
    assert props["networkAcls"] == {
        "defaultAction": "Deny",
        "bypass": "AzureServices",
        "ipRules": [],
    }


def test_admitted_addresses_open_exactly_those() -> None:
    egress = [ipaddress.IPv4Network("203.0.113.7/32"), ipaddress.IPv4Network("198.51.100.0/30")]
    props = account(build_footprint(load_config("production", environ={}), egress=egress))
    assert props["publicNetworkAccess"] == "Enabled"
    assert props["networkAcls"]["defaultAction"] == "Deny"
    assert props["networkAcls"]["ipRules"] == [
        {"value": "198.51.100.0/30", "action": "Allow"},
        {"value": "203.0.113.7", "action": "Allow"},  # Azure takes no /32 prefix
    ]


def test_a_31_becomes_two_addresses() -> None:
    assert [r["value"] for r in ip_rules([ipaddress.IPv4Network("203.0.113.8/31")])] == [
        "203.0.113.8",
        "203.0.113.9",
    ]


@mock_aws
def test_nat_addresses_of_the_network_stack() -> None:
    ec2 = boto3.client("ec2", region_name="us-west-2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.0.0/24")["Subnet"]["SubnetId"]
    for stack in ("fdr-production-network-us-west-2", "someone-else"):
        eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
        ec2.create_nat_gateway(
            SubnetId=subnet,
            AllocationId=eip,
            TagSpecifications=[
                {
                    "ResourceType": "natgateway",
                    "Tags": [{"Key": "aws:cloudformation:stack-name", "Value": stack}],
                }
            ],
        )
    found = nat_addresses(ec2, "fdr-production-network-us-west-2")
    assert len(found) == 1 and found[0].prefixlen == 32


def test_sync_without_aws_credentials_uses_config_alone() -> None:
    err = io.StringIO()
    assert _aws_egress(load_config("production", environ={}), {}, err) is None
    assert err.getvalue() == ""


def test_config_admits_public_ranges_only(tmp_path: Any) -> None:
    def private(data: dict[str, Any]) -> None:
        data["azure"]["storage"]["allowed_ip_ranges"] = ["10.0.0.0/24"]

    message = one_line(config_error(tmp_path, private))
    assert "allowed_ip_ranges" in message and "10.0.0.0/24 is not a public range" in message


def test_config_dump_needs_its_container_and_object_replication(tmp_path: Any) -> None:
    def wrong(data: dict[str, Any]) -> None:
        data["database_replication"] = {"enabled": True, "container": "nope"}

    message = one_line(config_error(tmp_path, wrong))
    assert "database_replication.container: 'nope'" in message

    def fine(data: dict[str, Any]) -> None:
        data["database_replication"] = {"enabled": True, "mode": "dump"}

    assert load_mutated(tmp_path, fine).database_replication.dump_interval_minutes == 60
