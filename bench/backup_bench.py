"""Benchmark of the backup jobs: cost must grow linearly with the number of snapshots.

Seeds moto with N manual snapshots spread over two regions (half of them past retention), then
times ``prune`` and ``verify`` and counts their AWS API calls (botocore ``before-call`` hooks),
for N = 1,000 and 2,000. Then measures the cold import of each handler module with
``python -X importtime`` (Powertools included; budget 300 ms).

    .venv/bin/python bench/backup_bench.py

moto answers DescribeDBSnapshots in one page whatever MaxRecords says, so listing costs one call
per region here; real RDS returns 100 per page (ceil(N / 100) calls), which is also linear.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "lambdas"))
sys.path.insert(0, str(ROOT))
os.environ.update(
    AWS_ACCESS_KEY_ID="bench",
    AWS_SECRET_ACCESS_KEY="bench",
    AWS_DEFAULT_REGION="us-east-1",
    MOTO_RDS_SNAPSHOT_LIMIT="100000",
    POWERTOOLS_METRICS_NAMESPACE="FDR/Backup",
)

import boto3  # noqa: E402
from backup_jobs import prune, verify  # noqa: E402
from backup_jobs.aws import Job, RetryPolicy  # noqa: E402
from moto import mock_aws  # noqa: E402
from moto.core import DEFAULT_ACCOUNT_ID  # noqa: E402
from moto.rds.models import DBSnapshot, rds_backends  # noqa: E402

from tests.lambdas.conftest import (  # noqa: E402
    DB,
    PRIMARY,
    STANDBY,
    create_primary_database,
    settings,
)

JOBS = ("snapshot", "copy", "prune", "verify", "promote")
IMPORT_BUDGET_MS = 300


class CountingClients:
    def __init__(self) -> None:
        self.cache: dict[tuple[str, str], object] = {}
        self.calls = 0

    def _count(self, **_: object) -> None:
        self.calls += 1

    def __call__(self, service: str, region: str):
        key = (service, region)
        if key not in self.cache:
            client = boto3.client(service, region_name=region)
            client.meta.events.register("before-call.*.*", self._count)
            self.cache[key] = client
        return self.cache[key]


def seed(count: int) -> None:
    create_primary_database()
    for bucket, region in (("fdr-test-data-primary", PRIMARY), ("fdr-test-data-standby", STANDBY)):
        extra = (
            {}
            if region == PRIMARY
            else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        )
        boto3.client("s3", region_name=region).create_bucket(Bucket=bucket, **extra)
    database = rds_backends[DEFAULT_ACCOUNT_ID][PRIMARY].databases[DB]
    tags = [{"Key": "project", "Value": "fdr"}, {"Key": "environment", "Value": "test"},
            {"Key": "backup-job", "Value": "snapshot"}]  # fmt: skip
    now = datetime.now(UTC)
    for index in range(count):
        region = (PRIMARY, STANDBY)[index % 2]
        backend = rds_backends[DEFAULT_ACCOUNT_ID][region]
        name = f"{DB}-{index:06d}"
        snap = DBSnapshot(backend, database, name, tags=tags)
        # ages spread evenly over 60 days: half are past the 30-day retention, whatever N is
        age = timedelta(days=60) * (index / count)
        snap.created = snap.original_snapshot_create_time = now - age
        backend.database_snapshots[name] = snap


def timed(job, request, clients: CountingClients) -> tuple[float, int]:
    clients.calls = 0
    start = time.perf_counter()
    job.run(request, Job(settings(), clients, RetryPolicy(sleep=lambda _: None), print))
    return time.perf_counter() - start, clients.calls


def measure(count: int) -> dict[str, tuple[float, int]]:
    with mock_aws():
        seed(count)
        clients = CountingClients()
        return {
            "verify": timed(verify, verify.VerifyRequest(), clients),
            "prune (dry run)": timed(prune, prune.PruneRequest(dry_run=True), clients),
            "prune": timed(prune, prune.PruneRequest(dry_run=False), clients),
        }


def import_ms(job: str, also: str = "") -> float:
    """Median import time (sum of the top-level imports) of backup_jobs.<job> in fresh
    interpreters; ``also`` adds modules imported after it (boto3: what the first run loads)."""
    samples = []
    statement = f"import backup_jobs.{job}" + (f"; import {also}" if also else "")
    for _ in range(5):
        result = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", statement],
            env={**os.environ, "PYTHONPATH": str(ROOT / "lambdas")},
            capture_output=True,
            text=True,
            check=True,
        )
        lines = result.stderr.splitlines()
        # interpreter start-up (encodings, site) comes first; what follows is the statement's
        start = max(i for i, ln in enumerate(lines) if ln.endswith("| site")) + 1
        samples.append(
            sum(
                int(ln.split("|")[1]) / 1000
                for ln in lines[start:]
                if not ln.split("|")[2].startswith("  ")  # top level: nested lines are indented
            )
        )
    return statistics.median(samples)


def main() -> int:
    import logging

    logging.disable(logging.CRITICAL)  # the jobs' per-snapshot logs would dominate the timing
    results = {n: measure(n) for n in (1000, 2000)}
    print("| job | 1,000 snapshots | 2,000 snapshots | ratio (time / calls) |")
    print("| --- | --- | --- | --- |")
    for job in results[1000]:
        (t1, c1), (t2, c2) = results[1000][job], results[2000][job]
        print(f"| {job} | {t1 * 1000:.0f} ms, {c1} calls | {t2 * 1000:.0f} ms, {c2} calls "
              f"| {t2 / t1:.2f} / {c2 / c1:.2f} |")  # fmt: skip
    print()
    print(f"| handler module | cold import, median of 5 (budget {IMPORT_BUDGET_MS} ms) "
          "| with boto3 (loaded by the first run) |")  # fmt: skip
    print("| --- | --- | --- |")
    over = []
    for job in JOBS:
        ms = import_ms(job)
        print(f"| backup_jobs.{job} | {ms:.0f} ms | {import_ms(job, 'boto3'):.0f} ms |")
        if ms > IMPORT_BUDGET_MS:
            over.append(job)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
