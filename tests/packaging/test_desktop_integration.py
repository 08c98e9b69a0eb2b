"""The desktop entry, the file types and `make install-desktop`: .reu files open in gui64 (issue 7)."""

from __future__ import annotations

import configparser
import os
import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from build_chain.reu_format import MAGIC
from packaging_paths import PACKAGING, ROOT

DESKTOP = PACKAGING / "gui64.desktop"
MIME_XML = PACKAGING / "gui64-mime.xml"
SCRIPT = PACKAGING / "desktop.sh"
NS = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
REU_TYPE = "application/x-gui64-reu"
CHECKPOINT_TYPE = "application/x-llama2-checkpoint"


def _entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def _env(tmp_path: Path) -> dict:
    """A desktop session that knows only what is installed under tmp_path (GIO answers for it)."""
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_CURRENT_DESKTOP="GNOME")
    env.pop("XDG_DATA_DIRS", None)
    return env


def _desktop(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60,
                          check=True)


def _xdg(*args: str, env: dict) -> str:
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=60, check=True).stdout.strip()


@pytest.fixture
def recorder(tmp_path) -> tuple[Path, Path]:
    """A stand-in gui64 launcher that writes its arguments to a file, in a folder whose name needs
    quoting in Exec= (space, double quote, dollar)."""
    folder = tmp_path / 'my "odd" $apps'
    folder.mkdir()
    record = tmp_path / "opened.txt"
    launcher = folder / "gui64"
    launcher.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$@\" > '{record}'\n")
    launcher.chmod(0o755)
    return launcher, record


def test_desktop_file_passes_desktop_file_validate():
    result = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    assert result.stdout + result.stderr == ""  # not even hints


def test_desktop_entry_opens_one_file_with_gui64_for_both_file_types():
    entry = _entry(DESKTOP)
    assert entry["Exec"] == "gui64 %f"
    assert entry["Icon"] == "gui64"
    declared = {t.get("type") for t in ET.parse(MIME_XML).getroot().findall("m:mime-type", NS)}
    assert set(filter(None, entry["MimeType"].split(";"))) == declared == {REU_TYPE, CHECKPOINT_TYPE}


def test_reu_type_magic_is_the_exporters_magic():
    root = ET.parse(MIME_XML).getroot()
    match = root.find(f"m:mime-type[@type='{REU_TYPE}']/m:magic/m:match", NS)
    assert (match.get("offset"), match.get("value").encode()) == ("0", MAGIC)


def test_icon_svg_is_the_one_make_icon_draws_and_pngs_have_their_sizes():
    sys.path.insert(0, str(PACKAGING))
    try:
        import make_icon
    finally:
        sys.path.remove(str(PACKAGING))
    assert (ROOT / "resources" / "gui64.svg").read_text(encoding="utf-8") == make_icon.icon_svg()
    for size in make_icon.PNG_SIZES:
        head = (ROOT / "resources" / f"gui64-{size}.png").read_bytes()[:24]
        assert head[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", head[16:24]) == (size, size)


def test_install_maps_reu_and_checkpoint_files_to_gui64(tmp_path, recorder):
    env = _env(tmp_path)
    _desktop("install", str(recorder[0]), env=env)
    installed = tmp_path / "data" / "applications" / "gui64.desktop"
    assert subprocess.run(["desktop-file-validate", str(installed)], capture_output=True).returncode == 0
    reu = tmp_path / "weights.reu"
    reu.write_bytes(MAGIC + bytes(60))
    checkpoint = tmp_path / "stories260K.bin"
    checkpoint.write_bytes(bytes(64))
    assert _xdg("xdg-mime", "query", "filetype", str(reu), env=env) == REU_TYPE
    assert _xdg("xdg-mime", "query", "filetype", str(checkpoint), env=env) == CHECKPOINT_TYPE
    assert _xdg("xdg-mime", "query", "default", REU_TYPE, env=env) == "gui64.desktop"
    assert _xdg("xdg-mime", "query", "default", CHECKPOINT_TYPE, env=env) == "gui64.desktop"
    icons = tmp_path / "data" / "icons" / "hicolor"
    assert (icons / "scalable" / "apps" / "gui64.svg").is_file()
    assert (icons / "256x256" / "apps" / "gui64.png").is_file()


def test_opening_a_reu_file_runs_the_installed_launcher_with_it(tmp_path, recorder):
    launcher, record = recorder
    env = _env(tmp_path)
    _desktop("install", str(launcher), env=env)
    exec_line = _entry(tmp_path / "data" / "applications" / "gui64.desktop")["Exec"]
    assert exec_line == '"' + str(launcher).replace('"', '\\\\"').replace("$", "\\\\$") + '" %f'
    reu = tmp_path / "my stories" / "weights.reu"
    reu.parent.mkdir()
    reu.write_bytes(MAGIC + bytes(60))
    # xdg-open is what a file manager's double-click amounts to (GIO picks the default app).
    subprocess.run(["xdg-open", str(reu)], env=env, timeout=60, check=True)
    for _ in range(100):  # GIO starts the app and returns without waiting for it
        if record.is_file() and record.read_text():
            break
        subprocess.run(["sleep", "0.05"])
    assert record.read_text().splitlines() == [str(reu)]


def test_uninstall_removes_the_entry_the_types_and_the_icons(tmp_path, recorder):
    env = _env(tmp_path)
    _desktop("install", str(recorder[0]), env=env)
    _desktop("uninstall", env=env)
    left = [p for p in (tmp_path / "data").rglob("*") if p.name.startswith("gui64") or "gui64" in p.name]
    assert left == []
    assert _xdg("xdg-mime", "query", "default", REU_TYPE, env=env) == ""
    reu = tmp_path / "weights.reu"
    reu.write_bytes(MAGIC + bytes(60))
    assert _xdg("xdg-mime", "query", "filetype", str(reu), env=env) != REU_TYPE


def test_install_refuses_a_launcher_that_is_not_there(tmp_path):
    result = subprocess.run(["bash", str(SCRIPT), "install", str(tmp_path / "nope" / "gui64")], env=_env(tmp_path),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "make setup" in result.stderr
    assert not (tmp_path / "data" / "applications" / "gui64.desktop").exists()


def test_make_install_desktop_runs_this_checkouts_venv_launcher(tmp_path):
    env = _env(tmp_path)
    # -o: treat the venv as up to date (the test must not reinstall it).
    subprocess.run(["make", "-s", "-C", str(ROOT), "-o", ".venv/.installed", "install-desktop"], env=env,
                   capture_output=True, text=True, timeout=120, check=True)
    exec_line = _entry(tmp_path / "data" / "applications" / "gui64.desktop")["Exec"]
    launcher = re.sub(r' %f$', "", exec_line).strip('"')
    assert Path(launcher) == ROOT / ".venv" / "bin" / "gui64"
    subprocess.run(["make", "-s", "-C", str(ROOT), "uninstall-desktop"], env=env, capture_output=True,
                   timeout=120, check=True)
    assert not (tmp_path / "data" / "applications" / "gui64.desktop").exists()
