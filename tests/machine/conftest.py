"""Fixtures for the machine layer: a tiny boot ROM and a fake C64 program speaking the status protocol.

Both are real 6502 code run by real VICE; they stand in for build_chain/bootrom and
build_chain/c64 until those exist, and keep these tests independent of the model.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gui64.machine.vice import COMMODORE_IDLE, RomSet

# An 8 KB KERNAL at $E000: reset -> sei/cld/ldx #$ff/txs/jmp $E5CD; NMI and IRQ -> rti at $E008.
# It idles with `jmp $E5CD` where the Commodore KERNAL waits for a key, so it passes for a
# Commodore ROM set (`--roms DIR`) as far as the injection is concerned.
_KERNAL_CODE = bytes([0x78, 0xD8, 0xA2, 0xFF, 0x9A, 0x4C, 0xCD, 0xE5, 0x40])
_IDLE_CODE = bytes([0x4C, 0xCD, 0xE5])

# A fake llama64: checks the parameter magic, then emits `steps` tokens (id = (k & 63) + 10) into
# the status ring, one every mode x 0.33 M cycles (mode 0 counts as 1), with a cycle counter that starts at $FFFE0000 and
# grows by $10000 per token (so it wraps after two tokens); pokes each token onto the screen.
FAKE_ASM = r"""
        .setcpu "6502"
        .export _params, _status, start
        .segment "LOADADDR"
        .word   $C000
        .segment "CODE"
start:  sei
        lda     #0
        tax
clr:    sta     _status,x
        inx
        bne     clr
        lda     #$47            ; "G64S"
        sta     _status
        lda     #$36
        sta     _status+1
        lda     #$34
        sta     _status+2
        lda     #$53
        sta     _status+3
        lda     _params         ; parameter block magic "G"?
        cmp     #$47
        beq     ok
        lda     #6              ; State.ERROR
        sta     _status+4
        sta     _status+5       ; ErrorCode.BAD_PARAMS
hang:   jmp     hang
ok:     lda     #2
        sta     _status+10      ; n_prompt = 2
        lda     #$FE
        sta     _status+16      ; cycles = $FFFE0000
        sta     _status+20
        lda     #$FF
        sta     _status+17
        sta     _status+21      ; cycles_start = cycles
        lda     #3              ; State.FORWARD
        sta     _status+4
tok:    lda     _status+12      ; count == steps?
        cmp     _params+6
        bne     more
        lda     _status+13
        cmp     _params+7
        bne     more
        lda     #5              ; State.DONE
        sta     _status+4
done:   jmp     done
more:   lda     _params+16      ; mode byte: outer delay loops (0 -> 1)
        bne     setdl
        lda     #1
setdl:  sta     outer
dl0:    ldy     #0
dl1:    ldx     #0
dl2:    dex
        bne     dl2
        dey
        bne     dl1
        dec     outer
        bne     dl0
        inc     _status+16      ; cycles += $10000
        bne     nc
        inc     _status+17
nc:     inc     _status+8       ; layer++ (progress)
        lda     _status+12      ; x = (count & 31) * 6
        and     #31
        sta     tmp
        asl
        clc
        adc     tmp
        asl
        tax
        lda     _status+12
        and     #63
        clc
        adc     #10
        sta     _status+32,x    ; token id
        lda     #0
        sta     _status+33,x
        lda     _status+14
        sta     _status+34,x    ; cycle stamp
        lda     _status+15
        sta     _status+35,x
        lda     _status+16
        sta     _status+36,x
        lda     _status+17
        sta     _status+37,x
        ldy     _status+12
        lda     _status+32,x
        sta     $0400,y         ; show it
        lda     #1
        sta     $D800,y
        inc     _status+12      ; count++ (after the ring entry is complete)
        bne     next
        inc     _status+13
next:   jmp     tok
outer:  .byte   0
tmp:    .byte   0
_params: .res   256
_status: .res   256
"""

FAKE_CFG = """
MEMORY { HDR: start = $BFFE, size = 2, file = %O; RAM: start = $C000, size = $1000, file = %O, fill = no; }
SEGMENTS { LOADADDR: load = HDR, type = ro; CODE: load = RAM, type = rw; }
"""


@pytest.fixture(scope="session")
def tiny_roms(tmp_path_factory) -> RomSet:
    """Open 8 KB KERNAL idling at $E005, blank BASIC and character ROMs."""
    d = tmp_path_factory.mktemp("roms")
    kernal = bytearray(8192)
    kernal[:len(_KERNAL_CODE)] = _KERNAL_CODE
    kernal[0x05CD:0x05D0] = _IDLE_CODE
    kernal[0x1FFA:0x2000] = bytes([0x08, 0xE0, 0x00, 0xE0, 0x08, 0xE0])  # NMI, RESET, IRQ
    (d / "kernal").write_bytes(kernal)
    (d / "basic").write_bytes(bytes(8192))
    (d / "chargen").write_bytes(bytes(4096))
    return RomSet(d / "kernal", d / "basic", d / "chargen", COMMODORE_IDLE, "tiny test ROMs")


@pytest.fixture(scope="session")
def fake_program(tmp_path_factory) -> dict:
    """The fake llama64 assembled with the real ca65/ld65: {"prg": Path, "labels": Path}."""
    d = tmp_path_factory.mktemp("fake")
    (d / "fake.s").write_text(FAKE_ASM)
    (d / "fake.cfg").write_text(FAKE_CFG)
    subprocess.run(["ca65", "-o", str(d / "fake.o"), str(d / "fake.s")], check=True)
    subprocess.run(["ld65", "-C", str(d / "fake.cfg"), "-o", str(d / "fake.prg"), "-Ln", str(d / "fake.lbl"),
                    "-m", str(d / "fake.map"), str(d / "fake.o")], check=True)
    return {"prg": d / "fake.prg", "labels": d / "fake.lbl", "map": d / "fake.map"}


@pytest.fixture
def blank_reu(tmp_path) -> Path:
    path = tmp_path / "blank.reu"
    path.write_bytes(bytes(128 * 1024))
    return path
