"""The backup jobs as the synthesized templates deploy them, and a way to run one in-process
against moto with exactly the environment variables its template gives it.

Powertools reads POWERTOOLS_SERVICE_NAME and POWERTOOLS_METRICS_NAMESPACE when its objects are
created (module import in Lambda); ``deployed_environment`` therefore reloads the job modules
inside the template's environment, and reloads them again afterwards.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3

from tests.stacks.template_queries import resources
from tests.synth import SynthesizedEnvironment

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lambdas"))

from backup_jobs.settings import SETTINGS_VARIABLE, Settings
from backup_jobs.snapshots import Snapshot

__all__ = [
    "SETTINGS_VARIABLE",
    "DeployedJob",
    "Settings",
    "Snapshot",
    "deployed_jobs",
    "job_module",
]


def job_module(name: str) -> Any:
    """``backup_jobs.<name>`` (lambdas/ is put on sys.path above, as Lambda's runtime has it)."""
    return importlib.import_module(f"backup_jobs.{name}")


# Reload order: what imports observability after it.
_MODULES = (
    "backup_jobs.observability",
    "backup_jobs.redis_snapshots",
    "backup_jobs.snapshot",
    "backup_jobs.copy",
    "backup_jobs.prune",
    "backup_jobs.verify",
    "backup_jobs.promote",
)


@dataclass(frozen=True)
class DeployedJob:
    stack_id: str
    region: str
    logical_id: str
    job: str
    """The job module (``backup_jobs.<job>``) the function's Handler names."""
    variables: dict[str, str]

    @property
    def settings(self) -> Settings:
        return Settings.from_mapping(json.loads(self.variables[SETTINGS_VARIABLE]))


def deployed_jobs(env: SynthesizedEnvironment) -> list[DeployedJob]:
    """Every Lambda function whose handler is a backup job, in every template of ``env``."""
    found = []
    for stack_id, template in env.templates.items():
        region = env.manifest["artifacts"][stack_id]["environment"].rsplit("/", 1)[-1]
        for logical_id, function in resources(template, "AWS::Lambda::Function").items():
            props = function["Properties"]
            handler = props.get("Handler", "")
            if not handler.startswith("backup_jobs."):
                continue
            variables = props.get("Environment", {}).get("Variables", {})
            unresolved = {k: v for k, v in variables.items() if not isinstance(v, str)}
            assert not unresolved, (
                f"{stack_id}/{logical_id}: environment values that are not literals {unresolved}"
            )
            module, _ = handler.removeprefix("backup_jobs.").split(".", 1)
            found.append(DeployedJob(stack_id, region, logical_id, module, dict(variables)))
    return found


def _reload() -> None:
    for name in _MODULES:
        importlib.reload(importlib.import_module(name))


@contextlib.contextmanager
def deployed_environment(job: DeployedJob) -> Iterator[Any]:
    """The job's module, imported with the function's environment variables set."""
    saved = dict(os.environ)
    try:
        for name in ("POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"):
            os.environ.pop(name, None)
        os.environ.update(job.variables)
        os.environ["AWS_DEFAULT_REGION"] = job.region
        _reload()
        yield importlib.import_module(f"backup_jobs.{job.job}")
    finally:
        os.environ.clear()
        os.environ.update(saved)
        _reload()


class LambdaContext:
    function_name = "contract-test"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:contract-test"
    aws_request_id = "contract"


def build_world(settings: Settings) -> None:
    """Inside ``mock_aws``: what the data and storage stacks would have created, under the
    names the job's settings carry (keys, the primary and its standby replica, Redis, buckets)."""
    for region in settings.snapshot_regions:
        kms = boto3.client("kms", region_name=region)
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=settings.backup_key_alias, TargetKeyId=key)
    rds = boto3.client("rds", region_name=settings.primary_region)
    arn = rds.create_db_instance(
        DBInstanceIdentifier=settings.database_id,
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="admin",
        MasterUserPassword="password123",
        AllocatedStorage=20,
        BackupRetentionPeriod=7,
    )["DBInstance"]["DBInstanceArn"]
    if settings.standby_region and settings.standby_database_id:
        standby = boto3.client("rds", region_name=settings.standby_region)
        standby.create_db_instance_read_replica(
            DBInstanceIdentifier=settings.standby_database_id, SourceDBInstanceIdentifier=arn
        )
        boto3.client("cloudwatch", region_name=settings.standby_region).put_metric_data(
            Namespace="AWS/RDS",
            MetricData=[
                {
                    "MetricName": "ReplicaLag",
                    "Dimensions": [
                        {"Name": "DBInstanceIdentifier", "Value": settings.standby_database_id}
                    ],
                    "Value": 1.0,
                    "Timestamp": datetime.now(UTC) - timedelta(minutes=2),
                }
            ],
        )
    if settings.redis_group_id:
        boto3.client("elasticache", region_name=settings.primary_region).create_replication_group(
            ReplicationGroupId=settings.redis_group_id,
            ReplicationGroupDescription="contract",
            Engine="redis",
            CacheNodeType="cache.t3.micro",
            NumCacheClusters=1,
        )
    buckets = [(settings.primary_region, settings.primary_bucket), *settings.replica_buckets]
    for region, bucket in buckets:
        if not bucket:
            continue
        s3 = boto3.client("s3", region_name=region)
        extra = (
            {}
            if region == "us-east-1"
            else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        )
        s3.create_bucket(Bucket=bucket, **extra)
        # the canary as replication would have delivered it
        s3.put_object(
            Bucket=bucket,
            Key=settings.canary_key,
            Body=json.dumps({"written_at": datetime.now(UTC).isoformat()}).encode(),
        )


def emitted_metrics(stdout: str) -> list[tuple[str, str, frozenset[str], dict[str, str]]]:
    """(namespace, metric name, dimension names, dimension values) of every embedded-metric-
    format line in ``stdout``: what CloudWatch would turn into metrics."""
    found = []
    for line in stdout.splitlines():
        try:
            document = json.loads(line)
        except ValueError:
            continue
        if not isinstance(document, dict) or "_aws" not in document:
            continue
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for dimension_set in directive["Dimensions"]:
                values = {name: str(document[name]) for name in dimension_set}
                for metric in directive["Metrics"]:
                    found.append(
                        (directive["Namespace"], metric["Name"], frozenset(dimension_set), values)
                    )
    return found
