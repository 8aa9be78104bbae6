"""The design's four-tier VPC: public, private application, isolated data, management."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

# Subnet group names are part of the contract with the other tiers (they select by name).
from infra.network_acl_rules import APPLICATION, DATA, MANAGEMENT, PUBLIC

__all__ = ["APPLICATION", "DATA", "MANAGEMENT", "PUBLIC", "TieredVpc"]


class TieredVpc(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cidr: str,
        availability_zones: list[str],
        subnet_masks: list[tuple[str, int]],
        nat_gateways: int,
        flow_log_retention: logs.RetentionDays,
        flow_log_key: kms.IKey,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        subnet_types = {
            PUBLIC: ec2.SubnetType.PUBLIC,
            APPLICATION: ec2.SubnetType.PRIVATE_WITH_EGRESS,
            DATA: ec2.SubnetType.PRIVATE_ISOLATED,  # no route to the internet at all
            MANAGEMENT: ec2.SubnetType.PRIVATE_WITH_EGRESS,
        }
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(cidr),
            availability_zones=availability_zones,
            nat_gateways=nat_gateways,
            nat_gateway_subnets=ec2.SubnetSelection(subnet_group_name=PUBLIC),
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name=name,
                    subnet_type=subnet_types[name],
                    cidr_mask=mask,
                    # Nothing in a public subnet needs its own public IP: NAT uses EIPs,
                    # the ALB manages its own addresses.
                    map_public_ip_on_launch=False if name == PUBLIC else None,
                )
                for name, mask in subnet_masks
            ],
            enable_dns_hostnames=True,
            enable_dns_support=True,
            restrict_default_security_group=True,
        )

        log_group = logs.LogGroup(
            self,
            "FlowLogGroup",
            retention=flow_log_retention,
            encryption_key=flow_log_key,
            removal_policy=removal_policy,
        )
        role = iam.Role(
            self,
            "FlowLogRole",
            assumed_by=iam.ServicePrincipal("vpc-flow-logs.amazonaws.com"),
            description="Lets VPC Flow Logs write to its one log group",
        )
        # A managed policy rather than the role's inline default policy (NIST IAMNoInlinePolicy).
        iam.ManagedPolicy(
            self,
            "FlowLogWritePolicy",
            roles=[role],
            statements=[
                iam.PolicyStatement(
                    actions=[
                        "logs:CreateLogStream",
                        "logs:PutLogEvents",
                        "logs:DescribeLogStreams",
                    ],
                    # The log group's Arn attribute already ends in ":*" and so covers its streams.
                    resources=[log_group.log_group_arn],
                )
            ],
        )
        self.flow_log = ec2.FlowLog(
            self,
            "FlowLog",
            resource_type=ec2.FlowLogResourceType.from_vpc(self.vpc),
            # without_policy_updates: CDK would otherwise add the same grants as an inline policy.
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(
                log_group, role.without_policy_updates()
            ),
            traffic_type=ec2.FlowLogTrafficType.ALL,
        )
        self.flow_log_group = log_group

    def subnets(self, tier: str) -> ec2.SubnetSelection:
        return ec2.SubnetSelection(subnet_group_name=tier)
