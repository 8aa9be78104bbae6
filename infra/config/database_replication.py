"""The database's way to Azure (``database_replication``): dump mode (always available) and
continuous mode (logical replication, off until a private cross-cloud link exists)."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from infra.config.base import LogRetentionDays, StrictModel


class DatabaseReplicationConfig(StrictModel):
    enabled: bool = False
    """Deploy the dump job in the replication stack (and, in continuous mode, the lag probe in
    the primary region's monitoring stack)."""
    mode: Literal["dump", "continuous"] = "dump"
    """``dump``: pg_dump of the standby replica to Azure Blob every ``dump_interval_minutes``
    (RPO = the interval). ``continuous``: logical replication to the Azure flexible server
    (needs the cross-cloud private link); the dump keeps running as the fallback."""
    dump_interval_minutes: int = Field(default=60, ge=15, le=1440)
    """Dump schedule and the dump mode's RPO: the age alarm fires when the newest verified dump
    in Azure is older than this plus ``dump_grace_minutes``."""
    dump_grace_minutes: int = Field(default=15, ge=0, le=240)
    """Time a dump may take before its absence counts against the RPO."""
    container: str = "backups"
    """Blob container of the dumps (one of ``azure.storage.containers``)."""
    db_user: str = Field(default="azure_dr_dump", pattern=r"^[a-z][a-z0-9_]{2,62}$")
    """Database user of the dump job (IAM authentication: ``GRANT rds_iam, pg_read_all_data``;
    created once on the primary, see docs/database-to-azure.md)."""
    replication_user: str = Field(default="azure_dr_replication", pattern=r"^[a-z][a-z0-9_]{2,62}$")
    """Continuous mode: the database user the Azure subscription connects to RDS as. Its login
    is generated into Secrets Manager by the primary data stack (``<project>/<env>/database/
    replication-user``); ``replicate database --setup`` creates the role with it."""
    retention_count: int = Field(default=48, ge=1, le=10000)
    """Dumps kept at least (the newest is never deleted)."""
    retention_days: int = Field(default=7, ge=1, le=365)
    """Dumps older than this and beyond ``retention_count`` are deleted by the dump job."""
    block_size_mib: int = Field(default=8, ge=1, le=100)
    """Staged block size: the dump job's memory holds one block."""
    restore_jobs: int = Field(default=4, ge=1, le=32)
    """Parallel pg_restore jobs of the failover's restore."""
    task_cpu: Literal[256, 512, 1024, 2048, 4096] = 512
    """Fargate CPU units of the dump task."""
    task_memory_mib: int = Field(default=1024, ge=512, le=30720)
    """Fargate memory of the dump task (pg_dump plus one block)."""
    max_lag_minutes: int = Field(default=5, ge=1, le=1440)
    """Continuous mode: the replication lag alarm threshold (age of the oldest heartbeat the
    subscription has not confirmed; docs/database-to-azure.md)."""
    lag_check_minutes: int = Field(default=1, ge=1, le=60)
    """Continuous mode: how often the lag probe in the primary region measures and writes a
    heartbeat (the measure's resolution)."""
    monitor_user: str = Field(default="azure_dr_monitor", pattern=r"^[a-z][a-z0-9_]{2,62}$")
    """Continuous mode: database user of the lag probe (IAM authentication; ``replicate
    database --setup`` creates it with rights on the heartbeat table only)."""
    log_retention_days: LogRetentionDays = 30
    """Retention of the dump job's logs."""

    @model_validator(mode="after")
    def _lag_check_within_threshold(self) -> Self:
        if self.lag_check_minutes > self.max_lag_minutes:
            raise ValueError(
                f"database_replication.lag_check_minutes: {self.lag_check_minutes} exceeds "
                f"max_lag_minutes {self.max_lag_minutes}: the lag alarm would see periods "
                "without a measurement and fire as if the probe had stopped"
            )
        return self
