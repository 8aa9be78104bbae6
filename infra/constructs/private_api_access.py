"""Who may open a connection to a cluster's private Kubernetes API endpoint, and the operators'
way in: a Session Manager managed instance (no SSH, no public IP, no inbound rule at all).

The endpoint's control-plane interfaces carry the cluster security group that EKS creates
(``cluster.connections`` in aws_eks_v2), which admits only its own members (control plane and
nodes). This construct adds HTTPS from exactly two matrix groups: ``bastion_sg`` (the host
below) and ``monitoring_sg`` (the managed Prometheus scraper, which discovers its targets
through the API). EKS puts the nodes in that group too, so both may also reach a node's 443.

The host holds no Kubernetes rights: operators forward the endpoint to their own machine through
a Session Manager port-forwarding session and call it with their own IAM identity, assuming
``fdr-<env>-eks-admin|developer-<region>`` there (docs/operations.md, "Reaching a private
cluster"). Shell sessions on the host are encrypted with a KMS key and logged to an encrypted
log group through the region's Session Manager preferences document.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.constructs.encryption import rotating_key

# Session Manager reads its preferences from this document name in each account and region.
PREFERENCES_DOCUMENT = "SSM-SessionManagerRunShell"
SSM_CORE_POLICY = "AmazonSSMManagedInstanceCore"
AL2023_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"


@dataclass(frozen=True)
class HostSettings:
    instance_type: str
    root_volume_gib: int
    idle_session_timeout_minutes: int
    session_log_retention: logs.RetentionDays


@dataclass(frozen=True)
class PrivateApiClients:
    """The matrix groups allowed to reach the API, and where the operator host lives (None: no
    host in this environment)."""

    bastion: ec2.ISecurityGroup | None
    monitoring: ec2.ISecurityGroup
    management_subnets: ec2.SubnetSelection
    host: HostSettings | None


class PrivateApiAccess(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: eks.Cluster,
        vpc: ec2.IVpc,
        clients: PrivateApiClients,
        https_port: int,
        session_key_alias: str,
        log_key: kms.IKey,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        for name, group in (("bastion_sg", clients.bastion), ("monitoring_sg", clients.monitoring)):
            if group is None:
                continue
            for control_plane in cluster.connections.security_groups:
                control_plane.add_ingress_rule(
                    ec2.Peer.security_group_id(group.security_group_id),
                    ec2.Port.tcp(https_port),
                    f"Kubernetes API from {name}",
                )
        self.host: ec2.Instance | None = None
        if clients.host is not None and clients.bastion is not None:
            self.host = self._host(
                cluster,
                vpc,
                clients.bastion,
                clients.management_subnets,
                clients.host,
                session_key_alias,
                log_key,
                removal_policy,
            )

    def _host(
        self,
        cluster: eks.Cluster,
        vpc: ec2.IVpc,
        bastion: ec2.ISecurityGroup,
        subnets: ec2.SubnetSelection,
        settings: HostSettings,
        session_key_alias: str,
        log_key: kms.IKey,
        removal_policy: RemovalPolicy,
    ) -> ec2.Instance:
        self.session_key = rotating_key(
            self,
            "SessionKey",
            alias=session_key_alias,
            purpose="Session Manager session data to and from the operator host",
            removal_policy=removal_policy,
        )
        self.session_logs = logs.LogGroup(
            self,
            "SessionLogs",
            encryption_key=log_key,
            retention=settings.session_log_retention,
            removal_policy=removal_policy,
        )
        role = iam.Role(
            self,
            "HostRole",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            description=f"Session Manager host of {cluster.cluster_name}: no Kubernetes rights",
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(SSM_CORE_POLICY)],
        )
        iam.ManagedPolicy(
            self,
            "HostPolicy",
            roles=[role],
            statements=[
                # `aws eks describe-cluster` from a shell on the host (endpoint, status), on
                # this one cluster; authentication to the API stays with the operators' roles.
                iam.PolicyStatement(
                    actions=["eks:DescribeCluster"], resources=[cluster.cluster_arn]
                ),
                iam.PolicyStatement(actions=["kms:Decrypt"], resources=[self.session_key.key_arn]),
                iam.PolicyStatement(
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[f"{self.session_logs.log_group_arn}:log-stream:*"],
                ),
                iam.PolicyStatement(
                    actions=["logs:DescribeLogGroups", "logs:DescribeLogStreams"],
                    resources=[self.session_logs.log_group_arn],
                ),
            ],
        )
        host = ec2.Instance(
            self,
            "Host",
            vpc=vpc,
            vpc_subnets=subnets,
            security_group=bastion,
            instance_type=ec2.InstanceType(settings.instance_type),
            # The SSM public parameter .../al2023-ami-kernel-default-x86_64, resolved by
            # CloudFormation at deploy time (a template parameter): no context look-up, the
            # newest AL2023 at each deploy.
            # (latest_amazon_linux2023's "default" kernel still names kernel-6.1 in CDK.)
            machine_image=ec2.MachineImage.from_ssm_parameter(
                AL2023_PARAMETER, os=ec2.OperatingSystemType.LINUX
            ),
            role=role,
            require_imdsv2=True,
            associate_public_ip_address=False,
            detailed_monitoring=True,
            block_devices=[
                ec2.BlockDevice(
                    device_name="/dev/xvda",
                    volume=ec2.BlockDeviceVolume.ebs(
                        settings.root_volume_gib,
                        encrypted=True,
                        volume_type=ec2.EbsDeviceVolumeType.GP3,
                        delete_on_termination=True,
                    ),
                )
            ],
        )
        host.node.add_dependency(role)
        self._session_preferences(settings)
        return host

    def _session_preferences(self, settings: HostSettings) -> None:
        """The region's Session Manager preferences: KMS-encrypted sessions, shell sessions
        streamed to the encrypted log group, idle sessions ended."""
        stack = Stack.of(self)
        ssm.CfnDocument(
            self,
            "SessionPreferences",
            name=PREFERENCES_DOCUMENT,
            document_type="Session",
            document_format="JSON",
            update_method="NewVersion",
            content={
                "schemaVersion": "1.0",
                "description": f"Session Manager preferences of {stack.region} (fdr)",
                "sessionType": "Standard_Stream",
                "inputs": {
                    "s3BucketName": "",
                    "s3KeyPrefix": "",
                    "s3EncryptionEnabled": True,
                    "cloudWatchLogGroupName": self.session_logs.log_group_name,
                    "cloudWatchEncryptionEnabled": True,
                    "cloudWatchStreamingEnabled": True,
                    "kmsKeyId": self.session_key.key_id,
                    "runAsEnabled": False,
                    "runAsDefaultUser": "",
                    "idleSessionTimeout": str(settings.idle_session_timeout_minutes),
                    "shellProfile": {"windows": "", "linux": ""},
                },
            },
        )
