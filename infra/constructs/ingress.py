"""The regional entry point: an internet-facing ALB with an HTTPS listener (TLS 1.3 for clients,
restricted TLS 1.2 for the Route 53 health checkers), an HTTP listener that only redirects, access
logs to an encrypted bucket and an IP target group that workloads bind their pods to (AWS Load
Balancer Controller ``TargetGroupBinding``)."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
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
            default_target_groups=[self.target_group],
            open=False,  # the web_tier group already says who may connect
        )
        self.http_listener = self.load_balancer.add_listener(
            "HttpRedirect",
            protocol=elbv2.ApplicationProtocol.HTTP,
            port=http_port,
            default_action=elbv2.ListenerAction.redirect(
                protocol="HTTPS", port=str(https_port), permanent=True
            ),
            open=False,
        )
