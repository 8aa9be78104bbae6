"""The settings of the object replication engine, from config: written by the replication stack
into REPLICATION_SETTINGS and built the same way by ``azure_dr`` for a backfill or ``status``.
The other side is ``lambdas/object_replication/settings.py`` (tests/contract pins the two)."""

from __future__ import annotations

from typing import Any

from infra.config import EnvironmentConfig
from infra.naming import Names

METRIC_NAMESPACE = "FDR/Replication"
MIB = 1024 * 1024


def replication_settings(config: EnvironmentConfig, names: Names, region: str) -> dict[str, Any]:
    r = config.object_replication
    return {
        "source_bucket": names.data_bucket(config.account, region),
        "source_region": region,
        "blob_endpoint": r.endpoint,
        "container": r.container,
        "tenant_id": r.tenant_id,
        "client_id": r.client_id,
        "authority_host": r.authority_host,
        "token_audience": r.token_audience,
        "signing_algorithm": r.signing_algorithm,
        "token_duration_seconds": r.token_duration_seconds,
        "single_put_max_bytes": r.single_put_max_mib * MIB,
        "block_bytes": r.block_size_mib * MIB,
        "presign_seconds": r.presigned_url_minutes * 60,
        "delete_delay_days": r.delete_delay_days,
        "rpo_seconds": r.rpo_minutes * 60,
        "metric_namespace": METRIC_NAMESPACE,
        "retry_mode": config.backup.retry_mode,
        "retry_max_attempts": config.backup.retry_max_attempts,
    }
