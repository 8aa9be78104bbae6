"""Building blocks shared by every section of the configuration model."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints


class StrictModel(BaseModel):
    """Unknown keys are errors (a typo must never be silently ignored) and values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


AccountId = Annotated[
    str,
    StringConstraints(pattern=r"^\d{12}$"),
    Field(description="12-digit AWS account id."),
]

# Offline list: validation must not call AWS. Extend when the project enters a new region.
AWS_REGIONS: frozenset[str] = frozenset(
    {
        "us-east-1", "us-east-2", "us-west-1", "us-west-2",
        "ca-central-1", "sa-east-1",
        "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-central-2",
        "eu-north-1", "eu-south-1", "eu-south-2",
        "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
        "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
        "ap-south-1", "ap-south-2", "ap-east-1",
        "me-south-1", "me-central-1", "af-south-1", "il-central-1",
    }
)  # fmt: skip


def _known_region(value: str) -> str:
    if value not in AWS_REGIONS:
        raise ValueError(f"unknown AWS region {value!r}")
    return value


AwsRegion = Annotated[str, AfterValidator(_known_region)]

# The only values CloudWatch Logs accepts for RetentionInDays.
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip


def _valid_retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        raise ValueError(
            f"{value} is not a retention CloudWatch Logs accepts "
            f"(one of {', '.join(map(str, LOG_RETENTION_DAYS))})"
        )
    return value


LogRetentionDays = Annotated[int, AfterValidator(_valid_retention)]

Port = Annotated[int, Field(ge=1, le=65535)]


class RegionRole(StrEnum):
    """What a region does in the topology (see ARCHITECTURE.md, "Region roles")."""

    PRIMARY = "primary"
    REPLICA = "replica"
    STANDBY = "standby"
