"""The seam to the database half: the failover calls ``restore`` and ``newest`` (dump mode,
``azure_dr.database.restore``) and ``detach`` (continuous mode, ``azure_dr.database.logical``)
and never knows how dumps are made or replication is set up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


class Restore(Protocol):
    """``azure_dr.database.restore.restore_newest_dump``'s signature."""

    def __call__(
        self, *, container: Any, target_dsn: str, jobs: int = 4, force: bool = False
    ) -> Any: ...


class Newest(Protocol):
    def __call__(self, container: Any) -> Any: ...


class Detach(Protocol):
    """``azure_dr.database.logical.detach``: the subscriber's half, safe with AWS gone."""

    def __call__(self, subscriber_dsn: str) -> list[str]: ...


class DataLoss(Protocol):
    """``azure_dr.database.logical.data_loss_seconds``: continuous mode's RPO, Azure side."""

    def __call__(self, subscriber_dsn: str) -> float | None: ...


@dataclass(frozen=True)
class DatabaseSeam:
    restore: Restore
    newest: Newest
    detach: Detach  # continuous mode: drops the Azure-side subscription, keeps the rows
    data_loss: DataLoss


def real_seam() -> DatabaseSeam:
    from azure_dr.database import logical, restore

    return DatabaseSeam(
        restore=restore.restore_newest_dump,
        newest=restore.newest_verified_dump,
        detach=logical.detach,
        data_loss=logical.data_loss_seconds,
    )


def dump_age_seconds(dump: Any, now: datetime) -> float | None:
    """The RPO at this moment in dump mode: the age of the newest verified dump."""
    if dump is None:
        return None
    return max(0.0, (now - dump.taken_at).total_seconds())
