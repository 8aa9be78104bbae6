"""Compute and ingress tier of one region.

Creates: the EKS cluster (native AWS::EKS::Cluster with access entries) in
the application subnets, with a KMS key for Kubernetes secrets, every control-plane log type
into a KMS-encrypted log group, the managed add-ons at pinned versions (EBS CSI through EKS Pod
Identity, the association part of the add-on; coredns and EBS CSI only after the node groups);
the design's managed node groups (launch templates: IMDSv2 only, encrypted gp3 root volumes;
nodes in the app_tier security group); the fdr-admin and fdr-developer roles and their access
entries (Kubernetes groups); the cluster baseline through the kubectl provider (controllers,
Istio, k8s/overlays/eks, the TargetGroupBinding: docs/cluster-baseline.md); the internet-facing
ALB (HTTPS listener with TLS 1.3 and restricted TLS 1.2, HTTP redirect, access logs, IP target
group on the application port) and its WAFv2 web ACL with logging. With the edge on: the
listener forwards only requests with CloudFront's secret origin header (and the Route 53 health
checkers' health path), and Shield Advanced protects the ALB when ``edge.shield_advanced`` is set.

Publishes for the global DNS stack: SSM parameters ``/fdr/<env>/ingress/alb-dns-name`` and
``.../alb-hosted-zone-id`` (read across regions without CloudFormation exports), plus outputs;
with the edge on, ``.../origin-check-rule-arn`` for the edge's origin secret rotation Lambda.
Attributes for other stacks of the region: ``cluster``, ``load_balancer``, ``target_group``,
``web_acl``.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_shield as shield
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.config.base import RegionRole
from infra.config.compute import ComputeConfig, IngressConfig
from infra.config.dns import DnsConfig
from infra.config.edge import EdgeConfig
from infra.config.network import Ports
from infra.constructs.cluster_access import ClusterAccess
from infra.constructs.cluster_controllers import ChartVersions, ClusterControllers
from infra.constructs.eks_cluster import EksCluster
from infra.constructs.ingress import Ingress, OriginCheck
from infra.constructs.node_groups import ManagedNodeGroups, NodeGroupSpec
from infra.constructs.origin_secret import CURRENT, PREVIOUS, RULE_TAG, dynamic_reference
from infra.constructs.private_api_access import PrivateApiAccess, PrivateApiClients
from infra.constructs.retention import log_retention
from infra.constructs.web_acl import WebAcl
from infra.naming import Names
from infra.stacks.base import RegionalStack


def node_group_specs(compute: ComputeConfig, role: RegionRole) -> list[NodeGroupSpec]:
    specs = []
    for name, group in compute.node_groups.items():
        scaling = compute.scaling(name, role)
        specs.append(
            NodeGroupSpec(
                name=name,
                instance_types=list(group.instance_types),
                capacity_type=group.capacity_type,
                ami_type=group.ami_type,
                min_size=scaling.min_size,
                desired_size=scaling.desired_size,
                max_size=scaling.max_size,
                max_unavailable_percentage=group.max_unavailable_percentage,
                disk_size_gib=group.disk_size_gib,
                labels=dict(group.labels),
                taints=[(t.key, t.value, t.effect) for t in group.taints],
            )
        )
    return specs


def _origin_check(edge: EdgeConfig, dns: DnsConfig, names: Names) -> OriginCheck:
    # Both values, always: after a rotation CloudFront may still send the one it replaced (edge
    # locations take minutes to change), and a deploy of this stack must not drop it.
    return OriginCheck(
        header_name=edge.origin_header_name,
        header_values=[dynamic_reference(names.origin_secret(), k) for k in (CURRENT, PREVIOUS)],
        health_check_path=dns.health_check.path,
        rule_tags={RULE_TAG: names.origin_secret()},
    )


class ComputeStack(RegionalStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        names: Names,
        role: RegionRole,
        compute: ComputeConfig,
        ingress: IngressConfig,
        dns: DnsConfig,
        ports: Ports,
        vpc: ec2.IVpc,
        application_subnets: ec2.SubnetSelection,
        public_subnets: ec2.SubnetSelection,
        app_security_group: ec2.ISecurityGroup,
        web_security_group: ec2.ISecurityGroup,
        health_checkers_security_group: ec2.ISecurityGroup | None,
        edge: EdgeConfig,
        logs_key: kms.IKey,
        private_api_clients: PrivateApiClients,
        deletion_protection: bool,
        removal_policy: RemovalPolicy,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        region = self.region
        self.eks = EksCluster(
            self,
            "Eks",
            cluster_name=names.cluster_name(region),
            version=compute.kubernetes_version,
            vpc=vpc,
            subnets=application_subnets,
            kubectl_subnets=vpc.select_subnets(
                subnet_group_name=application_subnets.subnet_group_name
            ).subnets,
            public_endpoint_cidrs=list(compute.public_endpoint_cidrs),
            secrets_key_alias=names.kms_alias("eks-secrets"),
            log_key=logs_key,
            log_retention=log_retention(compute.control_plane_log_retention_days),
            addon_versions={str(name): v for name, v in compute.addons.items()},
            removal_policy=removal_policy,
        )
        self.cluster = self.eks.cluster
        cluster_sg = ec2.SecurityGroup.from_security_group_id(
            self, "ClusterSecurityGroup", self.cluster.cluster_security_group_id
        )
        self.node_groups = ManagedNodeGroups(
            self,
            "NodeGroups",
            cluster=self.cluster,
            specs=node_group_specs(compute, role),
            subnets=application_subnets,
            security_groups=[app_security_group, cluster_sg],
        )
        self.eks.addons_after(list(self.node_groups.node_groups.values()))
        self.access = ClusterAccess(
            self,
            "Access",
            cluster=self.cluster,
            admin_role_name=names.eks_access_role("admin", region),
            developer_role_name=names.eks_access_role("developer", region),
            developer_namespaces=list(compute.developer_namespaces),
            trusted_account=self.account,
        )
        # Operators and the metric scraper reach the Kubernetes API through the VPC.
        self.private_api = PrivateApiAccess(
            self,
            "PrivateApi",
            cluster=self.cluster,
            vpc=vpc,
            clients=private_api_clients,
            https_port=ports.https,
            session_key_alias=names.kms_alias("operator-sessions"),
            log_key=logs_key,
            removal_policy=removal_policy,
        )

        self.ingress = Ingress(
            self,
            "Ingress",
            vpc=vpc,
            subnets=public_subnets,
            security_group=web_security_group,
            domain=dns.domain,
            hosted_zone_id=dns.hosted_zone_id,
            certificate_arn=ingress.certificate_arns.get(region),
            tls_policy=ingress.tls_policy,
            https_port=ports.https,
            http_port=ports.http,
            target_port=ports.application,
            health_check_path=ingress.health_check_path,
            idle_timeout_seconds=ingress.idle_timeout_seconds,
            log_bucket_name=names.alb_log_bucket(self.account, region),
            log_retention_days=ingress.access_log_retention_days,
            deletion_protection=deletion_protection,
            removal_policy=removal_policy,
            extra_security_groups=(
                [health_checkers_security_group] if health_checkers_security_group else None
            ),
            origin_check=_origin_check(edge, dns, names) if edge.enabled else None,
        )
        self.load_balancer = self.ingress.load_balancer
        if edge.enabled and edge.shield_advanced:
            shield.CfnProtection(
                self,
                "ShieldProtection",
                name=names.resource("alb", region),
                resource_arn=self.load_balancer.load_balancer_arn,
            )
        self.target_group = self.ingress.target_group
        self.waf = WebAcl(
            self,
            "Waf",
            name=names.resource("ingress", region),
            resource_arn=self.load_balancer.load_balancer_arn,
            rate_limit=ingress.waf.rate_limit_per_5_minutes,
            log_key=logs_key,
            log_retention=log_retention(ingress.waf.log_retention_days),
            removal_policy=removal_policy,
        )
        self.web_acl = self.waf.web_acl

        charts = compute.baseline.charts
        self.controllers = ClusterControllers(
            self,
            "Controllers",
            cluster=self.cluster,
            cluster_name=names.cluster_name(region),
            vpc_id=vpc.vpc_id,
            target_group_arn=self.target_group.target_group_arn,
            application_port=ports.application,
            versions=ChartVersions(
                load_balancer_controller=charts["aws-load-balancer-controller"],
                cluster_autoscaler=charts["cluster-autoscaler"],
                metrics_server=charts["metrics-server"],
                istio=charts["istio"],
                autoscaler_image=compute.baseline.cluster_autoscaler_image,
            ),
            limits=compute.baseline.namespace_limits,
            # Pods need nodes and DNS: charts and manifests come after both.
            after=[*self.node_groups.node_groups.values(), *self.eks.addons_needing_nodes()],
        )

        self._publish(names)

    def _publish(self, names: Names) -> None:
        published = {
            "alb-dns-name": self.load_balancer.load_balancer_dns_name,
            "alb-hosted-zone-id": self.load_balancer.load_balancer_canonical_hosted_zone_id,
        }
        for key, value in published.items():
            ssm.StringParameter(
                self,
                f"Parameter-{key}",
                parameter_name=names.ssm_parameter("ingress", key),
                string_value=value,
                description=f"Regional ALB {key} for the global DNS stack",
            )
        if self.ingress.origin_rule is not None:
            # The edge's rotation Lambda finds this region's header rule here (no export).
            ssm.StringParameter(
                self,
                "Parameter-origin-check-rule-arn",
                parameter_name=names.origin_check_rule_parameter(),
                string_value=self.ingress.origin_rule.listener_rule_arn,
                description="Listener rule checking CloudFront's origin header, for the edge's "
                "origin secret rotation",
            )
        CfnOutput(self, "AlbDnsName", value=self.load_balancer.load_balancer_dns_name)
        CfnOutput(
            self,
            "AlbCanonicalHostedZoneId",
            value=self.load_balancer.load_balancer_canonical_hosted_zone_id,
        )
        CfnOutput(self, "ClusterName", value=self.cluster.cluster_name)
