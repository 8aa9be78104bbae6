"""Both ends of the AKS baseline delivery agree, read from one real ``sync`` (the CLI against the
fake ARM server, the upload against Azurite): the container and folder the CLI wrote are the
container and kustomization path of the Flux configuration ARM received, on the same storage
account, and what was written is the checkout's rendered overlay (k8s/rendered/<env>/aks)."""

from __future__ import annotations

import re
from typing import Any

from infra import k8s_baseline
from tests.azure_dr.conftest import (  # noqa: F401  (the CLI's fixtures: fake ARM, Azurite)
    ENV,
    _no_real_aws,
    arm,
    baseline_blobs,
    ca,
    ca_bundle,
    run,
)

FLUX = "microsoft.kubernetesconfiguration/fluxconfigurations/fdr-baseline"
ACCOUNT = re.compile(r"resourceId\('Microsoft\.Storage/storageAccounts', '([a-z0-9]+)'\)")


def _received_flux_configuration(server: Any) -> dict[str, Any]:
    (body,) = [r for key, r in server.arm.resources.items() if key.endswith(FLUX)]
    return dict(body["properties"])


def test_flux_reads_exactly_what_sync_wrote(run, arm, baseline_blobs):  # noqa: F811
    result = run("sync", "--yes")
    assert result.code == 0, result.err

    flux = _received_flux_configuration(arm)
    source = flux["azureBlob"]
    (kustomization,) = flux["kustomizations"].values()
    folder = kustomization["path"].removeprefix("./")

    # The CLI's side: which account and container it asked for, and what it put there.
    ((endpoint, container),) = baseline_blobs.requests
    written = baseline_blobs.blobs(container)

    assert container == source["containerName"], "the CLI writes another container than Flux reads"
    (account,) = ACCOUNT.findall(source["url"])
    assert endpoint.startswith(f"https://{account}.blob."), (
        f"the CLI uploads to {endpoint}, Flux reads account {account}"
    )
    assert sorted(written) == [f"{folder}/{k8s_baseline.RENDERED_NAME}"], (
        f"the CLI wrote {sorted(written)}, Flux applies folder {kustomization['path']}"
    )
    rendered = k8s_baseline.rendered_file(ENV, "aks").read_bytes()
    assert written[f"{folder}/{k8s_baseline.RENDERED_NAME}"] == rendered
