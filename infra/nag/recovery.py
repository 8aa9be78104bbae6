"""Acknowledged findings of the recovery tier: the Region switch plan and its step functions."""

from __future__ import annotations

from infra.nag.acknowledge import acknowledge, child
from infra.nag.backup import wildcard_resources
from infra.recovery.steps import VERIFY
from infra.stacks.recovery_actions import RecoveryActionsStack
from infra.stacks.region_switch import RegionSwitchStack


def acknowledge_actions(stack: RecoveryActionsStack) -> None:
    for name, job in stack.functions.items():
        for resource in wildcard_resources(job.policy):
            acknowledge(
                child(job, "Policy/Resource"),
                f"AwsSolutions::AwsSolutions-IAM5[Resource::{resource}]",
                f"recovery {name}: each wildcard is a narrowing. The plan ARN ends in a suffix "
                "Region switch generates (plan/<our plan name>:*); Route 53 health-check ids are "
                "generated at deploy time by the DNS stack (healthcheck/*, and the function only "
                "reads and inverts them); CloudWatch GetMetricStatistics, X-Ray and EC2 "
                "DescribeNetworkInterfaces/DescribeSubnets have no resource-level permissions; "
                "verify's network interfaces (network-interface/*) get ids Lambda generates, and "
                "it creates them only in our application subnets with the app_tier group. No "
                "action is a wildcard.",
            )
        if name != VERIFY:  # verify runs in the VPC for its canary write
            acknowledge(
                child(job, "Function/Resource"),
                "NIST.800.53.R5-LambdaInsideVPC",
                f"recovery {name} calls AWS control-plane APIs (RDS, ElastiCache, SSM, Route "
                "53, Region switch) only; outside a VPC it keeps working when the region's "
                "network is impaired, which is when a failover runs. IAM bounds it.",
            )
        if stack.reserved_concurrency is None:
            acknowledge(
                child(job, "Function/Resource"),
                "NIST.800.53.R5-LambdaConcurrency",
                f"recovery {name} reserves no concurrency (backup.reserved_concurrency, default "
                "none: Lambda rejects a reservation that leaves less than 100 unreserved, as in "
                "new accounts). Each step is safe to run twice; Region switch runs one at a time.",
            )
        acknowledge(
            child(job, "Function/EventInvokeConfig"),
            "Serverless-LambdaAsyncFailureDestination",
            f"recovery {name} is invoked synchronously by Region switch, which re-runs failed "
            "steps itself; the DeadLetterConfig (NIST LambdaDLQ) catches any asynchronous run.",
        )
        acknowledge(
            child(job.errors_alarm, "Resource"),
            "NIST.800.53.R5-CloudWatchAlarmAction",
            f"recovery {name} fails on purpose while a promotion is under way (Region switch "
            "re-runs it); the execution itself is what people watch (make drill, the console), "
            "and a failed step pauses it. The alarm records failures for the dashboard.",
        )
    if stack.plan_role is not None:
        for resource in wildcard_resources(stack.plan_policy):
            acknowledge(
                child(stack, "PlanPolicy/Resource"),
                f"AwsSolutions::AwsSolutions-IAM5[Resource::{resource}]",
                "Region switch lists the access policies of its own access entry before it "
                "scales (ARC's EKS sample policy): access-entry/<our cluster>/* covers the "
                "entries of our two clusters only, whose ids EKS generates.",
            )
    acknowledge(
        child(stack, "DeadLetters/Resource"),
        "Serverless-SQSRedrivePolicy",
        "This queue is itself the dead-letter queue of the recovery functions; a redrive policy "
        "would need another queue behind it.",
    )


def acknowledge_plan(stack: RegionSwitchStack) -> None:
    """The plan stack holds the plan and, with an approval step, the approvers' role."""
    if stack.approver_role is not None:
        for resource in wildcard_resources(stack.approver_policy):
            acknowledge(
                child(stack, "ApproverPolicy/Resource"),
                f"AwsSolutions::AwsSolutions-IAM5[Resource::{resource}]",
                "The plan's ARN ends in a suffix Region switch generates; plan/<our plan "
                "name>:* is this plan and no other. The only action is "
                "ApprovePlanExecutionStep.",
            )
