"""The canary write of the verify step: one row per plan execution in ``fdr_dr.canary`` of the
database the plan promoted, written and read back over TLS as the IAM-authenticated user.

The row proves what the control plane cannot: the instance accepts a committed write from the
application subnets, through the security groups and network ACLs, with the certificate RDS
presents. A re-run of the step (Region switch retries) updates the same row, so it is safe twice.

Every failure is one line that says what to do, and the lines for a login that is refused or a
schema that is missing carry the one-time bootstrap SQL (``bootstrap_sql``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from recovery_actions.pg_wire import PostgresError, ProtocolError, connect, quote_literal

SCHEMA, TABLE = "fdr_dr", "canary"
# The public RDS certificate authorities shipped with the function (docs/recovery.md, "Canary
# write": where it comes from, tools/rds_ca_bundle.py rebuilds it).
RDS_CA_BUNDLE = Path(__file__).with_name("rds-ca-bundle.pem")
# Region switch execution ids are short tokens; anything else is refused before SQL is built.
_EXECUTION_ID = re.compile(r"^[A-Za-z0-9._:/-]{1,128}$")
_LOGIN_REFUSED = {"28000", "28P01"}  # invalid_authorization_specification, invalid_password
_READ_ONLY = "25006"  # read_only_sql_transaction
_NOT_BOOTSTRAPPED = {"3F000", "42501", "42P01"}  # no schema, no privilege, no table


class CanaryError(RuntimeError):
    """The canary could not be written or read back; the message is the one line to act on."""


@dataclass(frozen=True)
class CanaryTarget:
    host: str
    """The instance endpoint: the name its certificate carries."""
    port: int
    database: str
    user: str
    region: str
    address: str | None = None
    """Where to connect when it differs from ``host`` (tests: 127.0.0.1)."""
    cafile: str = str(RDS_CA_BUNDLE)


def bootstrap_sql(user: str, *, iam: bool = True) -> str:
    """What a person runs once, as the master user on the primary (the replica receives it):
    the IAM-authenticated login and the schema it owns. ``rds_iam`` exists on RDS only."""
    lines = [f"CREATE ROLE {user} WITH LOGIN;"]
    if iam:
        lines.append(f"GRANT rds_iam TO {user};")
    lines.append(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA} AUTHORIZATION {user};")
    return " ".join(lines)


def write_sql(execution_id: str, region: str) -> str:
    if not _EXECUTION_ID.match(execution_id):
        raise CanaryError(f"execution id {execution_id!r} is not a Region switch execution id")
    key, where = quote_literal(execution_id), quote_literal(region)
    return (
        f"CREATE TABLE IF NOT EXISTS {SCHEMA}.{TABLE} ("
        "execution_id text PRIMARY KEY, region text NOT NULL, "
        "written_at timestamptz NOT NULL, writes integer NOT NULL DEFAULT 1); "
        f"INSERT INTO {SCHEMA}.{TABLE} (execution_id, region, written_at) "
        f"VALUES ({key}, {where}, now()) "
        "ON CONFLICT (execution_id) DO UPDATE SET region = excluded.region, "
        f"written_at = excluded.written_at, writes = {SCHEMA}.{TABLE}.writes + 1"
    )


def read_sql(execution_id: str) -> str:
    return (
        f"SELECT execution_id, region, written_at::text, writes::text, "
        f"pg_is_in_recovery()::text FROM {SCHEMA}.{TABLE} "
        f"WHERE execution_id = {quote_literal(execution_id)}"
    )


def explain(error: PostgresError, target: CanaryTarget) -> str:
    """One line for an ErrorResponse, with the bootstrap SQL where that is the fix."""
    where = f"{target.user}@{target.host}:{target.port}/{target.database}"
    setup = f"run once as the master user on the primary: {bootstrap_sql(target.user)}"
    if error.sqlstate in _LOGIN_REFUSED:
        return (
            f"login refused for {where} ({error}): the user is missing or lacks rds_iam, or the "
            f"function's role lacks rds-db:connect on it; {setup}"
        )
    if error.sqlstate == _READ_ONLY:
        return f"{where} refused the canary write as read-only ({error}): still a replica?"
    if error.sqlstate in _NOT_BOOTSTRAPPED:
        return f"{where} has no usable {SCHEMA} schema ({error}); {setup}"
    return f"canary on {where} failed ({error})"


def write_canary(target: CanaryTarget, password: str, execution_id: str) -> dict[str, str]:
    """Write this execution's row, commit, read it back in a new statement; the row as text."""
    try:
        with connect(
            target.address or target.host,
            target.port,
            user=target.user,
            database=target.database,
            password=password,
            cafile=target.cafile,
            server_hostname=target.host,
        ) as connection:
            connection.query(write_sql(execution_id, target.region))
            rows = connection.query(read_sql(execution_id))
    except PostgresError as err:
        raise CanaryError(explain(err, target)) from err
    except (OSError, ProtocolError) as err:  # ssl.SSLError and timeouts are OSErrors
        raise CanaryError(
            f"cannot open a verified TLS session to {target.host}:{target.port} "
            f"({type(err).__name__}: {err}): security groups, network ACLs, the CA bundle"
        ) from err
    if len(rows) != 1:
        raise CanaryError(f"the canary row of {execution_id} was written but not read back")
    execution, region, written_at, writes, in_recovery = rows[0]
    if in_recovery != "false":
        raise CanaryError(f"{target.host} is still in recovery after the canary write")
    return {
        "execution_id": str(execution),
        "region": str(region),
        "written_at": str(written_at),
        "writes": str(writes),
    }
