"""Global DNS of one environment, deployed in us-east-1 (where Route 53 keeps its health-check
metrics, query logs and DNSSEC keys).

Creates: the public hosted zone of ``dns.domain`` (imported by id, or owned when configured);
one HTTPS health check per regional ALB the records point to, each with a CloudWatch alarm
that notifies a KMS-encrypted SNS topic (subscriptions from config); the failover chain as
failover alias records (PRIMARY and SECONDARY region, or a plain alias when there is no second
region) named ``app.<domain>``, or, with the edge on, ``<edge.origin_record>.<domain>`` while
``app.<domain>`` aliases the CloudFront distribution (A and AAAA); Shield Advanced protection of
the zone when ``edge.shield_advanced`` is set; latency alias records over the read regions named
``<dns.read_record>.<domain>``, or, with the edge on, ``<edge.read_origin_record>.<domain>``
while the read record aliases the read distribution (A and AAAA); DNS query logging to
``/aws/route53/<domain>``; DNSSEC signing when configured.

The ALB names are read from each region's SSM parameters by SDK calls at deploy time
(``infra/constructs/ingress_lookup.py``): no CloudFormation export locks a regional stack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import jsii
from aws_cdk import Duration, RemovalPolicy, Tags
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from aws_cdk import aws_shield as shield
from constructs import Construct

from infra.config.base import RegionRole
from infra.config.dns import DnsConfig
from infra.constructs.alert_topic import AlertTopic
from infra.constructs.dnssec import ZoneSigning
from infra.constructs.encryption import LogsEncryptionKey
from infra.constructs.health_check import AlarmedHealthCheck
from infra.constructs.ingress_lookup import RegionalIngress, read_parameters_policy
from infra.constructs.query_logging import QueryLoggingConfig, QueryLogGroup
from infra.constructs.retention import log_retention
from infra.constructs.sdk_calls import SdkCalls
from infra.naming import Names
from infra.stacks.base import RegionalStack

# Route 53 is global but keeps health-check metrics, query-log groups and DNSSEC keys here.
DNS_HOME_REGION = "us-east-1"


@jsii.implements(route53.IAliasRecordTarget)
class _DistributionAlias:
    """Alias of a distribution of another stack. CDK's CloudFrontTarget puts its zone-id mapping
    into the distribution's stack, where nothing uses it (cfn-lint W7001); this one keeps it in
    the record's stack."""

    def __init__(self, domain_name: str) -> None:
        self.domain_name = domain_name

    def bind(
        self, record: route53.IRecordSet, zone: route53.IHostedZone | None = None
    ) -> route53.AliasRecordTargetConfig:
        return route53.AliasRecordTargetConfig(
            dns_name=self.domain_name,
            hosted_zone_id=targets.CloudFrontTarget.get_hosted_zone_id(record),
        )


def _pascal(region: str) -> str:
    return "".join(part.capitalize() for part in region.split("-"))


@dataclass(frozen=True)
class DrIngress:
    """The Azure DR ingress as DNS sees it (config ``azure.ingress``, its public IP filled in
    from ``python -m azure_dr outputs``): the third level of the failover chain."""

    public_ip: str
    port: int
    health_path: str
    ttl_seconds: int


@jsii.implements(route53.IAliasRecordTarget)
class _RecordAlias:
    """Alias to another record of the zone that answers only while that record set has a
    healthy member (EvaluateTargetHealth; CDK's Route53RecordTarget cannot set it)."""

    def __init__(self, name: str, zone: route53.IHostedZone) -> None:
        self._name = name
        self._zone = zone

    def bind(
        self, _record: route53.IRecordSet, _zone: route53.IHostedZone | None = None
    ) -> route53.AliasRecordTargetConfig:
        return route53.AliasRecordTargetConfig(
            dns_name=f"{self._name}.",
            hosted_zone_id=self._zone.hosted_zone_id,
            evaluate_target_health=True,
        )


