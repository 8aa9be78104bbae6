"""Compute and ingress tier settings: the EKS cluster, its node groups and add-ons, the ALB and WAF.

Node groups follow the design's "Kubernetes Node Configuration" table; regions of role replica
or standby can run them at other sizes (``scaling_by_role``).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, field_validator, model_validator

from infra.config.base import LogRetentionDays, RegionRole, StrictModel
from infra.config.cluster_baseline import ClusterBaselineConfig

# Versions aws-cdk-lib 2.275's eks_v2.KubernetesVersion offers and EKS still supports
# (tests/unit/test_compute_config.py checks each against the library).
SUPPORTED_KUBERNETES_VERSIONS: tuple[str, ...] = ("1.32", "1.33", "1.34", "1.35", "1.36")

# family (letters, generation digit, attribute letters) "." size, e.g. m5a.xlarge, g4dn.12xlarge
INSTANCE_TYPE = re.compile(
    r"^(?P<series>[a-z]+)(?P<generation>\d+)(?P<attributes>[a-z-]*)"
    r"\.(?:nano|micro|small|medium|large|\d*xlarge|metal(?:-\d+xl)?)$"
)
ADDON_VERSION = re.compile(r"^v\d+\.\d+\.\d+-eksbuild\.\d+$")
LABEL_KEY = re.compile(r"^([a-z0-9.-]{1,253}/)?[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$")
LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?$")
NAMESPACE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
HEALTH_CHECK_PATH = re.compile(r"^/[A-Za-z0-9/_.~-]{0,1023}$")
CERTIFICATE_ARN = re.compile(
    r"^arn:aws[a-z-]*:acm:(?P<region>[a-z0-9-]+):\d{12}:certificate/[0-9a-f-]{36}$"
)

# Managed add-ons the cluster runs; versions are pinned per environment.
AddonName = Literal[
    "vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver", "eks-pod-identity-agent"
]  # fmt: skip
REQUIRED_ADDONS: frozenset[str] = frozenset(AddonName.__args__)  # type: ignore[attr-defined]


def pinned_addons(value: dict[str, str], required: frozenset[str]) -> dict[str, str]:
    """Every required add-on has a version, and every version reads like ``v1.2.3-eksbuild.1``."""
    missing = sorted(required - value.keys())
    if missing:
        raise ValueError(f"missing pinned version for {', '.join(missing)}")
    for name, version in value.items():
        if not ADDON_VERSION.match(version):
            raise ValueError(f"{name}: {version!r} is not an add-on version like v1.2.3-eksbuild.1")
    return value


# EKS managed node group AMI families we run (the launch template leaves the AMI to EKS).
AmiType = Literal[
    "AL2023_X86_64_STANDARD", "AL2023_X86_64_NVIDIA", "AL2023_ARM_64_STANDARD",
    "BOTTLEROCKET_X86_64", "BOTTLEROCKET_ARM_64",
]  # fmt: skip

# ALB security policies that offer TLS 1.3 (AWS names; what each offers: infra/config/tls.py).
# TLS13-1-3 accepts TLS 1.3 only, which Route 53 HTTPS health checkers cannot negotiate.
TlsPolicy = Literal[
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-PQ-2025-09",
]


def _instance_type(value: str) -> str:
    if not INSTANCE_TYPE.match(value):
        raise ValueError(f"{value!r} is not an EC2 instance type such as m5.xlarge")
    return value


InstanceType = Annotated[str, AfterValidator(_instance_type)]


def is_gpu(instance_type: str) -> bool:
    """NVIDIA GPU families: g (except Graviton-only attribute use) and p series."""
    match = INSTANCE_TYPE.match(instance_type)
    return bool(match and match["series"] in ("g", "p", "gr"))


def is_graviton(instance_type: str) -> bool:
    """AWS marks Graviton families with a ``g`` among the attribute letters (m6g, c7gn, r6gd)."""
    match = INSTANCE_TYPE.match(instance_type)
    return bool(match and "g" in match["attributes"])


class Taint(StrictModel):
    key: str = Field(pattern=LABEL_KEY.pattern)
    """Taint key, e.g. ``workload``."""
    value: str = Field(pattern=LABEL_VALUE.pattern)
    """Taint value; pods need a matching toleration."""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]
    """Kubernetes taint effect."""


class Scaling(StrictModel):
    min_size: int = Field(ge=0, le=450)
    """Fewest nodes the group scales in to."""
    desired_size: int = Field(ge=0, le=450)
    """Nodes the group runs when deployed."""
    max_size: int = Field(ge=1, le=450)
    """Most nodes the group scales out to."""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.min_size <= self.desired_size <= self.max_size:
            raise ValueError(
                f"min_size <= desired_size <= max_size must hold, got {self.min_size} / "
                f"{self.desired_size} / {self.max_size}"
            )
        return self


class NodeGroup(StrictModel):
    instance_types: list[InstanceType] = Field(min_length=1)
    """EC2 instance types, all of one CPU architecture; the first is preferred."""
    capacity_type: Literal["ON_DEMAND", "SPOT"]
    """ON_DEMAND, or SPOT (interruptible, for work that tolerates losing a node)."""
    ami_type: AmiType
    """EKS-optimised AMI family; NVIDIA variants carry the GPU drivers (and run on CPU types)."""
    scaling: Scaling
    """Sizes in the primary region (other roles: ``scaling_by_role``)."""
    max_unavailable_percentage: int = Field(ge=1, le=100)
    """Share of nodes replaced at once during a version or launch-template update."""
    disk_size_gib: int = Field(ge=20, le=16384)
    """Encrypted gp3 root volume of each node."""
    labels: dict[str, str] = Field(default_factory=dict)
    """Kubernetes node labels (the design's node-type and workload)."""
    taints: list[Taint] = Field(default_factory=list)
    """Kubernetes taints; only pods that tolerate them land on these nodes."""

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: dict[str, str]) -> dict[str, str]:
        for key, label in value.items():
            if not LABEL_KEY.match(key) or not LABEL_VALUE.match(label):
                raise ValueError(f"{key}={label!r} is not a valid Kubernetes label")
        return value

    @model_validator(mode="after")
    def _one_architecture(self) -> Self:
        arm = {is_graviton(t) for t in self.instance_types}
        if len(arm) > 1:
            raise ValueError(
                f"instance_types {self.instance_types} mix arm64 (Graviton) and x86_64: one node "
                "group runs one AMI architecture"
            )
        gpus = [t for t in self.instance_types if is_gpu(t)]
        if gpus and "NVIDIA" not in self.ami_type:
            raise ValueError(
                f"instance_types {gpus} have GPUs but ami_type {self.ami_type} has no NVIDIA "
                "drivers: use an *_NVIDIA ami_type"
            )
        wants_arm = "ARM_64" in self.ami_type
        if arm and wants_arm != arm.pop():
            raise ValueError(
                f"ami_type {self.ami_type} does not match the architecture of {self.instance_types}"
            )
        return self


