"""VICE binary monitor codec (VICE manual ch. 13): encode commands, decode responses; no I/O.

Command frame (little-endian)::

    0  1  STX 0x02
    1  1  API version (2)
    2  4  body length (body only)
    6  4  request id
    10 1  command type
    11 .. body

Response frame::

    0  1  STX 0x02
    1  1  API version
    2  4  body length (body only)
    6  1  response type (usually the command type)
    7  1  error code (0 = ok)
    8  4  request id (EVENT_ID = 0xFFFFFFFF for events: stopped, resumed, checkpoint hit)
    12 .. body

Frames have no terminator: the length field is the only sync point, so the decoder keeps a
remainder across chunks and yields only whole frames.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

STX = 0x02
API_VERSION = 0x02
EVENT_ID = 0xFFFFFFFF
MAX_BODY = 16 * 1024 * 1024  # sanity bound: a display get is ~100 KB; more means we lost sync

COMMAND_HEAD = struct.Struct("<BBIIB")  # stx, api, length, request id, type
RESPONSE_HEAD = struct.Struct("<BBIBBI")  # stx, api, length, type, error, request id


class ProtocolError(Exception):
    """The byte stream is not VICE binary monitor framing (lost sync or garbage)."""


class Command(enum.IntEnum):
    MEMORY_GET = 0x01
    MEMORY_SET = 0x02
    CHECKPOINT_GET = 0x11
    CHECKPOINT_SET = 0x12
    CHECKPOINT_DELETE = 0x13
    CHECKPOINT_LIST = 0x14
    CHECKPOINT_TOGGLE = 0x15
    CONDITION_SET = 0x22
    REGISTERS_GET = 0x31
    REGISTERS_SET = 0x32
    DUMP = 0x41
    UNDUMP = 0x42
    RESOURCE_GET = 0x51
    RESOURCE_SET = 0x52
    ADVANCE_INSTRUCTIONS = 0x71
    KEYBOARD_FEED = 0x72
    EXECUTE_UNTIL_RETURN = 0x73
    PING = 0x81
    BANKS_AVAILABLE = 0x82
    REGISTERS_AVAILABLE = 0x83
    DISPLAY_GET = 0x84
    VICE_INFO = 0x85
    PALETTE_GET = 0x91
    EXIT = 0xAA
    QUIT = 0xBB
    RESET = 0xCC
    AUTOSTART = 0xDD


class ResponseType(enum.IntEnum):
    """Response types that differ from their command's number, and the events."""

    INVALID = 0x00
    CHECKPOINT_INFO = 0x11  # checkpoint get/set/list, and checkpoint hits (as events)
    REGISTER_INFO = 0x31  # registers get/set, and the register dump sent on stop (event)
    JAM = 0x61
    STOPPED = 0x62
    RESUMED = 0x63


class Op(enum.IntFlag):
    """Checkpoint CPU operations."""

    LOAD = 0x01
    STORE = 0x02
    EXEC = 0x04


class MemSpace(enum.IntEnum):
    MAIN = 0x00
    DRIVE8 = 0x01


# Register ids in the C64's main memspace (from Registers available, 0x83, on VICE 3.7.1).
REG_A, REG_X, REG_Y, REG_PC, REG_SP, REG_FLAGS = 0x00, 0x01, 0x02, 0x03, 0x04, 0x05

ERROR_TEXT = {
    0x01: "the object does not exist",
    0x02: "invalid memspace",
    0x80: "wrong command length",
    0x81: "invalid parameter value",
    0x82: "API version not understood",
    0x83: "command type not understood",
    0x8F: "general failure",
}


@dataclass(frozen=True)
class Response:
    """One decoded response frame."""

    type: int
    error: int
    request_id: int
    body: bytes

    @property
    def is_event(self) -> bool:
        return self.request_id == EVENT_ID


@dataclass(frozen=True)
class CheckpointInfo:
    number: int
    hit: bool
    start: int
    end: int
    stop: bool
    enabled: bool
    op: int
    temporary: bool
    hit_count: int
    ignore_count: int


# ---------------------------------------------------------------- encoding


def encode(command: int, body: bytes = b"", request_id: int = 0) -> bytes:
    """One command frame."""
    if not 0 <= request_id <= 0xFFFFFFFF:
        raise ValueError(f"request id {request_id} does not fit 32 bits")
    return COMMAND_HEAD.pack(STX, API_VERSION, len(body), request_id, int(command)) + bytes(body)


def memory_get(start: int, end: int, bank: int = 0, side_effects: bool = False,
               memspace: int = MemSpace.MAIN) -> bytes:
    """Body of Memory get: start..end inclusive."""
    _check_range(start, end)
    return struct.pack("<BHHBH", side_effects, start, end, memspace, bank)


def memory_set(start: int, data: bytes, bank: int = 0, side_effects: bool = False,
               memspace: int = MemSpace.MAIN) -> bytes:
    """Body of Memory set: ``data`` written from ``start``."""
    if not data:
        raise ValueError("memory set needs at least one byte")
    end = start + len(data) - 1
    _check_range(start, end)
    return struct.pack("<BHHBH", side_effects, start, end, memspace, bank) + bytes(data)


