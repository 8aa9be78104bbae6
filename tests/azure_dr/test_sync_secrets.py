"""``sync``'s secrets: the PostgreSQL admin password generated once into the footprint's Key
Vault, the VPN pre-shared keys copied from Secrets Manager (moto, in-process) into it, and ARM
given Key Vault references only. The real SDK clients (azure-mgmt-resource,
azure-keyvault-secrets, boto3) talk to the fake ARM server, its fake Key Vault data plane
(challenge authentication included) and moto."""

from __future__ import annotations

import json
import logging
import string

import boto3

from azure_dr.footprint import build_footprint
from azure_dr.vault import ADMIN_PASSWORD_SECRET, PASSWORD_LENGTH, generate_admin_password
from infra.config import load_config
from infra.naming import Names
from tests.azure_dr.conftest import ENV, PASSWORD
from tests.azure_dr.test_link_sync import _deploy_link, aws  # noqa: F401  (fixture)

CONFIG = load_config(ENV, environ={})
FOOTPRINT = build_footprint(CONFIG)


def _deployments(arm) -> list[str]:
    return [p.rsplit("/", 1)[-1] for m, p in arm.arm.requests
            if m == "PUT" and "/deployments/" in p and "/whatif" not in p]  # fmt: skip


def _main_parameters(arm) -> dict:
    return arm.arm.parameters[FOOTPRINT.deployment_name]


def _no_secret_in(arm, result, *values: str) -> None:
    arm_bodies = b"".join(arm.arm.received).decode()
    for value in values:
        assert value not in arm_bodies, "a secret value reached ARM"
        assert value not in result.out + result.err, "a secret value was printed"


def test_generated_password_meets_azure_postgres_rules():
    for _ in range(200):
        password = generate_admin_password()
        assert len(password) == PASSWORD_LENGTH
        assert set(password) <= set(string.ascii_letters + string.digits + "-_")
        assert any(c.isupper() for c in password) and any(c.islower() for c in password)
        assert any(c.isdigit() for c in password) and any(c in "-_" for c in password)
    assert len({generate_admin_password() for _ in range(50)}) == 50


def test_first_sync_deploys_the_vault_then_generates_the_password_once(run, arm, caplog):
    caplog.set_level(logging.INFO)  # the SDKs' request logging, as an operator may turn it on
    plan = run("plan")
    assert plan.code == 2
    assert f"{FOOTPRINT.names.key_vault}/{ADMIN_PASSWORD_SECRET} is absent: sync generates" in (
        plan.err
    )
    assert arm.arm.vault.versions(ADMIN_PASSWORD_SECRET) == 0  # plan writes nothing

    first = run("sync", "--yes")
    assert first.code == 0, first.err
    # The vault alone first, then the secret, then the main deployment that references it.
    assert _deployments(arm) == [
        FOOTPRINT.key_vault_bootstrap_deployment,
        FOOTPRINT.deployment_name,
    ]
    assert f"{ADMIN_PASSWORD_SECRET}: created (generated)" in first.err
    assert arm.arm.vault.versions(ADMIN_PASSWORD_SECRET) == 1
    password = arm.arm.vault.latest(ADMIN_PASSWORD_SECRET)
    assert password is not None and len(password) == PASSWORD_LENGTH
    assert _main_parameters(arm)["postgresAdminPassword"] == {
        "reference": {"keyVault": {"id": FOOTPRINT.vault_id}, "secretName": ADMIN_PASSWORD_SECRET}
    }
    _no_secret_in(arm, first, password)
    (put,) = [b for b in arm.arm.vault.bodies if b["value"] == password]
    assert put["tags"]["managed-by"] == "azure_dr"

    second = run("sync", "--yes")
    assert second.code == 0, second.err
    assert "nothing to change" in second.err
    assert arm.arm.vault.versions(ADMIN_PASSWORD_SECRET) == 1  # no new version
    assert run("plan").code == 0
    _no_secret_in(arm, second, password)
    assert caplog.text and password not in caplog.text


