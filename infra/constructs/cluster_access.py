"""The design's fdr-admin and fdr-developer, as IAM roles mapped into one cluster through EKS
access entries (no aws-auth ConfigMap). The entries carry no EKS access policy: they map each
role to a Kubernetes group, and the baseline's bindings (k8s/overlays/eks/bindings.yaml) give
those groups the design's ClusterRoles, so the permissions are the design's rules exactly."""

from __future__ import annotations

from aws_cdk import aws_eks as eks_l1
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.k8s_baseline import ADMIN_GROUP, DEVELOPER_GROUP


class ClusterAccess(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: eks.Cluster,
        admin_role_name: str,
        developer_role_name: str,
        developer_namespaces: list[str],
        trusted_account: str,
    ) -> None:
        super().__init__(scope, construct_id)
        # Any principal of the account that IAM allows sts:AssumeRole on the role may use it.
        trusted = iam.AccountPrincipal(trusted_account)
        self.admin_role = iam.Role(
            self,
            "AdminRole",
            role_name=admin_role_name,
            assumed_by=trusted,
            description=f"fdr-admin: cluster admin of {cluster.cluster_name}",
        )
        self.developer_role = iam.Role(
            self,
            "DeveloperRole",
            role_name=developer_role_name,
            assumed_by=trusted,
            description=f"fdr-developer: design rules in {', '.join(developer_namespaces)}",
        )
        # The design's fdr-eks-cluster-policy, scoped to this cluster: enough for
        # `aws eks update-kubeconfig`. (eks:ListClusters needs Resource "*": left out.)
        iam.ManagedPolicy(
            self,
            "DescribeClusterPolicy",
            roles=[self.admin_role, self.developer_role],
            statements=[
                iam.PolicyStatement(
                    actions=["eks:DescribeCluster"], resources=[cluster.cluster_arn]
                )
            ],
        )
        for construct_id, role, group in (
            ("AdminEntry", self.admin_role, ADMIN_GROUP),
            ("DeveloperEntry", self.developer_role, DEVELOPER_GROUP),
        ):
            eks_l1.CfnAccessEntry(
                self,
                construct_id,
                cluster_name=cluster.cluster_name,
                principal_arn=role.role_arn,
                type="STANDARD",
                kubernetes_groups=[group],
            )
