"""The one way acknowledgments are written: scoped to a construct, with a reason."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge ``rule_id`` on ``scope`` and everything below it.

    Pass the narrowest construct that carries the finding. cdk-nag 3.0.2 rejects granular ids
    (``Rule[Kind::value]``), so those findings are acknowledged by rule id on a single resource.
    """
    if len(reason) < 30:
        raise ValueError(f"acknowledgment of {rule_id} needs a reason a reviewer can judge")
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def child(scope: IConstruct, path: str) -> IConstruct:
    """The construct at ``path`` (ids joined by ``/``) below ``scope``; fails loudly if the tree
    changed, so an acknowledgment never silently stops applying to what it was written for."""
    construct = scope
    for part in path.split("/"):
        construct = construct.node.find_child(part)
    return construct
