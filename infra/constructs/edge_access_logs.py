"""CloudFront standard logging (v2): access logs delivered by CloudWatch Logs' vended-log
infrastructure into an S3 bucket. Unlike standard logging (legacy), v2 needs no bucket ACLs, so
the bucket keeps ``BucketOwnerEnforced`` like every other log bucket of the project. One delivery
destination (the bucket) takes a delivery source per distribution (``add_distribution``)."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

LOG_TYPE = "ACCESS_LOGS"
OUTPUT_FORMAT = "parquet"  # columnar: Athena reads it without a SerDe; smaller than JSON


class EdgeAccessLogs(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        distribution_arn: str,
        name: str,
        bucket: s3.Bucket,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        # What the vended-log service writes with (CloudWatch Logs user guide, "Logs sent to
        # Amazon S3" [V2]): PutObject only, from this account's delivery sources only.
        policy = bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AWSLogDeliveryWrite",
                principals=[iam.ServicePrincipal("delivery.logs.amazonaws.com")],
                actions=["s3:PutObject"],
                resources=[bucket.arn_for_objects("*")],
                conditions={
                    "StringEquals": {
                        "s3:x-amz-acl": "bucket-owner-full-control",
                        "aws:SourceAccount": stack.account,
                    },
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="logs", resource="delivery-source", resource_name="*"
                        )
                    },
                },
            )
        )
        self._policy = policy
        self.destination = logs.CfnDeliveryDestination(
            self,
            "Destination",
            name=name,
            destination_resource_arn=bucket.bucket_arn,
            output_format=OUTPUT_FORMAT,
        )
        self.source, self.delivery = self.add_distribution(
            "", name=name, distribution_arn=distribution_arn
        )

    def add_distribution(
        self, prefix: str, *, name: str, distribution_arn: str
    ) -> tuple[logs.CfnDeliverySource, logs.CfnDelivery]:
        """Deliver one more distribution's access logs to the same bucket (construct ids
        ``<prefix>Source`` and ``<prefix>Delivery``; ``name`` names its delivery source)."""
        source = logs.CfnDeliverySource(
            self, f"{prefix}Source", name=name, log_type=LOG_TYPE, resource_arn=distribution_arn
        )
        delivery = logs.CfnDelivery(
            self,
            f"{prefix}Delivery",
            delivery_source_name=name,
            delivery_destination_arn=self.destination.attr_arn,
        )
        delivery.node.add_dependency(source)
        if self._policy.policy_dependable is not None:
            delivery.node.add_dependency(self._policy.policy_dependable)
        return source, delivery
