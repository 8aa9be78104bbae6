"""Acknowledged findings of the replication tier."""

from __future__ import annotations

from infra.nag.acknowledge import acknowledge, child
from infra.nag.backup import wildcard_resources
from infra.stacks.replication import ReplicationStack


def acknowledge_findings(stack: ReplicationStack) -> None:
    for resource in wildcard_resources(stack.policy):
        acknowledge(
            child(stack, "Policy/Resource"),
            f"AwsSolutions::AwsSolutions-IAM5[Resource::{resource}]",
            "Every wildcard is a narrowing: objects of the one source bucket (<bucket>/*, any "
            "key may need copying); KMS keys as key/* only with kms:ResourceAliases naming the "
            "storage alias and kms:ViaService S3 (the key belongs to the storage stack); "
            "sts:GetWebIdentityToken has no resource and is bounded by audience, signing "
            "algorithm and lifetime conditions; X-Ray has no resource-level permissions; the "
            "Lambda VPC access (network interfaces, subnets) is bounded by the ec2:Vpc condition "
            "to the region's VPC and the functions' own security group, and ec2:Describe* has no "
            "resource-level permissions.",
        )
    for name, function in stack.functions.items():
        if stack.placement is not None:
            continue  # in the VPC's application subnets: nothing to acknowledge
        acknowledge(
            child(function, "Function/Resource"),
            "NIST.800.53.R5-LambdaInsideVPC",
            f"{name} calls S3, STS and the Entra/Azure Storage endpoints only; it never "
            "connects to a data store in the VPC. IAM and the Azure identity bound it.",
        )
    objects = stack.functions["objects"]
    for rule in ("NIST.800.53.R5-LambdaDLQ", "Serverless-LambdaDLQ"):
        acknowledge(
            child(objects, "Function/Resource"),
            rule,
            "The objects function is invoked by an SQS event source mapping, never "
            "asynchronously: failed events return to its queue and, after max_receive_count, to "
            "the dead-letter queue (redrive policy), which a function DLQ would never see.",
        )
    for mapping in objects.function.node.children:
        if mapping.node.id.startswith("SqsEventSource"):
            acknowledge(
                mapping,
                "Serverless-LambdaEventSourceMappingDestination",
                "SQS event source mappings take no on-failure destination (streams and Kafka "
                "only): the queue's redrive policy moves an event that keeps failing to the "
                "encrypted dead-letter queue, whose depth is alarmed on.",
            )
    acknowledge(
        child(stack.functions["reconcile"], "Function/EventInvokeConfig"),
        "Serverless-LambdaAsyncFailureDestination",
        "reconcile sends failed asynchronous runs to the encrypted dead-letter queue "
        "(DeadLetterConfig); a second on-failure destination would deliver every failure twice.",
    )
    acknowledge(
        child(stack, "DeadLetters/Resource"),
        "Serverless-SQSRedrivePolicy",
        "This queue is itself the dead-letter queue of the event queue, the EventBridge rule, the "
        "schedule and the reconcile function; its depth is alarmed on.",
    )
    if stack.dump is not None:
        _acknowledge_dump(stack)
    for alarm in [*stack.rpo_alarms, *stack.other_alarms]:
        acknowledge(
            child(alarm, "Resource"),
            "NIST.800.53.R5-CloudWatchAlarmAction",
            "Notified through the region's composite alarms (monitoring stack: 'region "
            "unhealthy' for the lag at the objects RPO, 'backup jobs failing' for the others), "
            "which publish to the region's single alert topic deployed after this stack.",
        )


def _acknowledge_dump(stack: ReplicationStack) -> None:
    dump = stack.dump
    assert dump is not None
    acknowledge(
        child(dump, "Task/Resource"),
        "AwsSolutions-ECS2",
        "DUMP_JOB_SETTINGS holds no secret: host, port, database, user name, Azure endpoint and "
        "identity ids, retention. The database password is an IAM token made at run time and "
        "the Azure token comes from the keyless exchange; neither is stored anywhere.",
    )
    execution = child(dump, "Task/ExecutionRole/DefaultPolicy/Resource")
    acknowledge(
        execution,
        "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
        "CDK's task execution role: ecr:GetAuthorizationToken has no resource-level "
        "permission; image pulls and log writes are scoped to the asset repository and the "
        "job's log group.",
    )
    acknowledge(
        execution,
        "NIST.800.53.R5-IAMNoInlinePolicy",
        "The execution role's policy is the one CDK generates for the image pull and the log "
        "group of this task only; it is attached to no other principal.",
    )
    scheduler_policy = child(dump, "SchedulerPolicy/Resource")
    for resource in wildcard_resources(dump.scheduler_policy):
        acknowledge(
            scheduler_policy,
            f"AwsSolutions::AwsSolutions-IAM5[Resource::{resource}]",
            "ecs:RunTask on the revisions of the one dump task family (each deploy adds a "
            "revision), only in the dump cluster (ecs:cluster condition).",
        )
