"""Storage tier: data and access-log buckets, lifecycle, replication from the primary."""

from __future__ import annotations

from typing import Any

from tests.stacks.template_queries import resources
from tests.synth import SynthesizedEnvironment


def _bucket(env: SynthesizedEnvironment, region: str, name: str) -> dict[str, Any]:
    for bucket in resources(env.template("storage", region), "AWS::S3::Bucket").values():
        if bucket["Properties"]["BucketName"] == name:
            return bucket["Properties"]
    raise AssertionError(name)


def _data_bucket(env: SynthesizedEnvironment, region: str) -> dict[str, Any]:
    return _bucket(env, region, env.stacks.names.data_bucket(env.config.account, region))


def test_data_buckets_are_private_versioned_and_kms_encrypted(any_env: SynthesizedEnvironment):
    for region in any_env.config.regions:
        bucket = _data_bucket(any_env, region)
        assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
        assert bucket["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        sse = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
        assert sse["BucketKeyEnabled"] is True
        log_bucket = any_env.stacks.names.access_log_bucket(any_env.config.account, region)
        assert bucket["LoggingConfiguration"]["DestinationBucketName"] == {
            "Ref": _logical_id(any_env.template("storage", region), log_bucket)
        }


def _logical_id(template: dict[str, Any], bucket_name: str) -> str:
    return next(
        k
        for k, v in resources(template, "AWS::S3::Bucket").items()
        if v["Properties"]["BucketName"] == bucket_name
    )


def test_bucket_policies_deny_plain_http(any_env: SynthesizedEnvironment):
    for region in any_env.config.regions:
        policies = resources(any_env.template("storage", region), "AWS::S3::BucketPolicy")
        assert len(policies) == 2
        for policy in policies.values():
            statements = policy["Properties"]["PolicyDocument"]["Statement"]
            assert any(
                s["Effect"] == "Deny"
                and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
                for s in statements
            )


def test_production_lifecycle_is_the_design(production: SynthesizedEnvironment):
    for region in production.config.regions:
        (rule,) = _data_bucket(production, region)["LifecycleConfiguration"]["Rules"]
        assert rule["Status"] == "Enabled"
        assert rule["Transitions"] == [
            {"StorageClass": "STANDARD_IA", "TransitionInDays": 30},
            {"StorageClass": "GLACIER", "TransitionInDays": 90},
        ]
        assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 2555}
        assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}


def test_development_keeps_noncurrent_versions_briefly(development: SynthesizedEnvironment):
    (rule,) = _data_bucket(development, "us-east-1")["LifecycleConfiguration"]["Rules"]
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    assert "ReplicationConfiguration" not in _data_bucket(development, "us-east-1")


def test_primary_replicates_to_every_other_region(any_env: SynthesizedEnvironment):
    config, names = any_env.config, any_env.stacks.names
    primary = config.primary_region
    others = [r for r in config.regions if r != primary]
    replication = _data_bucket(any_env, primary).get("ReplicationConfiguration")
    if not others:
        assert replication is None
        return
    rules = {rule["Id"]: rule for rule in replication["Rules"]}
    assert sorted(rules) == sorted(f"to-{r}" for r in others)
    assert len({rule["Priority"] for rule in rules.values()}) == len(others)
    for region in others:
        rule = rules[f"to-{region}"]
        destination = rule["Destination"]
        assert destination["Bucket"] == f"arn:aws:s3:::{names.data_bucket(config.account, region)}"
        assert destination["EncryptionConfiguration"]["ReplicaKmsKeyID"] == (
            f"arn:aws:kms:{region}:{config.account}:alias/fdr-{config.name}-storage"
        )
        assert destination["StorageClass"] == "STANDARD_IA"
        assert rule["DeleteMarkerReplication"] == {"Status": "Enabled"}
        assert rule["SourceSelectionCriteria"] == {"SseKmsEncryptedObjects": {"Status": "Enabled"}}
        assert rule["Filter"] == {"Prefix": ""}
        assert rule["Status"] == "Enabled"
        if config.data.storage.replication.time_control:
            assert destination["ReplicationTime"]["Status"] == "Enabled"
            assert destination["Metrics"]["Status"] == "Enabled"
        else:
            assert "ReplicationTime" not in destination
        # replica buckets do not replicate further
        assert "ReplicationConfiguration" not in _data_bucket(any_env, region)


def test_production_has_rtc_and_four_data_buckets(production: SynthesizedEnvironment):
    buckets = [_data_bucket(production, r) for r in production.config.regions]
    assert len(buckets) == 4
    rules = _data_bucket(production, "us-east-1")["ReplicationConfiguration"]["Rules"]
    assert len(rules) == 3
    assert all(r["Destination"]["ReplicationTime"]["Time"] == {"Minutes": 15} for r in rules)


def test_replication_role_is_scoped(any_env: SynthesizedEnvironment):
    config = any_env.config
    template = any_env.template("storage", config.primary_region)
    policies = resources(template, "AWS::IAM::ManagedPolicy")
    if len(config.regions) == 1:
        assert not policies
        return
    (policy,) = policies.values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    actions = [
        a
        for s in statements
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]
    assert all("*" not in a for a in actions)
    (kms_encrypt,) = [s for s in statements if "kms:Encrypt" in s["Action"]]
    assert kms_encrypt["Condition"] == {
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": [f"alias/fdr-{config.name}-storage"]}
    }
    assert not resources(template, "AWS::IAM::Policy")  # no inline policies


def test_primary_storage_depends_on_every_other_storage_stack(any_env: SynthesizedEnvironment):
    names = any_env.stacks.names
    primary = any_env.config.primary_region
    deps = any_env.manifest["artifacts"][names.stack_id("storage", primary)].get("dependencies", [])
    for region in any_env.config.regions:
        if region != primary:
            assert names.stack_id("storage", region) in deps
            other = any_env.manifest["artifacts"][names.stack_id("storage", region)]
            assert names.stack_id("storage", primary) not in other.get("dependencies", [])


def test_access_log_bucket_expires_logs(any_env: SynthesizedEnvironment):
    days = any_env.config.data.storage.access_log_retention_days
    for region in any_env.config.regions:
        name = any_env.stacks.names.access_log_bucket(any_env.config.account, region)
        bucket = _bucket(any_env, region, name)
        (rule,) = bucket["LifecycleConfiguration"]["Rules"]
        assert rule["ExpirationInDays"] == days
        sse = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
