"""``replicate database --setup|--lag|--teardown`` and the ``database`` entries of ``status``:
dump mode's newest verified dump; in continuous mode the lag the probe last published (the
RPO), with the dump kept as the fallback entry ``database-dump``.

Connections (never on a command line, never printed; ``azure_dr/database/credentials.py``):
the publisher (RDS primary, master user: the RDS-managed secret), the subscriber (the Azure
server, admin: Key Vault's ``postgres-admin-password``) and the replication user (how Azure
reaches RDS: the primary data stack's secret, a role ``--setup`` creates). The environment
variables FDR_DB_PUBLISHER_DSN, FDR_DB_SUBSCRIBER_DSN and FDR_DB_REPLICATION_DSN override each
(docs/database-to-azure.md)."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from azure_dr.database import catalog, logical, replication_role
from azure_dr.database.credentials import PUBLISHER, REPLICATION, SUBSCRIBER, Resolver
from azure_dr.errors import AzureDrError

__all__ = ["PUBLISHER", "REPLICATION", "SUBSCRIBER"]
DATA_SET = "database"
DUMP_FALLBACK = "database-dump"  # continuous mode: the dumps keep running as the fallback


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--setup", action="store_true", help="replicate database: logical replication")
    g.add_argument("--teardown", action="store_true", help="replicate database: detach Azure")
    g.add_argument("--lag", action="store_true", help="replicate database: the replication lag")


def replicate(config: Any, args: argparse.Namespace, dsns: Resolver, out: TextIO) -> int:
    db = config.database_replication
    if args.setup and db.mode != "continuous":
        raise AzureDrError(
            f"database_replication.mode is {db.mode!r} in config/{config.name}.yaml: set it to "
            "continuous once the private cross-cloud link exists"
        )
    publisher = dsns.publisher()
    if args.lag:
        # The probe Lambda's measure (replication_lag.measure), the alarm's threshold.
        lag, threshold = logical.lag(publisher), db.max_lag_minutes * 60
        within = lag.within(threshold)
        print(
            json.dumps({**lag.as_dict(), "max_lag_seconds": threshold, "within_objective": within}),
            file=out,
        )
        return 0 if within else 2
    subscriber = dsns.subscriber()
    if args.teardown:
        done = logical.teardown(publisher_dsn=publisher, subscriber_dsn=subscriber)
    elif args.setup:
        replication, login = dsns.replication()
        done = []
        if login is not None:  # from Secrets Manager: the role must exist with that password
            done += replication_role.ensure(
                publisher_dsn=publisher,
                replication_dsn=replication,
                user=login["username"],
                password=login["password"],
            )
        done += logical.setup(
            publisher_dsn=publisher,
            subscriber_dsn=subscriber,
            replication_dsn=replication,
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


def continuous_entry(config: Any, cloudwatch: Any, now: datetime | None = None) -> dict[str, Any]:
    """Continuous mode's recovery point: the newest ``ReplicationLagSeconds`` the probe published
    in the primary region (``lambdas/replication_lag``), against ``max_lag_minutes``. Nothing
    published within three check intervals counts as beyond: the probe or the link is down."""
    from replication_lag import measure

    from infra.replication_settings import METRIC_NAMESPACE

    db = config.database_replication
    threshold = db.max_lag_minutes * 60
    end = now or datetime.now(UTC)
    window = timedelta(minutes=3 * db.lag_check_minutes)
    response = cloudwatch.get_metric_statistics(
        Namespace=METRIC_NAMESPACE,
        MetricName=measure.LAG_METRIC,
        Dimensions=[{"Name": k, "Value": v} for k, v in measure.DIMENSIONS.items()],
        StartTime=end - window,
        EndTime=end,
        Period=60,
        Statistics=["Maximum"],
    )
    points = sorted(response.get("Datapoints", []), key=lambda p: p["Timestamp"])
    newest = points[-1] if points else None
    lag = float(newest["Maximum"]) if newest else None
    return {
        "mode": "continuous",
        "lag_seconds": lag,
        "measured_at": newest["Timestamp"].isoformat() if newest else None,
        "rpo_seconds": threshold,
        "within_rpo": lag is not None and lag < threshold,
    }


def describe_continuous(entry: dict[str, Any]) -> str:
    verdict = "within RPO" if entry["within_rpo"] else "BEYOND RPO"
    if entry["lag_seconds"] is None:
        return (
            f"{DATA_SET}: no replication lag published in the last check intervals (the probe "
            f"or the link is down): {verdict}"
        )
    return (
        f"{DATA_SET}: replication lag {entry['lag_seconds']} s at {entry['measured_at']} "
        f"(RPO {entry['rpo_seconds']} s): {verdict}"
    )
