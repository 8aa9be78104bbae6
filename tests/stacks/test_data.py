"""Data tier: PostgreSQL primary and cross-region replicas, Redis, the database key (and the
backup key, which the storage stack holds)."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match

from infra.config import RegionRole
from tests.stacks.template_queries import resources, walk
from tests.synth import SynthesizedEnvironment


def _only(template: dict[str, Any], type_name: str) -> dict[str, Any]:
    found = list(resources(template, type_name).values())
    assert len(found) == 1, (type_name, len(found))
    return found[0]


def _from_network(value: dict[str, Any]) -> str:
    """The network output a cross-stack reference reads (CDK emits Fn::GetStackOutput)."""
    output = value["Fn::GetStackOutput"]
    assert "-network-" in output["StackName"]
    return output["OutputName"]


def _db(env: SynthesizedEnvironment, region: str) -> dict[str, Any]:
    return _only(env.template("data", region), "AWS::RDS::DBInstance")


def _redis(env: SynthesizedEnvironment, region: str) -> dict[str, Any]:
    return _only(env.template("data", region), "AWS::ElastiCache::ReplicationGroup")


def test_production_primary_has_the_design_numbers(production: SynthesizedEnvironment):
    db = _db(production, "us-east-1")["Properties"]
    assert db["DBInstanceIdentifier"] == "fdr-production-postgres-us-east-1"
    assert db["Engine"] == "postgres"
    assert db["EngineVersion"].startswith("17.")
    assert db["DBInstanceClass"] == "db.r5.2xlarge"
    assert db["MultiAZ"] is True
    assert (db["StorageType"], db["AllocatedStorage"], db["MaxAllocatedStorage"]) == (
        "gp3",
        "1000",
        10000,
    )
    assert db["Iops"] == 12000
    assert db["BackupRetentionPeriod"] == 30
    assert db["PreferredBackupWindow"] == "03:00-04:00"
    assert db["PreferredMaintenanceWindow"] == "sun:04:00-sun:05:00"
    assert db["StorageEncrypted"] is True
    assert db["EnableIAMDatabaseAuthentication"] is True
    assert db["EnablePerformanceInsights"] is True
    assert "PerformanceInsightsKMSKeyId" in db
    assert db["MonitoringInterval"] == 60
    assert sorted(db["EnableCloudwatchLogsExports"]) == ["postgresql", "upgrade"]
    assert db["DeletionProtection"] is True
    assert db["DeleteAutomatedBackups"] is False
    assert db["CopyTagsToSnapshot"] is True
    assert db["PubliclyAccessible"] is False


def test_master_secret_is_managed_by_rds_with_a_customer_key(any_env: SynthesizedEnvironment):
    template = any_env.template("data", any_env.config.primary_region)
    db = _db(any_env, any_env.config.primary_region)["Properties"]
    assert db["ManageMasterUserPassword"] is True
    assert "MasterUserPassword" not in db
    key_ref = db["MasterUserSecret"]["KmsKeyId"]["Fn::GetAtt"][0]
    assert template["Resources"][key_ref]["Type"] == "AWS::KMS::Key"
    assert db["KmsKeyId"] == db["MasterUserSecret"]["KmsKeyId"]


def test_tls_is_enforced_by_the_parameter_group(any_env: SynthesizedEnvironment):
    for region in any_env.config.regions:
        template = any_env.template("data", region)
        group = _only(template, "AWS::RDS::DBParameterGroup")["Properties"]
        assert group["Parameters"] == {"rds.force_ssl": "1"}
        assert group["Family"] == "postgres17"
        db = _db(any_env, region)["Properties"]
        assert db["DBParameterGroupName"] == {"Ref": _logical_id(template, group)}


def _logical_id(template: dict[str, Any], resource_properties: dict[str, Any]) -> str:
    return next(
        k for k, v in template["Resources"].items() if v.get("Properties") is resource_properties
    )


def test_each_replica_points_at_the_primary_arn(any_env: SynthesizedEnvironment):
    config = any_env.config
    primary = config.primary_region
    expected = f"arn:aws:rds:{primary}:{config.account}:db:fdr-{config.name}-postgres-{primary}"
    replicas = [r for r in config.regions if r != primary]
    for region in replicas:
        db = _db(any_env, region)["Properties"]
        assert db["SourceDBInstanceIdentifier"] == expected
        assert db["SourceRegion"] == primary
        assert db["DBInstanceIdentifier"] == f"fdr-{config.name}-postgres-{region}"
        assert db["DBInstanceClass"] == config.data.database.replica_instance_class
        for key in ("Engine", "EngineVersion", "MasterUsername", "StorageEncrypted", "DBName"):
            assert key not in db, key
        # encrypted with this region's own database key
        key_id = db["KmsKeyId"]["Fn::GetAtt"][0]
        assert any_env.template("data", region)["Resources"][key_id]["Type"] == "AWS::KMS::Key"
    if config.name != "development":
        assert len(replicas) == 3


def test_production_replicas_are_db_r5_xlarge_and_the_standby_is_marked(
    production: SynthesizedEnvironment,
):
    for region in ("eu-west-1", "ap-southeast-1", "us-west-2"):
        db = _db(production, region)["Properties"]
        assert db["DBInstanceClass"] == "db.r5.xlarge"
        role = {t["Key"]: t["Value"] for t in db["Tags"]}["fdr:failover-role"]
        assert role == ("promotable-standby" if region == "us-west-2" else "read-replica")
    primary_tags = {
        t["Key"]: t["Value"] for t in _db(production, "us-east-1")["Properties"]["Tags"]
    }
    assert primary_tags["fdr:failover-role"] == "primary"


def test_replica_data_stacks_depend_on_the_primary(any_env: SynthesizedEnvironment):
    names = any_env.stacks.names
    primary = names.stack_id("data", any_env.config.primary_region)
    for region in any_env.config.regions:
        if region == any_env.config.primary_region:
            continue
        deps = any_env.manifest["artifacts"][names.stack_id("data", region)]["dependencies"]
        assert primary in deps


def test_development_is_small_single_az_and_destroyable(development: SynthesizedEnvironment):
    template = development.template("data", "us-east-1")
    db = _db(development, "us-east-1")
    assert db["Properties"]["DBInstanceClass"] == "db.t4g.micro"
    assert db["Properties"]["MultiAZ"] is False
    assert db["Properties"]["DeletionProtection"] is False
    assert db["Properties"]["AllocatedStorage"] == "20"
    assert "Iops" not in db["Properties"]
    assert db["DeletionPolicy"] == "Delete"
    redis = _redis(development, "us-east-1")["Properties"]
    assert redis["NumCacheClusters"] == 1
    assert redis["AutomaticFailoverEnabled"] is False
    assert redis["MultiAZEnabled"] is False
    assert template  # one region only
    assert list(development.config.regions) == ["us-east-1"]


STATEFUL = (
    "AWS::RDS::DBInstance",
    "AWS::ElastiCache::ReplicationGroup",
    "AWS::KMS::Key",
    "AWS::Logs::LogGroup",
    "AWS::SecretsManager::Secret",
)


@pytest.mark.parametrize("tier", ["data", "storage"])
def test_stateful_resources_are_retained_in_staging_and_production(
    any_env: SynthesizedEnvironment, tier: str
):
    expected = "Retain" if any_env.config.name in ("staging", "production") else "Delete"
    checked = 0
    for region in any_env.config.regions:
        for resource in any_env.template(tier, region)["Resources"].values():
            if resource["Type"] in (*STATEFUL, "AWS::S3::Bucket"):
                assert resource["DeletionPolicy"] == expected, resource["Type"]
                assert resource["UpdateReplacePolicy"] == expected, resource["Type"]
                checked += 1
    assert checked


def test_production_redis_has_the_design_numbers(production: SynthesizedEnvironment):
    for region in production.config.regions:
        redis = _redis(production, region)["Properties"]
        assert redis["ReplicationGroupId"] == f"fdr-production-redis-{region}"
        assert redis["Engine"] == "redis"
        assert redis["EngineVersion"].startswith("7.")
        assert redis["CacheParameterGroupName"] == "default.redis7"
        assert redis["CacheNodeType"] == "cache.r6g.2xlarge"
        assert redis["NumCacheClusters"] == 3
        assert redis["AutomaticFailoverEnabled"] is True
        assert redis["MultiAZEnabled"] is True
        assert redis["SnapshotRetentionLimit"] == 15


def test_redis_is_encrypted_and_its_token_is_a_dynamic_reference(any_env: SynthesizedEnvironment):
    for region in any_env.config.regions:
        template = any_env.template("data", region)
        redis = _redis(any_env, region)["Properties"]
        assert redis["AtRestEncryptionEnabled"] is True
        assert redis["TransitEncryptionEnabled"] is True
        assert redis["TransitEncryptionMode"] == "required"
        assert "KmsKeyId" in redis
        token = "".join(str(part) for part in redis["AuthToken"]["Fn::Join"][1])
        assert token.startswith("{{resolve:secretsmanager:")
        secret = _only(template, "AWS::SecretsManager::Secret")["Properties"]
        assert "KmsKeyId" in secret
        assert "SecretString" not in secret
        log_types = sorted(c["LogType"] for c in redis["LogDeliveryConfigurations"])
        assert log_types == ["engine-log", "slow-log"]


def test_log_groups_are_encrypted_with_the_network_logs_key(any_env: SynthesizedEnvironment):
    for region in any_env.config.regions:
        template = any_env.template("data", region)
        groups = resources(template, "AWS::Logs::LogGroup").values()
        assert len(groups) == 4  # postgresql, upgrade, slow-log, engine-log
        for group in groups:
            assert "LogsKey" in _from_network(group["Properties"]["KmsKeyId"])
        names = {
            g["Properties"].get("LogGroupName") for g in groups if "LogGroupName" in g["Properties"]
        }
        identifier = any_env.stacks.names.database_identifier(region)
        assert names == {
            f"/aws/rds/instance/{identifier}/{log}" for log in ("postgresql", "upgrade")
        }


def test_data_stores_sit_behind_their_security_groups_only(any_env: SynthesizedEnvironment):
    for region in any_env.config.regions:
        template = any_env.template("data", region)
        db = _db(any_env, region)["Properties"]
        redis = _redis(any_env, region)["Properties"]
        assert len(db["VPCSecurityGroups"]) == 1
        assert "SecurityGroupsDb" in _from_network(db["VPCSecurityGroups"][0])
        assert len(redis["SecurityGroupIds"]) == 1
        assert "SecurityGroupsCache" in _from_network(redis["SecurityGroupIds"][0])
        # the data stack opens nothing itself
        assert not resources(template, "AWS::EC2::SecurityGroup")
        assert not resources(template, "AWS::EC2::SecurityGroupIngress")
        assert not any(
            isinstance(node, dict) and node.get("CidrIp") == "0.0.0.0/0" for node in walk(template)
        )


def test_keys_rotate_and_carry_the_shared_aliases(any_env: SynthesizedEnvironment):
    env_name = any_env.config.name
    for region in any_env.config.regions:
        data = any_env.assertions("data", region)
        data.resource_properties_count_is("AWS::KMS::Key", {"EnableKeyRotation": True}, 1)
        data.has_resource_properties(
            "AWS::KMS::Alias", {"AliasName": f"alias/fdr-{env_name}-database"}
        )
        storage = any_env.assertions("storage", region)
        for purpose in ("storage", "backup"):
            storage.has_resource_properties(
                "AWS::KMS::Alias", {"AliasName": f"alias/fdr-{env_name}-{purpose}"}
            )
        storage.resource_properties_count_is("AWS::KMS::Key", {"EnableKeyRotation": True}, 2)


def test_primary_replicates_its_automated_backups_into_the_standby(
    any_env: SynthesizedEnvironment,
):
    config = any_env.config
    primary = _only(any_env.template("data", config.primary_region), "AWS::RDS::DBInstance")
    props = primary["Properties"]
    days = config.backup.standby_backup_replication_days
    standby = next(iter(config.regions_with_role(RegionRole.STANDBY)), None)
    if not (standby and days):
        assert not [k for k in props if k.startswith("AutomaticBackupReplication")]
        return
    assert props["AutomaticBackupReplicationRegion"] == standby
    assert props["AutomaticBackupReplicationRetentionPeriod"] == days
    # the standby's backup key by key ARN (the documented form), read from the standby's
    # storage stack without an export, which therefore deploys before the primary database
    reference = props["AutomaticBackupReplicationKmsKeyId"]["Fn::GetStackOutput"]
    storage = any_env.stacks.names.stack_id("storage", standby)
    assert (reference["StackName"], reference["Region"]) == (storage, standby)
    output = any_env.templates[storage]["Outputs"][reference["OutputName"]]["Value"]
    assert output["Fn::GetAtt"][0].startswith("BackupKey") and output["Fn::GetAtt"][1] == "Arn"
    primary_data = any_env.stacks.names.stack_id("data", config.primary_region)
    assert storage in any_env.manifest["artifacts"][primary_data]["dependencies"]


def test_subnet_groups_use_the_isolated_data_subnets(any_env: SynthesizedEnvironment):
    region = any_env.config.primary_region
    template = any_env.template("data", region)
    rds_subnets = _only(template, "AWS::RDS::DBSubnetGroup")["Properties"]["SubnetIds"]
    cache_subnets = _only(template, "AWS::ElastiCache::SubnetGroup")["Properties"]["SubnetIds"]
    for subnet in (*rds_subnets, *cache_subnets):
        assert "dataSubnet" in _from_network(subnet)
    assert len(rds_subnets) == len(any_env.config.regions[region].availability_zones)
    any_env.assertions("data", region).has_resource_properties(
        "AWS::RDS::DBInstance", {"DBSubnetGroupName": Match.any_value()}
    )
