"""Renders the in-cluster baseline (k8s/base plus the ``eks`` or ``aks`` overlay) into a list of
Kubernetes objects, deterministically and offline (no kustomize binary).

The k8s/ folder is in kustomize format, limited to what this module implements: ``resources``
(files and directories holding a kustomization.yaml) and ``patches`` with a ``path`` and a
``target`` (kind and name). A patch is merged into its target map by map; a list in a patch
replaces the list it lands on (the strategic-merge behaviour of every field the baseline patches:
labels, NetworkPolicy egress). Anything else in a kustomization is an error, never ignored.

Config-derived objects are added here, the same for both clouds: the ResourceQuota and
LimitRange of each application namespace (``compute.baseline.namespace_limits``) and, on AKS, the
bindings of the design's ClusterRoles to Entra ID groups (``azure.access``).
"""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml

from infra.config.cluster_baseline import NamespaceLimits

if TYPE_CHECKING:
    from infra.config.environment import EnvironmentConfig

ROOT = Path(__file__).resolve().parents[1] / "k8s"
Overlay = Literal["eks", "aks"]
KNOWN_KEYS = frozenset({"apiVersion", "kind", "resources", "patches"})
RBAC = "rbac.authorization.k8s.io"
# The Kubernetes groups the EKS access entries map the fdr-<env>-eks-* roles to; the EKS
# overlay's bindings name the same groups (tests/stacks/test_cluster_baseline.py checks both).
ADMIN_GROUP = "fdr-admin"
DEVELOPER_GROUP = "fdr-developer"
# Kinds whose CRDs a chart installs (Istio); applied after the charts.
CUSTOM_API_GROUPS = frozenset({"security.istio.io", "elbv2.k8s.aws"})

Manifest = dict[str, Any]


class BaselineError(ValueError):
    """The k8s/ folder uses something the renderer does not implement, or a patch misses."""


def _documents(path: Path) -> list[Manifest]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _merge(target: Any, patch: Any) -> Any:
    if isinstance(target, dict) and isinstance(patch, dict):
        merged = dict(target)
        for key, value in patch.items():
            merged[key] = _merge(target[key], value) if key in target else copy.deepcopy(value)
        return merged
    return copy.deepcopy(patch)


def _kustomize(folder: Path) -> list[Manifest]:
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    unknown = sorted(kustomization.keys() - KNOWN_KEYS)
    if unknown:
        raise BaselineError(f"{folder}/kustomization.yaml: unsupported keys {', '.join(unknown)}")
    objects: list[Manifest] = []
    for entry in kustomization.get("resources", []):
        path = (folder / entry).resolve()
        objects += _kustomize(path) if path.is_dir() else _documents(path)
    for patch in kustomization.get("patches", []):
        target = patch["target"]
        body = yaml.safe_load((folder / patch["path"]).read_text())
        hits = [
            i
            for i, obj in enumerate(objects)
            if obj["kind"] == target["kind"] and obj["metadata"]["name"] == target["name"]
        ]
        if len(hits) != 1:
            raise BaselineError(
                f"{folder}/{patch['path']}: target {target['kind']}/{target['name']} matches "
                f"{len(hits)} objects, not 1"
            )
        objects[hits[0]] = _merge(objects[hits[0]], body)
    return objects


def application_namespaces(objects: list[Manifest]) -> list[str]:
    return [
        o["metadata"]["name"]
        for o in objects
        if o["kind"] == "Namespace" and o["metadata"]["labels"].get("fdr.io/tier") == "application"
    ]


def namespace_limits(namespace: str, limits: NamespaceLimits) -> list[Manifest]:
    meta = {"name": "baseline", "namespace": namespace}
    return [
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": meta,
            "spec": {
                "hard": {
                    "requests.cpu": limits.requests_cpu,
                    "requests.memory": limits.requests_memory,
                    "limits.cpu": limits.limits_cpu,
                    "limits.memory": limits.limits_memory,
                    "pods": str(limits.pods),
                }
            },
        },
        {
            "apiVersion": "v1",
            "kind": "LimitRange",
            "metadata": dict(meta),
            "spec": {
                "limits": [
                    {
                        "type": "Container",
                        "defaultRequest": {
                            "cpu": limits.default_request_cpu,
                            "memory": limits.default_request_memory,
                        },
                        "default": {
                            "cpu": limits.default_limit_cpu,
                            "memory": limits.default_limit_memory,
                        },
                    }
                ]
            },
        },
    ]


def _groups(ids: list[str]) -> list[Manifest]:
    return [{"apiGroup": RBAC, "kind": "Group", "name": group} for group in ids]


