"""Can a client on the internet reach the application through a public name? Answered from the
synthesized DNS, edge, network and compute templates, following the name the way a request does:

the name's Route 53 records (every record set of the name: failover, latency, or plain alias) ->
either a CloudFront distribution (an alias whose target is a distribution's domain name, an output
of the edge stack) -> the distribution's origin name, resolved again in the zone, with the
request now coming from CloudFront and carrying the distribution's origin custom headers;
or an alias to another record of the zone (resolved again); or a regional ALB (an alias to the
name a region's compute stack publishes, read by an SSM look-up) -> that region's web tier
admits the source on the listener's port (``tools.reachability.NetworkModel``: security groups,
ACLs, routes) -> the HTTPS listener forwards the request (its default action forwards, or a rule
matches the origin header the request carries) -> the answer.

A plain A record (the Azure Application Gateway's address) is reported as such, not followed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tools.reachability import INTERNET, NetworkModel, Verdict

CLOUDFRONT = "cloudfront"
DISTRIBUTION = "AWS::CloudFront::Distribution"
RECORD = "AWS::Route53::RecordSet"


@dataclass(frozen=True)
class Arrival:
    """Where one path of a name ends: an ALB (region) or another endpoint (``address``)."""

    region: str | None
    source: str  # internet or cloudfront: who opens the connection to the ALB
    port: int
    headers: dict[str, str] = field(default_factory=dict, hash=False)
    via: tuple[str, ...] = ()  # names and distributions followed, in order
    address: str | None = None


class NameModel:
    def __init__(
        self,
        dns: dict[str, Any],
        edge: dict[str, Any] | None,
        networks: dict[str, dict[str, Any]],
        computes: dict[str, dict[str, Any]],
    ) -> None:
        self.dns = dns
        self.edge = edge or {"Resources": {}, "Outputs": {}}
        self.networks = {region: NetworkModel(t) for region, t in networks.items()}
        self.computes = computes

    # --- DNS --------------------------------------------------------------------------------
    def records(self, name: str) -> list[dict[str, Any]]:
        fqdn = name.rstrip(".") + "."
        return [
            r["Properties"]
            for r in self.dns["Resources"].values()
            if r["Type"] == RECORD and r["Properties"]["Name"] == fqdn
        ]

    def _lookup_region(self, value: Any) -> str | None:
        """The region of the SSM look-up (an ALB's published name) a value reads, if any."""
        for node in _walk(value):
            if isinstance(node, dict) and "Fn::GetAtt" in node:
                resource = self.dns["Resources"].get(node["Fn::GetAtt"][0], {})
                create = resource.get("Properties", {}).get("Create")
                if isinstance(create, str) and '"getParameter"' in create:
                    return str(json.loads(create)["region"])
        return None

    def _distribution(self, dns_name: Any) -> str | None:
        """Logical id of the edge distribution whose domain name an alias target names."""
        if isinstance(dns_name, dict) and "Fn::GetStackOutput" in dns_name:
            output = self.edge.get("Outputs", {}).get(dns_name["Fn::GetStackOutput"]["OutputName"])
            value = (output or {}).get("Value", {})
            if isinstance(value, dict) and value.get("Fn::GetAtt", [None, None])[1] == "DomainName":
                logical_id = str(value["Fn::GetAtt"][0])
                if self.edge["Resources"].get(logical_id, {}).get("Type") == DISTRIBUTION:
                    return logical_id
        return None

    def arrivals(
        self, name: str, source: str = INTERNET, port: int = 443, **kwargs: Any
    ) -> list[Arrival]:
        """Every endpoint a request to ``name`` can end at, whichever record answers."""
        headers: dict[str, str] = kwargs.get("headers", {})
        via: tuple[str, ...] = (*kwargs.get("via", ()), name.rstrip("."))
        if len(via) > 8:
            raise ValueError(f"{' -> '.join(via)}: the names loop")
        found: list[Arrival] = []
        for record in self.records(name):
            alias = record.get("AliasTarget")
            if alias is None:
                for address in record.get("ResourceRecords", []):
                    found.append(Arrival(None, source, port, headers, via, address=str(address)))
                continue
            distribution = self._distribution(alias["DNSName"])
            region = self._lookup_region(alias["DNSName"])
            if distribution is not None:
                found += self._through_distribution(distribution, via)
            elif region is not None:
                found.append(Arrival(region, source, port, headers, via))
            elif isinstance(alias["DNSName"], str):
                found += self.arrivals(alias["DNSName"], source, port, headers=headers, via=via)
        return found

    def _through_distribution(self, logical_id: str, via: tuple[str, ...]) -> list[Arrival]:
        config = self.edge["Resources"][logical_id]["Properties"]["DistributionConfig"]
        origins = {o["Id"]: o for o in config["Origins"]}
        behaviours = [config["DefaultCacheBehavior"], *config.get("CacheBehaviors", [])]
        found = []
        for origin_id in dict.fromkeys(b["TargetOriginId"] for b in behaviours):
            origin = origins[origin_id]
            custom = origin.get("CustomOriginConfig", {})
            headers = {
                h["HeaderName"]: h["HeaderValue"] for h in origin.get("OriginCustomHeaders", [])
            }
            found += self.arrivals(
                origin["DomainName"],
                CLOUDFRONT,
                int(custom.get("HTTPSPort", 443)),
                headers=headers,
                via=(*via, f"distribution {logical_id}"),
            )
        return found

    # --- the ALB ----------------------------------------------------------------------------
    def _listener_forwards(self, region: str, port: int, headers: dict[str, str]) -> Verdict:
        resources = self.computes[region]["Resources"]
        listeners = {
            k: v["Properties"]
            for k, v in resources.items()
            if v["Type"] == "AWS::ElasticLoadBalancingV2::Listener"
            and v["Properties"]["Port"] == port
        }
        if not listeners:
            return Verdict(False, f"no listener on port {port}")
        for listener_id, listener in listeners.items():
            if any(a["Type"] == "forward" for a in listener["DefaultActions"]):
                return Verdict(True, "the listener forwards every request")
            for rule in resources.values():
                if rule["Type"] != "AWS::ElasticLoadBalancingV2::ListenerRule":
                    continue
                props = rule["Properties"]
                if _ref(props["ListenerArn"]) != listener_id:
                    continue
                if not any(a["Type"] == "forward" for a in props["Actions"]):
                    continue
                if all(_condition_matches(c, headers) for c in props["Conditions"]):
                    return Verdict(True, "a listener rule forwards requests with the origin header")
        return Verdict(False, "the listener answers 403: no rule matches the request's headers")

    def can_reach(self, name: str) -> dict[str, Verdict]:
        """Per endpoint (ALB region, or address): can an internet client's HTTPS request to
        ``name`` be forwarded to the application there?"""
        verdicts: dict[str, Verdict] = {}
        for arrival in self.arrivals(name):
            if arrival.region is None:
                key = f"address {arrival.address}"
                verdicts[key] = Verdict(False, "not an AWS ALB (not followed)")
                continue
            path = " -> ".join(arrival.via)
            network = self.networks[arrival.region].can_reach(arrival.source, "web", arrival.port)
            if not network:
                verdict = Verdict(False, f"{path}: {arrival.source} -> web: {network.reason}")
            else:
                listener = self._listener_forwards(arrival.region, arrival.port, arrival.headers)
                verdict = Verdict(listener.allowed, f"{path}: {listener.reason}")
            previous = verdicts.get(arrival.region)
            # Two paths to one region (never in our templates): it is reachable if one works.
            if previous is None or (verdict.allowed and not previous.allowed):
                verdicts[arrival.region] = verdict
        return verdicts


def _condition_matches(condition: dict[str, Any], headers: dict[str, str]) -> bool:
    """Whether a listener-rule condition matches a request to any path with ``headers``."""
    if condition["Field"] == "http-header":
        config = condition["HttpHeaderConfig"]
        return headers.get(config["HttpHeaderName"]) in config["Values"]
    # A path condition matches only some paths (the health path): not a general way in.
    return False


def _walk(value: Any) -> Any:
    yield value
    if isinstance(value, dict):
        for inner in value.values():
            yield from _walk(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _walk(inner)


def _ref(value: Any) -> str:
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
    return str(value)
