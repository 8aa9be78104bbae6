"""DNSSEC signing of a public hosted zone: the KMS key, the key-signing key and the signing."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_route53 as route53
from constructs import Construct


class ZoneSigning(Construct):
    """Route 53 requires an asymmetric ECC_NIST_P256 SIGN_VERIFY key in us-east-1. The
    KeySigningKey construct adds the key policy Route 53 needs (``dnssec-route53`` may
    DescribeKey, GetPublicKey and Sign for this zone only, and CreateGrant for AWS resources).
    After the first deploy, publish the DS record at the parent domain (docs/tiers.md, DNS)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        zone: route53.IHostedZone,
        key_alias: str,
        key_signing_key_name: str,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            alias=key_alias,
            description=f"DNSSEC key-signing key of {zone.zone_name} ({key_alias})",
            key_spec=kms.KeySpec.ECC_NIST_P256,
            key_usage=kms.KeyUsage.SIGN_VERIFY,
            removal_policy=removal_policy,
        )
        self.key_signing_key = route53.KeySigningKey(
            self,
            "KeySigningKey",
            hosted_zone=zone,
            kms_key=self.key,
            key_signing_key_name=key_signing_key_name,
            status=route53.KeySigningKeyStatus.ACTIVE,
        )
        self.signing = route53.CfnDNSSEC(self, "Signing", hosted_zone_id=zone.hosted_zone_id)
        self.signing.node.add_dependency(self.key_signing_key)
