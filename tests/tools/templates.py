"""Small hand-written templates for the diff engine's unit tests."""

from __future__ import annotations

import copy
from typing import Any

STACK = "fdr-test-data-us-east-1"


def template() -> dict[str, Any]:
    """A data-tier-like stack: a database, a bucket, a key, a log group and a security group."""
    return copy.deepcopy(
        {
            "Resources": {
                "Database": {
                    "Type": "AWS::RDS::DBInstance",
                    "Properties": {
                        "DBInstanceIdentifier": "fdr-test-database",
                        "AllocatedStorage": "20",
                        "Engine": "postgres",
                        "StorageEncrypted": True,
                    },
                    "DeletionPolicy": "Snapshot",
                },
                "Bucket": {
                    "Type": "AWS::S3::Bucket",
                    "Properties": {"BucketName": "fdr-test-data"},
                },
                "Key": {
                    "Type": "AWS::KMS::Key",
                    "Properties": {
                        "EnableKeyRotation": True,
                        "KeyPolicy": {
                            "Statement": [
                                {
                                    "Action": "kms:*",
                                    "Effect": "Allow",
                                    "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
                                    "Resource": "*",
                                }
                            ]
                        },
                    },
                },
                "Logs": {
                    "Type": "AWS::Logs::LogGroup",
                    "Properties": {"RetentionInDays": 7},
                    "Metadata": {"aws:cdk:path": "stack/Logs/Resource"},
                },
                "DbSecurityGroup": {
                    "Type": "AWS::EC2::SecurityGroup",
                    "Properties": {
                        "GroupDescription": "db tier",
                        "SecurityGroupIngress": [
                            {
                                "IpProtocol": "tcp",
                                "FromPort": 5432,
                                "ToPort": 5432,
                                "CidrIp": "10.0.0.0/16",
                            }
                        ],
                    },
                },
            },
            "Outputs": {"DatabaseEndpoint": {"Value": {"Fn::GetAtt": ["Database", "Endpoint"]}}},
        }
    )
