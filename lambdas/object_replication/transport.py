"""HTTPS to Azure (Blob service, Entra token endpoint) over urllib3, which the Lambda runtime
ships with botocore: no Azure SDK to bundle.

One retry loop for every Azure request: 429 and 500/502/503/504 are retried after the server's
``Retry-After`` (seconds, capped) or a jittered exponential back-off, and so are dropped
connections; any other status is returned to the caller. Bytes sent and received are counted,
so the benchmark can show that no object body ever passes through the process.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import urllib3

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass
class Traffic:
    requests: int = 0
    retries: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


@dataclass
class Http:
    attempts: int = 6
    cap_seconds: float = 30.0
    ca_bundle: str | None = None
    timeout_seconds: float = 120.0
    sleep: Callable[[float], None] = time.sleep
    on_retry: Callable[[str], None] = lambda reason: None
    traffic: Traffic = field(default_factory=Traffic)
    _pool: Any = None

    def _manager(self) -> urllib3.PoolManager:
        if self._pool is None:
            kwargs: dict[str, Any] = {
                "retries": False,
                "timeout": urllib3.Timeout(connect=10, read=self.timeout_seconds),
                "maxsize": 8,
            }
            if self.ca_bundle:
                kwargs["ca_certs"] = self.ca_bundle
            self._pool = urllib3.PoolManager(**kwargs)
        return self._pool

    def delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after:
            try:
                return min(self.cap_seconds, max(0.0, float(retry_after)))
            except ValueError:
                pass  # an HTTP date: fall back to our own back-off
        return random.uniform(0, min(self.cap_seconds, 0.5 * 2**attempt))

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Callable[[], dict[str, str]] | dict[str, str],
        body: bytes = b"",
    ) -> Response:
        """``headers`` may be a function: called per attempt, so a retry gets a fresh date and
        bearer token."""
        for attempt in range(self.attempts):
            sent = headers() if callable(headers) else headers
            try:
                raw = self._manager().request(
                    method, url, headers=sent, body=body or None, preload_content=True
                )
            except urllib3.exceptions.HTTPError as err:
                if attempt == self.attempts - 1:
                    raise
                self.traffic.retries += 1
                self.on_retry(type(err).__name__)
                self.sleep(self.delay(attempt, None))
                continue
            self.traffic.requests += 1
            self.traffic.bytes_sent += len(body)
            self.traffic.bytes_received += len(raw.data)
            response = Response(
                raw.status, {k.lower(): v for k, v in raw.headers.items()}, raw.data
            )
            if response.status in RETRY_STATUSES and attempt < self.attempts - 1:
                self.traffic.retries += 1
                self.on_retry(str(response.status))
                self.sleep(self.delay(attempt, response.header("retry-after")))
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover
