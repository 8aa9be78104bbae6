from aws_cdk import Duration  # noqa: F401  (imports jsii before aws_logs, as the app does)
from aws_cdk import aws_logs as logs

from infra.config.base import LOG_RETENTION_DAYS
from infra.constructs.retention import log_retention


def test_retention_pairing_matches_cdk_enum_names():
    assert log_retention(1) is logs.RetentionDays.ONE_DAY
    assert log_retention(365) is logs.RetentionDays.ONE_YEAR
    assert log_retention(2557) is logs.RetentionDays.SEVEN_YEARS
    assert log_retention(3653) is logs.RetentionDays.TEN_YEARS
    assert len(LOG_RETENTION_DAYS) == len(logs.RetentionDays) - 1
