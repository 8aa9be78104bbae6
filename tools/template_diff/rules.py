"""What makes a change dangerous: stateful types, their replacing properties, security surfaces.

The replacing properties of the stateful types are written out here (they are what a reviewer
must know by heart); ``tests/tools/test_rules.py`` checks them against the CloudFormation
registry schemas that cfn-lint ships, so a typo or a property AWS made updatable shows up.
For every other type the schemas' ``createOnlyProperties`` are read when cfn-lint is installed.
"""

from __future__ import annotations

import functools
import json
from importlib import resources

# Resource types whose replacement or removal loses data or breaks everything that uses them.
# Values: properties (dotted paths) whose change makes CloudFormation replace the resource.
STATEFUL_REPLACING_PROPERTIES: dict[str, tuple[str, ...]] = {
    "AWS::RDS::DBInstance": (
        "DBInstanceIdentifier",
        "DBName",
        "DBClusterIdentifier",
        "DBSubnetGroupName",
        "KmsKeyId",
        "StorageEncrypted",
        "MasterUsername",
        "CharacterSetName",
        "Timezone",
        "SourceRegion",
        # Conditionally create-only: a new engine or a restore from a snapshot is a new instance.
        "Engine",
        "DBSnapshotIdentifier",
    ),
    "AWS::RDS::DBCluster": (
        "DBClusterIdentifier",
        "DatabaseName",
        "DBSubnetGroupName",
        "EngineMode",
        "KmsKeyId",
        "StorageEncrypted",
        "SnapshotIdentifier",
        "SourceRegion",
        "Engine",
        "MasterUsername",
    ),
    "AWS::S3::Bucket": ("BucketName",),
    "AWS::ElastiCache::ReplicationGroup": (
        "ReplicationGroupId",
        "AtRestEncryptionEnabled",
        "CacheSubnetGroupName",
        "KmsKeyId",
        "Port",
        "SnapshotName",
    ),
    # The registry schema lists none, but CloudFormation documents these as "Replacement" (and
    # refuses the update to protect the key): either way the stack update does not keep the key.
    "AWS::KMS::Key": ("KeySpec", "KeyUsage", "MultiRegion"),
    "AWS::EKS::Cluster": (
        "Name",
        "RoleArn",
        "EncryptionConfig",
        "KubernetesNetworkConfig.IpFamily",
        "KubernetesNetworkConfig.ServiceIpv4Cidr",
    ),
    "AWS::Logs::LogGroup": ("LogGroupName",),
    "AWS::SecretsManager::Secret": ("Name",),
    "AWS::DynamoDB::Table": ("TableName", "KeySchema"),
    "AWS::Backup::BackupVault": ("BackupVaultName", "EncryptionKeyArn"),
}

# Properties (or every property: None) whose change alters who can reach or use what.
SECURITY_PROPERTIES: dict[str, tuple[str, ...] | None] = {
    "AWS::IAM::Role": (
        "AssumeRolePolicyDocument",
        "Policies",
        "ManagedPolicyArns",
        "PermissionsBoundary",
    ),
    "AWS::IAM::Policy": None,
    "AWS::IAM::ManagedPolicy": None,
    "AWS::IAM::User": None,
    "AWS::IAM::Group": None,
    "AWS::EC2::SecurityGroup": ("SecurityGroupIngress", "SecurityGroupEgress"),
    "AWS::EC2::SecurityGroupIngress": None,
    "AWS::EC2::SecurityGroupEgress": None,
    "AWS::EC2::NetworkAclEntry": None,
    "AWS::KMS::Key": ("KeyPolicy",),
    "AWS::S3::BucketPolicy": None,
    "AWS::S3::Bucket": ("PublicAccessBlockConfiguration", "BucketEncryption"),
    "AWS::SQS::QueuePolicy": None,
    "AWS::SNS::TopicPolicy": None,
    "AWS::SecretsManager::ResourcePolicy": None,
    "AWS::Lambda::Permission": None,
    "AWS::EKS::AccessEntry": None,
    "AWS::RDS::DBInstance": ("PubliclyAccessible", "StorageEncrypted"),
    "AWS::RDS::DBCluster": ("PubliclyAccessible", "StorageEncrypted"),
}

# Policy documents, described statement by statement.
POLICY_DOCUMENT_PROPERTIES = ("PolicyDocument", "AssumeRolePolicyDocument", "KeyPolicy")
# Inline security-group rule lists, described rule by rule.
RULE_LIST_PROPERTIES = {"SecurityGroupIngress": "ingress", "SecurityGroupEgress": "egress"}
RULE_RESOURCE_DIRECTIONS = {
    "AWS::EC2::SecurityGroupIngress": "ingress",
    "AWS::EC2::SecurityGroupEgress": "egress",
}


def is_stateful(resource_type: str) -> bool:
    return resource_type in STATEFUL_REPLACING_PROPERTIES


def replacing_properties(resource_type: str) -> tuple[str, ...]:
    """Our table for stateful types, joined with the registry schema's create-only properties."""
    own = STATEFUL_REPLACING_PROPERTIES.get(resource_type, ())
    schema = registry_create_only(resource_type)
    return own + tuple(path for path in schema if path not in own)


@functools.cache
def _registry_index() -> dict[str, str] | None:
    try:
        schemas = resources.files("cfnlint.data.schemas")
    except ModuleNotFoundError:  # cfn-lint is a dev dependency; the table alone still works
        return None
    index: dict[str, str] = json.loads((schemas / "providers" / "us-east-1.json").read_text())
    return index


@functools.cache
def registry_create_only(resource_type: str, *, conditional: bool = False) -> tuple[str, ...]:
    """Create-only property paths (dotted) from the CloudFormation registry schema, if known."""
    index = _registry_index()
    if index is None or resource_type not in index:
        return ()
    schemas = resources.files("cfnlint.data.schemas")
    schema = json.loads((schemas / "resources" / f"{index[resource_type]}.json").read_text())
    key = "conditionalCreateOnlyProperties" if conditional else "createOnlyProperties"
    return tuple(
        pointer.removeprefix("/properties/").replace("/", ".") for pointer in schema.get(key, ())
    )
