"""The binary monitor codec: frames from the VICE manual and a stream recorded from VICE 3.7.1."""

from __future__ import annotations

import pytest

from gui64.machine import protocol as p

# Recorded from x64 3.7.1 on connect (registers event + stopped event), then replies to
# ping (id 1) and VICE info (id 2).
RECORDED = bytes.fromhex(
    "02022a0000003100ffffffff0a00030305e0030000000301ff00030200000304ff0003370000033817000305840003350000"
    "033601000202020000006200ffffffff05e0020200000000810001000000"
    "02020a00000085000200000004030701000400000000")


def test_encode_matches_manual_example():
    # VICE manual 13.3: a temporary exec checkpoint at $FCE2-$FCE3, request id 0x1234DEAD
    body = p.checkpoint_set(0xFCE2, 0xFCE3, p.Op.EXEC, temporary=True)
    frame = p.encode(p.Command.CHECKPOINT_SET, body[:8], 0x1234DEAD)
    assert frame == bytes.fromhex("0202 08000000 adde3412 12 e2fc e3fc 01 01 04 01".replace(" ", ""))


def test_decoder_reads_recorded_stream_whole():
    frames = p.Decoder().feed(RECORDED)
    assert [(f.type, f.request_id) for f in frames] == [
        (0x31, p.EVENT_ID), (0x62, p.EVENT_ID), (0x81, 1), (0x85, 2)]
    assert p.parse_registers(frames[0].body)[p.REG_PC] == 0xE005
    assert p.parse_pc(frames[1].body) == 0xE005
    assert frames[0].is_event and not frames[2].is_event


@pytest.mark.parametrize("split", range(1, len(RECORDED)))
def test_decoder_joins_frames_split_at_every_point(split):
    dec = p.Decoder()
    frames = dec.feed(RECORDED[:split]) + dec.feed(RECORDED[split:])
    assert frames == p.Decoder().feed(RECORDED)
    assert dec.pending == 0


def test_decoder_joins_byte_by_byte_feed():
    dec = p.Decoder()
    frames = [f for b in RECORDED for f in dec.feed(bytes([b]))]
    assert frames == p.Decoder().feed(RECORDED)


def test_decoder_rejects_garbage_instead_of_guessing():
    with pytest.raises(p.ProtocolError, match="lost sync"):
        p.Decoder().feed(b"HTTP/1.1 200 OK\r\n\r\n")


def test_decoder_rejects_absurd_length():
    with pytest.raises(p.ProtocolError):
        p.Decoder().feed(bytes([2, 2]) + (0x7FFFFFFF).to_bytes(4, "little") + bytes(6))


def test_memory_set_body_has_inclusive_end():
    body = p.memory_set(0xC000, b"\x01\x02\x03")
    assert body == bytes([0, 0x00, 0xC0, 0x02, 0xC0, 0, 0, 0, 1, 2, 3])


def test_memory_set_refuses_to_wrap_past_ffff():
    with pytest.raises(ValueError, match=r"\$FFFF"):
        p.memory_set(0xFFFF, b"ab")


def test_registers_set_body():
    assert p.registers_set({p.REG_PC: 0xC000}) == bytes([0, 1, 0, 3, 3, 0x00, 0xC0])


def test_resource_set_sends_ints_as_four_bytes():
    assert p.resource_set("Speed", 100) == bytes([1, 5]) + b"Speed" + bytes([4, 100, 0, 0, 0])


def test_parse_memory_full_64k_has_zero_length():
    assert p.parse_memory(b"\0\0" + b"x" * 65536) == b"x" * 65536


def test_parse_checkpoint_info():
    body = bytes.fromhex("02000000 00 e2fc e3fc 01 01 04 01 00000000 00000000 00 00".replace(" ", ""))
    info = p.parse_checkpoint(body)
    assert (info.number, info.start, info.end, info.op, info.temporary) == (2, 0xFCE2, 0xFCE3, p.Op.EXEC, True)
