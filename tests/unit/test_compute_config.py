"""Compute, ingress and DNS config: each kind of bad input gets one clear line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk import aws_eks_v2 as eks

from infra.config.compute import SUPPORTED_KUBERNETES_VERSIONS, TlsPolicy
from infra.config.tls import ALB_POLICY_TLS_VERSIONS, route53_can_negotiate
from infra.constructs.eks_cluster import kubernetes_version
from infra.constructs.ingress import SSL_POLICIES
from tests.unit.config_helpers import config_error, load_mutated


def _one_line(message: str) -> str:
    assert "\n" not in message, message
    return message


def _group(c: dict[str, Any], name: str = "application") -> dict[str, Any]:
    return c["compute"]["node_groups"][name]


def test_every_supported_kubernetes_version_exists_in_the_library():
    for version in SUPPORTED_KUBERNETES_VERSIONS:
        assert isinstance(kubernetes_version(version), eks.KubernetesVersion)


def test_every_tls_policy_maps_to_a_cdk_policy_and_its_tls_versions():
    assert set(SSL_POLICIES) == set(TlsPolicy.__args__)  # type: ignore[attr-defined]
    assert set(ALB_POLICY_TLS_VERSIONS) == set(SSL_POLICIES)


@pytest.mark.parametrize(
    ("policy", "negotiable"),
    [
        ("ELBSecurityPolicy-TLS13-1-3-2021-06", False),
        ("ELBSecurityPolicy-TLS13-1-3-PQ-2025-09", False),
        ("ELBSecurityPolicy-TLS13-1-2-Res-2021-06", True),
        ("ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09", True),
        ("ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06", True),
        ("ELBSecurityPolicy-unknown", False),
    ],
)
def test_route53_checkers_negotiate_tls12_policies_only(policy: str, negotiable: bool):
    assert route53_can_negotiate(policy) is negotiable


def test_tls13_only_listener_is_rejected_while_https_health_checks_probe_it(tmp_path: Path):
    message = config_error(
        tmp_path, lambda c: c["ingress"].update(tls_policy="ELBSecurityPolicy-TLS13-1-3-2021-06")
    )
    assert _one_line(message).endswith(
        "production.yaml: ingress.tls_policy: ELBSecurityPolicy-TLS13-1-3-2021-06 offers "
        "TLS 1.3 only, but the Route 53 HTTPS health checks (dns.health_check) negotiate TLS "
        "1.0-1.2: every check would fail and DNS failover would never happen; use a policy that "
        "also offers TLS 1.2, e.g. ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
    )


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda c: _group(c)["scaling"].update(min_size=7),
            "compute.node_groups.application.scaling: min_size <= desired_size <= max_size must "
            "hold, got 7 / 6 / 20",
        ),
        (
            lambda c: _group(c)["scaling"].update(desired_size=21),
            "compute.node_groups.application.scaling: min_size <= desired_size <= max_size must "
            "hold, got 3 / 21 / 20",
        ),
        (
            lambda c: c["compute"]["scaling_by_role"]["standby"]["database"].update(max_size=1),
            "compute.scaling_by_role.standby.database: min_size <= desired_size <= max_size must "
            "hold, got 2 / 2 / 1",
        ),
        (
            lambda c: _group(c)["instance_types"].append("m5.huge"),
            "compute.node_groups.application.instance_types.3: 'm5.huge' is not an EC2 instance "
            "type such as m5.xlarge",
        ),
        (
            lambda c: _group(c)["instance_types"].append("m6g.xlarge"),
            "mix arm64 (Graviton) and x86_64",
        ),
        (
            lambda c: _group(c, "ai-processing").update(ami_type="AL2023_X86_64_STANDARD"),
            "have GPUs but ami_type AL2023_X86_64_STANDARD has no NVIDIA drivers",
        ),
        (
            lambda c: c["compute"].update(kubernetes_version="1.21"),
            "compute.kubernetes_version: '1.21' is not a supported Kubernetes version",
        ),
        (
            lambda c: c["compute"].update(public_endpoint_cidrs=["10.0.0.1/8"]),
            "compute.public_endpoint_cidrs.0: '10.0.0.1/8' is not a CIDR block",
        ),
        (
            lambda c: c["compute"].update(public_endpoint_cidrs=["2001:db8::/32"]),
            "compute.public_endpoint_cidrs.0: '2001:db8::/32': the EKS public endpoint "
            "allow-list takes IPv4 CIDRs",
        ),
        (
            lambda c: c["compute"]["addons"].pop("coredns"),
            "compute.addons: missing pinned version for coredns",
        ),
        (
            lambda c: c["compute"]["addons"].update({"vpc-cni": "latest"}),
            "compute.addons: vpc-cni: 'latest' is not an add-on version like v1.2.3-eksbuild.1",
        ),
        (
            lambda c: c["compute"]["scaling_by_role"]["standby"].update(
                gpu={"min_size": 0, "desired_size": 0, "max_size": 1}
            ),
            "compute.scaling_by_role.standby: unknown node group gpu",
        ),
        (
            lambda c: _group(c).update(taints=[{"key": "a", "value": "b", "effect": "Never"}]),
            "compute.node_groups.application.taints.0.effect:",
        ),
        (
            lambda c: c["compute"].update(developer_namespaces=["kube-system"]),
            "compute.developer_namespaces: 'kube-system' is not a namespace developers may edit",
        ),
        (
            lambda c: c["ingress"]["waf"].update(rate_limit_per_5_minutes=5),
            "ingress.waf.rate_limit_per_5_minutes: Input should be greater than or equal to 10",
        ),
        (
            lambda c: c["ingress"].update(health_check_path="healthz"),
            "ingress.health_check_path: 'healthz' is not an absolute HTTP path such as /healthz",
        ),
        (
            lambda c: c["ingress"].update(tls_policy="ELBSecurityPolicy-2016-08"),
            "ingress.tls_policy: Input should be",
        ),
        (
            lambda c: c["ingress"].update(
                certificate_arns={
                    "eu-west-1": "arn:aws:acm:us-east-1:333333333333:certificate/"
                    "12345678-1234-1234-1234-123456789012"
                }
            ),
            "is in us-east-1; an ALB needs a certificate of its own region",
        ),
        (
            lambda c: c["ingress"].update(
                certificate_arns={
                    "us-east-2": "arn:aws:acm:us-east-2:333333333333:certificate/"
                    "12345678-1234-1234-1234-123456789012"
                }
            ),
            "ingress.certificate_arns.us-east-2: not a configured region",
        ),
    ],
)
def test_bad_compute_input_is_one_clear_line(tmp_path: Path, mutate, expected: str):
    assert expected in _one_line(config_error(tmp_path, mutate))


def test_existing_certificate_per_region_is_accepted(tmp_path: Path):
    arn = "arn:aws:acm:eu-west-1:333333333333:certificate/12345678-1234-1234-1234-123456789012"
    config = load_mutated(
        tmp_path, lambda c: c["ingress"].update(certificate_arns={"eu-west-1": arn})
    )
    assert config.ingress.certificate_arns == {"eu-west-1": arn}
