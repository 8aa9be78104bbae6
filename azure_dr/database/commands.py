"""``replicate database --setup|--status|--teardown`` and the ``database`` entry of ``status``.

Connection strings come from the environment only (they may hold passwords, which must not
appear on a command line): FDR_DB_PUBLISHER_DSN (RDS, as the master user: the publication),
FDR_DB_SUBSCRIBER_DSN (the Azure server, as its admin: schema and subscription) and
FDR_DB_REPLICATION_DSN (how Azure reaches RDS, as the replication user; default the publisher's).
Export them from Secrets Manager and Key Vault in the shell that runs the command
(docs/database-to-azure.md)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

from azure_dr.database import catalog, logical
from azure_dr.errors import AzureDrError

PUBLISHER, SUBSCRIBER, REPLICATION = (
    "FDR_DB_PUBLISHER_DSN",
    "FDR_DB_SUBSCRIBER_DSN",
    "FDR_DB_REPLICATION_DSN",
)
DATA_SET = "database"


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--setup", action="store_true", help="replicate database: logical replication")
    g.add_argument("--teardown", action="store_true", help="replicate database: detach Azure")
    g.add_argument("--lag", action="store_true", help="replicate database: the replication lag")


def _dsn(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name)
    if not value:
        raise AzureDrError(
            f"{name} is not set (a postgresql:// URI; see docs/database-to-azure.md)"
        )
    return value


def replicate(
    config: Any, args: argparse.Namespace, environ: Mapping[str, str], out: TextIO
) -> int:
    db = config.database_replication
    if args.setup and db.mode != "continuous":
        raise AzureDrError(
            f"database_replication.mode is {db.mode!r} in config/{config.name}.yaml: set it to "
            "continuous once the private cross-cloud link exists"
        )
    publisher = _dsn(environ, PUBLISHER)
    if args.lag:
        # The probe Lambda's measure (replication_lag.measure), the alarm's threshold.
        lag, threshold = logical.lag(publisher), db.max_lag_minutes * 60
        within = lag.within(threshold)
        print(
            json.dumps({**lag.as_dict(), "max_lag_seconds": threshold, "within_objective": within}),
            file=out,
        )
        return 0 if within else 2
    subscriber = _dsn(environ, SUBSCRIBER)
    if args.teardown:
        done = logical.teardown(publisher_dsn=publisher, subscriber_dsn=subscriber)
    elif args.setup:
        done = logical.setup(
            publisher_dsn=publisher,
            subscriber_dsn=subscriber,
            replication_dsn=environ.get(REPLICATION) or publisher,
            monitor_user=db.monitor_user,
        )
    else:
        raise AzureDrError("replicate database: pass --setup, --lag or --teardown")
    print("; ".join(done) or "nothing to do", file=out)
    return 0


def database_entry(config: Any, container: Any, now: datetime | None = None) -> dict[str, Any]:
    """The dump mode's recovery point: the age of the newest verified dump in Azure."""
    db = config.database_replication
    rpo = db.dump_interval_minutes * 60
    newest = catalog.newest_verified_dump(container, config.data.database.database_name)
    age = newest.age_seconds(now or datetime.now(UTC)) if newest else None
    return {
        "mode": db.mode,
        "newest_dump": newest.name if newest else None,
        "taken_at": newest.taken_at.isoformat() if newest else None,
        "bytes": newest.size if newest else None,
        "age_seconds": round(age, 1) if age is not None else None,
        "rpo_seconds": rpo,
        "within_rpo": age is not None and age < rpo,
    }


def describe(entry: dict[str, Any]) -> str:
    verdict = "within RPO" if entry["within_rpo"] else "BEYOND RPO"
    if entry["newest_dump"] is None:
        return f"{DATA_SET}: no verified dump in Azure: {verdict}"
    return (
        f"{DATA_SET}: newest dump {entry['taken_at']} ({entry['bytes']} bytes), age "
        f"{entry['age_seconds']} s (RPO {entry['rpo_seconds']} s): {verdict}"
    )
