"""Tiered retention of the manual snapshots, and the worst case it allows against the RDS quota.

The snapshot job tags each snapshot with the tier of its window (``lambdas/backup_jobs/
retention.py``): the window starting at 00:00 UTC on the 1st of a month is ``monthly``, any other
window starting at 00:00 UTC is ``daily``, every other window is ``hourly``. prune deletes a
snapshot once it is older than its tier's retention. RDS allows 100 manual snapshots per region
by default, and the copies of our snapshots count in every copy region, so the number a region
can ever hold is bounded here and validated against ``manual_snapshot_quota``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Self

from pydantic import Field, model_validator

from infra.config.base import StrictModel

MINUTES_PER_DAY = 1440
# The shortest month: no two monthly windows are closer than this.
MIN_MONTH_MINUTES = 28 * MINUTES_PER_DAY
_RATE = re.compile(r"^rate\((\d+) (minute|hour|day)s?\)$")
_DAILY_CRON = re.compile(r"^cron\(\d{1,2} \d{1,2} \* \* \? \*\)$")
_MINUTES = {"minute": 1, "hour": 60, "day": MINUTES_PER_DAY}


def rate_minutes(expression: str) -> int | None:
    """Period of a ``rate(...)`` expression in minutes; None for ``cron(...)``."""
    match = _RATE.match(expression)
    return int(match.group(1)) * _MINUTES[match.group(2)] if match else None


def period_minutes(expression: str) -> int | None:
    """Longest gap between two runs: ``rate(...)``, or a once-a-day ``cron(M H * * ? *)``.
    None when it cannot be told offline (any other cron)."""
    if _DAILY_CRON.match(expression):
        return MINUTES_PER_DAY
    return rate_minutes(expression)


class RetentionTiers(StrictModel):
    """How long manual snapshots are kept, by the tier of their window (UTC)."""

    hourly_hours: int = Field(ge=1, le=8760)
    """Every snapshot is kept at least this many hours."""
    daily_days: int = Field(ge=1, le=3650)
    """The snapshot of the window starting at 00:00 UTC is kept this many days."""
    monthly_days: int = Field(ge=1, le=3650)
    """The snapshot of the window starting at 00:00 UTC on the 1st of a month is kept this many
    days (the design's 365-day manual-snapshot retention lives here)."""

    @model_validator(mode="after")
    def _tiers_grow(self) -> Self:
        if self.daily_days * 24 < self.hourly_hours:
            raise ValueError(
                f"daily_days {self.daily_days} keeps a daily snapshot shorter than hourly_hours "
                f"{self.hourly_hours}: a daily snapshot would be deleted before an hourly one"
            )
        if self.monthly_days < self.daily_days:
            raise ValueError(
                f"monthly_days {self.monthly_days} is shorter than daily_days {self.daily_days}: "
                "a monthly snapshot would be deleted before a daily one"
            )
        return self

    def hours(self) -> dict[str, int]:
        """Retention of each tier in hours: what the snapshot job writes on each snapshot."""
        return {
            "hourly": self.hourly_hours,
            "daily": self.daily_days * 24,
            "monthly": self.monthly_days * 24,
        }


@dataclass(frozen=True)
class WorstCase:
    """Most manual snapshots of the primary database one region can hold at once (the primary
    holds the originals, each copy region their copies: the same count)."""

    hourly: int
    daily: int
    monthly: int
    keep_newest: int

    @property
    def total(self) -> int:
        return max(self.hourly + self.daily + self.monthly, self.keep_newest)


def worst_case(
    tiers: RetentionTiers, *, window_minutes: int, prune_period_minutes: int, keep_newest: int
) -> WorstCase:
    """An upper bound: a tier of retention R whose windows are at least S apart holds at most
    floor((R + P) / S) + 1 snapshots when prune runs every P minutes (a snapshot that expires
    just after a prune run lives until the next one). Every window counts in the hourly tier,
    so daily and monthly snapshots inside the hourly retention are counted twice: a bound."""

    def most(retention_minutes: int, spacing: int) -> int:
        return (retention_minutes + prune_period_minutes) // spacing + 1

    return WorstCase(
        hourly=most(tiers.hourly_hours * 60, window_minutes),
        daily=most(tiers.daily_days * MINUTES_PER_DAY, MINUTES_PER_DAY),
        monthly=most(tiers.monthly_days * MINUTES_PER_DAY, MIN_MONTH_MINUTES),
        keep_newest=keep_newest,
    )
