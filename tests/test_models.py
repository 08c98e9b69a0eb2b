"""Tests for gui64.models: where model files are looked for and what they must hash to."""

from __future__ import annotations

import pytest

from gui64 import models
from gui64.errors import Gui64Error
from gui64.models import ModelFiles, ModelNotFound, find_model_files, search_dirs


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No env var, an empty user data folder and no ../shared/models: only what a test adds."""
    monkeypatch.delenv(models.ENV_MODEL_DIR, raising=False)
    user = tmp_path / "user-data" / "models"
    monkeypatch.setattr(models, "user_model_dir", lambda: user)
    monkeypatch.setattr(models, "dev_model_dirs", lambda: [tmp_path / "shared" / "models"])
    return tmp_path


def _put_models(folder):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "stories260K.bin").write_bytes(b"model")
    (folder / "tok512.bin").write_bytes(b"tok")
    return ModelFiles(folder / "stories260K.bin", folder / "tok512.bin")


def test_finds_the_shared_development_copy(model_files):
    assert model_files.checkpoint.name == "stories260K.bin" and model_files.checkpoint.is_file()
    assert model_files.tokenizer.parent == model_files.checkpoint.parent


def test_shared_copy_matches_published_digests(model_files):
    assert models.verify(model_files) == []


def test_explicit_dir_comes_first(isolated, monkeypatch):
    want = _put_models(isolated / "explicit")
    monkeypatch.setenv(models.ENV_MODEL_DIR, str(isolated / "env"))
    _put_models(isolated / "env")
    _put_models(isolated / "user-data" / "models")
    assert find_model_files(isolated / "explicit") == ModelFiles(want.checkpoint.resolve(),
                                                                 want.tokenizer.resolve())


def test_explicit_file_means_its_folder(isolated):
    want = _put_models(isolated / "explicit")
    assert find_model_files(want.checkpoint).checkpoint == want.checkpoint.resolve()


def test_env_dir_beats_user_data_dir(isolated, monkeypatch):
    _put_models(isolated / "user-data" / "models")
    want = _put_models(isolated / "env")
    monkeypatch.setenv(models.ENV_MODEL_DIR, str(isolated / "env"))
    assert find_model_files().tokenizer == want.tokenizer.resolve()


def test_user_data_dir_then_shared_models(isolated):
    want = _put_models(isolated / "shared" / "models")
    assert find_model_files().checkpoint == want.checkpoint.resolve()
    want = _put_models(isolated / "user-data" / "models")
    assert find_model_files().checkpoint == want.checkpoint.resolve()


def test_folder_with_only_one_file_is_skipped(isolated):
    (isolated / "half").mkdir()
    (isolated / "half" / "stories260K.bin").write_bytes(b"model")
    want = _put_models(isolated / "shared" / "models")
    assert find_model_files(isolated / "half").checkpoint == want.checkpoint.resolve()


def test_not_found_lists_places_and_says_what_to_do(isolated, monkeypatch):
    monkeypatch.setenv(models.ENV_MODEL_DIR, str(isolated / "env"))
    with pytest.raises(ModelNotFound) as info:
        find_model_files(isolated / "explicit")
    message = str(info.value)
    assert isinstance(info.value, Gui64Error)
    for place in ("explicit", "env", "user-data", "shared"):
        assert str(isolated / place) in message
    assert "gui64 fetch-model" in message and "--model-dir" in message
    assert info.value.searched == search_dirs(isolated / "explicit")


def test_default_user_dir_is_platformdirs_data_folder():
    import platformdirs
    assert models.user_model_dir() == models.Path(platformdirs.user_data_dir("gui64")) / "models"


def test_dev_dirs_point_at_shared_models_beside_the_checkout():
    assert models.dev_model_dirs()[0] == models.Path(models.__file__).resolve().parents[2] / "shared" / "models"


def test_digests_and_addresses_are_defined_once_for_both_files():
    assert set(models.SHA256) == set(models.URLS) == {"stories260K.bin", "tok512.bin"}
    assert all(len(d) == 64 for d in models.SHA256.values())
    assert models.URLS["tok512.bin"] == ("https://huggingface.co/karpathy/tinyllamas/resolve/main/"
                                         "stories260K/tok512.bin")


def test_verify_reports_a_wrong_file(isolated):
    files = _put_models(isolated / "x")
    problems = models.verify(files)
    assert len(problems) == 2 and "gui64 fetch-model --force" in problems[0]
