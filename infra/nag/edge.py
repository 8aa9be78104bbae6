"""Acknowledged findings of the global edge tier."""

from __future__ import annotations

from infra.constructs.origin_rotation import OriginSecretRotation
from infra.nag.acknowledge import acknowledge, child
from infra.nag.backup import wildcard_resources
from infra.stacks.edge import EdgeStack


def acknowledge_findings(stack: EdgeStack) -> None:
    # Both distributions (app.<domain> and the read endpoint) log and filter the same way.
    for site in ("Edge", "ReadEdge"):
        distribution = child(stack, f"{site}/Distribution/Resource")
        acknowledge(
            distribution,
            "AwsSolutions-CFR3",
            "Access logs are on, through CloudFront standard logging v2 (AWS::Logs::"
            "DeliverySource/Delivery into the AccessLogBucket, construct AccessLogs); the rule "
            "reads only the legacy Logging property, whose S3 delivery would need ACLs enabled on "
            "the bucket.",
        )
        acknowledge(
            distribution,
            "AwsSolutions-CFR1",
            "No geo restriction: the design serves research users worldwide and names no "
            "excluded country; the edge WAF (managed rule groups, IP reputation, rate limit) "
            "filters clients.",
        )

    secret = child(stack, "OriginSecret/Secret/Resource")
    acknowledge(
        secret,
        "NIST.800.53.R5-SecretsManagerUsingKMSKey",
        "The value is also readable in CloudFront's distribution config and each ALB listener "
        "rule (by design of an origin header), so a customer key would not narrow who can read "
        "it; the aws/secretsmanager key keeps the replicas in every ALB region without one key "
        "per region.",
    )

    log_bucket = child(stack, "AccessLogBucket/Resource")
    for rule in ("AwsSolutions-S1", "NIST.800.53.R5-S3BucketLoggingEnabled"):
        acknowledge(
            log_bucket,
            rule,
            "This bucket is itself a log destination (CloudFront access logs); logging its own "
            "accesses into another bucket would only move the question one bucket further.",
        )
    acknowledge(
        log_bucket,
        "NIST.800.53.R5-S3DefaultEncryptionKMS",
        "SSE-S3 like every log-delivery bucket of the project (infra/constructs/log_bucket.py); "
        "a KMS default key would need a key policy for the log-delivery service. TLS is enforced.",
    )
    acknowledge(
        log_bucket,
        "NIST.800.53.R5-S3BucketReplicationEnabled",
        "Edge access logs are an operational record, not data to recover: losing them with "
        "us-east-1 is accepted, as for the regional ALB access logs.",
    )
    _rotation(stack.rotation)


def _rotation(rotation: OriginSecretRotation) -> None:
    job = rotation.job
    for resource in wildcard_resources(job.policy):
        acknowledge(
            child(job, "Policy/Resource"),
            f"AwsSolutions::AwsSolutions-IAM5[Resource::{resource}]",
            "origin secret rotation: each wildcard is a narrowing. ALB names (and so rule ARNs) "
            "are generated: listener-rule/app/* in each ALB region, and ModifyRule only on "
            "rules tagged origin-secret=<this secret> (the compute stacks tag their header rule "
            "and no other); DescribeRules, GetRandomPassword and X-Ray have no resource-level "
            "permissions. No action is a wildcard.",
        )
    function = child(job, "Function/Resource")
    acknowledge(
        function,
        "NIST.800.53.R5-LambdaInsideVPC",
        "The rotation calls AWS APIs only (Secrets Manager, SSM, ELB in every ALB region, "
        "CloudFront); outside a VPC it needs no NAT or endpoints in us-east-1, and IAM bounds "
        "what it touches.",
    )
    acknowledge(
        function,
        "NIST.800.53.R5-LambdaConcurrency",
        "No reserved concurrency: Secrets Manager's rotation troubleshooting names insufficient "
        "concurrent executions as a cause of failed rotations, and Lambda rejects a reservation "
        "that leaves less than 100 unreserved. Steps are idempotent and run one at a time.",
    )
    acknowledge(
        child(job, "Function/EventInvokeConfig"),
        "Serverless-LambdaAsyncFailureDestination",
        "Secrets Manager invokes the rotation synchronously and retries a failed rotation "
        "itself; the DeadLetterConfig (NIST LambdaDLQ) catches any asynchronous run.",
    )
    acknowledge(
        child(job.errors_alarm, "Resource"),
        "NIST.800.53.R5-CloudWatchAlarmAction",
        "A failed rotation changes nothing for traffic (the old value stays accepted and sent; "
        "docs/runbooks.md), and this stack has no alert topic; the alarm and Secrets Manager's "
        "RotationFailed event record it for the runbook.",
    )
    acknowledge(
        child(rotation, "DeadLetters/Resource"),
        "Serverless-SQSRedrivePolicy",
        "This queue is itself the dead-letter queue of the rotation function; a redrive policy "
        "would need another queue behind it.",
    )
