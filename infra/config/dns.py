"""DNS settings: the public domain and its existing Route53 hosted zone (imported by id)."""

from __future__ import annotations

import re

from pydantic import field_validator

from infra.config.base import StrictModel

_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
DNS_NAME = re.compile(rf"^(?:{_LABEL}\.)+[a-z]{{2,63}}$")
HOSTED_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")


class DnsConfig(StrictModel):
    domain: str
    """Public domain of the environment (e.g. fdr.example.com); the ingress certificate covers it
    and ``*.<domain>``."""
    hosted_zone_id: str
    """Id of the existing public Route53 hosted zone of ``domain`` (imported by id, no look-up)."""

    @field_validator("domain")
    @classmethod
    def _dns_name(cls, value: str) -> str:
        if len(value) > 253 or not DNS_NAME.match(value):
            raise ValueError(f"{value!r} is not a lower-case DNS name such as fdr.example.com")
        return value

    @field_validator("hosted_zone_id")
    @classmethod
    def _zone_id(cls, value: str) -> str:
        if not HOSTED_ZONE_ID.match(value):
            raise ValueError(f"{value!r} is not a Route53 hosted zone id (Z followed by A-Z0-9)")
        return value
