"""Reader <-> writer of physical names: every name one stack or job reads (database and Redis
ids, bucket names, KMS aliases, SSM parameters, stack outputs) is written by another stack under
exactly that name, in the region where it is read. Both sides come from the synthesized
templates; names are compared, not only existence."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from tests.contract.deployed_jobs import DeployedJob, deployed_jobs
from tests.stacks.template_queries import resources, walk
from tests.synth import SynthesizedEnvironment


def _region(env: SynthesizedEnvironment, stack_id: str) -> str:
    return str(env.manifest["artifacts"][stack_id]["environment"].rsplit("/", 1)[-1])


def _written(env: SynthesizedEnvironment, type_name: str, prop: str) -> set[tuple[str, str]]:
    """(region, name) of every resource of ``type_name`` that names itself with ``prop``."""
    return {
        (_region(env, stack_id), str(resource["Properties"][prop]))
        for stack_id, template in env.templates.items()
        for resource in resources(template, type_name).values()
        if isinstance(resource["Properties"].get(prop), str)
    }


def _job(env: SynthesizedEnvironment, name: str) -> DeployedJob:
    return next(j for j in deployed_jobs(env) if j.job == name)


def test_backup_jobs_act_on_resources_under_the_names_the_data_tier_gives_them(
    any_env: SynthesizedEnvironment,
):
    settings = _job(any_env, "snapshot").settings
    instances = _written(any_env, "AWS::RDS::DBInstance", "DBInstanceIdentifier")
    groups = _written(any_env, "AWS::ElastiCache::ReplicationGroup", "ReplicationGroupId")
    aliases = _written(any_env, "AWS::KMS::Alias", "AliasName")
    buckets = _written(any_env, "AWS::S3::Bucket", "BucketName")

    assert (settings.primary_region, settings.database_id) in instances, (
        f"snapshot/copy/prune/verify act on database {settings.database_id!r} in "
        f"{settings.primary_region}; the data stacks create {sorted(instances)}"
    )
    assert (settings.primary_region, settings.redis_group_id) in groups, (
        f"snapshot/prune act on Redis group {settings.redis_group_id!r}; the data stacks create "
        f"{sorted(groups)}"
    )
    for region in settings.snapshot_regions:
        assert (region, settings.backup_key_alias) in aliases, (
            f"copy re-encrypts into {settings.backup_key_alias!r} in {region}; that region "
            f"has the aliases {sorted(a for r, a in aliases if r == region)}"
        )
    assert (settings.primary_region, settings.primary_bucket) in buckets, (
        f"verify writes its canary to {settings.primary_bucket!r}; the storage stacks create "
        f"{sorted(buckets)}"
    )
    for region, bucket in settings.replica_buckets:
        assert (region, bucket) in buckets, (
            f"verify reads the canary from {bucket!r} in {region}; the storage stacks create "
            f"{sorted(buckets)}"
        )


def test_promote_acts_on_the_standby_replica_of_the_primary(any_env: SynthesizedEnvironment):
    promotes = [j for j in deployed_jobs(any_env) if j.job == "promote"]
    if not promotes:
        # no promote function: then no job may believe there is a standby to act on
        assert not any(j.settings.standby_region for j in deployed_jobs(any_env))
        return
    (promote,) = promotes
    settings = promote.settings
    assert promote.region == settings.standby_region
    replicas = {
        (_region(any_env, stack_id), r["Properties"]["DBInstanceIdentifier"]): r["Properties"]
        for stack_id, template in any_env.templates.items()
        for r in resources(template, "AWS::RDS::DBInstance").values()
    }
    standby = replicas.get((settings.standby_region, settings.standby_database_id))
    assert standby is not None, (
        f"promote promotes {settings.standby_database_id!r} in {settings.standby_region}; the "
        f"data stacks create {sorted(replicas)}"
    )
    assert standby["SourceDBInstanceIdentifier"].endswith(f":db:{settings.database_id}")


def test_replicas_name_the_primary_they_replicate(any_env: SynthesizedEnvironment):
    instances = _written(any_env, "AWS::RDS::DBInstance", "DBInstanceIdentifier")
    for stack_id, template in any_env.templates.items():
        for instance in resources(template, "AWS::RDS::DBInstance").values():
            source = instance["Properties"].get("SourceDBInstanceIdentifier")
            if source is None:
                continue
            match = re.fullmatch(r"arn:aws:rds:([a-z0-9-]+):\d{12}:db:(.+)", source)
            assert match, f"{stack_id}: source {source!r} is not an instance ARN"
            assert (match.group(1), match.group(2)) in instances, (
                f"{stack_id} replicates {source}, which no data stack creates"
            )


def _parameter_reads(template: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(region, name) of every SSM GetParameter an SDK-call custom resource makes."""
    for resource in template["Resources"].values():
        if resource["Type"] != "Custom::AWS":
            continue
        for phase in ("Create", "Update"):
            call = resource["Properties"].get(phase)
            if isinstance(call, str) and '"getParameter"' in call:
                body = json.loads(call)
                yield body["region"], body["parameters"]["Name"]


