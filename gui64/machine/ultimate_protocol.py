"""Ultimate II+ / Ultimate 64 wire formats, pure (no sockets): DMA-socket framing and REST names.

Facts from ../shared/docs/ultimate-api.md (firmware 3.11-3.15, ``software/network/socket_dma.cc``
and ``software/api/route_configs.cc``). The client (gui64.machine.ultimate) and the loopback
simulator of the tests both use this module, so the two cannot drift apart.

DMA socket frame (TCP 64)::

    0  2  opcode, little-endian, always 0xFFxx
    2  2  payload length, little-endian (3 bytes for MOUNT_IMG / RUN_IMG / RUN_CRT)
    4  n  payload

The firmware reads frames in order on one connection. Replies exist only for AUTHENTICATE
(1 byte: 1 ok, 0 failed, then it disconnects) and IDENTIFY (1 length byte + product title).
A connection without a successful AUTHENTICATE is dropped at its first other command when a
network password is set. REUWRITE has no reply; IDENTIFY after a batch of REUWRITEs is the
point where the host knows they were all processed.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass
from typing import Iterator
from urllib.parse import quote

# ---------------------------------------------------------------- services


class Service(enum.Enum):
    """A network service of the Ultimate: its name in the `Network Settings` menu."""

    REST = "Web Remote Control Service"
    DMA = "Ultimate DMA Service"


DEFAULT_HTTP_PORT = 80
DEFAULT_DMA_PORT = 64
PASSWORD_HEADER = "X-Password"

# ---------------------------------------------------------------- DMA socket


class Opcode(enum.IntEnum):
    """DMA socket commands (socket_dma.cc)."""

    DMA = 0xFF01
    DMARUN = 0xFF02
    KEYB = 0xFF03
    RESET = 0xFF04
    WAIT = 0xFF05
    DMAWRITE = 0xFF06
    REUWRITE = 0xFF07
    KERNALWRITE = 0xFF08
    DMAJUMP = 0xFF09
    MOUNT_IMG = 0xFF0A
    RUN_IMG = 0xFF0B
    POWEROFF = 0xFF0C
    RUN_CRT = 0xFF0D
    IDENTIFY = 0xFF0E
    AUTHENTICATE = 0xFF1F


LONG_LENGTH = frozenset({Opcode.MOUNT_IMG, Opcode.RUN_IMG, Opcode.RUN_CRT})  # 24-bit length field
MAX_PAYLOAD = 0xFFFF
REU_OFFSET_BYTES = 3
REU_CHUNK_MAX = MAX_PAYLOAD - REU_OFFSET_BYTES  # 65 532 data bytes per REUWRITE
REU_SPACE = 1 << 24  # REU offsets are 24 bits
AUTH_OK = 1


class FrameError(ValueError):
    """A DMA frame that cannot be encoded or decoded."""


def encode(opcode: int, payload: bytes = b"") -> bytes:
    """One DMA-socket frame.

    Raises:
        FrameError: not a 0xFFxx opcode, or the payload is longer than the length field holds.
    """
    if opcode & 0xFF00 != 0xFF00:
        raise FrameError(f"opcode 0x{opcode:04X} is not a DMA-socket command (0xFFxx)")
    if opcode in LONG_LENGTH:
        if len(payload) >= 1 << 24:
            raise FrameError(f"payload of {len(payload)} bytes is too long for opcode 0x{opcode:04X}")
        n = len(payload)
        return struct.pack("<HHB", opcode, n & 0xFFFF, n >> 16) + payload
    if len(payload) > MAX_PAYLOAD:
        raise FrameError(f"payload of {len(payload)} bytes is longer than {MAX_PAYLOAD}")
    return struct.pack("<HH", opcode, len(payload)) + payload


def encode_authenticate(password: str) -> bytes:
    return encode(Opcode.AUTHENTICATE, password.encode("utf-8"))


def encode_identify() -> bytes:
    return encode(Opcode.IDENTIFY)


def encode_reu_write(offset: int, data: bytes) -> bytes:
    """REUWRITE: 3-byte little-endian REU offset + up to REU_CHUNK_MAX data bytes.

    Raises:
        FrameError: offset outside the 16 MB REU space, or too much data.
    """
    if not 0 <= offset < REU_SPACE or offset + len(data) > REU_SPACE:
        raise FrameError(f"REU offset ${offset:06X} + {len(data)} bytes is outside the 16 MB REU")
    if len(data) > REU_CHUNK_MAX:
        raise FrameError(f"an REU chunk holds at most {REU_CHUNK_MAX} bytes, not {len(data)}")
    return encode(Opcode.REUWRITE, offset.to_bytes(3, "little") + data)


def encode_dma_write(address: int, data: bytes) -> bytes:
    """DMAWRITE: 2-byte little-endian C64 address + data (must not pass $FFFF)."""
    if not 0 <= address <= 0xFFFF or address + len(data) > 0x10000:
        raise FrameError(f"${address:04X} + {len(data)} bytes passes the end of C64 memory")
    return encode(Opcode.DMAWRITE, address.to_bytes(2, "little") + data)


def reu_chunks(size: int, chunk: int = REU_CHUNK_MAX, start: int = 0) -> Iterator[tuple[int, int]]:
    """(offset, length) of each REUWRITE for an image of ``size`` bytes, from ``start`` on."""
    if not 0 < chunk <= REU_CHUNK_MAX:
        raise FrameError(f"chunk size must be 1..{REU_CHUNK_MAX}, not {chunk}")
    offset = start
    while offset < size:
        n = min(chunk, size - offset)
        yield offset, n
        offset += n


def parse_identify(reply: bytes) -> str | None:
    """The product title from an IDENTIFY reply (length byte + text), or None if incomplete."""
    if not reply or len(reply) < 1 + reply[0]:
        return None
    return reply[1:1 + reply[0]].decode("latin-1")


@dataclass(frozen=True)
class Frame:
    """One decoded DMA-socket command (the simulator's side)."""

    opcode: int
    payload: bytes


class FrameDecoder:
    """Incremental decoder for the device side: feed any chunk, get whole frames.

    Like the firmware, a 2-byte word that is not 0xFFxx is skipped (firmware prints
    "Illegal command" and reads the next two bytes).
    """

    def __init__(self) -> None:
        self._buf = bytearray()

    @property
    def pending(self) -> int:
        """Bytes held that do not yet form a whole frame."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[Frame]:
        self._buf += data
        out = []
        while True:
            if len(self._buf) < 4:
                return out
            opcode = self._buf[0] | self._buf[1] << 8
            if opcode & 0xFF00 != 0xFF00:
                del self._buf[:2]
                continue
            head = 5 if opcode in LONG_LENGTH else 4
            if len(self._buf) < head:
                return out
            n = self._buf[2] | self._buf[3] << 8
            if head == 5:
                n |= self._buf[4] << 16
            if len(self._buf) < head + n:
                return out
            out.append(Frame(opcode, bytes(self._buf[head:head + n])))
            del self._buf[:head + n]


# ---------------------------------------------------------------- REST

API = "/v1"
# How long a REST readmem may be (firmware cap) and how long we make them (old firmware hung
# on huge reads: keep them small).
READMEM_MAX = 65536
WRITEMEM_PUT_MAX = 128


def rest_path(route: str, command: str | None = None, path: str | None = None, **args) -> str:
    """``/v1/<route>[/<path>][:<command>][?k=v&...]`` with each part URL-encoded.

    ``path`` may contain slashes (a config category and item); spaces become %20.
    """
    url = f"{API}/{route}"
    if path:
        url += "/" + "/".join(quote(part, safe="") for part in path.split("/"))
    if command:
        url += f":{command}"
    if args:
        url += "?" + "&".join(f"{k}={quote(str(v), safe='')}" for k, v in args.items())
    return url


def hex_address(address: int) -> str:
    """A C64 address as the REST API wants it: hex without `$` (``0400``)."""
    if not 0 <= address <= 0xFFFF:
        raise ValueError(f"${address:X} is not a C64 address")
    return f"{address:04X}"


# ---------------------------------------------------------------- configuration

CARTRIDGE_CATEGORY = "C64 and Cartridge Settings"
ITEM_REU = "RAM Expansion Unit"
ITEM_REU_SIZE = "REU Size"
REU_ENABLED = "Enabled"
REU_DISABLED = "Disabled"
REU_SIZE_VALUES = ("128 KB", "256 KB", "512 KB", "1 MB", "2 MB", "4 MB", "8 MB", "16 MB")


def reu_size_value(nbytes: int) -> str:
    """The `REU Size` choice for a size in bytes (must be one of 128 KB .. 16 MB)."""
    kb = nbytes // 1024
    text = f"{kb // 1024} MB" if kb >= 1024 else f"{kb} KB"
    if nbytes % 1024 or text not in REU_SIZE_VALUES:
        raise ValueError(f"{nbytes} bytes is not an REU size (128 KB .. 16 MB, powers of two)")
    return text


def parse_reu_size(value: str) -> int:
    """Bytes from a `REU Size` choice ("2 MB" -> 2097152); matched case-insensitively.

    Raises:
        ValueError: not a size.
    """
    parts = value.strip().upper().split()
    if len(parts) != 2 or parts[1] not in ("KB", "MB") or not parts[0].isdigit():
        raise ValueError(f"{value!r} is not an REU size")
    return int(parts[0]) * (1024 if parts[1] == "KB" else 1024 * 1024)
