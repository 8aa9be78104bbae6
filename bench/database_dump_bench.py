"""Benchmark of the database's way to Azure, between two local PostgreSQL 15 clusters through
Azurite (the same components as tests/database):

- dump mode: a generated database of at least 1 GiB (``--gib``) is dumped and shipped
  (``ship_dump``: pg_dump -Fc piped into staged blocks) and restored (``restore_newest_dump``:
  download with SHA-256 check, pg_restore --jobs 4); wall time per phase and the peak RSS of our
  process (each phase runs in a fresh child Python process, so its ru_maxrss is ours alone;
  pg_dump and pg_restore are separate programs) against the 256 MiB budget; row counts and a
  table checksum compared;
- continuous mode: logical replication under a steady pgbench write load for ``--seconds``;
  the lag (bytes and seconds, as ``azure_dr replicate database --status`` reads it) sampled
  every second.

    .venv/bin/python bench/database_dump_bench.py [--gib 1.0] [--seconds 60] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from azure_dr.database import logical  # noqa: E402
from azure_dr.database.pg import Dsn, psql, scalar  # noqa: E402
from tests.database.postgres import BIN, PASSWORD, start_cluster  # noqa: E402

BUDGET_MIB = 256
CHILD = r"""
import json, resource, sys, time
from azure.storage.blob import BlobServiceClient
spec = json.loads(sys.argv[1])
service = BlobServiceClient(spec["url"], credential={"account_name": "devstoreaccount1",
    "account_key": spec["key"]}, connection_verify=spec["ca"])
container = service.get_container_client("backups")
started = time.monotonic()
if spec["phase"] == "ship":
    from azure_dr.database.dump import ship_dump
    r = ship_dump(source_dsn=spec["dsn"], container=container)
    extra = {"bytes": r.dump.size, "blocks": r.blocks}
else:
    from azure_dr.database.restore import restore_newest_dump
    r = restore_newest_dump(container=container, target_dsn=spec["dsn"], jobs=4)
    extra = {"bytes": r.bytes, "tables": r.tables}
print(json.dumps({"seconds": time.monotonic() - started,
    "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, **extra}))
"""


def phase(name: str, dsn: str, azurite: Any) -> dict[str, Any]:
    spec = {"phase": name, "dsn": dsn, "url": azurite.account_url, "key": azurite.account_key,
            "ca": azurite.ca_bundle}  # fmt: skip
    out = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(spec)],
        capture_output=True, text=True, check=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def fingerprint(dsn: Dsn) -> list[list[str]]:
    """Row count and an order-independent checksum of every row."""
    return psql(
        dsn,
        "SELECT count(*), sum(('x' || substr(md5(e::text), 1, 15))::bit(60)::bigint) FROM events e",
        timeout=1800,
    )


def dump_mode(gib: float, rds: Any, azure: Any, azurite: Any) -> dict[str, Any]:
    psql(Dsn.parse(rds.dsn()), "CREATE DATABASE big")
    psql(Dsn.parse(azure.dsn()), "CREATE DATABASE big")
    source, target = Dsn.parse(rds.dsn("big")), Dsn.parse(azure.dsn("big"))
    # ~250 bytes of hex per row (compresses about 2:1, like real text columns).
    rows = int(gib * 1024**3 / 330)
    started = time.monotonic()
    psql(
        source,
        "CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz, kind int, body text);"
        f"INSERT INTO events SELECT g, now() - g * interval '1 second', g % 17, "
        "md5(g::text) || md5((g+1)::text) || md5((g+2)::text) || md5((g+3)::text) || "
        "md5((g+4)::text) || md5((g+5)::text) || md5((g+6)::text) || md5((g+7)::text) "
        f"FROM generate_series(1, {rows}) g; ANALYZE events",
        timeout=3600,
    )
    size = int(scalar(source, "SELECT pg_database_size(current_database())"))
    generate = time.monotonic() - started
    azurite.service().get_container_client("backups").create_container()
    ship = phase("ship", source.url.replace("postgres@", f"postgres:{PASSWORD}@"), azurite)
    restore = phase("restore", target.url.replace("postgres@", f"postgres:{PASSWORD}@"), azurite)
    same = fingerprint(source) == fingerprint(target)
    return {
        "database_bytes": size,
        "rows": rows,
        "generate_seconds": round(generate, 1),
        "ship": ship,
        "restore": restore,
        "identical": same,
        "within_budget": max(ship["peak_rss_mib"], restore["peak_rss_mib"]) <= BUDGET_MIB,
    }


def continuous_mode(seconds: int, rds: Any, azure: Any) -> dict[str, Any]:
    psql(Dsn.parse(rds.dsn()), "CREATE DATABASE bench")
    psql(Dsn.parse(azure.dsn()), "CREATE DATABASE bench")
    source, target = rds.dsn("bench"), azure.dsn("bench")
    env = {**os.environ, "PGPASSWORD": PASSWORD}
    url = Dsn.parse(source).url
    subprocess.run([str(BIN / "pgbench"), "-i", "-s", "10", "-q", url], env=env,
                   check=True, capture_output=True)  # fmt: skip
    logical.setup(
        publisher_dsn=source,
        subscriber_dsn=target,
        replication_dsn=source,
        monitor_user="azure_dr_monitor",
    )
    deadline = time.monotonic() + 120
    while logical.lag(source).lag_bytes > 0 or not logical.lag(source).active:
        if time.monotonic() > deadline:
            break
        time.sleep(0.5)
    load = subprocess.Popen(
        [str(BIN / "pgbench"), "-c", "4", "-j", "2", "-T", str(seconds), "-R", "200", "-n",
         "-P", "10", url],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    samples: list[logical.Lag] = []
    while load.poll() is None:
        # What the probe does each minute, every second: measure, then write a heartbeat.
        samples.append(logical.lag(source))
        logical.heartbeat(source)
        time.sleep(1)
    output = load.stdout.read() if load.stdout else ""
    caught_up = time.monotonic()
    while logical.lag(source).lag_bytes > 0 and time.monotonic() - caught_up < 120:
        time.sleep(0.2)
    drain = time.monotonic() - caught_up
    tps = next((line for line in output.splitlines() if line.startswith("tps")), "")
    count = "SELECT count(*) FROM pgbench_history"
    return {
        "seconds": seconds,
        "pgbench": tps,
        "samples": len(samples),
        "lag_seconds_max": round(max(s.lag_seconds for s in samples), 3),
        "lag_seconds_median": round(statistics.median(s.lag_seconds for s in samples), 3),
        "lag_bytes_max": max(s.lag_bytes for s in samples),
        "lag_bytes_median": int(statistics.median(s.lag_bytes for s in samples)),
        "drain_seconds_after_load": round(drain, 2),
        "history_rows_equal": scalar(Dsn.parse(source), count) == scalar(Dsn.parse(target), count),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--gib", type=float, default=1.0)
    p.add_argument("--seconds", type=int, default=60)
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    import tests.azurite as azurite_module

    azurite_gen = azurite_module.azurite.__wrapped__()  # type: ignore[attr-defined]
    azurite = next(azurite_gen)
    rds = start_cluster("bench-rds", logical=True)
    azure = start_cluster("bench-azure")
    try:
        result = {
            "dump": dump_mode(args.gib, rds, azure, azurite),
            "logical": continuous_mode(args.seconds, rds, azure),
        }
    finally:
        rds.stop()
        azure.stop()
        next(azurite_gen, None)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text)
    return 0 if result["dump"]["identical"] and result["dump"]["within_budget"] else 1


if __name__ == "__main__":
    sys.exit(main())
