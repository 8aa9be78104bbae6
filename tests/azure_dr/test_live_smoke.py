"""Optional: plan against real Azure. Skipped unless credentials and a subscription are set:
AZURE_SUBSCRIPTION_ID plus AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET (or
FDR_AZURE_LIVE=1 after `az login`). Read-only: it only runs ``plan``."""

from __future__ import annotations

import os

import pytest

from azure_dr.cli import EXIT_CHANGES, EXIT_OK, main

LIVE = bool(os.environ.get("AZURE_SUBSCRIPTION_ID")) and (
    bool(os.environ.get("AZURE_CLIENT_SECRET")) or os.environ.get("FDR_AZURE_LIVE") == "1"
)


@pytest.mark.skipif(not LIVE, reason="no Azure credentials (see module docstring)")
def test_plan_against_real_azure():
    environ = dict(os.environ)  # plan reads the vault through ARM only: no password needed
    argv = ["plan", "--env", "development", "--subscription", os.environ["AZURE_SUBSCRIPTION_ID"]]
    assert main(argv, environ=environ) in (EXIT_OK, EXIT_CHANGES)
