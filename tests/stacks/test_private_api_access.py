"""The private Kubernetes API: who may reach it, and the Session Manager operator host."""

from __future__ import annotations

import json

from tests.stacks.template_queries import resources
from tests.synth import SynthesizedEnvironment

AL2023_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"


def _api_ingress(template: dict) -> dict[str, dict]:
    return {
        rule["Properties"]["Description"]: rule["Properties"]
        for rule in resources(template, "AWS::EC2::SecurityGroupIngress").values()
        if rule["Properties"]["Description"].startswith("Kubernetes API from")
    }


def test_api_admits_the_scraper_and_the_bastion_on_https_only(any_env: SynthesizedEnvironment):
    with_host = any_env.config.operator_access.session_manager_host
    for region in any_env.config.regions:
        rules = _api_ingress(any_env.template("compute", region))
        expected = {"Kubernetes API from monitoring_sg"} | (
            {"Kubernetes API from bastion_sg"} if with_host else set()
        )
        assert set(rules) == expected
        for rule in rules.values():
            assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 443, 443)
            assert rule["GroupId"] == {"Fn::GetAtt": [rule["GroupId"]["Fn::GetAtt"][0],
                                                      "ClusterSecurityGroupId"]}  # fmt: skip


def test_operator_host_is_locked_down(production: SynthesizedEnvironment):
    template = production.template("compute", "us-east-1")
    (host,) = resources(template, "AWS::EC2::Instance").values()
    props = host["Properties"]
    assert "KeyName" not in props  # no SSH key
    (interface,) = props["NetworkInterfaces"]
    assert interface["AssociatePublicIpAddress"] is False
    (volume,) = props["BlockDeviceMappings"]
    assert volume["Ebs"]["Encrypted"] is True
    launch = template["Resources"][props["LaunchTemplate"]["Version"]["Fn::GetAtt"][0]]
    assert launch["Properties"]["LaunchTemplateData"]["MetadataOptions"]["HttpTokens"] == (
        "required"
    )
    # The AMI is a deploy-time SSM parameter, not a synth-time look-up.
    image = props["ImageId"]["Ref"]
    assert template["Parameters"][image]["Default"] == AL2023_PARAMETER
    assert "missing" not in production.manifest
    # In a management subnet, in bastion_sg (both from the network stack).
    (group,) = interface["GroupSet"]
    assert "SecurityGroupsBastion" in group["Fn::GetStackOutput"]["OutputName"]
    assert "managementSubnet" in interface["SubnetId"]["Fn::GetStackOutput"]["OutputName"]


def test_operator_host_role_has_no_kubernetes_rights(production: SynthesizedEnvironment):
    template = production.template("compute", "us-east-1")
    (role_id,) = [k for k in resources(template, "AWS::IAM::Role") if k.startswith("PrivateApi")]
    policies = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in resources(template, "AWS::IAM::ManagedPolicy").values()
        if {"Ref": role_id} in p["Properties"].get("Roles", [])
    ]
    flat = {
        action
        for statements in policies
        for s in statements
        for action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert flat == {
        "eks:DescribeCluster", "kms:Decrypt", "logs:CreateLogStream", "logs:PutLogEvents",
        "logs:DescribeLogGroups", "logs:DescribeLogStreams",
    }  # fmt: skip
    # no access entry maps the host's role into the cluster
    entries = resources(template, "AWS::EKS::AccessEntry").values()
    assert all(role_id not in json.dumps(e) for e in entries)


def test_session_preferences_encrypt_and_log(production: SynthesizedEnvironment):
    template = production.template("compute", "us-east-1")
    (document,) = resources(template, "AWS::SSM::Document").values()
    props = document["Properties"]
    assert props["Name"] == "SSM-SessionManagerRunShell"
    inputs = props["Content"]["inputs"]
    assert inputs["cloudWatchEncryptionEnabled"] is True and inputs["kmsKeyId"]
    assert inputs["runAsEnabled"] is False
    assert inputs["idleSessionTimeout"] == str(
        production.config.operator_access.idle_session_timeout_minutes
    )


def test_no_host_where_the_switch_is_off(development: SynthesizedEnvironment):
    assert not development.config.operator_access.session_manager_host
    for region in development.config.regions:
        template = development.template("compute", region)
        assert not resources(template, "AWS::EC2::Instance")
        assert not resources(template, "AWS::SSM::Document")
