"""What every step shares: settings, clients with the jobs' throttling back-off, errors."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from backup_jobs.aws import ClientFactory, RetryPolicy, with_backoff

from origin_rotation.settings import RotationSettings


class RotationError(RuntimeError):
    """The step cannot be done as things are; the message says what to fix. Secrets Manager
    retries the rotation, and the old value stays accepted meanwhile."""


class NotReady(RotationError):
    """Something the step waits for is still under way (a distribution deploying); a retry of
    the rotation continues."""


@dataclass(frozen=True)
class Rotation:
    settings: RotationSettings
    clients: ClientFactory
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    on_retry: Callable[[str], None] = lambda code: None
    sleep: Callable[[float], None] = time.sleep

    def call(self, service: str, region: str, operation: str, **kwargs: Any) -> Any:
        client = self.clients(service, region)
        return with_backoff(getattr(client, operation), self.policy, self.on_retry, **kwargs)

    def home(self, service: str, operation: str, **kwargs: Any) -> Any:
        """A call in the edge's region (Secrets Manager primary, CloudFront)."""
        return self.call(service, self.settings.home_region, operation, **kwargs)
