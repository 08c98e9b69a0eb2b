"""Fixtures for packaging tests: the repository root, the venv's launcher, a PATH without chosen tools."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from packaging_paths import PACKAGING, ROOT  # noqa: F401  (fixtures below use them)


@pytest.fixture
def path_with(tmp_path):
    """Make a folder of symlinks to just the named programs (plus sh), to use as PATH.

    Returns:
        A function taking program names and returning the folder as a PATH string.
    """
    def make(*names: str) -> str:
        folder = tmp_path / "path-bin"
        folder.mkdir(exist_ok=True)
        for name in ("sh", "bash", "env", *names):
            found = shutil.which(name)
            if found and not (folder / name).exists():
                (folder / name).symlink_to(found)
        return str(folder)
    return make


@pytest.fixture
def clean_env(tmp_path):
    """os.environ with the user's config, cache and data folders moved into tmp_path."""
    env = dict(os.environ)
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_CACHE_HOME", "cache"), ("XDG_DATA_HOME", "data"),
                     ("GUI64_CONFIG_DIR", "config/gui64"), ("GUI64_CACHE_DIR", "cache/gui64")):
        env[var] = str(tmp_path / sub)
        # They exist for a real user; VICE 3.7 exits when $XDG_CONFIG_HOME is missing.
        (tmp_path / sub).mkdir(parents=True, exist_ok=True)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


@pytest.fixture(scope="session")
def python() -> str:
    return sys.executable
