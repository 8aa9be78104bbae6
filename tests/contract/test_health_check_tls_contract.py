"""Contract: every Route 53 HTTPS health check probes a listener it can actually talk to.

Both sides are read from the synthesized templates of one environment. The DNS stack side: each
HTTPS (or HTTPS_STR_MATCH) health check, its FQDN (an SDK call reading an SSM parameter in a
region), port and path. The compute stack side, found only through what the check targets: the
SSM parameter of that name in that region's template, the ALB whose DNS name it publishes, that
ALB's listener on the checked port, its SSL policy and the target group it forwards to. The TLS
versions each side speaks come from one table (``infra/config/tls.py``, from the ELB and Route 53
docs).
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from typing import Any

from infra.config.tls import (
    ALB_POLICY_TLS_VERSIONS,
    ROUTE53_CHECKER_TLS_VERSIONS,
    ROUTE53_HTTPS_TYPES,
)
from tests.stacks.template_queries import ref_target, resources
from tests.synth import SynthesizedEnvironment


@dataclass(frozen=True)
class CheckedListener:
    check_id: str
    region: str
    stack: str
    check: dict[str, Any]
    listener: dict[str, Any]
    target_group: dict[str, Any]


def _stack_region(env: SynthesizedEnvironment, stack: str) -> str:
    return env.manifest["artifacts"][stack]["environment"].rsplit("/", 1)[-1]


def _sdk_call(dns: dict[str, Any], fqdn: Any) -> dict[str, Any]:
    """The SSM GetParameter call whose result the health check's FQDN is."""
    assert isinstance(fqdn, dict) and "Fn::GetAtt" in fqdn, f"FQDN is not a looked-up name: {fqdn}"
    lookup_id, attribute = fqdn["Fn::GetAtt"]
    assert attribute == "Parameter.Value", attribute
    call = json.loads(dns["Resources"][lookup_id]["Properties"]["Create"])
    assert (call["service"], call["action"]) == ("SSM", "getParameter"), call
    return call


def _get_att(value: Any) -> str | None:
    """The attribute name of an Fn::GetAtt value (None for anything else)."""
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][1])
    return None


def _alb_publishing(env: SynthesizedEnvironment, region: str, parameter: str) -> tuple[str, str]:
    """(stack, ALB logical id) of the template in ``region`` that writes ``parameter`` from an
    ALB's DNS name."""
    found = [
        (stack, ref_target(p["Properties"]["Value"]))
        for stack, template in env.templates.items()
        if _stack_region(env, stack) == region
        for p in resources(template, "AWS::SSM::Parameter").values()
        if p["Properties"].get("Name") == parameter
        and _get_att(p["Properties"]["Value"]) == "DNSName"
    ]
    assert len(found) == 1, f"{parameter} in {region} is written by {found}, expected one ALB"
    return found[0]


def _action_for_checkers(
    template: dict[str, Any], listener_id: str, listener: dict[str, Any], path: str
) -> dict[str, Any]:
    """What the listener does with a checker's ``GET path``: the first rule (by priority) whose
    conditions all match it, else the default action. A checker sends no custom header, so a
    rule that demands one (the edge's origin header) never matches."""
    rules = sorted(
        (
            r["Properties"]
            for r in resources(template, "AWS::ElasticLoadBalancingV2::ListenerRule").values()
            if ref_target(r["Properties"]["ListenerArn"]) == listener_id
        ),
        key=lambda rule: int(rule["Priority"]),
    )

    def matches(condition: dict[str, Any]) -> bool:
        if condition["Field"] == "path-pattern":
            patterns = condition["PathPatternConfig"]["Values"]
            return any(fnmatch.fnmatchcase(path, p) for p in patterns)
        if condition["Field"] == "http-request-method":
            return "GET" in condition["HttpRequestMethodConfig"]["Values"]
        return False

    for rule in rules:
        if all(matches(c) for c in rule["Conditions"]):
            (action,) = rule["Actions"]
            return dict(action)
    (action,) = listener["DefaultActions"]
    return dict(action)


def checked_listeners(env: SynthesizedEnvironment) -> list[CheckedListener]:
    dns = env.template("dns", "global")
    pairs = []
    for check_id, check in resources(dns, "AWS::Route53::HealthCheck").items():
        config = check["Properties"]["HealthCheckConfig"]
        if config["Type"] not in ROUTE53_HTTPS_TYPES:
            continue
        if "IPAddress" in config:  # the Azure gateway: test_dr_ingress_health_check_contract.py
            continue
        call = _sdk_call(dns, config["FullyQualifiedDomainName"])
        stack, alb = _alb_publishing(env, call["region"], call["parameters"]["Name"])
        template = env.templates[stack]
        listeners = [
            (listener_id, listener["Properties"])
            for listener_id, listener in resources(
                template, "AWS::ElasticLoadBalancingV2::Listener"
            ).items()
            if ref_target(listener["Properties"]["LoadBalancerArn"]) == alb
            and listener["Properties"]["Port"] == config["Port"]
        ]
        assert len(listeners) == 1, f"{check_id}: no single listener on port {config['Port']}"
        action = _action_for_checkers(template, *listeners[0], config["ResourcePath"])
        assert action["Type"] == "forward", f"{check_id}: listener does not forward: {action}"
        target_group = template["Resources"][ref_target(action["TargetGroupArn"])]["Properties"]
        pairs.append(
            CheckedListener(check_id, call["region"], stack, config, listeners[0][1], target_group)
        )
    return pairs


def test_every_ingress_region_has_an_https_health_check(any_env: SynthesizedEnvironment):
    roles = {r: c.role for r, c in any_env.config.regions.items()}
    checked = {pair.region for pair in checked_listeners(any_env)}
    assert checked == set(any_env.config.dns.ingress_regions(roles))


def test_route53_checkers_can_negotiate_every_checked_listener(any_env: SynthesizedEnvironment):
    for pair in checked_listeners(any_env):
        policy = pair.listener.get("SslPolicy")
        offered = ALB_POLICY_TLS_VERSIONS.get(policy or "", frozenset())
        assert offered & ROUTE53_CHECKER_TLS_VERSIONS, (
            f"{pair.check_id} ({pair.region}) probes {pair.stack} listener with {policy}, which "
            f"offers TLS {sorted(offered)}; Route 53 HTTPS checkers negotiate TLS "
            f"{sorted(ROUTE53_CHECKER_TLS_VERSIONS)} only: the check can never pass"
        )
        assert pair.listener["Protocol"] == "HTTPS"
        # Clients still get TLS 1.3 (the design's requirement).
        assert "1.3" in offered, f"{pair.stack}: {policy} does not offer TLS 1.3"


def test_health_check_probes_what_the_alb_judges_targets_by(any_env: SynthesizedEnvironment):
    for pair in checked_listeners(any_env):
        assert pair.check["Port"] == pair.listener["Port"]
        assert pair.check["ResourcePath"] == pair.target_group["HealthCheckPath"], (
            f"{pair.check_id} requests {pair.check['ResourcePath']} but the ALB of {pair.region} "
            f"judges its targets on {pair.target_group['HealthCheckPath']}"
        )
        # SNI lets the ALB pick the certificate of the domain the checkers ask for.
        assert pair.check["EnableSNI"] is True
