"""`gui64 doctor`: one line per item, what to do about each missing piece, exit 1 when one is needed (issue 7)."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from build_chain import prebuilt
from gui64 import doctor
from gui64.doctor import Status


def _doctor(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gui64.cli", "doctor", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def _line(out: str, item: str) -> str:
    return next(line for line in out.splitlines() if line.split(None, 1)[-1].startswith(item))


def test_every_item_has_its_line_and_the_verdict_matches_the_exit_status(clean_env, path_with):
    clean_env["PATH"] = path_with("x64", "x64sc", "cc65", "ca65", "ld65", "cl65", "Xvfb")
    result = _doctor(clean_env)
    out = result.stdout
    for item in ("VICE x64 ", "VICE x64sc", "ROMs", "cc65", "C64 program", "model files", "display", "Qt"):
        assert _line(out, item)
    assert "VICE 3." in _line(out, "VICE x64 ")
    assert _line(out, "model files").startswith("ok")
    needed = [line for line in out.splitlines() if line.startswith("MISSING")]
    assert result.returncode == (1 if needed else 0)
    assert out.splitlines()[-1].startswith("gui64 doctor: ")


def test_without_vice_it_says_what_to_install_and_exits_1(clean_env, path_with):
    clean_env["PATH"] = path_with("cc65", "ca65", "ld65", "cl65")
    result = _doctor(clean_env)
    assert result.returncode == 1
    line = _line(result.stdout, "VICE x64 ")
    assert line.startswith("MISSING") and "Debian package `vice`" in line
    assert "VICE x64" in result.stdout.splitlines()[-1]


def test_an_old_vice_is_named_with_the_version_needed(clean_env, path_with, tmp_path):
    clean_env["PATH"] = path_with()
    old = tmp_path / "path-bin" / "x64"
    old.write_text("#!/bin/sh\necho 'x64 (VICE 3.4.0)'\n")
    old.chmod(0o755)
    result = _doctor(clean_env)
    assert result.returncode == 1
    line = _line(result.stdout, "VICE x64 ")
    assert line.startswith("MISSING") and "VICE 3.4.0" in line and "3.5 or newer" in line


def test_without_cc65_the_prebuilt_boot_roms_are_used(monkeypatch, tmp_path, path_with):
    folder = tmp_path / "prebuilt"
    prebuilt.write_prebuilt(folder, program=False)  # while cc65 is still on PATH
    monkeypatch.setattr(prebuilt, "PREBUILT_DIR", folder)
    monkeypatch.setattr("gui64.machine.vice.ROM_DIRS", ())
    monkeypatch.setenv("PATH", path_with())
    (roms,) = doctor.check_roms()
    assert roms.status is Status.OK and f"prebuilt, in {folder / 'bootrom'}" in roms.found
    cc65, program = doctor.check_cc65()
    assert cc65.status is Status.MISSING and "Debian package `cc65`" in cc65.fix
    assert program.status is Status.MISSING


def test_without_cc65_or_prebuilt_roms_the_rom_line_says_both_ways_out(monkeypatch, tmp_path, path_with):
    monkeypatch.setattr(prebuilt, "PREBUILT_DIR", tmp_path / "none")
    monkeypatch.setattr("gui64.machine.vice.ROM_DIRS", ())
    monkeypatch.setenv("PATH", path_with())
    (roms,) = doctor.check_roms()
    assert roms.status is Status.MISSING
    assert "cc65" in roms.fix and "kernal, basic and chargen" in roms.fix


def test_commodore_roms_in_vice_folders_are_preferred(monkeypatch, tmp_path):
    for name, size in (("kernal-901227-03.bin", 8192), ("basic-901226-01.bin", 8192),
                       ("chargen-901225-01.bin", 4096)):
        (tmp_path / name).write_bytes(bytes(size))
    monkeypatch.setattr("gui64.machine.vice.ROM_DIRS", (tmp_path,))
    (roms,) = doctor.check_roms()
    assert roms.status is Status.OK and roms.found == f"Commodore ROMs in {tmp_path}"


def test_missing_model_files_point_to_fetch_model(monkeypatch, tmp_path):
    monkeypatch.setenv("GUI64_MODEL_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setattr("gui64.models.dev_model_dirs", lambda: [])
    (check,) = doctor.check_model()
    assert check.status is Status.MISSING and "gui64 fetch-model" in check.fix


def test_display_is_only_a_warning_and_names_the_headless_way():
    (display, _qt) = doctor.check_display({})
    assert display.status is Status.WARN and "gui64 generate" in display.fix
    assert doctor.check_display({"WAYLAND_DISPLAY": "wayland-0"})[0].status is Status.OK
    assert doctor.check_display({"DISPLAY": ":1"})[0].found == "X11 (:1)"


def test_hardware_profiles_are_probed_on_their_rest_port(monkeypatch, tmp_path):
    from gui64.profiles import Profile, ProfileStore
    monkeypatch.setenv("GUI64_CONFIG_DIR", str(tmp_path))
    with socket.socket() as listening, socket.socket() as closed:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        store = ProfileStore()
        store.put(Profile("desk", "127.0.0.1", http_port=listening.getsockname()[1]))
        store.put(Profile("attic", "127.0.0.1", http_port=closed.getsockname()[1]))
        store.save()
        checks = doctor.check_profiles(timeout=2.0)
    assert [(c.item, c.status) for c in checks] == [("profile desk", Status.OK), ("profile attic", Status.WARN)]
    assert "Web Remote Control" in checks[1].fix


def test_quiet_prints_only_what_is_not_ok(clean_env, path_with):
    clean_env["PATH"] = path_with("x64", "x64sc", "cc65", "ca65", "ld65", "cl65")
    out = _doctor(clean_env, "--quiet").stdout.splitlines()
    assert not [line for line in out[1:-1] if line.startswith("ok")]


@pytest.mark.parametrize("status", list(Status))
def test_a_line_is_status_item_found_then_fix(status):
    line = str(doctor.Check("cc65", status, "not found", "install it"))
    assert line.split()[0] == status.value and line.endswith("not found; install it")
