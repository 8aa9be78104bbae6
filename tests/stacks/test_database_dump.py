"""The database dump job (replication stack): where it runs, its network path, its schedule,
least-privilege IAM, its image (built at deploy, never at synth), its alarm and routing; and the
replication functions in the VPC."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from infra.constructs.database_dump import AGE_DIMENSIONS, AGE_METRIC
from tests.synth import SynthesizedEnvironment

ROOT = Path(__file__).resolve().parents[2]


def _resources(template: dict[str, Any], kind: str) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def _one(template: dict[str, Any], kind: str) -> dict[str, Any]:
    (resource,) = _resources(template, kind).values()
    return dict(resource["Properties"])


def _replication(env: SynthesizedEnvironment) -> dict[str, Any]:
    return env.template("replication", env.config.replication_region)


def test_scheduled_fargate_task_in_the_application_subnets(
    production: SynthesizedEnvironment,
) -> None:
    template = _replication(production)
    schedules = {
        s["Properties"]["Name"]: s["Properties"]
        for s in _resources(template, "AWS::Scheduler::Schedule").values()
    }
    dump = schedules["fdr-production-replication-database-dump"]
    assert dump["ScheduleExpression"] == "rate(60 minutes)"
    ecs = dump["Target"]["EcsParameters"]
    assert ecs["LaunchType"] == "FARGATE" and ecs["TaskCount"] == 1
    vpc = ecs["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert vpc["AssignPublicIp"] == "DISABLED"
    assert all("application" in json.dumps(s).lower() for s in vpc["Subnets"]), vpc["Subnets"]
    assert "DeadLetterConfig" in dump["Target"] and "RetryPolicy" in dump["Target"]
    task = _one(template, "AWS::ECS::TaskDefinition")
    (container,) = task["ContainerDefinitions"]
    assert container["ReadonlyRootFilesystem"] is True
    assert container["LogConfiguration"]["LogDriver"] == "awslogs"
    settings = json.dumps(container["Environment"])
    assert "password" not in settings.lower() and "secret" not in settings.lower()


def test_network_path_to_the_replica_only(production: SynthesizedEnvironment) -> None:
    template = _replication(production)
    groups = _resources(template, "AWS::EC2::SecurityGroup")
    dump_group = next(
        v["Properties"] for v in groups.values() if "dump" in v["Properties"]["GroupDescription"]
    )
    egress = {
        (r["IpProtocol"], r["FromPort"], json.dumps(r["CidrIp"]))
        for r in dump_group["SecurityGroupEgress"]
    }
    assert ("tcp", 443, '"0.0.0.0/0"') in egress
    assert {e[1] for e in egress} == {443, 5432}
    ingress = _one(template, "AWS::EC2::SecurityGroupIngress")
    assert ingress["FromPort"] == ingress["ToPort"] == 5432
    assert "SecurityGroupsDb" in json.dumps(ingress["GroupId"])  # the network stack's db group
    # the functions run in the VPC too, HTTPS out only
    functions = _resources(template, "AWS::Lambda::Function")
    assert functions and all("VpcConfig" in f["Properties"] for f in functions.values())


def test_iam_connects_as_the_dump_user_to_the_replica_only(
    production: SynthesizedEnvironment,
) -> None:
    template = _replication(production)
    text = json.dumps(template)
    statements = [
        s
        for p in _resources(template, "AWS::IAM::ManagedPolicy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    (connect,) = [s for s in statements if s.get("Action") == "rds-db:connect"]
    resource = json.dumps(connect["Resource"])
    assert "dbuser:" in resource and "/azure_dr_dump" in resource and "DbiResourceId" in resource
    (run,) = [s for s in statements if s.get("Action") == "ecs:RunTask"]
    assert "ecs:cluster" in json.dumps(run["Condition"])
    (passing,) = [s for s in statements if s.get("Action") == "iam:PassRole"]
    assert passing["Condition"] == {
        "StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
    }
    create = next(s for s in statements if s.get("Action") == "ec2:CreateNetworkInterface")
    assert "ec2:Vpc" in json.dumps(create["Condition"])
    assert "AWSLambdaVPCAccessExecutionRole" not in text  # the narrow statements instead
    role = next(
        r["Properties"]
        for r in _resources(template, "AWS::IAM::Role").values()
        if r["Properties"].get("RoleName") == "fdr-production-object-replicator-us-west-2"
    )
    principals = json.dumps(role["AssumeRolePolicyDocument"])
    assert "ecs-tasks.amazonaws.com" in principals and "lambda.amazonaws.com" in principals


def test_the_image_is_built_at_deploy_not_at_synth(production: SynthesizedEnvironment) -> None:
    manifests = [
        json.loads(p.read_text()) for p in production.outdir.glob("*replication*.assets.json")
    ]
    (images,) = [m["dockerImages"] for m in manifests if m.get("dockerImages")]
    (image,) = images.values()
    assert image["source"]["dockerFile"] == "images/database-dump/Dockerfile"
    assert image["source"]["dockerBuildArgs"] == {"PG_MAJOR": "17"}
    staged = production.outdir / image["source"]["directory"]
    files = sorted(str(p.relative_to(staged)) for p in staged.rglob("*") if p.is_file())
    assert "azure_dr/database/job.py" in files and "images/database-dump/Dockerfile" in files
    assert all(f.startswith(("azure_dr/", "lambdas/object_replication/", "images/")) for f in files)
    assert len(files) < 40  # no node_modules, .venv, cdk.out in the context


def test_age_alarm_on_the_emitted_dimensions_routed_by_the_composite(
    production: SynthesizedEnvironment,
) -> None:
    from azure_dr.database import job

    assert (AGE_METRIC, AGE_DIMENSIONS) == (job.AGE_METRIC, job.DIMENSIONS)
    template = _replication(production)
    alarm = next(
        a["Properties"]
        for a in _resources(template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == AGE_METRIC
    )
    assert alarm["Dimensions"] == [{"Name": "DataSet", "Value": "database"}]
    assert alarm["Threshold"] == (60 + 15) * 60 and alarm["TreatMissingData"] == "breaching"
    assert "AlarmActions" not in alarm
    monitoring = json.dumps(production.template("monitoring", production.config.replication_region))
    stack = production.stacks.regions[production.config.replication_region].replication
    assert stack is not None and stack.dump is not None
    assert "DatabaseDumpAgeAlarm" in monitoring


def test_development_has_no_dump_job(development: SynthesizedEnvironment) -> None:
    template = _replication(development)
    assert not _resources(template, "AWS::ECS::TaskDefinition")


def test_image_requirements_match_the_constraints() -> None:
    pins = {
        line.split("==")[0].lower().replace("_", "-"): line.strip()
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if "==" in line
    }
    for line in (ROOT / "images/database-dump/requirements.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name = line.split("==")[0].lower().replace("_", "-")
            assert pins.get(name, "").lower() == line.strip().lower(), line
