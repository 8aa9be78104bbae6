"""One site-to-site VPN connection on a Transit Gateway: its customer gateway, one pre-shared key
per tunnel generated into Secrets Manager (the template holds only dynamic references), the two
tunnels (BGP, IKEv2 only, the cipher suite the Azure side's IPsec policy names), the Transit
Gateway route-table association and propagation of its attachment, and its tunnel alarm.

CloudFormation gives a VPN connection's Transit Gateway attachment id no attribute, so an SDK
call (DescribeTransitGatewayAttachments by resource id) reads it for the association.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import CfnTag, Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import custom_resources as cr
from constructs import Construct

from infra.config.link import TUNNEL_POLICY
from infra.constructs.sdk_calls import SdkCalls

# AWS pre-shared keys: 8-64 characters, letters, digits, '.' and '_', not starting with '0'.
PSK_LENGTH = 40
PSK_EXCLUDED = "0"  # keeps every key valid whatever its first character


class VpnConnection(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        secret_prefix: str,
        transit_gateway_id: str,
        association_table_id: str,
        propagation_table_id: str,
        remote_ip: str,
        remote_asn: int,
        inside_cidrs: Sequence[str],
        key: kms.IKey,
        sdk_calls: SdkCalls,
        lookup_permission: iam.ManagedPolicy,
        topic: sns.ITopic,
        alarm_period: Duration,
        alarm_evaluation_periods: int,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.customer_gateway = ec2.CfnCustomerGateway(
            self,
            "CustomerGateway",
            bgp_asn=remote_asn,
            ip_address=remote_ip,
            type="ipsec.1",
            tags=[CfnTag(key="Name", value=name)],
        )
        self.secrets = [
            secretsmanager.Secret(
                self,
                f"Tunnel{index}Key",
                secret_name=f"{secret_prefix}/tunnel-{index}",
                description=f"Pre-shared key of {name}, tunnel {index}",
                encryption_key=key,
                generate_secret_string=secretsmanager.SecretStringGenerator(
                    password_length=PSK_LENGTH,
                    exclude_punctuation=True,
                    include_space=False,
                    exclude_characters=PSK_EXCLUDED,
                ),
                removal_policy=removal_policy,
            )
            for index in (1, 2)
        ]
        policy = TUNNEL_POLICY
        tunnels = [
            ec2.CfnVPNConnection.VpnTunnelOptionsSpecificationProperty(
                tunnel_inside_cidr=cidr,
                # A dynamic reference: CloudFormation resolves it at deploy, the template and
                # its events never hold the key.
                pre_shared_key=secret.secret_value.unsafe_unwrap(),
                ike_versions=[ec2.CfnVPNConnection.IKEVersionsRequestListValueProperty(
                    value="ikev2")],
                phase1_encryption_algorithms=[
                    ec2.CfnVPNConnection.Phase1EncryptionAlgorithmsRequestListValueProperty(
                        value=policy.phase1_encryption)],
                phase1_integrity_algorithms=[
                    ec2.CfnVPNConnection.Phase1IntegrityAlgorithmsRequestListValueProperty(
                        value=policy.phase1_integrity)],
                phase1_dh_group_numbers=[
                    ec2.CfnVPNConnection.Phase1DHGroupNumbersRequestListValueProperty(
                        value=policy.phase1_dh_group)],
                phase1_lifetime_seconds=policy.phase1_lifetime_seconds,
                phase2_encryption_algorithms=[
                    ec2.CfnVPNConnection.Phase2EncryptionAlgorithmsRequestListValueProperty(
                        value=policy.phase2_encryption)],
                phase2_integrity_algorithms=[
                    ec2.CfnVPNConnection.Phase2IntegrityAlgorithmsRequestListValueProperty(
                        value=policy.phase2_integrity)],
                phase2_dh_group_numbers=[
                    ec2.CfnVPNConnection.Phase2DHGroupNumbersRequestListValueProperty(
                        value=policy.phase2_dh_group)],
                phase2_lifetime_seconds=policy.phase2_lifetime_seconds,
                startup_action="start",  # AWS initiates: either side may come up first
            )
            for cidr, secret in zip(inside_cidrs, self.secrets, strict=True)
        ]  # fmt: skip
        self.connection = ec2.CfnVPNConnection(
            self,
            "Connection",
            type="ipsec.1",
            customer_gateway_id=self.customer_gateway.ref,
            transit_gateway_id=transit_gateway_id,
            static_routes_only=False,  # BGP
            vpn_tunnel_options_specifications=tunnels,
            tags=[CfnTag(key="Name", value=name)],
        )
        lookup = sdk_calls.call(
            self,
            "Attachment",
            on_create=_describe_attachment(self.connection.ref),
            on_update=_describe_attachment(self.connection.ref),
            permissions=[lookup_permission],
        )
        lookup.node.add_dependency(self.connection)
        attachment_id = lookup.get_response_field(ATTACHMENT_ID_PATH)
        ec2.CfnTransitGatewayRouteTableAssociation(
            self,
            "Association",
            transit_gateway_attachment_id=attachment_id,
            transit_gateway_route_table_id=association_table_id,
        )
        ec2.CfnTransitGatewayRouteTablePropagation(
            self,
            "Propagation",
            transit_gateway_attachment_id=attachment_id,
            transit_gateway_route_table_id=propagation_table_id,
        )
        # TunnelState is 1 while a tunnel is up; for a BGP connection, while its BGP session
        # is established. Minimum over the connection's tunnels: one tunnel down alarms.
        self.alarm = cloudwatch.Alarm(
            self,
            "TunnelDown",
            alarm_name=f"{name}-tunnel-down",
            alarm_description=(
                f"A tunnel (or its BGP session) of {name} is down; the other tunnel carries the "
                "traffic without redundancy. Runbook: docs/runbooks.md, 'cross-cloud link down'."
            ),
            metric=cloudwatch.Metric(
                namespace="AWS/VPN",
                metric_name="TunnelState",
                dimensions_map={"VpnId": self.connection.ref},
                statistic="Minimum",
                period=alarm_period,
            ),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluation_periods=alarm_evaluation_periods,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        )
        action = cw_actions.SnsAction(topic)
        self.alarm.add_alarm_action(action)
        self.alarm.add_ok_action(action)


ATTACHMENT_ID_PATH = "TransitGatewayAttachments.0.TransitGatewayAttachmentId"


def _describe_attachment(vpn_connection_id: str) -> cr.AwsSdkCall:
    return cr.AwsSdkCall(
        service="EC2",
        action="describeTransitGatewayAttachments",
        parameters={
            "Filters": [
                {"Name": "resource-id", "Values": [vpn_connection_id]},
                {"Name": "resource-type", "Values": ["vpn"]},
            ]
        },
        physical_resource_id=cr.PhysicalResourceId.of(vpn_connection_id),
        output_paths=[ATTACHMENT_ID_PATH],
    )
