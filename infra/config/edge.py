"""The global edge: a CloudFront distribution in front of every region's ALB (read by the
``edge`` stack, the web security group, the ALB listener and the DNS stack)."""

from __future__ import annotations

import re
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from infra.config.base import LogRetentionDays, StrictModel
from infra.config.dns import RecordLabel

# CloudFront path patterns: a leading /, letters, digits and _-.*$/~"'@:+ (CloudFront's own list).
PATH_PATTERN = re.compile(r"^/[A-Za-z0-9_\-.*$/~\"'@:+]{1,254}$")
# HTTP header token (RFC 9110), lower case; CloudFront forbids overriding some names.
HEADER_NAME = re.compile(r"^x-[a-z0-9-]{1,60}$")

# Viewer security policies that offer TLS 1.3 (all CloudFront policies do; these are the 2021+
# ones): TLSv1.2_2025 adds TLS 1.2 with ECDHE AES-GCM/ChaCha20 only, TLSv1.3_2025 is TLS 1.3 only.
ViewerSecurityPolicy = Literal["TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"]
PriceClass = Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"]


class StaticCacheConfig(StrictModel):
    """TTLs of the static paths' cache policy (the origin's Cache-Control wins within them)."""

    min_ttl_seconds: int = Field(ge=0, le=31_536_000)
    """Shortest time an object stays cached, whatever the origin's Cache-Control says."""
    default_ttl_seconds: int = Field(ge=0, le=31_536_000)
    """Time cached when the origin sends no Cache-Control or Expires."""
    max_ttl_seconds: int = Field(ge=1, le=31_536_000)
    """Longest time an object stays cached, whatever the origin's Cache-Control says."""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.min_ttl_seconds <= self.default_ttl_seconds <= self.max_ttl_seconds:
            raise ValueError(
                f"need min_ttl_seconds <= default_ttl_seconds <= max_ttl_seconds, got "
                f"{self.min_ttl_seconds}, {self.default_ttl_seconds}, {self.max_ttl_seconds}"
            )
        return self


class EdgeConfig(StrictModel):
    enabled: bool = False
    """Put CloudFront in front of the ALBs: ``app.<domain>`` aliases a distribution whose origin is
    the failover chain, moved to ``<origin_record>.<domain>``; ``api-read.<domain>`` aliases a
    second, read-only distribution whose origin is the latency records, moved to
    ``<read_origin_record>.<domain>``; the ALBs accept only CloudFront (and the Route 53 health
    checkers). Off: both names are the records themselves."""
    origin_record: RecordLabel = "origin"
    """Label of the failover chain the distribution uses as its origin, ``<label>.<domain>``."""
    read_origin_record: RecordLabel = "read-origin"
    """Label of the latency records over the read regions, ``<label>.<domain>``: the origin of the
    second (read) distribution that ``<dns.read_record>.<domain>`` aliases. CloudFront resolves it
    from the edge location, so latency routing picks the read region nearest the edge."""
    viewer_security_policy: ViewerSecurityPolicy = "TLSv1.2_2025"
    """Minimum viewer TLS: TLSv1.2_2025 offers TLS 1.3 and strong TLS 1.2 ciphers; TLSv1.3_2025
    refuses every client without TLS 1.3."""
    price_class: PriceClass = "PriceClass_100"
    """Edge locations served from (PriceClass_100: North America and Europe)."""
    static_paths: list[str] = Field(default_factory=list)
    """Path patterns cached at the edge (for example /static/*); everything else is not cached."""
    api_paths: list[str] = Field(default_factory=list)
    """Path patterns of the API: never cached, every viewer header, cookie and query string is
    forwarded (the default behaviour does the same for the remaining paths)."""
    static_cache: StaticCacheConfig = StaticCacheConfig(
        min_ttl_seconds=0, default_ttl_seconds=86_400, max_ttl_seconds=31_536_000
    )
    """TTLs of the static paths."""
    rate_limit_per_5_minutes: int = Field(default=2000, ge=10, le=2_000_000_000)
    """Requests one client IP may send through the edge in 5 minutes before the edge WAF blocks
    it."""
    waf_log_retention_days: LogRetentionDays = 90
    """Retention of the edge WAF's log group (aws-waf-logs-*, us-east-1)."""
    access_log_retention_days: int = Field(default=90, ge=1, le=3653)
    """Days CloudFront access logs (standard logging v2, S3) are kept."""
    origin_header_name: str = "x-origin-verify"
    """Header CloudFront adds with the secret value; the ALB answers 403 without it."""
    origin_secret_rotation_days: int = Field(default=30, ge=1, le=365)
    """Days between automatic rotations of the origin secret (Secrets Manager schedule, rotation
    Lambda of the edge stack). A rotation keeps the value it replaces accepted until the next one,
    so this is also how long a superseded value stays valid; rotate by hand at any time with
    ``aws secretsmanager rotate-secret`` (docs/runbooks.md)."""
    origin_secret_rule_settle_seconds: int = Field(default=30, ge=0, le=300)
    """How long the rotation waits, after every ALB listener rule accepts the new value, before
    CloudFront starts sending it: ALB rule changes reach the load balancer nodes after a short
    delay (ALB user guide, "Edit a listener rule"). Must leave at least 60 s of
    ``backup.timeout_seconds`` (the Lambda timeout) for the API calls."""
    origin_read_timeout_seconds: int = Field(default=60, ge=1, le=180)
    """How long CloudFront waits for the ALB's answer (above 60 needs a quota increase)."""
    shield_advanced: bool = False
    """Shield Advanced protections for the distribution, the ALBs and the hosted zone. Needs the
    account's Shield Advanced subscription (USD 3,000 a month per organization, one-year
    commitment, plus data transfer): subscribe first, then enable."""

    @field_validator("static_paths", "api_paths")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        for pattern in value:
            if not PATH_PATTERN.match(pattern):
                raise ValueError(f"{pattern!r} is not a CloudFront path pattern such as /static/*")
        if len(set(value)) != len(value):
            raise ValueError("path patterns must be distinct")
        return value

    @field_validator("origin_header_name")
    @classmethod
    def _header(cls, value: str) -> str:
        if not HEADER_NAME.match(value):
            raise ValueError(
                f"{value!r} is not a lower-case custom header name such as x-origin-verify"
            )
        return value

    @model_validator(mode="after")
    def _paths_disjoint(self) -> Self:
        both = sorted(set(self.static_paths) & set(self.api_paths))
        if both:
            raise ValueError(f"static_paths and api_paths both list {', '.join(both)}")
        if len(self.static_paths) + len(self.api_paths) > 25:
            raise ValueError("at most 25 path patterns (CloudFront's cache-behaviour quota)")
        return self
