"""An RDS for PostgreSQL instance: the primary, or a read replica of a primary in another region.

Both are the L1 ``CfnDBInstance``: the L2 read-replica construct cannot take a source in another
region, and the L2 instance cannot let RDS manage the master secret (``ManageMasterUserPassword``),
which gives rotation without a rotation Lambda inside the isolated data subnets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import RemovalPolicy, Tags
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from constructs import Construct

# Every log type RDS for PostgreSQL can export (cdk-nag RDSLoggingEnabled wants all of them).
LOG_EXPORTS = ("postgresql", "upgrade")


@dataclass(frozen=True)
class Storage:
    allocated_gb: int
    max_allocated_gb: int
    iops: int | None


@dataclass(frozen=True)
class Primary:
    """What only the primary has: the engine version, the database and its master user."""

    engine_version: str
    database_name: str
    master_username: str


@dataclass(frozen=True)
class Replica:
    """A cross-region read replica: its source is addressed by ARN, never by object."""

    source_instance_arn: str
    source_region: str
    promotable: bool


class PostgresInstance(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        identifier: str,
        role: Primary | Replica,
        parameter_group_family: str,
        instance_class: str,
        storage: Storage,
        multi_az: bool,
        port: int,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        security_group: ec2.ISecurityGroup,
        key: kms.IKey,
        logs_key: kms.IKey,
        log_retention: logs.RetentionDays,
        backup_retention_days: int,
        backup_window: str,
        maintenance_window: str,
        performance_insights_retention_days: int,
        monitoring_interval_seconds: int,
        deletion_protection: bool,
        removal_policy: RemovalPolicy,
        logical_replication: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self.subnet_group = rds.SubnetGroup(
            self,
            "SubnetGroup",
            description=f"{identifier}: isolated data subnets",
            vpc=vpc,
            vpc_subnets=subnets,
            removal_policy=removal_policy,
        )
        self.parameter_group = rds.CfnDBParameterGroup(
            self,
            "Parameters",
            family=parameter_group_family,
            description=f"{identifier}: TLS required for every connection",
            # Logical replication to Azure (continuous mode) needs rds.logical_replication on
            # the publisher; a static parameter: it takes effect at the next reboot.
            parameters={"rds.force_ssl": "1"}
            | ({"rds.logical_replication": "1"} if logical_replication else {}),
        )
        self.monitoring_role = iam.Role(
            self,
            "MonitoringRole",
            assumed_by=iam.ServicePrincipal("monitoring.rds.amazonaws.com"),
            description=f"Enhanced monitoring of {identifier}",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(
                    "service-role/AmazonRDSEnhancedMonitoringRole"
                )
            ],
        )
        # Created here rather than by RDS so that they are encrypted, retained and expire.
        self.log_groups = {
            log: logs.LogGroup(
                self,
                f"{log.capitalize()}Log",
                log_group_name=f"/aws/rds/instance/{identifier}/{log}",
                encryption_key=logs_key,
                retention=log_retention,
                removal_policy=removal_policy,
            )
            for log in LOG_EXPORTS
        }

        common: dict[str, Any] = {
            "db_instance_identifier": identifier,
            "db_instance_class": instance_class,
            "allocated_storage": str(storage.allocated_gb),
            "max_allocated_storage": storage.max_allocated_gb,
            "storage_type": "gp3",
            "iops": storage.iops,
            "kms_key_id": key.key_arn,
            "multi_az": multi_az,
            "port": str(port),
            "db_subnet_group_name": self.subnet_group.subnet_group_name,
            "vpc_security_groups": [security_group.security_group_id],
            "publicly_accessible": False,
            "db_parameter_group_name": self.parameter_group.ref,
            "enable_iam_database_authentication": True,
            "backup_retention_period": backup_retention_days,
            "preferred_backup_window": backup_window,
            "preferred_maintenance_window": maintenance_window,
            "copy_tags_to_snapshot": True,
            "deletion_protection": deletion_protection,
            "delete_automated_backups": removal_policy is not RemovalPolicy.RETAIN,
            "auto_minor_version_upgrade": True,
            "enable_performance_insights": True,
            "performance_insights_kms_key_id": key.key_arn,
            "performance_insights_retention_period": performance_insights_retention_days,
            "monitoring_interval": monitoring_interval_seconds,
            "monitoring_role_arn": self.monitoring_role.role_arn,
            "enable_cloudwatch_logs_exports": list(LOG_EXPORTS),
        }
        if isinstance(role, Primary):
            self.instance = rds.CfnDBInstance(
                self,
                "Instance",
                engine="postgres",
                engine_version=role.engine_version,
                # A replica inherits encryption from its source (and may not restate it).
                storage_encrypted=True,
                db_name=role.database_name,
                master_username=role.master_username,
                # RDS generates the password, keeps it in Secrets Manager encrypted with this
                # key and rotates it (every 7 days by default): no password in the template.
                manage_master_user_password=True,
                master_user_secret=rds.CfnDBInstance.MasterUserSecretProperty(
                    kms_key_id=key.key_arn
                ),
                **common,
            )
            failover_role = "primary"
        else:
            self.instance = rds.CfnDBInstance(
                self,
                "Instance",
                source_db_instance_identifier=role.source_instance_arn,
                source_region=role.source_region,
                **common,
            )
            failover_role = "promotable-standby" if role.promotable else "read-replica"
        self.instance.apply_removal_policy(removal_policy)
        for log_group in self.log_groups.values():
            self.instance.node.add_dependency(log_group)
        # Runbooks and the failover tooling select the instance to promote by this tag.
        Tags.of(self.instance).add("fdr:failover-role", failover_role)
        self.identifier = identifier

    def replicate_backups_to(self, *, region: str, key_arn: str, retention_days: int) -> None:
        """RDS cross-Region automated backup replication: snapshots and transaction logs copied
        into ``region`` as they are made, for point-in-time restore there. ``key_arn`` must be a
        key ARN of that region (the CloudFormation property documents the key ARN form, not an
        alias); RDS uses it there on the deployer's behalf through a grant."""
        self.instance.automatic_backup_replication_region = region
        self.instance.automatic_backup_replication_kms_key_id = key_arn
        self.instance.automatic_backup_replication_retention_period = retention_days
