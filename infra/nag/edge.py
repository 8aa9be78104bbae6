"""Acknowledged findings of the global edge tier."""

from __future__ import annotations

from aws_cdk import Stack

from infra.nag.acknowledge import acknowledge, child


def acknowledge_findings(stack: Stack) -> None:
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
    for rule in ("AwsSolutions-SMG4", "NIST.800.53.R5-SecretsManagerRotationEnabled"):
        acknowledge(
            secret,
            rule,
            "Rotated by the four-step procedure in docs/runbooks.md, not on a schedule: "
            "CloudFormation re-reads a dynamic reference only when the resource holding it is "
            "updated, so an unattended rotation would reach neither CloudFront nor the ALB rules "
            "and a second one before a deploy would break the origin.",
        )
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
