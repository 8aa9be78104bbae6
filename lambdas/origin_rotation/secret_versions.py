"""The origin secret's versions: which version a step works on, the values a version holds, and
the pending version of a rotation."""

from __future__ import annotations

import json
from dataclasses import dataclass

from backup_jobs.aws import error_code
from botocore.exceptions import ClientError

from origin_rotation.context import Rotation, RotationError

AWSCURRENT, AWSPENDING = "AWSCURRENT", "AWSPENDING"
CURRENT, PREVIOUS = "current", "previous"


@dataclass(frozen=True)
class HeaderValues:
    current: str
    previous: str | None

    @classmethod
    def parse(cls, text: str | None, where: str) -> HeaderValues:
        try:
            body = json.loads(text or "")
        except ValueError:
            body = None
        previous = body.get(PREVIOUS) if isinstance(body, dict) else None
        if (
            not isinstance(body, dict)
            or not isinstance(body.get(CURRENT), str)
            or not body[CURRENT]
            or not (previous is None or (isinstance(previous, str) and previous))
        ):
            raise RotationError(
                f"{where} is not a JSON object with a non-empty string {CURRENT!r} (and optional "
                f"{PREVIOUS!r}): the edge stack generates that shape; was the value put by hand?"
            )
        return cls(body[CURRENT], previous)

    def to_json(self) -> str:
        return json.dumps({CURRENT: self.current, PREVIOUS: self.previous})

    @property
    def accepted(self) -> tuple[str, ...]:
        """What the listener rules accept for this version: current, then previous."""
        return (self.current,) if self.previous is None else (self.current, self.previous)


def version_stages(rotation: Rotation, secret_id: str) -> dict[str, list[str]]:
    """Version id -> staging labels, after checking that ``secret_id`` is our secret."""
    described = rotation.home("secretsmanager", "describe_secret", SecretId=secret_id)
    name = rotation.settings.secret_name
    if described.get("Name") != name:
        raise RotationError(
            f"{secret_id} is not {name}: this function rotates the edge's origin secret only"
        )
    if not described.get("RotationEnabled"):
        raise RotationError(f"rotation is not enabled on {name}; nothing asked for a rotation")
    return {k: list(v) for k, v in described.get("VersionIdsToStages", {}).items()}


def read(
    rotation: Rotation, secret_id: str, *, stage: str, version_id: str | None = None
) -> HeaderValues:
    extra = {"VersionId": version_id} if version_id else {}
    found = rotation.home(
        "secretsmanager", "get_secret_value", SecretId=secret_id, VersionStage=stage, **extra
    )
    return HeaderValues.parse(found.get("SecretString"), f"version {found['VersionId']} ({stage})")


def read_pending(rotation: Rotation, secret_id: str, token: str) -> HeaderValues | None:
    """The pending version's values, or None while createSecret has not written them."""
    try:
        return read(rotation, secret_id, stage=AWSPENDING, version_id=token)
    except ClientError as err:
        if error_code(err) == "ResourceNotFoundException":
            return None
        raise


def next_values(current: HeaderValues, fresh: str) -> HeaderValues:
    """The pending version of a rotation from ``current``: a new current and the old one as
    previous; or, for a secret without ``previous`` (before its first rotation), the same current
    and a fresh previous that nobody sends, so that nothing outside the secret changes."""
    if current.previous is None:
        return HeaderValues(current.current, fresh)
    return HeaderValues(fresh, current.current)


def changes_current(current: HeaderValues, pending: HeaderValues) -> bool:
    """True for a real rotation, False for the first one (which only adds ``previous``);
    an error when ``pending`` was not made from ``current`` (the secret changed meanwhile)."""
    if pending.current == current.current:
        return False
    if pending.previous == current.current:
        return True
    raise RotationError(
        "the pending version was not made from the current one (AWSCURRENT changed during the "
        "rotation, for example by put-secret-value): remove the AWSPENDING label from this "
        "version (aws secretsmanager update-secret-version-stage) and rotate again"
    )


def fresh_value(rotation: Rotation) -> str:
    found = rotation.home(
        "secretsmanager",
        "get_random_password",
        PasswordLength=rotation.settings.value_length,
        ExcludePunctuation=True,
    )
    return str(found["RandomPassword"])
