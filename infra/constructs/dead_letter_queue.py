"""The queue where undeliverable messages wait for an operator (Lambda async failures, scheduler
failures, SNS deliveries that could not be made)."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct

# SQS keeps a message at most 14 days: the longest an operator can take to look.
_RETENTION = Duration.days(14)


def dead_letter_queue(
    scope: Construct, construct_id: str, *, key: kms.IKey, removal_policy: RemovalPolicy
) -> sqs.Queue:
    """KMS-encrypted with ``key``, TLS-only, keeping messages as long as SQS allows."""
    return sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=key,
        enforce_ssl=True,
        retention_period=_RETENTION,
        removal_policy=removal_policy,
    )
