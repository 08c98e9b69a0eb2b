"""The DMA-socket codec and REST naming (pure, no sockets)."""

from __future__ import annotations

import pytest

from gui64.machine import ultimate_protocol as up


def test_reu_write_frame_has_opcode_length_and_24_bit_offset():
    frame = up.encode_reu_write(0x012345, b"\xAA\xBB")
    assert frame == bytes([0x07, 0xFF, 0x05, 0x00, 0x45, 0x23, 0x01, 0xAA, 0xBB])


def test_reu_write_refuses_chunks_longer_than_the_length_field_allows():
    up.encode_reu_write(0, bytes(up.REU_CHUNK_MAX))
    with pytest.raises(up.FrameError):
        up.encode_reu_write(0, bytes(up.REU_CHUNK_MAX + 1))
    with pytest.raises(up.FrameError):
        up.encode_reu_write(up.REU_SPACE - 1, b"ab")


def test_long_length_opcodes_use_a_24_bit_length():
    frame = up.encode(up.Opcode.RUN_IMG, bytes(0x10002))
    assert frame[:5] == bytes([0x0B, 0xFF, 0x02, 0x00, 0x01])


def test_reu_chunks_cover_the_image_once_from_the_start_offset():
    chunks = list(up.reu_chunks(200_000, start=65_532))
    assert chunks[0] == (65_532, 65_532)
    assert sum(n for _, n in chunks) == 200_000 - 65_532
    assert chunks[-1][0] + chunks[-1][1] == 200_000


def test_decoder_joins_frames_split_at_every_point():
    stream = (up.encode_authenticate("pw") + up.encode_reu_write(0x10, b"hello") + up.encode_identify()
              + up.encode(up.Opcode.MOUNT_IMG, b"xyz"))
    want = [(up.Opcode.AUTHENTICATE, b"pw"), (up.Opcode.REUWRITE, b"\x10\x00\x00hello"),
            (up.Opcode.IDENTIFY, b""), (up.Opcode.MOUNT_IMG, b"xyz")]
    for cut in range(len(stream) + 1):
        dec = up.FrameDecoder()
        frames = dec.feed(stream[:cut]) + dec.feed(stream[cut:])
        assert [(f.opcode, f.payload) for f in frames] == want, cut
        assert dec.pending == 0


def test_decoder_skips_words_that_are_not_commands_like_the_firmware():
    dec = up.FrameDecoder()
    frames = dec.feed(b"\x01\x02" + up.encode_identify())
    assert [f.opcode for f in frames] == [up.Opcode.IDENTIFY]


def test_identify_reply_is_length_prefixed():
    assert up.parse_identify(b"\x05U64 X") == "U64 X"
    assert up.parse_identify(b"\x05U6") is None


def test_rest_paths_encode_spaces_and_args():
    assert up.rest_path("configs", path="C64 and Cartridge Settings/REU Size", value="2 MB") == \
        "/v1/configs/C64%20and%20Cartridge%20Settings/REU%20Size?value=2%20MB"
    assert up.rest_path("machine", "readmem", address=up.hex_address(0x400), length=1000) == \
        "/v1/machine:readmem?address=0400&length=1000"


@pytest.mark.parametrize("text, size", [("128 KB", 128 * 1024), ("2 MB", 2 << 20), ("16 mb", 16 << 20)])
def test_reu_size_values_round_trip(text, size):
    assert up.parse_reu_size(text) == size
    assert up.reu_size_value(size).lower() == text.lower()


def test_reu_size_value_refuses_sizes_an_reu_cannot_have():
    with pytest.raises(ValueError):
        up.reu_size_value(300 * 1024)
