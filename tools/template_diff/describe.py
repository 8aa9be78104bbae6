"""One-line descriptions of security-group rules and policy statements for reviewers."""

from __future__ import annotations

import json
from typing import Any


def value(node: Any) -> str:
    """A template value as a reviewer reads it: references by logical id, the rest compact."""
    if isinstance(node, dict) and len(node) == 1:
        ((key, arg),) = node.items()
        if key == "Ref":
            return str(arg)
        if key == "Fn::GetAtt":
            return str(arg[0]) if isinstance(arg, list) else str(arg).split(".")[0]
        if key == "Fn::ImportValue":
            return f"import {value(arg)}"
    if isinstance(node, list):
        return ", ".join(value(item) for item in node)
    if isinstance(node, str):
        return node
    return json.dumps(node, sort_keys=True, separators=(",", ":"))


def _ports(rule: dict[str, Any]) -> str:
    protocol = str(rule.get("IpProtocol", "?"))
    if protocol == "-1":
        return "all traffic"
    low, high = rule.get("FromPort"), rule.get("ToPort")
    span = "" if low is None else f" {low}" if low == high else f" {low}-{high}"
    return f"{protocol}{span}"


_PEERS = (
    "CidrIp",
    "CidrIpv6",
    "SourceSecurityGroupId",
    "DestinationSecurityGroupId",
    "SourcePrefixListId",
    "DestinationPrefixListId",
)


def rule(direction: str, body: dict[str, Any]) -> str:
    """``ingress tcp 5432 from DbSecurityGroup`` (the group itself is named when known)."""
    peers = [value(body[key]) for key in _PEERS if key in body] or ["?"]
    word = "from" if direction == "ingress" else "to"
    text = f"{direction} {_ports(body)} {word} {', '.join(peers)}"
    if "GroupId" in body:
        text += f" on {value(body['GroupId'])}"
    return text


def statement(body: dict[str, Any]) -> str:
    """``Allow kms:Decrypt on * for AWS:arn:...`` with its condition keys, if any."""
    actions = body.get("Action", body.get("NotAction", "?"))
    negated = "not " if "NotAction" in body else ""
    text = f"{body.get('Effect', '?')} {negated}{value(actions)}"
    if "Resource" in body or "NotResource" in body:
        text += f" on {value(body.get('Resource', body.get('NotResource')))}"
    principal = body.get("Principal")
    if isinstance(principal, dict):
        who = "; ".join(f"{kind}:{value(whom)}" for kind, whom in sorted(principal.items()))
        text += f" for {who}"
    elif principal is not None:
        text += f" for {value(principal)}"
    if "Condition" in body:
        keys = sorted(key for clause in body["Condition"].values() for key in clause)
        text += f" if {', '.join(keys)}"
    return text


def _canonical(node: Any) -> str:
    return json.dumps(node, sort_keys=True)


def list_delta(old: Any, new: Any) -> tuple[list[Any], list[Any]]:
    """Items removed from and added to a list, ignoring order (rules and statements are sets)."""
    old_items = old if isinstance(old, list) else [] if old is None else [old]
    new_items = new if isinstance(new, list) else [] if new is None else [new]
    old_keys = {_canonical(item) for item in old_items}
    new_keys = {_canonical(item) for item in new_items}
    removed = [item for item in old_items if _canonical(item) not in new_keys]
    added = [item for item in new_items if _canonical(item) not in old_keys]
    return removed, added


def statements(document: Any) -> Any:
    return document.get("Statement") if isinstance(document, dict) else document
