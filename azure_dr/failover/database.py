"""The seam to the database half (issue 15 item 1, ``azure_dr.database.restore``): the
failover calls ``restore`` and ``newest`` and never knows how dumps are made or restored."""

from __future__ import annotations

import importlib
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


@dataclass(frozen=True)
class DatabaseSeam:
    restore: Restore
    newest: Newest
    # Continuous mode: disables the Azure-side subscription; None = the documented SQL step.
    detach: Any = None


def real_seam() -> DatabaseSeam:
    """The real module; a clear error until it exists on this branch."""
    try:
        module = importlib.import_module("azure_dr.database.restore")
    except ModuleNotFoundError as exc:
        from azure_dr.errors import AzureDrError

        raise AzureDrError(
            "azure_dr.database.restore is not installed: the failover cannot restore the "
            "database (issue 15 item 1)"
        ) from exc
    return DatabaseSeam(
        restore=module.restore_newest_dump,
        newest=module.newest_verified_dump,
        detach=getattr(module, "disable_subscription", None),
    )


def dump_age_seconds(dump: Any, now: datetime) -> float | None:
    """The RPO at this moment in dump mode: the age of the newest verified dump."""
    if dump is None:
        return None
    return max(0.0, (now - dump.taken_at).total_seconds())


DETACH_SQL = "ALTER SUBSCRIPTION fdr_dr DISABLE; ALTER SUBSCRIPTION fdr_dr SET (slot_name = NONE);"
