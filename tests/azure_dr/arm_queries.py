"""Queries over an ARM template (the footprint's), shared by the footprint tests."""

from __future__ import annotations

from typing import Any


def of_type(template: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [r for r in template["resources"] if r["type"] == resource_type]


def one(template: dict[str, Any], resource_type: str) -> dict[str, Any]:
    (found,) = of_type(template, resource_type)
    return found


def rid(resource_type: str, *names: str) -> str:
    """The ``[resourceId(...)]`` expression the footprint writes for that resource."""
    return "[resourceId(" + ", ".join(f"'{a}'" for a in (resource_type, *names)) + ")]"
