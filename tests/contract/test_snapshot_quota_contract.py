"""Retention <-> quota: a simulated year of the deployed schedules (snapshot, copy, prune, as the
templates schedule them, with the settings the templates give the jobs) never holds more manual
snapshots of ours in any region, copies counted, than the configured RDS quota leaves after the
headroom, nor more than the bound the configuration validates.

Pure functions of the jobs themselves decide: ``snapshot.window_start``/``snapshot_tags`` what is
created and how it is tagged, ``copy.to_copy`` what is copied, ``prune.expired`` what is deleted.
Copies finish at once and keep their source's creation time, as RDS copies do."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from tests.contract.deployed_jobs import DeployedJob, Settings, Snapshot, deployed_jobs, job_module
from tests.stacks.template_queries import resources
from tests.synth import SynthesizedEnvironment

START = datetime(2026, 1, 1, tzinfo=UTC)
YEAR = timedelta(days=366)
_RATE = re.compile(r"^rate\((\d+) (minute|hour|day)s?\)$")
snapshot, copy, prune = (job_module(n) for n in ("snapshot", "copy", "prune"))
_DAILY = re.compile(r"^cron\((\d{1,2}) (\d{1,2}) \* \* \? \*\)$")


def run_times(expression: str) -> Iterator[datetime]:
    """When EventBridge Scheduler runs ``expression`` during the simulated year."""
    if rate := _RATE.match(expression):
        step = timedelta(**{f"{rate.group(2)}s": int(rate.group(1))})
        first = START
    elif daily := _DAILY.match(expression):
        step = timedelta(days=1)
        first = START.replace(hour=int(daily.group(2)), minute=int(daily.group(1)))
    else:
        raise AssertionError(f"cannot simulate schedule {expression!r}")
    when = first
    while when < START + YEAR:
        yield when
        when += step


def schedules(env: SynthesizedEnvironment, job: DeployedJob) -> dict[str, str]:
    """Job name -> schedule expression, read from the job's template."""
    template = env.templates[job.stack_id]
    by_function = {j.logical_id: j.job for j in deployed_jobs(env) if j.stack_id == job.stack_id}
    return {
        by_function[s["Properties"]["Target"]["Arn"]["Fn::GetAtt"][0]]: s["Properties"][
            "ScheduleExpression"
        ]
        for s in resources(template, "AWS::Scheduler::Schedule").values()
    }


def simulate(settings: Settings, expressions: dict[str, str]) -> dict[str, int]:
    """Most manual snapshots each region held at any moment of the year."""
    events = sorted(
        (when, order, name)
        for order, name in enumerate(("snapshot", "copy", "prune"))
        for when in run_times(expressions[name])
    )
    held: dict[str, dict[str, Snapshot]] = {r: {} for r in settings.snapshot_regions}
    most = dict.fromkeys(held, 0)
    uncopied = False
    for now, _, name in events:
        if name == "snapshot":
            window = snapshot.window_start(now, settings.window_minutes)
            identifier = snapshot.snapshot_identifier(settings.database_id, window)
            tags = {t["Key"]: t["Value"] for t in snapshot.snapshot_tags(settings, window)}
            held[settings.primary_region].setdefault(
                identifier,
                Snapshot(identifier, "", settings.primary_region, settings.database_id,
                         "manual", "available", now, tags),
            )  # fmt: skip
            uncopied = True
        elif name == "copy" and uncopied:
            source = copy.to_copy(list(held[settings.primary_region].values()), settings, now)
            for region in settings.copy_regions:
                for s in source:
                    held[region].setdefault(s.identifier, s)
            uncopied = False
        elif name == "prune" and not settings.prune_dry_run:
            for snapshots in held.values():
                doomed, _ = prune.expired(list(snapshots.values()), settings=settings, now=now)
                for s in doomed:
                    del snapshots[s.identifier]
        for region, snapshots in held.items():
            most[region] = max(most[region], len(snapshots))
    return most


def test_a_year_of_schedules_stays_under_the_quota(any_env: SynthesizedEnvironment):
    job = next(j for j in deployed_jobs(any_env) if j.job == "snapshot")
    settings = job.settings
    backup = any_env.config.backup
    most = simulate(settings, schedules(any_env, job))
    limit = backup.manual_snapshot_quota - backup.manual_snapshot_headroom
    assert set(most) == set(settings.snapshot_regions)
    for region, count in most.items():
        assert count <= limit, (
            f"{region}: a simulated year of {job.stack_id}'s schedules holds {count} manual "
            f"snapshots at once; manual_snapshot_quota {backup.manual_snapshot_quota} minus "
            f"headroom {backup.manual_snapshot_headroom} allows {limit}"
        )
        # the configuration's bound is a real upper bound of what the jobs do
        assert count <= backup.worst_case_snapshots.total, (region, count)