def test_the_dns_stack_reads_the_parameters_the_compute_stacks_write(
    any_env: SynthesizedEnvironment,
):
    written = _written(any_env, "AWS::SSM::Parameter", "Name")
    dns = any_env.template("dns", "global")
    reads = set(_parameter_reads(dns))
    assert reads, "the DNS stack reads no SSM parameter"
    for region, name in sorted(reads):
        assert (region, name) in written, (
            f"the DNS stack reads SSM parameter {name!r} in {region}; the compute stacks write "
            f"{sorted(n for r, n in written if r == region)} there"
        )
    # and its permission names exactly those parameters
    granted = {
        resource
        for node in walk(dns)
        if isinstance(node, dict) and node.get("Action") == "ssm:GetParameter"
        for resource in (
            node["Resource"] if isinstance(node["Resource"], list) else [node["Resource"]]
        )
    }
    expected = {f"arn:aws:ssm:{r}:{any_env.config.account}:parameter{n}" for r, n in reads}
    assert granted == expected


def test_s3_replication_targets_the_replica_buckets_and_their_keys(
    any_env: SynthesizedEnvironment,
):
    buckets = _written(any_env, "AWS::S3::Bucket", "BucketName")
    aliases = _written(any_env, "AWS::KMS::Alias", "AliasName")
    for stack_id, template in any_env.templates.items():
        for bucket in resources(template, "AWS::S3::Bucket").values():
            rules = bucket["Properties"].get("ReplicationConfiguration", {}).get("Rules", [])
            for rule in rules:
                destination = rule["Destination"]
                name = destination["Bucket"].removeprefix("arn:aws:s3:::")
                key = destination["EncryptionConfiguration"]["ReplicaKmsKeyID"]
                region, alias = re.fullmatch(
                    r"arn:aws:kms:([a-z0-9-]+):\d{12}:(alias/.+)", key
                ).groups()  # type: ignore[union-attr]
                assert (region, name) in buckets, f"{stack_id} replicates into {name}, not created"
                assert (region, alias) in aliases, (
                    f"{stack_id} re-encrypts with {alias} in {region}"
                )


def test_stack_outputs_read_across_regions_exist(any_env: SynthesizedEnvironment):
    for stack_id, template in any_env.templates.items():
        for node in walk(template):
            if not (isinstance(node, dict) and "Fn::GetStackOutput" in node):
                continue
            ref = node["Fn::GetStackOutput"]
            producer = any_env.templates.get(ref["StackName"])
            assert producer is not None, f"{stack_id} reads an output of unknown {ref['StackName']}"
            assert _region(any_env, ref["StackName"]) == ref.get(
                "Region", _region(any_env, stack_id)
            )
            assert ref["OutputName"] in producer.get("Outputs", {}), (
                f"{stack_id} reads output {ref['OutputName']} that {ref['StackName']} lacks"
            )


def test_iam_kms_alias_conditions_name_existing_aliases(any_env: SynthesizedEnvironment):
    """The jobs' KMS statements match keys by kms:ResourceAliases: each alias named must exist
    in every region the statement covers."""
    aliases = _written(any_env, "AWS::KMS::Alias", "AliasName")
    for stack_id, template in any_env.templates.items():
        if "-backup-" not in stack_id:
            continue
        for node in walk(template):
            if not (isinstance(node, dict) and "Condition" in node and "Resource" in node):
                continue
            named = node["Condition"].get("ForAnyValue:StringEquals", {}).get("kms:ResourceAliases")
            if not named:
                continue
            resources_ = (
                node["Resource"] if isinstance(node["Resource"], list) else [node["Resource"]]
            )
            regions = {r.split(":")[3] for r in resources_ if isinstance(r, str)}
            for region in regions:
                present = {a for r, a in aliases if r == region}
                # at least one named alias exists there (database or backup key, for example)
                assert present & set(named), (
                    f"{stack_id}: {node.get('Sid')} matches keys by {named} in {region}, where "
                    f"only {sorted(present)} exist"
                )