def entra_bindings(
    namespaces: list[str], *, admin_group_ids: list[str], developer_group_ids: list[str]
) -> list[Manifest]:
    """AKS: the design's ClusterRoles bound to Entra ID groups (subjects are object ids)."""
    role = {"apiGroup": RBAC, "kind": "ClusterRole"}
    bindings: list[Manifest] = [
        {
            "apiVersion": f"{RBAC}/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "fdr-admin"},
            "roleRef": {**role, "name": "fdr-admin"},
            "subjects": _groups(admin_group_ids),
        }
    ]
    if developer_group_ids:
        bindings += [
            {
                "apiVersion": f"{RBAC}/v1",
                "kind": "RoleBinding",
                "metadata": {"name": "fdr-developer", "namespace": namespace},
                "roleRef": {**role, "name": "fdr-developer"},
                "subjects": _groups(developer_group_ids),
            }
            for namespace in namespaces
        ]
    return bindings


def render(
    overlay: Overlay,
    *,
    limits: NamespaceLimits,
    admin_group_ids: list[str] | None = None,
    developer_group_ids: list[str] | None = None,
) -> list[Manifest]:
    """The objects one cluster gets, in apply order (namespaces first)."""
    objects = _kustomize(ROOT / "overlays" / overlay)
    namespaces = application_namespaces(objects)
    for namespace in namespaces:
        objects += namespace_limits(namespace, limits)
    if overlay == "aks":
        objects += entra_bindings(
            namespaces,
            admin_group_ids=list(admin_group_ids or []),
            developer_group_ids=list(developer_group_ids or []),
        )
    return sorted(objects, key=lambda o: (o["kind"] != "Namespace", _is_custom(o)))


def _is_custom(obj: Manifest) -> bool:
    return obj["apiVersion"].split("/")[0] in CUSTOM_API_GROUPS


def split(objects: list[Manifest]) -> tuple[list[Manifest], list[Manifest]]:
    """(built-in kinds, kinds whose CRDs a Helm chart installs)."""
    return [o for o in objects if not _is_custom(o)], [o for o in objects if _is_custom(o)]


def to_yaml(objects: list[Manifest]) -> str:
    return yaml.safe_dump_all(objects, sort_keys=True, default_flow_style=False)


def render_for(config: EnvironmentConfig, overlay: Overlay) -> list[Manifest]:
    """The baseline of one environment's EKS or AKS clusters."""
    access = config.azure.access
    return render(
        overlay,
        limits=config.compute.baseline.namespace_limits,
        admin_group_ids=list(access.cluster_admin_group_ids),
        developer_group_ids=list(access.cluster_developer_group_ids),
    )


def rendered_path(env: str, overlay: Overlay) -> str:
    """Folder (repository-relative) of an environment's rendered overlay."""
    return f"./k8s/rendered/{env}/{overlay}"


def rendered_file(env: str, overlay: Overlay) -> Path:
    return ROOT.parent / rendered_path(env, overlay) / RENDERED_NAME


RENDERED_NAME = "baseline.yaml"
GENERATED_HEADER = (
    "# GENERATED by `python -m infra.k8s_baseline --write` from k8s/ and config/{env}.yaml:\n"
    "# do not edit. `python -m azure_dr sync` uploads this file to the DR storage account,\n"
    "# where the AKS cluster's Flux configuration applies it (docs/cluster-baseline.md).\n"
)


def published_folder(text: str) -> str:
    """Folder of one rendered baseline in the blob container, named by its content: a new
    baseline is a new folder, so the template that points Flux at it changes with it."""
    return "sha256-" + hashlib.sha256(text.encode()).hexdigest()


def published_blob(text: str) -> str:
    return f"{published_folder(text)}/{RENDERED_NAME}"


def rendered_text(config: EnvironmentConfig, overlay: Overlay) -> str:
    return GENERATED_HEADER.format(env=config.name) + to_yaml(render_for(config, overlay))


def main(argv: list[str] | None = None) -> int:
    """``--write``: regenerate k8s/rendered/<env>/aks/baseline.yaml for every environment;
    ``--check``: exit 1 when one is stale."""
    import argparse

    from infra.config import load_config
    from infra.config.loader import available_environments

    parser = argparse.ArgumentParser(prog="python -m infra.k8s_baseline")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    stale = []
    for env in available_environments():
        path = rendered_file(env, "aks")
        text = rendered_text(load_config(env, environ={}), "aks")
        if path.exists() and path.read_text() == text:
            continue
        if args.write:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        else:
            stale.append(str(path))
    for name in stale:
        print(f"{name} is stale: run python -m infra.k8s_baseline --write")
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
