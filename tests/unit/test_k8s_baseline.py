"""The in-cluster baseline (k8s/, rendered by infra/k8s_baseline.py): valid against the
Kubernetes 1.36 schemas, snapshot of each rendered overlay, and the policy the design asks for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from infra.config import EnvironmentConfig, load_config
from infra.k8s_baseline import (
    ADMIN_GROUP,
    DEVELOPER_GROUP,
    BaselineError,
    application_namespaces,
    render,
    render_for,
    split,
    to_yaml,
)

ENVIRONMENTS = ("development", "staging", "production")
OVERLAYS = ("eks", "aks")
# kubernetes-validate 1.37.0 ships the OpenAPI schemas of 1.36.0: the clusters' minor.
SCHEMA_VERSION = "1.36.0"
# The design's rbac.cluster_roles ("Infrastructure Security Configuration"), verbatim.
DESIGN_CLUSTER_ROLES = {
    "fdr-admin": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}],
    "fdr-developer": [
        {
            "apiGroups": ["apps", ""],
            "resources": ["deployments", "services", "pods"],
            "verbs": ["get", "list", "create", "update", "patch"],
        }
    ],
}
RESTRICTED = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
}
# CRD kinds (Istio, the Load Balancer Controller): no upstream schema; checked by shape below.
CUSTOM_KINDS = {("security.istio.io/v1", "PeerAuthentication")}


@pytest.fixture(scope="module")
def configs() -> dict[str, EnvironmentConfig]:
    return {env: load_config(env, environ={}) for env in ENVIRONMENTS}


def _of(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def test_kubernetes_validate_has_the_clusters_schema(configs: dict[str, EnvironmentConfig]) -> None:
    for config in configs.values():
        assert SCHEMA_VERSION.startswith(config.compute.kubernetes_version + ".")
        assert SCHEMA_VERSION.startswith(config.azure.aks.kubernetes_version + ".")


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_manifest_validates_against_kubernetes_136(
    configs: dict[str, EnvironmentConfig], env: str, overlay: str
) -> None:
    builtin, custom = split(render_for(configs[env], overlay))  # type: ignore[arg-type]
    for obj in builtin:
        kubernetes_validate.validate(obj, SCHEMA_VERSION, strict=True)
    assert {(o["apiVersion"], o["kind"]) for o in custom} == CUSTOM_KINDS


def test_invalid_manifest_is_rejected() -> None:
    bad = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}, "spex": {}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, SCHEMA_VERSION, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_rendered_overlay_snapshot(
    configs: dict[str, EnvironmentConfig], overlay: str, snapshot: Any
) -> None:
    assert to_yaml(render_for(configs["production"], overlay)) == snapshot  # type: ignore[arg-type]


def test_rendering_is_deterministic(configs: dict[str, EnvironmentConfig]) -> None:
    for overlay in OVERLAYS:
        once = to_yaml(render_for(configs["staging"], overlay))  # type: ignore[arg-type]
        assert once == to_yaml(render_for(configs["staging"], overlay))  # type: ignore[arg-type]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_application_namespaces_are_restricted_and_default_deny(
    configs: dict[str, EnvironmentConfig], overlay: str
) -> None:
    for config in configs.values():
        objects = render_for(config, overlay)  # type: ignore[arg-type]
        namespaces = application_namespaces(objects)
        assert namespaces == list(config.compute.developer_namespaces)
        for namespace in namespaces:
            labels = next(
                o for o in _of(objects, "Namespace") if o["metadata"]["name"] == namespace
            )["metadata"]["labels"]
            assert RESTRICTED.items() <= labels.items(), namespace
            deny = [
                p
                for p in _of(objects, "NetworkPolicy")
                if p["metadata"]["namespace"] == namespace
                and p["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
            ]
            assert len(deny) == 1, f"{namespace}: no default-deny NetworkPolicy"
            strict = [
                p
                for p in _of(objects, "PeerAuthentication")
                if p["metadata"]["namespace"] == namespace and "selector" not in p["spec"]
            ]
            assert [p["spec"]["mtls"]["mode"] for p in strict] == ["STRICT"], namespace
            kinds = {o["kind"] for o in objects if o["metadata"].get("namespace") == namespace}
            assert {"ResourceQuota", "LimitRange"} <= kinds, namespace


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_cluster_roles_are_the_designs_exactly(overlay: str, configs: dict[str, Any]) -> None:
    roles = {
        o["metadata"]["name"]: o["rules"]
        for o in _of(render_for(configs["production"], overlay), "ClusterRole")
    }
    assert roles == DESIGN_CLUSTER_ROLES


def _bound_groups(objects: list[dict[str, Any]]) -> dict[str, set[str]]:
    bound: dict[str, set[str]] = {}
    for binding in _of(objects, "ClusterRoleBinding") + _of(objects, "RoleBinding"):
        role = binding["roleRef"]["name"]
        groups = {s["name"] for s in binding["subjects"] if s["kind"] == "Group"}
        bound.setdefault(role, set()).update(groups)
    return bound


def test_eks_bindings_name_the_access_entry_groups(configs: dict[str, Any]) -> None:
    bound = _bound_groups(render_for(configs["production"], "eks"))
    assert bound == {"fdr-admin": {ADMIN_GROUP}, "fdr-developer": {DEVELOPER_GROUP}}


def test_aks_bindings_name_the_configured_entra_groups(configs: dict[str, Any]) -> None:
    for config in configs.values():
        objects = render_for(config, "aks")
        access = config.azure.access
        assert _bound_groups(objects) == {
            "fdr-admin": set(access.cluster_admin_group_ids),
            "fdr-developer": set(access.cluster_developer_group_ids),
        }
        developer = _of(objects, "RoleBinding")
        assert {b["metadata"]["namespace"] for b in developer} == set(
            application_namespaces(objects)
        )


def test_aks_overlay_labels_namespaces_with_the_configured_istio_revision(
    configs: dict[str, Any],
) -> None:
    for config in configs.values():
        for namespace in _of(render_for(config, "aks"), "Namespace"):
            revision = config.compute.baseline.aks_istio_revision
            assert namespace["metadata"]["labels"]["istio.io/rev"] == revision


def test_quota_numbers_come_from_config(configs: dict[str, Any]) -> None:
    limits = configs["production"].compute.baseline.namespace_limits
    quota = _of(render_for(configs["production"], "eks"), "ResourceQuota")[0]
    assert quota["spec"]["hard"]["requests.cpu"] == limits.requests_cpu
    assert quota["spec"]["hard"]["pods"] == str(limits.pods)


def _overlay(tmp_path: Path, kustomization: dict[str, Any], files: dict[str, Any]) -> Path:
    for name, body in {"kustomization.yaml": kustomization, **files}.items():
        (tmp_path / name).write_text(yaml.safe_dump(body))
    return tmp_path


def test_unsupported_kustomize_features_fail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, configs: dict[str, Any]
) -> None:
    overlay = tmp_path / "overlays" / "eks"
    overlay.mkdir(parents=True)
    _overlay(overlay, {"resources": [], "configMapGenerator": [{"name": "x"}]}, {})
    monkeypatch.setattr("infra.k8s_baseline.ROOT", tmp_path)
    with pytest.raises(BaselineError, match="unsupported keys configMapGenerator"):
        render("eks", limits=configs["development"].compute.baseline.namespace_limits)


def test_patch_without_target_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, configs: dict[str, Any]
) -> None:
    overlay = tmp_path / "overlays" / "eks"
    overlay.mkdir(parents=True)
    patch = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "gone"}}
    _overlay(
        overlay,
        {"patches": [{"path": "p.yaml", "target": {"kind": "Namespace", "name": "gone"}}]},
        {"p.yaml": patch},
    )
    monkeypatch.setattr("infra.k8s_baseline.ROOT", tmp_path)
    with pytest.raises(BaselineError, match="matches 0 objects"):
        render("eks", limits=configs["development"].compute.baseline.namespace_limits)
