"""Reconciliation, on a schedule: lists the source bucket and the container, publishes the lag
(``ReplicationLagSeconds``: age of the oldest source object not yet in Azure; ``ObjectsBehind``)
as the state found before copying, copies what the event path missed and applies deletes whose
delay has passed. An event may only set ``{"dry_run": true}`` (measure, change nothing)."""

from __future__ import annotations

from typing import Any

from object_replication.runtime import logger, metrics, publish, replicator


class EventError(ValueError):
    """The event carries something other than the dry_run flag."""


def parse(event: Any) -> bool:
    event = event or {}
    if not isinstance(event, dict) or set(event) - {"dry_run"}:
        raise EventError("reconcile takes no event, or {'dry_run': true|false}")
    dry_run = event.get("dry_run", False)
    if not isinstance(dry_run, bool):
        raise EventError(f"dry_run must be true or false, got {dry_run!r}")
    return dry_run


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: Any, context: Any) -> dict[str, Any]:
    try:
        dry_run = parse(event)
    except EventError as err:
        logger.error("rejected event", extra={"reason": str(err)})
        raise
    engine = replicator()
    report = engine.reconcile(copy=not dry_run, deletes=not dry_run)
    publish(report, engine.settings.metric_namespace, lag=True)
    if report.failed:
        logger.error("objects not replicated", extra={"failed": report.failed[:20]})
    logger.info("reconciled", extra={"report": report.as_dict()})
    return report.as_dict()
