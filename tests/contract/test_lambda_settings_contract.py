"""Template <-> job code: the settings every backup Lambda is deployed with parse with the job's
own settings model, and what each schedule sends parses with the job's own event parser."""

from __future__ import annotations

import dataclasses
import json

from object_replication import reconcile

from tests.contract.deployed_jobs import SETTINGS_VARIABLE, Settings, deployed_jobs, job_module
from tests.stacks.template_queries import resources
from tests.synth import SynthesizedEnvironment

SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"


def test_every_backup_function_parses_its_settings(any_env: SynthesizedEnvironment):
    jobs = deployed_jobs(any_env)
    assert {j.job for j in jobs} >= {"snapshot", "copy", "prune", "verify"}
    for job in jobs:
        where = f"{job.stack_id}/{job.logical_id}"
        raw = job.variables.get(SETTINGS_VARIABLE)
        assert raw is not None, f"{where}: no {SETTINGS_VARIABLE} variable"
        settings = Settings.from_mapping(json.loads(raw))  # unknown or missing keys raise
        # every field the job reads is present in the template, none left to a code default
        missing = {f.name for f in dataclasses.fields(Settings)} - set(json.loads(raw))
        assert not missing, f"{where}: settings fall back to code defaults for {sorted(missing)}"
        assert settings.metric_namespace == job.variables["POWERTOOLS_METRICS_NAMESPACE"], where
        job_module(job.job)  # the handler's module exists


def test_every_schedule_sends_an_event_its_job_accepts(any_env: SynthesizedEnvironment):
    jobs = {(j.stack_id, j.logical_id): j for j in deployed_jobs(any_env)}
    replication = any_env.stacks.names.stack_id("replication", any_env.config.replication_region)
    checked = 0
    for stack_id, template in any_env.templates.items():
        for schedule in resources(template, "AWS::Scheduler::Schedule").values():
            target = schedule["Properties"]["Target"]
            if "EcsParameters" in target:
                continue  # the database dump task: tests/contract/test_database_dump_contract.py
            logical_id = target["Arn"]["Fn::GetAtt"][0]
            event = json.loads(target["Input"].replace(SCHEDULED_TIME, "2026-12-02T04:00:00Z"))
            if stack_id == replication:
                # the object replication's reconciliation pass (its own settings contract is
                # tests/contract/test_object_replication.py)
                reconcile.parse(event)
                continue
            job = jobs[(stack_id, logical_id)]
            job_module(job.job).parse(event)  # EventError if not
            checked += 1
    assert checked == 4 * len({j.stack_id for j in jobs.values() if j.job == "snapshot"})
