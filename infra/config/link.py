"""The private network link: a Transit Gateway per linked AWS region, site-to-site VPN to the
Azure DR VPN gateway (BGP, IKEv2, active-active) and, optionally, to on-premises sites.

Bring-up has two phases because each side needs the other's public addresses
(docs/azure-dr.md, "Cross-cloud link"): with ``azure_gateway_ips`` empty the AWS side creates
only the Transit Gateway, its VPC attachment and routes (phase 1); once ``python -m azure_dr
outputs`` shows the Azure gateway's two public addresses and they are set here, the AWS side
adds the customer gateways and VPN connections (phase 2), and ``python -m azure_dr sync`` adds
the Azure local network gateways and connections for the AWS tunnels' outside addresses.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, model_validator

from infra.config.base import AwsRegion, StrictModel

# Azure accepts custom APIPA BGP addresses only in 169.254.21.0 - 169.254.22.255 ("About BGP and
# VPN Gateway", custom APIPA addresses); AWS needs a /30 inside CIDR per tunnel.
AZURE_APIPA = (ipaddress.IPv4Network("169.254.21.0/24"), ipaddress.IPv4Network("169.254.22.0/24"))
LINK_LOCAL = ipaddress.IPv4Network("169.254.0.0/16")
# AWS rejects these tunnel inside CIDRs (VpnTunnelOptionsSpecification, TunnelInsideCidr).
AWS_RESERVED_INSIDE = tuple(
    ipaddress.IPv4Network(c)
    for c in ("169.254.0.0/30", "169.254.1.0/30", "169.254.2.0/30", "169.254.3.0/30",
              "169.254.4.0/30", "169.254.5.0/30", "169.254.169.252/30")
)  # fmt: skip
# Azure reserves these ASNs for its own gateways and route servers.
AZURE_RESERVED_ASNS = frozenset({8074, 8075, 12076, 65515, 65517, 65518, 65519, 65520})
# Tunnels per linked region: two VPN connections (one per Azure gateway instance), two tunnels
# each, the AWS way of making every Azure instance and every AWS endpoint redundant.
TUNNELS_PER_REGION = 4


def _private_asn(value: int) -> int:
    if not (64512 <= value <= 65534 or 4200000000 <= value <= 4294967294):
        raise ValueError(
            f"{value} is not a private ASN (64512-65534 or 4200000000-4294967294): "
            "a public ASN would be announced as someone else's"
        )
    return value


def _inside_cidr(value: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
    if value.prefixlen != 30 or not value.subnet_of(LINK_LOCAL):
        raise ValueError(f"{value} is not a /30 in 169.254.0.0/16 (a tunnel inside CIDR)")
    for reserved in AWS_RESERVED_INSIDE:
        if value.overlaps(reserved):
            raise ValueError(f"{value} is reserved by AWS for tunnel inside addresses")
    return value


PrivateAsn = Annotated[int, AfterValidator(_private_asn)]
InsideCidr = Annotated[ipaddress.IPv4Network, AfterValidator(_inside_cidr)]


@dataclass(frozen=True)
class TunnelPolicy:
    """The single IKEv2/IPsec suite both sides offer (Azure: the connection's ipsecPolicies)."""

    phase1_encryption: str = "AES256"
    phase1_integrity: str = "SHA2-256"
    phase1_dh_group: int = 14
    phase1_lifetime_seconds: int = 28800
    phase2_encryption: str = "AES256"
    phase2_integrity: str = "SHA2-256"
    phase2_dh_group: int = 14  # PFS
    phase2_lifetime_seconds: int = 3600


TUNNEL_POLICY = TunnelPolicy()


def tunnel_addresses(cidr: ipaddress.IPv4Network) -> tuple[str, str]:
    """(AWS side, remote side) BGP addresses of a tunnel: AWS takes the first host."""
    first, second = list(cidr.hosts())
    return str(first), str(second)


class Site(StrictModel):
    """An on-premises site on the Transit Gateway of one linked region."""

    name: str = Field(pattern=r"^[a-z][a-z0-9-]{1,30}$")
    """Short name; part of the customer gateway's and VPN connection's names."""
    region: AwsRegion
    """Linked AWS region whose Transit Gateway terminates the site's VPN."""
    public_ip: ipaddress.IPv4Address
    """Public address of the site's VPN device (the customer gateway)."""
    asn: PrivateAsn
    """BGP ASN of the site's VPN device."""
    cidrs: list[ipaddress.IPv4Network] = Field(min_length=1)
    """Address ranges of the site; must not overlap any VPC, the VNet or another site."""
    inside_cidrs: list[InsideCidr] = Field(min_length=2, max_length=2)
    """The /30 inside CIDRs of the connection's two tunnels (169.254.0.0/16)."""
    data_access: bool = False
    """Open the data tier (PostgreSQL port) to the site's CIDRs: routes, network ACLs and the
    database security group. Off: the site reaches the VPC's routes only, no tier admits it."""


class LinkConfig(StrictModel):
    enabled: bool = False
    """Build the Transit Gateway in the primary and standby regions and the Azure VPN gateway."""
    continuous_replication: bool = False
    """Let the Azure DR footprint (AKS and the PostgreSQL server) reach RDS on the PostgreSQL
    port over the VPN (logical replication): VPC routes of the data tier, network ACLs, the
    database security group and the Azure NSGs. Off: the tunnel carries no database traffic."""
    aws_asn: PrivateAsn = 64512
    """BGP ASN of the AWS Transit Gateways (the same in each linked region)."""
    azure_asn: PrivateAsn = 65010
    """BGP ASN of the Azure VPN gateway (not one Azure reserves: 65515, 65517-65520)."""
    azure_gateway_sku: Literal["VpnGw1AZ", "VpnGw2AZ", "VpnGw3AZ", "VpnGw4AZ", "VpnGw5AZ"] = (
        "VpnGw2AZ"
    )
    """Zone-redundant VPN gateway SKU (generation 2); the AZ SKUs need zone-redundant IPs."""
    azure_gateway_ips: list[ipaddress.IPv4Address] = Field(default_factory=list, max_length=2)
    """The Azure gateway's two public addresses (`python -m azure_dr outputs`, vpnGatewayIps).
    Empty: phase 1, the AWS side creates no customer gateway or VPN connection yet."""
    aws_tunnel_addresses: dict[AwsRegion, list[ipaddress.IPv4Address]] = Field(default_factory=dict)
    """Outside addresses of each region's four AWS tunnels, in connection then tunnel order,
    for `azure_dr sync` runs without AWS credentials (with them it reads the VPN connections)."""
    tunnel_inside_cidrs: dict[AwsRegion, list[InsideCidr]] = Field(default_factory=dict)
    """Per linked region, the /30 inside CIDRs of its four tunnels (connection 1 tunnel 1,
    c1 t2, c2 t1, c2 t2), inside Azure's APIPA range 169.254.21.0-169.254.22.255."""
    alert_emails: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]] = Field(
        default_factory=list
    )
    """Who the Azure action group of the VPN gateway alerts emails (AWS alarms go to each
    region's alert topic)."""
    sites: list[Site] = Field(default_factory=list)
    """On-premises sites on the same Transit Gateways (optional)."""

    @property
    def phase(self) -> int:
        """1 until the Azure gateway's addresses are configured, then 2."""
        return 2 if self.azure_gateway_ips else 1

    @model_validator(mode="after")
    def _well_formed(self) -> Self:
        if not self.enabled:
            return self
        if self.aws_asn == self.azure_asn:
            raise ValueError(f"link.azure_asn: {self.azure_asn} equals link.aws_asn: BGP needs "
                             "two distinct ASNs")  # fmt: skip
        if self.azure_asn in AZURE_RESERVED_ASNS:
            raise ValueError(f"link.azure_asn: {self.azure_asn} is reserved by Azure")
        if len(self.azure_gateway_ips) not in (0, 2):
            raise ValueError(
                f"link.azure_gateway_ips: {len(self.azure_gateway_ips)} address(es); the "
                "active-active gateway has two (or leave it empty for phase 1)"
            )
        if len(set(self.azure_gateway_ips)) != len(self.azure_gateway_ips):
            raise ValueError("link.azure_gateway_ips: the two addresses must be distinct")
        for region, addresses in self.aws_tunnel_addresses.items():
            if len(addresses) != TUNNELS_PER_REGION:
                raise ValueError(
                    f"link.aws_tunnel_addresses.{region}: {len(addresses)} address(es), "
                    f"expected {TUNNELS_PER_REGION} (two connections of two tunnels)"
                )
        seen: list[tuple[str, ipaddress.IPv4Network]] = []
        for region, cidrs in self.tunnel_inside_cidrs.items():
            if len(cidrs) != TUNNELS_PER_REGION:
                raise ValueError(
                    f"link.tunnel_inside_cidrs.{region}: {len(cidrs)} CIDR(s), expected "
                    f"{TUNNELS_PER_REGION} (two connections of two tunnels)"
                )
            for i, cidr in enumerate(cidrs):
                if not any(cidr.subnet_of(r) for r in AZURE_APIPA):
                    raise ValueError(
                        f"link.tunnel_inside_cidrs.{region}.{i}: {cidr} is outside Azure's APIPA "
                        "range 169.254.21.0-169.254.22.255: the Azure gateway could not take "
                        "the tunnel's BGP address"
                    )
                seen.append((f"link.tunnel_inside_cidrs.{region}.{i}", cidr))
        for site in self.sites:
            for i, cidr in enumerate(site.inside_cidrs):
                seen.append((f"link.sites.{site.name}.inside_cidrs.{i}", cidr))
        for i, (name_a, net_a) in enumerate(seen):
            for name_b, net_b in seen[i + 1 :]:
                if net_a.overlaps(net_b):
                    raise ValueError(f"{name_b}: {net_b} overlaps {name_a} ({net_a})")
        names = [s.name for s in self.sites]
        if len(set(names)) != len(names):
            raise ValueError(f"link.sites: names must be distinct ({', '.join(names)})")
        for site in self.sites:
            if site.asn == self.aws_asn:
                raise ValueError(f"link.sites.{site.name}.asn: {site.asn} equals link.aws_asn")
        return self

    def check_regions(self, linked: list[str]) -> None:
        """Raises ValueError unless the per-region settings name exactly the linked regions."""
        if not self.enabled:
            return
        for region in linked:
            if region not in self.tunnel_inside_cidrs:
                raise ValueError(
                    f"link.tunnel_inside_cidrs.{region}: missing; {region} is linked (primary "
                    "or standby) and needs four tunnel inside CIDRs"
                )
        for key, mapping in (("tunnel_inside_cidrs", self.tunnel_inside_cidrs),
                             ("aws_tunnel_addresses", self.aws_tunnel_addresses)):  # fmt: skip
            for region in mapping:
                if region not in linked:
                    raise ValueError(
                        f"link.{key}.{region}: not a linked region ({', '.join(linked)})"
                    )
        for site in self.sites:
            if site.region not in linked:
                raise ValueError(
                    f"link.sites.{site.name}.region: {site.region} has no Transit Gateway "
                    f"(linked regions: {', '.join(linked)})"
                )
