"""Event path: S3 'Object Created' / 'Object Deleted' events of the source bucket, delivered by
EventBridge into an SQS queue, in batches. Each record is handled on its own; failed records are
returned as ``batchItemFailures`` so SQS redelivers only those (and, after maxReceiveCount,
moves them to the dead-letter queue). Deletes are only marked here, never applied.
"""

from __future__ import annotations

import json
from typing import Any

from object_replication.engine import Report
from object_replication.runtime import logger, metrics, publish, replicator

HANDLED = frozenset({"Object Created", "Object Deleted"})


class EventError(ValueError):
    """The invocation is not an SQS batch; raised before any AWS or Azure call."""


def parse_record(record: dict[str, Any]) -> tuple[str, str, str]:
    """(detail-type, bucket, key) of one SQS record carrying an EventBridge S3 event."""
    event = json.loads(record["body"])
    detail = event["detail"]
    return str(event["detail-type"]), str(detail["bucket"]["name"]), str(detail["object"]["key"])


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: Any, context: Any) -> dict[str, Any]:
    if not isinstance(event, dict) or not isinstance(event.get("Records"), list):
        logger.error("rejected event: not an SQS batch")
        raise EventError("expected an SQS batch ({'Records': [...]})")
    engine = replicator()
    report = Report()
    failures = []
    for record in event["Records"]:
        try:
            detail_type, bucket, key = parse_record(record)
        except (KeyError, TypeError, ValueError) as err:
            logger.error("malformed record", extra={"error": repr(err)})
            failures.append({"itemIdentifier": record.get("messageId", "")})
            continue
        if bucket != engine.settings.source_bucket or detail_type not in HANDLED:
            logger.warning("ignored event", extra={"bucket": bucket, "detail_type": detail_type})
            continue
        try:
            if engine.on_event(detail_type, key, report) == "failed":
                raise RuntimeError("copy failed after retries")
        except Exception as err:
            logger.exception("record failed", extra={"key": key, "error": str(err)})
            failures.append({"itemIdentifier": record["messageId"]})
    publish(report, engine.settings.metric_namespace, lag=False)
    logger.info("batch done", extra={"report": report.as_dict(), "failures": len(failures)})
    return {"batchItemFailures": failures}
