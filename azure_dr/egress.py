"""The AWS egress addresses the DR storage account must admit: the Elastic IPs of the NAT
gateways of the replication region's VPC (the object replication functions and the dump job run
in its application subnets and leave through them).

``sync`` reads them with boto3 when AWS credentials are present in its environment, else uses
``azure.storage.allowed_ip_ranges`` alone: the two-phase bring-up of docs/database-to-azure.md
(1. deploy AWS, 2. ``sync`` with AWS credentials, or copy the addresses into config)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

CREDENTIAL_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
)


def has_aws_credentials(environ: Mapping[str, str]) -> bool:
    return any(environ.get(name) for name in CREDENTIAL_VARIABLES)


def nat_addresses(ec2: Any, network_stack: str) -> list[ipaddress.IPv4Network]:
    """Public IPs of the available NAT gateways the network stack created (its CloudFormation
    tag), as /32 networks."""
    found: list[ipaddress.IPv4Network] = []
    pages = ec2.get_paginator("describe_nat_gateways").paginate(
        Filters=[
            {"Name": "tag:aws:cloudformation:stack-name", "Values": [network_stack]},
            {"Name": "state", "Values": ["available"]},
        ]
    )
    for page in pages:
        for gateway in page.get("NatGateways", []):
            # Checked here as well: the filter is the server's (and emulators ignore it).
            tags = {t["Key"]: t["Value"] for t in gateway.get("Tags", [])}
            if tags.get("aws:cloudformation:stack-name") != network_stack:
                continue
            for address in gateway.get("NatGatewayAddresses", []):
                if address.get("PublicIp"):
                    found.append(ipaddress.IPv4Network(f"{address['PublicIp']}/32"))
    return sorted(set(found))
