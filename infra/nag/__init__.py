"""cdk-nag gate: the rule packs that check every stack, and every acknowledgment in one place.

Each module of this package acknowledges the findings of one tier, scoped to the construct the
finding concerns, with the reason a security reviewer would want to read.
"""

from __future__ import annotations

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks, ServerlessChecks


def apply_rule_packs(app: App) -> None:
    """Every pack runs on every stack; any unacknowledged finding makes synth fail."""
    Validations.of(app).add_plugins(
        AwsSolutionsChecks(app), NIST80053R5Checks(app), ServerlessChecks(app)
    )
