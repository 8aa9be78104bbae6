"""Acknowledged findings of the global DNS tier."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import custom_resources as cr

from infra.nag.acknowledge import acknowledge, child
from infra.nag.alerts import acknowledge_alert_topic

# The Lambda function CDK creates once per stack for every AwsCustomResource.
SDK_CALL_FUNCTION = "AWS" + cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace("-", "")


def acknowledge_findings(stack: Stack) -> None:
    function = child(stack, SDK_CALL_FUNCTION)
    acknowledge(
        function,
        "NIST.800.53.R5-LambdaInsideVPC",
        "CDK's AwsCustomResource function only calls AWS APIs (SSM GetParameter in each region, "
        "Route 53 query-logging config) over TLS with SigV4. The DNS stack is global and owns no "
        "VPC; attaching one would tie it to a regional network stack by export, which is what "
        "reading SSM parameters avoids.",
    )
    for rule in ("NIST.800.53.R5-LambdaDLQ", "Serverless-LambdaDLQ"):
        acknowledge(
            function,
            rule,
            "Invoked only by CloudFormation as a custom-resource provider; the CDK handler "
            "reports every failure back to CloudFormation, which fails and rolls back the deploy. "
            "A DLQ would hold nothing an operator does not already see in the stack events.",
        )
    acknowledge(
        function,
        "NIST.800.53.R5-LambdaConcurrency",
        "Runs a few times per deploy of the DNS stack, only when CloudFormation invokes it. "
        "Reserving concurrency would take capacity from the account pool for no protection; "
        "CDK does not expose the setting on its singleton provider function.",
    )
    acknowledge_alert_topic(child(stack, "Alerts"))
    acknowledge(
        function,
        "Serverless-LambdaTracing",
        "CDK's custom-resource provider makes one AWS API call per CloudFormation event; there is "
        "no request path to trace, and tracing would need X-Ray permissions on Resource '*'.",
    )
