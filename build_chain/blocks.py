"""The host <-> C64 contract: parameter block and status block layouts, defined once as data.

Both blocks live in C64 RAM at the linker symbols ``_params`` and ``_status`` (addresses come
from the ld65 label file, never from here). This module defines only their byte layout; the
C64 program includes the generated ``blocks.h`` and the host packs/parses with the same table.

Parameter block (host -> C64), 256 bytes, little-endian::

    0   4  magic "G64P"
    4   1  version (PARAMS_VERSION)
    5   1  flags: bit0 AUTORUN (skip the on-screen parameter dialog), bit1 VALID (host wrote it)
    6   2  steps: tokens to generate after the prompt (u16)
    8   2  temperature * 256 (u16); 0 means greedy
    10  2  top-p * 65536 (u16); 0 or 65535 means off (65535 ~ 1.0)
    12  4  seed (u32); 0 is replaced by 1
    16  1  mode: 0 fast (integer), 1 exact (reserved)
    17  15 reserved (0)
    32  224 prompt: ASCII, NUL-terminated (at most 223 characters)

Status block (C64 -> host), 256 bytes::

    0   4  magic "G64S" (written first thing by the program)
    4   1  state (State)
    5   1  error code (ErrorCode), 0 when none
    6   2  pos: position being computed (u16)
    8   1  layer being computed
    9   1  phase (Phase)
    10  2  n_prompt: number of prompt tokens incl. BOS (u16)
    12  2  count: tokens emitted so far (u16, monotonic)
    14  4  cycles: CIA cycle counter now (u32, wraps)
    18  4  cycles_start: counter when generation started (u32)
    22  2  heartbeat (u16, bumped at each phase change)
    24  8  reserved
    32  192 ring: RING_SIZE entries of {token u16, cycles u32}; token k (0-based, k < count)
            sits at entry k % RING_SIZE, with the cycle counter at the moment it was emitted
    224 32 prompt_tokens: reserved
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

PARAMS_MAGIC = b"G64P"
STATUS_MAGIC = b"G64S"
PARAMS_VERSION = 1
PARAMS_SIZE = 256
STATUS_SIZE = 256
PROMPT_OFFSET = 32
PROMPT_MAX = PARAMS_SIZE - PROMPT_OFFSET - 1  # 223 characters + NUL
RING_OFFSET = 32
RING_SIZE = 32
RING_ENTRY = struct.Struct("<HI")

FLAG_AUTORUN = 0x01
FLAG_VALID = 0x02

PARAMS_HEAD = struct.Struct("<4sBBHHHIB15x")  # 32 bytes
STATUS_HEAD = struct.Struct("<4sBBHBBHHIIH8x")  # 32 bytes


class State(enum.IntEnum):
    """What the C64 program is doing (status byte 4)."""

    BOOTING = 0
    READY = 1  # waiting for parameters (prompt screen on a real C64)
    ENCODING = 2
    FORWARD = 3
    SAMPLING = 4
    DONE = 5
    ERROR = 6


class Phase(enum.IntEnum):
    """Stage of the forward pass within one position (status byte 9)."""

    EMBED = 0
    QKV = 1
    ATTENTION = 2
    OUTPUT = 3
    FFN = 4
    CLASSIFIER = 5
    SAMPLE = 6


class ErrorCode(enum.IntEnum):
    """Why the C64 program stopped (status byte 5); the text is what the host shows."""

    NONE = 0
    NO_REU = 1
    REU_TOO_SMALL = 2
    BAD_MAGIC = 3
    BAD_VERSION = 4
    PROMPT_TOO_LONG = 5
    BAD_PARAMS = 6
    MODEL_TOO_LARGE = 7


ERROR_TEXT = {
    ErrorCode.NONE: "no error",
    ErrorCode.NO_REU: "no REU found: attach a RAM Expansion Unit (VICE: -reu; Ultimate: enable the REU)",
    ErrorCode.REU_TOO_SMALL: "the REU is smaller than the image needs: set a larger REU size",
    ErrorCode.BAD_MAGIC: "the REU does not hold a gui64 weights image: load weights.reu into the REU",
    ErrorCode.BAD_VERSION: "the REU image was written by another gui64 version: export it again",
    ErrorCode.PROMPT_TOO_LONG: "the prompt does not fit the model's context: shorten it",
    ErrorCode.BAD_PARAMS: "the parameter block is invalid",
    ErrorCode.MODEL_TOO_LARGE: "the model's buffers do not fit in C64 RAM",
}


@dataclass(frozen=True)
class Params:
    """What the host asks the C64 to do."""

    prompt: str = ""
    steps: int = 64
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = 1
    autorun: bool = True
    mode: int = 0

    @property
    def temperature_q8(self) -> int:
        return max(0, min(0xFFFF, round(self.temperature * 256)))

    @property
    def top_p_q16(self) -> int:
        return 0 if self.top_p >= 1.0 else max(1, min(0xFFFF, round(self.top_p * 65536)))

    def pack(self) -> bytes:
        """The 256-byte parameter block.

        Raises:
            ValueError: the prompt is not ASCII or too long.
        """
        text = self.prompt.encode("ascii")
        if len(text) > PROMPT_MAX:
            raise ValueError(f"prompt is {len(text)} characters; at most {PROMPT_MAX} fit the parameter block")
        flags = FLAG_VALID | (FLAG_AUTORUN if self.autorun else 0)
        head = PARAMS_HEAD.pack(PARAMS_MAGIC, PARAMS_VERSION, flags, self.steps & 0xFFFF,
                                self.temperature_q8, self.top_p_q16, (self.seed or 1) & 0xFFFFFFFF,
                                self.mode)
        return head + text.ljust(PARAMS_SIZE - PROMPT_OFFSET, b"\0")


@dataclass(frozen=True)
class Status:
    """A decoded status block."""

    valid: bool
    state: State
    error: ErrorCode
    pos: int
    layer: int
    phase: Phase
    n_prompt: int
    count: int
    cycles: int
    cycles_start: int
    heartbeat: int
    ring: tuple  # RING_SIZE (token, cycles) pairs

    def token(self, k: int) -> tuple[int, int]:
        """(token id, cycle counter) of the k-th emitted token (0-based, count-RING_SIZE <= k < count)."""
        return self.ring[k % RING_SIZE]

    @classmethod
    def parse(cls, data: bytes) -> "Status":
        magic, state, err, pos, layer, phase, n_prompt, count, cyc, cyc0, hb = STATUS_HEAD.unpack_from(data)
        ring = tuple(RING_ENTRY.unpack_from(data, RING_OFFSET + i * RING_ENTRY.size) for i in range(RING_SIZE))
        def _enum(kind, value, default):
            try:
                return kind(value)
            except ValueError:
                return default
        return cls(magic == STATUS_MAGIC, _enum(State, state, State.BOOTING), _enum(ErrorCode, err, ErrorCode.NONE),
                   pos, layer, _enum(Phase, phase, Phase.EMBED), n_prompt, count, cyc, cyc0, hb, ring)


def c_header() -> str:
    """blocks.h for the C64 program: offsets and codes from the tables above."""
    lines = ["/* Generated by build_chain/blocks.py - do not edit. */", "#ifndef BLOCKS_H", "#define BLOCKS_H", ""]
    defs = {
        "PARAMS_SIZE": PARAMS_SIZE, "STATUS_SIZE": STATUS_SIZE, "PARAMS_VERSION": PARAMS_VERSION,
        "PROMPT_OFFSET": PROMPT_OFFSET, "PROMPT_MAX": PROMPT_MAX, "RING_OFFSET": RING_OFFSET,
        "RING_SIZE": RING_SIZE, "FLAG_AUTORUN": FLAG_AUTORUN, "FLAG_VALID": FLAG_VALID,
    }
    defs.update({f"STATE_{s.name}": s.value for s in State})
    defs.update({f"PHASE_{p.name}": p.value for p in Phase})
    defs.update({f"ERR_{e.name}": e.value for e in ErrorCode})
    lines += [f"#define {k} {v}" for k, v in defs.items()]
    lines += ["", "#endif", ""]
    return "\n".join(lines)
