"""What every recovery step knows about the deployment (one JSON environment variable written
by ``infra/stacks/recovery_actions.py`` from config)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, fields
from typing import Any

SETTINGS_VARIABLE = "RECOVERY_SETTINGS"
# Text an operator puts in the execution's comment to accept losing the writes the replica has
# not received yet (the Region switch event has no other field a person fills in).
ACCEPT_DATA_LOSS = "accept-data-loss"


@dataclass(frozen=True)
class RecoverySettings:
    project: str
    environment: str
    account: str
    partition: str
    region: str
    """The region this copy of the function runs in: the region the plan activates."""
    plan_name: str
    primary_region: str
    database_id: str
    """RDS instance of this region: the primary, or the replica the plan promotes here."""
    redis_group_id: str
    writer_parameter: str
    cache_parameter: str
    ingress_dns_parameter: str
    """SSM parameter (this region) holding the DNS name of this region's ALB."""
    hosted_zone_id: str
    record_name: str
    """The failover record the DNS step flips: app.<domain>, or origin.<domain> behind the edge."""
    smoke_test_path: str
    https_port: int
    database_port: int
    database_name: str
    canary_user: str
    """The IAM-authenticated login the verify step writes its canary row as."""
    promote_max_lag_seconds: int
    promoted_backup_retention_days: int
    step_wait_seconds: int
    edge_host: str | None = None
    """app.<domain> when CloudFront fronts the ALBs: they then accept only CloudFront (and the
    Route 53 health checkers), so the smoke test asks through the edge, as users do."""
    poll_seconds: int = 15
    retry_mode: str = "standard"
    retry_max_attempts: int = 5

    @classmethod
    def from_mapping(cls, raw: dict[str, Any]) -> RecoverySettings:
        unknown = sorted(set(raw) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"{SETTINGS_VARIABLE}: unknown keys {unknown}")
        return cls(**raw)

    @classmethod
    def from_environment(cls) -> RecoverySettings:
        return cls.from_mapping(json.loads(os.environ[SETTINGS_VARIABLE]))
