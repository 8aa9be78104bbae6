"""Typed configuration: the single source of truth for every stack and for ``azure_dr``."""

from infra.config.base import RegionRole
from infra.config.environment import EnvironmentConfig, RegionConfig
from infra.config.loader import ConfigError, available_environments, load_config

__all__ = [
    "ConfigError",
    "EnvironmentConfig",
    "RegionConfig",
    "RegionRole",
    "available_environments",
    "load_config",
]
