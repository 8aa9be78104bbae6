"""Phase 2 of the cross-cloud link, Azure side: the AWS tunnels' outside addresses.

With AWS credentials, read them from the linked regions' VPN connections (found by their Name
tags, ``<project>-<env>-link-<region>-azure-<n>``, infra/stacks/link.py); each tunnel is matched
to the configured inside CIDR, so a connection built from another configuration is an error,
not a silently crossed tunnel. Without credentials, ``link.aws_tunnel_addresses`` is used; a
region with neither stays in phase 1 (its Azure connections are not created yet).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from azure_dr.errors import AzureDrError
from infra.config import EnvironmentConfig
from infra.naming import Names, azure_connection_name

Log = Callable[[str], None]


def read_tunnel_addresses(
    config: EnvironmentConfig, session: Any | None, log: Log
) -> dict[str, list[str]]:
    """region -> the four outside addresses, in connection then tunnel order."""
    link = config.link
    if not config.linked_regions:
        return {}
    configured = {r: [str(a) for a in v] for r, v in link.aws_tunnel_addresses.items()}
    if not link.azure_gateway_ips:
        log("link: phase 1 (link.azure_gateway_ips is empty): no AWS tunnels to connect yet")
        return {}
    if session is None or session.get_credentials() is None:
        source = ", ".join(configured) or "no region"
        log(f"link: no AWS credentials; tunnel addresses from config ({source})")
        return configured
    names = Names(config.project, config.name)
    found: dict[str, list[str]] = {}
    for region in config.linked_regions:
        prefix = names.resource("link", region)
        wanted = [azure_connection_name(prefix, i) for i in (1, 2)]
        ec2 = session.client("ec2", region_name=region)
        response = ec2.describe_vpn_connections(
            Filters=[
                {"Name": "tag:Name", "Values": wanted},
                {"Name": "state", "Values": ["pending", "available"]},
            ]
        )
        by_name = {
            _tag(c, "Name"): c for c in response.get("VpnConnections", []) if _tag(c, "Name")
        }
        missing = [n for n in wanted if n not in by_name]
        if missing:
            if region in configured:
                log(f"link: {region}: {', '.join(missing)} not found in AWS; using config")
                found[region] = configured[region]
            else:
                log(f"link: {region}: {', '.join(missing)} not found in AWS (deploy the link "
                    "stack first); its Azure connections wait for phase 2")  # fmt: skip
            continue
        inside = [str(c) for c in link.tunnel_inside_cidrs[region]]
        addresses: list[str] = []
        for index, name in enumerate(wanted):
            expected = inside[2 * index : 2 * index + 2]
            tunnels = {
                t.get("TunnelInsideCidr"): t.get("OutsideIpAddress")
                for t in by_name[name].get("Options", {}).get("TunnelOptions", [])
            }
            for cidr in expected:
                if not tunnels.get(cidr):
                    has = ", ".join(sorted(map(str, tunnels))) or "none"
                    raise AzureDrError(
                        f"AWS VPN connection {name} ({by_name[name]['VpnConnectionId']}) has no "
                        f"tunnel with inside CIDR {cidr} (it has {has}): "
                        f"link.tunnel_inside_cidrs.{region} and the deployed link stack disagree"
                    )
                addresses.append(str(tunnels[cidr]))
        log(f"link: {region}: tunnel addresses read from AWS ({', '.join(wanted)})")
        found[region] = addresses
    return found


def _tag(resource: dict[str, Any], key: str) -> str | None:
    return next((t["Value"] for t in resource.get("Tags", []) if t["Key"] == key), None)
