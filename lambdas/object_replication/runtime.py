"""Powertools logger and metrics of the two replication functions, and the replicator each
warm container reuses (clients, connection pools and the cached Azure token)."""

from __future__ import annotations

import functools
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from object_replication.engine import Replicator, Report
from object_replication.settings import ReplicationSettings

SERVICE = "object-replication"
DATA_SET = "objects"
LAG_METRIC = "ReplicationLagSeconds"
BEHIND_METRIC = "ObjectsBehind"
# The exact dimension set of every metric above; the stack's alarm names the same
# (tests/contract/test_object_replication_metrics.py reads both sides).
DIMENSIONS = {"DataSet": DATA_SET}

logger = Logger(service=SERVICE)
metrics = Metrics()


def _log(message: str, **extra: Any) -> None:
    logger.info(message, extra=extra)


def _on_retry(code: str) -> None:
    logger.warning("throttled or unavailable, backing off", extra={"code": code})
    metrics.add_metric(name="Retries", unit=MetricUnit.Count, value=1)


@functools.cache
def replicator() -> Replicator:
    import boto3

    from object_replication import wiring

    settings = ReplicationSettings.from_environment()
    http = wiring.http_for(settings, _on_retry)
    sts = boto3.client(
        "sts",
        region_name=settings.source_region,
        endpoint_url=f"https://sts.{settings.source_region}.amazonaws.com",
    )
    return wiring.replicator(
        settings,
        s3=wiring.s3_client(settings),
        token=wiring.federated_token(settings, sts, http),
        http=http,
        log=_log,
        on_retry=_on_retry,
    )


def publish(report: Report, namespace: str, *, lag: bool) -> None:
    """Counts of this run, and (reconciliation only) the measured lag."""
    metrics.namespace = namespace
    metrics.set_default_dimensions(**DIMENSIONS)
    metrics.add_metric(name="ObjectsCopied", unit=MetricUnit.Count, value=report.copied)
    metrics.add_metric(name="CopyFailures", unit=MetricUnit.Count, value=len(report.failed))
    if lag:
        metrics.add_metric(name=LAG_METRIC, unit=MetricUnit.Seconds, value=report.lag_seconds)
        metrics.add_metric(name=BEHIND_METRIC, unit=MetricUnit.Count, value=report.behind)
