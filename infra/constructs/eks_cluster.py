"""An EKS control plane (native AWS::EKS::Cluster, access entries), its secrets key, its
control-plane log group, its managed add-ons and the kubectl provider (a Lambda in the
cluster's subnets, since the endpoint is private) that applies the in-cluster baseline."""

from __future__ import annotations

import importlib
from typing import Any, cast

from aws_cdk import CfnResource, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

# The EBS CSI controller's service account: it gets its AWS permissions via EKS Pod Identity.
EBS_CSI_ADDON = "aws-ebs-csi-driver"
EBS_CSI_SERVICE_ACCOUNT = ("kube-system", "ebs-csi-controller-sa")
POD_IDENTITY_AGENT = "eks-pod-identity-agent"
# Add-ons that run Deployments (pods that need a node); the DaemonSets (vpc-cni, kube-proxy, the
# pod-identity agent) are created with the cluster so that the first nodes join ready.
NODE_WORKLOAD_ADDONS = frozenset({"coredns", EBS_CSI_ADDON})
EBS_CSI_POLICY = "service-role/AmazonEBSCSIDriverPolicy"
# Kubernetes NetworkPolicy enforcement by the VPC CNI's eBPF agent (off unless asked for).
ADDON_CONFIGURATION: dict[str, dict[str, Any]] = {"vpc-cni": {"enableNetworkPolicy": "true"}}


def kubectl_layer(scope: Construct, construct_id: str, version: str) -> Any:
    """The kubectl/helm Lambda layer for this Kubernetes minor, from its PyPI package
    (aws-cdk.lambda-layer-kubectl-vXY, pinned in pyproject.toml): the layer zip ships inside
    the package, so synth needs neither Docker nor the network."""
    minor = version.split(".")[1]
    module_name = f"aws_cdk.lambda_layer_kubectl_v{minor}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError:
        raise ValueError(
            f"Kubernetes {version}: no kubectl layer package {module_name} installed; pin "
            f"aws-cdk.lambda-layer-kubectl-v{minor} in pyproject.toml"
        ) from None
    return getattr(module, f"KubectlV{minor}Layer")(scope, construct_id)


def kubernetes_version(version: str) -> eks.KubernetesVersion:
    """The library's own constant (``V1_34``): a version it does not know fails here, not at
    deploy time."""
    return getattr(eks.KubernetesVersion, "V" + version.replace(".", "_"))


def pod_identity_role(
    scope: Construct, construct_id: str, *, description: str, managed_policies: list[str]
) -> iam.Role:
    """A role that EKS Pod Identity hands to one service account (the association says which)."""
    principal = iam.ServicePrincipal("pods.eks.amazonaws.com")
    role = iam.Role(
        scope,
        construct_id,
        assumed_by=principal,
        description=description,
        managed_policies=[
            iam.ManagedPolicy.from_aws_managed_policy_name(name) for name in managed_policies
        ],
    )
    # Pod Identity tags the session with the cluster, namespace and service account.
    role.assume_role_policy.add_statements(  # type: ignore[union-attr]
        iam.PolicyStatement(actions=["sts:TagSession"], principals=[principal])
    )
    return role


