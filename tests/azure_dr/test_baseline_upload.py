"""``sync``'s cluster-baseline step against Azurite: the rendered AKS overlay of the checkout is
uploaded once (content-addressed), a second sync uploads nothing, a stale overlay stops sync
before anything changes, and the storage account's refusals (firewall, role not yet
propagated, unreachable endpoint) end in one line or are waited out."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from azure_dr import baseline_upload
from azure_dr.errors import AzureDrError
from azure_dr.footprint import build_footprint
from infra import k8s_baseline
from infra.config import load_config
from tests.azure_dr.conftest import ENV, BaselineBlobs
from tests.azurite import Azurite

TEXT = "apiVersion: v1\nkind: Namespace\nmetadata: {name: fdr}\n"


@pytest.fixture
def container(azurite: Azurite) -> Any:
    client = azurite.service().get_container_client(f"baseline-{uuid.uuid4().hex[:12]}")
    client.create_container()
    return client


def _refusal(code: str) -> HttpResponseError:
    error = HttpResponseError(message=f"{code}: This request is not authorized")
    error.status_code = 403
    setattr(error, "error_code", code)  # what azure-storage-blob sets  # noqa: B010
    return error


class _Refusing:
    """A ContainerClient whose uploads are refused ``times`` times, then pass to Azurite."""

    def __init__(self, real: Any, code: str, times: int) -> None:
        self.real, self.code, self.times = real, code, times
        self.container_name, self.url = real.container_name, real.url

    def get_blob_client(self, name: str) -> Any:
        outer, blob = self, self.real.get_blob_client(name)

        class _Blob:
            def get_blob_properties(self) -> Any:
                return blob.get_blob_properties()

            def upload_blob(self, *args: Any, **kwargs: Any) -> Any:
                if outer.times > 0:
                    outer.times -= 1
                    raise _refusal(outer.code)
                return blob.upload_blob(*args, **kwargs)

        return _Blob()


def test_upload_is_content_addressed_and_idempotent(container):
    first = baseline_upload.publish(container, TEXT, progress=print)
    digest = hashlib.sha256(TEXT.encode()).hexdigest()
    assert first.uploaded is True
    assert first.blob == f"sha256-{digest}/baseline.yaml"
    blob = container.get_blob_client(first.blob)
    assert blob.download_blob().readall() == TEXT.encode()
    properties = blob.get_blob_properties()
    assert properties.metadata == {"sha256": digest}
    assert properties.content_settings.content_type == "application/yaml"
    etag = properties.etag
    second = baseline_upload.publish(container, TEXT, progress=print)
    assert second == baseline_upload.Published(container.container_name, first.blob, False)
    assert container.get_blob_client(first.blob).get_blob_properties().etag == etag
    changed = baseline_upload.publish(container, TEXT + "# changed\n", progress=print)
    assert changed.uploaded and changed.blob != first.blob  # a new folder, the old one stays
    assert sorted(b.name for b in container.list_blobs()) == sorted([first.blob, changed.blob])


def test_a_blob_with_other_content_under_the_digest_is_replaced(container):
    name = k8s_baseline.published_blob(TEXT)
    container.get_blob_client(name).upload_blob(b"tampered", metadata={"sha256": "0" * 64})
    assert baseline_upload.publish(container, TEXT, progress=print).uploaded is True
    assert container.get_blob_client(name).download_blob().readall() == TEXT.encode()


def test_a_role_still_propagating_is_waited_out(container):
    lines: list[str] = []
    sleeps: list[float] = []
    refusing = _Refusing(container, baseline_upload.NO_ROLE, times=2)
    result = baseline_upload.publish(refusing, TEXT, progress=lines.append, sleep=sleeps.append)
    assert result.uploaded is True
    assert sleeps == [baseline_upload.RETRY_SECONDS] * 2
    assert (
        lines
        == ["cluster baseline: AuthorizationPermissionMismatch from the storage account, retrying"]
        * 2
    )


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (baseline_upload.FIREWALL, "storage firewall refused the baseline upload"),
        (baseline_upload.NO_ROLE, "has no Storage Blob Data Contributor on container"),
    ],
)
def test_a_lasting_refusal_is_one_line_after_the_wait(container, code, expected):
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    refusing = _Refusing(container, code, times=10**6)
    with pytest.raises(AzureDrError) as caught:
        baseline_upload.publish(
            refusing, TEXT, progress=lambda _: None, sleep=sleep, clock=lambda: now[0],
            waits={code: 60.0},
        )  # fmt: skip
    message = str(caught.value)
    assert expected in message and "\n" not in message
    assert now[0] >= 60  # waited out the propagation window first


def test_an_unreachable_endpoint_is_one_line():
    from azure.storage.blob import ContainerClient

    client = ContainerClient(
        "https://127.0.0.1:9/devstoreaccount1", "aks-baseline", retry_total=0,
        connection_timeout=1,
    )  # fmt: skip
    with pytest.raises(AzureDrError) as caught:
        baseline_upload.publish(client, TEXT, progress=print)
    assert "cannot reach the Blob endpoint https://127.0.0.1:9/devstoreaccount1/aks-baseline" in (
        str(caught.value)
    )


def test_sync_uploads_the_checkouts_rendered_overlay_once(run, baseline_blobs: BaselineBlobs):
    config = load_config(ENV, environ={})
    name = config.azure.aks.baseline_source.container
    rendered = k8s_baseline.rendered_file(ENV, "aks").read_bytes()
    expected = k8s_baseline.published_blob(rendered.decode())

    first = run("sync", "--yes")
    assert first.code == 0, first.err
    assert f"cluster baseline: uploaded {name}-{baseline_blobs.suffix}/{expected}" in first.err
    assert baseline_blobs.blobs(name) == {expected: rendered}
    # The account's public Blob name (inside the VNet it resolves to the private endpoint) and
    # the configured container.
    names = build_footprint(config).names
    assert baseline_blobs.requests == [
        (f"https://{names.storage_account}.blob.core.windows.net/", name)
    ]

    second = run("sync", "--yes")
    assert second.code == 0, second.err
    assert "nothing to change" in second.err
    assert "already there, nothing uploaded" in second.err
    assert baseline_blobs.blobs(name) == {expected: rendered}


def test_a_stale_rendered_overlay_stops_sync_before_any_change(
    run, arm, monkeypatch: pytest.MonkeyPatch, tmp_path
):
    stale = tmp_path / "baseline.yaml"
    stale.write_text("# rendered before the last change\n")
    monkeypatch.setattr(baseline_upload, "rendered_file", lambda env, overlay: stale)
    result = run("sync", "--yes")
    assert result.code == 1
    (line,) = [x for x in result.err.splitlines() if x.startswith("error:")]
    assert "is missing or stale" in line and "make baseline" in line
    assert arm.arm.resources == {}  # nothing deployed
