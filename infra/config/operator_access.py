"""How operators reach a cluster whose Kubernetes API has no public endpoint (compute stacks)."""

from __future__ import annotations

from pydantic import Field

from infra.config.base import LogRetentionDays, StrictModel
from infra.config.compute import InstanceType


class OperatorAccessConfig(StrictModel):
    session_manager_host: bool
    """One Session Manager managed instance per region in the management subnets (bastion_sg;
    no SSH, no public IP): operators forward the private Kubernetes API through it. Required
    when ``compute.public_endpoint_cidrs`` is empty (nothing else reaches a private endpoint)."""
    instance_type: InstanceType = "t3.micro"
    """Size of the host: it only relays port-forwarding sessions."""
    root_volume_gib: int = Field(default=20, ge=8, le=100)
    """Encrypted gp3 root volume (the AL2023 AMI's snapshot is 8 GiB)."""
    session_log_retention_days: LogRetentionDays = 365
    """Retention of the encrypted CloudWatch log group of shell sessions on the host."""
    idle_session_timeout_minutes: int = Field(default=20, ge=1, le=60)
    """Session Manager ends a session idle this long (Session Manager accepts 1 to 60)."""
