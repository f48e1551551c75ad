"""User directories for cache, data and config, following XDG with SIEVERT_* overrides."""

from __future__ import annotations

import os
from pathlib import Path


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var, "")
    return Path(value) if value else Path.home() / fallback


def cache_dir() -> Path:
    """Where the layer cache lives: $SIEVERT_CACHE_DIR or $XDG_CACHE_HOME/sievert."""
    override = os.environ.get("SIEVERT_CACHE_DIR", "")
    return Path(override) if override else _xdg("XDG_CACHE_HOME", ".cache") / "sievert"


def data_dir() -> Path:
    """Where the vulnerability database lives: $SIEVERT_DB_DIR or $XDG_DATA_HOME/sievert."""
    override = os.environ.get("SIEVERT_DB_DIR", "")
    return Path(override) if override else _xdg("XDG_DATA_HOME", ".local/share") / "sievert"


def config_dir() -> Path:
    """Where user configuration lives: $XDG_CONFIG_HOME/sievert."""
    return _xdg("XDG_CONFIG_HOME", ".config") / "sievert"
