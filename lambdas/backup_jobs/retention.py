"""Tiered retention: which tier a snapshot window belongs to, and how long a snapshot is kept.

The window starting at 00:00 UTC on the 1st of a month is ``monthly``, any other window starting
at 00:00 UTC is ``daily``, every other window is ``hourly``. The snapshot job writes the tier and
its retention in hours on every snapshot; prune keeps a snapshot until it is older than that
(the tag written when it was taken wins over today's settings). The tier follows from the window
alone, so every region, every run and every retry agree on it without any shared state.
"""

from __future__ import annotations

from datetime import UTC, datetime

from backup_jobs.settings import (
    TAG_RETENTION_DAYS,
    TAG_RETENTION_HOURS,
    TAG_TIER,
    Settings,
)

TIERS = ("hourly", "daily", "monthly")


def tier_of(window: datetime) -> str:
    start = window.astimezone(UTC)
    if (start.hour, start.minute) != (0, 0):
        return "hourly"
    return "monthly" if start.day == 1 else "daily"


def retention_hours(settings: Settings, tier: str) -> int:
    return {
        "hourly": settings.hourly_retention_hours,
        "daily": settings.daily_retention_days * 24,
        "monthly": settings.monthly_retention_days * 24,
    }[tier]


def _positive(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and int(value) > 0 else None


def kept_hours(tags: dict[str, str], created: datetime, settings: Settings) -> int:
    """How long a snapshot of ours is kept: its ``retention-hours`` tag, else a ``retention-days``
    tag (snapshots taken before tiered retention), else today's tier of its creation time."""
    hours = _positive(tags.get(TAG_RETENTION_HOURS))
    if hours:
        return hours
    days = _positive(tags.get(TAG_RETENTION_DAYS))
    if days:
        return days * 24
    tier = tags.get(TAG_TIER)
    return retention_hours(settings, tier if tier in TIERS else tier_of(created))
