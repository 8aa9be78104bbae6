"""The design's fdr-admin and fdr-developer, as IAM roles mapped into one cluster through EKS
access entries (no aws-auth ConfigMap)."""

from __future__ import annotations

from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
# Edit-level: read and write of workloads, services and config; no RBAC, no cluster scope.
DEVELOPER_POLICY = "AmazonEKSEditPolicy"


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
            description=f"fdr-developer: edit in {', '.join(developer_namespaces)}",
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
        cluster.grant_access(
            "Admin",
            self.admin_role.role_arn,
            [
                eks.AccessPolicy.from_access_policy_name(
                    ADMIN_POLICY, access_scope_type=eks.AccessScopeType.CLUSTER
                )
            ],
        )
        cluster.grant_access(
            "Developer",
            self.developer_role.role_arn,
            [
                eks.AccessPolicy.from_access_policy_name(
                    DEVELOPER_POLICY,
                    access_scope_type=eks.AccessScopeType.NAMESPACE,
                    namespaces=list(developer_namespaces),
                )
            ],
        )
