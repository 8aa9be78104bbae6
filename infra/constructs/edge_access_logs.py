"""CloudFront standard logging (v2): access logs delivered by CloudWatch Logs' vended-log
infrastructure into an S3 bucket. Unlike standard logging (legacy), v2 needs no bucket ACLs, so
the bucket keeps ``BucketOwnerEnforced`` like every other log bucket of the project."""

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
        self.source = logs.CfnDeliverySource(
            self, "Source", name=name, log_type=LOG_TYPE, resource_arn=distribution_arn
        )
        self.destination = logs.CfnDeliveryDestination(
            self,
            "Destination",
            name=name,
            destination_resource_arn=bucket.bucket_arn,
            output_format=OUTPUT_FORMAT,
        )
        self.delivery = logs.CfnDelivery(
            self,
            "Delivery",
            delivery_source_name=name,
            delivery_destination_arn=self.destination.attr_arn,
        )
        self.delivery.node.add_dependency(self.source)
        if policy.policy_dependable is not None:
            self.delivery.node.add_dependency(policy.policy_dependable)