def _cidr(value: str) -> str:
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as err:
        raise ValueError(f"{value!r} is not a CIDR block: {err}") from None
    if network.version != 4:
        raise ValueError(f"{value!r}: the EKS public endpoint allow-list takes IPv4 CIDRs")
    return value


PublicCidr = Annotated[str, AfterValidator(_cidr)]


class ComputeConfig(StrictModel):
    kubernetes_version: str
    """Kubernetes minor version of every cluster, e.g. "1.36" (one that aws-cdk-lib offers, with
    a row in infra/config/support.py: a version past its end of standard support is rejected)."""
    public_endpoint_cidrs: list[PublicCidr] = Field(default_factory=list)
    """CIDRs allowed to reach the public Kubernetes API endpoint; empty turns the public
    endpoint off (the private endpoint is always on)."""
    addons: dict[AddonName, str]
    """Pinned version of each managed add-on (check with ``aws eks describe-addon-versions
    --kubernetes-version X``): vpc-cni, coredns, kube-proxy, aws-ebs-csi-driver,
    eks-pod-identity-agent; each needs a row in infra/config/support.py ADDONS listing the
    cluster's Kubernetes version."""
    control_plane_log_retention_days: LogRetentionDays
    """Retention of the control-plane log group (api, audit, authenticator, controllerManager,
    scheduler are all on)."""
    developer_namespaces: list[str] = Field(min_length=1)
    """Application namespaces: Pod Security "restricted", default-deny network policies, strict
    mTLS, quota; fdr-developer is bound to the fdr-developer ClusterRole in each (k8s/)."""
    node_groups: dict[str, NodeGroup] = Field(min_length=1)
    """Managed node groups by name (the design's application, ai-processing and database)."""
    scaling_by_role: dict[RegionRole, dict[str, Scaling]] = Field(default_factory=dict)
    """Node-group sizes in regions of a role (replica, standby); groups not listed keep
    ``node_groups.<name>.scaling``."""
    baseline: ClusterBaselineConfig
    """In-cluster baseline: controller and mesh chart versions, namespace quota (k8s/)."""

    @field_validator("kubernetes_version")
    @classmethod
    def _supported(cls, value: str) -> str:
        if value not in SUPPORTED_KUBERNETES_VERSIONS:
            raise ValueError(
                f"{value!r} is not a supported Kubernetes version "
                f"(one of {', '.join(SUPPORTED_KUBERNETES_VERSIONS)})"
            )
        return value

    @field_validator("addons")
    @classmethod
    def _addons(cls, value: dict[str, str]) -> dict[str, str]:
        return pinned_addons(value, REQUIRED_ADDONS)

    @field_validator("developer_namespaces")
    @classmethod
    def _namespaces(cls, value: list[str]) -> list[str]:
        for namespace in value:
            if not NAMESPACE.match(namespace) or namespace.startswith("kube-"):
                raise ValueError(f"{namespace!r} is not a namespace developers may edit")
        return value

    @field_validator("node_groups")
    @classmethod
    def _group_names(cls, value: dict[str, NodeGroup]) -> dict[str, NodeGroup]:
        for name in value:
            if not NAMESPACE.match(name):
                raise ValueError(f"{name!r} is not a node group name (lower case, digits, -)")
        return value

    @model_validator(mode="after")
    def _known_groups_in_overrides(self) -> Self:
        for role, groups in self.scaling_by_role.items():
            unknown = sorted(groups.keys() - self.node_groups.keys())
            if unknown:
                raise ValueError(
                    f"compute.scaling_by_role.{role}: unknown node group {', '.join(unknown)} "
                    f"(defined: {', '.join(self.node_groups)})"
                )
        return self

    @model_validator(mode="after")
    def _autoscaler_matches_kubernetes(self) -> Self:
        image = self.baseline.cluster_autoscaler_image
        if not image.removeprefix("v").startswith(self.kubernetes_version + "."):
            raise ValueError(
                f"compute.baseline.cluster_autoscaler_image: {image} is not a "
                f"{self.kubernetes_version}.x release: the Cluster Autoscaler minor must equal "
                "the cluster's Kubernetes minor"
            )
        return self

    def scaling(self, group: str, role: RegionRole) -> Scaling:
        """Sizes of ``group`` in a region of ``role``."""
        return self.scaling_by_role.get(role, {}).get(group, self.node_groups[group].scaling)


