"""Our table of replacing properties agrees with the CloudFormation registry schemas."""

from __future__ import annotations

import pytest

from tools.template_diff import rules

# CloudFormation documents these as "Update requires: Replacement" (and then refuses the update
# to protect the key); the registry schema does not list them.
DOCUMENTED_ONLY = {
    ("AWS::KMS::Key", "KeySpec"),
    ("AWS::KMS::Key", "KeyUsage"),
    ("AWS::KMS::Key", "MultiRegion"),
}


@pytest.mark.parametrize("resource_type", sorted(rules.STATEFUL_REPLACING_PROPERTIES))
def test_stateful_table_matches_registry_schema(resource_type):
    schema = set(rules.registry_create_only(resource_type)) | set(
        rules.registry_create_only(resource_type, conditional=True)
    )
    for path in rules.STATEFUL_REPLACING_PROPERTIES[resource_type]:
        assert path in schema or (resource_type, path) in DOCUMENTED_ONLY, (
            f"{resource_type}.{path} is not create-only in the registry schema"
        )


def test_every_type_in_the_tables_is_a_known_cloudformation_type():
    known = rules._registry_index()
    assert known is not None
    for resource_type in {*rules.STATEFUL_REPLACING_PROPERTIES, *rules.SECURITY_PROPERTIES}:
        assert resource_type in known, resource_type
