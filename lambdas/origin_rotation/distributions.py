"""The CloudFront distributions that send the origin header: which value each sends, whether it
is deployed, and setting the value (read, change the header, update with the config's ETag)."""

from __future__ import annotations

from typing import Any

from backup_jobs.aws import error_code
from botocore.exceptions import ClientError

from origin_rotation.context import Rotation, RotationError

DEPLOYED = "Deployed"
# Someone else updated the distribution between our read and our write: read again.
_CONCURRENT_UPDATE = "PreconditionFailed"
_ATTEMPTS = 3


def _headers(config: dict[str, Any], header: str) -> list[dict[str, Any]]:
    found = [
        item
        for origin in config.get("Origins", {}).get("Items", [])
        for item in origin.get("CustomHeaders", {}).get("Items", []) or []
        if str(item.get("HeaderName", "")).lower() == header.lower()
    ]
    return found


def _config(rotation: Rotation, distribution_id: str) -> tuple[dict[str, Any], str]:
    found = rotation.home("cloudfront", "get_distribution_config", Id=distribution_id)
    config = found["DistributionConfig"]
    if not _headers(config, rotation.settings.header_name):
        raise RotationError(
            f"distribution {distribution_id} has no origin sending {rotation.settings.header_name}"
            ": the edge stack lists it among the distributions to rotate, so it should"
        )
    return config, found["ETag"]


def sends(rotation: Rotation, distribution_id: str, value: str) -> bool:
    """Every origin of the distribution that carries the header sends ``value``."""
    config, _ = _config(rotation, distribution_id)
    return all(h["HeaderValue"] == value for h in _headers(config, rotation.settings.header_name))


def is_deployed(rotation: Rotation, distribution_id: str) -> bool:
    found = rotation.home("cloudfront", "get_distribution", Id=distribution_id)
    return bool(found["Distribution"]["Status"] == DEPLOYED)


def send(rotation: Rotation, distribution_id: str, value: str) -> None:
    """Make the distribution send ``value``, retrying when another update came in between."""
    for attempt in range(_ATTEMPTS):
        config, etag = _config(rotation, distribution_id)
        for item in _headers(config, rotation.settings.header_name):
            item["HeaderValue"] = value
        try:
            rotation.home(
                "cloudfront",
                "update_distribution",
                Id=distribution_id,
                IfMatch=etag,
                DistributionConfig=config,
            )
            return
        except ClientError as err:
            if error_code(err) != _CONCURRENT_UPDATE or attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover
