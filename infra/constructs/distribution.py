"""A CloudFront distribution in front of the regional ALBs (the edge stack builds one per public
name: ``app.<domain>`` and the read endpoint ``api-read.<domain>``).

One origin, a Route 53 name over the ALBs (the failover chain ``origin.<domain>``, or the latency
records ``read-origin.<domain>``): Route 53 decides which region answers, CloudFront only
carries the request there over HTTPS with the secret origin header. No origin group: CloudFront
would retry a 5xx on a second origin, which can only be the standby's ALB, and the standby must
not take traffic (writes to a read replica) before the Region switch plan has promoted it; origin
groups also fail over GET/HEAD/OPTIONS only (docs/decisions.md). No Origin Shield either: it would
send every request through one Region, so latency records would always answer for that Region.

Cache behaviours: the static path patterns use a caching policy with the configured TTLs;
the API patterns and the default behaviour use AWS's CachingDisabled policy and forward every
viewer header except Host (the ALB's certificate covers the origin name), cookie and query string.
A read-only distribution accepts GET, HEAD and OPTIONS only (CloudFront answers 403 to the rest).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from constructs import Construct

# CloudFront's names (config) -> aws-cdk-lib 2.275's SecurityPolicyProtocol.
VIEWER_POLICIES = {
    "TLSv1.2_2021": cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
    "TLSv1.2_2025": cloudfront.SecurityPolicyProtocol.TLS_V1_2_2025,
    "TLSv1.3_2025": cloudfront.SecurityPolicyProtocol.TLS_V1_3_2025,
}
PRICE_CLASSES = {
    "PriceClass_100": cloudfront.PriceClass.PRICE_CLASS_100,
    "PriceClass_200": cloudfront.PriceClass.PRICE_CLASS_200,
    "PriceClass_All": cloudfront.PriceClass.PRICE_CLASS_ALL,
}


@dataclass(frozen=True)
class StaticTtls:
    min_seconds: int
    default_seconds: int
    max_seconds: int


class EdgeDistribution(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        domain_name: str,
        certificate: acm.ICertificate,
        origin_name: str,
        https_port: int,
        origin_header_name: str,
        origin_header_value: str,
        origin_read_timeout_seconds: int,
        api_paths: list[str],
        viewer_security_policy: str,
        price_class: str,
        web_acl_arn: str,
        comment: str,
        static_paths: list[str] | None = None,
        static_ttls: StaticTtls | None = None,
        read_only: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self.certificate = certificate
        origin = origins.HttpOrigin(
            origin_name,
            protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            https_port=https_port,
            origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
            custom_headers={origin_header_name: origin_header_value},
            read_timeout=Duration.seconds(origin_read_timeout_seconds),
        )
        dynamic = cloudfront.BehaviorOptions(
            origin=origin,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
            allowed_methods=(
                cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS
                if read_only
                else cloudfront.AllowedMethods.ALLOW_ALL
            ),
            cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
            origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
            compress=True,
        )
        behaviours = {path: dynamic for path in api_paths}
        if static_paths:
            assert static_ttls is not None, "static paths need their TTLs"
            static = cloudfront.BehaviorOptions(
                origin=origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
                cached_methods=cloudfront.CachedMethods.CACHE_GET_HEAD_OPTIONS,
                cache_policy=self._static_policy(name, static_ttls),
                compress=True,
            )
            behaviours.update({path: static for path in static_paths})
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=comment,
            domain_names=[domain_name],
            certificate=certificate,
            minimum_protocol_version=VIEWER_POLICIES[viewer_security_policy],
            ssl_support_method=cloudfront.SSLMethod.SNI,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            enable_ipv6=True,
            price_class=PRICE_CLASSES[price_class],
            web_acl_id=web_acl_arn,
            default_behavior=dynamic,
            additional_behaviors=behaviours,
        )

    def _static_policy(self, name: str, ttls: StaticTtls) -> cloudfront.CachePolicy:
        return cloudfront.CachePolicy(
            self,
            "StaticCache",
            cache_policy_name=f"{name}-static",
            comment="Static paths: cached at the edge, compressed, keyed on the query string",
            min_ttl=Duration.seconds(ttls.min_seconds),
            default_ttl=Duration.seconds(ttls.default_seconds),
            max_ttl=Duration.seconds(ttls.max_seconds),
            query_string_behavior=cloudfront.CacheQueryStringBehavior.all(),
            header_behavior=cloudfront.CacheHeaderBehavior.none(),
            cookie_behavior=cloudfront.CacheCookieBehavior.none(),
            enable_accept_encoding_gzip=True,
            enable_accept_encoding_brotli=True,
        )
