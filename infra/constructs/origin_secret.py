"""The secret origin header between CloudFront and the ALBs.

The value lives only in Secrets Manager (``{"current": ..., "previous": ...}``), generated there
and replicated to every ALB region under the same name. Both sides read it at deploy time through
CloudFormation dynamic references, so neither template nor synth output holds it: CloudFront's
origin custom header sends ``current``; the ALB listener rule accepts ``current`` (and, during a
rotation, ``previous``). Rotation is a documented four-step procedure (docs/runbooks.md), not a
Secrets Manager schedule: CloudFormation re-resolves a dynamic reference only when the resource
holding it is updated, so an unattended rotation would change neither side.
"""

from __future__ import annotations

import json

from aws_cdk import RemovalPolicy
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

CURRENT = "current"
PREVIOUS = "previous"
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
            description="CloudFront to ALB origin header value (rotate: docs/runbooks.md)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                # No "previous" key until a rotation writes one: a listener told to accept it
                # before then fails its deploy instead of accepting a value from this template.
                secret_string_template=json.dumps({}),
                generate_string_key=CURRENT,
                password_length=SECRET_LENGTH,
                exclude_punctuation=True,
            ),
            replica_regions=[secretsmanager.ReplicaRegion(region=r) for r in replica_regions],
            removal_policy=removal_policy,
        )
