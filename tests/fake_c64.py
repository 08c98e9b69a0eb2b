"""Test doubles made of real 6502 code: a tiny boot ROM set and an assembler step for fake programs.

Shared by the machine-layer and Ultimate tests (each keeps its own fake program's source).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from gui64.machine.vice import COMMODORE_IDLE, RomSet

# An 8 KB KERNAL at $E000: reset -> sei/cld/ldx #$ff/txs/jmp $E5CD; NMI and IRQ -> rti at $E008.
# It idles with `jmp $E5CD` where the Commodore KERNAL waits for a key, so it passes for a
# Commodore ROM set (`--roms DIR`) as far as the injection is concerned.
_KERNAL_CODE = bytes([0x78, 0xD8, 0xA2, 0xFF, 0x9A, 0x4C, 0xCD, 0xE5, 0x40])
_IDLE_CODE = bytes([0x4C, 0xCD, 0xE5])


def tiny_roms(folder: Path) -> RomSet:
    """Write the tiny KERNAL and blank BASIC and character ROMs into folder."""
    kernal = bytearray(8192)
    kernal[:len(_KERNAL_CODE)] = _KERNAL_CODE
    kernal[0x05CD:0x05D0] = _IDLE_CODE
    kernal[0x1FFA:0x2000] = bytes([0x08, 0xE0, 0x00, 0xE0, 0x08, 0xE0])  # NMI, RESET, IRQ
    (folder / "kernal").write_bytes(kernal)
    (folder / "basic").write_bytes(bytes(8192))
    (folder / "chargen").write_bytes(bytes(4096))
    return RomSet(folder / "kernal", folder / "basic", folder / "chargen", COMMODORE_IDLE, "tiny test ROMs")


def assemble(folder: Path, asm: str, cfg: str, name: str) -> dict:
    """Assemble and link a fake program with the real ca65/ld65: {"prg", "labels", "map"} paths."""
    (folder / f"{name}.s").write_text(asm)
    (folder / f"{name}.cfg").write_text(cfg)
    subprocess.run(["ca65", "-o", str(folder / f"{name}.o"), str(folder / f"{name}.s")], check=True)
    subprocess.run(["ld65", "-C", str(folder / f"{name}.cfg"), "-o", str(folder / f"{name}.prg"),
                    "-Ln", str(folder / f"{name}.lbl"), "-m", str(folder / f"{name}.map"),
                    str(folder / f"{name}.o")], check=True)
    return {"prg": folder / f"{name}.prg", "labels": folder / f"{name}.lbl", "map": folder / f"{name}.map"}
