"""An ElastiCache Redis replication group: encrypted at rest and in transit, AUTH token from
Secrets Manager (the template holds only a dynamic reference), logs to encrypted log groups."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

LOG_TYPES = {"slow-log": "SlowLog", "engine-log": "EngineLog"}


class RedisGroup(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        group_id: str,
        engine_version: str,
        node_type: str,
        num_nodes: int,
        port: int,
        subnet_ids: list[str],
        security_group: ec2.ISecurityGroup,
        key: kms.IKey,
        logs_key: kms.IKey,
        log_retention: logs.RetentionDays,
        snapshot_retention_days: int,
        snapshot_window: str,
        maintenance_window: str,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.auth_secret = secretsmanager.Secret(
            self,
            "AuthToken",
            description=f"AUTH token of Redis {group_id}",
            encryption_key=key,
            # Redis AUTH accepts 16-128 printable characters except space, '"', '/' and '@'.
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True
            ),
            removal_policy=removal_policy,
        )
        self.subnet_group = elasticache.CfnSubnetGroup(
            self,
            "SubnetGroup",
            cache_subnet_group_name=group_id,
            description=f"{group_id}: isolated data subnets",
            subnet_ids=subnet_ids,
        )
        self.log_groups = {
            log_type: logs.LogGroup(
                self,
                construct_name,
                encryption_key=logs_key,
                retention=log_retention,
                removal_policy=removal_policy,
            )
            for log_type, construct_name in LOG_TYPES.items()
        }
        multi_node = num_nodes > 1
        self.group = elasticache.CfnReplicationGroup(
            self,
            "Group",
            replication_group_id=group_id,
            replication_group_description=f"Redis of {group_id}",
            engine="redis",
            engine_version=engine_version,
            cache_parameter_group_name=f"default.redis{engine_version.split('.')[0]}",
            cache_node_type=node_type,
            num_cache_clusters=num_nodes,
            automatic_failover_enabled=multi_node,
            multi_az_enabled=multi_node,
            port=port,
            cache_subnet_group_name=self.subnet_group.ref,
            security_group_ids=[security_group.security_group_id],
            at_rest_encryption_enabled=True,
            kms_key_id=key.key_arn,
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            # A {{resolve:secretsmanager:...}} dynamic reference, resolved by CloudFormation.
            auth_token=self.auth_secret.secret_value.unsafe_unwrap(),
            snapshot_retention_limit=snapshot_retention_days,
            snapshot_window=snapshot_window,
            preferred_maintenance_window=maintenance_window,
            auto_minor_version_upgrade=True,
            log_delivery_configurations=[
                elasticache.CfnReplicationGroup.LogDeliveryConfigurationRequestProperty(
                    destination_type="cloudwatch-logs",
                    destination_details=elasticache.CfnReplicationGroup.DestinationDetailsProperty(
                        cloud_watch_logs_details=elasticache.CfnReplicationGroup.CloudWatchLogsDestinationDetailsProperty(
                            log_group=log_group.log_group_name
                        )
                    ),
                    log_format="json",
                    log_type=log_type,
                )
                for log_type, log_group in self.log_groups.items()
            ],
        )
        self.group.apply_removal_policy(removal_policy)
        self.group_id = group_id
