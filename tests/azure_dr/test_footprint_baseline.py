"""The AKS side of the cluster baseline in the ARM template: the Istio add-on at the configured
revision and the managed Flux extension applying the rendered AKS overlay at a pinned commit;
the rendered files in the repository are the renderer's current output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from azure_dr.footprint import build_footprint
from azure_dr.footprint.cluster import AKS_TYPE, EXTENSION_TYPE, FLUX_TYPE
from infra import k8s_baseline
from infra.config import load_config
from tests.synth import ENVIRONMENTS
from tests.unit.config_helpers import config_error, one_line

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", params=ENVIRONMENTS)
def env(request: pytest.FixtureRequest):
    config = load_config(request.param, environ={})
    return config, build_footprint(config).template


def _one(template: dict[str, Any], resource_type: str) -> dict[str, Any]:
    (found,) = [r for r in template["resources"] if r["type"] == resource_type]
    return found


def test_istio_add_on_runs_the_configured_revision(env):
    config, template = env
    mesh = _one(template, AKS_TYPE)["properties"]["serviceMeshProfile"]
    assert mesh == {
        "mode": "Istio",
        "istio": {"revisions": [config.compute.baseline.aks_istio_revision]},
    }


def test_flux_extension_is_pinned(env):
    config, template = env
    extension = _one(template, EXTENSION_TYPE)
    props = extension["properties"]
    assert props["extensionType"] == "microsoft.flux"
    assert props["autoUpgradeMinorVersion"] is False
    assert props["version"] == config.azure.aks.baseline_source.flux_extension_version
    assert extension["scope"].startswith(f"[resourceId('{AKS_TYPE}'")


def test_flux_applies_the_rendered_overlay_at_a_commit(env):
    config, template = env
    flux = _one(template, FLUX_TYPE)
    props = flux["properties"]
    source = config.azure.aks.baseline_source
    assert props["gitRepository"]["url"] == source.repository_url
    assert props["gitRepository"]["repositoryRef"] == {"commit": source.commit}
    (kustomization,) = props["kustomizations"].values()
    assert kustomization["prune"] is True
    path = ROOT / kustomization["path"]
    assert path == k8s_baseline.rendered_file(config.name, "aks").parent
    assert (path / "baseline.yaml").is_file()
    assert any("extensionResourceId" in d for d in flux["dependsOn"])


def test_rendered_aks_baseline_is_current(env):
    config, _ = env
    committed = k8s_baseline.rendered_file(config.name, "aks").read_text()
    assert committed == k8s_baseline.rendered_text(config, "aks"), (
        "run python -m infra.k8s_baseline --write and commit k8s/rendered/"
    )


def test_stale_rendered_file_is_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys):
    # Nothing rendered yet in tmp_path: every environment's file is missing, so stale.
    monkeypatch.setattr(
        k8s_baseline, "rendered_file", lambda env, overlay: tmp_path / env / "baseline.yaml"
    )
    assert k8s_baseline.main([]) == 1
    assert "is stale: run python -m infra.k8s_baseline --write" in capsys.readouterr().out


def test_branch_instead_of_commit_is_one_line(tmp_path: Path):
    message = config_error(
        tmp_path,
        lambda c: c["azure"]["aks"]["baseline_source"].update(commit="main"),
    )
    assert "azure.aks.baseline_source.commit" in one_line(message)
