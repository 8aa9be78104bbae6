"""Where the database commands' credentials come from. Precedence, for each connection: an
explicit environment variable (an override for a test, a drill or a break-glass session), else
the vaults:

- the Azure server as its admin (failover restore, subscriber): FDR_AZURE_POSTGRES_DSN /
  FDR_DB_SUBSCRIBER_DSN, or FDR_AZURE_POSTGRES_PASSWORD for the password alone; else host
  ``postgresFqdn`` (the deployment's outputs) and Key Vault's ``postgres-admin-password``;
- the RDS primary as its master user (publisher): FDR_DB_PUBLISHER_DSN; else the instance's
  endpoint and ``MasterUserSecret`` (``rds:DescribeDBInstances``) and that RDS-managed secret
  (``secretsmanager:GetSecretValue``, ``kms:Decrypt`` on the database key);
- RDS as the replication user (the subscription's connection): FDR_DB_REPLICATION_DSN; else,
  when FDR_DB_PUBLISHER_DSN is set (a manual session), the publisher's DSN; else the primary's
  endpoint and the secret ``Names.replication_user_secret`` (primary data stack).

Values are never printed: the DSNs are built here and handed to the PostgreSQL programs, which
get the password in their environment only (``azure_dr/database/pg.py``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from azure_dr.errors import AzureDrError
from azure_dr.vault import ADMIN_PASSWORD_SECRET, VaultSecrets
from infra.config import EnvironmentConfig
from infra.naming import Names

AZURE_PASSWORD_VARIABLE = "FDR_AZURE_POSTGRES_PASSWORD"

# TLS of the connections built here: RDS forces SSL (rds.force_ssl); Azure's server certificate
# chains to a public root, verified with the host name. (Tests against local clusters without
# TLS change these two constants.)
RDS_SSLMODE = "require"
AZURE_SSLMODE = "verify-full"
PUBLISHER, SUBSCRIBER, REPLICATION = (
    "FDR_DB_PUBLISHER_DSN",
    "FDR_DB_SUBSCRIBER_DSN",
    "FDR_DB_REPLICATION_DSN",
)


def uri(*, host: str, port: int, database: str, user: str, password: str, sslmode: str) -> str:
    """A libpq URI; user and password percent-encoded."""
    return (
        f"postgresql://{quote(user, safe='')}:{quote(password, safe='')}@{host}:{port}/"
        f"{quote(database, safe='')}?sslmode={sslmode}"
    )


def azure_admin_password(vault: Callable[[], VaultSecrets], environ: Mapping[str, str]) -> str:
    if environ.get(AZURE_PASSWORD_VARIABLE):
        return environ[AZURE_PASSWORD_VARIABLE]
    client = vault()
    value = client.value(ADMIN_PASSWORD_SECRET)
    if value is None:
        raise AzureDrError(
            f"Key Vault {client.name} has no {ADMIN_PASSWORD_SECRET}: run "
            "`python -m azure_dr sync` first (it generates the password), or set "
            f"{AZURE_PASSWORD_VARIABLE}"
        )
    return value


def azure_admin_dsn(
    config: EnvironmentConfig, host: str, password: str, *, sslmode: str | None = None
) -> str:
    pg = config.azure.postgres
    sslmode = sslmode or AZURE_SSLMODE
    return uri(host=host, port=config.network.ports.postgres, database=pg.database_name,
               user=pg.admin_login, password=password, sslmode=sslmode)  # fmt: skip


@dataclass(frozen=True)
class RdsPrimary:
    host: str
    port: int
    master_secret_arn: str | None


def rds_primary(config: EnvironmentConfig, aws_session: Any) -> RdsPrimary:
    """The primary instance's endpoint and the ARN of its RDS-managed master secret."""
    region = config.primary_region
    identifier = Names(config.project, config.name).database_identifier(region)
    try:
        rds = aws_session.client("rds", region_name=region)
        (instance,) = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"]
    except Exception as exc:
        raise AzureDrError(
            f"cannot read RDS instance {identifier} in {region} ({_code(exc)}): the identity "
            "needs rds:DescribeDBInstances and the data stack must be deployed (or set "
            f"{PUBLISHER} and {REPLICATION})"
        ) from None
    endpoint = instance.get("Endpoint") or {}
    secret = (instance.get("MasterUserSecret") or {}).get("SecretArn")
    return RdsPrimary(str(endpoint.get("Address", "")), int(endpoint.get("Port", 0)), secret)


