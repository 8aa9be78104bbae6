"""The regional entry point: an internet-facing ALB with an HTTPS listener (TLS 1.3 for clients,
restricted TLS 1.2 for the Route 53 health checkers), an HTTP listener that only redirects, access
logs to an encrypted bucket and an IP target group that workloads bind their pods to (AWS Load
Balancer Controller ``TargetGroupBinding``).

Behind the edge (``OriginCheck``), the HTTPS listener answers 403 by default and forwards only
requests carrying CloudFront's secret origin header (read at deploy time from Secrets Manager by
dynamic reference), plus the Route 53 health checkers' GET/HEAD of the health path, which cannot
carry a header."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy, Tags
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_route53 as route53
from constructs import Construct

from infra.constructs.log_bucket import log_delivery_bucket

# ALB security policies by their AWS names (the names config/<env>.yaml uses).
SSL_POLICIES = {
    "ELBSecurityPolicy-TLS13-1-3-2021-06": elbv2.SslPolicy.TLS13_13,
    "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09": elbv2.SslPolicy.TLS13_13_PQ,
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06": elbv2.SslPolicy.TLS13_RES,
    "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09": elbv2.SslPolicy.TLS13_12_RES_PQ,
    "ELBSecurityPolicy-TLS13-1-2-2021-06": elbv2.SslPolicy.RECOMMENDED_TLS,
    "ELBSecurityPolicy-TLS13-1-2-PQ-2025-09": elbv2.SslPolicy.TLS13_12_PQ,
    "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06": elbv2.SslPolicy.TLS13_EXT1,
    "ELBSecurityPolicy-TLS13-1-2-Ext1-PQ-2025-09": elbv2.SslPolicy.TLS13_12_EXT1_PQ,
    "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06": elbv2.SslPolicy.TLS13_EXT2,
    "ELBSecurityPolicy-TLS13-1-2-Ext2-PQ-2025-09": elbv2.SslPolicy.TLS13_12_EXT2_PQ,
}
ACCESS_LOG_PREFIX = "alb"
ORIGIN_HEADER_RULE_PRIORITY = 10
HEALTH_PATH_RULE_PRIORITY = 20


@dataclass(frozen=True)
class OriginCheck:
    """What the listener demands once CloudFront is the only way in."""

    header_name: str
    header_values: list[str]  # dynamic references, never the values themselves
    health_check_path: str  # what the Route 53 health checkers request, without the header
    rule_tags: dict[str, str]  # on the header rule: what the rotation Lambda may modify


class Ingress(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        security_group: ec2.ISecurityGroup,
        domain: str,
        hosted_zone_id: str,
        certificate_arn: str | None,
        tls_policy: str,
        https_port: int,
        http_port: int,
        target_port: int,
        health_check_path: str,
        idle_timeout_seconds: int,
        log_bucket_name: str,
        log_retention_days: int,
        deletion_protection: bool,
        removal_policy: RemovalPolicy,
        extra_security_groups: list[ec2.ISecurityGroup] | None = None,
        origin_check: OriginCheck | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_bucket = log_delivery_bucket(
            self,
            "AccessLogs",
            bucket_name=log_bucket_name,
            retention_days=log_retention_days,
            removal_policy=removal_policy,
        )
        if certificate_arn:
            self.certificate = acm.Certificate.from_certificate_arn(
                self, "Certificate", certificate_arn
            )
        else:
            zone = route53.HostedZone.from_hosted_zone_attributes(
                self, "Zone", hosted_zone_id=hosted_zone_id, zone_name=domain
            )
            self.certificate = acm.Certificate(
                self,
                "Certificate",
                domain_name=domain,
                subject_alternative_names=[f"*.{domain}"],
                validation=acm.CertificateValidation.from_dns(zone),
            )
        self.load_balancer = elbv2.ApplicationLoadBalancer(
            self,
            "LoadBalancer",
            vpc=vpc,
            vpc_subnets=subnets,
            internet_facing=True,
            security_group=security_group,
            deletion_protection=deletion_protection,
            drop_invalid_header_fields=True,
            idle_timeout=Duration.seconds(idle_timeout_seconds),
        )
        for group in extra_security_groups or []:
            self.load_balancer.add_security_group(group)
        self.load_balancer.log_access_logs(self.log_bucket, ACCESS_LOG_PREFIX)
        self.target_group = elbv2.ApplicationTargetGroup(
            self,
            "AppTargets",
            vpc=vpc,
            target_type=elbv2.TargetType.IP,
            protocol=elbv2.ApplicationProtocol.HTTP,
            port=target_port,
            health_check=elbv2.HealthCheck(
                path=health_check_path, port=str(target_port), healthy_http_codes="200"
            ),
        )
        self.https_listener = self.load_balancer.add_listener(
            "Https",
            protocol=elbv2.ApplicationProtocol.HTTPS,
            port=https_port,
            ssl_policy=SSL_POLICIES[tls_policy],
            certificates=[elbv2.ListenerCertificate.from_certificate_manager(self.certificate)],
            default_action=(
                elbv2.ListenerAction.forward([self.target_group])
                if origin_check is None
                else elbv2.ListenerAction.fixed_response(
                    403, content_type="text/plain", message_body="Forbidden"
                )
            ),
            open=False,  # the web_tier group already says who may connect
        )
        self.origin_rule: elbv2.ApplicationListenerRule | None = None
        if origin_check is not None:
            self.origin_rule = self._origin_rules(origin_check)
        self.http_listener = self.load_balancer.add_listener(
            "HttpRedirect",
            protocol=elbv2.ApplicationProtocol.HTTP,
            port=http_port,
            default_action=elbv2.ListenerAction.redirect(
                protocol="HTTPS", port=str(https_port), permanent=True
            ),
            open=False,
        )

    def _origin_rules(self, check: OriginCheck) -> elbv2.ApplicationListenerRule:
        header_rule = elbv2.ApplicationListenerRule(
            self,
            "FromCloudFront",
            listener=self.https_listener,
            priority=ORIGIN_HEADER_RULE_PRIORITY,
            conditions=[
                elbv2.ListenerCondition.http_header(check.header_name, check.header_values)
            ],
            action=elbv2.ListenerAction.forward([self.target_group]),
        )
        for key, value in check.rule_tags.items():
            Tags.of(header_rule).add(key, value)
        # Route 53 health checks cannot send headers; the security groups admit only the
        # checkers and CloudFront, and the health path reveals nothing but "healthy".
        elbv2.ApplicationListenerRule(
            self,
            "HealthCheckers",
            listener=self.https_listener,
            priority=HEALTH_PATH_RULE_PRIORITY,
            conditions=[
                elbv2.ListenerCondition.path_patterns([check.health_check_path]),
                elbv2.ListenerCondition.http_request_methods(["GET", "HEAD"]),
            ],
            action=elbv2.ListenerAction.forward([self.target_group]),
        )
        return header_rule
