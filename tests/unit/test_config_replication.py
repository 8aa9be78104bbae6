"""Validation of object_replication: one clear line per problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infra.config import load_config
from tests.unit.config_helpers import config_error, load_mutated, one_line


def _set(**values: Any):
    def mutate(c: dict[str, Any]) -> None:
        for key, value in values.items():
            if value is None:
                c["object_replication"].pop(key, None)
            else:
                c["object_replication"][key] = value

    return mutate


def test_defaults_are_the_issue_numbers():
    r = load_config("production", environ={}).object_replication
    assert (r.rpo_minutes, r.delete_delay_days) == (15, 7)
    assert r.endpoint == f"https://{r.storage_account}.blob.core.windows.net/"


def test_missing_account_and_identity_is_one_line(tmp_path: Path):
    message = one_line(
        config_error(tmp_path, _set(storage_account=None, client_id=None, tenant_id=None))
    )
    assert (
        "object_replication: enabled, but storage_account, tenant_id, client_id missing" in message
    )
    assert "python -m azure_dr outputs" in message


def test_missing_identity_alone_is_named(tmp_path: Path):
    message = one_line(config_error(tmp_path, _set(client_id=None)))
    assert "enabled, but client_id missing" in message


def test_disabled_needs_no_identity(tmp_path: Path):
    def off(data: dict[str, Any]) -> None:
        _set(enabled=False, client_id=None, tenant_id=None)(data)
        data.pop("database_replication", None)  # the dump job needs object replication

    config = load_mutated(tmp_path, off)
    assert not config.object_replication.enabled


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"reconcile_schedule": "rate(15 minutes)"}, "is not shorter than rpo_minutes (15)"),
        ({"container": "logs"}, "object_replication.container: 'logs' is not one of"),
        ({"client_id": "not-a-guid"}, "object_replication.client_id: String should match"),
        ({"block_size_mib": 5000}, "object_replication.block_size_mib: Input should be"),
        ({"blob_endpoint": "http://plain"}, "object_replication.blob_endpoint: String should"),
        ({"signing_algorithm": "HS256"}, "object_replication.signing_algorithm: Input should be"),
    ],
)
def test_bad_values_are_one_clear_line(tmp_path: Path, values: dict[str, Any], expected: str):
    assert expected in one_line(config_error(tmp_path, _set(**values)))


def _database(**values: Any):
    def mutate(c: dict[str, Any]) -> None:
        link = values.pop("link", None)
        c["database_replication"].update(values)
        if link is not None:
            c["link"].update(link)

    return mutate


def test_continuous_mode_reads_its_lag_settings(tmp_path: Path):
    db = load_mutated(
        tmp_path, _database(mode="continuous", max_lag_minutes=10, lag_check_minutes=2)
    ).database_replication
    assert (db.mode, db.max_lag_minutes, db.lag_check_minutes) == ("continuous", 10, 2)
    assert db.monitor_user == "azure_dr_monitor"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {"max_lag_minutes": 2, "lag_check_minutes": 3},
            "lag_check_minutes: 3 exceeds max_lag_minutes 2: the lag alarm would see periods",
        ),
        (
            {"mode": "continuous", "link": {"continuous_replication": False}},
            "'continuous' needs link.enabled and link.continuous_replication",
        ),
        ({"monitor_user": "Monitor"}, "database_replication.monitor_user: String should match"),
        ({"lag_check_minutes": 0}, "database_replication.lag_check_minutes: Input should be"),
    ],
)
def test_bad_lag_settings_are_one_clear_line(tmp_path: Path, values: dict[str, Any], expected: str):
    assert expected in one_line(config_error(tmp_path, _database(**values)))
