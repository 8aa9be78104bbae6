"""The dump job's run (what the Fargate task executes) against real PostgreSQL and Azurite:
the dump shipped, retention applied, the age metric in EMF with exactly its dimension set, a
failing dump still reporting the age of the previous one, and no password in the output."""

from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import urlsplit

import pytest

from azure_dr.database import catalog, job
from azure_dr.database.pg import Dsn, psql
from tests.database.conftest import new_database
from tests.database.postgres import PASSWORD, Cluster


def settings(dsn: str, **overrides: Any) -> job.JobSettings:
    parts = urlsplit(dsn)
    raw: dict[str, Any] = {
        "db_host": parts.hostname, "db_port": parts.port, "database": parts.path.lstrip("/"),
        "db_user": parts.username, "region": "us-west-2",
        "blob_endpoint": "https://unused/", "container": "backups", "tenant_id": "t",
        "client_id": "c", "authority_host": "login.microsoftonline.com",
        "token_audience": "api://AzureADTokenExchange", "signing_algorithm": "RS256",
        "token_duration_seconds": 300, "retention_count": 2, "retention_days": 7,
        "block_bytes": 1024 * 1024, "metric_namespace": "FDR/Replication", "sslmode": "disable",
    }  # fmt: skip
    raw.update(overrides)
    return job.JobSettings.from_mapping(raw)


def records(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_the_job_ships_and_publishes_the_age(
    clusters: tuple[Cluster, Cluster], container: Any
) -> None:
    dsn = new_database(clusters[0])
    psql(Dsn.parse(dsn), "CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 100)")
    s = settings(dsn)
    out = io.StringIO()
    assert job.run(s, container=container, rds_token=PASSWORD, out=out) == 0
    assert catalog.newest_verified_dump(container, s.database) is not None
    metric = next(r for r in records(out) if "_aws" in r)
    (directive,) = metric["_aws"]["CloudWatchMetrics"]
    assert directive["Dimensions"] == [list(job.DIMENSIONS)]
    assert directive["Metrics"] == [{"Name": job.AGE_METRIC, "Unit": "Seconds"}]
    assert metric["DataSet"] == "database" and metric[job.AGE_METRIC] < 60

    # A failing dump (wrong token) still publishes the age of the newest verified one.
    out = io.StringIO()
    assert job.run(s, container=container, rds_token="wrong", out=out) == 1
    lines = records(out)
    assert any(r.get("message") == "dump failed" for r in lines)
    assert any(job.AGE_METRIC in r for r in lines)
    assert PASSWORD not in out.getvalue()


def test_settings_name_unknown_and_missing_keys() -> None:
    with pytest.raises(ValueError, match=r"unknown keys \['extra'\], missing \['database'\]"):
        raw = {f: 1 for f in job.JobSettings.__dataclass_fields__ if f != "database"}
        job.JobSettings.from_mapping({**raw, "extra": 1})
