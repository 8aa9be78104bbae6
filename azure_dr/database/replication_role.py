"""Continuous mode's replication user on the publisher, from its Secrets Manager login.

``replicate database --setup`` makes sure the role exists, can log in with the secret's password
and may replicate and read the published tables. The password reaches the server only as a
SCRAM-SHA-256 verifier computed here (RFC 5802/7677, what PostgreSQL stores): a statement log
or ``pg_stat_activity`` never shows the password itself, and SQL goes to psql on stdin.
Idempotent: when the login already works, nothing is changed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from azure_dr.database.pg import Dsn, PostgresError, psql, scalar

ITERATIONS = 4096  # PostgreSQL's default scram_iterations


def scram_verifier(
    password: str, *, salt: bytes | None = None, iterations: int = ITERATIONS
) -> str:
    """``SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`` (an ASCII password needs
    no SASLprep)."""
    salt = salt or os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def _login_works(replication_dsn: str) -> bool:
    try:
        return scalar(Dsn.parse(replication_dsn), "SELECT 1") == "1"
    except PostgresError:
        return False


def ensure(*, publisher_dsn: str, replication_dsn: str, user: str, password: str) -> list[str]:
    """What it did (empty: the login works already)."""
    if _login_works(replication_dsn):
        return []
    publisher = Dsn.parse(publisher_dsn)
    role = '"' + user.replace('"', '""') + '"'
    literal = "'" + scram_verifier(password) + "'"
    exists = scalar(publisher, f"SELECT count(*) FROM pg_roles WHERE rolname = '{user}'") != "0"
    verb = f"ALTER ROLE {role} WITH LOGIN" if exists else f"CREATE ROLE {role} LOGIN"
    # RDS grants replication through its rds_replication role; plain PostgreSQL (the tests'
    # stand-in) through the REPLICATION attribute.
    on_rds = scalar(publisher, "SELECT count(*) FROM pg_roles WHERE rolname = 'rds_replication'")
    replication = (
        f"GRANT rds_replication TO {role};" if on_rds != "0" else f"ALTER ROLE {role} REPLICATION;"
    )
    schemas = [
        row[0]
        for row in psql(
            publisher,
            "SELECT quote_ident(nspname) FROM pg_namespace WHERE nspname NOT IN "
            "('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg_toast%' "
            "AND nspname NOT LIKE 'pg_temp%'",
        )
    ]
    grants = "".join(
        f"GRANT USAGE ON SCHEMA {s} TO {role}; GRANT SELECT ON ALL TABLES IN SCHEMA {s} TO {role};"
        for s in schemas
    )
    psql(publisher, f"{verb} PASSWORD {literal}; {replication} {grants}")
    return [f"replication user {user} {'updated' if exists else 'created'}"]
