"""``verify`` step: a smoke test of the region the plan activated.

What it checks:
- the database, from the control plane: this region's instance is standalone (not a read
  replica) and available.
- the application configuration: the writer parameter holds this instance's endpoint.
- the database, from the data plane: a canary row for this execution in ``fdr_dr.canary``,
  written and read back over verified TLS as the IAM-authenticated ``canary_user``
  (``recovery_actions/canary.py``, a standard-library client in ``pg_wire.py``). The function
  runs in the region's application subnets with the app_tier security group for this; the
  token from ``generate_db_auth_token`` is signed locally with the function's role (no API
  call), valid for 15 minutes, and never logged.
- the ingress: HTTPS GET of ``smoke_test_path`` on this region's ALB (its DNS name from the
  compute tier's SSM parameter), with SNI and Host set to the application record so the
  certificate is checked for the name users reach; a 2xx or 3xx answer passes. Retried within
  the step's wait while the new targets turn healthy. Behind the edge (``edge_host``) the ALBs
  accept only CloudFront, so the GET goes to ``https://<edge_host>``: CloudFront reaches the
  region the origin chain now names, which shows the user path but not which region answered.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable
from typing import Any

from recovery_actions.canary import CanaryError, CanaryTarget, write_canary
from recovery_actions.event import RegionSwitchEvent
from recovery_actions.step import (
    StepContext,
    StepNotDone,
    database,
    is_writable,
    lambda_entry,
    wait_until,
)

NAME = "verify"
# CloudFront's viewer HTTPS port (fixed by CloudFront, not configurable).
EDGE_HTTPS_PORT = 443
Probe = Callable[[str, str, int, str], int]
Canary = Callable[[StepContext, CanaryTarget, str], dict[str, str]]


def probe_https(
    address: str,
    server_name: str,
    port: int,
    path: str,
    *,
    timeout: float = 5.0,
    cafile: str | None = None,
) -> int:
    """HTTP status of ``GET path`` from ``address`` with TLS verified for ``server_name``."""
    context = ssl.create_default_context(cafile=cafile)
    with (
        socket.create_connection((address, port), timeout=timeout) as raw,
        context.wrap_socket(raw, server_hostname=server_name) as tls,
    ):
        tls.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {server_name}\r\n"
            "User-Agent: fdr-region-switch-verify\r\nConnection: close\r\n\r\n".encode()
        )
        head = tls.recv(1024).split(b"\r\n", 1)[0].decode("latin-1")
    parts = head.split()
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise OSError(f"not an HTTP answer: {head!r}")
    return int(parts[1])


def iam_token(ctx: StepContext, target: CanaryTarget) -> str:
    """An RDS IAM authentication token: a SigV4-presigned ``connect`` request, made locally."""
    rds = ctx.clients("rds", ctx.settings.region)
    return str(
        rds.generate_db_auth_token(
            DBHostname=target.host,
            Port=target.port,
            DBUsername=target.user,
            Region=ctx.settings.region,
        )
    )


def iam_canary(ctx: StepContext, target: CanaryTarget, execution_id: str) -> dict[str, str]:
    return write_canary(target, iam_token(ctx, target), execution_id)


def run(
    event: RegionSwitchEvent,
    ctx: StepContext,
    probe: Probe = probe_https,
    canary: Canary = iam_canary,
) -> dict[str, Any]:
    s = ctx.settings
    instance = database(ctx)
    if not is_writable(instance):
        raise StepNotDone(f"{s.database_id} is not writable ({instance.get('DBInstanceStatus')})")
    endpoint = str(instance["Endpoint"]["Address"])
    writer = ctx.call("ssm", "get_parameter", Name=s.writer_parameter)["Parameter"]["Value"]
    if writer != endpoint:
        raise RuntimeError(
            f"{s.writer_parameter} is {writer!r}, not this region's writer {endpoint!r}: the "
            "app-configuration step has not applied"
        )
    target = CanaryTarget(
        host=endpoint,
        port=s.database_port,
        database=s.database_name,
        user=s.canary_user,
        region=s.region,
    )
    try:
        row = canary(ctx, target, event.execution_id)
    except CanaryError as err:
        raise RuntimeError(f"canary write: {err}") from err
    alb = ctx.call("ssm", "get_parameter", Name=s.ingress_dns_parameter)["Parameter"]["Value"]
    address, server_name, port = (
        (s.edge_host, s.edge_host, EDGE_HTTPS_PORT)
        if s.edge_host
        else (alb, s.record_name, s.https_port)
    )
    last: list[str] = ["no answer yet"]

    def healthy() -> int | None:
        try:
            status = probe(address, server_name, port, s.smoke_test_path)
        except OSError as err:  # ssl.SSLError and socket timeouts are OSErrors
            last[0] = f"{type(err).__name__}: {err}"
            return None
        last[0] = f"HTTP {status}"
        return status if 200 <= status < 400 else None

    status = wait_until(
        ctx,
        healthy,
        lambda: (
            f"https://{server_name}{s.smoke_test_path} via {address} is not healthy ({last[0]})"
        ),
    )
    return {
        "region": s.region,
        "database": {"instance": s.database_id, "writable": True, "endpoint": endpoint},
        "writer_parameter": writer,
        "ingress": {"alb": alb, "path": s.smoke_test_path, "status": status},
        "canary_write": row,
    }


handler = lambda_entry(NAME, run)
