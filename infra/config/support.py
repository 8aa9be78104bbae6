"""End of standard support of every version the configuration pins: the one table (component and
version -> end date, source, what was verified), and the checks on it.

Checked on 2026-12-02. A pin whose end is past fails config validation (one line: key, value,
end, source); one with fewer than ``WARNING_DAYS`` left prints a warning in ``make synth``;
``make versions`` prints the remaining support of every pin (``infra/versions.py``). To pin a new
version, add its row here first, with the page it comes from. Add-on versions have no support
date of their own: they are supported while the Kubernetes version they are listed for is, so
their rows name the Kubernetes versions they were checked against.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from infra.config.environment import EnvironmentConfig

WARNING_DAYS = 90
# Set to an ISO date to evaluate the pins as of that day (tests, or planning an upgrade).
TODAY_VARIABLE = "FDR_SUPPORT_TODAY"

EKS_CALENDAR = (
    "https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html"
    "#kubernetes-release-calendar"
)
AKS_CALENDAR = (
    "https://learn.microsoft.com/en-us/azure/aks/supported-kubernetes-versions"
    "#aks-kubernetes-release-calendar-and-upcoming-versions"
)
LAMBDA_RUNTIMES = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html"
RDS_POSTGRES_CALENDAR = (
    "https://docs.aws.amazon.com/AmazonRDS/latest/PostgreSQLReleaseNotes/"
    "postgresql-release-calendar.html"
)
ELASTICACHE_EOL = (
    "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/deprecated-engine-versions.html"
)
POWERTOOLS_VERSIONING = "https://docs.aws.amazon.com/powertools/python/latest/versioning/"
KUBE_PROXY_VERSIONS = "https://docs.aws.amazon.com/eks/latest/userguide/managing-kube-proxy.html"
ADDON_VERSIONS = "https://docs.aws.amazon.com/eks/latest/userguide/eks-add-ons.html"
LBC_RELEASES = "https://github.com/kubernetes-sigs/aws-load-balancer-controller/releases"
AUTOSCALER_RELEASES = "https://github.com/kubernetes/autoscaler/releases"
METRICS_SERVER_RELEASES = "https://github.com/kubernetes-sigs/metrics-server/releases"
ISTIO_SUPPORT = "https://istio.io/latest/docs/releases/supported-releases/"
AKS_ISTIO_SUPPORT = "https://learn.microsoft.com/en-us/azure/aks/istio-support-policy"
FLUX_EXTENSION_RELEASES = (
    "https://learn.microsoft.com/en-us/azure/azure-arc/kubernetes/flux-gitops-release-notes"
)


@dataclass(frozen=True)
class Support:
    end: date | None
    """Last day of standard support (None: the vendor has announced no end)."""
    source: str
    """The page the date comes from."""
    verified: str
    """What was checked and how; says so when the date could not be confirmed."""


@dataclass(frozen=True)
class AddonRecord:
    kubernetes: frozenset[str]
    """Kubernetes minor versions this add-on version was found for."""
    source: str
    verified: str


# (component, version) -> end of standard support.
SUPPORT: dict[tuple[str, str], Support] = {
    ("eks", "1.32"): Support(date(2026, 3, 23), EKS_CALENDAR, "EKS calendar (awsdocs source)"),
    ("eks", "1.33"): Support(date(2026, 7, 29), EKS_CALENDAR, "EKS calendar (awsdocs source)"),
    ("eks", "1.34"): Support(date(2026, 12, 2), EKS_CALENDAR, "EKS calendar (awsdocs source)"),
    ("eks", "1.35"): Support(
        date(2027, 3, 27), EKS_CALENDAR, "EKS calendar as quoted by endoflife.date and AWS samples"
    ),
    ("eks", "1.36"): Support(
        date(2027, 8, 2),
        EKS_CALENDAR,
        "EKS release 2026-06-02 plus the documented 14 months of standard support; two secondary "
        "copies of the calendar agree on 2027-08-02, the AWS row itself was not readable here",
    ),
    ("aks", "1.33"): Support(date(2026, 7, 31), AKS_CALENDAR, "AKS calendar: end of life Jul 2026"),
    ("aks", "1.34"): Support(
        date(2026, 11, 30), AKS_CALENDAR, "AKS calendar: end of life Nov 2026"
    ),
    ("aks", "1.35"): Support(date(2027, 3, 31), AKS_CALENDAR, "AKS calendar: end of life Mar 2027"),
    ("aks", "1.36"): Support(
        date(2027, 6, 30),
        AKS_CALENDAR,
        "AKS calendar (MicrosoftDocs/azure-aks-docs, 2026-08-21): GA Jun 2026, end of life Jun "
        "2027 (a month means its last day)",
    ),
    ("aks", "1.37"): Support(
        date(2027, 10, 31), AKS_CALENDAR, "AKS calendar: end of life Oct 2027"
    ),
    ("lambda-runtime", "python3.14"): Support(
        date(2029, 6, 30),
        LAMBDA_RUNTIMES,
        "deprecation date of python3.14 as listed by endoflife.date from the Lambda runtimes page",
    ),
    ("rds-postgresql", "17"): Support(
        date(2030, 2, 28),
        RDS_POSTGRES_CALENDAR,
        "NOT confirmed: the RDS calendar page was not readable here; RDS ends standard support "
        "on Feb 28 after the community end of life (PostgreSQL 17: Nov 2029)",
    ),
    ("elasticache-redis", "7.1"): Support(
        None,
        ELASTICACHE_EOL,
        "no end of life announced for Redis OSS 7 (only v2-v5 are scheduled)",
    ),
    # In-cluster baseline (compute.baseline): Helm charts and the images they pin.
    ("helm/aws-load-balancer-controller", "3.5.0"): Support(
        None,
        LBC_RELEASES,
        "chart 3.5.0 (controller v3.5.0) in the project's helm/ folder (repository snapshot of "
        "2026-08-17); the project announces no end dates, only its newest minor gets fixes",
    ),
    ("helm/cluster-autoscaler", "9.59.0"): Support(
        date(2027, 8, 2),
        AUTOSCALER_RELEASES,
        "chart 9.59.0 (repository snapshot of 2026-08-22); the autoscaler minor follows the "
        "Kubernetes minor, so the end is EKS 1.36's",
    ),
    ("cluster-autoscaler-image", "1.36"): Support(
        date(2027, 8, 2),
        AUTOSCALER_RELEASES,
        "tag cluster-autoscaler-1.36.1 (2026-07-22) in kubernetes/autoscaler; supported with "
        "Kubernetes 1.36 (EKS end of standard support)",
    ),
    ("helm/metrics-server", "3.13.1"): Support(
        None,
        METRICS_SERVER_RELEASES,
        "chart 3.13.1 (metrics-server 0.8.1) in the project's charts/ folder (snapshot of "
        "2026-08-04); no end dates announced",
    ),
    ("istio", "1.30"): Support(
        None,
        ISTIO_SUPPORT,
        "NOT confirmed: 1.30.4 released 2026-08-27 (istio.io 1.30.x news); Kubernetes 1.32-1.36 "
        "per a vendor copy of the support table. Istio ends a minor ~6 weeks after the minor two "
        "releases later, so expect the end in early 2027: check the table before deploying",
    ),
    ("aks-istio", "asm-1-30"): Support(
        None,
        AKS_ISTIO_SUPPORT,
        "NOT confirmed for AKS 1.36: asm-1-30 exists (learn.microsoft.com/azure/aks/istio-cni, "
        "May 2026: Istio CNI is its default for new meshes), but the AKS calendar readable here "
        "stops at asm-1-27; the add-on follows upstream Istio's support (az aks mesh "
        "get-revisions lists the compatible versions)",
    ),
    ("aks-flux", "1.23.0"): Support(
        None,
        FLUX_EXTENSION_RELEASES,
        "NOT confirmed: 1.23.0 (June 2026, Flux v2.7.5) is the newest microsoft.flux in the "
        "release notes readable here; Microsoft supports the newest and the two before it, so "
        "later releases end its support (az k8s-extension extension-types "
        "list-versions-by-cluster --extension-type microsoft.flux lists what a cluster can take)",
    ),
    ("powertools-python", "v3"): Support(
        None,
        POWERTOOLS_VERSIONING,
        "v3 is the current major; no end of support announced (v2 ended 2025-03-25); the layer "
        "version number itself was not checked",
    ),
}

_RESOLVED_ON_136 = (
    "seen resolved on an EKS 1.36 cluster in public infrastructure code; the AWS table row was "
    "not readable here"
)
# (add-on, version) -> the Kubernetes versions it was found for.
ADDONS: dict[tuple[str, str], AddonRecord] = {
    ("vpc-cni", "v1.22.4-eksbuild.3"): AddonRecord(
        frozenset({"1.36"}), ADDON_VERSIONS, _RESOLVED_ON_136
    ),
    ("coredns", "v1.14.3-eksbuild.16"): AddonRecord(
        frozenset({"1.36"}), ADDON_VERSIONS, _RESOLVED_ON_136
    ),
    ("kube-proxy", "v1.36.0-eksbuild.14"): AddonRecord(
        frozenset({"1.36"}), KUBE_PROXY_VERSIONS, "the kube-proxy table's row for 1.36"
    ),
    ("aws-ebs-csi-driver", "v1.63.1-eksbuild.1"): AddonRecord(
        frozenset({"1.36"}), ADDON_VERSIONS, "pinned for EKS 1.36 in public infrastructure code"
    ),
    ("eks-pod-identity-agent", "v1.3.10-eksbuild.3"): AddonRecord(
        frozenset({"1.36"}), ADDON_VERSIONS, _RESOLVED_ON_136
    ),
    ("amazon-cloudwatch-observability", "v4.5.0-eksbuild.1"): AddonRecord(
        frozenset({"1.36"}),
        ADDON_VERSIONS,
        "NOT confirmed for 1.36: check aws eks describe-addon-versions before deploying",
    ),
    ("prometheus-node-exporter", "v1.9.1-eksbuild.2"): AddonRecord(
        frozenset({"1.36"}),
        ADDON_VERSIONS,
        "NOT confirmed for 1.36: check aws eks describe-addon-versions before deploying",
    ),
    ("kube-state-metrics", "v2.16.0-eksbuild.1"): AddonRecord(
        frozenset({"1.36"}),
        ADDON_VERSIONS,
        "NOT confirmed for 1.36: check aws eks describe-addon-versions before deploying",
    ),
}


@dataclass(frozen=True)
class Pin:
    key: str
    """Where the pin lives, e.g. compute.kubernetes_version (or the module that holds it)."""
    value: str
    """The value as written."""
    component: str
    """Row of SUPPORT: eks, aks, eks-addon, lambda-runtime, rds-postgresql, ..."""
    version: str
    """The version SUPPORT is keyed by (the major for PostgreSQL, major.minor for Kubernetes)."""


@dataclass(frozen=True)
class PinSupport:
    pin: Pin
    support: Support | None
    """None when the table has no row for the pin (or the add-on is not listed for the cluster's
    Kubernetes version): ``problem`` says which."""
    problem: str = ""


def today() -> date:
    override = os.environ.get(TODAY_VARIABLE)
    return date.fromisoformat(override) if override else date.today()


def remaining(end: date | None, on: date) -> tuple[int | None, str]:
    """(days of standard support left, status): expired, warning (< WARNING_DAYS), ok, or
    "no end announced"."""
    if end is None:
        return None, "no end announced"
    days = (end - on).days
    if days < 0:
        return days, "expired"
    return days, "warning" if days < WARNING_DAYS else "ok"


def config_pins(config: EnvironmentConfig) -> list[Pin]:
    """Every version the configuration pins, with the row of SUPPORT it is judged by."""
    kubernetes = config.compute.kubernetes_version
    pins = [Pin("compute.kubernetes_version", kubernetes, "eks", kubernetes)]
    for section, addons in (
        ("compute", config.compute.addons),
        ("monitoring", config.monitoring.addons),
    ):
        pins += [
            Pin(f"{section}.addons.{name}", version, f"eks-addon/{name}", version)
            for name, version in sorted(addons.items())
        ]
    baseline = config.compute.baseline
    pins += [
        Pin(f"compute.baseline.charts.{name}", version, f"helm/{name}", version)
        for name, version in sorted(baseline.charts.items())
        if name != "istio"
    ]
    istio = baseline.charts["istio"]
    image = baseline.cluster_autoscaler_image
    pins += [
        Pin("compute.baseline.charts.istio", istio, "istio", ".".join(istio.split(".")[:2])),
        Pin(
            "compute.baseline.cluster_autoscaler_image",
            image,
            "cluster-autoscaler-image",
            ".".join(image.removeprefix("v").split(".")[:2]),
        ),
        Pin("compute.baseline.aks_istio_revision", baseline.aks_istio_revision, "aks-istio",
            baseline.aks_istio_revision),
    ]  # fmt: skip
    database = config.data.database.engine_version
    cache = config.data.cache.engine_version
    aks = config.azure.aks.kubernetes_version
    flux = config.azure.aks.baseline_source.flux_extension_version
    return [
        *pins,
        Pin("data.database.engine_version", database, "rds-postgresql", database.split(".")[0]),
        Pin("data.cache.engine_version", cache, "elasticache-redis", cache),
        Pin(
            "backup.powertools_layer_version",
            str(config.backup.powertools_layer_version),
            "powertools-python",
            "v3",  # the layer is AWSLambdaPowertoolsPythonV3-* (infra/stacks/backup.py)
        ),
        Pin("azure.aks.kubernetes_version", aks, "aks", ".".join(aks.split(".")[:2])),
        Pin("azure.aks.baseline_source.flux_extension_version", flux, "aks-flux", flux),
    ]


def support_of(pin: Pin, *, kubernetes: str) -> PinSupport:
    if pin.component.startswith("eks-addon/"):
        name = pin.component.removeprefix("eks-addon/")
        record = ADDONS.get((name, pin.version))
        if record is None:
            return PinSupport(pin, None, "has no row in infra/config/support.py ADDONS")
        if kubernetes not in record.kubernetes:
            found = ", ".join(sorted(record.kubernetes))
            return PinSupport(
                pin, None, f"is recorded for Kubernetes {found}, not {kubernetes} (the cluster's)"
            )
        cluster = SUPPORT.get(("eks", kubernetes))
        end = cluster.end if cluster else None
        return PinSupport(pin, Support(end, record.source, record.verified))
    support = SUPPORT.get((pin.component, pin.version))
    if support is None:
        return PinSupport(pin, None, "has no row in infra/config/support.py SUPPORT")
    return PinSupport(pin, support)


def problems(pins: list[PinSupport], on: date) -> tuple[list[str], list[str]]:
    """(errors, warnings), one line each: a pin without a record or past its end is an error;
    one with fewer than WARNING_DAYS left a warning."""
    errors, warnings = [], []
    for item in pins:
        pin = item.pin
        if item.support is None:
            errors.append(f"{pin.key}: {pin.value} {item.problem}: add it with its end and source")
            continue
        days, status = remaining(item.support.end, on)
        if status == "expired":
            errors.append(
                f"{pin.key}: {pin.value} reached the end of standard support on "
                f"{item.support.end} ({item.support.source}): pin a supported version"
            )
        elif status == "warning":
            warnings.append(
                f"{pin.key}: {pin.value} leaves standard support on {item.support.end}, in "
                f"{days} days ({item.support.source}): plan the upgrade"
            )
    return errors, warnings


def check(config: EnvironmentConfig, on: date | None = None) -> tuple[list[str], list[str]]:
    kubernetes = config.compute.kubernetes_version
    pins = [support_of(p, kubernetes=kubernetes) for p in config_pins(config)]
    return problems(pins, on or today())