LOGIN_KEYS = ("username", "password")


def secret_json(aws_session: Any, region: str, secret_id: str) -> dict[str, Any]:
    """A Secrets Manager secret holding {"username", "password"} (the value is never shown)."""
    try:
        sm = aws_session.client("secretsmanager", region_name=region)
        value = json.loads(sm.get_secret_value(SecretId=secret_id)["SecretString"])
    except Exception as exc:
        raise AzureDrError(
            f"cannot read Secrets Manager secret {secret_id} in {region} ({_code(exc)}): the "
            "identity needs secretsmanager:GetSecretValue on it and kms:Decrypt on its key"
        ) from None
    if not isinstance(value, dict) or not all(value.get(k) for k in LOGIN_KEYS):
        raise AzureDrError(f"Secrets Manager secret {secret_id} lacks username and password")
    return value


def replication_login(config: EnvironmentConfig, aws_session: Any) -> dict[str, Any]:
    name = Names(config.project, config.name).replication_user_secret()
    return secret_json(aws_session, config.primary_region, name)


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", type(exc).__name__))
    return type(exc).__name__


@dataclass
class Resolver:
    """The three DSNs of ``replicate database``, each from its override or the vaults; the AWS
    session, the deployment's outputs and the vault are asked only when needed."""

    config: EnvironmentConfig
    environ: Mapping[str, str]
    aws: Callable[[], Any]
    azure_outputs: Callable[[], dict[str, Any]]
    vault: Callable[[], VaultSecrets]

    def _primary(self) -> RdsPrimary:
        return rds_primary(self.config, self.aws())

    def publisher(self) -> str:
        if self.environ.get(PUBLISHER):
            return self.environ[PUBLISHER]
        primary = self._primary()
        master = _master(self.config, self.aws(), primary)
        return uri(host=primary.host, port=primary.port,
                   database=self.config.data.database.database_name, user=master["username"],
                   password=master["password"], sslmode=RDS_SSLMODE)  # fmt: skip

    def subscriber(self) -> str:
        if self.environ.get(SUBSCRIBER):
            return self.environ[SUBSCRIBER]
        password = azure_admin_password(self.vault, self.environ)
        host = self.azure_outputs()["postgresFqdn"]
        return azure_admin_dsn(self.config, host, password, sslmode=AZURE_SSLMODE)

    def replication(self) -> tuple[str, dict[str, Any] | None]:
        """(DSN, the login when it came from Secrets Manager: ``--setup`` creates that role)."""
        if self.environ.get(REPLICATION):
            return self.environ[REPLICATION], None
        if self.environ.get(PUBLISHER):  # a manual session: the publisher's login replicates
            return self.environ[PUBLISHER], None
        login = replication_login(self.config, self.aws())
        primary = self._primary()
        return uri(host=primary.host, port=primary.port,
                   database=self.config.data.database.database_name, user=login["username"],
                   password=login["password"], sslmode=RDS_SSLMODE), login  # fmt: skip


def _master(config: EnvironmentConfig, aws_session: Any, primary: RdsPrimary) -> dict[str, Any]:
    if not primary.master_secret_arn:
        raise AzureDrError(
            "the primary RDS instance has no RDS-managed master secret (ManageMasterUserPassword)"
            f": set {PUBLISHER}"
        )
    return secret_json(aws_session, config.primary_region, primary.master_secret_arn)
