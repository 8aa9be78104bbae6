"""Small read-only queries over synthesized CloudFormation templates."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def resources(template: dict[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_name}


def logical_id_with_prefix(template: dict[str, Any], type_name: str, prefix: str) -> str:
    """Logical ids are the construct path without separators plus a hash suffix."""
    matches = [k for k in resources(template, type_name) if k.startswith(prefix)]
    assert len(matches) == 1, (prefix, matches)
    return matches[0]


def ref_target(value: Any) -> str:
    """The logical id a Ref / Fn::GetAtt points to."""
    if "Ref" in value:
        return value["Ref"]
    return value["Fn::GetAtt"][0]


def walk(node: Any) -> Iterator[Any]:
    yield node
    if isinstance(node, dict):
        for child in node.values():
            yield from walk(child)
    elif isinstance(node, list):
        for child in node:
            yield from walk(child)
