"""The failover and failback commands: checks, steps in order, dry run, output.

Failover steps (each checks its state first; a re-run resumes an interrupted failover):
  1. replication: continuous mode drops the Azure-side subscription without contacting RDS
     (the rows stay; dump mode: nothing);
  2. database: dump mode restores the newest verified dump (parallel pg_restore, through the
     ``database`` seam; refuses a non-empty server without --force); the marker remembers it;
  3. aks-pools: every user pool's autoscaler minimum and node count to its DR size;
  4. dns: both AWS levels' gates closed, so Route 53 answers with the Application Gateway.
The database comes before DNS: traffic reaches Azure only once the data is there.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from azure_dr.database import credentials
from azure_dr.database.pg import PostgresError
from azure_dr.errors import AzureDrError
from azure_dr.failover.database import DatabaseSeam, dump_age_seconds
from azure_dr.failover.dns import Route53
from azure_dr.failover.pools import AgentPools
from azure_dr.failover.timeline import Marker, Step, Timeline, run_steps
from infra.config import EnvironmentConfig
from infra.naming import Names

DSN_VARIABLE = "FDR_AZURE_POSTGRES_DSN"


@dataclass
class Context:
    config: EnvironmentConfig
    names: Names
    route53: Route53
    pools: AgentPools
    marker: Marker
    database: Callable[[], DatabaseSeam]
    dump_container: Any
    target_dsn: Callable[[], str]
    mode: str  # "dump" or "continuous"
    clock: Callable[[], float] = time.time

    @property
    def regions(self) -> list[str]:
        roles = {r: c.role for r, c in self.config.regions.items()}
        return self.config.dns.application_regions(roles)


def target_dsn(config: EnvironmentConfig, outputs: Callable[[], dict[str, Any]],
               environ: Mapping[str, str], vault: Callable[[], Any]) -> str:  # fmt: skip
    """libpq URI of the Azure server as its admin (never printed): FDR_AZURE_POSTGRES_DSN, else
    the deployment's ``postgresFqdn`` with the password from FDR_AZURE_POSTGRES_PASSWORD or, by
    default, Key Vault (``azure_dr/database/credentials.py``)."""
    if environ.get(DSN_VARIABLE):
        return environ[DSN_VARIABLE]
    password = credentials.azure_admin_password(vault, environ)
    return credentials.azure_admin_dsn(config, outputs()["postgresFqdn"], password)


def _done_in(state: dict[str, Any], step: str) -> str | None:
    entry = state.get("steps", {}).get(step)
    return f"{entry['detail']} (recorded {entry['at']})" if entry else None


def failover_steps(ctx: Context, state: dict[str, Any], *, force: bool) -> list[Step]:
    pools = ctx.config.azure.aks.user_pools

    def replication_done() -> str | None:
        if ctx.mode == "dump":
            return "dump mode: no replication to stop"
        return _done_in(state, "replication")

    def detach() -> str:
        done = ctx.database().detach(ctx.target_dsn())
        return "; ".join(done) or "no subscription on the Azure server"

    def database_done() -> str | None:
        if ctx.mode == "continuous":
            return "continuous mode: the Azure server already holds the data"
        return _done_in(state, "database")

    def restore() -> str:
        result = ctx.database().restore(
            container=ctx.dump_container, target_dsn=ctx.target_dsn(), force=force
        )
        return (
            f"restored {result.dump_name} (taken {result.dump_taken_at:%Y-%m-%dT%H:%M:%SZ}, "
            f"{result.tables} tables, {result.bytes} bytes, {result.seconds:.0f} s)"
        )

    def pools_done() -> str | None:
        if all(ctx.pools.at_least(name, pool.dr_count) for name, pool in pools.items()):
            return "every user pool at its DR size"
        return None

    def scale() -> str:
        changed = []
        for name, pool in pools.items():
            if not ctx.pools.at_least(name, pool.dr_count):
                ctx.pools.scale(name, pool.dr_count)
                changed.append(f"{name}={pool.dr_count}")
        return "minimum node count " + ", ".join(changed)

    def gates() -> list[Any]:
        return [ctx.route53.gate(ctx.names.dr_gate(r), r) for r in ctx.regions]

    def dns_done() -> str | None:
        if all(g.closed for g in gates()):
            return "both AWS levels closed: Route 53 answers with Azure"
        return None

    def close() -> str:
        for gate in gates():
            if not gate.closed:
                ctx.route53.set_threshold(gate, gate.children + 1)
        return f"gates of {' and '.join(ctx.regions)} closed (HealthThreshold > children)"

    sizes = ", ".join(f"{n}>={p.dr_count}" for n, p in pools.items())
    return [
        Step("replication", "drop the Azure-side subscription", replication_done, detach),
        Step("database", "restore the newest verified dump (parallel pg_restore)",
             database_done, restore),
        Step("aks-pools", f"scale the AKS user pools: {sizes}", pools_done, scale),
        Step("dns", f"close the Route 53 gates of {' and '.join(ctx.regions)}", dns_done, close),
    ]  # fmt: skip


def failback_steps(ctx: Context) -> list[Step]:
    pools = ctx.config.azure.aks.user_pools

    def gates() -> list[Any]:
        return [ctx.route53.gate(ctx.names.dr_gate(r), r) for r in ctx.regions]

    def dns_done() -> str | None:
        return "both AWS levels open" if not any(g.closed for g in gates()) else None

    def reopen() -> str:
        for gate in gates():
            if gate.closed:
                ctx.route53.set_threshold(gate, 1)
        return f"gates of {' and '.join(ctx.regions)} open (HealthThreshold 1)"

    def pools_done() -> str | None:
        if all(ctx.pools.at_exactly_min(n, p.min_count) for n, p in pools.items()):
            return "every user pool at its warm minimum"
        return None

    def shrink() -> str:
        for name, pool in pools.items():
            if not ctx.pools.at_exactly_min(name, pool.min_count):
                ctx.pools.scale(name, pool.min_count)
        return "autoscaler minimums back to min_count (the autoscaler drains the rest)"

    return [
        Step("dns", "open the Route 53 gates: traffic returns to AWS", dns_done, reopen),
        Step("aks-pools", "return the AKS user pools to min_count", pools_done, shrink),
    ]


FAILBACK_MANUAL = [
    "freeze writes in Azure (scale the application deployments to 0, or maintenance mode)",
    "pg_dump -Fc from the Azure server (or restore its newest point in time to a new server)",
    "pg_restore into a fresh RDS instance in us-east-1 (the data stack rebuilt), then re-create "
    "the us-west-2 replica and, in continuous mode, the publication and subscription",
    "check row counts and the application's health on both AWS ALBs (Route 53 ALB checks green)",
]


def _now(ctx: Context) -> datetime:
    return datetime.fromtimestamp(ctx.clock(), UTC)


def _aws_status(ctx: Context) -> dict[str, bool]:
    return {r: ctx.route53.healthy(ctx.names.alb_health_check(r)) for r in ctx.regions}


def _rpo(ctx: Context) -> dict[str, Any]:
    if ctx.mode == "continuous":
        try:
            age = ctx.database().data_loss(ctx.target_dsn())
        except PostgresError as exc:  # the Azure server unreachable, or never set up
            return {"mode": "continuous", "data_loss_seconds": None, "unknown": str(exc)}
        return {"mode": "continuous", "data_loss_seconds": age}
    dump = ctx.database().newest(ctx.dump_container)
    age = dump_age_seconds(dump, _now(ctx))
    return {
        "mode": "dump",
        "newest_dump": getattr(dump, "name", None),
        "taken_at": dump.taken_at.isoformat() if dump is not None else None,
        "data_loss_seconds": age,
    }


def run(
    ctx: Context,
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    confirm: Callable[[], bool],
) -> int:
    if args.command == "failback":
        return _failback(ctx, args, out, err, confirm)
    state = ctx.marker.read()
    resuming = bool(state.get("steps")) and not state.get("completed")
    steps = failover_steps(ctx, state, force=args.force)
    if args.dry_run:
        plan = {
            "command": "failover",
            "aws_healthy": _aws_status(ctx),
            "rpo": _rpo(ctx),
            "steps": [{"step": s.name, "plan": s.plan, "already": s.done()} for s in steps],
        }
        _print_plan(plan, args.output, out)
        return 0
    if state.get("completed"):
        print(f"failover already completed at {state['completed']}: checking each step", file=err)
    elif resuming:
        print(f"resuming the failover started at {state.get('started')}", file=err)
    else:
        healthy = [r for r, ok in _aws_status(ctx).items() if ok]
        if healthy and not args.force:
            raise AzureDrError(
                f"refused: Route 53 reports {' and '.join(healthy)} healthy, so AWS is not the "
                "side to leave; pass --force to fail over anyway (a drill or a partial outage)"
            )
        if not args.yes and not confirm():
            raise AzureDrError("not started: answer 'yes' to fail over, or pass --yes")
        state = {"started": _now(ctx).isoformat(timespec="seconds"), "force": args.force}
        ctx.marker.write(state)
        steps = failover_steps(ctx, state, force=args.force)
    timeline = run_steps(steps, ctx.marker, clock=ctx.clock,
                         progress=lambda line: print(line, file=err, flush=True))  # fmt: skip
    state = ctx.marker.read()
    state.setdefault("completed", _now(ctx).isoformat(timespec="seconds"))
    ctx.marker.write(state)
    _print_timeline(timeline, "failover", args.output, out)
    return 0


def _failback(
    ctx: Context, args: argparse.Namespace, out: TextIO, err: TextIO, confirm: Callable[[], bool]
) -> int:
    steps = failback_steps(ctx)
    if args.dry_run:
        plan = {
            "command": "failback",
            "manual_first": FAILBACK_MANUAL,
            "aws_healthy": _aws_status(ctx),
            "steps": [{"step": s.name, "plan": s.plan, "already": s.done()} for s in steps],
        }
        _print_plan(plan, args.output, out)
        return 0
    unhealthy = [r for r, ok in _aws_status(ctx).items() if not ok]
    if unhealthy and not args.force:
        raise AzureDrError(
            f"refused: Route 53 reports {' and '.join(unhealthy)} unhealthy: rebuild AWS first "
            "(failback --dry-run lists the steps), or pass --force"
        )
    if not args.yes and not confirm():
        raise AzureDrError("not started: answer 'yes' to fail back, or pass --yes")
    timeline = run_steps(steps, _Discard(), clock=ctx.clock,
                         progress=lambda line: print(line, file=err, flush=True))  # fmt: skip
    # A later failover starts afresh (the AWS health check applies again).
    ctx.marker.write({"failed_back": _now(ctx).isoformat(timespec="seconds")})
    _print_timeline(timeline, "failback", args.output, out)
    return 0


class _Discard:
    def read(self) -> dict[str, Any]:
        return {}

    def write(self, state: dict[str, Any]) -> None:
        pass


def _print_plan(plan: dict[str, Any], output: str, out: TextIO) -> None:
    if output == "json":
        print(json.dumps(plan, indent=2, default=str), file=out)
        return
    print(f"{plan['command']} plan (dry run: nothing changes)", file=out)
    for step in plan.get("manual_first", []):
        print(f"  manual: {step}", file=out)
    for region, ok in plan["aws_healthy"].items():
        print(f"  Route 53: {region} {'healthy' if ok else 'UNHEALTHY'}", file=out)
    rpo = plan.get("rpo")
    if rpo and rpo["mode"] == "dump":
        age = rpo["data_loss_seconds"]
        loss = "no verified dump: every write" if age is None else f"{age / 60:.1f} min of writes"
        print(f"  data loss accepted (RPO now): {loss} (newest dump {rpo['newest_dump']})",
              file=out)  # fmt: skip
    elif rpo:
        age = rpo["data_loss_seconds"]
        if rpo.get("unknown"):
            loss = f"unknown ({rpo['unknown']})"
        elif age is None:
            loss = "no heartbeat reached Azure: every write since setup"
        else:
            loss = f"{age / 60:.1f} min of writes at most (newest heartbeat in Azure)"
        print(f"  data loss accepted (RPO now): {loss}", file=out)
    for i, step in enumerate(plan["steps"], 1):
        note = f" [already: {step['already']}]" if step["already"] else ""
        print(f"  {i}. {step['step']}: {step['plan']}{note}", file=out)


def _print_timeline(timeline: Timeline, command: str, output: str, out: TextIO) -> None:
    if output == "json":
        print(json.dumps({"command": command, **timeline.as_json()}, indent=2), file=out)
    else:
        print(timeline.render(), file=out)
