"""Acknowledged findings of the monitoring tier."""

from __future__ import annotations

from infra.constructs.replication_lag import ReplicationLagProbe
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
    if stack.replication_lag is not None:
        acknowledge_replication_lag(stack.replication_lag)


def acknowledge_replication_lag(probe: ReplicationLagProbe) -> None:
    """The lag probe (continuous mode, primary region)."""
    job = probe.job
    for resource in wildcard_resources(job.policy):
        acknowledge(
            child(job, "Policy/Resource"),
            f"AwsSolutions::AwsSolutions-IAM5[Resource::{resource}]",
            "replication lag probe: X-Ray and EC2 DescribeNetworkInterfaces/DescribeSubnets have "
            "no resource-level permissions; its network interfaces (network-interface/*) get ids "
            "Lambda generates, created only in our application subnets with the probe's own "
            "group. rds-db:connect names one user of one instance. No action is a wildcard.",
        )
    if probe.reserved_concurrency is None:
        acknowledge(
            child(job, "Function/Resource"),
            "NIST.800.53.R5-LambdaConcurrency",
            "the lag probe reserves no concurrency (backup.reserved_concurrency, default none: "
            "Lambda rejects a reservation that leaves less than 100 unreserved). Overlapping "
            "runs are harmless: a heartbeat is keyed by its LSN and pruning is idempotent.",
        )
    acknowledge(
        child(job, "Function/EventInvokeConfig"),
        "Serverless-LambdaAsyncFailureDestination",
        "the lag probe sends failed asynchronous runs to its encrypted dead-letter queue "
        "(DeadLetterConfig, NIST LambdaDLQ); a failed run also leaves the lag alarm without "
        "data, which it treats as breaching, so a second destination would add nothing.",
    )
    acknowledge(
        child(probe, "DeadLetters/Resource"),
        "Serverless-SQSRedrivePolicy",
        "This queue is itself the dead-letter queue of the lag probe and its schedule; a redrive "
        "policy would need another queue behind it. Runs that end here leave the lag alarm "
        "without data, which breaches.",
    )
