"""Least-privilege statements of the Region switch plan's execution role and of each of its
custom-action Lambdas, built from physical names (``infra/naming.py``), never from exports."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam

# EKS access policy that lets Region switch scale Deployments and read/patch HPAs (ARC docs:
# "Configure EKS access entry permissions"; the policy ARN has no region or account).
SCALING_ACCESS_POLICY = "AmazonARCRegionSwitchScalingPolicy"
# CloudWatch metric reads and X-Ray writes have no resource-level permissions.
NO_RESOURCE_LEVEL = "*"


@dataclass(frozen=True)
class PlanTargets:
    """What the plan and its functions act on, by name."""

    plan_name: str
    regions: tuple[str, str]
    """(primary, standby)."""
    functions: dict[str, str]
    """Step -> function name (the same name in both regions)."""
    cluster_names: dict[str, str]
    """Region -> EKS cluster name."""
    database_ids: dict[str, str]
    redis_group_ids: dict[str, str]
    app_parameters: tuple[str, ...]
    """Names of the writer-database and cache parameters."""
    ingress_dns_parameter: str
    hosted_zone_id: str
    trigger_alarm: str | None = None
    """Name of the primary's region-unhealthy composite alarm, when it starts the plan."""

    def trigger_alarm_arn(self, stack: Stack) -> str | None:
        if self.trigger_alarm is None:
            return None
        return _arn(stack, "cloudwatch", self.regions[0], f"alarm:{self.trigger_alarm}")


def _arn(stack: Stack, service: str, region: str, resource: str) -> str:
    return f"arn:{stack.partition}:{service}:{region}:{stack.account}:{resource}"


def plan_arn_pattern(stack: Stack, plan_name: str) -> str:
    """Plans are global (no region in the ARN) and end in a suffix Region switch chooses."""
    return f"arn:{stack.partition}:arc-region-switch::{stack.account}:plan/{plan_name}:*"


def function_arns(stack: Stack, t: PlanTargets) -> list[str]:
    return [
        _arn(stack, "lambda", region, f"function:{name}")
        for region in t.regions
        for name in t.functions.values()
    ]


def plan_role(stack: Stack, t: PlanTargets) -> list[iam.PolicyStatement]:
    """The execution role Region switch assumes (ARC sample policies for the Lambda and the EKS
    resource scaling blocks, and for triggers when an alarm starts the plan)."""
    statements = [
        iam.PolicyStatement(
            sid="InvokeStepFunctions",
            actions=["lambda:InvokeFunction", "lambda:GetFunction"],
            resources=function_arns(stack, t),
        ),
        iam.PolicyStatement(
            sid="DescribeClusters",
            actions=["eks:DescribeCluster"],
            resources=[
                _arn(stack, "eks", r, f"cluster/{name}") for r, name in t.cluster_names.items()
            ],
        ),
        iam.PolicyStatement(
            sid="ReadOwnAccessEntries",
            actions=["eks:ListAssociatedAccessPolicies"],
            resources=[
                _arn(stack, "eks", r, f"access-entry/{name}/*")
                for r, name in t.cluster_names.items()
            ],
        ),
    ]
    alarm = t.trigger_alarm_arn(stack)
    if alarm:
        statements.append(
            iam.PolicyStatement(
                sid="ReadTriggerAlarm",
                actions=["cloudwatch:DescribeAlarms"],
                resources=[alarm],
            )
        )
    return statements


def _read_execution(stack: Stack, t: PlanTargets) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        sid="ReadOwnPlanExecution",
        actions=["arc-region-switch:GetPlanExecution"],
        resources=[plan_arn_pattern(stack, t.plan_name)],
    )


def _describe_database(stack: Stack, t: PlanTargets, region: str) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        sid="DescribeDatabase",
        actions=["rds:DescribeDBInstances"],
        resources=[_arn(stack, "rds", region, f"db:{t.database_ids[region]}")],
    )


def _parameters(stack: Stack, region: str, names: list[str]) -> list[str]:
    # A parameter ARN carries its name without the leading slash.
    return [_arn(stack, "ssm", region, f"parameter/{n.lstrip('/')}") for n in names]


