"""Acknowledged findings of the backup tier."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam

from infra.nag.acknowledge import acknowledge, child
from infra.stacks.backup import BackupStack


def wildcard_resources(policy: iam.ManagedPolicy) -> list[str]:
    """The resource patterns with a ``*`` in the policy, as cdk-nag names them in its
    granular IAM5 finding ids (one acknowledgment per pattern, never the whole rule)."""
    document = Stack.of(policy).resolve(policy.document.to_json())
    found: list[str] = []
    for statement in document["Statement"]:
        resources = statement.get("Resource", [])
        for resource in [resources] if isinstance(resources, str) else resources:
            if isinstance(resource, str) and "*" in resource and resource not in found:
                found.append(resource)
    return found


def acknowledge_findings(stack: BackupStack) -> None:
    for name, job in stack.jobs.items():
        for resource in wildcard_resources(job.policy):
            acknowledge(
                child(job, "Policy/Resource"),
                f"AwsSolutions::AwsSolutions-IAM5[Resource::{resource}]",
                f"{name}: every wildcard is a narrowing, not a grant of everything. RDS and "
                "ElastiCache snapshots are matched by our name prefix (<database id>-*, the ids "
                "are created per schedule window), deletion also by our project/environment "
                "tags; KMS keys are key/* only together with kms:ResourceAliases naming our "
                "aliases (alias ARNs are not valid IAM resources and the keys belong to other "
                "stacks); X-Ray and "
                "CloudWatch GetMetricStatistics support no resource-level permissions. No action "
                "is a wildcard.",
            )
        acknowledge(
            child(job, "Function/Resource"),
            "NIST.800.53.R5-LambdaInsideVPC",
            f"{name} only calls AWS control-plane APIs (RDS, ElastiCache, S3, KMS, CloudWatch) "
            "in several regions and never connects to a data store. Outside a VPC it keeps "
            "working when the region's network (NAT, endpoints) is impaired, which is when the "
            "DR jobs matter most; IAM, not the network, bounds what it can touch.",
        )
        if stack.backup.reserved_concurrency is None:
            acknowledge(
                child(job, "Function/Resource"),
                "NIST.800.53.R5-LambdaConcurrency",
                f"{name} reserves no concurrency (config backup.reserved_concurrency, default "
                "none): Lambda rejects a reservation that would leave less than 100 unreserved "
                "executions, which new accounts often have. The jobs are idempotent, so "
                "overlapping runs are harmless (tests/lambdas/test_overlapping_runs.py); "
                "schedules run them once per period and errors and DLQ depth are alarmed.",
            )
        acknowledge(
            child(job, "Function/EventInvokeConfig"),
            "Serverless-LambdaAsyncFailureDestination",
            f"{name} sends failed asynchronous runs to the encrypted dead-letter queue "
            "(DeadLetterConfig, required by NIST LambdaDLQ); a second on-failure destination "
            "to the same queue would deliver every failure twice. DLQ depth is alarmed on.",
        )
    acknowledge(
        child(stack, "DeadLetters/Resource"),
        "Serverless-SQSRedrivePolicy",
        "This queue is itself the dead-letter queue of the backup jobs and their schedules; a "
        "redrive policy would need another queue behind it. Its depth is alarmed on.",
    )
    # Routing: the monitoring stack of the region deploys after this one and turns these alarms
    # into composite alarms that notify the region's one alert topic
    # (tests/stacks/test_monitoring.py pins that every one of them is covered).
    for alarm in [*stack.alarms.values(), *(job.errors_alarm for job in stack.jobs.values())]:
        acknowledge(
            child(alarm, "Resource"),
            "NIST.800.53.R5-CloudWatchAlarmAction",
            "Notified through the region's composite alarms (monitoring stack: 'region "
            "unhealthy' for recovery-point alarms, 'backup jobs failing' for the others), which "
            "publish to the region's single alert topic; an action here would need that topic "
            "before the monitoring stack exists.",
        )
