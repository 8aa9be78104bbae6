"""``python -m azure_dr replicate objects`` and ``status`` against moto (server mode) and the
recording fake Blob service, with the development config (the primary's data bucket)."""

from __future__ import annotations

import copy
import io
import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from azure.core.credentials import AccessToken

from azure_dr import replication
from azure_dr.cli import main
from infra.config.loader import CONFIG_DIR
from tests.object_replication.fake_blob import FakeBlobServer, State
from tests.object_replication.fake_entra import storage_token

BUCKET = "fdr-development-data-111111111111-us-east-1"


class Credential:
    def __init__(self) -> None:
        self.scopes: list[str] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.scopes.extend(scopes)
        return AccessToken(storage_token(), int(time.time()) + 3600)


@pytest.fixture
def source(moto_endpoint: str) -> Any:
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=moto_endpoint)
    s3.create_bucket(Bucket=BUCKET)  # us-east-1 answers 200 when it exists already
    for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        s3.delete_object(Bucket=BUCKET, Key=item["Key"])
    return s3


def run(args: list[str], moto: str, blob: FakeBlobServer, **kwargs: Any) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [*args, "--env", "development", "--s3-endpoint", moto, "--blob-endpoint", blob.account_url],
        credential=kwargs.pop("credential", Credential()),
        stdout=out,
        stderr=err,
        **kwargs,
    )
    return code, out.getvalue(), err.getvalue()


def test_backfill_once_then_status_within_rpo(
    source: Any, moto_endpoint: str, fake_blob_server: FakeBlobServer, blob_state: State
) -> None:
    for i in range(5):
        source.put_object(Bucket=BUCKET, Key=f"docs/{i}.txt", Body=b"x" * i)
    credential = Credential()
    code, out, err = run(
        ["replicate", "objects", "--once"], moto_endpoint, fake_blob_server, credential=credential
    )
    assert code == 0, err
    assert "copied 5, present 0, failed 0" in out
    assert credential.scopes[0] == "https://storage.azure.com/.default"
    assert len(blob_state.blobs) == 5

    code, out, _ = run(["status", "--output", "json"], moto_endpoint, fake_blob_server)
    assert code == 0
    status = json.loads(out)
    assert status["within_rpo"] is True
    assert status["data_sets"]["objects"] == {
        "behind": 0,
        "lag_seconds": 0.0,
        "oldest_behind": None,
        "archived": 0,
        "rpo_seconds": 900,
        "within_rpo": True,
    }


def test_status_beyond_rpo_exits_2(
    source: Any,
    moto_endpoint: str,
    fake_blob_server: FakeBlobServer,
    blob_state: State,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source.put_object(Bucket=BUCKET, Key="late.txt", Body=b"late")
    modified = source.head_object(Bucket=BUCKET, Key="late.txt")["LastModified"]
    build = replication.build

    def an_hour_later(*args: Any) -> Any:
        engine = build(*args)
        engine.clock = lambda: modified + timedelta(hours=1)
        return engine

    monkeypatch.setattr(replication, "build", an_hour_later)
    code, out, _ = run(["status"], moto_endpoint, fake_blob_server)
    assert code == 2
    assert out.strip() == "objects: 1 behind, lag 3600.0 s (RPO 900 s): BEYOND RPO"
    assert not blob_state.ops("put_blob_from_url")  # status never copies


def test_refused_access_is_one_line(
    source: Any, moto_endpoint: str, fake_blob_server: FakeBlobServer, blob_state: State
) -> None:
    blob_state.expected_token = "only-this-token"
    code, out, err = run(["status"], moto_endpoint, fake_blob_server)
    assert code == 1 and out == ""
    assert err.count("\n") == 1
    assert err.startswith("error: Azure Storage refused access to")
    assert "Storage Blob Data Contributor" in err


def test_missing_identity_in_config_is_one_line(
    tmp_path: Path, moto_endpoint: str, fake_blob_server: FakeBlobServer
) -> None:
    raw = yaml.safe_load((CONFIG_DIR / "development.yaml").read_text())
    data = copy.deepcopy(raw)
    del data["object_replication"]["client_id"]
    (tmp_path / "development.yaml").write_text(yaml.safe_dump(data))
    code, _, err = run(["status"], moto_endpoint, fake_blob_server, config_dir=tmp_path)
    assert code == 1 and err.count("\n") == 1
    assert "object_replication: enabled, but client_id missing" in err


def test_replicate_needs_a_data_set(moto_endpoint: str, fake_blob_server: FakeBlobServer) -> None:
    code, _, err = run(["replicate"], moto_endpoint, fake_blob_server)
    assert code == 1 and "replicate objects" in err


def test_replicate_repeats_passes_until_interrupted(
    source: Any,
    moto_endpoint: str,
    fake_blob_server: FakeBlobServer,
    blob_state: State,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source.put_object(Bucket=BUCKET, Key="loop.txt", Body=b"1")
    pauses: list[float] = []

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(replication.time, "sleep", sleep)
    code, out, err = run(
        ["replicate", "objects", "--interval", "60"], moto_endpoint, fake_blob_server
    )
    assert code == 1 and pauses == [60, 60]
    assert out.count("copied") == 2 and "copied 1," in out and "copied 0, present 1" in out
    assert err.strip().endswith("error: interrupted; a re-run continues where this one stopped")
