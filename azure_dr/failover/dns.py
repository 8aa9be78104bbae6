"""Route 53 through boto3: whether AWS is really down (the ALB health checks' status), and the
failover gates the DNS stack puts in front of each AWS level (``infra/stacks/dns.py``).

A gate is a CALCULATED health check over one ALB check. Route 53 documents that a HealthThreshold
greater than the number of child checks makes it always unhealthy: ``close`` sets it to
children + 1 (traffic leaves that AWS level even when its ALB is up), ``open`` back to 1."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from azure_dr.errors import AzureDrError

# Route 53 calls an endpoint healthy when more than 18 % of its checkers report it healthy.
HEALTHY_SHARE = 0.18


@dataclass(frozen=True)
class Gate:
    region: str
    health_check_id: str
    children: int
    threshold: int

    @property
    def closed(self) -> bool:
        return self.threshold > self.children


class Route53:
    def __init__(self, client: Any) -> None:
        self.client = client

    def _by_name(self) -> dict[str, dict[str, Any]]:
        checks: list[dict[str, Any]] = []
        for page in self.client.get_paginator("list_health_checks").paginate():
            checks += page["HealthChecks"]
        found: dict[str, dict[str, Any]] = {}
        for i in range(0, len(checks), 10):  # ListTagsForResources takes 10 ids at a time
            batch = {c["Id"]: c for c in checks[i : i + 10]}
            tags = self.client.list_tags_for_resources(
                ResourceType="healthcheck", ResourceIds=list(batch)
            )["ResourceTagSets"]
            for tag_set in tags:
                for tag in tag_set.get("Tags", []):
                    if tag["Key"] == "Name":
                        found[tag["Value"]] = batch[tag_set["ResourceId"]]
        return found

    def find(self, name: str) -> dict[str, Any]:
        check = self._by_name().get(name)
        if check is None:
            raise AzureDrError(
                f"no Route 53 health check tagged Name={name}: deploy the DNS stack with "
                "azure.ingress.enabled and azure.ingress.public_ip set (docs/azure-dr.md)"
            )
        return check

    def healthy(self, name: str) -> bool:
        check = self.find(name)
        observations = self.client.get_health_check_status(HealthCheckId=check["Id"])[
            "HealthCheckObservations"
        ]
        if not observations:
            return False
        ok = sum(1 for o in observations if o["StatusReport"]["Status"].startswith("Success"))
        return ok / len(observations) > HEALTHY_SHARE

    def gate(self, name: str, region: str) -> Gate:
        check = self.find(name)
        config = self.client.get_health_check(HealthCheckId=check["Id"])["HealthCheck"][
            "HealthCheckConfig"
        ]
        if config["Type"] != "CALCULATED":
            raise AzureDrError(f"health check {name} is {config['Type']}, not a CALCULATED gate")
        return Gate(
            region,
            check["Id"],
            len(config.get("ChildHealthChecks", [])),
            int(config.get("HealthThreshold", 0)),
        )

    def set_threshold(self, gate: Gate, threshold: int) -> None:
        self.client.update_health_check(
            HealthCheckId=gate.health_check_id, HealthThreshold=threshold
        )
