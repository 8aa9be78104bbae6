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

_running: list[tuple[Cluster, Cluster]] = []


def _start() -> tuple[Cluster, Cluster]:
    """The one pair of the process: the fixture may be registered twice (the metrics contract
    test imports it), and both registrations must share the servers, not start more."""
    if not _running:
        rds = start_cluster("rds", logical=True, tls=True)
        try:
            azure = start_cluster("azure")
        except BaseException:
            rds.stop()
            raise
        _running.append((rds, azure))
    return _running[0]


def _stop() -> None:
    while _running:
        for cluster in _running.pop():
            cluster.stop()


@pytest.fixture(scope="session")
def clusters() -> Iterator[tuple[Cluster, Cluster]]:
    """rds: publisher, wal_level=logical, TLS on (its ``cafile``); azure: the subscriber."""
    reason = missing_reason()
    if reason:
        pytest.skip(f"SKIPPING the PostgreSQL tests LOUDLY: {reason}")
    try:
        yield _start()
    finally:
        _stop()  # session end: every registration finishes then, the second finds nothing


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
