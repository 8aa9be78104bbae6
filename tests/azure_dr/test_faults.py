"""Faults from Azure each end in one clear line and the right exit code; a re-run finishes
whatever a failure left behind."""

from __future__ import annotations

from typing import Any

from azure.core.exceptions import ClientAuthenticationError

from azure_dr.footprint import build_footprint
from infra.config import load_config
from tests.azure_dr.fake_arm import DeploymentFailure, Fault


def _error_line(result) -> str:
    lines = [line for line in result.err.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err
    assert result.code == 1
    return lines[0]


def test_429_with_retry_after_is_retried_by_the_sdk(run, arm):
    arm.arm.faults.append(
        Fault("GET", "/resourcegroups/", 429, headers={"Retry-After": "0"}, times=2)
    )
    result = run("plan")
    assert result.code == 2, result.err
    gets = [p for m, p in arm.arm.requests if m == "GET" and "/resourcegroups/" in p.lower()]
    assert gets[0] == gets[1] == gets[2] != gets[3]  # two throttled, then answered


def test_throttling_exhausted(run, arm):
    arm.arm.faults.append(
        Fault("GET", "/resourcegroups/", 429, {"error": {"code": "TooManyRequests",
              "message": "Rate limit."}}, headers={"Retry-After": "1"}, times=99)
    )  # fmt: skip
    line = _error_line(run("plan", transport={"retry_total": 1}))
    assert "throttled" in line and "retries were exhausted" in line and "TooManyRequests" in line


def test_transient_500s_are_retried(run, arm):
    arm.arm.faults.append(Fault("PUT", "/deployments/", 500, times=2))
    result = run("sync", "--yes")
    assert result.code == 0, result.err


def test_persistent_500s(run, arm):
    arm.arm.faults.append(
        Fault("POST", "/whatif", 503, {"error": {"code": "ServiceUnavailable",
              "message": "Try later."}}, times=99)
    )  # fmt: skip
    assert run("sync", "--yes").code == 0  # the group exists from now on
    line = _error_line(run("plan"))
    assert "failed after retries (503 ServiceUnavailable: Try later.)" in line


def test_failed_deployment_names_the_code_and_target_and_a_rerun_finishes(run, arm):
    arm.arm.failure = DeploymentFailure(
        code="QuotaExceeded",
        message="Operation could not be completed as it results in exceeding approved quota.",
        target="fdr-production-dr-aks",
        apply_first=5,
        deployment="fdr-production-dr",  # the vault's own deployment goes through first
    )
    line = _error_line(run("sync", "--yes"))
    assert "QuotaExceeded (fdr-production-dr-aks): Operation could not be completed" in line
    partial = run("plan")
    assert partial.code == 2
    # The 5 applied, and the vault with its role assignments (deployed first, on their own).
    first = len(build_footprint(load_config("production", environ={})).bootstrap_resources)
    assert f"{5 + first} unchanged" in partial.out
    assert run("sync", "--yes").code == 0
    assert run("plan").code == 0


def test_401_from_arm(run, arm):
    arm.arm.faults.append(
        Fault("GET", "/resourcegroups/", 401, {"error": {"code": "ExpiredAuthenticationToken",
              "message": "The token expired."}})
    )  # fmt: skip
    line = _error_line(run("plan"))
    assert "rejected the credentials (401" in line and "az login" in line


def test_no_credentials_at_all(run):
    class NoCredential:
        def get_token(self, *scopes: str, **kwargs: Any):
            raise ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token")

    line = _error_line(run("plan", credential=NoCredential()))
    assert "no usable Azure credentials" in line and "AZURE_CLIENT_ID" in line


def test_403_names_the_role(run, arm):
    arm.arm.faults.append(
        Fault("POST", "/whatif", 403, {"error": {"code": "AuthorizationFailed", "message":
              "The client 'x' does not have authorization to perform action "
              "'Microsoft.Resources/deployments/whatIf/action'."}})
    )  # fmt: skip
    run("sync", "--yes")
    line = _error_line(run("plan"))
    assert "not authorized (403 AuthorizationFailed" in line and "Contributor" in line


def test_wrong_subscription(run):
    line = _error_line(run("plan", "--subscription", "11111111-2222-3333-4444-555555555555"))
    assert "subscription 11111111-2222-3333-4444-555555555555 not found" in line
    assert "--subscription" in line


def test_timeout_leaves_a_deployment_a_rerun_finishes(run, arm):
    arm.arm.hang = True
    result = run("sync", "--yes", "--timeout", "0.5", transport={"polling_interval": 0.02})
    line = _error_line(result)
    assert "timed out after 0.5 s waiting for deployment fdr-production-dr" in line
    # The first deployment of a new footprint is the vault's own (it hangs as well).
    assert "deployment fdr-production-dr-kv: " in result.err  # progress was shown
    arm.arm.hang = False
    assert run("sync", "--yes").code == 0
    assert run("plan").code == 0


def test_untrusted_certificate_points_at_ca_bundle(run, arm, ca_bundle):
    from io import StringIO

    from azure_dr.cli import main
    from tests.azure_dr.conftest import FAST, FakeCredential

    err = StringIO()
    code = main(
        ["plan", "--env", "production", "--arm-endpoint", arm.url],
        credential=FakeCredential(),
        transport={**FAST, "retry_total": 0},
        environ={"FDR_AZURE_POSTGRES_PASSWORD": "x" * 16},
        stdout=StringIO(),
        stderr=err,
    )
    assert code == 1
    assert "--ca-bundle" in err.getvalue()
