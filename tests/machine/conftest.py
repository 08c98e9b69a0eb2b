"""Fixtures for the machine layer: a tiny boot ROM and a fake C64 program speaking the status protocol.

Both are real 6502 code run by real VICE; they stand in for build_chain/bootrom and
build_chain/c64 until those exist, and keep these tests independent of the model.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import fake_c64
from gui64.machine.vice import RomSet

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
    """Open 8 KB KERNAL idling where the Commodore KERNAL waits for a key; blank BASIC and chargen."""
    return fake_c64.tiny_roms(tmp_path_factory.mktemp("roms"))


@pytest.fixture(scope="session")
def fake_program(tmp_path_factory) -> dict:
    """The fake llama64 assembled with the real ca65/ld65: {"prg": Path, "labels": Path, "map": Path}."""
    return fake_c64.assemble(tmp_path_factory.mktemp("fake"), FAKE_ASM, FAKE_CFG, "fake")


@pytest.fixture
def blank_reu(tmp_path) -> Path:
    path = tmp_path / "blank.reu"
    path.write_bytes(bytes(128 * 1024))
    return path
