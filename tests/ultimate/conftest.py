"""Fixtures for the Ultimate tests: a tiny ROM, a fake llama64 that behaves like the real one on
hardware (BASIC stub, own prompt screen, READY until the host writes the parameter block, tokens
read from the REU), a small REU image, and the loopback simulator running them on real VICE.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import fake_c64
from gui64.machine.vice import RomSet
from .simulator import UltimateSimulator

TOKENS_AT = 0x012345  # REU offset of the fake's token table: inside the second REUWRITE chunk
TOKEN_TABLE = tuple((7 * k + 300) % 500 + 3 for k in range(64))  # u16 ids 3..502 (tok512 range)

# A fake llama64 for real hardware: `10 SYS2061`; writes the status magic and READY, shows a
# prompt screen, waits for the parameter block's VALID flag, checks "G64R" at REU offset 0 by
# REU DMA (ERROR BAD_MAGIC otherwise), fetches 64 u16 token ids from REU $012345, then emits
# `steps` of them into the status ring (state FORWARD, DONE at the end), with `mode` (0 -> 1)
# delay loops of ~0.3 M cycles per token.
FAKE_ASM = r"""
        .setcpu "6502"
        .export _params, _status, start
REU_CMD  = $DF01
REU_C64  = $DF02
REU_REU  = $DF04
REU_LEN  = $DF07
REU_CTRL = $DF0A
        .segment "LOADADDR"
        .word   $0801
        .segment "CODE"
        .word   basend, 10
        .byte   $9E, "2061", 0
basend: .word   0
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
        ldx     #0              ; the prompt screen: "PROMPT?" at the top left
scr:    lda     ptext,x
        beq     scrend
        sta     $0400,x
        lda     #14
        sta     $D800,x
        inx
        bne     scr
scrend: lda     #1              ; State.READY
        sta     _status+4
wait:   lda     _params+5       ; flags & VALID?
        and     #2
        beq     wait
        lda     #2              ; State.ENCODING
        sta     _status+4
        lda     #<magic         ; REU $000000 -> magic, 4 bytes
        ldx     #>magic
        ldy     #4
        jsr     fetch0
        ldx     #3
chk:    lda     magic,x
        cmp     want,x
        bne     bad
        dex
        bpl     chk
        lda     #<toks          ; REU TOKENS_AT -> toks, 128 bytes
        sta     REU_C64
        lda     #>toks
        sta     REU_C64+1
        lda     #$45
        sta     REU_REU
        lda     #$23
        sta     REU_REU+1
        lda     #$01
        sta     REU_REU+2
        lda     #128
        sta     REU_LEN
        lda     #0
        sta     REU_LEN+1
        sta     REU_CTRL
        lda     #$91
        sta     REU_CMD
        jmp     go
bad:    lda     #6              ; State.ERROR, ErrorCode.BAD_MAGIC
        sta     _status+4
        lda     #3
        sta     _status+5
hang:   jmp     hang
fetch0: sta     REU_C64         ; A/X = C64 address, Y = length; REU offset 0
        stx     REU_C64+1
        sty     REU_LEN
        lda     #0
        sta     REU_LEN+1
        sta     REU_REU
        sta     REU_REU+1
        sta     REU_REU+2
        sta     REU_CTRL
        lda     #$91
        sta     REU_CMD
        rts
go:     lda     #2
        sta     _status+10      ; n_prompt = 2
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
more:   lda     _params+16      ; mode: outer delay loops (0 -> 1)
        bne     setd
        lda     #1
setd:   sta     outer
dl0:    ldy     #60
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
        lda     _status+12      ; y = (count & 63) * 2
        and     #63
        asl
        tay
        lda     toks,y
        sta     _status+32,x    ; token id (u16)
        lda     toks+1,y
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
        sta     $0428,y         ; show it on the second line
        lda     #1
        sta     $D828,y
        inc     _status+12      ; count++ (after the ring entry is complete)
        bne     next
        inc     _status+13
next:   jmp     tok
want:   .byte   "G64R"
ptext:  .byte   16, 18, 15, 13, 16, 20, 63, 0
outer:  .byte   0
tmp:    .byte   0
magic:  .res    4
toks:   .res    128
_params: .res   256
_status: .res   256
"""

FAKE_CFG = """
MEMORY { HDR: start = $07FF, size = 2, file = %O; RAM: start = $0801, size = $2000, file = %O, fill = no; }
SEGMENTS { LOADADDR: load = HDR, type = ro; CODE: load = RAM, type = rw; }
"""


@pytest.fixture(scope="session")
def tiny_roms(tmp_path_factory) -> RomSet:
    """Open 8 KB KERNAL with an idle loop, blank BASIC and character ROMs (tests/fake_c64.py)."""
    return fake_c64.tiny_roms(tmp_path_factory.mktemp("ultiroms"))


@pytest.fixture(scope="session")
def fake_llama(tmp_path_factory) -> dict:
    """The fake llama64 built with the real ca65/ld65: {"prg", "labels", "map"} paths."""
    return fake_c64.assemble(tmp_path_factory.mktemp("fakellama"), FAKE_ASM, FAKE_CFG, "llama64")


def make_image(size: int = 256 * 1024) -> bytes:
    """A REU image: "G64R" header (reu_size field = size), the fake's token table, a pattern elsewhere."""
    import struct

    from build_chain.reu_format import FORMAT_VERSION, Header
    img = bytearray((i * 131 + (i >> 8)) & 0xFF for i in range(size))
    head = Header(FORMAT_VERSION, size, size, 64, 172, 5, 8, 4, 512, 512, 7, ()).pack()
    img[:len(head)] = head
    for k, t in enumerate(TOKEN_TABLE):
        img[TOKENS_AT + 2 * k:TOKENS_AT + 2 * k + 2] = struct.pack("<H", t)
    return bytes(img)


@pytest.fixture
def image_file(tmp_path) -> Path:
    path = tmp_path / "weights.reu"
    path.write_bytes(make_image())
    return path


@pytest.fixture
def vice_factory(tiny_roms):
    """What the simulator calls on run_prg: a started VICE (x64, warp, headless) with the REU image."""
    from gui64.machine.vice import Vice, find_emulator

    def factory(image, kb):
        vice = Vice(find_emulator("x64"), tiny_roms, image, warp=True, reu_kb=kb if image else None)
        vice.start()
        return vice
    return factory


@pytest.fixture
def sim():
    """A REST + DMA simulator without a machine (protocol and fault tests); stopped after the test."""
    with UltimateSimulator(lifetime=60.0) as s:
        yield s


@pytest.fixture
def sim_vice(vice_factory):
    """A simulator that runs what it is sent on VICE; REU enabled, 256 KB."""
    with UltimateSimulator(vice_factory, reu_mode="Enabled", reu_size="256 KB", lifetime=90.0) as s:
        yield s
