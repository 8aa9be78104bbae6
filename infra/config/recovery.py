"""Recovery settings: the ARC Region switch plan between the primary and the standby region
(steps, timeouts, the RTO objective, the optional approval and alarm trigger) and the worst-case
duration of each step that the RTO budget (``infra/rto_budget.py``) adds up."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from infra.config.base import StrictModel


class ApprovalConfig(StrictModel):
    """A manual approval as the plan's first step."""

    timeout_minutes: int = Field(default=30, ge=1, le=1440)
    """How long the execution waits for someone to approve before the step times out."""
    expected_minutes: int = Field(default=5, ge=0, le=1440)
    """Worst case until an on-call person approves (the RTO budget counts it)."""


class StepTimeouts(StrictModel):
    """Timeout of each plan step in minutes: Region switch fails the step after it."""

    promote: int = Field(default=20, ge=1, le=120)
    """Database promotion (custom-action Lambda, re-run every retry interval until done)."""
    app_config: int = Field(default=5, ge=1, le=60)
    """Writing the writer-database and cache endpoints to the activated region's parameters."""
    scale: int = Field(default=20, ge=1, le=120)
    """EKS resource scaling of the activated region's workloads."""
    dns: int = Field(default=10, ge=1, le=60)
    """Moving the application record to the activated region."""
    verify: int = Field(default=10, ge=1, le=60)
    """Smoke test of the activated region's ingress and writer database."""


class StepEstimates(StrictModel):
    """Worst-case duration of the steps whose time is not set by our own configuration. These are
    estimates (AWS publishes no bound); replace them with measured drill results."""

    promotion_minutes: float = Field(default=5, gt=0, le=120)
    """RDS read-replica promotion until the instance is available and writable."""
    app_config_minutes: float = Field(default=0.5, gt=0, le=60)
    """The parameter writes (seconds in practice) plus one Lambda cold start."""
    node_scale_up_minutes: float = Field(default=5, gt=0, le=120)
    """New EKS nodes joining (autoscaler reaction, EC2 boot, node ready) plus pods ready."""
    verification_minutes: float = Field(default=1, gt=0, le=60)
    """The smoke test including retries while the new ALB targets turn healthy."""
    dns_ttl_seconds: int = Field(default=60, ge=0, le=86400)
    """TTL that resolvers cache the application record for (an ALB alias answers with 60 s)."""


class EksWorkload(StrictModel):
    """A Deployment the plan scales in the activated region (EKS resource scaling block)."""

    namespace: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$")
    """Kubernetes namespace of the Deployment."""
    name: str = Field(pattern=r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$")
    """Name of the Deployment."""
    hpa_name: str | None = None
    """HorizontalPodAutoscaler of the Deployment, when it has one (Region switch sets its min)."""


class ScalingConfig(StrictModel):
    workloads: list[EksWorkload] = Field(default_factory=list)
    """Deployments scaled to the deactivated region's capacity; none leaves the step out."""
    target_percent: int = Field(default=100, ge=1, le=1000)
    """Capacity to reach, in percent of the deactivated region's (sampled max of 24 h)."""
    ungraceful_minimum_success_percent: int = Field(default=80, ge=0, le=99)
    """In an ungraceful failover the step succeeds once this share of the target is ready."""


class RecoveryConfig(StrictModel):
    rto_minutes: int = Field(default=15, ge=1, le=10080)
    """Recovery time objective of the Region switch plan; the RTO budget must fit inside it."""
    approval: ApprovalConfig | None = None
    """A manual approval before anything changes; leave out for no approval step."""
    trigger_on_region_unhealthy: bool = False
    """Start a failover to the standby when the primary's region-unhealthy composite alarm turns
    red. Default: people start the plan (human-approved)."""
    trigger_min_delay_minutes: int = Field(default=120, ge=1, le=10080)
    """Minimum time between two alarm-started executions."""
    retry_interval_minutes: float = Field(default=1, gt=0, le=60)
    """Region switch re-runs an unfinished custom-action Lambda step after this interval."""
    step_wait_seconds: int = Field(default=240, ge=10, le=840)
    """How long one invocation of a custom-action step waits for its work (a promotion, the
    ingress turning healthy) before it reports "not yet" and lets Region switch re-run it."""
    canary_user: str = Field(default="fdr_canary", pattern=r"^[a-z][a-z0-9_]{0,62}$")
    """PostgreSQL login (IAM database authentication) the verify step writes its canary row as;
    created once by hand (docs/recovery.md, "Canary write")."""
    timeouts: StepTimeouts = StepTimeouts()
    """Timeout of every plan step."""
    estimates: StepEstimates = StepEstimates()
    """Worst-case step durations for the RTO budget (``make rto``)."""
    scaling: ScalingConfig = ScalingConfig()
    """The standby workloads the plan scales up (EKS resource scaling)."""

    @model_validator(mode="after")
    def _estimates_fit_timeouts(self) -> Self:
        e, t = self.estimates, self.timeouts
        pairs = [
            ("timeouts.promote", t.promote, "estimates.promotion_minutes", e.promotion_minutes),
            ("timeouts.app_config", t.app_config, "estimates.app_config_minutes",
             e.app_config_minutes),
            ("timeouts.scale", t.scale, "estimates.node_scale_up_minutes",
             e.node_scale_up_minutes),
            ("timeouts.verify", t.verify, "estimates.verification_minutes",
             e.verification_minutes),
        ]  # fmt: skip
        if self.approval is not None:
            pairs.append(
                ("approval.timeout_minutes", self.approval.timeout_minutes,
                 "approval.expected_minutes", self.approval.expected_minutes)
            )  # fmt: skip
        for timeout_key, timeout, estimate_key, estimate in pairs:
            if estimate > timeout:
                raise ValueError(
                    f"{timeout_key}: {timeout} min is shorter than {estimate_key} "
                    f"({estimate:g} min): the step would time out before it finishes"
                )
        return self