def checkpoint_set(start: int, end: int | None = None, op: int = Op.EXEC, stop: bool = True,
                   enabled: bool = True, temporary: bool = False,
                   memspace: int = MemSpace.MAIN) -> bytes:
    end = start if end is None else end
    _check_range(start, end)
    return struct.pack("<HHBBBBB", start, end, stop, enabled, int(op), temporary, memspace)


def checkpoint_number(number: int) -> bytes:
    """Body of Checkpoint get / delete."""
    return struct.pack("<I", number)


def registers_get(memspace: int = MemSpace.MAIN) -> bytes:
    return bytes([memspace])


def registers_set(values: dict[int, int], memspace: int = MemSpace.MAIN) -> bytes:
    """Body of Registers set: {register id: value}."""
    items = b"".join(struct.pack("<BBH", 3, reg, value & 0xFFFF) for reg, value in values.items())
    return struct.pack("<BH", memspace, len(values)) + items


def resource_get(name: str) -> bytes:
    raw = name.encode("ascii")
    return bytes([len(raw)]) + raw


def resource_set(name: str, value: int | str) -> bytes:
    """Body of Resource set; ints go as a 4-byte little-endian value (VICE 3.7.1 rejects other sizes)."""
    raw = name.encode("ascii")
    if isinstance(value, int):
        kind, val = 1, struct.pack("<i", value)
    else:
        kind, val = 0, value.encode("ascii")
    return bytes([kind, len(raw)]) + raw + bytes([len(val)]) + val


def reset(hard: bool = False) -> bytes:
    return bytes([1 if hard else 0])


def display_get(use_vicii: bool = True) -> bytes:
    return bytes([1 if use_vicii else 0, 0])  # format 0: indexed 8 bit


def _check_range(start: int, end: int) -> None:
    if not (0 <= start <= end <= 0xFFFF):
        raise ValueError(f"address range ${start:04X}-${end:04X} is outside $0000-$FFFF")


# ---------------------------------------------------------------- decoding


class Decoder:
    """Incremental decoder: feed any chunks, get whole responses in order.

    Raises ProtocolError when a frame does not start with STX or claims an absurd length;
    the stream cannot be resynchronised after that, so the owner should drop the connection.
    """

    def __init__(self) -> None:
        self._buf = bytearray()

    @property
    def pending(self) -> int:
        """Bytes held back waiting for the rest of a frame."""
        return len(self._buf)

    def feed(self, chunk: bytes) -> list[Response]:
        self._buf += chunk
        out = []
        while len(self._buf) >= RESPONSE_HEAD.size:
            stx, _api, length, rtype, error, rid = RESPONSE_HEAD.unpack_from(self._buf)
            if stx != STX:
                raise ProtocolError(f"monitor frame starts with 0x{stx:02X}, not STX: lost sync")
            if length > MAX_BODY:
                raise ProtocolError(f"monitor frame claims {length} bytes: lost sync")
            end = RESPONSE_HEAD.size + length
            if len(self._buf) < end:
                break
            out.append(Response(rtype, error, rid, bytes(self._buf[RESPONSE_HEAD.size:end])))
            del self._buf[:end]
        return out


def parse_memory(body: bytes) -> bytes:
    """Body of a Memory get response -> the bytes."""
    (length,) = struct.unpack_from("<H", body)
    data = body[2:2 + length] if length else body[2:]  # length is 0 for a full 64 KB read
    return bytes(data)


def parse_registers(body: bytes) -> dict[int, int]:
    """Body of a Register info response -> {register id: value}."""
    (count,) = struct.unpack_from("<H", body)
    regs, i = {}, 2
    for _ in range(count):
        size = body[i]
        reg = body[i + 1]
        regs[reg] = int.from_bytes(body[i + 2:i + 1 + size], "little")
        i += size + 1
    return regs


def parse_checkpoint(body: bytes) -> CheckpointInfo:
    num, hit, start, end, stop, enabled, op, temp, hits, ignores = struct.unpack_from("<IBHHBBBBII", body)
    return CheckpointInfo(num, bool(hit), start, end, bool(stop), bool(enabled), op, bool(temp), hits, ignores)


def parse_pc(body: bytes) -> int:
    """Body of a Stopped / Resumed / JAM event -> program counter."""
    return struct.unpack_from("<H", body)[0]


def parse_resource(body: bytes) -> int | str:
    kind, length = body[0], body[1]
    raw = body[2:2 + length]
    return int.from_bytes(raw, "little") if kind == 1 else raw.decode("latin-1")


def parse_banks(body: bytes) -> dict[str, int]:
    """Body of Banks available -> {name: bank id}."""
    (count,) = struct.unpack_from("<H", body)
    banks, i = {}, 2
    for _ in range(count):
        size = body[i]
        bank, nlen = struct.unpack_from("<HB", body, i + 1)
        banks[body[i + 4:i + 4 + nlen].decode("ascii")] = bank
        i += size + 1
    return banks
