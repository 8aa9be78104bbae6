"""Offline template diff between a git ref and the working tree.

``python -m tools.template_diff --base main`` synthesizes both sides without AWS credentials,
compares the CloudFormation templates stack by stack and reports, first, the replacement or
removal of stateful resources and security-relevant changes (IAM, security-group rules, key and
bucket policies), then every added, removed and modified resource.
"""

from tools.template_diff.engine import DiffReport, ResourceChange, StackDiff, compare_templates

__all__ = ["DiffReport", "ResourceChange", "StackDiff", "compare_templates"]
