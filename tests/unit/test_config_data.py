"""Validation of the data section (database, cache, storage): one clear line per problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infra.config import load_config
from infra.config.data import daily_minutes, weekly_minutes, windows_overlap
from tests.unit.config_helpers import config_error


def _set(section: str, **values: Any):
    def mutate(c: dict[str, Any]) -> None:
        node = c["data"]
        for part in section.split("."):
            node = node[part]
        node.update(values)

    return mutate


def _line(message: str) -> str:
    assert "\n" not in message, message
    return message


def test_production_carries_the_design_numbers():
    data = load_config("production", environ={}).data
    db = data.database
    assert (db.instance_class, db.replica_instance_class) == ("db.r5.2xlarge", "db.r5.xlarge")
    assert (db.allocated_storage_gb, db.max_allocated_storage_gb, db.iops) == (1000, 10000, 12000)
    assert (db.backup_retention_days, db.backup_window, db.maintenance_window) == (
        30,
        "03:00-04:00",
        "sun:04:00-sun:05:00",
    )
    assert (data.cache.node_type, data.cache.num_nodes) == ("cache.r6g.2xlarge", 3)
    lifecycle = data.storage.lifecycle
    assert (
        lifecycle.infrequent_access_after_days,
        lifecycle.glacier_after_days,
        lifecycle.noncurrent_expiration_days,
    ) == (30, 90, 2555)


@pytest.mark.parametrize(
    ("section", "values", "expected"),
    [
        ("database", {"instance_class": "r5.2xlarge"}, "data.database.instance_class: "),
        (
            "database",
            {"replica_instance_class": "db.r5.huge"},
            "data.database.replica_instance_class",
        ),
        ("cache", {"node_type": "db.r6g.large"}, "data.cache.node_type: 'db.r6g.large' is not"),
        (
            "database",
            {"max_allocated_storage_gb": 1000},
            "data.database.max_allocated_storage_gb: 1000 must be above allocated_storage_gb",
        ),
        ("database", {"backup_retention_days": 0}, "data.database.backup_retention_days:"),
        ("database", {"backup_retention_days": 36}, "data.database.backup_retention_days:"),
        ("cache", {"snapshot_retention_days": 40}, "data.cache.snapshot_retention_days:"),
        (
            "database",
            {"backup_window": "3:00-4:00"},
            "data.database.backup_window: '3:00-4:00' is not",
        ),
        (
            "database",
            {"backup_window": "03:00-03:15"},
            "data.database.backup_window: 03:00-03:15 is shorter than 30 minutes",
        ),
        (
            "database",
            {"maintenance_window": "sunday:04:00-sun:05:00"},
            "data.database.maintenance_window:",
        ),
        (
            "database",
            {"maintenance_window": "sun:03:30-sun:04:30"},
            "data.database.maintenance_window: sun:03:30-sun:04:30 overlaps backup_window",
        ),
        (
            "cache",
            {"maintenance_window": "mon:02:30-mon:03:30"},
            "data.cache.maintenance_window: mon:02:30-mon:03:30 overlaps snapshot_window",
        ),
        (
            "database",
            {"iops": 12000, "allocated_storage_gb": 100, "max_allocated_storage_gb": 200},
            "data.database.iops: 12000 needs allocated_storage_gb >= 400",
        ),
        (
            "database",
            {"performance_insights_retention_days": 30},
            "data.database.performance_insights_retention_days: 30 is not 7",
        ),
        (
            "database",
            {"monitoring_interval_seconds": 45},
            "data.database.monitoring_interval_seconds:",
        ),
        ("database", {"engine_version": "17"}, "data.database.engine_version:"),
        ("cache", {"engine_version": "6.2"}, "data.cache.engine_version:"),
        (
            "storage.lifecycle",
            {"infrequent_access_after_days": 10},
            "data.storage.lifecycle.infrequent_access_after_days:",
        ),
        (
            "storage.lifecycle",
            {"glacier_after_days": 45},
            "data.storage.lifecycle.glacier_after_days: 45 must be at least 30 days after",
        ),
        (
            "storage.replication",
            {"storage_class": "DEEP"},
            "data.storage.replication.storage_class:",
        ),
    ],
)
def test_bad_data_values_get_one_clear_line(
    tmp_path: Path, section: str, values: dict[str, Any], expected: str
):
    message = _line(config_error(tmp_path, _set(section, **values)))
    assert expected in message, message
    assert message.startswith(str(tmp_path / "production.yaml"))


def test_missing_data_section(tmp_path: Path):
    message = _line(config_error(tmp_path, lambda c: c.pop("data")))
    assert message.endswith("data: required key is missing")


def test_windows_wrap_around_midnight_and_the_week():
    assert windows_overlap(daily_minutes("23:30-00:30"), weekly_minutes("mon:00:00-mon:01:00"))
    assert windows_overlap(daily_minutes("01:00-02:00"), weekly_minutes("sun:23:30-mon:01:30"))
    assert not windows_overlap(daily_minutes("03:00-04:00"), weekly_minutes("sun:04:00-sun:05:00"))
