"""Deterministic names: stack ids, resource names and KMS aliases all derive from project + env."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Names:
    project: str
    env: str

    def stack_id(self, tier: str, region: str) -> str:
        """``fdr-<env>-<tier>-<region>``; the global stacks use region ``global``."""
        return f"{self.project}-{self.env}-{tier}-{region}"

    def resource(self, *parts: str) -> str:
        return "-".join((self.project, self.env, *parts))

    def kms_alias(self, purpose: str) -> str:
        """``alias/fdr-<env>-<purpose>``: the same alias in every region, so another region can
        address a key by an ARN it can compute (no cross-region export)."""
        return f"alias/{self.resource(purpose)}"