class EksCluster(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster_name: str,
        version: str,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        kubectl_subnets: list[ec2.ISubnet],
        public_endpoint_cidrs: list[str],
        secrets_key_alias: str,
        log_key: kms.IKey,
        log_retention: logs.RetentionDays,
        addon_versions: dict[str, str],
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.secrets_key = kms.Key(
            self,
            "SecretsKey",
            alias=secrets_key_alias,
            description=f"Envelope encryption of Kubernetes secrets ({cluster_name})",
            enable_key_rotation=True,
            removal_policy=removal_policy,
        )
        # EKS writes to this fixed name; creating it first gives it retention and encryption.
        self.log_group = logs.LogGroup(
            self,
            "ControlPlaneLogs",
            log_group_name=f"/aws/eks/{cluster_name}/cluster",
            retention=log_retention,
            encryption_key=log_key,
            removal_policy=removal_policy,
        )
        role = iam.Role(
            self,
            "ClusterRole",
            assumed_by=iam.ServicePrincipal("eks.amazonaws.com"),
            description=f"EKS control plane of {cluster_name}",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name("AmazonEKSClusterPolicy")
            ],
        )
        iam.ManagedPolicy(
            self,
            "ClusterSecretsKeyPolicy",
            roles=[role],
            statements=[
                iam.PolicyStatement(
                    actions=["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant"],
                    resources=[self.secrets_key.key_arn],
                )
            ],
        )
        endpoint = (
            eks.EndpointAccess.PUBLIC_AND_PRIVATE.only_from(*public_endpoint_cidrs)
            if public_endpoint_cidrs
            else eks.EndpointAccess.PRIVATE
        )
        self.cluster = eks.Cluster(
            self,
            "Cluster",
            cluster_name=cluster_name,
            version=kubernetes_version(version),
            vpc=vpc,
            vpc_subnets=[subnets],
            endpoint_access=endpoint,
            role=role.without_policy_updates(),
            secrets_encryption_key=self.secrets_key,
            cluster_logging=list(eks.ClusterLoggingTypes),
            default_capacity_type=eks.DefaultCapacityType.NODEGROUP,
            default_capacity=0,
            # Nobody gets implicit admin: access goes through the access entries we declare.
            bootstrap_cluster_creator_admin_permissions=False,
            output_config_command=False,
            # Helm charts and the baseline manifests go through this Lambda; in the cluster's
            # private subnets (with the cluster security group) it reaches the private endpoint.
            kubectl_provider_options=eks.KubectlProviderOptions(
                kubectl_layer=kubectl_layer(self, "KubectlLayer", version),
                private_subnets=kubectl_subnets,
            ),
            removal_policy=removal_policy,
        )
        self.cluster.node.add_dependency(self.log_group)

        ebs_role = pod_identity_role(
            self,
            "EbsCsiRole",
            description=f"EBS CSI controller of {cluster_name} (EKS Pod Identity)",
            managed_policies=[EBS_CSI_POLICY],
        )
        self.addons: dict[str, eks.Addon] = {}
        for name, addon_version in sorted(addon_versions.items()):
            self.addons[name] = eks.Addon(
                self,
                f"Addon-{name}",
                cluster=self.cluster,  # type: ignore[arg-type]  # jsii stubs: Cluster is an ICluster
                addon_name=name,
                addon_version=addon_version,
                configuration_values=ADDON_CONFIGURATION.get(name),
                preserve_on_delete=False,
            )
        ebs = self.addons.get(EBS_CSI_ADDON)
        if ebs is not None:
            _, service_account = EBS_CSI_SERVICE_ACCOUNT  # the add-on's own namespace
            cfn = cast(CfnResource, ebs.node.default_child)  # eks_v2.Addon has no such prop
            # The association belongs to the add-on (created with it, before its controller
            # starts), as for the CloudWatch add-on; a separate AWS::EKS::PodIdentityAssociation
            # could come after the controller and leave it without credentials.
            cfn.add_property_override(
                "PodIdentityAssociations",
                [{"RoleArn": ebs_role.role_arn, "ServiceAccount": service_account}],
            )
            # The agent hands out the credentials: it runs before the controller asks for them.
            if POD_IDENTITY_AGENT in self.addons:
                ebs.node.add_dependency(self.addons[POD_IDENTITY_AGENT])

    def addons_needing_nodes(self) -> list[Construct]:
        return [self.addons[name] for name in sorted(NODE_WORKLOAD_ADDONS & self.addons.keys())]

    def addons_after(self, node_groups: list[Construct]) -> None:
        """Add-ons whose pods need nodes (Deployments) are created once the node groups exist;
        created on an empty cluster they stay DEGRADED and CloudFormation waits on them."""
        for name in sorted(NODE_WORKLOAD_ADDONS & self.addons.keys()):
            self.addons[name].node.add_dependency(*node_groups)
