"""What the rotation knows about the deployment: one JSON environment variable written by the edge
stack from config (``ORIGIN_ROTATION_SETTINGS``) and the distribution ids it resolves at deploy time
(``ORIGIN_ROTATION_DISTRIBUTIONS``, comma-separated). Neither holds a secret."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

SETTINGS_VARIABLE = "ORIGIN_ROTATION_SETTINGS"
DISTRIBUTIONS_VARIABLE = "ORIGIN_ROTATION_DISTRIBUTIONS"


@dataclass(frozen=True)
class RotationSettings:
    secret_name: str
    """The origin secret this function may rotate (any other SecretId is refused)."""
    header_name: str
    """The header CloudFront sends and the listener rules check (case-insensitive in both)."""
    alb_regions: tuple[str, ...]
    rule_parameter: str
    """SSM parameter, the same name in every ALB region, holding that region's header rule ARN."""
    home_region: str
    """The edge's region: the secret's primary and the CloudFront API."""
    value_length: int
    rule_settle_seconds: int
    distribution_ids: tuple[str, ...]
    retry_mode: str = "standard"
    retry_max_attempts: int = 5

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], distribution_ids: str) -> RotationSettings:
        names = {f.name for f in fields(cls)} - {"distribution_ids"}
        unknown = sorted(set(raw) - names)
        if unknown:
            raise ValueError(f"{SETTINGS_VARIABLE}: unknown keys {unknown}")
        ids = tuple(part.strip() for part in distribution_ids.split(",") if part.strip())
        if not ids:
            raise ValueError(
                f"{DISTRIBUTIONS_VARIABLE} names no distribution: nothing would send a new value"
            )
        values = dict(raw)
        values["alb_regions"] = tuple(values.get("alb_regions", ()))
        try:
            return cls(**values, distribution_ids=ids)
        except TypeError as err:
            raise ValueError(f"{SETTINGS_VARIABLE}: {err}") from err

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> RotationSettings:
        return cls.from_mapping(
            json.loads(environ[SETTINGS_VARIABLE]), environ.get(DISTRIBUTIONS_VARIABLE, "")
        )
