"""AWS access shared by the jobs: retrying clients, throttle-tolerant pagination, error codes.

Two layers of retry, on purpose: botocore's ``standard``/``adaptive`` mode absorbs short bursts
inside one API call; ``with_backoff`` adds slower, jittered rounds around a whole call or page, so
a job that meets sustained throttling (many jobs of an account listing snapshots at once) waits
and continues where it stopped instead of failing the run. A paginated listing resumes from the
last page it received: nothing is listed twice and nothing is skipped.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from botocore.config import Config

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "RequestThrottled",
        "SlowDown",
    }
)

T = TypeVar("T")


class ClientFactory(Protocol):
    def __call__(self, service: str, region: str) -> Any: ...


def error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


@dataclass(frozen=True)
class RetryPolicy:
    """Job-level back-off around whole calls (botocore's own retries run inside each call)."""

    attempts: int = 5
    base_seconds: float = 1.0
    cap_seconds: float = 20.0
    sleep: Callable[[float], None] = time.sleep

    def delay(self, attempt: int) -> float:
        # "full jitter": spreads concurrent retries instead of synchronising them
        return random.uniform(0, min(self.cap_seconds, self.base_seconds * 2**attempt))


# botocore.config, botocore.paginate and boto3 pull in botocore.compat and urllib3 (about
# 250 ms): they are imported on first use, so that module import stays small and a rejected
# event never pays for them.


@dataclass(frozen=True)
class Job:
    """What every job's ``run`` gets besides its request: settings, clients, retry behaviour."""

    settings: Any  # backup_jobs.settings.Settings (kept untyped here to avoid an import cycle)
    clients: ClientFactory
    policy: RetryPolicy
    on_retry: Callable[[str], None]


def botocore_config(mode: str, max_attempts: int) -> Config:
    from botocore.config import Config

    return Config(retries={"mode": mode, "max_attempts": max_attempts}, connect_timeout=5)


def client_factory(mode: str = "standard", max_attempts: int = 5) -> ClientFactory:
    """Clients are created once per (service, region) and reused by warm invocations."""
    import boto3

    cache: dict[tuple[str, str], Any] = {}
    config = botocore_config(mode, max_attempts)

    def factory(service: str, region: str) -> Any:
        key = (service, region)
        if key not in cache:
            cache[key] = boto3.client(service, region_name=region, config=config)
        return cache[key]

    return factory


def with_backoff(
    call: Callable[..., T], policy: RetryPolicy, on_retry: Callable[[str], None], **kwargs: Any
) -> T:
    """``call(**kwargs)``; on throttling wait (jittered, growing) and try again."""
    for attempt in range(policy.attempts):
        try:
            return call(**kwargs)
        except ClientError as err:
            code = error_code(err)
            if code not in THROTTLING_CODES or attempt == policy.attempts - 1:
                raise
            on_retry(code)
            policy.sleep(policy.delay(attempt))
    raise AssertionError("unreachable")  # pragma: no cover


def pages(
    client: Any,
    operation: str,
    *,
    token: str,
    policy: RetryPolicy,
    on_retry: Callable[[str], None],
    page_size: int | None = None,
    **kwargs: Any,
) -> Iterator[dict[str, Any]]:
    """Every page of a paginated operation, resuming after throttling from the last page seen.

    ``token`` is the operation's pagination field (``Marker`` for RDS). botocore's paginator is
    restarted with a StartingToken built from it, so a throttled page is re-requested, not the
    whole listing.
    """
    from botocore.paginate import TokenEncoder

    paginator = client.get_paginator(operation)
    next_token: str | None = None
    failures = 0
    while True:
        config: dict[str, Any] = {}
        if page_size:
            config["PageSize"] = page_size
        if next_token:
            config["StartingToken"] = TokenEncoder().encode({token: next_token})
        try:
            for page in paginator.paginate(**kwargs, PaginationConfig=config):
                yield page
                next_token = page.get(token)
                failures = 0
            return
        except ClientError as err:
            code = error_code(err)
            failures += 1
            if code not in THROTTLING_CODES or failures >= policy.attempts:
                raise
            on_retry(code)
            policy.sleep(policy.delay(failures - 1))
