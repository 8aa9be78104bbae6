"""Data and storage tier settings: PostgreSQL primary and replicas, Redis, S3 data buckets."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from infra.config.base import LogRetentionDays, StrictModel
from infra.config.storage import StorageConfig

_DB_CLASS = re.compile(r"^db\.[a-z][a-z0-9-]*\.(micro|small|medium|large|[0-9]*xlarge|metal)$")
_CACHE_CLASS = re.compile(r"^cache\.[a-z][a-z0-9-]*\.(micro|small|medium|large|[0-9]*xlarge)$")
_DAILY_WINDOW = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKLY_WINDOW = re.compile(
    rf"^({'|'.join(_DAYS)}):([01]\d|2[0-3]):([0-5]\d)-({'|'.join(_DAYS)}):([01]\d|2[0-3]):([0-5]\d)$"
)
_MINUTES_PER_WEEK = 7 * 24 * 60


def _pattern(regex: re.Pattern[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not regex.match(value):
            raise ValueError(f"{value!r} is not {what}")
        return value

    return AfterValidator(check)


DbInstanceClass = Annotated[str, _pattern(_DB_CLASS, "an RDS instance class like db.r5.xlarge")]
CacheNodeType = Annotated[
    str, _pattern(_CACHE_CLASS, "an ElastiCache node type like cache.r6g.large")
]
DailyWindow = Annotated[
    str, _pattern(_DAILY_WINDOW, "a daily UTC window hh:mm-hh:mm (e.g. 03:00-04:00)")
]
WeeklyWindow = Annotated[
    str,
    _pattern(_WEEKLY_WINDOW, "a weekly UTC window ddd:hh:mm-ddd:hh:mm (e.g. sun:04:00-sun:05:00)"),
]


def daily_minutes(window: str) -> list[tuple[int, int]]:
    """A daily window as half-open minute ranges of the week, one per day (wrapping midnight)."""
    start_h, start_m, end_h, end_m = map(int, _DAILY_WINDOW.match(window).groups())  # type: ignore[union-attr]
    start, end = start_h * 60 + start_m, end_h * 60 + end_m
    length = (end - start) % (24 * 60)
    return [(day * 1440 + start, day * 1440 + start + length) for day in range(7)]


def weekly_minutes(window: str) -> list[tuple[int, int]]:
    """A weekly window as a half-open minute range of the week (wrapping Sunday night)."""
    d1, h1, m1, d2, h2, m2 = _WEEKLY_WINDOW.match(window).groups()  # type: ignore[union-attr]
    start = _DAYS.index(d1) * 1440 + int(h1) * 60 + int(m1)
    end = _DAYS.index(d2) * 1440 + int(h2) * 60 + int(m2)
    return [(start, start + (end - start) % _MINUTES_PER_WEEK)]


def windows_overlap(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> bool:
    shifts = (-_MINUTES_PER_WEEK, 0, _MINUTES_PER_WEEK)
    return any(s1 < e2 + k and s2 + k < e1 for s1, e1 in a for s2, e2 in b for k in shifts)


def window_length(ranges: list[tuple[int, int]]) -> int:
    return ranges[0][1] - ranges[0][0]


def _at_least(minutes: int, ranges: list[tuple[int, int]], value: str) -> None:
    if window_length(ranges) < minutes:
        raise ValueError(f"{value} is shorter than {minutes} minutes")


def _not_overlapping(maintenance: str, info: ValidationInfo, daily_field: str) -> None:
    daily = info.data.get(daily_field)
    if daily and windows_overlap(daily_minutes(daily), weekly_minutes(maintenance)):
        raise ValueError(f"{maintenance} overlaps {daily_field} ({daily})")


class DatabaseConfig(StrictModel):
    """PostgreSQL: the primary in the primary region, a read replica in every other region."""

    engine_version: str = Field(pattern=r"^\d{2}\.\d{1,2}$")
    """PostgreSQL major.minor (e.g. 17.9); the parameter-group family follows the major."""
    instance_class: DbInstanceClass
    """Instance class of the primary."""
    replica_instance_class: DbInstanceClass
    """Instance class of every cross-region read replica (the standby one is promoted on
    failover: size it to carry the primary's load, or resize it right after promotion)."""
    multi_az: bool
    """Synchronous standby in a second AZ for the primary and the standby region's replica."""
    allocated_storage_gb: int = Field(ge=20, le=65536)
    """gp3 storage allocated at creation, in GB."""
    max_allocated_storage_gb: int = Field(le=65536)
    """Storage autoscaling ceiling in GB; must be above allocated_storage_gb."""
    iops: int | None = Field(default=None, ge=12000, le=64000)
    """Provisioned gp3 IOPS (12000-64000, only with 400 GB or more); omit for the baseline."""
    database_name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")
    """Name of the application database created on the primary."""
    master_username: str = Field(pattern=r"^[a-z][a-z0-9_]{0,15}$")
    """Master user; RDS generates and rotates its password in Secrets Manager."""
    backup_retention_days: int = Field(ge=1, le=35)
    """Automated backup retention (RDS allows 1-35 days; 0 would disable backups and replicas)."""
    backup_window: DailyWindow
    """Daily automated backup window, UTC; at least 30 minutes."""
    maintenance_window: WeeklyWindow
    """Weekly maintenance window, UTC; at least 30 minutes, not overlapping backup_window."""
    performance_insights_retention_days: int
    """Performance Insights retention: 7 (free tier), or a multiple of 31 up to 731."""
    monitoring_interval_seconds: Literal[1, 5, 10, 15, 30, 60]
    """Enhanced monitoring granularity in seconds."""
    log_retention_days: LogRetentionDays
    """Retention of the exported PostgreSQL logs (postgresql, upgrade) in CloudWatch Logs."""

    @field_validator("max_allocated_storage_gb")
    @classmethod
    def _above_allocated(cls, value: int, info: ValidationInfo) -> int:
        allocated = info.data.get("allocated_storage_gb")
        if allocated is not None and value <= allocated:
            raise ValueError(
                f"{value} must be above allocated_storage_gb ({allocated}), "
                "or storage autoscaling is off"
            )
        return value

    @field_validator("iops")
    @classmethod
    def _iops_need_400_gb(cls, value: int | None, info: ValidationInfo) -> int | None:
        allocated = info.data.get("allocated_storage_gb")
        if value is not None and allocated is not None and allocated < 400:
            raise ValueError(
                f"{value} needs allocated_storage_gb >= 400 (gp3 below 400 GB has a fixed "
                f"baseline), got {allocated}"
            )
        return value

    @field_validator("backup_window")
    @classmethod
    def _backup_long_enough(cls, value: str) -> str:
        _at_least(30, daily_minutes(value), value)
        return value

    @field_validator("maintenance_window")
    @classmethod
    def _maintenance_fits(cls, value: str, info: ValidationInfo) -> str:
        _at_least(30, weekly_minutes(value), value)
        _not_overlapping(value, info, "backup_window")
        return value

    @field_validator("performance_insights_retention_days")
    @classmethod
    def _pi_retention(cls, value: int) -> int:
        if value not in (7, 731) and (value % 31 or not 31 <= value <= 713):
            raise ValueError(f"{value} is not 7, a multiple of 31 up to 713, or 731")
        return value


class CacheConfig(StrictModel):
    """Redis (ElastiCache replication group) in every region."""

    engine_version: str = Field(pattern=r"^7\.\d$")
    """Redis engine 7.x; the default parameter group default.redis7 goes with it."""
    node_type: CacheNodeType
    """Node type of every node of the group."""
    num_nodes: int = Field(ge=1, le=6)
    """Primary plus replicas; more than one turns on multi-AZ and automatic failover."""
    snapshot_retention_days: int = Field(ge=1, le=35)
    """Daily snapshots kept."""
    snapshot_window: DailyWindow
    """Daily snapshot window, UTC; at least 60 minutes."""
    maintenance_window: WeeklyWindow
    """Weekly maintenance window, UTC; at least 60 minutes, not overlapping snapshot_window."""
    log_retention_days: LogRetentionDays
    """Retention of the slow log and engine log in CloudWatch Logs."""

    @field_validator("snapshot_window")
    @classmethod
    def _snapshot_long_enough(cls, value: str) -> str:
        _at_least(60, daily_minutes(value), value)
        return value

    @field_validator("maintenance_window")
    @classmethod
    def _maintenance_fits(cls, value: str, info: ValidationInfo) -> str:
        _at_least(60, weekly_minutes(value), value)
        _not_overlapping(value, info, "snapshot_window")
        return value


class DataConfig(StrictModel):
    """One section for the two stateful tiers (``data`` and ``storage`` stacks)."""

    database: DatabaseConfig
    """PostgreSQL primary (primary region) and cross-region read replicas (all other regions)."""
    cache: CacheConfig
    """Redis replication group of every region."""
    storage: StorageConfig
    """S3 data bucket of every region, its lifecycle and the replication from the primary."""
