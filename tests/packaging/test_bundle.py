"""The one-folder app bundle recipe (packaging/gui64.spec, `make bundle`) (issue 7)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from packaging_paths import PACKAGING, ROOT

SPEC = PACKAGING / "gui64.spec"


class _Recorder:
    """Stands in for PyInstaller's Analysis/PYZ/EXE/COLLECT: keeps the arguments."""

    made: list = []

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs
        self.pure = self.scripts = self.binaries = self.datas = []
        _Recorder.made.append(self)


def _run_spec(tmp_path: Path, monkeypatch, *options: str) -> dict:
    namespace = {name: type(name, (_Recorder,), {}) for name in ("Analysis", "PYZ", "EXE", "COLLECT")}
    namespace.update(SPECPATH=str(PACKAGING), workpath=str(tmp_path / "work"), __file__=str(SPEC),
                     __name__="__main__")
    monkeypatch.setattr(sys, "argv", [str(SPEC), *options])
    monkeypatch.setattr(sys, "path", list(sys.path))
    exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), namespace)
    return namespace


def test_spec_names_files_that_exist_and_modules_that_import(tmp_path, monkeypatch):
    ns = _run_spec(tmp_path, monkeypatch, )
    analysis = ns["a"]
    (entry,) = analysis.args[0]
    assert Path(entry).is_file()
    datas = analysis.kwargs["datas"]
    assert all(Path(src).is_file() for src, _ in datas)
    dests = {f"{dest}/{Path(src).name}" for src, dest in datas}
    assert {"build_chain/prebuilt/prebuilt.json", "build_chain/prebuilt/bootrom/kernal.bin",
            "build_chain/bootrom/kernal.s", "gui64/resources/gui64.svg"} <= dests
    assert "build_chain/prebuilt/llama64.prg" in dests
    for module in analysis.kwargs["hiddenimports"]:
        assert importlib.util.find_spec(module) is not None, module
    assert ns["exe"].kwargs["name"] == "gui64" and ns["exe"].kwargs["console"] is True


@pytest.mark.slow
def test_bundle_builds_starts_and_prints_its_version(tmp_path, clean_env, path_with):
    flags = ""
    # -o: treat the venv as up to date; `make bundle` installs PyInstaller into it if missing.
    build = subprocess.run(["make", "-s", "-C", str(ROOT), "-o", ".venv/.installed", "bundle",
                            f"BUNDLE_DIR={tmp_path / 'dist'}", f"BUNDLE_WORK={tmp_path / 'work'}",
                            f"BUNDLE_FLAGS={flags}"], capture_output=True, text=True, timeout=900)
    assert build.returncode == 0, build.stderr[-3000:]
    app = tmp_path / "dist" / "gui64" / "gui64"
    from gui64 import __version__
    version = subprocess.run([str(app), "--version"], env=clean_env, capture_output=True, text=True, timeout=120)
    assert version.stdout.strip() == f"gui64 {__version__}"
    clean_env["PATH"] = path_with("x64", "x64sc")  # a machine with VICE but without cc65
    doctor = subprocess.run([str(app), "doctor"], env=clean_env, capture_output=True, text=True, timeout=120)
    rom_line = next(line for line in doctor.stdout.splitlines() if " ROMs " in line)
    assert rom_line.startswith("ok") and "prebuilt" in rom_line, doctor.stdout
