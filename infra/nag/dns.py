"""Acknowledged findings of the global DNS tier."""

from __future__ import annotations

from aws_cdk import Stack

from infra.nag.acknowledge import child
from infra.nag.alerts import acknowledge_alert_topic
from infra.nag.sdk_calls import acknowledge_sdk_call_function


def acknowledge_findings(stack: Stack) -> None:
    # The DNS stack is global and owns no VPC: attaching one would tie it to a regional network
    # stack by export, which reading SSM parameters avoids.
    acknowledge_sdk_call_function(
        stack, calls="SSM GetParameter in each region, Route 53 query-logging config"
    )
    acknowledge_alert_topic(child(stack, "Alerts"))
