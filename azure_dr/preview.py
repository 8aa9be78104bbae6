"""What would change in Azure, per resource with the changed properties, like ``cdk diff``."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from azure_dr.footprint.arm import template_resource_id

if TYPE_CHECKING:
    from azure_dr.footprint import Footprint

# What-if change types that mean Azure would be changed. "Deploy" (ARM cannot tell) and
# "Ignore" (not in the template: Incremental mode leaves it alone) do not.
PENDING = ("Create", "Modify", "Delete")
SYMBOLS = {"Create": "+", "Modify": "~", "Delete": "-", "Deploy": "?", "NoChange": "=",
           "Ignore": " ", "Unsupported": "!"}  # fmt: skip


@dataclass(frozen=True)
class PropertyChange:
    path: str
    kind: str
    before: Any = None
    after: Any = None


@dataclass(frozen=True)
class Change:
    resource_id: str
    change_type: str
    delta: list[PropertyChange] = field(default_factory=list)


def _flatten(items: list[Any], prefix: str = "") -> list[PropertyChange]:
    out: list[PropertyChange] = []
    for item in items or []:
        path = f"{prefix}.{item['path']}" if prefix else str(item["path"])
        children = item.get("children") or []
        if children:
            out.extend(_flatten(children, path))
        else:
            out.append(
                PropertyChange(path, item["propertyChangeType"], item.get("before"),
                               item.get("after"))
            )  # fmt: skip
    return out


def changes_from_what_if(result: Any) -> list[Change]:
    changes = [
        Change(c["resourceId"], c["changeType"], _flatten(c.get("delta") or []))
        for c in ((result.get("properties") or {}).get("changes") or [])
    ]
    return sorted(changes, key=lambda c: c.resource_id.lower())


def creates_from_template(footprint: Footprint) -> list[Change]:
    ids = {
        template_resource_id(r, footprint.subscription_id, footprint.resource_group)
        for r in footprint.template["resources"]
    }
    return [Change(i, "Create") for i in sorted(ids, key=str.lower)]


def summary(changes: list[Change]) -> dict[str, int]:
    counts = {"create": 0, "modify": 0, "delete": 0, "unchanged": 0, "other": 0}
    for c in changes:
        key = {"Create": "create", "Modify": "modify", "Delete": "delete",
               "NoChange": "unchanged"}.get(c.change_type, "other")  # fmt: skip
        counts[key] += 1
    return counts


def pending(changes: list[Change]) -> bool:
    return any(c.change_type in PENDING for c in changes)


def render_text(footprint: Footprint, changes: list[Change], group_exists: bool) -> str:
    lines = [
        f"Azure subscription {footprint.subscription_id}, resource group "
        f"{footprint.resource_group} ({footprint.location}), deployment "
        f"{footprint.deployment_name}, mode Incremental",
    ]
    if not group_exists:
        lines.append(f"  + create   resource group {footprint.resource_group}")
    for c in changes:
        rel = c.resource_id.split("/providers/", 1)[-1]
        lines.append(f"  {SYMBOLS.get(c.change_type, '?')} {c.change_type.lower():<9}{rel}")
        for d in c.delta:
            lines.append(f"      {d.path}: {_show(d.before)} => {_show(d.after)} ({d.kind})")
    s = summary(changes)
    lines.append(
        f"Plan: {s['create']} to create, {s['modify']} to modify, {s['delete']} to delete, "
        f"{s['unchanged']} unchanged" + (f", {s['other']} other" if s["other"] else "")
    )
    return "\n".join(lines)


def render_json(footprint: Footprint, changes: list[Change], group_exists: bool) -> str:
    return json.dumps(
        {
            "subscriptionId": footprint.subscription_id,
            "resourceGroup": footprint.resource_group,
            "resourceGroupExists": group_exists,
            "deployment": footprint.deployment_name,
            "pending": pending(changes) or not group_exists,
            "summary": summary(changes),
            "changes": [
                {
                    "resourceId": c.resource_id,
                    "changeType": c.change_type,
                    "delta": [asdict(d) for d in c.delta],
                }
                for c in changes
            ],
        },
        indent=2,
        default=str,
    )


def _show(value: Any) -> str:
    return "(none)" if value is None else json.dumps(value, default=str)
