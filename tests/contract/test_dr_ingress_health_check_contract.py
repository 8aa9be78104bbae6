"""Route 53's health check of the Azure level and the Application Gateway it checks: the
check must request the gateway listener's port and the gateway probe's path, at the gateway's
public address, or Route 53 would judge Azure on something the gateway does not serve."""

from __future__ import annotations

from typing import Any

from azure_dr.footprint import build_footprint
from tests.stacks.template_queries import ref_target, resources
from tests.synth import SynthesizedEnvironment

# Microsoft's "Application Gateway TLS policy overview": the predefined policies offering TLS 1.2
# (20220101 and 20220101S also offer 1.3; a CustomV2 policy with minimum TLS 1.3 would not).
APP_GATEWAY_POLICIES_WITH_TLS12 = frozenset(
    {"AppGwSslPolicy20170401S", "AppGwSslPolicy20220101", "AppGwSslPolicy20220101S"}
)


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
    # Route 53 HTTPS checkers negotiate TLS 1.0-1.2 only: the gateway's policy must offer 1.2.
    assert gateway["sslPolicy"]["policyName"] in APP_GATEWAY_POLICIES_WITH_TLS12
    assert config["IPAddress"] == str(production.config.azure.ingress.public_ip)
    assert azure_record["Properties"]["ResourceRecords"] == [config["IPAddress"]]
    # the name the failover chain answers (origin.<domain> behind the edge): the SNI the
    # gateway's certificate must cover
    assert config["FullyQualifiedDomainName"] == production.config.failover_record


def test_failover_finds_the_dns_stack_gates_and_alb_checks_by_their_name_tags(
    production: SynthesizedEnvironment,
):
    """``azure_dr failover`` looks health checks up by Name tag; the DNS stack writes them."""
    from azure_dr.failover.wiring import failover_names

    names = failover_names(production.config)
    template = production.template("dns", "global")
    tags = {
        {t["Key"]: t["Value"] for t in check["Properties"].get("HealthCheckTags", [])}.get("Name")
        for check in resources(template, "AWS::Route53::HealthCheck").values()
    }
    roles = {r: c.role for r, c in production.config.regions.items()}
    for region in production.config.dns.application_regions(roles):
        assert names.dr_gate(region) in tags, f"no gate tagged {names.dr_gate(region)}: {tags}"
        assert names.alb_health_check(region) in tags, (
            f"no ALB check tagged {names.alb_health_check(region)}: {tags}"
        )
