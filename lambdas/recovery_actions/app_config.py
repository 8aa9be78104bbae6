"""``app-config`` step: tells the applications of this region where the writer database and
the cache are, through the SSM parameters they read (``/<project>/<env>/app/...``).

Values are read from the resources themselves (the promoted instance's endpoint, the region's
Redis primary endpoint), never from the event. A parameter that already holds the value is left
alone, so a re-run after a partial write finishes the rest and changes nothing twice.
"""

from __future__ import annotations

from typing import Any

from backup_jobs.aws import error_code
from botocore.exceptions import ClientError

from recovery_actions.event import RegionSwitchEvent
from recovery_actions.step import StepContext, StepNotDone, database, is_writable, lambda_entry

NAME = "app-config"


def cache_endpoint(ctx: StepContext) -> str:
    group = ctx.call(
        "elasticache",
        "describe_replication_groups",
        ReplicationGroupId=ctx.settings.redis_group_id,
    )["ReplicationGroups"][0]
    if group.get("ConfigurationEndpoint"):  # cluster mode enabled
        return str(group["ConfigurationEndpoint"]["Address"])
    return str(group["NodeGroups"][0]["PrimaryEndpoint"]["Address"])


def current_value(ctx: StepContext, name: str) -> str | None:
    try:
        return str(ctx.call("ssm", "get_parameter", Name=name)["Parameter"]["Value"])
    except ClientError as err:
        if error_code(err) == "ParameterNotFound":
            return None
        raise


def run(event: RegionSwitchEvent, ctx: StepContext) -> dict[str, Any]:
    s = ctx.settings
    instance = database(ctx)
    if not is_writable(instance):
        raise StepNotDone(
            f"{s.database_id} is not writable yet ({instance.get('DBInstanceStatus')}): the "
            "applications must not be pointed at a read replica"
        )
    wanted = {
        s.writer_parameter: str(instance["Endpoint"]["Address"]),
        s.cache_parameter: cache_endpoint(ctx),
    }
    written, unchanged = [], []
    for name, value in wanted.items():
        if current_value(ctx, name) == value:
            unchanged.append(name)
            continue
        ctx.call("ssm", "put_parameter", Name=name, Value=value, Type="String", Overwrite=True)
        written.append(name)
    return {"region": s.region, "values": wanted, "written": written, "unchanged": unchanged}


handler = lambda_entry(NAME, run)
