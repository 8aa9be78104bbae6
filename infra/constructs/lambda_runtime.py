"""How every Lambda of the project is packaged and run: one code asset (``lambdas/``, no Docker
bundling), the pinned Python runtime, the configured architecture, and AWS's Powertools layer of
that runtime and architecture. The backup, replication, recovery, edge rotation and lag probe
functions all take these, so one place decides them."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

LAMBDAS = Path(__file__).resolve().parents[2] / "lambdas"
# Newest Python runtime that aws-cdk-lib 2.275 offers and Powertools publishes a layer for.
RUNTIME = lambda_.Runtime.PYTHON_3_14
POWERTOOLS_ACCOUNT = "017000801446"


def lambda_code() -> lambda_.Code:
    """The one asset every function runs from (each picks its handler)."""
    return lambda_.Code.from_asset(str(LAMBDAS), exclude=["__pycache__", "*.pyc", "tests", "*.md"])


def architecture(name: str) -> lambda_.Architecture:
    """``backup.architecture`` (``arm64`` or ``x86_64``) as CDK's value."""
    return lambda_.Architecture.ARM_64 if name == "arm64" else lambda_.Architecture.X86_64


def powertools_layer(scope: Construct, arch: str, version: int) -> lambda_.ILayerVersion:
    """AWS's published Powertools layer for RUNTIME and ``arch`` (construct id ``Powertools``)."""
    stack = Stack.of(scope)
    return lambda_.LayerVersion.from_layer_version_arn(
        scope,
        "Powertools",
        f"arn:{stack.partition}:lambda:{stack.region}:{POWERTOOLS_ACCOUNT}:layer:"
        f"AWSLambdaPowertoolsPythonV3-{RUNTIME.name.replace('.', '')}-{arch}:{version}",
    )
