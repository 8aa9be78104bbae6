"""The id of an AWS-managed prefix list, looked up by name at deploy time.

AWS-managed prefix lists (CloudFront's origin-facing servers, Route 53 health checkers) have a
different id in every region and CloudFormation has no native way to name one, so an SDK call
(``ec2:DescribeManagedPrefixLists``, filtered by name) resolves it in the stack's own region:
synth stays offline, with no context look-up.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import custom_resources as cr
from constructs import Construct

from infra.constructs.sdk_calls import SdkCalls

CLOUDFRONT_ORIGIN_FACING = "com.amazonaws.global.cloudfront.origin-facing"


def route53_health_checkers(region: str) -> str:
    """Route 53 publishes its health checkers' IPv4 ranges as a prefix list in every region."""
    return f"com.amazonaws.{region}.route53-healthchecks"


def describe_policy(scope: Construct) -> iam.PolicyStatement:
    # ec2:DescribeManagedPrefixLists has no resource-level permissions: "*" is the only form.
    return iam.PolicyStatement(actions=["ec2:DescribeManagedPrefixLists"], resources=["*"])


class ManagedPrefixList(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        sdk_calls: SdkCalls,
        permission: iam.ManagedPolicy,
        name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.name = name
        call = cr.AwsSdkCall(
            service="EC2",
            action="describeManagedPrefixLists",
            parameters={"Filters": [{"Name": "prefix-list-name", "Values": [name]}]},
            physical_resource_id=cr.PhysicalResourceId.of(name),
            output_paths=["PrefixLists.0.PrefixListId"],
        )
        self.lookup = sdk_calls.call(
            self, "Lookup", on_create=call, on_update=call, permissions=[permission]
        )
        self.prefix_list_id = self.lookup.get_response_field("PrefixLists.0.PrefixListId")
