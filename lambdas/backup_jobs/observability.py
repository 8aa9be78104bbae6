"""Powertools logger and metrics, configured once for every job (service = job name)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from backup_jobs.aws import Job, RetryPolicy, client_factory
from backup_jobs.settings import EventError, Settings

os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "FDR/Backup")

logger = Logger(service="backup-jobs")
metrics = Metrics()

__all__ = ["MetricUnit", "lambda_entry", "logger", "metrics", "put_metric"]


def put_metric(
    namespace: str, name: str, unit: str, value: float, dimensions: dict[str, str]
) -> None:
    """One metric with exactly ``dimensions``, as an embedded-metric-format line on stdout.

    Alarms select a metric by its exact dimension set. Powertools' ``metrics`` and
    ``single_metric`` add a ``service`` dimension whenever POWERTOOLS_SERVICE_NAME is set, which
    suits the per-job counters (``SnapshotsCreated``, ``Throttled``... carry ``{service}``) but
    would tie a region's recovery-point metric to the name of the function that measured it.
    """
    print(
        json.dumps(
            {
                "_aws": {
                    "Timestamp": int(time.time() * 1000),
                    "CloudWatchMetrics": [
                        {
                            "Namespace": namespace,
                            "Dimensions": [sorted(dimensions)],
                            "Metrics": [{"Name": name, "Unit": unit}],
                        }
                    ],
                },
                **dimensions,
                name: value,
            },
            separators=(",", ":"),
        )
    )


def retry_logger(job: str) -> Callable[[str], None]:
    def on_retry(code: str) -> None:
        logger.warning("throttled, backing off", extra={"job": job, "error_code": code})
        metrics.add_metric(name="Throttled", unit=MetricUnit.Count, value=1)

    return on_retry


def lambda_entry(
    name: str,
    parse: Callable[[Any], Any],
    run: Callable[..., dict[str, Any]],
) -> Callable[[Any, Any], dict[str, Any]]:
    """The handler every job exports: validate the event first (a bad event costs no AWS call),
    then run the job with real clients and log its report."""

    @metrics.log_metrics
    @logger.inject_lambda_context(clear_state=True)
    def handler(event: Any, context: Any) -> dict[str, Any]:
        logger.append_keys(job=name)
        try:
            request = parse(event)
        except EventError as err:
            logger.error("rejected event", extra={"reason": str(err)})
            raise
        settings = Settings.from_environment()
        clients = client_factory(settings.retry_mode, settings.retry_max_attempts)
        report = run(request, Job(settings, clients, RetryPolicy(), retry_logger(name)))
        logger.info("job finished", extra={"report": report})
        return report

    return handler
