"""Entry point: validate the Secrets Manager event (no AWS call for a bad one), run the step, log
what it did (never a header value)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from backup_jobs.aws import RetryPolicy, client_factory

from origin_rotation.context import NotReady, Rotation, RotationError
from origin_rotation.settings import RotationSettings
from origin_rotation.steps import STEPS, StepRequest, run

logger = Logger(service="origin-rotation")


class EventError(ValueError):
    """Not a Secrets Manager rotation event."""


def parse(event: Any) -> StepRequest:
    if not isinstance(event, dict):
        raise EventError("the event is not a JSON object")
    step = event.get("Step")
    if step not in STEPS:
        raise EventError(f"Step {step!r} is not one of {', '.join(STEPS)}")
    for key in ("SecretId", "ClientRequestToken"):
        if not isinstance(event.get(key), str) or not event[key]:
            raise EventError(f"{key} is missing: Secrets Manager sends it with every step")
    return StepRequest(step, event["SecretId"], event["ClientRequestToken"])


def _on_retry(code: str) -> None:
    logger.warning("throttled, backing off", extra={"error_code": code})


@logger.inject_lambda_context(clear_state=True)
def handler(event: Any, context: Any) -> dict[str, Any]:
    try:
        request = parse(event)
    except EventError as err:
        logger.error("rejected event", extra={"reason": str(err)})
        raise
    logger.append_keys(step=request.step, version=request.token)
    settings = RotationSettings.from_environment()
    clients = client_factory(settings.retry_mode, settings.retry_max_attempts)
    rotation = Rotation(settings, clients, RetryPolicy(), _on_retry)
    try:
        report = run(rotation, request)
    except NotReady as err:
        logger.info("not ready yet", extra={"reason": str(err)})
        raise
    except RotationError as err:
        logger.error("step failed", extra={"reason": str(err)})
        raise
    logger.info("step finished", extra={"report": report})
    return report
