"""Settings are declared once, persist as JSON in $GUI64_CONFIG_DIR and survive bad files."""

from __future__ import annotations

import pytest

from gui64.settings import SETTINGS, Settings, config_dir


@pytest.fixture(autouse=True)
def private_config(tmp_path, monkeypatch):
    monkeypatch.setenv("GUI64_CONFIG_DIR", str(tmp_path))


def test_settings_round_trip(tmp_path):
    s = Settings.load()
    assert s.path.parent == tmp_path == config_dir()
    s.prompt, s.steps, s.temperature, s.top_p, s.seed = "A dragon", 12, 0.0, 0.5, 7
    s.emulator, s.warp, s.model_dir, s.rom_dir = "x64sc", False, "/m", "/r"
    s.save()
    t = Settings.load()
    assert t.as_dict() == s.as_dict()
    assert (t.prompt, t.steps, t.warp, t.emulator) == ("A dragon", 12, False, "x64sc")


def test_defaults_when_there_is_no_file():
    s = Settings.load()
    assert {d.name: d.default for d in SETTINGS} == s.as_dict()
    assert s.prompt == "Once upon a time"


def test_unreadable_file_and_bad_values_fall_back_to_defaults(tmp_path):
    (tmp_path / "settings.json").write_text("{not json")
    assert Settings.load().steps == 64
    (tmp_path / "settings.json").write_text('{"steps": "many", "warp": "false", "gone": 1}')
    s = Settings.load()
    assert s.steps == 64 and s.warp is False


def test_undeclared_names_are_refused():
    s = Settings.load()
    with pytest.raises(AttributeError, match="declare it"):
        s.colour = "blue"
    with pytest.raises(AttributeError):
        _ = s.colour
