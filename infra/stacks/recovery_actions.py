"""Recovery actions of one plan region (the primary and the standby each get one stack): what the
ARC Region switch plan (``infra/stacks/region_switch.py``) calls in the region it activates.

Creates: the plan's custom-action Lambdas ``promote``, ``app-config``, ``dns`` and ``verify``
(``lambdas/recovery_actions``; Region switch needs each in both plan regions, it runs the copy in
the region being activated), each with the backup tier's guard rails (own role and managed
policy, encrypted logs, X-Ray, reserved concurrency 1, dead-letter queue, error alarm); verify
alone runs in the region's application subnets with the app_tier security group, for its canary
write to the database (ENI permissions scoped to those subnets and that group, ``rds-db:connect``
for the canary user of this region's instance only); an EKS
access entry on this region's cluster for the plan's execution role with
``AmazonARCRegionSwitchScalingPolicy`` scoped to the scaled workloads' namespaces. In the primary
region: the parameters applications read to find the writer database and the cache
(``/<project>/<env>/app/writer-database-endpoint`` and ``.../cache-endpoint``), written at deploy
time with this region's endpoints (the app-config step rewrites them in the region it activates).
In the standby region: the plan's execution role (IAM is global; a fixed name lets the primary's
access entry address it without an export, so this stack deploys first).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.config.backup import BackupConfig
from infra.config.recovery import RecoveryConfig
from infra.constructs import recovery_policies as policies
from infra.constructs.backup_job import BackupJob, VpcPlacement
from infra.constructs.dead_letter_queue import dead_letter_queue
from infra.constructs.encryption import LogsEncryptionKey
from infra.constructs.lambda_runtime import RUNTIME, architecture, lambda_code, powertools_layer
from infra.constructs.recovery_policies import SCALING_ACCESS_POLICY, PlanTargets
from infra.constructs.retention import log_retention
from infra.recovery.steps import APP_CONFIG, DNS, PROMOTE, VERIFY
from infra.stacks.base import RegionalStack

WRITER_PARAMETER, CACHE_PARAMETER = "writer-database-endpoint", "cache-endpoint"
# Step -> (handler in lambdas/recovery_actions, its least-privilege statements).
_STEPS = {
    PROMOTE: ("recovery_actions.promote_step.handler", policies.promote),
    APP_CONFIG: ("recovery_actions.app_config.handler", policies.app_config),
    DNS: ("recovery_actions.dns_step.handler", policies.dns),
    VERIFY: ("recovery_actions.verify_step.handler", policies.verify),
}


@dataclass(frozen=True)
class CanaryNetwork:
    """What the verify step needs for its canary write to this region's database."""

    vpc: ec2.IVpc
    subnets: ec2.SubnetSelection
    """The application subnets (routes to the data subnets and, through the NAT, the ALB)."""
    security_group: ec2.ISecurityGroup
    """app_tier: may reach db_tier on the PostgreSQL port and anything on HTTPS."""
    database_resource_id: str
    """DbiResourceId of this region's instance (rds-db:connect is scoped to it)."""


