"""Structured comparison of two sets of synthesized CloudFormation templates.

``compare_templates(base, head)`` takes ``{stack id: template dict}`` for each side and returns
a ``DiffReport``: per stack, every added, removed, modified or replaced resource, which of them
are security-relevant, and which replace or remove a stateful resource (the guard's concern).
Resource ``Metadata`` (CDK paths, nag annotations) is ignored: it never reaches AWS.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from tools.template_diff import describe, rules

# Resource attributes that CloudFormation acts on (Metadata is not one of them).
_ATTRIBUTES = (
    "DeletionPolicy",
    "UpdateReplacePolicy",
    "DependsOn",
    "Condition",
    "CreationPolicy",
    "UpdatePolicy",
)
# Template sections besides Resources whose changes are worth a line.
_SECTIONS = ("Parameters", "Conditions", "Mappings", "Rules", "Outputs")

Template = dict[str, Any]


class Action(StrEnum):
    ADD = "add"
    REMOVE = "remove"
    MODIFY = "modify"
    REPLACE = "replace"


@dataclass(frozen=True)
class ResourceChange:
    stack: str
    logical_id: str
    resource_type: str
    action: Action
    changed: tuple[str, ...] = ()
    """Changed properties (and resource attributes) of a modified or replaced resource."""
    replacement: str = ""
    """Why CloudFormation replaces the resource (empty unless action is REPLACE)."""
    security: tuple[str, ...] = ()
    """Security-relevant details, one line each; empty when the change is not one."""

    @property
    def stateful(self) -> bool:
        return rules.is_stateful(self.resource_type)

    @property
    def destructive(self) -> bool:
        """A stateful resource that is replaced or removed: its data does not carry over."""
        return self.stateful and self.action in (Action.REPLACE, Action.REMOVE)


@dataclass(frozen=True)
class StackDiff:
    stack: str
    status: str
    """added, removed or modified"""
    changes: tuple[ResourceChange, ...]
    sections: tuple[str, ...] = ()
    """Other template sections that changed (Outputs, Parameters, ...)."""


@dataclass(frozen=True)
class DiffReport:
    stacks: tuple[StackDiff, ...] = field(default_factory=tuple)

    @property
    def changed(self) -> bool:
        return bool(self.stacks)

    @property
    def changes(self) -> list[ResourceChange]:
        return [change for stack in self.stacks for change in stack.changes]

    @property
    def destructive(self) -> list[ResourceChange]:
        return [change for change in self.changes if change.destructive]

    @property
    def security(self) -> list[ResourceChange]:
        return [change for change in self.changes if change.security]

    def count(self, action: Action) -> int:
        return sum(1 for change in self.changes if change.action is action)


def compare_templates(base: dict[str, Template], head: dict[str, Template]) -> DiffReport:
    stacks = []
    for stack in sorted(set(base) | set(head)):
        status = "added" if stack not in base else "removed" if stack not in head else "modified"
        diff = _compare_stack(stack, base.get(stack, {}), head.get(stack, {}), status)
        if diff.changes or diff.sections or status != "modified":
            stacks.append(diff)
    return DiffReport(tuple(stacks))


def _compare_stack(stack: str, base: Template, head: Template, status: str) -> StackDiff:
    old, new = base.get("Resources", {}), head.get("Resources", {})
    changes: list[ResourceChange] = []
    for logical_id in sorted(set(old) & set(new)):
        change = _compare_resource(stack, logical_id, old[logical_id], new[logical_id])
        if change is not None:
            changes.append(change)
    removed = {key: old[key] for key in sorted(set(old) - set(new))}
    added = {key: new[key] for key in sorted(set(new) - set(old))}
    renames = _pair_renamed(removed, added)
    for old_id, new_id in renames.items():
        changes.append(_renamed(stack, old_id, removed.pop(old_id), new_id, added.pop(new_id)))
    changes += [_whole(stack, key, body, Action.REMOVE) for key, body in removed.items()]
    changes += [_whole(stack, key, body, Action.ADD) for key, body in added.items()]
    sections = tuple(
        name for name in _SECTIONS if _canonical(base.get(name)) != _canonical(head.get(name))
    )
    order = {Action.REPLACE: 0, Action.REMOVE: 1, Action.ADD: 2, Action.MODIFY: 3}
    changes.sort(key=lambda change: (order[change.action], change.logical_id))
    return StackDiff(stack, status, tuple(changes), sections if status == "modified" else ())


def _canonical(node: Any) -> str:
    return json.dumps(node, sort_keys=True)


def _at(properties: dict[str, Any], path: str) -> Any:
    node: Any = properties
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _compare_resource(
    stack: str, logical_id: str, old: Template, new: Template
) -> ResourceChange | None:
    resource_type = new.get("Type", "?")
    if old.get("Type") != resource_type:  # CloudFormation replaces a resource whose type changed
        return ResourceChange(
            stack,
            logical_id,
            resource_type,
            Action.REPLACE,
            ("Type",),
            f"type changed from {old.get('Type')}",
            _security(resource_type, {}, new.get("Properties", {})),
        )
    old_props, new_props = old.get("Properties", {}), new.get("Properties", {})
    changed = [
        name
        for name in sorted(set(old_props) | set(new_props))
        if _canonical(old_props.get(name)) != _canonical(new_props.get(name))
    ]
    changed += [
        name for name in _ATTRIBUTES if _canonical(old.get(name)) != _canonical(new.get(name))
    ]
    if not changed:
        return None
    replacing = [
        path
        for path in rules.replacing_properties(resource_type)
        if _canonical(_at(old_props, path)) != _canonical(_at(new_props, path))
    ]
    return ResourceChange(
        stack,
        logical_id,
        resource_type,
        Action.REPLACE if replacing else Action.MODIFY,
        tuple(changed),
        f"{', '.join(replacing)} changed" if replacing else "",
        _security(resource_type, old_props, new_props),
    )


def _whole(stack: str, logical_id: str, body: Template, action: Action) -> ResourceChange:
    resource_type = body.get("Type", "?")
    props = body.get("Properties", {})
    old, new = (props, {}) if action is Action.REMOVE else ({}, props)
    return ResourceChange(
        stack, logical_id, resource_type, action, (), "", _security(resource_type, old, new)
    )


def _pair_renamed(removed: dict[str, Template], added: dict[str, Template]) -> dict[str, str]:
    """Removed stateful resources that reappear under a new logical id (a renamed construct).

    Pairs each with the added resource of the same type that shares the most property values;
    CloudFormation treats it as a new resource, so the old one is deleted (or orphaned).
    """
    pairs: dict[str, str] = {}
    for old_id, old in removed.items():
        if not rules.is_stateful(old.get("Type", "")):
            continue
        candidates = [
            new_id
            for new_id, new in added.items()
            if new.get("Type") == old.get("Type") and new_id not in pairs.values()
        ]
        if candidates:
            pairs[old_id] = max(candidates, key=lambda new_id: _similarity(old, added[new_id]))
    return pairs


def _similarity(old: Template, new: Template) -> tuple[int, int]:
    old_props, new_props = old.get("Properties", {}), new.get("Properties", {})
    same = sum(
        1 for key in old_props if _canonical(old_props[key]) == _canonical(new_props.get(key))
    )
    return same, -abs(len(old_props) - len(new_props))


def _renamed(stack: str, old_id: str, old: Template, new_id: str, new: Template) -> ResourceChange:
    resource_type = new.get("Type", "?")
    return ResourceChange(
        stack,
        new_id,
        resource_type,
        Action.REPLACE,
        ("LogicalId",),
        f"logical id changed from {old_id}: a new resource is created and the old one deleted",
        _security(resource_type, old.get("Properties", {}), new.get("Properties", {})),
    )


def _security(resource_type: str, old: dict[str, Any], new: dict[str, Any]) -> tuple[str, ...]:
    if resource_type not in rules.SECURITY_PROPERTIES:
        return ()
    if resource_type in rules.RULE_RESOURCE_DIRECTIONS:
        direction = rules.RULE_RESOURCE_DIRECTIONS[resource_type]
        removed, added = describe.list_delta(old or None, new or None)
        return tuple(
            [f"- {describe.rule(direction, body)}" for body in removed]
            + [f"+ {describe.rule(direction, body)}" for body in added]
        )
    watched = rules.SECURITY_PROPERTIES[resource_type] or tuple(sorted(set(old) | set(new)))
    lines: list[str] = []
    for name in watched:
        before, after = old.get(name), new.get(name)
        if _canonical(before) == _canonical(after):
            continue
        lines += _property_lines(name, before, after)
    return tuple(lines)


def _property_lines(name: str, before: Any, after: Any) -> list[str]:
    if name in rules.RULE_LIST_PROPERTIES:
        direction = rules.RULE_LIST_PROPERTIES[name]
        removed, added = describe.list_delta(before, after)
        return [f"- {describe.rule(direction, body)}" for body in removed] + [
            f"+ {describe.rule(direction, body)}" for body in added
        ]
    if name in rules.POLICY_DOCUMENT_PROPERTIES:
        removed, added = describe.list_delta(
            describe.statements(before), describe.statements(after)
        )
        lines = [f"- {name}: {describe.statement(body)}" for body in removed]
        lines += [f"+ {name}: {describe.statement(body)}" for body in added]
        return lines or [f"{name} changed"]
    if name == "Policies":  # inline role policies: one document per entry
        removed, added = describe.list_delta(before, after)
        lines = [f"- inline policy {value_name(body)}" for body in removed]
        return lines + [f"+ inline policy {value_name(body)}" for body in added]
    if before is None:
        return [f"{name} set to {describe.value(after)}"]
    if after is None:
        return [f"{name} removed (was {describe.value(before)})"]
    return [f"{name}: {describe.value(before)} -> {describe.value(after)}"]


def value_name(policy: Any) -> str:
    return str(policy.get("PolicyName", "?")) if isinstance(policy, dict) else "?"
