"""``promote`` step: makes this region's database the writer, through ``backup_jobs.promote``.

The adaptation to Region switch, and what stays the same:
- ``confirm``: the standby id a person typed is replaced by the plan itself. The function acts
  only for its own plan (the event's PlanArn must name it) on this region's database id from
  configuration; the human decision is starting the execution (and the plan's approval step
  where configured). Nothing else can produce that event.
- The lag check is unchanged: a ReplicaLag that is unknown or above the limit refuses, and the
  step fails (Region switch re-runs it after its retry interval: the lag may recover).
- ``accept_data_loss``: only when the execution's comment contains ``accept-data-loss``, typed
  by whoever started it (``make drill ... ACCEPT_DATA_LOSS=1`` or the console). A failover from
  a dead region has an unknown lag, so it needs exactly that explicit acceptance.
- Re-runs are safe: a database that is already writable is reported, a promotion already under
  way (tagged ``promoted-at`` by an earlier run) is waited for, never started twice.
"""

from __future__ import annotations

from typing import Any

from backup_jobs import promote
from backup_jobs.aws import Job
from backup_jobs.settings import Settings

from recovery_actions.event import RegionSwitchEvent
from recovery_actions.settings import ACCEPT_DATA_LOSS, RecoverySettings
from recovery_actions.step import (
    StepContext,
    database,
    is_writable,
    lambda_entry,
    read_execution,
    wait_until,
)

NAME = "promote"


def backup_settings(s: RecoverySettings) -> Settings:
    """The promote job's settings with this region as the one to promote (other fields unused)."""
    return Settings(
        project=s.project,
        environment=s.environment,
        account=s.account,
        partition=s.partition,
        primary_region=s.primary_region,
        database_id=s.database_id,
        copy_regions=(),
        backup_key_alias="",
        redis_group_id=None,
        hourly_retention_hours=1,
        daily_retention_days=1,
        monthly_retention_days=1,
        keep_newest=1,
        window_minutes=60,
        rpo_seconds=3600,
        prune_dry_run=True,
        metric_namespace="FDR/Recovery",
        standby_region=s.region,
        standby_database_id=s.database_id,
        promote_max_lag_seconds=s.promote_max_lag_seconds,
        promoted_backup_retention_days=s.promoted_backup_retention_days,
        retry_mode=s.retry_mode,
        retry_max_attempts=s.retry_max_attempts,
    )


def run(event: RegionSwitchEvent, ctx: StepContext) -> dict[str, Any]:
    instance_id = ctx.settings.database_id
    instance = database(ctx)
    if is_writable(instance):
        return {"instance": instance_id, "result": "writable", "started_promotion": False}
    tags = {t["Key"]: t["Value"] for t in instance.get("TagList", [])}
    record: dict[str, Any] = {"instance": instance_id, "promoted_at": tags.get("promoted-at")}
    if "promoted-at" not in tags:
        execution = read_execution(ctx, event)
        request = promote.PromoteRequest(
            confirm=instance_id,
            accept_data_loss=ACCEPT_DATA_LOSS in execution.comment,
            reason=f"Region switch {event.execution_id} ({execution.mode}) "
            f"by {event.invoked_by or 'unknown'}",
        )
        job = Job(backup_settings(ctx.settings), ctx.clients, ctx.policy, ctx.on_retry)
        try:
            record = promote.run(request, job)
        except promote.PromoteRefused as err:
            raise promote.PromoteRefused(
                f"{err} (in a Region switch execution: start it with a comment containing "
                f"{ACCEPT_DATA_LOSS!r})"
                if "accept_data_loss" in str(err)
                else str(err)
            ) from None

    def writable() -> dict[str, Any] | None:
        current = database(ctx)
        return current if is_writable(current) else None

    def still() -> str:
        current = database(ctx)
        return f"{instance_id} is still being promoted ({current.get('DBInstanceStatus')})"

    done = wait_until(ctx, writable, still)
    return {
        **record,
        "result": "writable",
        "started_promotion": "promoted-at" not in tags,
        "endpoint": done.get("Endpoint", {}).get("Address"),
    }


handler = lambda_entry(NAME, run)
