"""Acknowledged findings of the monitoring tier."""

from __future__ import annotations

from infra.nag.acknowledge import acknowledge, child
from infra.nag.alerts import acknowledge_alert_topic
from infra.nag.backup import wildcard_resources
from infra.stacks.monitoring import MonitoringStack

# AWS-managed policies the amazon-cloudwatch-observability add-on documents for its agent; AWS
# extends them when the agent gains features, which a copy would silently miss.
_AGENT_POLICIES = {
    "CloudWatchAgentServerPolicy": "The CloudWatch agent and Fluent Bit of the "
    "amazon-cloudwatch-observability add-on need CloudWatchAgentServerPolicy (put metrics, "
    "write log events), as the add-on documents; only its service account assumes the role "
    "through EKS Pod Identity.",
    "AWSXrayWriteOnlyAccess": "The CloudWatch agent forwards application traces to X-Ray; "
    "AWSXrayWriteOnlyAccess only writes segments and reads sampling rules, and only the "
    "agent's service account assumes the role (EKS Pod Identity).",
}


def acknowledge_findings(stack: MonitoringStack) -> None:
    acknowledge_alert_topic(stack.alerts)
    role = child(stack.cluster_observability, "AgentRole/Resource")
    for policy, reason in _AGENT_POLICIES.items():
        acknowledge(
            role,
            f"AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{policy}]",
            reason,
        )
    if stack.grafana is not None:
        grafana_policy = child(stack.grafana, "Policy/Resource")
        for resource in wildcard_resources(stack.grafana.policy):
            reason = (
                "Grafana's read-only data sources: CloudWatch metric reads, X-Ray trace reads "
                "and aps:ListWorkspaces have no resource-level permissions (AWS documents them "
                "with '*'); nothing in the statement writes or deletes."
                if resource == "*"
                else "AMP workspace ids are generated at deploy time in every region, so the "
                "query statement names the workspace pattern of each configured region and is "
                "narrowed to this project's workspaces by the aws:ResourceTag/project condition."
            )
            acknowledge(
                grafana_policy, f"AwsSolutions::AwsSolutions-IAM5[Resource::{resource}]", reason
            )
