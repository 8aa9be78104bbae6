"""``replicate objects`` and ``status``: the replication engine of the Lambda functions
(``lambdas/object_replication``), run from an operator's machine.

``replicate objects --once`` is one reconciliation pass (the first backfill); without
``--once`` passes repeat every ``--interval`` seconds until interrupted. ``status`` lists the
source bucket and the container and prints the lag per data set without copying anything: it
computes the lag from the two listings (the same code as the reconcile function) instead of
reading the CloudWatch metric, so it works before the stack is deployed, from any machine with
read access to both sides, and cannot report a stale number.

Azure access: ``--auth azure`` (default) uses the operator's Azure sign-in (``az login`` or the
AZURE_* variables), which needs Storage Blob Data Contributor (Reader for ``status``) on the DR
account; ``--auth aws`` uses the same keyless exchange as the functions (AWS web identity token
-> Entra), for a session under the replicator role the federated credential trusts.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

from azure.core.credentials import TokenCredential
from object_replication import wiring
from object_replication.blob import AzureError
from object_replication.engine import Replicator, Report
from object_replication.identity import IdentityError
from object_replication.settings import ReplicationSettings

from azure_dr.errors import AzureDrError
from infra.config import EnvironmentConfig
from infra.naming import Names
from infra.replication_settings import replication_settings

DATA_SET = "objects"
EXIT_OK, EXIT_FAILED, EXIT_BEYOND_RPO = 0, 1, 2


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--once", action="store_true", help="replicate: one pass, then exit")
    p.add_argument("--interval", type=float, default=300, help="replicate: seconds between passes")
    p.add_argument("--auth", choices=["azure", "aws"], default="azure", help="Azure access")
    p.add_argument("--blob-endpoint", help="Blob service URL (default: from config)")
    p.add_argument("--s3-endpoint", help="S3 endpoint URL (default: AWS)")
    p.add_argument("--workers", type=int, default=16, help="concurrent copies")


def settings_for(config: EnvironmentConfig, args: argparse.Namespace) -> ReplicationSettings:
    if not config.object_replication.enabled:
        raise AzureDrError(
            f"object_replication is not enabled for {config.name}: set object_replication in "
            f"config/{config.name}.yaml (see docs/object-replication.md)"
        )
    raw = replication_settings(
        config, Names(config.project, config.name), config.replication_region
    )
    return ReplicationSettings.from_mapping(raw).with_overrides(
        blob_endpoint=args.blob_endpoint, s3_endpoint=args.s3_endpoint, ca_bundle=args.ca_bundle
    )


def credential_token(credential: TokenCredential, scope: str) -> Callable[[], str]:
    """Cached bearer tokens from an azure-identity credential (the Azure CLI one does not
    cache), shared by the copy threads."""
    lock = threading.Lock()
    cached: list[Any] = []

    def token() -> str:
        with lock:
            if not cached or cached[0].expires_on - 300 < time.time():
                cached[:] = [credential.get_token(scope)]
            return str(cached[0].token)

    return token


def build(
    settings: ReplicationSettings,
    args: argparse.Namespace,
    credential: Callable[[], TokenCredential],
    err: TextIO,
) -> Replicator:
    import boto3

    def log(message: str, **extra: Any) -> None:
        if "failed" in message or "retrying" in message:
            print(f"{message}: {json.dumps(extra, default=str)}", file=err)

    http = wiring.http_for(settings, lambda code: None)
    if args.auth == "aws":
        sts = boto3.client("sts", region_name=settings.source_region)
        token = wiring.federated_token(settings, sts, http)
    else:
        token = credential_token(credential(), settings.storage_scope)
    return wiring.replicator(
        settings,
        s3=wiring.s3_client(settings),
        token=token,
        http=http,
        log=log,
        workers=args.workers,
    )


def replicate(engine: Replicator, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    while True:
        print(f"reconciling {engine.settings.source_bucket} -> {engine.blobs.base} ...", file=err)
        started = time.monotonic()
        report = engine.reconcile()
        _print_report(report, time.monotonic() - started, args.output, out)
        if args.once:
            return EXIT_FAILED if report.failed else EXIT_OK
        time.sleep(args.interval)


def status(
    engine: Replicator,
    args: argparse.Namespace,
    out: TextIO,
    extra: dict[str, tuple[dict[str, Any], str]] | None = None,
) -> int:
    """``extra``: other data sets (the database), each its JSON entry and its text line."""
    report = engine.reconcile(copy=False, deletes=False)
    rpo = engine.settings.rpo_seconds
    others = extra or {}
    # A fallback entry (continuous mode's dumps) is shown, not judged: the lag is that RPO.
    judged = [e for e, _ in others.values() if not e.get("fallback")]
    within = report.lag_seconds < rpo and all(e["within_rpo"] for e in judged)
    objects_within = report.lag_seconds < rpo
    entry = {
        "behind": report.behind,
        "lag_seconds": round(report.lag_seconds, 1),
        "oldest_behind": report.oldest_behind,
        "archived": report.archived,
        "rpo_seconds": rpo,
        "within_rpo": objects_within,
    }
    if args.output == "json":
        data_sets = {DATA_SET: entry, **{name: e for name, (e, _) in others.items()}}
        print(json.dumps({"data_sets": data_sets, "within_rpo": within}, indent=2), file=out)
    else:
        verdict = "within RPO" if objects_within else "BEYOND RPO"
        archived = f", {report.archived} archived in S3" if report.archived else ""
        print(
            f"{DATA_SET}: {report.behind} behind, lag {entry['lag_seconds']} s "
            f"(RPO {rpo} s){archived}: {verdict}",
            file=out,
        )
        for _, line in others.values():
            print(line, file=out)
    return EXIT_OK if within else EXIT_BEYOND_RPO


def _print_report(report: Report, seconds: float, output: str, out: TextIO) -> None:
    data = {**report.as_dict(), "seconds": round(seconds, 2)}
    if output == "json":
        print(json.dumps(data, indent=2, default=str), file=out)
        return
    print(
        f"copied {report.copied}, present {report.present}, failed {len(report.failed)}, "
        f"marked gone {report.marked_gone}, deleted {report.deleted}, "
        f"lag before the pass {report.lag_seconds:.0f} s ({report.behind} behind), "
        f"{seconds:.1f} s",
        file=out,
    )


def describe(exc: BaseException, settings: ReplicationSettings | None) -> str:
    """One line for the failures replication meets."""
    from botocore.exceptions import BotoCoreError, ClientError

    where = f" {settings.blob_endpoint}{settings.container}" if settings else ""
    if isinstance(exc, AzureError):
        if exc.status == 403:
            return (
                f"Azure Storage refused access to{where} ({exc}): the identity needs Storage "
                "Blob Data Contributor on the DR account (Reader for status), and the account's "
                "network rules must admit this machine"
            )
        if exc.status == 404:
            return f"Azure Storage: container{where} not found ({exc}): run `sync` first"
        return f"Azure Storage failed after retries ({exc})"
    if isinstance(exc, IdentityError):
        return str(exc)
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        bucket = f" {settings.source_bucket}" if settings else ""
        return f"S3{bucket}: {code}: {exc.response.get('Error', {}).get('Message', '')}"
    if isinstance(exc, BotoCoreError):
        return f"AWS: {exc}"
    return f"{type(exc).__name__}: {exc}"
