"""``replicate database`` with no DSN in the environment: the publisher from the RDS-managed
master secret and the instance endpoint (moto: RDS and Secrets Manager, in-process), the
replication user from the primary data stack's secret (the role is created by ``--setup``), the
subscriber from the deployment's ``postgresFqdn`` and Key Vault's admin password (the fake ARM
server and its Key Vault). Two real PostgreSQL clusters stand in for RDS and Azure; no secret
value may appear on stdout or stderr."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from azure_dr.cli import main
from azure_dr.database import credentials, logical
from azure_dr.database.pg import Dsn, psql, scalar
from azure_dr.database.replication_role import scram_verifier
from azure_dr.vault import ADMIN_PASSWORD_SECRET
from infra.config import load_config
from infra.naming import Names
from tests.azure_dr.conftest import FAST, FakeCredential
from tests.azure_dr.test_link_sync import aws  # noqa: F401  (fixture)
from tests.database.conftest import clusters, new_database  # noqa: F401  (fixture)
from tests.database.postgres import PASSWORD, Cluster
from tests.unit.config_helpers import load_mutated

REPLICATION_PASSWORD = "Repl1cati0nPassw0rdFromSecretsManager"


def test_scram_verifier_matches_rfc_7677_test_vector():
    # RFC 7677, section 3: user "user", password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==.
    import base64

    verifier = scram_verifier("pencil", salt=base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ=="))
    assert verifier == (
        "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY="
        ":wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU="
    )


@pytest.fixture
def stack(
    clusters: tuple[Cluster, Cluster],  # noqa: F811
    aws: boto3.Session,  # noqa: F811
    run,
    arm,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, Any]:
    """RDS (moto + the rds cluster), the Azure footprint (fake ARM + the azure cluster), the
    vaults holding the credentials, and a config whose names point at both."""
    rds, azure = clusters
    source, target = new_database(rds), new_database(azure)
    psql(Dsn.parse(source), "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2)")
    monkeypatch.setattr(credentials, "RDS_SSLMODE", "disable")  # the local clusters have no TLS
    monkeypatch.setattr(credentials, "AZURE_SSLMODE", "disable")
    import moto.rds.models

    monkeypatch.setattr(moto.rds.models.DBInstance, "address", property(lambda self: "127.0.0.1"))

    def mutate(c: dict[str, Any]) -> None:
        c["database_replication"]["mode"] = "continuous"
        c["data"]["database"]["database_name"] = Dsn.parse(source).database
        c["azure"]["postgres"]["database_name"] = Dsn.parse(target).database
        c["azure"]["postgres"]["admin_login"] = "postgres"
        c["network"].setdefault("ports", {})["postgres"] = azure.port  # Azure's port: from config

    config = load_mutated(tmp_path, mutate)
    region = config.primary_region
    names = Names(config.project, config.name)
    instance = aws.client("rds", region_name=region).create_db_instance(
        DBInstanceIdentifier=names.database_identifier(region),
        DBInstanceClass="db.r5.large",
        Engine="postgres",
        MasterUsername="postgres",
        ManageMasterUserPassword=True,
        Port=rds.port,
    )["DBInstance"]
    sm = aws.client("secretsmanager", region_name=region)
    # RDS generated the master password; the local cluster has its own: make them agree.
    sm.put_secret_value(
        SecretId=instance["MasterUserSecret"]["SecretArn"],
        SecretString=json.dumps({"username": "postgres", "password": PASSWORD}),
    )
    sm.create_secret(
        Name=names.replication_user_secret(),
        SecretString=json.dumps({"username": "azure_dr_replication", "password":
                                 REPLICATION_PASSWORD}),
    )  # fmt: skip
    arm.arm.output_values["postgresFqdn"] = "127.0.0.1"
    assert run("sync", "--yes").code == 0  # the footprint: its vault, the generated password
    arm.arm.vault.put(ADMIN_PASSWORD_SECRET, PASSWORD)  # as the azure cluster's admin has it
    return {"config_dir": tmp_path, "source": source, "target": target, "aws": aws}


def _cli(stack: dict[str, Any], arm, ca_bundle: str, *args: str, environ=None):
    out, err = io.StringIO(), io.StringIO()
    argv = ["replicate", "database", *args, "--env", "production", "--arm-endpoint", arm.url,
            "--ca-bundle", ca_bundle, "--vault-endpoint", arm.url]  # fmt: skip
    code = main(argv, credential=FakeCredential(), transport=FAST, environ=environ or {},
                stdout=out, stderr=err, config_dir=stack["config_dir"],
                aws_session=stack["aws"])  # fmt: skip
    return code, out.getvalue(), err.getvalue()


def test_replicate_database_takes_every_credential_from_the_vaults(stack, arm, ca_bundle):
    code, out, err = _cli(stack, arm, ca_bundle, "--setup")
    assert code == 0, err
    assert out.strip() == (
        "replication user azure_dr_replication created; heartbeat table created; "
        "publication created; schema applied; subscription created"
    )
    for secret in (PASSWORD, REPLICATION_PASSWORD):
        assert secret not in out + err
    target = Dsn.parse(stack["target"])
    deadline = time.monotonic() + 20
    while scalar(target, "SELECT count(*) FROM t") != "2":
        assert time.monotonic() < deadline, "the subscription did not copy the rows"
        time.sleep(0.1)
    # The subscription connects as the replication user with the secret's password.
    conninfo = scalar(target, "SELECT subconninfo FROM pg_subscription WHERE subname = 'azure_dr'")
    assert "user='azure_dr_replication'" in conninfo

    code, out, err = _cli(stack, arm, ca_bundle, "--setup")
    assert (code, out.strip()) == (0, "nothing to do"), err  # the role's login works already
    logical.heartbeat(stack["source"])  # what the probe writes every minute in AWS
    deadline = time.monotonic() + 20
    while logical.lag(stack["source"]).pending_heartbeats:
        assert time.monotonic() < deadline, "the subscription did not confirm the heartbeat"
        time.sleep(0.1)
    code, out, err = _cli(stack, arm, ca_bundle, "--lag")
    assert code == 0 and json.loads(out)["slot"], err
    code, out, err = _cli(stack, arm, ca_bundle, "--teardown")
    assert code == 0 and "subscription dropped" in out, err
    assert PASSWORD not in out + err

    # A missing replication secret is one line; FDR_DB_REPLICATION_DSN overrides it.
    names = Names("fdr", "production")
    stack["aws"].client("secretsmanager", region_name="us-east-1").delete_secret(
        SecretId=names.replication_user_secret(), ForceDeleteWithoutRecovery=True
    )
    code, _, err = _cli(stack, arm, ca_bundle, "--setup")
    assert code == 1
    (line,) = [ln for ln in err.splitlines() if ln.startswith("error: ")]
    assert f"cannot read Secrets Manager secret {names.replication_user_secret()}" in line
    assert "secretsmanager:GetSecretValue" in line and "Traceback" not in err
    # FDR_DB_REPLICATION_DSN overrides the missing secret (here: the publisher's own login).
    # (FDR_DB_PUBLISHER_DSN alone would do the same: tests/database/test_commands.py.)
    code, out, err = _cli(stack, arm, ca_bundle, "--setup",
                          environ={credentials.REPLICATION: stack["source"]})  # fmt: skip
    assert code == 0, err
    assert "replication user" not in out  # no role to create for an override
    assert PASSWORD not in out + err
    _cli(stack, arm, ca_bundle, "--teardown")


def test_without_a_vault_password_the_subscriber_is_one_line(run, arm, ca_bundle, tmp_path):
    load_mutated(tmp_path, lambda c: c["database_replication"].update(mode="continuous"))
    config = load_config("production", config_dir=tmp_path, environ={})
    assert config.database_replication.mode == "continuous"
    out, err = io.StringIO(), io.StringIO()
    code = main(["replicate", "database", "--setup", "--env", "production", "--arm-endpoint",
                 arm.url, "--ca-bundle", ca_bundle, "--vault-endpoint", arm.url],
                credential=FakeCredential(), transport=FAST,
                environ={credentials.PUBLISHER: "postgresql://u:p@127.0.0.1:1/x"},
                stdout=out, stderr=err, config_dir=tmp_path)  # fmt: skip
    assert code == 1
    (line,) = [ln for ln in err.getvalue().splitlines() if ln.startswith("error: ")]
    assert "VaultNotFound" in line or "postgres-admin-password" in line, line
