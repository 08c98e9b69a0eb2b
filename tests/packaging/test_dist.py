"""`make dist`: the wheel carries the C64 sources and the prebuilt programs, installs into a fresh
venv, and `gui64 --version`, `gui64 doctor` and `gui64 generate` work from it (issue 7)."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from packaging_paths import PACKAGING, ROOT

sys.path.insert(0, str(PACKAGING))
import build_dist  # noqa: E402

sys.path.remove(str(PACKAGING))

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel `make dist` makes (pip builds it; the sdist needs the `build` package)."""
    out = tmp_path_factory.mktemp("dist")
    made = build_dist.build_dist(out, program=True, wheel_only=True)
    (whl,) = [p for p in made if p.suffix == ".whl"]
    return whl


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh venv with the wheel installed; its dependencies come from this venv (no downloads)."""
    folder = tmp_path_factory.mktemp("venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=120)
    fresh_site = Path(subprocess.run([folder / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()"
                                      "['purelib'])"], capture_output=True, text=True, check=True).stdout.strip())
    # Dependencies (PySide6, numpy...) from this venv, behind the wheel's own files.
    (fresh_site / "zz-deps-from-test-venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(folder / "bin" / "python"), "install", "-q",
                    "--no-deps", "--no-index", str(wheel)], check=True, timeout=300, capture_output=True)
    return folder


def _run(venv: Path, *args: str, env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(venv / "bin" / "gui64"), *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=env["HOME"])


@pytest.fixture
def user_env(clean_env, tmp_path) -> dict:
    """A user's environment: HOME elsewhere, the model files where GUI64_MODEL_DIR says."""
    from gui64.models import find_model_files
    home = tmp_path / "home"
    home.mkdir()
    clean_env.update(HOME=str(home), GUI64_MODEL_DIR=str(find_model_files().checkpoint.parent))
    return clean_env


def test_wheel_carries_c64_sources_boot_rom_sources_prebuilt_and_icons(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    sources = {f"build_chain/{p.relative_to(ROOT / 'build_chain')}" for pattern in ("c64/*.[chs]", "c64/*.cfg",
               "bootrom/*.s", "bootrom/*.cfg") for p in (ROOT / "build_chain").glob(pattern)}
    assert sources and sources <= names
    prebuilt = {f"build_chain/prebuilt/{n}" for n in ("prebuilt.json", "bootrom/kernal.bin", "bootrom/basic.bin",
                                                      "bootrom/chargen.bin", "bootrom/kernal.lbl",
                                                      "llama64.prg", "llama64.lbl", "llama64.map")}
    assert prebuilt <= names
    assert {"gui64/resources/gui64.svg", "gui64/resources/gui64-256.png"} <= names


def test_installed_wheel_prints_its_version(venv, user_env):
    from gui64 import __version__
    result = _run(venv, "--version", env=user_env)
    assert result.stdout.strip() == f"gui64 {__version__}"


def test_installed_gui64_is_the_wheels_not_the_checkouts(venv, user_env):
    out = subprocess.run([str(venv / "bin" / "python"), "-c", "import gui64, build_chain; "
                          "print(gui64.__file__); print(build_chain.__file__)"], env=user_env,
                         capture_output=True, text=True, check=True, cwd=user_env["HOME"]).stdout.split()
    assert all(p.startswith(str(venv)) for p in out)


def test_installed_doctor_without_cc65_finds_vice_and_the_prebuilt_roms(venv, user_env, path_with):
    user_env["PATH"] = path_with("x64", "x64sc")
    result = _run(venv, "doctor", env=user_env)
    out = result.stdout
    assert "ok      VICE x64 " in out
    rom_line = next(line for line in out.splitlines() if " ROMs " in line)
    assert rom_line.startswith("ok") and "prebuilt" in rom_line and str(venv) in rom_line
    assert "model files" in out
    program = next(line for line in out.splitlines() if "C64 program" in line)
    assert program.startswith("ok")
    assert result.returncode == 0, out


@pytest.mark.vice
def test_installed_wheel_writes_a_story_in_vice(venv, user_env):
    result = _run(venv, "generate", "--prompt", "Once upon a time", "--steps", "5", "--temperature", "0",
                  env=user_env, timeout=600)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.split()) >= 2, result.stdout  # five tokens of story after the prompt
