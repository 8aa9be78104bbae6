"""Edge distribution <-> DNS stack <-> ALB certificates, read from both sides: every DNS name a
CloudFront distribution uses as its origin exists as records of the DNS stack that lead to
regional ALBs, and each of those ALBs' certificates covers that name (CloudFront connects to the
origin with the origin name as SNI and Host, and answers 502 when no name of the origin's
certificate matches it); every name a distribution answers (its alias) is an alias record of
that distribution in the DNS stack and is covered by its viewer certificate."""

from __future__ import annotations

from typing import Any

import pytest

from tests.stacks.template_queries import ref_target, resources
from tests.synth import SynthesizedEnvironment
from tools.reachability_names import DISTRIBUTION, NameModel


def _edge(env: SynthesizedEnvironment) -> dict[str, Any]:
    return env.template("edge", "global")


def _names(env: SynthesizedEnvironment, edge: dict[str, Any] | None = None) -> NameModel:
    return NameModel(
        env.template("dns", "global"),
        edge or _edge(env),
        {r: env.template("network", r) for r in env.config.regions},
        {r: env.template("compute", r) for r in env.config.regions},
    )


def covers(certificate_names: list[str], host: str) -> bool:
    """Whether a certificate for these names is valid for ``host`` (a wildcard stands for
    exactly one left-most label, RFC 6125)."""
    for name in certificate_names:
        if name == host:
            return True
        if name.startswith("*.") and host.split(".", 1)[-1] == name[2:] and "." in host:
            return True
    return False


def _certificate_names(template: dict[str, Any], logical_id: str) -> list[str]:
    props = template["Resources"][logical_id]["Properties"]
    return [props["DomainName"], *props.get("SubjectAlternativeNames", [])]


def _alb_certificate(env: SynthesizedEnvironment, region: str) -> list[str] | None:
    """Names of the HTTPS listener's certificate of a region; None for an imported certificate
    (``ingress.certificate_arns``), whose names no template holds."""
    if region in env.config.ingress.certificate_arns:
        return None
    template = env.template("compute", region)
    https = env.config.network.ports.https
    (listener,) = [
        v["Properties"]
        for v in resources(template, "AWS::ElasticLoadBalancingV2::Listener").values()
        if v["Properties"]["Port"] == https
    ]
    (certificate,) = listener["Certificates"]
    return _certificate_names(template, ref_target(certificate["CertificateArn"]))


def _origins(edge: dict[str, Any]) -> list[tuple[str, str]]:
    """(distribution logical id, origin domain name) of every origin of every distribution."""
    return [
        (logical_id, origin["DomainName"])
        for logical_id, distribution in resources(edge, DISTRIBUTION).items()
        for origin in distribution["Properties"]["DistributionConfig"]["Origins"]
    ]


def check_origins(env: SynthesizedEnvironment, edge: dict[str, Any]) -> list[str]:
    """Every origin name is records of the DNS stack that lead to ALBs whose certificates
    cover it. Returns the origins it could not verify (imported certificates)."""
    model = _names(env, edge)
    unverified = []
    for distribution, origin in _origins(edge):
        records = model.records(origin)
        assert records, (
            f"distribution {distribution} uses {origin} as its origin, but the DNS stack has no "
            f"record of that name (it has {sorted({r['Properties']['Name'] for r in resources(env.template('dns', 'global'), 'AWS::Route53::RecordSet').values()})})"  # noqa: E501
        )
        regions = {a.region for a in model.arrivals(origin) if a.region is not None}
        assert regions, f"{origin} (origin of {distribution}) leads to no regional ALB"
        for region in sorted(regions):
            names = _alb_certificate(env, region)
            if names is None:
                unverified.append(f"{origin} on {region}'s imported certificate")
                continue
            assert covers(names, origin), (
                f"distribution {distribution} connects to {origin}, which leads to the ALB in "
                f"{region}, but that ALB's certificate covers only {names}: CloudFront would "
                "answer 502"
            )
    return unverified


def test_every_origin_is_dns_records_to_albs_whose_certificates_cover_it(
    edge_env: SynthesizedEnvironment,
):
    assert check_origins(edge_env, _edge(edge_env)) == []
    origins = {origin for _, origin in _origins(_edge(edge_env))}
    assert origins == {edge_env.config.failover_record, edge_env.config.latency_record}


def test_every_distribution_alias_is_its_dns_alias_and_on_its_viewer_certificate(
    edge_env: SynthesizedEnvironment,
):
    edge = _edge(edge_env)
    model = _names(edge_env)
    for logical_id, distribution in resources(edge, DISTRIBUTION).items():
        config = distribution["Properties"]["DistributionConfig"]
        certificate = _certificate_names(
            edge, ref_target(config["ViewerCertificate"]["AcmCertificateArn"])
        )
        for alias in config["Aliases"]:
            assert covers(certificate, alias), (logical_id, alias, certificate)
            records = model.records(alias)
            assert sorted(r["Type"] for r in records) == ["A", "AAAA"], (alias, records)
            for record in records:
                assert model._distribution(record["AliasTarget"]["DNSName"]) == logical_id, (
                    f"{alias} is an alias of something other than distribution {logical_id}"
                )


def test_no_distribution_without_the_edge(development: SynthesizedEnvironment):
    assert not development.config.edge.enabled
    for template in development.templates.values():
        assert resources(template, DISTRIBUTION) == {}


@pytest.mark.parametrize(
    ("names", "host", "expected"),
    [
        (["fdr.example.com", "*.fdr.example.com"], "read-origin.fdr.example.com", True),
        (["fdr.example.com", "*.fdr.example.com"], "fdr.example.com", True),
        (["fdr.example.com", "*.fdr.example.com"], "a.b.fdr.example.com", False),
        (["app.fdr.example.com"], "origin.fdr.example.com", False),
    ],
)
def test_certificate_name_matching(names: list[str], host: str, expected: bool):
    assert covers(names, host) is expected
