"""Running the PostgreSQL client programs without a password on a command line.

A DSN may carry a password (``postgresql://user:secret@host/db``). The programs get the DSN
without it, and the password only in the child's environment (``PGPASSWORD``), so that it shows
neither in ``ps`` nor in an error message (errors print the redacted DSN)."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

DEBIAN_BIN = Path("/usr/lib/postgresql/15/bin")


class PostgresError(Exception):
    """A client program failed; the message names it and holds no password."""


def program(name: str) -> str:
    """The client program ``name``: Debian's versioned folder first (the PATH may hold a wrapper
    or another major version), then the PATH."""
    candidate = DEBIAN_BIN / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise PostgresError(f"{name} not found (install the PostgreSQL 15 client programs)")
    return found


@dataclass(frozen=True)
class Dsn:
    """A libpq URI split into the part that may be shown and the password."""

    url: str
    password: str | None = None

    @classmethod
    def parse(cls, dsn: str) -> Dsn:
        parts = urlsplit(dsn)
        if parts.scheme not in ("postgresql", "postgres"):
            raise PostgresError("the DSN must be a postgresql:// URI")
        if parts.password is None:
            return cls(dsn)
        user = quote(unquote(parts.username or ""), safe="")
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = f"{user}@{host}" + (f":{parts.port}" if parts.port else "")
        return cls(urlunsplit(parts._replace(netloc=netloc)), unquote(parts.password))

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "PGPASSWORD"}
        if self.password is not None:
            env["PGPASSWORD"] = self.password
        return env

    @property
    def database(self) -> str:
        return urlsplit(self.url).path.lstrip("/") or "postgres"

    def with_database(self, name: str) -> Dsn:
        return Dsn(urlunsplit(urlsplit(self.url)._replace(path=f"/{name}")), self.password)

    def __str__(self) -> str:
        return self.url


def psql(dsn: Dsn, sql: str, *, timeout: float = 120) -> list[list[str]]:
    """Rows of ``sql`` (unaligned, tab-separated) through psql; ON_ERROR_STOP. The SQL goes in
    on stdin, not argv: it may hold a secret (a subscription's connection string)."""
    result = subprocess.run(
        [program("psql"), "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
         "-d", dsn.url, "-f", "-"],
        input=sql, capture_output=True, text=True, env=dsn.env(), timeout=timeout, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise PostgresError(f"psql on {dsn}: {result.stderr.strip()[:500]}")
    return [line.split("\t") for line in result.stdout.splitlines() if line]


def scalar(dsn: Dsn, sql: str) -> str:
    rows = psql(dsn, sql)
    return rows[0][0] if rows and rows[0] else ""


def user_tables(dsn: Dsn) -> int:
    """Tables outside the system schemas (the 'non-empty target' test)."""
    return int(
        scalar(
            dsn,
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r','p') AND n.nspname NOT IN ('pg_catalog','information_schema') "
            "AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'",
        )
        or 0
    )
