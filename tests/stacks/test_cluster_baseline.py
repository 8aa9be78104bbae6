"""The cluster baseline in the compute templates: how it gets there (the kubectl provider inside
the VPC, pinned Helm charts, the rendered manifests), the controllers' IAM through Pod Identity,
the autoscaler's reach over every node group, and the access entries' groups being bound."""

from __future__ import annotations

import json
from typing import Any

from infra.constructs.cluster_controllers import (
    AUTOSCALER_SERVICE_ACCOUNT,
    DISCOVERY_TAGS,
    LBC_SERVICE_ACCOUNT,
)
from infra.k8s_baseline import render_for, split
from tests.stacks.template_queries import ref_target, resources
from tests.synth import SynthesizedEnvironment

HELM = "Custom::AWSCDK-EKS-HelmChart"
MANIFEST = "Custom::AWSCDK-EKS-KubernetesResource"


def _props(template: dict[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
    return {k: r["Properties"] for k, r in resources(template, type_name).items()}


def _charts(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["Chart"]: p for p in _props(template, HELM).values()}


def _policy_statements(template: dict[str, Any], role_prefix: str) -> list[dict[str, Any]]:
    statements = []
    for props in _props(template, "AWS::IAM::ManagedPolicy").values():
        if any(ref_target(r).startswith(role_prefix) for r in props.get("Roles", [])):
            statements += props["PolicyDocument"]["Statement"]
    return statements


def test_kubectl_provider_runs_inside_the_vpc(any_env: SynthesizedEnvironment):
    for region in any_env.config.regions:
        t = any_env.template("compute", region)
        handlers = [
            p
            for p in _props(t, "AWS::Lambda::Function").values()
            if p.get("Description") == "onEvent handler for EKS kubectl resource provider"
        ]
        (handler,) = handlers
        # The private endpoint is only reachable from the VPC: the Lambda sits in the
        # application subnets with the cluster security group.
        assert all("application" in str(s) for s in handler["VpcConfig"]["SubnetIds"])
        assert "ClusterSecurityGroupId" in str(handler["VpcConfig"]["SecurityGroupIds"])
        layers = [
            p
            for p in _props(t, "AWS::Lambda::LayerVersion").values()
            if "kubectl" in p.get("Description", "")
        ]
        assert layers and "1.36" in layers[0]["Description"]


def test_charts_are_pinned_to_the_configured_versions(any_env: SynthesizedEnvironment):
    pins = any_env.config.compute.baseline.charts
    expected = {
        "aws-load-balancer-controller": pins["aws-load-balancer-controller"],
        "cluster-autoscaler": pins["cluster-autoscaler"],
        "metrics-server": pins["metrics-server"],
        "base": pins["istio"],
        "cni": pins["istio"],
        "istiod": pins["istio"],
    }
    for region in any_env.config.regions:
        charts = _charts(any_env.template("compute", region))
        assert {name: c["Version"] for name, c in charts.items()} == expected
        assert all(c["Repository"].startswith("https://") for c in charts.values())
        image = json.loads(charts["cluster-autoscaler"]["Values"])["image"]["tag"]
        assert image == any_env.config.compute.baseline.cluster_autoscaler_image


def test_eks_sidecars_need_no_istio_init(any_env: SynthesizedEnvironment):
    """The application namespaces enforce Pod Security "restricted" on EKS too: istiod injects
    for Istio CNI (the cni chart's DaemonSet sets up the redirection), so no injected pod carries
    the istio-init container with NET_ADMIN/NET_RAW. (AKS: the add-on revision's Istio CNI,
    tests/azure_dr/test_footprint_baseline.py.)"""
    for region in any_env.config.regions:
        charts = _charts(any_env.template("compute", region))
        assert "cni" in charts
        assert json.loads(charts["istiod"]["Values"])["pilot"]["cni"] == {"enabled": True}


def test_baseline_manifests_are_the_rendered_eks_overlay(any_env: SynthesizedEnvironment):
    builtin, custom = split(render_for(any_env.config, "eks"))
    for region in any_env.config.regions:
        t = any_env.template("compute", region)
        applied: list[tuple[str, str]] = []
        for props in _props(t, MANIFEST).values():
            if isinstance(props["Manifest"], str):
                applied += [
                    (o["kind"], o["metadata"]["name"]) for o in json.loads(props["Manifest"])
                ]
        assert sorted(applied) == sorted(
            (o["kind"], o["metadata"]["name"]) for o in builtin + custom
        )


def test_target_group_binding_binds_the_albs_target_group(any_env: SynthesizedEnvironment):
    for region in any_env.config.regions:
        t = any_env.template("compute", region)
        (target_group,) = resources(t, "AWS::ElasticLoadBalancingV2::TargetGroup")
        bindings = [
            (k, p) for k, p in _props(t, MANIFEST).items() if "TargetGroupBinding" in str(p)
        ]
        (logical_id, binding) = bindings[0]
        assert f"'Ref': '{target_group}'" in str(binding["Manifest"]).replace('"', "'")
        depends = t["Resources"][logical_id]["DependsOn"]
        assert any("awsloadbalancercontroller" in d for d in depends)


def test_controllers_get_iam_through_pod_identity(any_env: SynthesizedEnvironment):
    for region in any_env.config.regions:
        t = any_env.template("compute", region)
        associations = {
            p["ServiceAccount"]: p for p in _props(t, "AWS::EKS::PodIdentityAssociation").values()
        }
        for account in (LBC_SERVICE_ACCOUNT, AUTOSCALER_SERVICE_ACCOUNT):
            assert associations[account]["Namespace"] == "kube-system"
        roles = resources(t, "AWS::IAM::Role")
        # Credentials exist before the charts start the controllers' pods.
        association_ids = set(resources(t, "AWS::EKS::PodIdentityAssociation"))
        for chart in ("awsloadbalancercontroller", "clusterautoscaler"):
            (helm,) = [r for k, r in resources(t, HELM).items() if chart in k]
            assert association_ids <= set(helm["DependsOn"])
        for association in associations.values():
            role = roles[ref_target(association["RoleArn"])]["Properties"]
            principals = {
                s["Principal"]["Service"] for s in role["AssumeRolePolicyDocument"]["Statement"]
            }
            assert principals == {"pods.eks.amazonaws.com"}


def test_load_balancer_controller_can_only_register_targets(any_env: SynthesizedEnvironment):
    for region in any_env.config.regions:
        t = any_env.template("compute", region)
        (target_group,) = resources(t, "AWS::ElasticLoadBalancingV2::TargetGroup")
        statements = _policy_statements(t, "ControllersLoadBalancerControllerRole")
        actions = {a for s in statements for a in s["Action"]}
        writes = {a for a in actions if not a.split(":")[1].startswith("Describe")}
        assert writes == {
            "elasticloadbalancing:RegisterTargets",
            "elasticloadbalancing:DeregisterTargets",
        }
        (register,) = [s for s in statements if "RegisterTargets" in str(s["Action"])]
        assert register["Resource"] == {"Ref": target_group}


def test_autoscaler_can_discover_and_scale_every_node_group(any_env: SynthesizedEnvironment):
    names = any_env.stacks.names
    for region in any_env.config.regions:
        t = any_env.template("compute", region)
        cluster = names.cluster_name(region)
        values = json.loads(_charts(t)["cluster-autoscaler"]["Values"])
        assert values["autoDiscovery"]["clusterName"] == cluster
        assert values["autoDiscovery"]["tags"] == [
            tag.format(cluster=cluster) for tag in DISCOVERY_TAGS
        ]
        statements = _policy_statements(t, "ControllersClusterAutoscalerRole")
        (scale,) = [s for s in statements if "autoscaling:SetDesiredCapacity" in s["Action"]]
        # EKS tags each managed node group's ASG k8s.io/cluster-autoscaler/<cluster>=owned.
        assert scale["Condition"] == {
            "StringEquals": {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster}": "owned"}
        }
        (describe,) = [s for s in statements if s["Action"] == "eks:DescribeNodegroup"]
        node_groups = _props(t, "AWS::EKS::Nodegroup").values()
        assert len(node_groups) == len(any_env.config.compute.node_groups)
        for group in node_groups:
            # Every group belongs to the discovered cluster and its ARN matches the pattern.
            assert ref_target(group["ClusterName"]).startswith("EksCluster")
            assert describe["Resource"].endswith(f":nodegroup/{cluster}/*/*")
        # Scaling from a minimum needs nothing on the node: the labels and taints come from
        # eks:DescribeNodegroup, so every group's labels are in the template for it to read.
        labelled = {tuple(sorted(g["Labels"].items())) for g in node_groups}
        assert len(labelled) == len(node_groups)


def test_access_entries_map_to_bound_groups(any_env: SynthesizedEnvironment):
    objects = render_for(any_env.config, "eks")
    bound = {
        s["name"]
        for o in objects
        if o["kind"] in ("ClusterRoleBinding", "RoleBinding")
        for s in o["subjects"]
    }
    names = any_env.stacks.names
    for region in any_env.config.regions:
        t = any_env.template("compute", region)
        roles = {
            p["RoleName"]: k
            for k, r in resources(t, "AWS::IAM::Role").items()
            if "RoleName" in (p := r["Properties"])
        }
        entries = {
            ref_target(e["PrincipalArn"]): e for e in _props(t, "AWS::EKS::AccessEntry").values()
        }
        for kind, group in (("admin", "fdr-admin"), ("developer", "fdr-developer")):
            entry = entries[roles[names.eks_access_role(kind, region)]]
            assert entry["KubernetesGroups"] == [group]
            assert "AccessPolicies" not in entry  # the design's rules, not a managed policy
            assert group in bound


def test_vpc_cni_enforces_network_policies(any_env: SynthesizedEnvironment):
    for region in any_env.config.regions:
        t = any_env.template("compute", region)
        (cni,) = [p for p in _props(t, "AWS::EKS::Addon").values() if p["AddonName"] == "vpc-cni"]
        assert json.loads(cni["ConfigurationValues"]) == {"enableNetworkPolicy": "true"}