class WafConfig(StrictModel):
    rate_limit_per_5_minutes: int = Field(ge=10, le=2_000_000_000)
    """Requests one client IP may send in any 5-minute window before WAF blocks it."""
    log_retention_days: LogRetentionDays
    """Retention of the WAF log group (aws-waf-logs-*), KMS-encrypted with the logs key."""


class IngressConfig(StrictModel):
    tls_policy: TlsPolicy
    """ALB security policy of the HTTPS listener. ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09 (AWS's
    recommendation) offers TLS 1.3 to clients and restricted TLS 1.2 (ECDHE AES-GCM) to the Route 53
    health checkers, which negotiate TLS 1.0-1.2 only; a TLS 1.3-only policy (TLS13-1-3) is
    rejected while HTTPS health checks probe the listener."""
    health_check_path: str
    """HTTP path the target group probes on the pods (must answer 200)."""
    certificate_arns: dict[str, str] = Field(default_factory=dict)
    """Existing ACM certificate per region (ACM certificates are regional); regions not listed
    get a DNS-validated certificate for ``dns.domain`` and ``*.<dns.domain>``."""
    access_log_retention_days: int = Field(ge=1, le=3653)
    """Days the ALB access logs are kept in their bucket."""
    idle_timeout_seconds: int = Field(ge=1, le=4000)
    """ALB idle timeout; long-running research streams may need more than the default 60."""
    waf: WafConfig
    """WAFv2 web ACL of the ALB."""

    @field_validator("health_check_path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not HEALTH_CHECK_PATH.match(value):
            raise ValueError(f"{value!r} is not an absolute HTTP path such as /healthz")
        return value

    @field_validator("certificate_arns")
    @classmethod
    def _arns(cls, value: dict[str, str]) -> dict[str, str]:
        for region, arn in value.items():
            match = CERTIFICATE_ARN.match(arn)
            if not match:
                raise ValueError(f"{region}: {arn!r} is not an ACM certificate ARN")
            if match["region"] != region:
                raise ValueError(
                    f"{region}: {arn!r} is in {match['region']}; an ALB needs a certificate of "
                    "its own region"
                )
        return value
