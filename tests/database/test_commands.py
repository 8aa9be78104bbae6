"""``status``'s database entry (age of the newest verified dump against the dump interval) and
``replicate database --setup|--lag|--teardown`` through the CLI, DSNs from the environment."""

from __future__ import annotations

import io
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from azure_dr.cli import main
from azure_dr.database import commands, dump, logical
from azure_dr.database.pg import Dsn, psql, scalar
from infra.config import load_config
from infra.config.loader import CONFIG_DIR
from tests.database.conftest import new_database
from tests.database.postgres import PASSWORD, Cluster


def test_status_entry_is_the_age_of_the_newest_verified_dump(
    clusters: tuple[Cluster, Cluster], container: Any
) -> None:
    config = load_config("production", environ={})
    source = new_database(clusters[0])
    psql(Dsn.parse(source), "CREATE TABLE t (x int)")
    assert commands.database_entry(config, container)["within_rpo"] is False  # nothing yet
    taken = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
    shipped = dump.ship_dump(source_dsn=source, container=container, clock=lambda: taken)
    # the entry reads the configured database's dumps: this one is under the test database
    entry = commands.database_entry(config, container)
    assert entry["newest_dump"] is None
    config = config.model_copy(
        update={
            "data": config.data.model_copy(
                update={
                    "database": config.data.database.model_copy(
                        update={"database_name": Dsn.parse(source).database}
                    )
                }
            )
        }
    )
    entry = commands.database_entry(config, container, now=taken + timedelta(minutes=30))
    assert entry == {
        "mode": "dump",
        "newest_dump": shipped.dump.name,
        "taken_at": "2026-12-02T04:00:00+00:00",
        "bytes": shipped.dump.size,
        "age_seconds": 1800.0,
        "rpo_seconds": 3600,
        "within_rpo": True,
    }
    late = commands.database_entry(config, container, now=taken + timedelta(minutes=61))
    assert late["within_rpo"] is False
    assert "BEYOND RPO" in commands.describe(late)


def _continuous_config(tmp_path: Path) -> Path:
    raw = yaml.safe_load((CONFIG_DIR / "staging.yaml").read_text())
    raw["database_replication"]["mode"] = "continuous"
    raw["link"]["continuous_replication"] = True  # continuous mode needs the private path
    (tmp_path / "staging.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    return tmp_path


class _NoAws:
    """No AWS credentials: a client call fails the way boto3 does, before any network."""

    def client(self, *args: Any, **kwargs: Any) -> Any:
        from botocore.exceptions import NoCredentialsError

        raise NoCredentialsError()


def cli(args: list[str], environ: dict[str, str], config_dir: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([*args, "--env", "staging"], environ=environ, stdout=out, stderr=err,
                config_dir=config_dir, aws_session=_NoAws())  # fmt: skip
    return code, out.getvalue(), err.getvalue()


def test_replicate_database_through_the_cli(
    clusters: tuple[Cluster, Cluster], tmp_path: Path
) -> None:
    rds, azure = clusters
    source, target = new_database(rds), new_database(azure)
    psql(Dsn.parse(source), "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2)")
    env = {commands.PUBLISHER: source, commands.SUBSCRIBER: target}

    code, _, err = cli(["replicate", "database", "--setup"], env, CONFIG_DIR)
    assert code == 1 and "mode is 'dump'" in err  # staging is in dump mode

    folder = _continuous_config(tmp_path)
    code, _, err = cli(["replicate", "database", "--setup"], {}, folder)
    # Without overrides the DSNs come from the vaults: here AWS has no credentials to give.
    assert code == 1 and "cannot read RDS instance fdr-staging-postgres-us-east-1" in err
    assert "(NoCredentialsError)" in err and "FDR_DB_PUBLISHER_DSN" in err
    code, out, err = cli(["replicate", "database", "--setup"], env, folder)
    assert code == 0, err
    assert out.strip() == (
        "heartbeat table created; publication created; schema applied; subscription created"
    )
    assert PASSWORD not in out + err
    code, out, _ = cli(["replicate", "database", "--setup"], env, folder)
    assert out.strip() == "nothing to do"

    deadline = time.monotonic() + 20
    while scalar(Dsn.parse(target), "SELECT count(*) FROM t") != "2":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    # No heartbeat yet (the probe runs in AWS): the lag cannot be told, so not within.
    code, out, _ = cli(["replicate", "database", "--lag"], env, folder)
    lag = json.loads(out)
    assert code == 2 and lag["slot"] and lag["heartbeat_age_seconds"] is None
    assert not lag["within_objective"] and lag["max_lag_seconds"] == 300
    logical.heartbeat(source)  # what the probe writes every minute
    deadline = time.monotonic() + 20
    while logical.lag(source).pending_heartbeats:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    code, out, _ = cli(["replicate", "database", "--lag"], env, folder)
    lag = json.loads(out)
    assert code == 0 and lag["slot"] and lag["within_objective"] and lag["lag_seconds"] == 0
    code, out, _ = cli(["replicate", "database", "--teardown"], env, folder)
    assert code == 0 and "subscription dropped" in out
