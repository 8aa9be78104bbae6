"""Write a mutated copy of a real environment file and load it, for validation tests."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.config import ConfigError, EnvironmentConfig, load_config
from infra.config.loader import CONFIG_DIR

Mutation = Callable[[dict[str, Any]], None]


def load_mutated(tmp_path: Path, mutate: Mutation, env: str = "production") -> EnvironmentConfig:
    raw = yaml.safe_load((CONFIG_DIR / f"{env}.yaml").read_text())
    data = copy.deepcopy(raw)
    mutate(data)
    (tmp_path / f"{env}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return load_config(env, config_dir=tmp_path, environ={})


def config_error(tmp_path: Path, mutate: Mutation, env: str = "production") -> str:
    with pytest.raises(ConfigError) as caught:
        load_mutated(tmp_path, mutate, env)
    return str(caught.value)


def one_line(message: str) -> str:
    """A validation message is one line, without a traceback."""
    assert "\n" not in message, message
    assert "Traceback" not in message
    return message
