"""EKS managed node groups, each with a launch template that requires IMDSv2 and gives every
node an encrypted gp3 root volume, all sharing one least-privilege node role."""

from __future__ import annotations

from dataclasses import dataclass, field

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

# What kubelet and the VPC CNI need on every node (AWS-managed, maintained with EKS releases);
# PullOnly is the narrower successor of AmazonEC2ContainerRegistryReadOnly.
NODE_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryPullOnly",
)
# AL2023 and Bottlerocket both boot from /dev/xvda.
ROOT_DEVICE = "/dev/xvda"
# Pods (not only the node) reach IMDS through one extra hop with IMDSv2.
IMDS_HOP_LIMIT = 2

_TAINT_EFFECTS = {
    "NoSchedule": eks.TaintEffect.NO_SCHEDULE,
    "PreferNoSchedule": eks.TaintEffect.PREFER_NO_SCHEDULE,
    "NoExecute": eks.TaintEffect.NO_EXECUTE,
}


@dataclass(frozen=True)
class NodeGroupSpec:
    name: str
    instance_types: list[str]
    capacity_type: str
    ami_type: str
    min_size: int
    desired_size: int
    max_size: int
    max_unavailable_percentage: int
    disk_size_gib: int
    labels: dict[str, str] = field(default_factory=dict)
    taints: list[tuple[str, str, str]] = field(default_factory=list)
    """(key, value, effect) with the Kubernetes effect name."""


class ManagedNodeGroups(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: eks.Cluster,
        specs: list[NodeGroupSpec],
        subnets: ec2.SubnetSelection,
        security_groups: list[ec2.ISecurityGroup],
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "NodeRole",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            description=f"Managed node groups of {cluster.cluster_name}",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(p) for p in NODE_POLICIES
            ],
        )
        self.launch_templates: dict[str, ec2.LaunchTemplate] = {}
        self.node_groups: dict[str, eks.Nodegroup] = {}
        for spec in specs:
            template = ec2.LaunchTemplate(
                self,
                f"{spec.name}-LaunchTemplate",
                require_imdsv2=True,
                http_tokens=ec2.LaunchTemplateHttpTokens.REQUIRED,
                http_put_response_hop_limit=IMDS_HOP_LIMIT,
                # The app_tier group and the cluster security group (node <-> control plane).
                security_group=security_groups[0],
                block_devices=[
                    ec2.BlockDevice(
                        device_name=ROOT_DEVICE,
                        volume=ec2.BlockDeviceVolume.ebs(
                            spec.disk_size_gib,
                            encrypted=True,
                            volume_type=ec2.EbsDeviceVolumeType.GP3,
                            delete_on_termination=True,
                        ),
                    )
                ],
            )
            for extra in security_groups[1:]:
                template.add_security_group(extra)
            self.launch_templates[spec.name] = template
            gpu_ami = "NVIDIA" in spec.ami_type
            self.node_groups[spec.name] = eks.Nodegroup(
                self,
                spec.name,
                cluster=cluster,  # type: ignore[arg-type]  # jsii stubs: Cluster is an ICluster
                node_role=self.role,
                subnets=subnets,
                instance_types=None
                if gpu_ami
                else [ec2.InstanceType(t) for t in spec.instance_types],
                capacity_type=eks.CapacityType[spec.capacity_type],
                ami_type=eks.NodegroupAmiType[spec.ami_type],
                min_size=spec.min_size,
                desired_size=spec.desired_size,
                max_size=spec.max_size,
                max_unavailable_percentage=spec.max_unavailable_percentage,
                labels=dict(spec.labels),
                taints=[
                    eks.TaintSpec(key=key, value=value, effect=_TAINT_EFFECTS[effect])
                    for key, value, effect in spec.taints
                ],
                launch_template_spec=eks.LaunchTemplateSpec(
                    id=template.launch_template_id or "",
                    version=template.latest_version_number,
                ),
            )
            # CDK infers an AMI from the instance types and rejects CPU types (c5) next to an
            # NVIDIA AMI, yet EKS runs that AMI on both: the design's ai-processing group mixes
            # c5 and g4dn. The AMI type is explicit here, so the list is set on the resource.
            if gpu_ami:
                cfn = self.node_groups[spec.name].node.default_child
                cfn.add_property_override("InstanceTypes", list(spec.instance_types))  # type: ignore[union-attr]
