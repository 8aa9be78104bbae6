"""Acknowledgments of CDK's singleton AwsCustomResource function, shared by the stacks that make
deploy-time SDK calls (``infra/constructs/sdk_calls.py``)."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import custom_resources as cr

from infra.nag.acknowledge import acknowledge, child

# The Lambda function CDK creates once per stack for every AwsCustomResource.
SDK_CALL_FUNCTION = "AWS" + cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace("-", "")


def acknowledge_sdk_call_function(stack: Stack, *, calls: str) -> None:
    """``calls`` names what the function does in this stack, for the reviewer."""
    function = child(stack, SDK_CALL_FUNCTION)
    acknowledge(
        function,
        "NIST.800.53.R5-LambdaInsideVPC",
        f"CDK's AwsCustomResource function only calls AWS APIs ({calls}) over TLS with SigV4 "
        "while CloudFormation deploys; it serves no traffic and needs no address in a VPC.",
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
        "Runs a few times per deploy, only when CloudFormation invokes it. Reserving concurrency "
        "would take capacity from the account pool for no protection; CDK does not expose the "
        "setting on its singleton provider function.",
    )
    acknowledge(
        function,
        "Serverless-LambdaTracing",
        "CDK's custom-resource provider makes one AWS API call per CloudFormation event; there is "
        "no request path to trace, and tracing would need X-Ray permissions on Resource '*'.",
    )
