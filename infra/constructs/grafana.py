"""An Amazon Managed Grafana workspace with AMP, CloudWatch and X-Ray data sources and a
customer-managed role that can only read them.

The role is ours (permission type CUSTOMER_MANAGED) rather than the service-managed one, so that
it can read exactly the AMP workspaces of this project and nothing else AMP holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Stack
from aws_cdk import aws_grafana as grafana
from aws_cdk import aws_iam as iam
from constructs import Construct

# Read-only actions of the three data sources. CloudWatch metric and X-Ray reads have no
# resource-level permissions: AWS documents them with resource "*".
CLOUDWATCH_READ = (
    "cloudwatch:DescribeAlarmsForMetric",
    "cloudwatch:DescribeAlarmHistory",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:ListMetrics",
    "cloudwatch:GetMetricData",
    "cloudwatch:GetInsightRuleReport",
    "ec2:DescribeRegions",
    "tag:GetResources",
)
XRAY_READ = (
    "xray:BatchGetTraces",
    "xray:GetTraceSummaries",
    "xray:GetTraceGraph",
    "xray:GetGroups",
    "xray:GetTimeSeriesServiceStatistics",
    "xray:GetInsightSummaries",
    "xray:GetInsight",
    "xray:GetServiceGraph",
)
AMP_QUERY = ("aps:QueryMetrics", "aps:GetSeries", "aps:GetLabels", "aps:GetMetricMetadata")
AMP_LIST = ("aps:ListWorkspaces", "aps:DescribeWorkspace")


@dataclass(frozen=True)
class Saml:
    metadata_url: str
    admin_role_values: list[str]


class GrafanaWorkspace(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        grafana_version: str,
        saml: Saml | None,
        prometheus_regions: list[str],
        project_tag: tuple[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal(
                "grafana.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            ),
            description=f"Amazon Managed Grafana {name}: read-only AMP, CloudWatch, X-Ray",
        )
        tag_key, tag_value = project_tag
        workspaces = [
            f"arn:{stack.partition}:aps:{region}:{stack.account}:workspace/*"
            for region in prometheus_regions
        ]
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(
                    sid="QueryProjectPrometheus",
                    actions=list(AMP_QUERY),
                    resources=workspaces,
                    # Workspace ids are generated: the project tag narrows the pattern to ours.
                    conditions={"StringEquals": {f"aws:ResourceTag/{tag_key}": tag_value}},
                ),
                iam.PolicyStatement(sid="ListPrometheus", actions=list(AMP_LIST), resources=["*"]),
                iam.PolicyStatement(
                    sid="ReadCloudWatch", actions=list(CLOUDWATCH_READ), resources=["*"]
                ),
                iam.PolicyStatement(sid="ReadXRay", actions=list(XRAY_READ), resources=["*"]),
            ],
        )
        saml_configuration = None
        if saml is not None:
            saml_configuration = grafana.CfnWorkspace.SamlConfigurationProperty(
                idp_metadata=grafana.CfnWorkspace.IdpMetadataProperty(url=saml.metadata_url),
                assertion_attributes=grafana.CfnWorkspace.AssertionAttributesProperty(
                    role="role", name="displayName", login="login", email="email"
                ),
                role_values=grafana.CfnWorkspace.RoleValuesProperty(
                    admin=saml.admin_role_values or None
                ),
            )
        self.workspace = grafana.CfnWorkspace(
            self,
            "Workspace",
            name=name,
            description="Dashboards over every region's AMP workspace, CloudWatch and X-Ray",
            account_access_type="CURRENT_ACCOUNT",
            authentication_providers=["SAML" if saml else "AWS_SSO"],
            saml_configuration=saml_configuration,
            permission_type="CUSTOMER_MANAGED",
            role_arn=self.role.role_arn,
            data_sources=["PROMETHEUS", "CLOUDWATCH", "XRAY"],
            grafana_version=grafana_version,
        )
        self.workspace.node.add_dependency(self.policy)
