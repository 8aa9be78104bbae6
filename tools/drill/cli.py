"""``python -m tools.drill start|report --env ENV [--output text|json]``.

``start`` begins a graceful switchover of the environment's Region switch plan to the standby
(or ``--to REGION``), follows it and prints every step's duration and the total against the
plan's objective, next to the estimated budget. ``report`` reads the latest executions back.
Exit codes: 0 the drill completed within the objective (start) or the report was read; 1 the
execution failed, paused, missed the objective or the AWS call failed; 2 nothing was started
(bad arguments, configuration or credentials).
"""

from __future__ import annotations

import argparse
import sys
import uuid
from collections.abc import Sequence
from typing import Any

from infra.config import ConfigError, EnvironmentConfig, RegionRole, load_config
from infra.naming import Names
from infra.recovery.budget import rto_budget
from tools.drill import render
from tools.drill.executions import DrillError, find_plan, follow, recent, start

ACCEPT_DATA_LOSS = "accept-data-loss"  # lambdas/recovery_actions/settings.py reads this marker
PERMISSIONS = (
    "arc-region-switch:ListPlansInRegion, StartPlanExecution, GetPlanExecution, ListPlanExecutions"
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tools.drill", description=__doc__)
    parser.add_argument("command", choices=["start", "report"])
    parser.add_argument("--env", required=True, help="environment (config/<env>.yaml)")
    parser.add_argument("--output", choices=["text", "json"], default="text")
    parser.add_argument("--to", dest="target", help="region to activate (default: the standby)")
    parser.add_argument("--mode", choices=["graceful", "ungraceful"], default="graceful")
    parser.add_argument(
        "--accept-data-loss",
        action="store_true",
        help="let the promote step accept an unknown or high replica lag",
    )
    parser.add_argument("--poll-seconds", type=float, default=15)
    parser.add_argument("--max-wait-minutes", type=float, default=90)
    parser.add_argument("--limit", type=int, default=5, help="executions to report")
    return parser


def _plan_regions(config: EnvironmentConfig) -> tuple[str, str]:
    standbys = config.regions_with_role(RegionRole.STANDBY)
    if not standbys:
        raise DrillError(f"{config.name} has no standby region, so no Region switch plan")
    return config.primary_region, standbys[0]


def _client(region: str, config: EnvironmentConfig, plan_name: str) -> Any:
    import boto3

    session = boto3.Session()
    if session.get_credentials() is None:
        raise CredentialsMissing(
            f"drill: no AWS credentials found: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and "
            f"AWS_SECRET_ACCESS_KEY) for account {config.account} with {PERMISSIONS} on plan "
            f"{plan_name}"
        )
    return session.client("arc-region-switch", region_name=region)


class CredentialsMissing(RuntimeError):
    pass


def main(argv: Sequence[str], out: Any = None, err: Any = None, client: Any = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    args = _parser().parse_args(list(argv))
    try:
        config = load_config(args.env)
        primary, standby = _plan_regions(config)
    except (ConfigError, DrillError) as problem:
        print(f"drill: {problem}", file=err)
        return 2
    plan_name = Names(config.project, config.name).region_switch_plan()
    target = args.target or standby
    if target not in (primary, standby):
        print(f"drill: --to {target} is not a plan region ({primary}, {standby})", file=err)
        return 2
    budget = rto_budget(config.recovery, config.dns.health_check)
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        client = client or _client(target, config, plan_name)
        plan_arn = find_plan(client, plan_name)["arn"]
        if args.command == "report":
            summaries = recent(client, plan_arn, args.limit)
            if args.output == "json":
                print(render.as_json(summaries, budget), file=out)
            else:
                print(
                    "\n\n".join(render.text(s, budget) for s in summaries) or "no executions",
                    file=out,
                )
            return 0
        comment = f"drill via make drill ({args.mode})" + (
            f"; {ACCEPT_DATA_LOSS}" if args.accept_data_loss else ""
        )
        execution_id = start(
            client,
            plan_arn,
            target_region=target,
            mode=args.mode,
            comment=comment,
            token=str(uuid.uuid4()),
        )
        progress = (
            (lambda s: None)
            if args.output == "json"
            else (
                lambda s: print(
                    f"... {s.state}: " + ", ".join(f"{t.name} {t.status}" for t in s.steps),
                    file=err,
                )
            )
        )
        summary = follow(
            client,
            plan_arn,
            execution_id,
            poll_seconds=args.poll_seconds,
            max_wait_seconds=args.max_wait_minutes * 60,
            on_change=progress,
        )
    except CredentialsMissing as problem:
        print(problem, file=err)
        return 2
    except (DrillError, ClientError, BotoCoreError) as problem:
        print(f"drill: {problem}", file=err)
        return 1
    if args.output == "json":
        print(render.as_json([summary], budget), file=out)
    else:
        print(render.text(summary, budget), file=out)
    return 0 if summary.met_objective else 1
