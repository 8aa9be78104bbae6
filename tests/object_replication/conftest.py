"""Real components on 127.0.0.1 for the object replication tests, each started once per session:
moto in server mode (S3 with presigned URLs another server can fetch), the recording fake Blob
service, a fake Entra token endpoint, and Azurite (HTTPS with a trustme certificate, OAuth
``basic`` so that it takes the bearer tokens of the keyless exchange)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-west-2")

from backup_jobs.aws import RetryPolicy
from moto.server import ThreadedMotoServer
from object_replication import wiring
from object_replication.engine import Replicator
from object_replication.settings import ReplicationSettings
from object_replication.transport import Http

from tests.azurite import Azurite  # noqa: F401  (re-exported for the test modules)
from tests.object_replication.fake_blob import FakeBlobServer, State
from tests.object_replication.fake_entra import CLIENT_ID, TENANT, FakeEntra, storage_token

REGION = "us-west-2"
MIB = 1024 * 1024


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="session")
def fake_blob_server() -> Iterator[FakeBlobServer]:
    server = FakeBlobServer().start()
    yield server
    server.stop()


@pytest.fixture
def blob_state(fake_blob_server: FakeBlobServer) -> State:
    return fake_blob_server.reset()


@pytest.fixture(scope="session")
def entra() -> Iterator[FakeEntra]:
    server = FakeEntra().start()
    yield server
    server.stop()


def settings(bucket: str, endpoint: str, moto: str, **overrides: Any) -> ReplicationSettings:
    base: dict[str, Any] = {
        "source_bucket": bucket,
        "source_region": REGION,
        "blob_endpoint": endpoint,
        "container": "data",
        "tenant_id": TENANT,
        "client_id": CLIENT_ID,
        "s3_endpoint": moto,
        "single_put_max_bytes": 2 * MIB,
        "block_bytes": 1 * MIB,
        "http_attempts": 4,
    }
    base.update(overrides)
    return ReplicationSettings(**base)


@dataclass
class Sleeps:
    seconds: list[float] = field(default_factory=list)

    def __call__(self, value: float) -> None:
        self.seconds.append(value)


@dataclass
class Rig:
    """A bucket in moto, a container endpoint, and a replicator wired to them."""

    s3: Any
    bucket: str
    settings: ReplicationSettings
    sleeps: Sleeps
    clock: list[Any] = field(default_factory=list)

    def put(self, key: str, body: bytes, **kwargs: Any) -> str:
        return str(self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, **kwargs)["ETag"])

    def replicator(self, s3: Any = None, token: Any = None, **overrides: Any) -> Replicator:
        s = self.settings.with_overrides(**overrides)
        http = Http(attempts=s.http_attempts, ca_bundle=s.ca_bundle, sleep=self.sleeps)
        engine = wiring.replicator(
            s,
            s3=s3 or self.s3,
            token=token or storage_token,
            http=http,
            policy=RetryPolicy(attempts=4, sleep=self.sleeps),
            workers=4,
        )
        if self.clock:
            engine.clock = lambda: self.clock[0]
        return engine


def make_rig(moto: str, endpoint: str, *, versioned: bool = True, **overrides: Any) -> Rig:
    bucket = f"src-{uuid.uuid4().hex[:12]}"
    s = settings(bucket, endpoint, moto, **overrides)
    s3 = wiring.s3_client(s)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    if versioned:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return Rig(s3, bucket, s, Sleeps())


@pytest.fixture
def rig(moto_endpoint: str, fake_blob_server: FakeBlobServer, blob_state: State) -> Rig:
    return make_rig(moto_endpoint, fake_blob_server.account_url)
