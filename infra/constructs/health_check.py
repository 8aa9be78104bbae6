"""A Route 53 HTTPS health check of one endpoint and the CloudWatch alarm on its status
(``ip_address`` set: the checkers connect to that address and send ``fqdn`` as SNI and Host).

Route 53 HTTPS checkers negotiate TLS 1.0-1.2 only: the endpoint's listener must offer TLS 1.2
(the config rejects a TLS 1.3-only ``ingress.tls_policy``; ``infra/config/tls.py`` holds what each
ALB policy offers, ``tests/contract/test_health_check_tls_contract.py`` checks the pairing)."""

from __future__ import annotations

from aws_cdk import Duration, Tags
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_sns as sns
from constructs import Construct

# Route 53 publishes HealthCheckStatus once a minute (in us-east-1 only).
_STATUS_PERIOD = Duration.minutes(1)


class AlarmedHealthCheck(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        fqdn: str,
        port: int,
        path: str,
        interval_seconds: int,
        failure_threshold: int,
        measure_latency: bool,
        checker_regions: list[str],
        alarm_evaluation_periods: int,
        alarm_topic: sns.ITopic,
        ip_address: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.health_check = route53.HealthCheck(
            self,
            "HealthCheck",
            type=route53.HealthCheckType.HTTPS,
            fqdn=fqdn,
            ip_address=ip_address,
            port=port,
            resource_path=path,
            enable_sni=True,
            request_interval=Duration.seconds(interval_seconds),
            failure_threshold=failure_threshold,
            measure_latency=measure_latency,
            regions=checker_regions or None,
        )
        Tags.of(self.health_check).add("Name", name)
        status = cloudwatch.Metric(
            namespace="AWS/Route53",
            metric_name="HealthCheckStatus",
            dimensions_map={"HealthCheckId": self.health_check.health_check_id},
            statistic=cloudwatch.Stats.MINIMUM,
            period=_STATUS_PERIOD,
        )
        self.alarm = status.create_alarm(
            self,
            "Unhealthy",
            alarm_description=f"Route 53 health check of {name} is failing: {fqdn}{path}",
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            threshold=1,
            evaluation_periods=alarm_evaluation_periods,
            # No data means the checkers cannot report: treat it as an outage, not as fine.
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        )
        self.alarm.add_alarm_action(actions.SnsAction(alarm_topic))
        self.alarm.add_ok_action(actions.SnsAction(alarm_topic))
