"""Compute tier: EKS cluster, node groups, access entries, ALB, WAF, published outputs."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match

from infra.config import RegionRole
from tests.stacks.template_queries import resources
from tests.synth import SynthesizedEnvironment


def _props(template: dict[str, Any], type_name: str) -> list[dict[str, Any]]:
    return [r["Properties"] for r in resources(template, type_name).values()]


def _one(template: dict[str, Any], type_name: str) -> dict[str, Any]:
    (props,) = _props(template, type_name)
    return props


def test_every_region_has_a_compute_stack(production: SynthesizedEnvironment):
    for region in production.config.regions:
        t = production.template("compute", region)
        assert len(resources(t, "AWS::EKS::Cluster")) == 1
        assert len(resources(t, "AWS::EKS::Nodegroup")) == 3
        assert len(resources(t, "AWS::ElasticLoadBalancingV2::LoadBalancer")) == 1
        assert len(resources(t, "AWS::WAFv2::WebACLAssociation")) == 1


def test_only_custom_resources_are_the_kubectl_providers(any_env: SynthesizedEnvironment):
    """The in-cluster baseline is the one thing applied through a Lambda
    (docs/cluster-baseline.md)."""
    for region in any_env.config.regions:
        types = {r["Type"] for r in any_env.template("compute", region)["Resources"].values()}
        custom = {t for t in types if t.startswith("Custom::") or t.endswith("CustomResource")}
        assert custom == {"Custom::AWSCDK-EKS-HelmChart", "Custom::AWSCDK-EKS-KubernetesResource"}


def test_cluster_version_endpoint_encryption_logging(any_env: SynthesizedEnvironment):
    compute = any_env.config.compute
    for region in any_env.config.regions:
        t = any_env.template("compute", region)
        cluster = _one(t, "AWS::EKS::Cluster")
        assert cluster["Name"] == any_env.stacks.names.cluster_name(region)
        assert cluster["Version"] == compute.kubernetes_version
        vpc = cluster["ResourcesVpcConfig"]
        assert vpc["EndpointPrivateAccess"] is True
        assert vpc["EndpointPublicAccess"] is bool(compute.public_endpoint_cidrs)
        assert vpc.get("PublicAccessCidrs", []) == compute.public_endpoint_cidrs
        assert cluster["EncryptionConfig"][0]["Resources"] == ["secrets"]
        assert (
            "EksSecretsKey" in cluster["EncryptionConfig"][0]["Provider"]["KeyArn"]["Fn::GetAtt"][0]
        )
        assert {e["Type"] for e in cluster["Logging"]["ClusterLogging"]["EnabledTypes"]} == {
            "api", "audit", "authenticator", "controllerManager", "scheduler"
        }  # fmt: skip
        assert cluster["AccessConfig"] == {
            "AuthenticationMode": "API",
            "BootstrapClusterCreatorAdminPermissions": False,
        }
        assert all("application" in str(s) for s in vpc["SubnetIds"])


def test_production_api_endpoint_is_private_only(production: SynthesizedEnvironment):
    cluster = _one(production.template("compute", "us-east-1"), "AWS::EKS::Cluster")
    assert cluster["ResourcesVpcConfig"]["EndpointPublicAccess"] is False


def test_secrets_key_rotates_and_control_plane_logs_are_encrypted(any_env: SynthesizedEnvironment):
    for region in any_env.config.regions:
        t = any_env.assertions("compute", region)
        t.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
        t.has_resource_properties(
            "AWS::Logs::LogGroup",
            {
                "LogGroupName": f"/aws/eks/{any_env.stacks.names.cluster_name(region)}/cluster",
                "RetentionInDays": any_env.config.compute.control_plane_log_retention_days,
                "KmsKeyId": Match.any_value(),
            },
        )


def test_addons_are_pinned_from_config(any_env: SynthesizedEnvironment):
    for region in any_env.config.regions:
        addons = _props(any_env.template("compute", region), "AWS::EKS::Addon")
        assert {a["AddonName"]: a["AddonVersion"] for a in addons} == any_env.config.compute.addons


def test_ebs_csi_credentials_come_with_the_addon(any_env: SynthesizedEnvironment):
    for region in any_env.config.regions:
        t = any_env.template("compute", region)
        # No separate association that could arrive after the controller has started (the
        # Helm-installed controllers' associations come before their charts: test_cluster_baseline).
        separate = resources(t, "AWS::EKS::PodIdentityAssociation").values()
        assert "ebs-csi-controller-sa" not in {a["Properties"]["ServiceAccount"] for a in separate}
        addons = {r["Properties"]["AddonName"]: r for r in resources(t, "AWS::EKS::Addon").values()}
        ebs = addons["aws-ebs-csi-driver"]
        (association,) = ebs["Properties"]["PodIdentityAssociations"]
        assert association["ServiceAccount"] == "ebs-csi-controller-sa"
        role = t["Resources"][association["RoleArn"]["Fn::GetAtt"][0]]["Properties"]
        (statement, *_) = role["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}


def test_addons_with_pods_wait_for_the_node_groups(any_env: SynthesizedEnvironment):
    for region in any_env.config.regions:
        t = any_env.template("compute", region)
        node_groups = set(resources(t, "AWS::EKS::Nodegroup"))
        by_name = {
            r["Properties"]["AddonName"]: r for r in resources(t, "AWS::EKS::Addon").values()
        }
        for name, addon in by_name.items():
            depends = set(addon.get("DependsOn", []))
            if name in ("coredns", "aws-ebs-csi-driver"):
                assert node_groups <= depends, f"{region}: {name} does not wait for {node_groups}"
            else:  # DaemonSets the first nodes need (CNI, kube-proxy, pod-identity agent)
                assert not node_groups & depends, f"{region}: {name} waits for node groups"
        agent = next(k for k, r in resources(t, "AWS::EKS::Addon").items()
                     if r["Properties"]["AddonName"] == "eks-pod-identity-agent")  # fmt: skip
        assert agent in by_name["aws-ebs-csi-driver"]["DependsOn"]


def _node_groups(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["Labels"]["node-type"]: p for p in _props(template, "AWS::EKS::Nodegroup")}


def test_production_node_groups_are_the_design_table(production: SynthesizedEnvironment):
    groups = _node_groups(production.template("compute", "us-east-1"))
    assert set(groups) == {"application", "ai-processing", "database"}
    app, ai, db = groups["application"], groups["ai-processing"], groups["database"]
    assert app["InstanceTypes"] == ["m5.xlarge", "m5.2xlarge", "m5a.xlarge"]
    assert app["CapacityType"] == "ON_DEMAND"
    assert app["ScalingConfig"] == {"MinSize": 3, "DesiredSize": 6, "MaxSize": 20}
    assert app["UpdateConfig"] == {"MaxUnavailablePercentage": 25}
    assert app["Labels"] == {"node-type": "application", "workload": "general"}
    assert "Taints" not in app or app["Taints"] == []
    assert ai["InstanceTypes"] == ["c5.4xlarge", "c5.9xlarge", "g4dn.xlarge"]
    assert ai["CapacityType"] == "SPOT"
    assert ai["AmiType"] == "AL2023_x86_64_NVIDIA"
    assert ai["ScalingConfig"] == {"MinSize": 1, "DesiredSize": 3, "MaxSize": 10}
    assert ai["Labels"] == {"node-type": "ai-processing", "workload": "compute-intensive"}
    assert ai["Taints"] == [{"Key": "workload", "Value": "ai-processing", "Effect": "NO_SCHEDULE"}]
    assert db["InstanceTypes"] == ["r5.2xlarge", "r5.4xlarge"]
    assert db["ScalingConfig"] == {"MinSize": 2, "DesiredSize": 2, "MaxSize": 4}
    assert db["Labels"] == {"node-type": "database", "workload": "memory-intensive"}
    assert db["Taints"] == [{"Key": "workload", "Value": "database", "Effect": "NO_SCHEDULE"}]


@pytest.mark.parametrize("env", ["staging", "production"])
def test_node_group_sizes_follow_the_region_role(env: str, request: pytest.FixtureRequest):
    synthesized: SynthesizedEnvironment = request.getfixturevalue(env)
    compute = synthesized.config.compute
    for region, region_config in synthesized.config.regions.items():
        groups = _node_groups(synthesized.template("compute", region))
        for name in compute.node_groups:
            scaling = compute.scaling(name, region_config.role)
            assert groups[name]["ScalingConfig"] == {
                "MinSize": scaling.min_size,
                "DesiredSize": scaling.desired_size,
                "MaxSize": scaling.max_size,
            }


def test_standby_runs_every_group_at_its_minimum(production: SynthesizedEnvironment):
    (standby,) = production.config.regions_with_role(RegionRole.STANDBY)
    groups = _node_groups(production.template("compute", standby))
    assert set(groups) == set(production.config.compute.node_groups)
    for name, group in groups.items():
        assert group["ScalingConfig"]["DesiredSize"] == group["ScalingConfig"]["MinSize"]
        assert group["ScalingConfig"]["MinSize"] == (
            production.config.compute.node_groups[name].scaling.min_size
        )


def test_every_node_group_has_an_imdsv2_launch_template_with_encrypted_gp3(
    any_env: SynthesizedEnvironment,
):
    for region in any_env.config.regions:
        t = any_env.template("compute", region)
        templates = resources(t, "AWS::EC2::LaunchTemplate")
        disk = {n: g.disk_size_gib for n, g in any_env.config.compute.node_groups.items()}
        for group in _props(t, "AWS::EKS::Nodegroup"):
            lt_id = group["LaunchTemplate"]["Id"]["Ref"]
            data = templates[lt_id]["Properties"]["LaunchTemplateData"]
            assert data["MetadataOptions"]["HttpTokens"] == "required"
            (root,) = data["BlockDeviceMappings"]
            assert root["Ebs"]["Encrypted"] is True
            assert root["Ebs"]["VolumeType"] == "gp3"
            assert root["Ebs"]["VolumeSize"] == disk[group["Labels"]["node-type"]]
            assert len(data["SecurityGroupIds"]) == 2  # app_tier + the cluster security group
            assert "RemoteAccess" not in group


def test_access_entries_for_admin_and_developer(any_env: SynthesizedEnvironment):
    names = any_env.stacks.names
    for region in any_env.config.regions:
        t = any_env.template("compute", region)
        roles = {
            r["RoleName"]: logical
            for logical, res in resources(t, "AWS::IAM::Role").items()
            if "RoleName" in (r := res["Properties"])
        }
        entries = {
            e["PrincipalArn"]["Fn::GetAtt"][0]: e for e in _props(t, "AWS::EKS::AccessEntry")
        }
        admin = entries[roles[names.eks_access_role("admin", region)]]
        developer = entries[roles[names.eks_access_role("developer", region)]]
        # The two people roles plus the kubectl provider's (cluster admin, to apply the baseline).
        assert len(entries) == 3
        assert admin["KubernetesGroups"] == ["fdr-admin"]
        assert developer["KubernetesGroups"] == ["fdr-developer"]
        assert "AccessPolicies" not in admin and "AccessPolicies" not in developer


def test_no_aws_auth_configmap(any_env: SynthesizedEnvironment):
    for region in any_env.config.regions:
        assert "aws-auth" not in str(any_env.template("compute", region))


def test_alb_is_internet_facing_in_public_subnets_with_web_group(any_env: SynthesizedEnvironment):
    for region in any_env.config.regions:
        t = any_env.template("compute", region)
        lb = _one(t, "AWS::ElasticLoadBalancingV2::LoadBalancer")
        assert lb["Scheme"] == "internet-facing"
        assert all("public" in str(s) for s in lb["Subnets"])
        assert "SecurityGroupsWeb" in str(lb["SecurityGroups"])
        attributes = {a["Key"]: a["Value"] for a in lb["LoadBalancerAttributes"]}
        assert (
            attributes["deletion_protection.enabled"]
            == str(any_env.config.deletion_protection).lower()
        )
        assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
        assert attributes["access_logs.s3.enabled"] == "true"
        assert attributes["idle_timeout.timeout_seconds"] == str(
            any_env.config.ingress.idle_timeout_seconds
        )


def test_listeners_tls13_https_and_http_redirect_only(any_env: SynthesizedEnvironment):
    for region in any_env.config.regions:
        listeners = {
            p["Protocol"]: p
            for p in _props(
                any_env.template("compute", region), "AWS::ElasticLoadBalancingV2::Listener"
            )
        }
        assert set(listeners) == {"HTTPS", "HTTP"}
        https = listeners["HTTPS"]
        assert https["Port"] == 443
        assert https["SslPolicy"] == any_env.config.ingress.tls_policy
        assert https["SslPolicy"].startswith("ELBSecurityPolicy-TLS13-")
        # Behind the edge only CloudFront's rule forwards (tests/stacks/test_edge.py).
        default = "fixed-response" if any_env.config.edge.enabled else "forward"
        assert https["DefaultActions"][0]["Type"] == default
        (action,) = listeners["HTTP"]["DefaultActions"]
        assert action == {
            "Type": "redirect",
            "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"},
        }


def test_production_offers_tls13_and_restricted_tls12(production: SynthesizedEnvironment):
    # TLS 1.3 for clients, restricted TLS 1.2 for the Route 53 health checkers (docs/decisions.md).
    assert production.config.ingress.tls_policy == "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"


def test_certificate_is_dns_validated_for_the_domain(any_env: SynthesizedEnvironment):
    dns = any_env.config.dns
    for region in any_env.config.regions:
        cert = _one(any_env.template("compute", region), "AWS::CertificateManager::Certificate")
        assert cert["DomainName"] == dns.domain
        assert cert["SubjectAlternativeNames"] == [f"*.{dns.domain}"]
        assert cert["ValidationMethod"] == "DNS"
        assert {o["HostedZoneId"] for o in cert["DomainValidationOptions"]} == {dns.hosted_zone_id}


def test_target_group_is_ip_on_the_application_port(any_env: SynthesizedEnvironment):
    for region in any_env.config.regions:
        tg = _one(any_env.template("compute", region), "AWS::ElasticLoadBalancingV2::TargetGroup")
        assert tg["TargetType"] == "ip"
        assert tg["Port"] == any_env.config.network.ports.application == 8080
        assert tg["Protocol"] == "HTTP"
        assert tg["HealthCheckPath"] == any_env.config.ingress.health_check_path


def test_access_log_bucket_is_encrypted_private_and_expires(any_env: SynthesizedEnvironment):
    for region in any_env.config.regions:
        t = any_env.template("compute", region)
        bucket = _one(t, "AWS::S3::Bucket")
        assert bucket["BucketName"] == any_env.stacks.names.alb_log_bucket(
            any_env.config.account, region
        )
        rule = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
        assert bucket["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True, "BlockPublicPolicy": True,
            "IgnorePublicAcls": True, "RestrictPublicBuckets": True,
        }  # fmt: skip
        assert (
            bucket["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"]
            == any_env.config.ingress.access_log_retention_days
        )
        assert "aws:SecureTransport" in str(_one(t, "AWS::S3::BucketPolicy"))


def test_waf_rules_association_and_logging(any_env: SynthesizedEnvironment):
    for region in any_env.config.regions:
        t = any_env.template("compute", region)
        acl_id, acl = next(iter(resources(t, "AWS::WAFv2::WebACL").items()))
        props = acl["Properties"]
        assert props["Scope"] == "REGIONAL"
        assert props["DefaultAction"] == {"Allow": {}}
        rules = {r["Name"]: r for r in props["Rules"]}
        for group in (
            "AWSManagedRulesCommonRuleSet",
            "AWSManagedRulesKnownBadInputsRuleSet",
            "AWSManagedRulesAmazonIpReputationList",
        ):
            statement = rules[group]["Statement"]["ManagedRuleGroupStatement"]
            assert statement == {"VendorName": "AWS", "Name": group}
            assert rules[group]["OverrideAction"] == {"None": {}}
        rate = rules["RateLimitPerIp"]
        assert rate["Action"] == {"Block": {}}
        assert rate["Statement"]["RateBasedStatement"]["Limit"] == (
            any_env.config.ingress.waf.rate_limit_per_5_minutes
        )
        assert rate["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"
        assert len({r["Priority"] for r in props["Rules"]}) == len(props["Rules"]) == 4

        association = _one(t, "AWS::WAFv2::WebACLAssociation")
        assert association["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
        assert "IngressLoadBalancer" in association["ResourceArn"]["Ref"]
        logging = _one(t, "AWS::WAFv2::LoggingConfiguration")
        assert logging["ResourceArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
        (destination,) = logging["LogDestinationConfigs"]
        log_group = t["Resources"][destination["Fn::Join"][1][1]["Ref"]]
        assert log_group["Properties"]["LogGroupName"].startswith("aws-waf-logs-")
        any_env.assertions("compute", region).has_resource_properties(
            "AWS::Logs::LogGroup",
            {
                "LogGroupName": Match.string_like_regexp("^aws-waf-logs-"),
                "KmsKeyId": Match.any_value(),
                "RetentionInDays": any_env.config.ingress.waf.log_retention_days,
            },
        )


def test_published_for_the_global_dns_stack(any_env: SynthesizedEnvironment):
    names = any_env.stacks.names
    for region in any_env.config.regions:
        t = any_env.template("compute", region)
        parameters = {p["Name"]: p for p in _props(t, "AWS::SSM::Parameter") if "Name" in p}
        dns_name = parameters[names.ssm_parameter("ingress", "alb-dns-name")]
        zone = parameters[names.ssm_parameter("ingress", "alb-hosted-zone-id")]
        assert dns_name["Type"] == zone["Type"] == "String"
        assert dns_name["Value"]["Fn::GetAtt"][1] == "DNSName"
        assert zone["Value"]["Fn::GetAtt"][1] == "CanonicalHostedZoneID"
        outputs = t["Outputs"]
        assert {"AlbDnsName", "AlbCanonicalHostedZoneId", "ClusterName"} <= set(outputs)
        assert not [o for o in outputs.values() if "Export" in o]


def test_stack_exposes_what_monitoring_needs(development: SynthesizedEnvironment):
    compute = development.stacks.regions["us-east-1"].compute
    assert compute is not None
    for attribute in ("cluster", "load_balancer", "target_group", "web_acl"):
        assert getattr(compute, attribute) is not None
