"""The dump job of the replication tier: ``pg_dump -Fc`` of the region's read replica streamed
to the Azure DR storage account (azure_dr/database/job.py), as an ECS Fargate task.

Why Fargate and not Lambda: a dump of a large database runs longer than Lambda's 15 minutes, and
pg_dump is a native program (an image carries the PGDG client of the engine's major version).

- Image: ``images/database-dump/Dockerfile``, a DockerImageAsset. It is built and pushed by
  ``cdk deploy``; synth only stages the (small, exclude-limited) context, so synth stays offline.
- Network: the application subnets of the region's VPC (private, egress through the NAT
  gateways, whose Elastic IPs the Azure storage firewall admits); its own security group, egress
  HTTPS and PostgreSQL to the data tier only, and the database group admits it on PostgreSQL.
- Identity: the task role is the replicator role (the Entra federated credential trusts exactly
  that role); this construct adds ``rds-db:connect`` for the dump user on the replica only.
  IAM database authentication: no password exists.
- Schedule: EventBridge Scheduler, every ``dump_interval_minutes`` (RunTask, retries, DLQ).
- Alarm: ``DumpAgeSeconds`` (dimension ``DataSet=database``) above interval + grace, missing
  data breaching; routed by the monitoring stack's composite like the objects RPO.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Duration, IgnoreMode, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config.database_replication import DatabaseReplicationConfig
from infra.constructs.retention import log_retention
from infra.constructs.scheduler_role import scheduler_role

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = "images/database-dump/Dockerfile"
AGE_METRIC = "DumpAgeSeconds"
# The dimension set the job's EMF carries (azure_dr/database/job.py DIMENSIONS).
AGE_DIMENSIONS = {"DataSet": "database"}
# The image context: everything but these paths is excluded (and never fingerprinted).
CONTEXT = [
    "azure_dr/__init__.py", "azure_dr/database", "lambdas/object_replication",
    "images/database-dump",
]  # fmt: skip


def context_excludes() -> list[str]:
    """Everything but CONTEXT, as a fixed list (the patterns enter the asset hash: a list
    computed from the checkout's folders would differ between machines)."""
    return [
        "*", "!azure_dr", "azure_dr/*", "!azure_dr/__init__.py", "!azure_dr/database",
        "!lambdas", "lambdas/*", "!lambdas/object_replication", "!images", "images/*",
        "!images/database-dump", "**/__pycache__", "**/*.pyc",
    ]  # fmt: skip


class DatabaseDumpJob(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DatabaseReplicationConfig,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        database_security_group_id: str,
        postgres_port: int,
        https_port: int,
        replica_host: str,
        replica_resource_id: str,
        database_name: str,
        pg_major: str,
        settings: dict[str, Any],
        task_role: iam.Role,
        key: kms.IKey,
        dead_letters: sqs.IQueue,
        resource_prefix: str,
        metric_namespace: str,
        architecture: str,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="database dump job: HTTPS out (AWS, Entra, Azure Storage), PostgreSQL",
            allow_all_outbound=False,
        )
        self.security_group.add_egress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(https_port), "HTTPS to AWS APIs, Entra, Azure Blob"
        )
        self.security_group.add_egress_rule(
            ec2.Peer.ipv4(vpc.vpc_cidr_block), ec2.Port.tcp(postgres_port), "PostgreSQL replica"
        )
        ec2.CfnSecurityGroupIngress(
            self,
            "DatabaseIngress",
            group_id=database_security_group_id,
            ip_protocol="tcp",
            from_port=postgres_port,
            to_port=postgres_port,
            source_security_group_id=self.security_group.security_group_id,
            description="database dump job to the read replica",
        )
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/fdr/{resource_prefix}-database-dump",
            encryption_key=key,
            retention=log_retention(config.log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            vpc=vpc,
            cluster_name=f"{resource_prefix}-database-dump",
            container_insights_v2=ecs.ContainerInsights.ENABLED,
        )
        self.image = ecr_assets.DockerImageAsset(
            self,
            "Image",
            directory=str(ROOT),
            file=DOCKERFILE,
            exclude=context_excludes(),
            ignore_mode=IgnoreMode.DOCKER,
            build_args={"PG_MAJOR": pg_major},
            platform=(
                ecr_assets.Platform.LINUX_ARM64
                if architecture == "arm64"
                else ecr_assets.Platform.LINUX_AMD64
            ),
        )
        self.task = ecs.FargateTaskDefinition(
            self,
            "Task",
            family=f"{resource_prefix}-database-dump",
            cpu=config.task_cpu,
            memory_limit_mib=config.task_memory_mib,
            task_role=task_role,
            runtime_platform=ecs.RuntimePlatform(
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
                cpu_architecture=(
                    ecs.CpuArchitecture.ARM64
                    if architecture == "arm64"
                    else ecs.CpuArchitecture.X86_64
                ),
            ),
        )
        self.task.add_volume(name="tmp")
        job_settings = {
            **settings,
            "db_host": replica_host,
            "db_port": postgres_port,
            "database": database_name,
            "container": config.container,
            "db_user": config.db_user,
            "retention_count": config.retention_count,
            "retention_days": config.retention_days,
            "block_bytes": config.block_size_mib * 1024 * 1024,
            "metric_namespace": metric_namespace,
        }
        container = self.task.add_container(
            "Dump",
            image=ecs.ContainerImage.from_docker_image_asset(self.image),
            readonly_root_filesystem=True,
            logging=ecs.LogDriver.aws_logs(stream_prefix="dump", log_group=self.log_group),
            environment={"DUMP_JOB_SETTINGS": stack.to_json_string(job_settings)},
        )
        container.add_mount_points(
            ecs.MountPoint(container_path="/tmp", source_volume="tmp", read_only=False)
        )
        self.connect = iam.PolicyStatement(
            sid="ConnectAsTheDumpUserToTheReplica",
            actions=["rds-db:connect"],
            resources=[
                f"arn:{stack.partition}:rds-db:{stack.region}:{stack.account}:dbuser:"
                f"{replica_resource_id}/{config.db_user}"
            ],
        )
        self._schedule(config, subnets, dead_letters, key, resource_prefix)
        period = config.dump_interval_minutes + config.dump_grace_minutes
        self.age_alarm = cloudwatch.Alarm(
            self,
            "AgeAlarm",
            alarm_description=(
                f"the newest verified database dump in Azure is older than the dump interval "
                f"({config.dump_interval_minutes} min) plus {config.dump_grace_minutes} min, "
                "or the dump job stopped reporting"
            ),
            metric=cloudwatch.Metric(
                namespace=metric_namespace,
                metric_name=AGE_METRIC,
                dimensions_map=AGE_DIMENSIONS,
                statistic="Maximum",
                period=Duration.minutes(period),
            ),
            threshold=period * 60,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        )

    def _schedule(
        self,
        config: DatabaseReplicationConfig,
        subnets: ec2.SubnetSelection,
        dead_letters: sqs.IQueue,
        key: kms.IKey,
        prefix: str,
    ) -> None:
        stack = Stack.of(self)
        family_arn = (
            f"arn:{stack.partition}:ecs:{stack.region}:{stack.account}:task-definition/"
            f"{prefix}-database-dump:*"
        )
        assert self.task.execution_role is not None
        role, policy = scheduler_role(
            self,
            description="EventBridge Scheduler: runs the database dump task",
            statements=[
                iam.PolicyStatement(
                    sid="RunTheDumpTask",
                    actions=["ecs:RunTask"],
                    resources=[family_arn],
                    conditions={"ArnEquals": {"ecs:cluster": self.cluster.cluster_arn}},
                ),
                iam.PolicyStatement(
                    sid="PassTheTaskRoles",
                    actions=["iam:PassRole"],
                    resources=[self.task.task_role.role_arn, self.task.execution_role.role_arn],
                    conditions={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
                ),
            ],
            dead_letters=dead_letters,
            key=key,
        )
        self.scheduler_policy = policy
        self.subnet_ids = self.cluster.vpc.select_subnets(
            subnet_group_name=subnets.subnet_group_name
        ).subnet_ids
        schedule = scheduler.CfnSchedule(
            self,
            "Schedule",
            name=f"{prefix}-database-dump",
            description="pg_dump of the read replica to the Azure DR storage account",
            schedule_expression=f"rate({config.dump_interval_minutes} minutes)",
            schedule_expression_timezone="UTC",
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
            state="ENABLED",
            target=scheduler.CfnSchedule.TargetProperty(
                arn=self.cluster.cluster_arn,
                role_arn=role.role_arn,
                ecs_parameters=scheduler.CfnSchedule.EcsParametersProperty(
                    task_definition_arn=self.task.task_definition_arn,
                    launch_type="FARGATE",
                    task_count=1,
                    platform_version="LATEST",
                    network_configuration=scheduler.CfnSchedule.NetworkConfigurationProperty(
                        awsvpc_configuration=scheduler.CfnSchedule.AwsVpcConfigurationProperty(
                            subnets=self.subnet_ids,
                            security_groups=[self.security_group.security_group_id],
                            assign_public_ip="DISABLED",
                        )
                    ),
                ),
                dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(
                    arn=dead_letters.queue_arn
                ),
                retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                    maximum_event_age_in_seconds=900, maximum_retry_attempts=2
                ),
            ),
        )
        schedule.node.add_dependency(policy)