def promote(stack: Stack, t: PlanTargets, region: str) -> list[iam.PolicyStatement]:
    return [
        iam.PolicyStatement(
            sid="PromoteDatabase",
            actions=[
                "rds:DescribeDBInstances",
                "rds:PromoteReadReplica",
                "rds:AddTagsToResource",
            ],
            resources=[_arn(stack, "rds", region, f"db:{t.database_ids[region]}")],
        ),
        iam.PolicyStatement(
            sid="ReadReplicaLag",
            actions=["cloudwatch:GetMetricStatistics"],
            resources=[NO_RESOURCE_LEVEL],
        ),
        _read_execution(stack, t),
    ]


def app_config(stack: Stack, t: PlanTargets, region: str) -> list[iam.PolicyStatement]:
    return [
        _describe_database(stack, t, region),
        iam.PolicyStatement(
            sid="DescribeCache",
            actions=["elasticache:DescribeReplicationGroups"],
            resources=[
                _arn(stack, "elasticache", region, f"replicationgroup:{t.redis_group_ids[region]}")
            ],
        ),
        iam.PolicyStatement(
            sid="WriteAppParameters",
            actions=["ssm:GetParameter", "ssm:PutParameter"],
            resources=_parameters(stack, region, list(t.app_parameters)),
        ),
    ]


def dns(stack: Stack, t: PlanTargets, region: str) -> list[iam.PolicyStatement]:
    return [
        iam.PolicyStatement(
            sid="ReadFailoverRecords",
            actions=["route53:ListResourceRecordSets"],
            resources=[f"arn:{stack.partition}:route53:::hostedzone/{t.hosted_zone_id}"],
        ),
        iam.PolicyStatement(
            sid="InvertHealthChecks",
            actions=["route53:GetHealthCheck", "route53:UpdateHealthCheck"],
            # The DNS stack's health-check ids are generated by Route 53 at deploy time.
            resources=[f"arn:{stack.partition}:route53:::healthcheck/*"],
        ),
        _read_execution(stack, t),
    ]


def verify(stack: Stack, t: PlanTargets, region: str) -> list[iam.PolicyStatement]:
    return [
        _describe_database(stack, t, region),
        iam.PolicyStatement(
            sid="ReadParameters",
            actions=["ssm:GetParameter"],
            resources=_parameters(stack, region, [t.app_parameters[0], t.ingress_dns_parameter]),
        ),
    ]


def vpc_network_interfaces(
    stack: Stack, region: str, subnet_ids: list[str], security_group: ec2.ISecurityGroup
) -> list[iam.PolicyStatement]:
    """What Lambda needs to place a function in a VPC (the actions of the managed policy
    AWSLambdaVPCAccessExecutionRole), narrowed: new interfaces only in our subnets with our
    group; the describe calls have no resource-level permissions."""
    interfaces = _arn(stack, "ec2", region, "network-interface/*")
    return [
        iam.PolicyStatement(
            sid="CreateFunctionInterfaces",
            actions=["ec2:CreateNetworkInterface"],
            resources=[
                interfaces,
                *(_arn(stack, "ec2", region, f"subnet/{subnet}") for subnet in subnet_ids),
                _arn(stack, "ec2", region, f"security-group/{security_group.security_group_id}"),
            ],
        ),
        iam.PolicyStatement(
            sid="ManageFunctionInterfaces",
            actions=[
                "ec2:DeleteNetworkInterface",
                "ec2:AssignPrivateIpAddresses",
                "ec2:UnassignPrivateIpAddresses",
            ],
            resources=[interfaces],
        ),
        iam.PolicyStatement(
            sid="DescribeFunctionInterfaces",
            actions=["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
            resources=[NO_RESOURCE_LEVEL],
        ),
    ]


def canary_connect(
    stack: Stack,
    region: str,
    database_resource_id: str,
    user: str,
    sid: str = "ConnectAsCanaryUser",
) -> iam.PolicyStatement:
    """IAM database authentication as ``user`` of this region's instance, nobody else (Service
    Authorization Reference, rds-db: dbuser:<DbiResourceId>/<user>); the canary's and the lag
    probe's."""
    return iam.PolicyStatement(
        sid=sid,
        actions=["rds-db:connect"],
        resources=[_arn(stack, "rds-db", region, f"dbuser:{database_resource_id}/{user}")],
    )
