from __future__ import annotations

import io
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trustme
from azure.core.credentials import AccessToken

from azure_dr.cli import main
from azure_dr.footprint import Footprint, build_footprint
from infra.config import EnvironmentConfig, load_config
from infra.config.loader import CONFIG_DIR
from tests.azure_dr.fake_arm import TOKEN, FakeArm, FakeArmServer
from tests.azurite import Azurite
from tests.synth import ENVIRONMENTS

ENV = "production"
PASSWORD = "correct-horse-battery-staple-42"
# Fast SDK settings: no real waits on polling, backoff or Retry-After.
FAST = {"polling_interval": 0, "retry_total": 3, "retry_backoff_factor": 0.01,
        "progress_every": 0.05}  # fmt: skip


class FakeCredential:
    """A TokenCredential that hands out the token the fake server accepts."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        assert scopes, "the SDK must ask for a scope"
        return AccessToken(TOKEN, int(time.time()) + 3600)


class _NoAwsCredentials:
    """A boto3 session stand-in without credentials: ambient AWS credentials never leak in."""

    def get_credentials(self) -> None:
        return None


NO_AWS = _NoAwsCredentials()


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """A test that calls ``main`` directly must never reach AWS with whatever credentials
    another test left in the environment: the default session is one without credentials."""
    monkeypatch.setattr("azure_dr.cli._default_aws_session", lambda: NO_AWS)


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture(scope="session", params=ENVIRONMENTS)
def env(request: pytest.FixtureRequest) -> tuple[EnvironmentConfig, Footprint]:
    """Each environment's config and its footprint (ARM template), built once per session."""
    config = load_config(request.param, environ={})
    return config, build_footprint(config)


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def ca_bundle(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def arm(ca: trustme.CA) -> Iterator[FakeArmServer]:
    subscription = load_config(ENV, environ={}).azure.subscription_id
    with FakeArmServer(FakeArm(subscription), ca.issue_cert("127.0.0.1")) as server:
        yield server


@dataclass
class BaselineBlobs:
    """``sync``'s baseline step against Azurite: the container it asks for, under a suffix of
    this test's own (one Azurite serves the session), created as the deployment would."""

    service: Any
    suffix: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    requests: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, endpoint: str, name: str) -> Any:
        self.requests.append((endpoint, name))
        client = self.service.get_container_client(f"{name}-{self.suffix}")
        if not client.exists():
            client.create_container()
        return client

    def blobs(self, name: str) -> dict[str, bytes]:
        client = self.service.get_container_client(f"{name}-{self.suffix}")
        return {b.name: client.download_blob(b.name).readall() for b in client.list_blobs()}


@pytest.fixture
def baseline_blobs(azurite: Azurite) -> BaselineBlobs:
    return BaselineBlobs(azurite.service())


@pytest.fixture
def run(arm: FakeArmServer, ca_bundle: str, baseline_blobs: BaselineBlobs):
    def _run(
        command: str,
        *extra: str,
        config_dir: Path = CONFIG_DIR,
        credential: Any = None,
        transport: dict[str, Any] | None = None,
        environ: dict[str, str] | None = None,
        aws_session: Any = None,
    ) -> Result:
        out, err = io.StringIO(), io.StringIO()
        argv = [command, "--env", ENV, "--arm-endpoint", arm.url, "--ca-bundle", ca_bundle,
                "--vault-endpoint", arm.url]  # fmt: skip
        code = main(
            [*argv, *extra],
            credential=credential or FakeCredential(),
            transport={**FAST, **(transport or {})},
            environ={} if environ is None else environ,
            stdin=io.StringIO(""),
            stdout=out,
            stderr=err,
            config_dir=config_dir,
            aws_session=aws_session or NO_AWS,
            seams={"baseline_container": baseline_blobs},
        )
        return Result(code, out.getvalue(), err.getvalue())

    return _run
