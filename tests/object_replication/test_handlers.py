"""The two Lambda handlers: event parsing, partial batch failures, rejected events, and the
metrics they publish (embedded metric format on stdout)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from object_replication import events, reconcile

from tests.object_replication.conftest import Rig

# A rejected invocation publishes no metrics, so Powertools warns that the flush was empty.
NO_METRICS = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")


@dataclass
class Context:
    function_name: str = "fdr-test-replication-objects"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-west-2:123456789012:function:x"
    aws_request_id: str = "req-1"


def emf(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith('{"_aws"')]


def record(message_id: str, detail_type: str, bucket: str, key: str) -> dict[str, Any]:
    body = {
        "source": "aws.s3",
        "detail-type": detail_type,
        "detail": {"bucket": {"name": bucket}, "object": {"key": key}},
    }
    return {"messageId": message_id, "body": json.dumps(body)}


@pytest.fixture
def wired(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> Rig:
    engine = rig.replicator()
    monkeypatch.setattr(events, "replicator", lambda: engine)
    monkeypatch.setattr(reconcile, "replicator", lambda: engine)
    return rig


def test_event_batch_copies_and_reports_only_the_bad_records(
    wired: Rig, blob_state: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    wired.put("in/one", b"1")
    batch = {
        "Records": [
            record("m1", "Object Created", wired.bucket, "in/one"),
            {"messageId": "m2", "body": "not json"},
            record("m3", "Object Created", "another-bucket", "in/one"),
            record("m4", "Object Deleted", wired.bucket, "in/never-existed"),
        ]
    }
    answer = events.handler(batch, Context())
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m2"}]}
    assert "in/one" in blob_state.blobs
    (blob,) = emf(capsys.readouterr().out)
    assert blob["ObjectsCopied"] == [1.0] and "ReplicationLagSeconds" not in blob


@NO_METRICS
def test_event_function_rejects_a_non_sqs_invocation(wired: Rig) -> None:
    with pytest.raises(events.EventError):
        events.handler({"detail": {}}, Context())


def test_reconcile_publishes_lag_and_counts(
    wired: Rig, blob_state: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    wired.put("r/1", b"1")
    report = reconcile.handler({}, Context())
    assert report["copied"] == 1 and report["behind"] == 1
    (blob,) = emf(capsys.readouterr().out)
    assert blob["ObjectsBehind"] == [1.0] and blob["ReplicationLagSeconds"][0] >= 0
    dry = reconcile.handler({"dry_run": True}, Context())
    assert dry["behind"] == 0 and dry["copied"] == 0


@NO_METRICS
@pytest.mark.parametrize("event", [{"dry_run": "yes"}, {"force": True}, ["x"]])
def test_reconcile_rejects_unknown_events(wired: Rig, event: Any) -> None:
    with pytest.raises(reconcile.EventError):
        reconcile.handler(event, Context())
