"""Backup configuration: tiered retention against the RDS manual-snapshot quota, alarm
thresholds derived from the cadence, reserved concurrency and standby backup replication."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infra.config import load_config
from infra.config.snapshot_retention import RetentionTiers, period_minutes, worst_case
from tests.unit.config_helpers import config_error, load_mutated, one_line


def _backup(c: dict[str, Any]) -> dict[str, Any]:
    return c["backup"]


def test_every_environment_stays_under_its_quota_with_headroom():
    for env in ("development", "staging", "production"):
        backup = load_config(env, environ={}).backup
        limit = backup.manual_snapshot_quota - backup.manual_snapshot_headroom
        assert backup.worst_case_snapshots.total <= limit, env


def test_production_bound_counts_each_tier_and_the_prune_gap():
    backup = load_config("production", environ={}).backup
    bound = backup.worst_case_snapshots
    # 24 h of hourly windows plus the day between two daily prunes; 14 + 1 + 1 daily; a year
    # of monthly windows at least 28 days apart
    assert (bound.hourly, bound.daily, bound.monthly, bound.total) == (49, 16, 14, 79)
    assert backup.manual_snapshot_quota == 100


def test_flat_year_of_hourly_snapshots_is_rejected_in_one_line(tmp_path: Path):
    def year_of_hourlies(c: dict[str, Any]) -> None:
        _backup(c)["retention"] = {"hourly_hours": 8760, "daily_days": 365, "monthly_days": 365}

    message = one_line(config_error(tmp_path, year_of_hourlies))
    assert message.endswith(
        "backup: retention: up to 9166 manual snapshots per region (hourly 8785 + daily 367 + "
        "monthly 14, the same in every copy region) exceeds manual_snapshot_quota 100 minus "
        "manual_snapshot_headroom 10 (90): the snapshot and copy jobs would fail with "
        "SnapshotQuotaExceeded"
    )


def test_headroom_is_part_of_the_check(tmp_path: Path):
    message = config_error(tmp_path, lambda c: _backup(c).update(manual_snapshot_headroom=30))
    assert "(70): the snapshot and copy jobs would fail" in one_line(message)


def test_a_raised_quota_admits_more(tmp_path: Path):
    def longer(c: dict[str, Any]) -> None:
        _backup(c)["retention"]["daily_days"] = 60
        _backup(c)["manual_snapshot_quota"] = 200

    backup = load_mutated(tmp_path, longer).backup
    assert backup.worst_case_snapshots.total == 125  # 49 + 62 + 14


@pytest.mark.parametrize(
    ("retention", "message"),
    [
        (
            {"hourly_hours": 72, "daily_days": 2, "monthly_days": 365},
            "backup.retention: daily_days 2 keeps a daily snapshot shorter than "
            "hourly_hours 72: a daily snapshot would be deleted before an hourly one",
        ),
        (
            {"hourly_hours": 24, "daily_days": 30, "monthly_days": 7},
            "backup.retention: monthly_days 7 is shorter than daily_days 30: a "
            "monthly snapshot would be deleted before a daily one",
        ),
    ],
)
def test_tiers_must_grow(tmp_path: Path, retention: dict[str, int], message: str):
    def set_retention(c: dict[str, Any]) -> None:
        _backup(c)["retention"] = retention

    assert message in one_line(config_error(tmp_path, set_retention))


def test_a_window_must_divide_the_day(tmp_path: Path):
    def ninety(c: dict[str, Any]) -> None:
        _backup(c)["schedules"]["snapshot"] = "rate(100 minutes)"
        _backup(c)["snapshot_window_minutes"] = 100

    assert one_line(config_error(tmp_path, ninety)).endswith(
        "backup: snapshot_window_minutes 100 does not divide a day: no window would start at "
        "00:00 UTC, so no snapshot would be kept as daily or monthly"
    )


def test_prune_schedule_must_have_a_checkable_period(tmp_path: Path):
    message = config_error(
        tmp_path, lambda c: _backup(c)["schedules"].update(prune="cron(30 3 ? * MON *)")
    )
    assert "backup: schedules.prune cron(30 3 ? * MON *) has no period that can be checked" in (
        one_line(message)
    )


def test_copy_allowance_must_exceed_the_copy_period(tmp_path: Path):
    message = config_error(tmp_path, lambda c: _backup(c).update(copy_allowance_minutes=15))
    assert one_line(message).endswith(
        "backup: copy_allowance_minutes 15 is not longer than the copy schedule's period "
        "(15 min): a healthy copy region would alarm"
    )


def test_thresholds_leave_room_for_cadence_and_copy():
    backup = load_config("production", environ={}).backup
    assert backup.recovery_point_threshold_minutes(copy_region=False) == 60 + 60
    assert backup.recovery_point_threshold_minutes(copy_region=True) == 60 + 60 + 120


def test_reserved_concurrency_defaults_to_none_and_is_bounded(tmp_path: Path):
    assert load_config("production", environ={}).backup.reserved_concurrency is None
    message = config_error(tmp_path, lambda c: _backup(c).update(reserved_concurrency=0))
    assert "backup.reserved_concurrency:" in one_line(message)


def test_backup_replication_needs_a_standby(tmp_path: Path):
    message = config_error(
        tmp_path,
        lambda c: _backup(c).update(standby_backup_replication_days=7),
        env="development",
    )
    assert one_line(message).endswith(
        "backup.standby_backup_replication_days: 7, but no region has role standby: there is "
        "no region to replicate the automated backups into"
    )


def test_period_of_schedules():
    assert period_minutes("rate(1 hour)") == 60
    assert period_minutes("cron(30 3 * * ? *)") == 1440
    assert period_minutes("cron(0 */6 * * ? *)") is None


def test_bound_without_prune_gap_matches_a_by_hand_count():
    tiers = RetentionTiers(hourly_hours=24, daily_days=7, monthly_days=31)
    bound = worst_case(tiers, window_minutes=60, prune_period_minutes=0, keep_newest=3)
    assert (bound.hourly, bound.daily, bound.monthly) == (25, 8, 2)


def test_a_permanent_dry_run_is_rejected(tmp_path: Path):
    message = config_error(tmp_path, lambda c: _backup(c).update(prune_dry_run=True))
    assert one_line(message).endswith(
        "backup: prune_dry_run true: prune would delete nothing, and 24 manual snapshot(s) a "
        "day reach manual_snapshot_quota minus headroom (90) in 4 days; try a deletion with "
        'the event {"dry_run": true} instead'
    )
