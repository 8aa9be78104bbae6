"""Route 53's health check of the Azure level and the Application Gateway it checks: the
check must request the gateway listener's port and the gateway probe's path, at the gateway's
public address, or Route 53 would judge Azure on something the gateway does not serve."""

from __future__ import annotations

from typing import Any

from azure_dr.footprint import build_footprint
from tests.stacks.template_queries import ref_target, resources
from tests.synth import SynthesizedEnvironment


def _gateway(production: SynthesizedEnvironment) -> dict[str, Any]:
    footprint = build_footprint(production.config)
    (gateway,) = (
        r
        for r in footprint.template["resources"]
        if r["type"] == "Microsoft.Network/applicationGateways"
    )
    return gateway["properties"]


def test_azure_health_check_targets_the_gateway_listener_and_probe(
    production: SynthesizedEnvironment,
):
    gateway = _gateway(production)
    (listener,) = gateway["httpListeners"]
    port_name = listener["properties"]["frontendPort"]["id"].split("'")[-2]
    (port,) = (p for p in gateway["frontendPorts"] if p["name"] == port_name)
    (probe,) = gateway["probes"]
    dns = production.config.dns
    template = production.template("dns", "global")
    (azure_record,) = (
        r
        for r in resources(template, "AWS::Route53::RecordSet").values()
        if r["Properties"].get("SetIdentifier") == "secondary-azure"
    )
    check = template["Resources"][ref_target(azure_record["Properties"]["HealthCheckId"])]
    config = check["Properties"]["HealthCheckConfig"]
    assert listener["properties"]["protocol"] == "Https" and config["Type"] == "HTTPS", (
        "the gateway listener and the Route 53 check disagree on the protocol"
    )
    assert config["Port"] == port["properties"]["port"], (
        f"Route 53 checks port {config['Port']}, the gateway listens on "
        f"{port['properties']['port']}"
    )
    assert config["ResourcePath"] == probe["properties"]["path"], (
        f"Route 53 requests {config['ResourcePath']}, the gateway probes "
        f"{probe['properties']['path']}"
    )
    assert config["IPAddress"] == str(production.config.azure.ingress.public_ip)
    assert azure_record["Properties"]["ResourceRecords"] == [config["IPAddress"]]
    assert config["FullyQualifiedDomainName"] == f"{dns.application_record}.{dns.domain}"
