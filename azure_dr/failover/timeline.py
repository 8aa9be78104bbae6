"""Steps that check their own state before acting, a marker that remembers what has no state
to check (the database restore), and the timeline of one run."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

Clock = Callable[[], float]


@dataclass(frozen=True)
class Step:
    name: str
    plan: str
    """What the step would do (the dry run prints it)."""
    done: Callable[[], str | None]
    """Why nothing is left to do (the step is skipped), or None."""
    run: Callable[[], str]
    """Does the work; returns what it did."""


@dataclass
class Entry:
    step: str
    started: str
    ended: str
    seconds: float
    outcome: str  # "done" or "already done"
    detail: str


@dataclass
class Timeline:
    entries: list[Entry] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return round(sum(e.seconds for e in self.entries), 3)

    def as_json(self) -> dict[str, Any]:
        return {"steps": [asdict(e) for e in self.entries], "total_seconds": self.seconds}

    def render(self) -> str:
        lines = [f"{'step':<22} {'start':<20} {'end':<20} {'seconds':>8}  outcome"]
        for e in self.entries:
            lines.append(
                f"{e.step:<22} {e.started[11:19]:<20} {e.ended[11:19]:<20} {e.seconds:>8.1f}  "
                f"{e.outcome}: {e.detail}"
            )
        lines.append(f"total (measured RTO of this run): {self.seconds:.1f} s")
        return "\n".join(lines)


class Marker(Protocol):
    def read(self) -> dict[str, Any]: ...

    def write(self, state: dict[str, Any]) -> None: ...


class BlobMarker:
    """The failover state as one JSON blob in the DR storage account: it survives the loss of
    both AWS regions and of the operator's machine, so any operator can resume."""

    def __init__(self, container: Any, name: str) -> None:
        self.container = container
        self.name = name

    def read(self) -> dict[str, Any]:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            data = self.container.download_blob(self.name).readall()
        except ResourceNotFoundError:
            return {}
        loaded: dict[str, Any] = json.loads(data)
        return loaded

    def write(self, state: dict[str, Any]) -> None:
        self.container.upload_blob(self.name, json.dumps(state, indent=2), overwrite=True)


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


def run_steps(
    steps: list[Step],
    marker: Marker,
    *,
    clock: Clock = time.time,
    progress: Callable[[str], None] = lambda _line: None,
) -> Timeline:
    """Runs each step that is not done yet, in order; a failure stops the run (a re-run resumes:
    finished steps find their work done). The marker records each finished step."""
    timeline = Timeline()
    state = marker.read()
    finished: dict[str, Any] = state.setdefault("steps", {})
    for step in steps:
        started = clock()
        progress(f"{step.name}: checking...")
        reason = step.done()
        if reason is None:
            progress(f"{step.name}: {step.plan}")
            detail, outcome = step.run(), "done"
        else:
            detail, outcome = reason, "already done"
        ended = clock()
        timeline.entries.append(
            Entry(step.name, _iso(started), _iso(ended), round(ended - started, 3), outcome, detail)
        )
        finished[step.name] = {"at": _iso(ended), "detail": detail}
        marker.write(state)
    return timeline
