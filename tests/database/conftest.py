"""Two PostgreSQL clusters per session: ``rds`` (publisher, wal_level=logical) stands in for the
us-west-2 replica / primary, ``azure`` for the Azure flexible server. Azurite is the shared
session fixture of tests/azurite.py."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from azure_dr.database.pg import Dsn, psql
from tests.azurite import Azurite
from tests.database.postgres import Cluster, missing_reason, start_cluster


@pytest.fixture(scope="session")
def clusters() -> Iterator[tuple[Cluster, Cluster]]:
    reason = missing_reason()
    if reason:
        pytest.skip(f"SKIPPING the PostgreSQL tests LOUDLY: {reason}")
    rds = start_cluster("rds", logical=True)
    try:
        azure = start_cluster("azure")
    except BaseException:
        rds.stop()
        raise
    try:
        yield rds, azure
    finally:
        rds.stop()
        azure.stop()


def new_database(cluster: Cluster) -> str:
    name = f"db_{uuid.uuid4().hex[:10]}"
    psql(Dsn.parse(cluster.dsn()), f"CREATE DATABASE {name}")
    return cluster.dsn(name)


@pytest.fixture
def container(azurite: Azurite) -> Any:
    service = azurite.service()
    client = service.get_container_client(f"backups-{uuid.uuid4().hex[:10]}")
    client.create_container()
    return client
