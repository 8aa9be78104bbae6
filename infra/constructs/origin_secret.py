"""The secret origin header between CloudFront and the ALBs.

The value lives only in Secrets Manager (``{"current": ..., "previous": ...}``), generated there
and replicated to every ALB region under the same name. Both sides read it at deploy time through
CloudFormation dynamic references, so neither template nor synth output holds it: CloudFront's
origin custom header sends ``current``; every ALB listener rule accepts ``current`` and
``previous``. The rotation Lambda (``infra/constructs/origin_rotation.py``,
``lambdas/origin_rotation``) rotates it on a schedule and writes the same values into the rules
and distributions itself, so a later deploy, which re-resolves the references of the resources it
updates, sets what is already there.

The generated secret holds ``current`` only (CloudFormation generates one value per secret); the
rotation schedule rotates immediately when it is created, and that first rotation adds a random
``previous`` without changing ``current``, before the compute stacks read both.
"""

from __future__ import annotations

import json

from aws_cdk import RemovalPolicy
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

CURRENT = "current"
PREVIOUS = "previous"
# Tag on the listener rule that checks the header, value = the secret's name: the rotation
# Lambda may modify only rules carrying it (IAM condition aws:ResourceTag).
RULE_TAG = "origin-secret"
# Long enough to be unguessable, short enough for a header; no punctuation to escape.
SECRET_LENGTH = 48


def dynamic_reference(secret_name: str, key: str) -> str:
    """``{{resolve:...}}`` of one JSON key of the secret, resolved by CloudFormation in the stack's
    own region (each ALB region holds a replica)."""
    return f"{{{{resolve:secretsmanager:{secret_name}:SecretString:{key}}}}}"


class OriginSecret(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        secret_name: str,
        replica_regions: list[str],
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.secret = secretsmanager.Secret(
            self,
            "Secret",
            secret_name=secret_name,
            # Unchanged on purpose: an update of the secret resource is not worth any risk to
            # the value it holds.
            description="CloudFront to ALB origin header value (rotate: docs/runbooks.md)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                # No "previous" until the first rotation (immediately after creation) adds a
                # random one: a value in this template would be readable by anyone with it.
                secret_string_template=json.dumps({}),
                generate_string_key=CURRENT,
                password_length=SECRET_LENGTH,
                exclude_punctuation=True,
            ),
            replica_regions=[secretsmanager.ReplicaRegion(region=r) for r in replica_regions],
            removal_policy=removal_policy,
        )
