"""The log group Route 53 writes a public zone's DNS query logs to, and its resource policy."""

from __future__ import annotations

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import custom_resources as cr
from constructs import Construct, IDependable

from infra.constructs.sdk_calls import SdkCalls


class QueryLogGroup(Construct):
    """``/aws/route53/<zone>``; must live in us-east-1, in the zone's account. The resource
    policy lets route53.amazonaws.com write to this one log group, on behalf of
    ``source_zone_arn`` (the zone, or ``hostedzone/*`` of this account when the zone id is not
    known before the zone is created)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        zone_name: str,
        source_zone_arn: str,
        retention: logs.RetentionDays,
        key: kms.IKey,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            log_group_name=f"/aws/route53/{zone_name}",
            retention=retention,
            encryption_key=key,
            removal_policy=removal_policy,
        )
        self.resource_policy = logs.ResourcePolicy(
            self,
            "Route53MayWrite",
            resource_policy_name=f"route53-query-logging-{zone_name}",
            policy_statements=[
                iam.PolicyStatement(
                    principals=[iam.ServicePrincipal("route53.amazonaws.com")],
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[self.log_group.log_group_arn],
                    conditions={
                        "StringEquals": {"aws:SourceAccount": stack.account},
                        "ArnLike": {"aws:SourceArn": source_zone_arn},
                    },
                )
            ],
        )


class QueryLoggingConfig(Construct):
    """Turns on query logging for a zone this app does not own (CloudFormation can only set it
    as a property of a zone it creates), and turns it off when the stack is deleted.

    The delete permission names the config's id, which exists only after the create call, so
    three resources chain: ``Create`` <- ``DeletePermission`` <- ``Delete``. CloudFormation
    removes them in reverse, so the delete call runs while its permission is still attached,
    and no policy needs a wildcard resource."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        sdk_calls: SdkCalls,
        hosted_zone_id: str,
        log_group_arn: str,
        after: list[IDependable],
    ) -> None:
        super().__init__(scope, construct_id)
        partition = Stack.of(self).partition
        create_permission = sdk_calls.add_policy(
            "CreateQueryLogging",
            [
                iam.PolicyStatement(
                    actions=["route53:CreateQueryLoggingConfig"],
                    resources=[f"arn:{partition}:route53:::hostedzone/{hosted_zone_id}"],
                )
            ],
        )
        create = sdk_calls.call(
            self,
            "Create",
            on_create=cr.AwsSdkCall(
                service="Route53",
                action="createQueryLoggingConfig",
                parameters={
                    "HostedZoneId": hosted_zone_id,
                    "CloudWatchLogsLogGroupArn": log_group_arn,
                },
                physical_resource_id=cr.PhysicalResourceId.from_response("QueryLoggingConfig.Id"),
                output_paths=["QueryLoggingConfig.Id"],
            ),
            permissions=[create_permission],
        )
        create.node.add_dependency(*after)
        self.config_id = create.get_response_field("QueryLoggingConfig.Id")
        delete_permission = sdk_calls.add_policy(
            "DeleteQueryLogging",
            [
                iam.PolicyStatement(
                    actions=["route53:DeleteQueryLoggingConfig"],
                    resources=[f"arn:{partition}:route53:::queryloggingconfig/{self.config_id}"],
                )
            ],
        )
        sdk_calls.call(
            self,
            "Delete",
            on_delete=cr.AwsSdkCall(
                service="Route53",
                action="deleteQueryLoggingConfig",
                parameters={"Id": self.config_id},
            ),
            permissions=[delete_permission],
        )
