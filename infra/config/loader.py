"""Reads ``config/<env>.yaml`` into an EnvironmentConfig, turning every problem into a ConfigError
whose lines name the file, the field path and the offending value."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from infra.config import support
from infra.config.environment import EnvironmentConfig

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
ACCOUNT_OVERRIDE_VARIABLE = "FDR_ACCOUNT"


class ConfigError(Exception):
    """A configuration problem, already phrased for the operator (one line per problem)."""


def available_environments(config_dir: Path = CONFIG_DIR) -> list[str]:
    return sorted(p.stem for p in config_dir.glob("*.yaml"))


def load_config(
    env_name: str,
    *,
    config_dir: Path = CONFIG_DIR,
    account_override: str | None = None,
    environ: Mapping[str, str] = os.environ,
) -> EnvironmentConfig:
    """Load and validate one environment.

    The account comes, in order of precedence, from ``account_override`` (the ``account`` CDK
    context), the FDR_ACCOUNT environment variable, then the YAML file. CDK_DEFAULT_ACCOUNT is
    deliberately not read: the CDK CLI fills it from whatever credentials happen to be active,
    which would silently retarget a synth.
    """
    path = config_dir / f"{env_name}.yaml"
    if not path.is_file():
        valid = ", ".join(available_environments(config_dir)) or "none found"
        raise ConfigError(f"unknown environment {env_name!r} (valid: {valid}) in {config_dir}")
    raw = _read_yaml(path)
    file = _display(path)
    # Where each top-level key came from when not from the file, so an error names its source.
    sources: dict[str, str] = {}
    account = account_override or environ.get(ACCOUNT_OVERRIDE_VARIABLE)
    if account:
        raw["account"] = account
        source = "-c account" if account_override else ACCOUNT_OVERRIDE_VARIABLE
        sources["account"] = f"{source} (overrides {file})"
    if raw.get("name", env_name) != env_name:
        raise ConfigError(f"{file}: name: {raw['name']!r} does not match the file name")
    raw.setdefault("name", env_name)
    try:
        config = EnvironmentConfig.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(_format_errors(file, err, sources)) from None
    # Pinned versions past their end of standard support (infra/config/support.py).
    expired, _ = support.check(config)
    if expired:
        raise ConfigError("\n".join(f"{file}: {line}" for line in expired))
    return config


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        raise ConfigError(f"{_display(path)}:{where}: invalid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{_display(path)}: expected a mapping at the top level")
    return data


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _format_errors(default_file: str, err: ValidationError, sources: Mapping[str, str]) -> str:
    lines = []
    for e in err.errors(include_url=False):
        loc = ".".join(str(p) for p in e["loc"])
        file = sources.get(str(e["loc"][0]), default_file) if e["loc"] else default_file
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            lines.append(f"{file}: {loc}: unknown key")
        elif e["type"] == "missing":
            lines.append(f"{file}: {loc}: required key is missing")
        elif loc and e["type"] != "value_error":
            lines.append(f"{file}: {loc}: {msg} (got {e['input']!r})")
        elif loc:
            lines.append(f"{file}: {loc}: {msg}")
        else:
            # model-level checks phrase the field path themselves
            lines.append(f"{file}: {msg}")
    return "\n".join(lines)
