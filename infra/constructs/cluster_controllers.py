"""What every EKS cluster runs besides the managed add-ons, applied by the cluster's kubectl
provider (Helm charts at pinned chart versions, manifests rendered from k8s/):

- the AWS Load Balancer Controller, only to register pods in the ALB's IP target group through a
  ``TargetGroupBinding`` (the ALB and its target group stay CloudFormation's; the controller's
  IAM cannot create or change load balancers);
- the Cluster Autoscaler, discovering the managed node groups by the tags EKS puts on their Auto
  Scaling groups and reading their labels and taints with eks:DescribeNodegroup (so it can grow
  a group from its minimum, e.g. the standby after a failover);
- metrics-server (horizontal pod autoscaling);
- Istio (base, cni, istiod): strict mTLS in the application namespaces;
- the baseline manifests (namespaces, RBAC, network policies, quotas, mesh policy).

IAM through EKS Pod Identity: one role per controller, associated with its service account.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_eks as eks_l1
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.config.cluster_baseline import NamespaceLimits
from infra.constructs.eks_cluster import pod_identity_role
from infra.k8s_baseline import render, split

EKS_CHARTS = "https://aws.github.io/eks-charts"
AUTOSCALER_CHARTS = "https://kubernetes.github.io/autoscaler"
METRICS_SERVER_CHARTS = "https://kubernetes-sigs.github.io/metrics-server/"
ISTIO_CHARTS = "https://istio-release.storage.googleapis.com/charts"
SYSTEM_NAMESPACE = "kube-system"
ISTIO_NAMESPACE = "istio-system"
# Release names of Istio's install guide (the charts' default service names follow them).
ISTIO_RELEASES = {"base": "istio-base", "cni": "istio-cni", "istiod": "istiod"}
LBC_SERVICE_ACCOUNT = "aws-load-balancer-controller"
AUTOSCALER_SERVICE_ACCOUNT = "cluster-autoscaler"
# What the controller needs to resolve a TargetGroupBinding and keep its targets in step with
# the Service's endpoints: read-only describes (no resource-level scoping exists for them) ...
LBC_DESCRIBE = (
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeTargetHealth",
    "elasticloadbalancing:DescribeTags",
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeInstances",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
)
# ... and registration on the one target group. No Create*/Modify*/Delete*, no security-group
# changes: the official policy's other statements serve Ingress/Service-managed load balancers.
LBC_REGISTER = ("elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets")
# The Cluster Autoscaler's AWS README (auto-discovery, scale from a minimum).
AUTOSCALER_DESCRIBE = (
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:DescribeAutoScalingInstances",
    "autoscaling:DescribeLaunchConfigurations",
    "autoscaling:DescribeScalingActivities",
    "autoscaling:DescribeTags",
    "ec2:DescribeImages",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:GetInstanceTypesFromInstanceRequirements",
)
AUTOSCALER_SCALE = (
    "autoscaling:SetDesiredCapacity",
    "autoscaling:TerminateInstanceInAutoScalingGroup",
)
# EKS tags the Auto Scaling group of every managed node group with these two keys.
DISCOVERY_TAGS = ("k8s.io/cluster-autoscaler/enabled", "k8s.io/cluster-autoscaler/{cluster}")


@dataclass(frozen=True)
class ChartVersions:
    load_balancer_controller: str
    cluster_autoscaler: str
    metrics_server: str
    istio: str
    autoscaler_image: str


class ClusterControllers(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: eks.Cluster,
        cluster_name: str,
        vpc_id: str,
        target_group_arn: str,
        application_port: int,
        versions: ChartVersions,
        limits: NamespaceLimits,
        after: list[Construct],
    ) -> None:
        super().__init__(scope, construct_id)
        self.cluster = cluster
        stack = Stack.of(self)
        region, account = stack.region, stack.account
        # The literal name (config), not the token: IAM condition keys must be strings.
        name = cluster_name
        self.associations: list[Construct] = []

        self.lbc_role = self._role(
            "LoadBalancerControllerRole",
            LBC_SERVICE_ACCOUNT,
            f"AWS Load Balancer Controller of {name}",
        )
        self.lbc_policy = iam.ManagedPolicy(
            self,
            "LoadBalancerControllerPolicy",
            roles=[self.lbc_role],
            statements=[
                iam.PolicyStatement(actions=list(LBC_DESCRIBE), resources=["*"]),
                iam.PolicyStatement(actions=list(LBC_REGISTER), resources=[target_group_arn]),
            ],
        )
        self.autoscaler_role = self._role(
            "ClusterAutoscalerRole", AUTOSCALER_SERVICE_ACCOUNT, f"Cluster Autoscaler of {name}"
        )
        self.nodegroup_arns = f"arn:{stack.partition}:eks:{region}:{account}:nodegroup/{name}/*/*"
        self.autoscaler_policy = iam.ManagedPolicy(
            self,
            "ClusterAutoscalerPolicy",
            roles=[self.autoscaler_role],
            statements=[
                iam.PolicyStatement(actions=list(AUTOSCALER_DESCRIBE), resources=["*"]),
                # Only groups EKS tagged as this cluster's: other clusters' stay untouched.
                iam.PolicyStatement(
                    actions=list(AUTOSCALER_SCALE),
                    resources=["*"],
                    conditions={
                        "StringEquals": {
                            f"aws:ResourceTag/k8s.io/cluster-autoscaler/{name}": "owned"
                        }
                    },
                ),
                # Labels and taints of a group with no node yet (scale from the minimum).
                iam.PolicyStatement(
                    actions=["eks:DescribeNodegroup"],
                    resources=[self.nodegroup_arns],
                ),
            ],
        )

        self.charts: dict[str, eks.HelmChart] = {}
        self._chart(
            "aws-load-balancer-controller",
            EKS_CHARTS,
            versions.load_balancer_controller,
            SYSTEM_NAMESPACE,
            {
                "clusterName": name,
                "region": region,
                "vpcId": vpc_id,
                "serviceAccount": {"create": True, "name": LBC_SERVICE_ACCOUNT},
                # Registration only: no IngressClass, no Service mutation, no backend groups.
                "createIngressClassResource": False,
                "enableServiceMutatorWebhook": False,
                "enableBackendSecurityGroup": False,
            },
            after,
        )
        self._chart(
            "cluster-autoscaler",
            AUTOSCALER_CHARTS,
            versions.cluster_autoscaler,
            SYSTEM_NAMESPACE,
            {
                "cloudProvider": "aws",
                "awsRegion": region,
                "autoDiscovery": {
                    "clusterName": name,
                    "tags": [tag.format(cluster=name) for tag in DISCOVERY_TAGS],
                },
                "image": {"tag": versions.autoscaler_image},
                "rbac": {"serviceAccount": {"create": True, "name": AUTOSCALER_SERVICE_ACCOUNT}},
                "extraArgs": {"balance-similar-node-groups": True, "expander": "least-waste"},
            },
            after,
        )
        self._chart(
            "metrics-server", METRICS_SERVER_CHARTS, versions.metrics_server, SYSTEM_NAMESPACE,
            {}, after,
        )  # fmt: skip
        base = self._chart("base", ISTIO_CHARTS, versions.istio, ISTIO_NAMESPACE, {}, after)
        cni = self._chart(
            "cni", ISTIO_CHARTS, versions.istio, ISTIO_NAMESPACE, {"profile": "default"}, [base]
        )
        # The CNI plugin sets up the pod redirection, so application pods need no NET_ADMIN
        # init container and pass Pod Security "restricted".
        self._chart(
            "istiod", ISTIO_CHARTS, versions.istio, ISTIO_NAMESPACE,
            {"pilot": {"cni": {"enabled": True}}}, [cni],
        )  # fmt: skip

        builtin, custom = split(render("eks", limits=limits))
        self.baseline = cluster.add_manifest("Baseline", *builtin)
        for construct in after:
            self.baseline.node.add_dependency(construct)
        # Kinds from the charts' CRDs (mesh policy, target group binding) after their charts.
        self.mesh_policy = cluster.add_manifest("MeshPolicy", *custom)
        self.mesh_policy.node.add_dependency(self.charts["istiod"], self.baseline)
        self.target_group_binding = cluster.add_manifest(
            "TargetGroupBinding",
            {
                "apiVersion": "elbv2.k8s.aws/v1beta1",
                "kind": "TargetGroupBinding",
                "metadata": {"name": "fdr-app", "namespace": "fdr"},
                "spec": {
                    "serviceRef": {"name": "fdr-app", "port": application_port},
                    "targetGroupARN": target_group_arn,
                    "targetType": "ip",
                },
            },
        )
        self.target_group_binding.node.add_dependency(
            self.charts["aws-load-balancer-controller"], self.baseline
        )

    def _role(self, construct_id: str, service_account: str, description: str) -> iam.Role:
        role = pod_identity_role(
            self, construct_id, description=f"{description} (EKS Pod Identity)", managed_policies=[]
        )
        association = eks_l1.CfnPodIdentityAssociation(
            self,
            f"{construct_id}Association",
            cluster_name=self.cluster.cluster_name,
            namespace=SYSTEM_NAMESPACE,
            service_account=service_account,
            role_arn=role.role_arn,
        )
        # The association exists before the chart starts the controller's pods.
        self.associations.append(association)
        return role

    def _chart(
        self,
        chart: str,
        repository: str,
        version: str,
        namespace: str,
        values: dict[str, Any],
        after: list[Construct],
    ) -> eks.HelmChart:
        helm = self.cluster.add_helm_chart(
            f"Chart-{chart}",
            chart=chart,
            release=ISTIO_RELEASES.get(chart, chart),
            repository=repository,
            version=version,
            namespace=namespace,
            create_namespace=True,
            values=values,
            wait=True,
        )
        for construct in [*after, *self.associations]:
            helm.node.add_dependency(construct)
        self.charts[chart] = helm
        return helm
