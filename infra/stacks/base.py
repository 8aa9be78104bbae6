"""Base class of every stack: pins the AZs from configuration so synth never looks them up."""

from __future__ import annotations

from typing import Any

from aws_cdk import Environment, Stack
from constructs import Construct


class RegionalStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        account: str,
        region: str,
        availability_zones: list[str],
        **kwargs: Any,
    ) -> None:
        self._azs = list(availability_zones)
        super().__init__(
            scope, construct_id, env=Environment(account=account, region=region), **kwargs
        )

    @property
    def availability_zones(self) -> list[str]:
        # Overriding the getter stops CDK from registering an AZ context look-up.
        return self._azs
