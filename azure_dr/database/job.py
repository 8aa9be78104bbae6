"""The dump job (ECS Fargate task in the replication region, on its schedule):
``python -m azure_dr.database.job``.

1. An IAM authentication token for the dump user on the region's read replica (never the
   primary; RDS IAM auth is on, ``rds.force_ssl`` makes it TLS). The token lives 15 minutes,
   goes to pg_dump in PGPASSWORD only, and no secret is stored anywhere.
2. A Storage token for the DR account by the same keyless exchange as object replication (AWS
   web identity token -> Entra; the task runs under the replicator role the federated credential
   trusts).
3. ``ship_dump`` (constant memory), then retention.
4. The age of the newest verified dump as an EMF metric (``DumpAgeSeconds``, dimension
   ``DataSet=database`` exactly), also after a failure, so the RPO alarm sees a failing job as
   a growing age rather than silence.

Settings: the JSON of DUMP_JOB_SETTINGS (no secrets). Logs: JSON lines without DSN passwords."""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import MISSING, dataclass, fields
from datetime import UTC, datetime
from typing import Any, TextIO
from urllib.parse import quote

from azure_dr.database import catalog
from azure_dr.database.dump import ship_dump

SETTINGS_VARIABLE = "DUMP_JOB_SETTINGS"
AGE_METRIC = "DumpAgeSeconds"
# The exact dimension set of the metric; the stack's alarm names the same
# (tests/contract/test_database_dump_metrics.py reads both sides).
DIMENSIONS = {"DataSet": "database"}


@dataclass(frozen=True)
class JobSettings:
    db_host: str
    db_port: int
    database: str
    db_user: str
    region: str
    blob_endpoint: str
    container: str
    tenant_id: str
    client_id: str
    authority_host: str
    token_audience: str
    signing_algorithm: str
    token_duration_seconds: int
    retention_count: int
    retention_days: int
    block_bytes: int
    metric_namespace: str
    sslmode: str = "require"  # rds.force_ssl; tests use a local cluster without TLS

    @classmethod
    def from_mapping(cls, raw: dict[str, Any]) -> JobSettings:
        known = {f.name for f in fields(cls)}
        required = {f.name for f in fields(cls) if f.default is MISSING}
        unknown, missing = sorted(set(raw) - known), sorted(required - set(raw))
        if unknown or missing:
            raise ValueError(f"{SETTINGS_VARIABLE}: unknown keys {unknown}, missing {missing}")
        return cls(**raw)


def emf(namespace: str, values: dict[str, float], out: TextIO) -> None:
    """One CloudWatch embedded metric format record (the awslogs driver ships stdout)."""
    record: dict[str, Any] = {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": namespace,
                    "Dimensions": [sorted(DIMENSIONS)],
                    "Metrics": [{"Name": name, "Unit": "Seconds"} for name in values],
                }
            ],
        },
        **DIMENSIONS,
        **values,
    }
    print(json.dumps(record), file=out, flush=True)


def source_dsn(s: JobSettings, token: str) -> str:
    return (
        f"postgresql://{quote(s.db_user, safe='')}:{quote(token, safe='')}@{s.db_host}:"
        f"{s.db_port}/{s.database}?sslmode={s.sslmode}"
    )


def publish_age(s: JobSettings, container: Any, out: TextIO) -> float | None:
    newest = catalog.newest_verified_dump(container, s.database)
    if newest is None:
        return None
    age = newest.age_seconds(datetime.now(UTC))
    emf(s.metric_namespace, {AGE_METRIC: age}, out)
    return age


def run(s: JobSettings, *, container: Any, rds_token: str, out: TextIO) -> int:
    def log(message: str, **extra: Any) -> None:
        print(json.dumps({"message": message, **extra}, default=str), file=out, flush=True)

    try:
        shipped = ship_dump(
            source_dsn=source_dsn(s, rds_token), container=container, block_bytes=s.block_bytes
        )
        log("dump shipped", name=shipped.dump.name, bytes=shipped.dump.size,
            seconds=round(shipped.seconds, 1), sha256=shipped.dump.sha256)  # fmt: skip
        deleted = catalog.prune(
            container,
            s.database,
            keep=s.retention_count,
            now=datetime.now(UTC),
            keep_days=s.retention_days,
        )
        if deleted:
            log("retention", deleted=deleted)
        code = 0
    except Exception as exc:  # reported, then the age still goes out
        log("dump failed", error=f"{type(exc).__name__}: {exc}")
        code = 1
    age = publish_age(s, container, out)
    log("newest verified dump", age_seconds=age)
    return code


def main() -> int:  # pragma: no cover - the AWS wiring; run() is tested
    import boto3
    from azure.core.credentials import AccessToken
    from azure.storage.blob import ContainerClient
    from object_replication.identity import EntraToken, aws_web_identity_token
    from object_replication.transport import Http

    s = JobSettings.from_mapping(json.loads(os.environ[SETTINGS_VARIABLE]))
    sts = boto3.client(
        "sts", region_name=s.region, endpoint_url=f"https://sts.{s.region}.amazonaws.com"
    )
    entra = EntraToken(
        token_url=f"https://{s.authority_host}/{s.tenant_id}/oauth2/v2.0/token",
        client_id=s.client_id,
        scope="https://storage.azure.com/.default",
        assertion=lambda: aws_web_identity_token(
            sts,
            audience=s.token_audience,
            signing_algorithm=s.signing_algorithm,
            duration_seconds=s.token_duration_seconds,
        ),
        http=Http(attempts=6),
    )

    class Credential:
        def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
            # EntraToken caches until five minutes before expiry; an hour is the Entra default.
            return AccessToken(entra.token(), int(time.time()) + 600)

    container = ContainerClient(s.blob_endpoint, s.container, credential=Credential())
    token = boto3.client("rds", region_name=s.region).generate_db_auth_token(
        DBHostname=s.db_host, Port=s.db_port, DBUsername=s.db_user, Region=s.region
    )
    return run(s, container=container, rds_token=token, out=sys.stdout)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
