"""Storage tier settings: the data bucket of every region, its lifecycle and its replication."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from infra.config.base import StrictModel


class Lifecycle(StrictModel):
    """Lifecycle of the data buckets (the design's "application_data" policy)."""

    infrequent_access_after_days: int = Field(ge=30)
    """Current objects move to Standard-IA after this many days (S3 requires at least 30)."""
    glacier_after_days: int
    """Current objects move to Glacier Flexible Retrieval; must be after the IA transition."""
    noncurrent_expiration_days: int = Field(ge=1)
    """Noncurrent (overwritten or deleted) versions are removed after this many days."""
    abort_incomplete_multipart_days: int = Field(ge=1)
    """Parts of unfinished multipart uploads are removed after this many days."""

    @field_validator("glacier_after_days")
    @classmethod
    def _after_ia(cls, value: int, info: ValidationInfo) -> int:
        ia = info.data.get("infrequent_access_after_days")
        if ia is not None and value < ia + 30:
            raise ValueError(
                f"{value} must be at least 30 days after infrequent_access_after_days ({ia}): "
                "S3 bills Standard-IA for 30 days minimum"
            )
        return value


class Replication(StrictModel):
    """Cross-region replication from the primary bucket to every replica and standby bucket."""

    storage_class: Literal["STANDARD", "STANDARD_IA", "INTELLIGENT_TIERING", "GLACIER_IR"]
    """Storage class of the copies in the destination buckets."""
    time_control: bool
    """Replication Time Control: 99.99% of objects within 15 minutes (paid; implies metrics)."""
    metrics: bool
    """Replication metrics and events in CloudWatch (forced on by time_control)."""


class StorageConfig(StrictModel):
    lifecycle: Lifecycle
    """Transitions and expirations of every data bucket."""
    replication: Replication
    """How the primary bucket replicates into the other regions' buckets."""
    access_log_retention_days: int = Field(ge=1)
    """Server access logs of the data bucket are deleted after this many days."""
