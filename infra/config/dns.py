"""Global DNS settings: the hosted zone, failover and latency records, health checks, alarms,
query logging and DNSSEC (read by the ``dns`` stack)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, model_validator

from infra.config.base import AwsRegion, LogRetentionDays, RegionRole, StrictModel

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def _dns_name(value: str) -> str:
    labels = value.split(".")
    if len(value) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValueError(
            f"{value!r} is not a valid DNS name (lower-case labels of 1-63 letters, digits or "
            "inner hyphens, separated by dots, at least two labels, no trailing dot)"
        )
    return value


def _record_label(value: str) -> str:
    if not _LABEL.match(value):
        raise ValueError(
            f"{value!r} is not a single DNS label "
            "(1-63 lower-case letters, digits or inner hyphens)"
        )
    return value


DnsName = Annotated[str, AfterValidator(_dns_name)]
RecordLabel = Annotated[str, AfterValidator(_record_label)]

# The regions Route 53 runs health checkers in (HealthCheckConfig.Regions accepts only these).
HealthCheckerRegion = Literal[
    "us-east-1", "us-west-1", "us-west-2", "eu-west-1",
    "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1",
]  # fmt: skip


class HealthCheckConfig(StrictModel):
    """Route 53 HTTPS health check against each regional ALB."""

    path: str = Field(pattern=r"^/\S*$", max_length=255)
    """Path requested on the ALB (HTTPS); a 2xx/3xx answer within 4 s counts as healthy."""
    interval_seconds: Literal[10, 30]
    """Seconds between checks from each checker region; 10 is a (paid) fast health check."""
    failure_threshold: int = Field(ge=1, le=10)
    """Consecutive failures before Route 53 marks the region unhealthy and the records flip."""
    measure_latency: bool = True
    """Record latency from each checker region (CloudWatch graphs; cannot change after create)."""
    checker_regions: list[HealthCheckerRegion] = Field(default_factory=list)
    """Route 53 checker regions to check from (at least three); empty means all of them."""

    @model_validator(mode="after")
    def _enough_checker_regions(self) -> Self:
        regions = self.checker_regions
        if regions and (len(regions) < 3 or len(set(regions)) != len(regions)):
            raise ValueError(
                f"checker_regions: Route 53 needs at least three distinct checker regions or none "
                f"(all), got {regions}"
            )
        return self


class AlarmSubscription(StrictModel):
    protocol: Literal["email", "https"]
    """email (confirmed by the recipient) or https (a webhook such as the paging service)."""
    endpoint: str
    """The e-mail address or the https:// URL that receives the notifications."""

    @model_validator(mode="after")
    def _endpoint_matches_protocol(self) -> Self:
        pattern = r"^[^@\s]+@[^@\s]+\.[^@\s]+$" if self.protocol == "email" else r"^https://\S+$"
        if not re.match(pattern, self.endpoint):
            raise ValueError(f"endpoint {self.endpoint!r} is not a valid {self.protocol} endpoint")
        return self


class DnsAlarmsConfig(StrictModel):
    evaluation_periods: int = Field(ge=1, le=60)
    """Minutes a health check must report unhealthy before its alarm notifies."""
    subscriptions: list[AlarmSubscription] = Field(default_factory=list)
    """Who is told when a region's health check fails (SNS topic subscriptions)."""


class FailoverPair(StrictModel):
    primary_region: AwsRegion | None = None
    """Region of the PRIMARY failover record; defaults to the region with role primary."""
    secondary_region: AwsRegion | None = None
    """Region of the SECONDARY record; defaults to the first standby region. With neither set
    nor a standby region, the application record is a plain alias (no failover)."""


class DnsConfig(StrictModel):
    domain: DnsName
    """Public domain of the environment (the hosted zone's name), e.g. fdr.example.com."""
    hosted_zone_id: str = Field(pattern=r"^Z[A-Z0-9]{1,32}$")
    """Id of the public hosted zone of ``domain`` (imported by id: synth never looks it up)."""
    own_hosted_zone: bool = False
    """Create the zone in the DNS stack instead of importing ``hosted_zone_id`` (a new zone:
    delegate it from the parent domain, then set ``hosted_zone_id`` to its id for other tiers)."""
    application_record: RecordLabel = "app"
    """Label of the failover record ``<label>.<domain>`` (PRIMARY and SECONDARY region)."""
    read_record: RecordLabel = "api-read"
    """Label of the latency-routed record ``<label>.<domain>`` over the read regions."""
    failover: FailoverPair = FailoverPair()
    """Which regions back the application record's PRIMARY and SECONDARY failover records."""
    read_regions: list[AwsRegion] | None = None
    """Regions behind the latency record; defaults to the primary and the replica regions."""
    health_check: HealthCheckConfig
    """The health check of every regional ALB the records point to."""
    alarms: DnsAlarmsConfig
    """CloudWatch alarms on each health check, sent to a KMS-encrypted SNS topic."""
    query_log_retention_days: LogRetentionDays
    """How long DNS query logs (log group ``/aws/route53/<domain>`` in us-east-1) are kept."""
    dnssec: bool = False
    """Sign the zone (KMS key in us-east-1); then add the DS record at the parent domain."""
    ingress_lookup_revision: int = Field(default=1, ge=1)
    """Bump after an ALB was replaced: the DNS stack re-reads every region's ALB name."""

    def application_regions(self, roles: Mapping[str, RegionRole]) -> list[str]:
        """[PRIMARY, SECONDARY] of the failover record, or [region] for a plain alias when there
        is no second region to fail over to."""
        primary = self.failover.primary_region or _first(roles, RegionRole.PRIMARY)
        secondary = self.failover.secondary_region or _first(roles, RegionRole.STANDBY)
        return [r for r in (primary, secondary) if r is not None]

    def latency_regions(self, roles: Mapping[str, RegionRole]) -> list[str]:
        if self.read_regions is not None:
            return list(self.read_regions)
        return [r for r, role in roles.items() if role in (RegionRole.PRIMARY, RegionRole.REPLICA)]

    def ingress_regions(self, roles: Mapping[str, RegionRole]) -> list[str]:
        """Every region whose ALB a record points to, in configuration order."""
        used = {*self.application_regions(roles), *self.latency_regions(roles)}
        return [r for r in roles if r in used]

    def check_regions(self, roles: Mapping[str, RegionRole]) -> None:
        """Raises ValueError (one line, naming the key) when a record points at a region without
        an ALB, i.e. one that is not under ``regions``."""
        named = [
            ("dns.failover.primary_region", self.failover.primary_region),
            ("dns.failover.secondary_region", self.failover.secondary_region),
            *((f"dns.read_regions.{i}", r) for i, r in enumerate(self.read_regions or [])),
        ]
        for key, region in named:
            if region is not None and region not in roles:
                raise ValueError(
                    f"{key}: {region} is not under regions, so it has no ALB for the record to "
                    f"point to (configured: {', '.join(roles)})"
                )
        pair = self.application_regions(roles)
        if len(pair) == 2 and pair[0] == pair[1]:
            raise ValueError(
                f"dns.failover: primary and secondary are both {pair[0]}: "
                "failover needs two regions"
            )
        if self.read_regions is not None and (
            not self.read_regions or len(set(self.read_regions)) != len(self.read_regions)
        ):
            raise ValueError(
                f"dns.read_regions: must list distinct regions, got {self.read_regions}"
            )


def _first(roles: Mapping[str, RegionRole], role: RegionRole) -> str | None:
    return next((r for r, r_role in roles.items() if r_role is role), None)