def test_an_existing_vault_is_not_deployed_again_and_a_missing_secret_is_created(run, arm):
    assert run("sync", "--yes").code == 0
    arm.arm.vault.secrets.clear()  # e.g. a footprint deployed before this change
    before = len(_deployments(arm))
    result = run("sync", "--yes")
    assert result.code == 0, result.err
    assert _deployments(arm)[before:] == [FOOTPRINT.deployment_name]
    assert arm.arm.vault.versions(ADMIN_PASSWORD_SECRET) == 1


def test_the_environment_password_seeds_the_secret_and_never_reaches_arm(run, arm):
    result = run("sync", "--yes", environ={"FDR_AZURE_POSTGRES_PASSWORD": PASSWORD})
    assert result.code == 0, result.err
    assert f"{ADMIN_PASSWORD_SECRET}: created (from FDR_AZURE_POSTGRES_PASSWORD)" in result.err
    assert arm.arm.vault.latest(ADMIN_PASSWORD_SECRET) == PASSWORD
    _no_secret_in(arm, result, PASSWORD)


def test_no_permission_on_the_vault_is_one_clear_line(run, arm):
    arm.arm.vault.forbidden = True
    result = run("sync", "--yes")
    assert result.code == 1
    (line,) = [ln for ln in result.err.splitlines() if ln.startswith("error: ")]
    assert "Key Vault Secrets Officer" in line and ADMIN_PASSWORD_SECRET in line
    assert "Traceback" not in result.err
    assert FOOTPRINT.deployment_name not in _deployments(arm)  # the main deployment waits


# --- the VPN pre-shared keys ------------------------------------------------------------------
def _link_secrets(session: boto3.Session, *, skip: str | None = None) -> dict[str, str]:
    """The link stack's keys in Secrets Manager; returns Key Vault secret name -> value."""
    names = Names(CONFIG.project, CONFIG.name)
    values = {}
    for t in FOOTPRINT.tunnels:
        name = names.link_tunnel_secret(t.region, t.connection, t.tunnel)
        if name == skip:
            continue
        value = f"Psk{t.region.replace('-', '')}{t.connection}{t.tunnel}xyz.abc_123"
        session.client("secretsmanager", region_name=t.region).create_secret(
            Name=name, SecretString=value
        )
        values[t.secret_name] = value
    return values


def test_sync_copies_the_keys_once_arm_gets_references_and_a_changed_key_is_redeployed(
    run,
    arm,
    aws,  # noqa: F811
    caplog,
):
    caplog.set_level(logging.INFO)
    _deploy_link(aws, CONFIG)
    values = _link_secrets(aws)
    result = run("sync", "--yes", aws_session=aws)
    assert result.code == 0, result.err
    for name, value in values.items():
        assert arm.arm.vault.latest(name) == value
        assert arm.arm.vault.versions(name) == 1
    keys = {k: v for k, v in _main_parameters(arm).items() if k.startswith("vpnKey")}
    assert len(keys) == len(values) == 4 * len(CONFIG.linked_regions)
    assert all(set(v) == {"reference"} for v in keys.values())
    _no_secret_in(arm, result, *values.values())

    again = run("sync", "--yes", aws_session=aws)
    assert again.code == 0, again.err
    assert "nothing to change" in again.err
    assert all(arm.arm.vault.versions(name) == 1 for name in values)  # no new versions
    _no_secret_in(arm, again, *values.values())

    # A key changed in Secrets Manager: copied (a new version) and deployed again, since
    # what-if never shows a secure value's change.
    t = FOOTPRINT.tunnels[0]
    name = Names(CONFIG.project, CONFIG.name).link_tunnel_secret(t.region, t.connection, 1)
    aws.client("secretsmanager", region_name=t.region).put_secret_value(
        SecretId=name, SecretString="RotatedKey.0123456789abcdef"
    )
    deployments = len(_deployments(arm))
    rotated = run("sync", "--yes", aws_session=aws)
    assert rotated.code == 0, rotated.err
    assert f"link: {t.key}: pre-shared key in Key Vault: updated" in rotated.err
    assert arm.arm.vault.versions(t.secret_name) == 2
    assert len(_deployments(arm)) == deployments + 1  # ARM re-reads the references
    _no_secret_in(arm, rotated, "RotatedKey.0123456789abcdef", *values.values())
    for value in [*values.values(), "RotatedKey.0123456789abcdef"]:
        assert value not in caplog.text


