"""The role EventBridge Scheduler assumes to start a schedule's target.

Every scheduled job (backup jobs, object reconciliation, database dump, replication lag probe)
needs the same shape: trusted by ``scheduler.amazonaws.com`` for this account only, allowed to
start exactly its targets and to send undeliverable invocations to the schedule's encrypted
dead-letter queue. The construct ids (``SchedulerRole``, ``SchedulerPolicy``) stay those of the
scope that asks, so moving a stack onto this helper changes no logical id.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct


def scheduler_role(
    scope: Construct,
    *,
    description: str,
    statements: list[iam.PolicyStatement],
    dead_letters: sqs.IQueue,
    key: kms.IKey,
) -> tuple[iam.Role, iam.ManagedPolicy]:
    """``statements`` start the targets; the dead-letter statements follow them."""
    role = iam.Role(
        scope,
        "SchedulerRole",
        assumed_by=iam.ServicePrincipal(
            "scheduler.amazonaws.com",
            conditions={"StringEquals": {"aws:SourceAccount": Stack.of(scope).account}},
        ),
        description=description,
    )
    policy = iam.ManagedPolicy(
        scope,
        "SchedulerPolicy",
        roles=[role],
        statements=[
            *statements,
            iam.PolicyStatement(
                sid="DeadLetters",
                actions=["sqs:SendMessage"],
                resources=[dead_letters.queue_arn],
            ),
            iam.PolicyStatement(
                sid="DeadLetterEncryption",
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=[key.key_arn],
            ),
        ],
    )
    return role, policy
