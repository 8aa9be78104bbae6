"""In-cluster collection for one EKS cluster, all as EKS add-ons (no kubectl, no Helm):

- ``amazon-cloudwatch-observability``: the CloudWatch agent (Container Insights metrics, and the
  OTLP/X-Ray endpoint applications send traces to) and Fluent Bit (container, dataplane and host
  logs). Its service account gets its AWS permissions through EKS Pod Identity, as the EBS CSI
  driver does in the compute tier.
- ``prometheus-node-exporter`` and ``kube-state-metrics`` (EKS community add-ons): the exporters
  the managed Prometheus scraper collects.

The Container Insights log groups are created here first, KMS-encrypted and with retention: the
agent would otherwise create them unencrypted and kept forever.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_eks as eks_l1
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constructs.eks_cluster import pod_identity_role

OBSERVABILITY_ADDON = "amazon-cloudwatch-observability"
# Namespace and service account the add-on runs the CloudWatch agent under.
AGENT_SERVICE_ACCOUNT = ("amazon-cloudwatch", "cloudwatch-agent")
AGENT_POLICIES = ("CloudWatchAgentServerPolicy", "AWSXrayWriteOnlyAccess")
CONTAINER_INSIGHTS_LOGS = ("application", "dataplane", "host", "performance")


class ClusterObservability(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster_name: str,
        addon_versions: dict[str, str],
        log_key: kms.IKey,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_groups = {
            name: logs.LogGroup(
                self,
                f"{name.capitalize()}Logs",
                log_group_name=f"/aws/containerinsights/{cluster_name}/{name}",
                encryption_key=log_key,
                retention=log_retention,
                removal_policy=removal_policy,
            )
            for name in CONTAINER_INSIGHTS_LOGS
        }
        self.agent_role = pod_identity_role(
            self,
            "AgentRole",
            description=f"CloudWatch agent and Fluent Bit of {cluster_name} (EKS Pod Identity)",
            managed_policies=list(AGENT_POLICIES),
        )
        namespace, service_account = AGENT_SERVICE_ACCOUNT
        self.addons: dict[str, eks_l1.CfnAddon] = {}
        for name, version in sorted(addon_versions.items()):
            observability = name == OBSERVABILITY_ADDON
            addon = eks_l1.CfnAddon(
                self,
                f"Addon-{name}",
                cluster_name=cluster_name,
                addon_name=name,
                addon_version=version,
                preserve_on_delete=False,
                # The association belongs to the add-on: created and removed with it.
                pod_identity_associations=(
                    [
                        eks_l1.CfnAddon.PodIdentityAssociationProperty(
                            role_arn=self.agent_role.role_arn, service_account=service_account
                        )
                    ]
                    if observability
                    else None
                ),
            )
            if observability:
                for log_group in self.log_groups.values():
                    addon.node.add_dependency(log_group)
            self.addons[name] = addon
        self.agent_namespace = namespace