def test_a_missing_aws_secret_is_one_line_and_a_rerun_finishes(run, arm, aws):  # noqa: F811
    _deploy_link(aws, CONFIG)
    names = Names(CONFIG.project, CONFIG.name)
    t = FOOTPRINT.tunnels[1]
    missing = names.link_tunnel_secret(t.region, t.connection, t.tunnel)
    _link_secrets(aws, skip=missing)
    result = run("sync", "--yes", aws_session=aws)
    assert result.code == 0, result.err
    lines = [ln for ln in result.err.splitlines() if missing in ln]
    assert lines == [
        f"link: {t.key}: Secrets Manager secret {missing} not found in {t.region} (deploy the "
        "link stack first): its Azure connection waits for the next sync"
    ]
    assert t.parameter not in _main_parameters(arm)
    template = json.dumps(arm.arm.resources)
    assert f"cn-{t.key}" not in template  # that connection waits

    aws.client("secretsmanager", region_name=t.region).create_secret(
        Name=missing, SecretString="LateKey.0123456789abcdefgh"
    )
    rerun = run("sync", "--yes", aws_session=aws)
    assert rerun.code == 0, rerun.err
    assert arm.arm.vault.latest(t.secret_name) == "LateKey.0123456789abcdefgh"
    assert set(_main_parameters(arm)[t.parameter]) == {"reference"}
    assert f"cn-{t.key}" in json.dumps(arm.arm.resources)


def test_without_aws_credentials_missing_keys_wait_and_say_so(run, arm, tmp_path):
    from tests.unit.config_helpers import load_mutated

    addresses = ["192.0.2.21", "192.0.2.22", "192.0.2.23", "192.0.2.24"]
    load_mutated(
        tmp_path, lambda c: c["link"].update(aws_tunnel_addresses={"us-east-1": addresses})
    )
    result = run("sync", "--yes", config_dir=tmp_path)
    assert result.code == 0, result.err
    (line,) = [ln for ln in result.err.splitlines() if ln.startswith("link: no AWS credentials:")]
    assert "us-east-1-azure-1-tunnel-1" in line and "their Azure connections wait" in line
    assert "secretsmanager:GetSecretValue" in line
    assert not [k for k in _main_parameters(arm) if k.startswith("vpnKey")]
    assert "Microsoft.Network/connections" not in json.dumps(arm.arm.resources)
    again = run("sync", "--yes", config_dir=tmp_path)  # still no credentials: nothing to redo
    assert again.code == 0 and "nothing to change" in again.err, again.err
    assert "link: no AWS credentials: the pre-shared keys of" in again.err


def test_a_key_already_in_the_vault_needs_no_aws(run, arm, tmp_path):
    from tests.unit.config_helpers import load_mutated

    assert run("sync", "--yes").code == 0
    addresses = ["192.0.2.21", "192.0.2.22", "192.0.2.23", "192.0.2.24"]
    load_mutated(
        tmp_path, lambda c: c["link"].update(aws_tunnel_addresses={"us-east-1": addresses})
    )
    for t in FOOTPRINT.tunnels:
        if t.region == "us-east-1":
            arm.arm.vault.put(t.secret_name, "OperatorCopied.0123456789")
    result = run("sync", "--yes", config_dir=tmp_path)
    assert result.code == 0, result.err
    assert "no AWS credentials:" not in result.err
    keys = [k for k in _main_parameters(arm) if k.startswith("vpnKey")]
    assert len(keys) == 4
