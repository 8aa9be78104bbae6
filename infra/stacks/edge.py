"""Global edge of one environment, deployed in us-east-1 (where CloudFront takes its viewer
certificate and its CLOUDFRONT-scope WAF web ACL).

Creates: a CloudFront distribution for ``app.<domain>`` (viewer certificate from ACM, DNS-validated
in the hosted zone; HTTP/2 and HTTP/3; the configured minimum viewer TLS policy), whose one origin
is the DNS failover chain ``<edge.origin_record>.<domain>`` over HTTPS; cache policies for the
static paths and none for the API; a second, read-only distribution (GET/HEAD/OPTIONS, no caching)
for the read endpoint ``<dns.read_record>.<domain>``, whose origin is the latency records
``<edge.read_origin_record>.<domain>``; a WAFv2 web ACL at CLOUDFRONT scope (AWS managed rule
groups, a per-IP rate limit, KMS-encrypted logs) on both; access logs (standard logging v2) of both
into one S3 bucket; the secret origin header in Secrets Manager, replicated to every ALB region,
sent by both, and its automatic rotation (a schedule of ``edge.origin_secret_rotation_days`` and
the rotation Lambda ``lambdas/origin_rotation``, which updates the ALB listener rules of every
region and every distribution listed in ``distributions``); Shield Advanced protection of both
when ``edge.shield_advanced`` is set.

The ALB listeners read the same secret (their replica) at deploy time, so the regional compute
stacks deploy after this one; the DNS stack aliases ``app.<domain>`` to ``distribution`` and the
read endpoint to ``read_distribution``. ``distributions`` lists every distribution that carries
the origin header (what a rotation must update).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, RemovalPolicy
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_kms as kms
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_shield as shield
from constructs import Construct

from infra.config.backup import BackupConfig
from infra.config.edge import EdgeConfig
from infra.constructs.distribution import EdgeDistribution, StaticTtls
from infra.constructs.edge_access_logs import EdgeAccessLogs
from infra.constructs.encryption import LogsEncryptionKey
from infra.constructs.log_bucket import log_delivery_bucket
from infra.constructs.origin_rotation import (
    OriginSecretRotation,
    RotationTargets,
    runtime_like_the_jobs,
)
from infra.constructs.origin_secret import CURRENT, SECRET_LENGTH, OriginSecret, dynamic_reference
from infra.constructs.retention import log_retention
from infra.constructs.web_acl import WebAcl
from infra.naming import Names
from infra.stacks.base import RegionalStack

# CloudFront takes ACM certificates and CLOUDFRONT-scope web ACLs from this region only.
EDGE_HOME_REGION = "us-east-1"


class EdgeStack(RegionalStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        edge: EdgeConfig,
        domain: str,
        hosted_zone_id: str,
        application_record: str,
        read_record: str,
        alb_regions: list[str],
        https_port: int,
        backup: BackupConfig,
        names: Names,
        removal_policy: RemovalPolicy,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, availability_zones=[], **kwargs)
        name = names.resource("edge")
        self.application_name = f"{application_record}.{domain}"
        self.origin_name = f"{edge.origin_record}.{domain}"
        self.read_name = f"{read_record}.{domain}"
        self.read_origin_name = f"{edge.read_origin_record}.{domain}"

        logs_key = LogsEncryptionKey(
            self, "LogsKey", alias=names.kms_alias("edge-logs"), removal_policy=removal_policy
        ).key
        self.waf = WebAcl(
            self,
            "Waf",
            name=name,
            resource_arn=None,  # attached by the distribution's WebACLId
            rate_limit=edge.rate_limit_per_5_minutes,
            log_key=logs_key,
            log_retention=log_retention(edge.waf_log_retention_days),
            removal_policy=removal_policy,
            scope_name="CLOUDFRONT",
        )
        self.origin_secret = OriginSecret(
            self,
            "OriginSecret",
            secret_name=names.origin_secret(),
            replica_regions=[r for r in alb_regions if r != self.region],
            removal_policy=removal_policy,
        )
        self._zone = route53.HostedZone.from_hosted_zone_attributes(
            self, "Zone", hosted_zone_id=hosted_zone_id, zone_name=domain
        )
        self._edge, self._name, self._https_port = edge, name, https_port
        self._secret_name = names.origin_secret()
        self.edge = self._site(
            "", self.application_name, self.origin_name, edge.api_paths, edge.static_paths
        )
        self.certificate = self.edge.certificate
        self.distribution = self.edge.distribution
        # The read endpoint: read replicas behind it, so only the methods that read.
        self.read_edge = self._site("Read", self.read_name, self.read_origin_name, read_only=True)
        self.read_distribution = self.read_edge.distribution
        # Every distribution that sends the origin header: the rotation updates each of them.
        self.distributions: list[cloudfront.IDistribution] = [
            self.distribution,
            self.read_distribution,
        ]
        self.rotation = self._rotation(edge, alb_regions, backup, names, logs_key, removal_policy)

        self.log_bucket = log_delivery_bucket(
            self,
            "AccessLogBucket",
            bucket_name=names.resource("edge-logs", self.account),
            retention_days=edge.access_log_retention_days,
            removal_policy=removal_policy,
        )
        self.access_logs = EdgeAccessLogs(
            self,
            "AccessLogs",
            distribution_arn=self.distribution.distribution_arn,
            name=name,
            bucket=self.log_bucket,
        )
        self.access_logs.add_distribution(
            "Read", name=f"{name}-read", distribution_arn=self.read_distribution.distribution_arn
        )
        if edge.shield_advanced:
            for prefix, distribution in (("", self.distribution), ("Read", self.read_distribution)):
                shield.CfnProtection(
                    self,
                    f"{prefix}ShieldProtection",
                    name=f"{name}-read" if prefix else name,
                    resource_arn=distribution.distribution_arn,
                )
        for prefix, distribution in (("", self.distribution), ("Read", self.read_distribution)):
            CfnOutput(
                self,
                f"{prefix}DistributionDomainName",
                value=distribution.distribution_domain_name,
            )
            CfnOutput(self, f"{prefix}DistributionId", value=distribution.distribution_id)

    def _site(
        self,
        prefix: str,
        domain_name: str,
        origin_name: str,
        api_paths: list[str] | None = None,
        static_paths: list[str] | None = None,
        *,
        read_only: bool = False,
    ) -> EdgeDistribution:
        """One public name at the edge: its viewer certificate and its distribution (construct
        ids ``<prefix>Certificate`` and ``<prefix>Edge``; the first site keeps the unprefixed
        ids it was deployed with)."""
        edge, name = self._edge, self._name + (f"-{prefix.lower()}" if prefix else "")
        certificate = acm.Certificate(
            self,
            f"{prefix}Certificate",
            domain_name=domain_name,
            validation=acm.CertificateValidation.from_dns(self._zone),
        )
        ttls = edge.static_cache
        site = EdgeDistribution(
            self,
            f"{prefix}Edge",
            name=name,
            domain_name=domain_name,
            certificate=certificate,
            origin_name=origin_name,
            https_port=self._https_port,
            origin_header_name=edge.origin_header_name,
            origin_header_value=dynamic_reference(self._secret_name, CURRENT),
            origin_read_timeout_seconds=edge.origin_read_timeout_seconds,
            api_paths=list(api_paths or []),
            static_paths=list(static_paths or []),
            static_ttls=StaticTtls(
                ttls.min_ttl_seconds, ttls.default_ttl_seconds, ttls.max_ttl_seconds
            ),
            viewer_security_policy=edge.viewer_security_policy,
            price_class=edge.price_class,
            web_acl_arn=self.waf.web_acl.attr_arn,
            read_only=read_only,
            comment=f"{name}: {domain_name} -> {origin_name}",
        )
        # The header value must exist (and be replicated) before CloudFront resolves it.
        site.distribution.node.add_dependency(self.origin_secret)
        return site

    def _rotation(
        self,
        edge: EdgeConfig,
        alb_regions: list[str],
        backup: BackupConfig,
        names: Names,
        key: kms.IKey,
        removal_policy: RemovalPolicy,
    ) -> OriginSecretRotation:
        targets = RotationTargets(
            secret=self.origin_secret.secret,
            secret_name=names.origin_secret(),
            header_name=edge.origin_header_name,
            alb_regions=list(alb_regions),
            rule_parameter=names.origin_check_rule_parameter(),
            distributions=self.distributions,
            web_acl_arn=self.waf.web_acl.attr_arn,
        )
        return OriginSecretRotation(
            self,
            "OriginRotation",
            function_name=names.origin_rotation_function(),
            targets=targets,
            settings={
                "secret_name": targets.secret_name,
                "header_name": targets.header_name,
                "alb_regions": targets.alb_regions,
                "rule_parameter": targets.rule_parameter,
                "home_region": EDGE_HOME_REGION,
                "value_length": SECRET_LENGTH,
                "rule_settle_seconds": edge.origin_secret_rule_settle_seconds,
                "retry_mode": backup.retry_mode,
                "retry_max_attempts": backup.retry_max_attempts,
            },
            runtime=runtime_like_the_jobs(self, backup),
            rotation_days=edge.origin_secret_rotation_days,
            key=key,
            removal_policy=removal_policy,
        )
