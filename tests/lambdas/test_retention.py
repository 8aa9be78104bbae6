"""Tiered retention: the tier of a window and the hours a snapshot is kept."""

from __future__ import annotations

from datetime import UTC, datetime

from backup_jobs.retention import kept_hours, tier_of

from tests.lambdas.conftest import settings

TIERS = settings(hourly_retention_hours=24, daily_retention_days=14, monthly_retention_days=365)


def test_tier_follows_the_window_start():
    assert tier_of(datetime(2026, 12, 1, 0, 0, tzinfo=UTC)) == "monthly"
    assert tier_of(datetime(2026, 12, 2, 0, 0, tzinfo=UTC)) == "daily"
    assert tier_of(datetime(2026, 12, 2, 1, 0, tzinfo=UTC)) == "hourly"
    assert tier_of(datetime(2026, 12, 1, 0, 30, tzinfo=UTC)) == "hourly"


def test_the_written_hours_win_then_legacy_days_then_todays_tier():
    created = datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
    assert kept_hours({"retention-hours": "48", "retention-days": "9"}, created, TIERS) == 48
    assert kept_hours({"retention-days": "30"}, created, TIERS) == 720
    assert kept_hours({"backup-tier": "monthly"}, created, TIERS) == 365 * 24
    assert kept_hours({}, created, TIERS) == 14 * 24  # a 00:00 snapshot: daily
    assert kept_hours({"retention-hours": "zero"}, created.replace(hour=5), TIERS) == 24
