"""The four rotation steps (the package docstring says why they are ordered this way)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from origin_rotation import distributions, listener_rules
from origin_rotation.context import NotReady, Rotation, RotationError
from origin_rotation.secret_versions import (
    AWSCURRENT,
    AWSPENDING,
    HeaderValues,
    changes_current,
    fresh_value,
    next_values,
    read,
    read_pending,
    version_stages,
)

STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")


@dataclass(frozen=True)
class StepRequest:
    step: str
    secret_id: str
    token: str


def create_secret(rotation: Rotation, request: StepRequest) -> dict[str, Any]:
    current = read(rotation, request.secret_id, stage=AWSCURRENT)
    if read_pending(rotation, request.secret_id, request.token) is not None:
        return {"pending": "already written"}
    pending = next_values(current, fresh_value(rotation))
    rotation.home(
        "secretsmanager",
        "put_secret_value",
        SecretId=request.secret_id,
        ClientRequestToken=request.token,
        SecretString=pending.to_json(),
        VersionStages=[AWSPENDING],
    )
    return {"pending": "written", "first_rotation": current.previous is None}


def _pending(rotation: Rotation, request: StepRequest) -> HeaderValues:
    pending = read_pending(rotation, request.secret_id, request.token)
    if pending is None:
        raise RotationError(
            f"version {request.token} has no value: createSecret did not finish; the rotation "
            "is retried from the start"
        )
    return pending


def set_secret(rotation: Rotation, request: StepRequest) -> dict[str, Any]:
    current = read(rotation, request.secret_id, stage=AWSCURRENT)
    pending = _pending(rotation, request)
    if not changes_current(current, pending):
        return {"rules_modified": [], "first_rotation": True}
    # Dropping current.previous: nothing may still send it.
    repaired, deploying = [], []
    for distribution_id in rotation.settings.distribution_ids:
        if not distributions.sends(rotation, distribution_id, current.current):
            distributions.send(rotation, distribution_id, current.current)
            repaired.append(distribution_id)
        elif not distributions.is_deployed(rotation, distribution_id):
            deploying.append(distribution_id)
    if repaired or deploying:
        raise NotReady(
            f"distributions {', '.join(repaired)} did not send the current value (an earlier "
            f"rotation stopped before its last step) and now do; {', '.join(deploying) or 'none'} "
            "still deploying. The value being retired stays accepted until they are Deployed; "
            "Secrets Manager retries the rotation"
            if repaired
            else f"distributions {', '.join(deploying)} are still deploying: the value being "
            "retired stays accepted until they are Deployed; Secrets Manager retries the rotation"
        )
    modified = listener_rules.accept(rotation, pending.accepted)
    return {"rules_modified": modified}


def test_secret(rotation: Rotation, request: StepRequest) -> dict[str, Any]:
    current = read(rotation, request.secret_id, stage=AWSCURRENT)
    pending = _pending(rotation, request)
    if not changes_current(current, pending):
        return {"checked": "nothing changes outside the secret", "first_rotation": True}
    listener_rules.check(rotation, pending.accepted)
    return {"checked": f"{len(rotation.settings.alb_regions)} regions accept the new value"}


def finish_secret(
    rotation: Rotation, request: StepRequest, stages: dict[str, list[str]]
) -> dict[str, Any]:
    current_version = next((v for v, s in stages.items() if AWSCURRENT in s), None)
    moved = False
    if current_version != request.token:
        changes_current(
            read(rotation, request.secret_id, stage=AWSCURRENT), _pending(rotation, request)
        )
        rotation.home(
            "secretsmanager",
            "update_secret_version_stage",
            SecretId=request.secret_id,
            VersionStage=AWSCURRENT,
            MoveToVersionId=request.token,
            RemoveFromVersionId=current_version,
        )
        moved = True
    values = read(rotation, request.secret_id, stage=AWSCURRENT)
    stale = [
        d
        for d in rotation.settings.distribution_ids
        if not distributions.sends(rotation, d, values.current)
    ]
    rules_modified: list[str] = []
    if stale:
        # A deploy between setSecret and the label move may have set a rule back; the
        # templates now resolve to these values too, so setting them again is safe.
        rules_modified = listener_rules.accept(rotation, values.accepted)
        listener_rules.check(rotation, values.accepted)
        rotation.sleep(rotation.settings.rule_settle_seconds)
        for distribution_id in stale:
            distributions.send(rotation, distribution_id, values.current)
    unsent = [
        d
        for d in rotation.settings.distribution_ids
        if not distributions.sends(rotation, d, values.current)
    ]
    if unsent:
        raise RotationError(f"distributions {', '.join(unsent)} do not send the new value")
    return {"label_moved": moved, "distributions_updated": stale, "rules_modified": rules_modified}


def run(rotation: Rotation, request: StepRequest) -> dict[str, Any]:
    stages = version_stages(rotation, request.secret_id)
    labels = stages.get(request.token)
    if labels is None:
        raise RotationError(
            f"{request.token} is not a version of {rotation.settings.secret_name}: start "
            "rotations with aws secretsmanager rotate-secret"
        )
    if AWSPENDING not in labels and AWSCURRENT not in labels:
        # A late retry of an older rotation: moving AWSCURRENT back to it would undo later ones.
        raise RotationError(
            f"version {request.token} is neither AWSPENDING nor AWSCURRENT: its rotation is over"
        )
    if request.step == "finishSecret":
        return finish_secret(rotation, request, stages)
    if AWSCURRENT in labels:
        return {"skipped": "version is already AWSCURRENT"}
    step = {"createSecret": create_secret, "setSecret": set_secret, "testSecret": test_secret}
    return step[request.step](rotation, request)
