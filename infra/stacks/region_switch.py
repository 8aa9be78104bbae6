"""The ARC Region switch plan of one environment: failover and graceful switchover between the
primary and the standby region (active/passive), deployed in the standby region.

Creates: the plan (``AWS::ARCRegionSwitch::Plan``) with one ``activate`` workflow per region.
Each runs, in order and each with its timeout from ``recovery.timeouts``: an optional manual
approval, ``promote-database``, ``app-configuration`` (custom-action Lambdas of
``infra/stacks/recovery_actions.py``), ``scale-workloads`` (EKS resource scaling of the configured
Deployments to the other region's capacity), ``move-dns`` and ``verify`` (custom-action Lambdas).
Region switch chooses graceful (planned switchover) or ungraceful (failover) when an execution
starts, not per workflow: the same steps serve both, and the steps read the mode. The plan's RTO
objective is ``recovery.rto_minutes``. With ``recovery.trigger_on_region_unhealthy`` the
primary's region-unhealthy composite alarm starts a failover; by default people start it. With
an approval step: the role approvers assume (``ApprovePlanExecutionStep`` on this plan only).

Why the standby region: the plan is a global resource, but its CloudFormation stack should stay
manageable when the primary region is the one that failed. The plan's execution role lives in
the standby's recovery-actions stack (its EKS access entries need the role first).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_arcregionswitch as arc
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.config.recovery import RecoveryConfig
from infra.constructs.recovery_policies import PlanTargets, plan_arn_pattern
from infra.recovery.steps import PlanStep, StepKind, plan_steps
from infra.stacks.base import RegionalStack

TRIGGER_ALARM = "primary-region-unhealthy"
# Capacity the EKS block scales to is measured on the deactivated region (sampled maximum).
CAPACITY_MONITORING = "sampledMaxInLast24Hours"


class RegionSwitchStack(RegionalStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        recovery: RecoveryConfig,
        targets: PlanTargets,
        plan_role_name: str,
        approver_role_name: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, availability_zones=[], **kwargs)
        self.recovery = recovery
        self.targets = targets
        self.steps = plan_steps(recovery)
        self.approver_role: iam.Role | None = None
        if recovery.approval is not None:
            self.approver_role = iam.Role(
                self,
                "ApproverRole",
                role_name=approver_role_name,
                # Whoever IAM allows sts:AssumeRole on this role in the account may approve.
                assumed_by=iam.AccountPrincipal(self.account),
                description=f"Approves steps of the Region switch plan {targets.plan_name}",
            )
            self.approver_policy = iam.ManagedPolicy(
                self,
                "ApproverPolicy",
                roles=[self.approver_role],
                statements=[
                    iam.PolicyStatement(
                        sid="ApproveThisPlan",
                        actions=["arc-region-switch:ApprovePlanExecutionStep"],
                        resources=[plan_arn_pattern(self, targets.plan_name)],
                    )
                ],
            )
        primary, standby = targets.regions
        alarms, triggers = None, None
        if recovery.trigger_on_region_unhealthy:
            alarm_arn = targets.trigger_alarm_arn(self)
            assert alarm_arn
            alarms = {
                TRIGGER_ALARM: arc.CfnPlan.AssociatedAlarmProperty(
                    alarm_type="trigger", resource_identifier=alarm_arn
                )
            }
            triggers = [
                arc.CfnPlan.TriggerProperty(
                    action="activate",
                    target_region=standby,
                    description=f"Fail over to {standby} when {primary} is unhealthy",
                    min_delay_minutes_between_executions=recovery.trigger_min_delay_minutes,
                    conditions=[
                        arc.CfnPlan.TriggerConditionProperty(
                            associated_alarm_name=TRIGGER_ALARM, condition="red"
                        )
                    ],
                )
            ]
        self.plan = arc.CfnPlan(
            self,
            "Plan",
            name=targets.plan_name,
            description=f"Failover and switchover between {primary} and {standby}",
            execution_role=(f"arn:{self.partition}:iam::{self.account}:role/{plan_role_name}"),
            recovery_approach="activePassive",
            regions=[primary, standby],
            primary_region=primary,
            recovery_time_objective_minutes=recovery.rto_minutes,
            workflows=[self._workflow(region) for region in (standby, primary)],
            associated_alarms=alarms,
            triggers=triggers,
        )

    def _workflow(self, region: str) -> arc.CfnPlan.WorkflowProperty:
        return arc.CfnPlan.WorkflowProperty(
            workflow_target_action="activate",
            workflow_target_region=region,
            workflow_description=f"Make {region} the active region (failover or switchover)",
            steps=[self._step(step) for step in self.steps],
        )

    def _step(self, step: PlanStep) -> arc.CfnPlan.StepProperty:
        config: dict[str, Any]
        if step.kind is StepKind.APPROVAL:
            assert self.approver_role is not None
            block = "ManualApproval"
            config = {
                "execution_approval_config": arc.CfnPlan.ExecutionApprovalConfigurationProperty(
                    approval_role=self.approver_role.role_arn,
                    timeout_minutes=step.timeout_minutes,
                )
            }
        elif step.kind is StepKind.EKS_SCALING:
            block = "EKSResourceScaling"
            config = {"eks_resource_scaling_config": self._scaling(step)}
        else:
            assert step.function is not None
            name = self.targets.functions[step.function]
            block = "CustomActionLambda"
            config = {
                "custom_action_lambda_config": arc.CfnPlan.CustomActionLambdaConfigurationProperty(
                    lambdas=[
                        arc.CfnPlan.LambdasProperty(
                            arn=f"arn:{self.partition}:lambda:{region}:{self.account}:"
                            f"function:{name}"
                        )
                        for region in self.targets.regions
                    ],
                    # Never depend on the region being left: run where we are going.
                    region_to_run="activatingRegion",
                    retry_interval_minutes=self.recovery.retry_interval_minutes,
                    timeout_minutes=step.timeout_minutes,
                )
            }
        return arc.CfnPlan.StepProperty(
            name=step.name,
            description=step.description,
            execution_block_type=block,
            execution_block_configuration=arc.CfnPlan.ExecutionBlockConfigurationProperty(**config),
        )

    def _scaling(self, step: PlanStep) -> arc.CfnPlan.EksResourceScalingConfigurationProperty:
        scaling = self.recovery.scaling
        return arc.CfnPlan.EksResourceScalingConfigurationProperty(
            kubernetes_resource_type=arc.CfnPlan.KubernetesResourceTypeProperty(
                api_version="apps/v1", kind="Deployment"
            ),
            eks_clusters=[
                arc.CfnPlan.EksClusterProperty(
                    cluster_arn=f"arn:{self.partition}:eks:{region}:{self.account}:cluster/"
                    f"{self.targets.cluster_names[region]}"
                )
                for region in self.targets.regions
            ],
            scaling_resources=[
                {
                    f"{w.namespace}-{w.name}": {
                        region: arc.CfnPlan.KubernetesScalingResourceProperty(
                            namespace=w.namespace, name=w.name, hpa_name=w.hpa_name
                        )
                        for region in self.targets.regions
                    }
                }
                for w in scaling.workloads
            ],
            target_percent=scaling.target_percent,
            capacity_monitoring_approach=CAPACITY_MONITORING,
            timeout_minutes=step.timeout_minutes,
            ungraceful=arc.CfnPlan.EksResourceScalingUngracefulProperty(
                minimum_success_percentage=scaling.ungraceful_minimum_success_percent
            ),
        )
