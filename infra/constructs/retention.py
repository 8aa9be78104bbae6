"""Maps a configured number of days onto CDK's RetentionDays enum."""

from __future__ import annotations

from aws_cdk import aws_logs as logs

from infra.config.base import LOG_RETENTION_DAYS

# jsii exposes the enum by member name only; its members list the accepted values in ascending
# order, ending with INFINITE. tests/unit/test_retention.py pins the pairing.
_BY_DAYS = dict(zip(LOG_RETENTION_DAYS, list(logs.RetentionDays)[:-1], strict=True))


def log_retention(days: int) -> logs.RetentionDays:
    return _BY_DAYS[days]
