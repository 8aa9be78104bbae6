"""operator_access: a private Kubernetes API needs the Session Manager host; its settings are
bounded the way Session Manager and EC2 bound them."""

from __future__ import annotations

from pathlib import Path

from tests.unit.config_helpers import config_error, load_mutated, one_line


def test_production_runs_the_host():
    from infra.config import load_config

    assert load_config("production", environ={}).operator_access.session_manager_host


def test_a_private_endpoint_without_the_host_is_refused(tmp_path: Path):
    def mutate(data):
        data["operator_access"]["session_manager_host"] = False

    message = one_line(config_error(tmp_path, mutate))
    assert "operator_access.session_manager_host" in message
    assert "no operator could reach it" in message


def test_a_public_endpoint_may_go_without_the_host(tmp_path: Path):
    def mutate(data):
        data["operator_access"] = {"session_manager_host": False}
        data["compute"]["public_endpoint_cidrs"] = ["203.0.113.0/24"]

    assert not load_mutated(tmp_path, mutate).operator_access.session_manager_host


def test_idle_timeout_is_bounded_like_session_manager(tmp_path: Path):
    def mutate(data):
        data["operator_access"]["idle_session_timeout_minutes"] = 61

    assert "idle_session_timeout_minutes" in one_line(config_error(tmp_path, mutate))


def test_instance_type_is_checked(tmp_path: Path):
    def mutate(data):
        data["operator_access"]["instance_type"] = "tiny"

    assert "instance_type" in one_line(config_error(tmp_path, mutate))
