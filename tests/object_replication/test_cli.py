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


class _CloudWatchAt:
    """The AWS session ``status`` asks for CloudWatch, pointed at moto's server."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def client(self, service: str, region_name: str) -> Any:
        return boto3.client(service, region_name=region_name, endpoint_url=self.endpoint)


class _NoDumps:
    """The dump container before the first dump (the dump entry itself runs against Azurite in
    tests/database/test_commands.py)."""

    def list_blobs(self, *args: Any, **kwargs: Any) -> list[Any]:
        return []


def test_status_in_continuous_mode_reports_the_published_lag_and_the_dump_fallback(
    tmp_path: Path, moto_endpoint: str, fake_blob_server: FakeBlobServer, blob_state: State
) -> None:
    """Staging switched to continuous mode (it has the standby the dumps come from)."""
    from datetime import UTC, datetime

    from replication_lag import measure

    from infra.replication_settings import METRIC_NAMESPACE

    raw = yaml.safe_load((CONFIG_DIR / "staging.yaml").read_text())
    raw["database_replication"]["mode"] = "continuous"
    raw["link"]["continuous_replication"] = True
    (tmp_path / "staging.yaml").write_text(yaml.safe_dump(raw))
    bucket = "fdr-staging-data-222222222222-us-west-2"  # the standby's copy, read by status
    s3 = boto3.client("s3", region_name="us-west-2", endpoint_url=moto_endpoint)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    session = _CloudWatchAt(moto_endpoint)
    cloudwatch = session.client("cloudwatch", region_name="us-east-1")  # the primary's probe

    def publish(value: float, seconds_ago: int) -> None:  # what the probe's EMF line becomes
        cloudwatch.put_metric_data(
            Namespace=METRIC_NAMESPACE,
            MetricData=[{
                "MetricName": measure.LAG_METRIC,
                "Dimensions": [{"Name": k, "Value": v} for k, v in measure.DIMENSIONS.items()],
                "Timestamp": datetime.now(UTC) - timedelta(seconds=seconds_ago),
                "Value": value, "Unit": "Seconds",
            }],
        )  # fmt: skip

    def status() -> tuple[int, dict[str, Any]]:
        out, err = io.StringIO(), io.StringIO()
        code = main(["status", "--output", "json", "--env", "staging", "--s3-endpoint",
                     moto_endpoint, "--blob-endpoint", fake_blob_server.account_url],
                    credential=Credential(), stdout=out, stderr=err, config_dir=tmp_path,
                    aws_session=session, container_factory=lambda *_: _NoDumps())  # fmt: skip
        assert code in (0, 2), err.getvalue()
        return code, json.loads(out.getvalue())["data_sets"]

    code, sets = status()  # nothing published yet: the probe or the link is down
    assert code == 2 and sets["database"]["lag_seconds"] is None
    publish(12.0, seconds_ago=90)
    code, sets = status()
    assert code == 0, sets  # the dumps' fallback entry (none yet) is shown, not judged
    assert sets["database"] == {
        "mode": "continuous",
        "lag_seconds": 12.0,
        "measured_at": sets["database"]["measured_at"],
        "rpo_seconds": 300,
        "within_rpo": True,
    }
    fallback = sets["database-dump"]
    assert fallback["fallback"] is True and fallback["within_rpo"] is False
    publish(400.0, seconds_ago=20)  # the newest reading decides
    code, sets = status()
    assert code == 2 and sets["database"]["lag_seconds"] == 400.0
