"""The report as plain text (terminal) and as Markdown (a sticky pull-request comment).

Both are stable: stacks, resources and detail lines come out sorted, and nothing depends on
the time or the machine, so the Markdown is snapshot-tested.
"""

from __future__ import annotations

from tools.template_diff.engine import Action, DiffReport, ResourceChange, StackDiff

# Marks the comment so that the sticky-comment action finds and replaces it.
COMMENT_MARKER = "<!-- fdr-template-diff -->"
# GitHub rejects comments above 65,536 characters.
MAX_COMMENT_CHARS = 60_000


def summary(report: DiffReport) -> str:
    if not report.changed:
        return "No template changes."
    counts = ", ".join(
        f"{report.count(action)} {label}"
        for action, label in (
            (Action.ADD, "added"),
            (Action.REMOVE, "removed"),
            (Action.MODIFY, "modified"),
            (Action.REPLACE, "replaced"),
        )
    )
    stacks = len(report.stacks)
    return f"{stacks} stack{'s' if stacks != 1 else ''} changed; resources: {counts}."


def _details(change: ResourceChange) -> list[str]:
    lines = [change.replacement] if change.replacement else []
    if change.action in (Action.MODIFY, Action.REPLACE) and change.changed != ("LogicalId",):
        lines.append("changed: " + ", ".join(change.changed))
    return lines


def text(report: DiffReport, *, base: str, head: str) -> str:
    out = [f"Template diff {base} -> {head}: {summary(report)}"]
    if report.destructive:
        out += ["", "STATEFUL RESOURCES REPLACED OR REMOVED (data does not carry over):"]
        out += [
            f"  {c.stack} {c.logical_id} ({c.resource_type}): {c.replacement or c.action.value}"
            for c in report.destructive
        ]
    if report.security:
        out += ["", "SECURITY-RELEVANT CHANGES:"]
        for change in report.security:
            out.append(f"  {change.stack} {change.logical_id} ({change.resource_type})")
            out += [f"      {line}" for line in change.security]
    for stack in report.stacks:
        out += ["", f"Stack {stack.stack} ({stack.status})"]
        for change in stack.changes:
            out.append(f"  [{change.action.value:7}] {change.logical_id} ({change.resource_type})")
            out += [f"            {line}" for line in _details(change)]
        if stack.sections:
            out.append(f"  other sections changed: {', '.join(stack.sections)}")
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(report: DiffReport, *, base: str, head: str, environments: list[str]) -> str:
    envs = ", ".join(f"`{env}`" for env in environments)
    out = [
        COMMENT_MARKER,
        f"### Template diff: `{base}` → `{head}`",
        "",
        f"Environments: {envs}. {summary(report)}",
    ]
    if report.destructive:
        count = len(report.destructive)
        out += [
            "",
            "> [!CAUTION]",
            f"> **{count} stateful resource{'s' if count != 1 else ''} replaced or removed**: "
            "the data does not carry over. `--fail-on-replace` fails on this.",
            "",
            "| stack | resource | type | why |",
            "| --- | --- | --- | --- |",
        ]
        out += [
            f"| {c.stack} | `{c.logical_id}` | {c.resource_type} | "
            f"{_cell(c.replacement or 'removed')} |"
            for c in report.destructive
        ]
    if report.security:
        out += [
            "",
            "#### Security-relevant changes",
            "",
            "| stack | resource | type | change |",
            "| --- | --- | --- | --- |",
        ]
        out += [
            f"| {c.stack} | `{c.logical_id}` | {c.resource_type} | "
            f"{'<br>'.join(f'`{_cell(line)}`' for line in c.security)} |"
            for c in report.security
        ]
    body = "\n".join(out)
    stack_blocks = [_stack_markdown(stack) for stack in report.stacks]
    for index, block in enumerate(stack_blocks):
        if len(body) + len(block) > MAX_COMMENT_CHARS:
            left = len(stack_blocks) - index
            body += f"\n\n_{left} more stack(s) cut to fit a comment: run `make diff-local`._"
            break
        body += block
    return body + "\n"


def _stack_markdown(stack: StackDiff) -> str:
    lines = [
        "",
        "",
        f"<details><summary><b>{stack.stack}</b> ({stack.status}, "
        f"{len(stack.changes)} resource change{'s' if len(stack.changes) != 1 else ''})"
        "</summary>",
    ]
    if stack.changes:
        lines += ["", "| change | resource | type | details |", "| --- | --- | --- | --- |"]
    lines += [
        f"| {c.action.value} | `{c.logical_id}` | {c.resource_type} | "
        f"{_cell('; '.join(_details(c)))} |"
        for c in stack.changes
    ]
    if stack.sections:
        lines += ["", f"Other sections changed: {', '.join(stack.sections)}."]
    lines += ["", "</details>"]
    return "\n".join(lines)
