"""What runs inside every cluster besides the workloads: the Helm charts of the EKS controllers
and the mesh (pinned chart versions), and the quota and default limits of each application
namespace (the same on EKS and AKS). The manifests themselves are in k8s/
(docs/cluster-baseline.md).
"""

from __future__ import annotations

import re
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from infra.config.base import StrictModel

SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
IMAGE_TAG = re.compile(r"^v\d+\.\d+\.\d+$")
# Kubernetes quantities as the baseline uses them: CPU in cores or millicores, memory in Mi/Gi.
CPU = re.compile(r"^\d+(m)?$")
MEMORY = re.compile(r"^\d+(Mi|Gi)$")
# From this AKS Istio add-on revision on, a new mesh redirects traffic with Istio CNI
# (CNIChaining) instead of the privileged istio-init container (learn.microsoft.com/azure/aks/
# istio-cni): what lets sidecar-injected pods pass Pod Security "restricted".
AKS_ISTIO_CNI_DEFAULT_MINOR = 30

ChartName = Literal["aws-load-balancer-controller", "cluster-autoscaler", "metrics-server", "istio"]
REQUIRED_CHARTS: frozenset[str] = frozenset(ChartName.__args__)  # type: ignore[attr-defined]


class NamespaceLimits(StrictModel):
    """ResourceQuota and LimitRange of every application namespace."""

    requests_cpu: str = Field(pattern=CPU.pattern)
    """Sum of CPU requests of the namespace's pods, e.g. "32" cores."""
    requests_memory: str = Field(pattern=MEMORY.pattern)
    """Sum of memory requests, e.g. "64Gi"."""
    limits_cpu: str = Field(pattern=CPU.pattern)
    """Sum of CPU limits."""
    limits_memory: str = Field(pattern=MEMORY.pattern)
    """Sum of memory limits."""
    pods: int = Field(ge=1, le=10000)
    """Most pods the namespace may run."""
    default_request_cpu: str = Field(pattern=CPU.pattern)
    """CPU request a container gets when it sets none (LimitRange)."""
    default_request_memory: str = Field(pattern=MEMORY.pattern)
    """Memory request a container gets when it sets none."""
    default_limit_cpu: str = Field(pattern=CPU.pattern)
    """CPU limit a container gets when it sets none."""
    default_limit_memory: str = Field(pattern=MEMORY.pattern)
    """Memory limit a container gets when it sets none."""


class ClusterBaselineConfig(StrictModel):
    charts: dict[ChartName, str]
    """Pinned Helm chart version of each EKS controller (aws-load-balancer-controller,
    cluster-autoscaler, metrics-server) and of Istio (its base, cni and istiod charts share one
    version); each needs a row in infra/config/support.py."""
    cluster_autoscaler_image: str = Field(pattern=IMAGE_TAG.pattern)
    """Cluster Autoscaler image tag: its minor must equal compute.kubernetes_version's."""
    aks_istio_revision: str = Field(pattern=r"^asm-1-\d+$")
    """Revision of the AKS Istio add-on (``az aks mesh get-revisions``), the same Istio minor as
    ``charts.istio`` on EKS; the AKS overlay (k8s/overlays/aks) labels the application
    namespaces with it."""
    namespace_limits: NamespaceLimits
    """Quota and container defaults of each application namespace."""

    @field_validator("charts")
    @classmethod
    def _charts(cls, value: dict[str, str]) -> dict[str, str]:
        missing = sorted(REQUIRED_CHARTS - value.keys())
        if missing:
            raise ValueError(f"missing pinned chart version for {', '.join(missing)}")
        for name, version in value.items():
            if not SEMVER.match(version):
                raise ValueError(f"{name}: {version!r} is not a chart version like 1.2.3")
        return value

    @model_validator(mode="after")
    def _one_istio_minor(self) -> Self:
        minor = self.charts["istio"].split(".")[1]
        if self.aks_istio_revision != f"asm-1-{minor}":
            raise ValueError(
                f"aks_istio_revision: {self.aks_istio_revision} is not Istio 1.{minor} "
                f"(charts.istio {self.charts['istio']}): both clouds run one Istio minor"
            )
        if int(minor) < AKS_ISTIO_CNI_DEFAULT_MINOR:
            raise ValueError(
                f"aks_istio_revision: {self.aks_istio_revision} installs the mesh with the "
                "istio-init container (NET_ADMIN, NET_RAW), which the application namespaces' "
                f"Pod Security 'restricted' refuses; asm-1-{AKS_ISTIO_CNI_DEFAULT_MINOR} and "
                "later install Istio CNI by default"
            )
        return self
