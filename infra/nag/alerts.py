"""Acknowledgments shared by every stack that has an ``AlertTopic``."""

from __future__ import annotations

from constructs import IConstruct

from infra.nag.acknowledge import acknowledge, child


def acknowledge_alert_topic(topic: IConstruct) -> None:
    for rule in ("AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy"):
        acknowledge(
            child(topic, "Undelivered/Resource"),
            rule,
            "This queue is the dead-letter queue of the alert topic's subscriptions (SNS "
            "redrive, which cdk-nag does not recognise as DLQ use); a queue behind it would "
            "hold nothing more.",
        )
