"""Reads a region's ALB DNS name and hosted-zone id from the SSM parameters the compute tier
publishes there, at deploy time and without CloudFormation exports."""

from __future__ import annotations

import jsii
from aws_cdk import Fn, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_route53 as route53
from aws_cdk import custom_resources as cr
from constructs import Construct

from infra.constructs.sdk_calls import SdkCalls


def parameter_arn(stack: Stack, region: str, name: str) -> str:
    return f"arn:{stack.partition}:ssm:{region}:{stack.account}:parameter{name}"


def read_parameters_policy(stack: Stack, parameters: list[tuple[str, str]]) -> iam.PolicyStatement:
    """ssm:GetParameter on exactly the (region, name) parameters listed."""
    return iam.PolicyStatement(
        actions=["ssm:GetParameter"],
        resources=[parameter_arn(stack, region, name) for region, name in parameters],
    )


class RegionalIngress(Construct):
    """``dns_name`` and ``hosted_zone_id`` of one region's ALB. The values are read when the
    stack is created or when ``revision`` changes, not on every deploy: after an ALB is
    replaced, bump the revision and redeploy the DNS stack."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        sdk_calls: SdkCalls,
        read_permission: iam.ManagedPolicy,
        region: str,
        dns_name_parameter: str,
        hosted_zone_id_parameter: str,
        revision: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.region = region
        self._sdk_calls = sdk_calls
        self._read_permission = read_permission
        self.dns_name = self._read("DnsName", dns_name_parameter, revision)
        self.hosted_zone_id = self._read("HostedZoneId", hosted_zone_id_parameter, revision)

    def _read(self, construct_id: str, name: str, revision: int) -> str:
        call = cr.AwsSdkCall(
            service="SSM",
            action="getParameter",
            parameters={"Name": name},
            region=self.region,
            # A new physical id makes CloudFormation run the update call: the revision is how
            # an operator asks for a fresh read.
            physical_resource_id=cr.PhysicalResourceId.of(f"{self.region}:{name}:r{revision}"),
            output_paths=["Parameter.Value"],
        )
        lookup = self._sdk_calls.call(
            self, construct_id, on_create=call, on_update=call, permissions=[self._read_permission]
        )
        return lookup.get_response_field("Parameter.Value")

    def alias_target(self) -> route53.RecordTarget:
        return route53.RecordTarget.from_alias(_AlbAlias(self.dns_name, self.hosted_zone_id))


@jsii.implements(route53.IAliasRecordTarget)
class _AlbAlias:
    """Alias to an ALB known only by name; evaluates the ALB's own target health as well."""

    def __init__(self, dns_name: str, hosted_zone_id: str) -> None:
        self._dns_name = dns_name
        self._hosted_zone_id = hosted_zone_id

    def bind(
        self, _record: route53.IRecordSet, _zone: route53.IHostedZone | None = None
    ) -> route53.AliasRecordTargetConfig:
        return route53.AliasRecordTargetConfig(
            # What CDK's LoadBalancerTarget does: answer A and AAAA from the dual-stack name.
            dns_name=Fn.join("", ["dualstack.", self._dns_name]),
            hosted_zone_id=self._hosted_zone_id,
            evaluate_target_health=True,
        )
