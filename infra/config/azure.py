"""Azure DR settings read by ``azure_dr``. The AWS app only reads the reserved CIDR."""

from __future__ import annotations

import ipaddress

from infra.config.base import StrictModel


class AzureConfig(StrictModel):
    vnet_cidr: ipaddress.IPv4Network
    """Address space of the Azure DR VNet; reserved so that it never overlaps an AWS VPC."""
