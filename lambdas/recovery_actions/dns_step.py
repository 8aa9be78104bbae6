"""``dns`` step: moves the application's failover record to the region being activated.

Our DNS tier answers ``<application_record>.<domain>`` with PRIMARY and SECONDARY failover
records, each tied to a Route 53 health check of its region's ALB. Route 53 moves traffic on its
own when the primary's check fails; in a graceful switchover the primary is healthy, so the step
inverts the primary record's health check (Route 53 then treats it as unhealthy and answers the
SECONDARY). Activating the primary's region again clears every inversion: automatic failover is
back. The inversion also keeps traffic on the standby after a failover until people fail back,
instead of returning to a recovered primary whose database is no longer the writer.

Route 53's control plane (UpdateHealthCheck) is served from us-east-1: in an ungraceful failover
out of that region the call may fail; the primary's check is then failing by itself and the step
reports the check as not pinned instead of failing the plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from recovery_actions.event import RegionSwitchEvent
from recovery_actions.step import StepContext, lambda_entry, read_execution

NAME = "dns"
ROUTE53_REGION = "us-east-1"  # Route 53 is global; its API lives here


@dataclass(frozen=True)
class FailoverRecord:
    set_identifier: str
    failover: str
    """PRIMARY or SECONDARY."""
    region: str
    health_check_id: str


def record_region(set_identifier: str, failover: str) -> str:
    """The DNS stack names each failover record ``<primary|secondary>-<region>``."""
    prefix = f"{failover.lower()}-"
    if not set_identifier.startswith(prefix):
        raise ValueError(
            f"failover record {set_identifier!r} does not follow <{failover.lower()}>-<region>"
        )
    return set_identifier.removeprefix(prefix)


def failover_records(route53: Any, zone_id: str, record_name: str) -> list[FailoverRecord]:
    name = record_name.rstrip(".") + "."
    found = route53.list_resource_record_sets(
        HostedZoneId=zone_id, StartRecordName=name, StartRecordType="A", MaxItems="10"
    )["ResourceRecordSets"]
    return [
        FailoverRecord(
            r["SetIdentifier"],
            r["Failover"],
            record_region(r["SetIdentifier"], r["Failover"]),
            r["HealthCheckId"],
        )
        for r in found
        if r["Name"] == name and r["Type"] == "A" and r.get("Failover") and r.get("HealthCheckId")
    ]


def run(event: RegionSwitchEvent, ctx: StepContext) -> dict[str, Any]:
    s = ctx.settings
    route53 = ctx.clients("route53", ROUTE53_REGION)
    records = failover_records(route53, s.hosted_zone_id, s.record_name)
    if s.region not in {r.region for r in records}:
        raise RuntimeError(
            f"{s.record_name} has no health-checked failover record for {s.region} in zone "
            f"{s.hosted_zone_id} (found: {[r.set_identifier for r in records]})"
        )
    ungraceful = read_execution(ctx, event).mode == "ungraceful"
    changed, unchanged, not_pinned = [], [], []
    for record in records:
        # Inverted = Route 53 reads healthy as unhealthy: only the PRIMARY record of a region
        # being left is inverted; everything else answers by its real health again.
        inverted = record.failover == "PRIMARY" and record.region != s.region
        check = route53.get_health_check(HealthCheckId=record.health_check_id)["HealthCheck"]
        if bool(check["HealthCheckConfig"].get("Inverted", False)) == inverted:
            unchanged.append(record.set_identifier)
            continue
        try:
            route53.update_health_check(HealthCheckId=record.health_check_id, Inverted=inverted)
        except (ClientError, BotoCoreError) as err:
            if not (ungraceful and record.region != s.region):
                raise
            not_pinned.append({"record": record.set_identifier, "error": str(err)})
            continue
        changed.append({"record": record.set_identifier, "inverted": inverted})
    return {
        "record": s.record_name,
        "active_region": s.region,
        "changed": changed,
        "unchanged": unchanged,
        "not_pinned": not_pinned,
    }


handler = lambda_entry(NAME, run)
