"""Shared pytest fixtures: the real stories260K model files and what is loaded from them."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def model_files():
    """The real stories260K.bin / tok512.bin (../shared/models in development and CI)."""
    from gui64.models import find_model_files
    return find_model_files()


@pytest.fixture(scope="session")
def checkpoint(model_files):
    """The stories260K checkpoint as float32 arrays."""
    from build_chain.checkpoint import load_checkpoint
    return load_checkpoint(model_files.checkpoint)


@pytest.fixture(scope="session")
def tokenizer(model_files, checkpoint):
    """The tok512 tokenizer, checked against the model's vocabulary size."""
    from build_chain.tokenizer import Tokenizer
    return Tokenizer.load(model_files.tokenizer, vocab_size=checkpoint.config.vocab_size)


@pytest.fixture(scope="session")
def exported(model_files, tmp_path_factory):
    """weights.reu + reu_map.json exported from the real model (build_chain.export.ExportResult)."""
    from build_chain.export import export_model
    return export_model(model_files.checkpoint, model_files.tokenizer, tmp_path_factory.mktemp("export"))


@pytest.fixture(scope="session")
def twin(exported):
    """The integer twin reading the exported image."""
    from build_chain.twin import Twin
    return Twin(exported.reu)


def pytest_configure(config):
    """Keep builds, exports and settings of the test run out of the user's folders."""
    import os
    import tempfile
    os.environ.setdefault("GUI64_CACHE_DIR", tempfile.mkdtemp(prefix="gui64-test-cache-"))
    os.environ.setdefault("GUI64_CONFIG_DIR", tempfile.mkdtemp(prefix="gui64-test-config-"))


@pytest.fixture(scope="session")
def artifacts(model_files):
    """weights.reu + llama64.prg as the CLI builds them (cached for the test run)."""
    from gui64.artifacts import ensure_artifacts
    return ensure_artifacts(model_files)