class DnsStack(RegionalStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        dns: DnsConfig,
        region_roles: dict[str, RegionRole],
        https_port: int,
        names: Names,
        removal_policy: RemovalPolicy,
        failover_record: str,
        latency_record: str,
        distribution: cloudfront.IDistribution | None = None,
        read_distribution: cloudfront.IDistribution | None = None,
        shield_advanced: bool = False,
        dr_ingress: DrIngress | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, availability_zones=[], **kwargs)
        self.names = names
        self.logs_key = LogsEncryptionKey(
            self, "LogsKey", alias=names.kms_alias("dns-logs"), removal_policy=removal_policy
        ).key
        retention = log_retention(dns.query_log_retention_days)
        self.sdk_calls = SdkCalls(
            self,
            "SdkCalls",
            log_key=self.logs_key,
            log_retention=retention,
            removal_policy=removal_policy,
        )

        # Zone and query logging. An owned zone takes the log group as a property (and its id
        # is unknown before it exists); an imported zone gets its query-logging config by SDK call.
        zone_arn_pattern = f"arn:{self.partition}:route53:::hostedzone/"
        self.query_logs = QueryLogGroup(
            self,
            "QueryLogs",
            zone_name=dns.domain,
            source_zone_arn=zone_arn_pattern + ("*" if dns.own_hosted_zone else dns.hosted_zone_id),
            retention=retention,
            key=self.logs_key,
            removal_policy=removal_policy,
        )
        self.zone = self._zone(dns)

        # Alarms and health checks, one per region a record points to.
        self.alerts = AlertTopic(
            self,
            "Alerts",
            key_alias=names.kms_alias("dns-alerts"),
            removal_policy=removal_policy,
            email_endpoints=[s.endpoint for s in dns.alarms.subscriptions if s.protocol == "email"],
            https_endpoints=[s.endpoint for s in dns.alarms.subscriptions if s.protocol == "https"],
        )
        regions = dns.ingress_regions(region_roles)
        dns_name_parameter = names.ssm_parameter("ingress", "alb-dns-name")
        zone_id_parameter = names.ssm_parameter("ingress", "alb-hosted-zone-id")
        read_permission = self.sdk_calls.add_policy(
            "ReadIngressParameters",
            [
                read_parameters_policy(
                    self,
                    [(r, p) for r in regions for p in (dns_name_parameter, zone_id_parameter)],
                )
            ],
        )
        self.ingress: dict[str, RegionalIngress] = {}
        self.health_checks: dict[str, AlarmedHealthCheck] = {}
        check = dns.health_check
        for region in regions:
            ingress = RegionalIngress(
                self,
                f"Ingress{_pascal(region)}",
                sdk_calls=self.sdk_calls,
                read_permission=read_permission,
                region=region,
                dns_name_parameter=dns_name_parameter,
                hosted_zone_id_parameter=zone_id_parameter,
                revision=dns.ingress_lookup_revision,
            )
            self.ingress[region] = ingress
            self.health_checks[region] = AlarmedHealthCheck(
                self,
                f"Health{_pascal(region)}",
                name=names.alb_health_check(region),
                fqdn=ingress.dns_name,
                port=https_port,
                path=check.path,
                interval_seconds=check.interval_seconds,
                failure_threshold=check.failure_threshold,
                measure_latency=check.measure_latency,
                checker_regions=list(check.checker_regions),
                alarm_evaluation_periods=dns.alarms.evaluation_periods,
                alarm_topic=self.alerts.topic,
            )

        application_regions = dns.application_regions(region_roles)
        self.dr_gates: dict[str, route53.HealthCheck] = {}
        if dr_ingress is not None and len(application_regions) == 2:
            label = failover_record.split(".", 1)[0]
            self.application_records = self._three_level_chain(
                failover_record,
                f"{label}-standby.{dns.domain}",
                application_regions,
                dr_ingress,
                dns,
            )
        else:
            self.application_records = self._application_records(
                failover_record, application_regions
            )
        self.edge_records: list[route53.RecordSet] = []
        for prefix, label, target in (
            ("Edge", dns.application_record, distribution),
            ("ReadEdge", dns.read_record, read_distribution),
        ):
            if target is not None:
                self.edge_records += self._edge_alias(prefix, f"{label}.{dns.domain}", target)
        if shield_advanced:
            shield.CfnProtection(
                self,
                "ShieldProtection",
                name=names.resource("zone"),
                resource_arn=f"{zone_arn_pattern}{self.zone.hosted_zone_id}",
            )
        self.read_records = self._latency_records(latency_record, dns.latency_regions(region_roles))

        if dns.dnssec:
            self.signing = ZoneSigning(
                self,
                "Dnssec",
                zone=self.zone,
                key_alias=names.kms_alias("dnssec"),
                key_signing_key_name=re.sub(r"[^a-z0-9]", "", names.resource("ksk")),
                removal_policy=removal_policy,
            )

    def _edge_alias(
        self, prefix: str, name: str, distribution: cloudfront.IDistribution
    ) -> list[route53.RecordSet]:
        """A and AAAA alias of ``name`` to a CloudFront distribution (ids ``<prefix>A``,
        ``<prefix>Aaaa``)."""
        target = route53.RecordTarget.from_alias(
            _DistributionAlias(distribution.distribution_domain_name)
        )
        return [
            route53.ARecord(self, f"{prefix}A", zone=self.zone, record_name=name, target=target),
            route53.AaaaRecord(
                self, f"{prefix}Aaaa", zone=self.zone, record_name=name, target=target
            ),
        ]

    def _zone(self, dns: DnsConfig) -> route53.IHostedZone:
        if dns.own_hosted_zone:
            owned = route53.PublicHostedZone(
                self,
                "Zone",
                zone_name=dns.domain,
                query_logs_log_group_arn=self.query_logs.log_group.log_group_arn,
            )
            owned.node.add_dependency(self.query_logs.resource_policy)
            return owned
        zone = route53.PublicHostedZone.from_public_hosted_zone_attributes(
            self, "Zone", hosted_zone_id=dns.hosted_zone_id, zone_name=dns.domain
        )
        QueryLoggingConfig(
            self.query_logs,
            "Config",
            sdk_calls=self.sdk_calls,
            hosted_zone_id=dns.hosted_zone_id,
            log_group_arn=self.query_logs.log_group.log_group_arn,
            after=[self.query_logs.resource_policy],
        )
        return zone

    def _application_records(self, name: str, regions: list[str]) -> list[route53.ARecord]:
        if len(regions) == 1:  # one region (development): nothing to fail over to
            (region,) = regions
            return [
                route53.ARecord(
                    self,
                    "Application",
                    zone=self.zone,
                    record_name=name,
                    target=self.ingress[region].alias_target(),
                )
            ]
        roles = zip((route53.Failover.PRIMARY, route53.Failover.SECONDARY), regions, strict=True)
        return [
            route53.ARecord(
                self,
                f"Application{failover.value.capitalize()}",
                zone=self.zone,
                record_name=name,
                target=self.ingress[region].alias_target(),
                failover=failover,
                set_identifier=f"{failover.value.lower()}-{region}",
                health_check=self.health_checks[region].health_check,
            )
            for failover, region in roles
        ]

    def _three_level_chain(
        self,
        name: str,
        inner_name: str,
        regions: list[str],
        azure: DrIngress,
        dns: DnsConfig,
    ) -> list[route53.ARecord]:
        """us-east-1, then us-west-2, then Azure: the outer failover pair's SECONDARY is an alias
        (EvaluateTargetHealth) to an inner pair whose SECONDARY is the Application Gateway.
        Each AWS level is gated by a CALCULATED health check over its ALB check (threshold 1):
        ``azure_dr failover`` raises the threshold above the number of children, which Route 53
        documents as "always unhealthy", so both AWS levels close even when the ALBs are up.
        Inverting the ALB checks instead would make a dead ALB look healthy."""
        primary, secondary = regions
        for region in regions:
            gate = route53.HealthCheck(
                self,
                f"DrGate{_pascal(region)}",
                type=route53.HealthCheckType.CALCULATED,
                child_health_checks=[self.health_checks[region].health_check],
                health_threshold=1,
            )
            Tags.of(gate).add("Name", self.names.dr_gate(region))
            self.dr_gates[region] = gate
        self.azure_health_check = AlarmedHealthCheck(
            self,
            "HealthAzure",
            name=self.names.resource("azure", "appgw"),
            fqdn=name,
            ip_address=azure.public_ip,
            port=azure.port,
            path=azure.health_path,
            interval_seconds=dns.health_check.interval_seconds,
            failure_threshold=dns.health_check.failure_threshold,
            measure_latency=dns.health_check.measure_latency,
            checker_regions=list(dns.health_check.checker_regions),
            alarm_evaluation_periods=dns.alarms.evaluation_periods,
            alarm_topic=self.alerts.topic,
        )
        standby = route53.ARecord(
            self,
            "ApplicationStandbyPrimary",
            zone=self.zone,
            record_name=inner_name,
            target=self.ingress[secondary].alias_target(),
            failover=route53.Failover.PRIMARY,
            set_identifier=f"primary-{secondary}",
            health_check=self.dr_gates[secondary],
        )
        azure_record = route53.ARecord(
            self,
            "ApplicationStandbySecondary",
            zone=self.zone,
            record_name=inner_name,
            target=route53.RecordTarget.from_ip_addresses(azure.public_ip),
            ttl=Duration.seconds(azure.ttl_seconds),  # CDK's default is 30 minutes
            failover=route53.Failover.SECONDARY,
            set_identifier="secondary-azure",
            health_check=self.azure_health_check.health_check,
        )
        outer_primary = route53.ARecord(
            self,
            "ApplicationPrimary",
            zone=self.zone,
            record_name=name,
            target=self.ingress[primary].alias_target(),
            failover=route53.Failover.PRIMARY,
            set_identifier=f"primary-{primary}",
            health_check=self.dr_gates[primary],
        )
        outer_secondary = route53.ARecord(
            self,
            "ApplicationSecondary",
            zone=self.zone,
            record_name=name,
            target=route53.RecordTarget.from_alias(_RecordAlias(inner_name, self.zone)),
            failover=route53.Failover.SECONDARY,
            set_identifier="secondary-standby-chain",
        )
        outer_secondary.node.add_dependency(standby, azure_record)
        return [outer_primary, outer_secondary, standby, azure_record]

    def _latency_records(self, name: str, regions: list[str]) -> list[route53.ARecord]:
        return [
            route53.ARecord(
                self,
                f"Read{_pascal(region)}",
                zone=self.zone,
                record_name=name,
                target=self.ingress[region].alias_target(),
                region=region,
                set_identifier=f"latency-{region}",
                health_check=self.health_checks[region].health_check,
            )
            for region in regions
        ]
