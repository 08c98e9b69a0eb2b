"""The open boot ROMs: they build, the character ROM covers ASCII, and VICE boots on them to `idle`."""

from __future__ import annotations

import pytest

from build_chain.bootrom import chargen
from build_chain.build import build_boot_roms
from build_chain.labels import read_labels

BANNER = "**** GUI64 OPEN ROM V1 ****"


def _upper_screen_codes(text: str) -> bytes:
    """Upper case bank screen codes of banner text (A..Z -> 1..26)."""
    return bytes(ord(c) - 64 if "A" <= c <= "Z" else ord(c) for c in text)


def test_boot_roms_have_rom_sizes_and_an_idle_label(tmp_path):
    roms = build_boot_roms(tmp_path)
    assert roms.kernal.stat().st_size == 8192
    assert roms.basic.stat().st_size == 8192
    assert roms.chargen.stat().st_size == 4096
    labels = read_labels(roms.labels)
    assert labels["idle"] == roms.idle_address and 0xE000 <= roms.idle_address < 0xFF81
    kernal = roms.kernal.read_bytes()
    reset = kernal[0x1FFC] | kernal[0x1FFD] << 8
    assert reset == labels["reset"]
    # the jump table holds a JMP at every KERNAL entry $FF81..$FFF3
    assert all(kernal[a - 0xE000] == 0x4C for a in range(0xFF81, 0xFFF4, 3))


def test_boot_roms_are_cached_by_content():
    assert build_boot_roms() == build_boot_roms()


def test_character_rom_draws_every_printable_ascii_distinctly():
    rom = chargen.chargen_bytes()
    bank2 = rom[2048:4096]
    glyphs = {}
    for code in range(32, 127):
        sc = chargen.ascii_to_screen(chr(code))
        glyph = bank2[sc * 8:sc * 8 + 8]
        assert (glyph != bytes(8)) == (code != 32), chr(code)
        glyphs[glyph] = chr(code)
    assert len(glyphs) == 95  # no two characters look the same
    # codes 128..255 are the reversed glyphs, in both banks
    for bank in (rom[:2048], bank2):
        assert all(bank[1024 + i] == 0xFF ^ bank[i] for i in range(1024))


def test_character_rom_upper_case_bank_matches_lower_bank_capitals():
    rom = chargen.chargen_bytes()
    for i in range(1, 27):
        assert rom[i * 8:i * 8 + 8] == rom[2048 + (64 + i) * 8:2048 + (64 + i) * 8 + 8]


@pytest.mark.vice
def test_vice_boots_to_idle_and_shows_the_banner():
    from gui64.machine.vice import Vice, find_emulator, open_boot_roms
    roms = open_boot_roms()
    with Vice(find_emulator("x64"), roms) as vice:
        pc = vice.wait_idle(timeout=20)
        assert roms.idle[0] <= pc <= roms.idle[1]
        snap = vice.poll(None)
    assert _upper_screen_codes(BANNER) in snap.screen[:200]
    assert snap.border == 14 and snap.background == 6 and not snap.lowercase
