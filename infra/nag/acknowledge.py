"""The one way acknowledgments are written: scoped to a construct, with a reason."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge ``rule_id`` on ``scope`` and everything below it.

    Pass the narrowest construct that carries the finding, and the granular id where the rule has
    one (``AwsSolutions-IAM5[Resource::<arn>]``): it acknowledges exactly that finding, so a new
    wildcard on the same resource still fails synth. (Measured with cdk-nag 3.0.2: granular ids
    are accepted, contrary to an earlier note in ARCHITECTURE.md.)
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
