"""A KMS-encrypted SNS topic that CloudWatch alarms of this account may publish to."""

from __future__ import annotations

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.constructs.dead_letter_queue import dead_letter_queue
from infra.constructs.encryption import rotating_key


class AlertTopic(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key_alias: str,
        removal_policy: RemovalPolicy,
        email_endpoints: list[str],
        https_endpoints: list[str],
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.key = rotating_key(
            self,
            "Key",
            alias=key_alias,
            purpose="SNS alert topic encryption",
            removal_policy=removal_policy,
        )
        # An alarm publishing to an encrypted topic needs the key; only alarms of this account.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsOfThisAccount",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy "*" means this key
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": (
                            f"arn:{stack.partition}:cloudwatch:{stack.region}:{stack.account}:alarm:*"
                        )
                    },
                },
            )
        )
        # SNS delivers to the dead-letter queue under the same key.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowSnsToDeadLetterUndeliveredAlerts",
                principals=[iam.ServicePrincipal("sns.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )
        self.topic = sns.Topic(self, "Topic", master_key=self.key, enforce_ssl=True)
        # An alert that could not be delivered (mailbox gone, webhook down) is kept instead of
        # being lost; its depth is visible in CloudWatch.
        self.undelivered = dead_letter_queue(
            self, "Undelivered", key=self.key, removal_policy=removal_policy
        )
        for email in email_endpoints:
            self.topic.add_subscription(
                subscriptions.EmailSubscription(email, dead_letter_queue=self.undelivered)
            )
        for url in https_endpoints:
            self.topic.add_subscription(
                subscriptions.UrlSubscription(
                    url,
                    protocol=sns.SubscriptionProtocol.HTTPS,
                    dead_letter_queue=self.undelivered,
                )
            )
