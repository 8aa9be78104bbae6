"""Which TLS versions each ALB security policy offers, and which ones Route 53 health checkers
can negotiate: the one place both sides of the health check -> listener link are written down.

Sources (checked 2026-12-02):
- ALB policies: "Security policies for your Application Load Balancer"
  (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html).
  The policy names encode the protocols: ``TLS13-1-3`` offers TLS 1.3 only, ``TLS13-1-2`` offers
  TLS 1.2 and 1.3 (``Res`` restricts TLS 1.2 to ECDHE AES-GCM ciphers, ``Ext1``/``Ext2`` add older
  ones), ``PQ`` adds hybrid post-quantum key exchange (ML-KEM) for TLS 1.3 clients that offer it.
  AWS recommends ``ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09`` (the console default).
- Route 53: HealthCheckConfig ``Type`` (API reference): "If you specify HTTPS for the value of
  Type, the endpoint must support TLS v1.0, v1.1, or v1.2"
  (https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html).
"""

from __future__ import annotations

TLS_1_2_AND_1_3 = frozenset({"1.2", "1.3"})
TLS_1_3_ONLY = frozenset({"1.3"})

# ALB security policy -> TLS protocol versions it offers to clients.
ALB_POLICY_TLS_VERSIONS: dict[str, frozenset[str]] = {
    "ELBSecurityPolicy-TLS13-1-3-2021-06": TLS_1_3_ONLY,
    "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09": TLS_1_3_ONLY,
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06": TLS_1_2_AND_1_3,
    "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09": TLS_1_2_AND_1_3,
    "ELBSecurityPolicy-TLS13-1-2-2021-06": TLS_1_2_AND_1_3,
    "ELBSecurityPolicy-TLS13-1-2-PQ-2025-09": TLS_1_2_AND_1_3,
    "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06": TLS_1_2_AND_1_3,
    "ELBSecurityPolicy-TLS13-1-2-Ext1-PQ-2025-09": TLS_1_2_AND_1_3,
    "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06": TLS_1_2_AND_1_3,
    "ELBSecurityPolicy-TLS13-1-2-Ext2-PQ-2025-09": TLS_1_2_AND_1_3,
}

# What a Route 53 HTTPS (or HTTPS_STR_MATCH) health checker negotiates.
ROUTE53_CHECKER_TLS_VERSIONS = frozenset({"1.0", "1.1", "1.2"})
ROUTE53_HTTPS_TYPES = frozenset({"HTTPS", "HTTPS_STR_MATCH"})


def route53_can_negotiate(policy: str) -> bool:
    """True when a Route 53 HTTPS checker and a listener with ``policy`` share a TLS version
    (an unknown policy counts as not negotiable: it must be added to the table first)."""
    return bool(ALB_POLICY_TLS_VERSIONS.get(policy, frozenset()) & ROUTE53_CHECKER_TLS_VERSIONS)


def describe_versions(policy: str) -> str:
    versions = sorted(ALB_POLICY_TLS_VERSIONS.get(policy, frozenset()))
    return ", ".join(f"TLS {v}" for v in versions) or "no TLS version known to this table"
