"""Customer keys of the data and storage tiers: usable only through the AWS services that
encrypt with them; the account may administer them but not use them directly."""

from __future__ import annotations

import pytest

from tests.stacks.template_queries import resources
from tests.synth import SynthesizedEnvironment

EXPECTED_SERVICES = {
    ("data", "DatabaseKey"): {"rds", "secretsmanager", "elasticache"},
    ("storage", "BackupKey"): {"rds"},
    ("storage", "StorageKey"): {"s3"},
}


def _actions(statement: dict) -> set[str]:
    action = statement["Action"]
    return {action} if isinstance(action, str) else set(action)


@pytest.mark.parametrize(("tier", "key"), EXPECTED_SERVICES, ids=lambda v: v)
def test_key_use_only_through_its_services(any_env: SynthesizedEnvironment, tier: str, key: str):
    for region in any_env.config.regions:
        keys = resources(any_env.template(tier, region), "AWS::KMS::Key")
        (policy,) = [v["Properties"]["KeyPolicy"] for k, v in keys.items() if k.startswith(key)]
        expected = {f"{svc}.{region}.amazonaws.com" for svc in EXPECTED_SERVICES[(tier, key)]}
        granted: set[str] = set()
        for statement in policy["Statement"]:
            assert "kms:*" not in _actions(statement)
            if not _actions(statement) & {"kms:Decrypt", "kms:Encrypt", "kms:CreateGrant"}:
                continue  # administration only
            # every statement that lets anyone use the key is bound to a service
            via = statement["Condition"]["StringEquals"]["kms:ViaService"]
            granted |= {via} if isinstance(via, str) else set(via)
        assert granted == expected