class RecoveryActionsStack(RegionalStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        role: Literal["primary", "standby"],
        recovery: RecoveryConfig,
        backup: BackupConfig,
        targets: PlanTargets,
        plan_role_name: str,
        settings: dict[str, Any],
        jobs_key_alias: str,
        deploy_time_endpoints: tuple[str, str] | None,
        canary_network: CanaryNetwork,
        removal_policy: RemovalPolicy,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.key = LogsEncryptionKey(
            self, "JobsKey", alias=jobs_key_alias, removal_policy=removal_policy
        ).key
        self.dead_letters = dead_letter_queue(
            self, "DeadLetters", key=self.key, removal_policy=removal_policy
        )
        layer = powertools_layer(self, backup.architecture, backup.powertools_layer_version)
        code = lambda_code()
        environment = {
            "RECOVERY_SETTINGS": json.dumps(
                {**settings, "partition": self.partition}, sort_keys=True
            ),
            "POWERTOOLS_METRICS_NAMESPACE": "FDR/Recovery",
        }
        self.reserved_concurrency = backup.reserved_concurrency
        self.functions: dict[str, BackupJob] = {}
        canary_user = settings["canary_user"]
        for step, function_name in targets.functions.items():
            handler, statements = _STEPS[step]
            # Only verify runs in the VPC: the others call AWS APIs alone and must keep working
            # when the region's network is impaired.
            placement, extra = None, []
            if step == VERIFY:
                placement = VpcPlacement(
                    canary_network.vpc, canary_network.subnets, canary_network.security_group
                )
                subnet_ids = canary_network.vpc.select_subnets(
                    subnet_group_name=canary_network.subnets.subnet_group_name
                ).subnet_ids
                extra = [
                    *policies.vpc_network_interfaces(
                        self, self.region, subnet_ids, canary_network.security_group
                    ),
                    policies.canary_connect(
                        self, self.region, canary_network.database_resource_id, canary_user
                    ),
                ]
            self.functions[step] = BackupJob(
                self,
                "".join(part.capitalize() for part in step.split("-")),
                function_name=function_name,
                handler=handler,
                code=code,
                runtime=RUNTIME,
                architecture=architecture(backup.architecture),
                layers=[layer],
                memory_mb=backup.memory_mb,
                timeout=Duration.seconds(backup.timeout_seconds),
                environment={**environment, "POWERTOOLS_SERVICE_NAME": f"recovery-{step}"},
                log_retention=log_retention(backup.log_retention_days),
                key=self.key,
                dead_letter_queue=self.dead_letters,
                # Region switch invokes synchronously and re-runs the step itself.
                async_retries=0,
                # The same switch as the backup jobs: Region switch re-runs a step after a
                # failure, and every step is safe to run twice (tests/lambdas).
                reserved_concurrency=backup.reserved_concurrency,
                statements=[*statements(self, targets, self.region), *extra],
                removal_policy=RemovalPolicy.DESTROY,
                network=placement,
            )

        plan_role_arn = f"arn:{self.partition}:iam::{self.account}:role/{plan_role_name}"
        self.plan_role: iam.Role | None = None
        if role == "standby":
            self.plan_role = iam.Role(
                self,
                "PlanRole",
                role_name=plan_role_name,
                assumed_by=iam.ServicePrincipal(
                    "arc-region-switch.amazonaws.com",
                    conditions={"StringEquals": {"aws:SourceAccount": self.account}},
                ),
                description=f"Execution role of the Region switch plan {targets.plan_name}",
            )
            self.plan_policy = iam.ManagedPolicy(
                self,
                "PlanPolicy",
                roles=[self.plan_role],
                statements=policies.plan_role(self, targets),
            )
            plan_role_arn = self.plan_role.role_arn

        namespaces = sorted({w.namespace for w in recovery.scaling.workloads})
        self.access_entry: eks.CfnAccessEntry | None = None
        if namespaces:
            self.access_entry = eks.CfnAccessEntry(
                self,
                "PlanAccessEntry",
                cluster_name=targets.cluster_names[self.region],
                principal_arn=plan_role_arn,
                type="STANDARD",
                access_policies=[
                    eks.CfnAccessEntry.AccessPolicyProperty(
                        policy_arn=(
                            f"arn:{self.partition}:eks::aws:cluster-access-policy/"
                            f"{SCALING_ACCESS_POLICY}"
                        ),
                        access_scope=eks.CfnAccessEntry.AccessScopeProperty(
                            type="namespace", namespaces=namespaces
                        ),
                    )
                ],
            )

        self.parameters: list[ssm.StringParameter] = []
        if deploy_time_endpoints is not None:
            for (construct_id_, name), value in zip(
                (("WriterParameter", targets.app_parameters[0]),
                 ("CacheParameter", targets.app_parameters[1])),
                deploy_time_endpoints,
                strict=True,
            ):  # fmt: skip
                self.parameters.append(
                    ssm.StringParameter(
                        self,
                        construct_id_,
                        parameter_name=name,
                        string_value=value,
                        description="Where applications find it; the Region switch plan's "
                        "app-config step rewrites it in the region it activates",
                    )
                )
