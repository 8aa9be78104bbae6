"""Builds the failover's context from the CLI's pieces; tests replace any part (``seams``:
route53 = a boto3 Route 53 client, database = a DatabaseSeam, container = name -> blob
ContainerClient, clock, mode)."""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable, Mapping
from typing import Any, TextIO

import boto3

from azure_dr.client import ArmSession
from azure_dr.failover import command
from azure_dr.failover.database import real_seam
from azure_dr.failover.dns import Route53
from azure_dr.failover.pools import AgentPools
from azure_dr.failover.timeline import BlobMarker
from azure_dr.footprint import Footprint
from azure_dr.footprint.arm import evaluate_resource_id, resource_id
from azure_dr.footprint.cluster import AKS_TYPE
from infra.config import EnvironmentConfig
from infra.naming import Names

# Route 53 is global; its API (and the DNS stack) live in us-east-1.
ROUTE53_REGION = "us-east-1"


def _container_factory(outputs: Callable[[], dict[str, Any]], credential: Any) -> Any:
    from azure.storage.blob import BlobServiceClient

    def factory(name: str) -> Any:
        service = BlobServiceClient(outputs()["blobEndpoint"], credential=credential)
        return service.get_container_client(name)

    return factory


def _vault(args: argparse.Namespace, footprint: Footprint, credential: Any) -> Any:
    """The footprint vault's data plane, for the admin password (made only when needed)."""
    from azure_dr.clouds import CLOUDS
    from azure_dr.vault import VaultSecrets, vault_url

    def vault() -> VaultSecrets:
        name = footprint.names.key_vault
        url = vault_url(name, CLOUDS[args.cloud].vault_dns_suffix, args.vault_endpoint)
        return VaultSecrets.connect(name, url, credential, connection_verify=args.ca_bundle or True)

    return vault


def failover_names(config: EnvironmentConfig) -> Names:
    """The names the DNS stack tags its health checks with (``infra/stack_factory.py``)."""
    return Names(config.project, config.name)


def configured_mode(config: EnvironmentConfig) -> str:
    """``database_replication.mode`` (dump or continuous) when the database reaches Azure at all;
    dump otherwise, the mode whose restore the failover can always attempt."""
    db = config.database_replication
    return db.mode if db.enabled else "dump"


def run_failover(
    args: argparse.Namespace,
    config: EnvironmentConfig,
    session: ArmSession,
    footprint: Footprint,
    credential: Any,
    environ: Mapping[str, str],
    seams: Mapping[str, Any],
    out: TextIO,
    err: TextIO,
    *,
    confirm: Callable[[], bool],
) -> int:
    outputs = functools.cache(session.outputs)
    containers = seams.get("container") or _container_factory(outputs, credential)
    dumps = containers(args.dump_container)
    cluster_id = evaluate_resource_id(
        resource_id(AKS_TYPE, footprint.names.cluster),
        footprint.subscription_id,
        footprint.resource_group,
    )
    database = seams.get("database")
    ctx = command.Context(
        config=config,
        names=failover_names(config),
        route53=Route53(
            seams.get("route53") or boto3.client("route53", region_name=ROUTE53_REGION)
        ),
        pools=AgentPools(session.resources, cluster_id),
        marker=BlobMarker(dumps, f"failover/{config.name}.json"),
        database=(lambda: database) if database is not None else real_seam,
        dump_container=dumps,
        target_dsn=lambda: command.target_dsn(
            config, outputs, environ, _vault(args, footprint, credential)
        ),
        mode=seams.get("mode") or configured_mode(config),
        **({"clock": seams["clock"]} if "clock" in seams else {}),
    )
    return command.run(ctx, args, out, err, confirm)
