"""build_chain.prebuilt: what `make dist` ships for users without cc65, and when it is used (issue 7)."""

from __future__ import annotations

import json

import pytest

from build_chain import prebuilt
from build_chain.build import build_boot_roms


@pytest.fixture(scope="module")
def roms_only(tmp_path_factory):
    """A prebuilt folder with the open boot ROMs only (real ca65/ld65)."""
    folder = tmp_path_factory.mktemp("prebuilt") / "prebuilt"
    prebuilt.write_prebuilt(folder, program=False)
    return folder


def test_prebuilt_boot_roms_are_the_ones_the_build_makes(roms_only, tmp_path):
    shipped = prebuilt.prebuilt_boot_roms(roms_only)
    built = build_boot_roms(tmp_path / "bootrom")
    assert shipped.idle_address == built.idle_address
    for field in ("kernal", "basic", "chargen"):
        assert getattr(shipped, field).read_bytes() == getattr(built, field).read_bytes()
    assert shipped.kernal.parent == roms_only / "bootrom"


def test_manifest_names_the_sources_and_the_cc65_used(roms_only):
    manifest = json.loads((roms_only / prebuilt.MANIFEST).read_text())
    assert manifest["sources"] == prebuilt.sources_digest()
    assert manifest["cc65"].startswith("cc65 V")
    assert manifest["program"] == []


def test_no_program_in_a_roms_only_folder(roms_only):
    assert prebuilt.prebuilt_program(roms_only) is None


def test_a_folder_built_from_other_sources_is_not_used(roms_only, tmp_path):
    stale = tmp_path / "stale"
    stale.mkdir()
    for path in roms_only.rglob("*"):
        target = stale / path.relative_to(roms_only)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.write_bytes(path.read_bytes())
    manifest = json.loads((stale / prebuilt.MANIFEST).read_text())
    manifest["sources"] = "0" * 16
    (stale / prebuilt.MANIFEST).write_text(json.dumps(manifest))
    assert prebuilt.prebuilt_boot_roms(stale) is None


def test_missing_or_unreadable_folder_gives_none(tmp_path):
    assert prebuilt.prebuilt_boot_roms(tmp_path / "absent") is None
    (tmp_path / prebuilt.MANIFEST).write_text("{not json")
    assert prebuilt.prebuilt_program(tmp_path) is None


def test_a_missing_file_makes_the_set_unusable(roms_only, tmp_path):
    broken = tmp_path / "broken"
    (broken / "bootrom").mkdir(parents=True)
    (broken / prebuilt.MANIFEST).write_bytes((roms_only / prebuilt.MANIFEST).read_bytes())
    assert prebuilt.prebuilt_boot_roms(broken) is None


def test_prebuilt_program_has_its_entry_and_blocks(tmp_path):
    folder = tmp_path / "prebuilt"
    prebuilt.write_prebuilt(folder)
    program = prebuilt.prebuilt_program(folder)
    assert program.prg == folder / "llama64.prg"
    assert program.prg.read_bytes()[:2] != b"\0\0"
    assert 0 < program.entry < 0x10000 and program.params != program.status
