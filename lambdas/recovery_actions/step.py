"""What every recovery step shares: its context, the execution it runs in, the database of its
region, waiting within one invocation, and the Lambda entry point."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from backup_jobs.aws import ClientFactory, RetryPolicy, client_factory, with_backoff
from backup_jobs.observability import logger, metrics, retry_logger
from backup_jobs.settings import EventError

from recovery_actions.event import RegionSwitchEvent, parse
from recovery_actions.settings import RecoverySettings

T = TypeVar("T")


class StepNotDone(RuntimeError):
    """The step's work is still going on. The invocation fails on purpose: Region switch re-runs
    the step after the plan's retry interval, until the step's timeout."""


@dataclass(frozen=True)
class StepContext:
    settings: RecoverySettings
    clients: ClientFactory
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    on_retry: Callable[[str], None] = lambda code: None
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    def call(self, service: str, operation: str, **kwargs: Any) -> Any:
        """One API call in this region, with the jobs' throttling back-off."""
        client = self.clients(service, self.settings.region)
        return with_backoff(getattr(client, operation), self.policy, self.on_retry, **kwargs)


@dataclass(frozen=True)
class Execution:
    mode: str
    """graceful (a planned switchover) or ungraceful (a failover away from a failed region)."""
    action: str
    comment: str


def read_execution(ctx: StepContext, event: RegionSwitchEvent) -> Execution:
    """Mode and comment of the running execution: the event itself carries neither."""
    found = ctx.call(
        "arc-region-switch",
        "get_plan_execution",
        planArn=event.plan_arn,
        executionId=event.execution_id,
    )
    return Execution(found["mode"], found["executionAction"], found.get("comment", ""))


def database(ctx: StepContext) -> dict[str, Any]:
    found = ctx.call("rds", "describe_db_instances", DBInstanceIdentifier=ctx.settings.database_id)
    return dict(found["DBInstances"][0])


def is_writable(instance: dict[str, Any]) -> bool:
    """A standalone instance (no longer anyone's read replica) that is available."""
    return (
        not instance.get("ReadReplicaSourceDBInstanceIdentifier")
        and instance.get("DBInstanceStatus") == "available"
    )


def wait_until(ctx: StepContext, check: Callable[[], T | None], still: Callable[[], str]) -> T:
    """``check()`` until it returns a value, for at most ``step_wait_seconds``; then StepNotDone
    with ``still()`` saying what is still going on."""
    deadline = ctx.clock() + ctx.settings.step_wait_seconds
    while True:
        result = check()
        if result is not None:
            return result
        if ctx.clock() + ctx.settings.poll_seconds > deadline:
            raise StepNotDone(
                f"{still()} after {ctx.settings.step_wait_seconds} s; Region switch re-runs "
                "this step after the plan's retry interval"
            )
        ctx.sleep(ctx.settings.poll_seconds)


def lambda_entry(
    name: str, run: Callable[[RegionSwitchEvent, StepContext], dict[str, Any]]
) -> Callable[[Any, Any], dict[str, Any]]:
    """The handler of a step: validate the event (no AWS call for a bad one), run, log."""

    @metrics.log_metrics  # flushes the Throttled count of the back-off, if any
    @logger.inject_lambda_context(clear_state=True)
    def handler(event: Any, context: Any) -> dict[str, Any]:
        logger.append_keys(step=name)
        settings = RecoverySettings.from_environment()
        try:
            request = parse(event, account=settings.account, plan_name=settings.plan_name)
        except EventError as err:
            logger.error("rejected event", extra={"reason": str(err)})
            raise
        logger.append_keys(execution=request.execution_id, plan_step=request.step_name)
        clients = client_factory(settings.retry_mode, settings.retry_max_attempts)
        ctx = StepContext(settings, clients, RetryPolicy(), retry_logger(name))
        try:
            report = run(request, ctx)
        except StepNotDone as err:
            logger.info("not done yet", extra={"reason": str(err)})
            raise
        logger.info("step finished", extra={"report": report})
        return report

    return handler
