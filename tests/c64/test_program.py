"""llama64.prg's platform in VICE: start-up checks, status block, story flow (maths stubbed)."""

from __future__ import annotations

import shutil

import pytest

from build_chain.blocks import ErrorCode, Params, State
from build_chain.labels import read_labels, read_segments

from .conftest import run_c64, screen_text, words


def test_build_exports_entry_and_blocks(platform_build):
    labels = read_labels(platform_build.labels)
    assert labels["start"] == platform_build.entry == 2061  # the SYS line's address
    assert labels["_params"] == platform_build.params
    assert labels["_status"] == platform_build.status
    prg = platform_build.prg.read_bytes()
    assert prg[:2] == b"\x01\x08" and b"\x9e2061\x00" in prg[:16]
    segs = read_segments(platform_build.map)
    assert segs["BSS"].end < 0x9E00  # below the C stack


def test_build_is_cached_by_content(tmp_path):
    from build_chain.build import build_program

    from .conftest import HERE, MATHS_SOURCES
    a = build_program(extra_sources=(HERE / "model_stub.c",), exclude=MATHS_SOURCES)
    b = build_program(extra_sources=(HERE / "model_stub.c",), exclude=MATHS_SOURCES)
    assert a == b and a.prg.is_file()


def test_compile_error_is_one_line_with_file_and_line(tmp_path):
    from build_chain.build import build_program
    from build_chain.errors import ToolchainError
    bad = tmp_path / "broken.c"
    bad.write_text("int f(void)\n{\n    return x;\n}\n")
    with pytest.raises(ToolchainError, match=r"broken\.c:3: "):
        build_program(tmp_path / "out", extra_sources=(bad,), exclude=("*",))


@pytest.mark.vice
def test_story_flow_with_stub_maths(platform_build, exported):
    params = Params(prompt="Once upon a time", steps=5)
    status, rows, _, _ = run_c64(platform_build, exported.reu, params)
    assert status.valid and status.state == State.DONE and status.error == ErrorCode.NONE
    assert status.count == 5 and status.n_prompt >= 2
    # the stub samples token + 1 after the prompt's last token
    tokens = [status.token(k)[0] for k in range(5)]
    assert all(b == a + 1 for a, b in zip(tokens, tokens[1:]))
    cycles = [status.token(k)[1] for k in range(5)]
    assert all(b > a for a, b in zip(cycles, cycles[1:]))
    assert status.heartbeat > 0 and status.cycles >= cycles[-1]
    assert "Once upon a time" in words(rows[2:])


@pytest.mark.vice
def test_no_reu_is_an_error_on_screen(platform_build):
    status, rows, _, _ = run_c64(platform_build, None, Params(prompt="x"))
    assert status.state == State.ERROR and status.error == ErrorCode.NO_REU
    assert "NO REU FOUND" in words(rows)


@pytest.mark.vice
def test_small_reu_is_an_error_on_screen(platform_build, exported, tmp_path):
    # a 512 KB REU holding the first 512 KB of an image that needs more (as on real hardware)
    image = tmp_path / "half.reu"
    image.write_bytes(exported.reu.read_bytes()[:512 * 1024])
    status, rows, _, _ = run_c64(platform_build, None, Params(prompt="x"),
                                 extra_args=("-reu", "-reusize", "512", "-reuimage", str(image)))
    assert status.state == State.ERROR and status.error == ErrorCode.REU_TOO_SMALL
    text = words(rows)
    needed = exported.header.reu_size // 1024
    assert needed > 512 and "too small" in text and f"512 KB found, {needed} KB needed" in text


@pytest.mark.vice
def test_wrong_magic_is_an_error_on_screen(platform_build, exported, tmp_path):
    image = tmp_path / "bad.reu"
    shutil.copyfile(exported.reu, image)
    with image.open("r+b") as f:
        f.write(b"NOPE")
    status, rows, _, _ = run_c64(platform_build, image, Params(prompt="x"))
    assert status.state == State.ERROR and status.error == ErrorCode.BAD_MAGIC
    assert "no gui64 weights image" in words(rows)


@pytest.mark.vice
def test_dialog_takes_a_block_the_host_writes_later(platform_build, exported):
    """Real-hardware path: no AUTORUN -> the dialog is up (READY); a block with VALID starts the story."""
    import time

    from build_chain.blocks import Status
    from gui64.machine.vice import Vice, find_emulator, open_boot_roms

    labels = read_labels(platform_build.labels)
    with Vice(find_emulator("x64"), open_boot_roms(), exported.reu) as vice:
        vice.wait_idle()
        vice.inject(platform_build.prg.read_bytes(), platform_build.entry,
                    ((labels["_params"], Params(prompt="old", autorun=False).pack()),))
        deadline = time.monotonic() + 20
        while True:
            snap = vice.poll(labels["_status"])
            if Status.parse(snap.status).state == State.READY and "RETURN" in words(screen_text(snap.screen)):
                break
            assert time.monotonic() < deadline
            time.sleep(0.05)
        text = words(screen_text(snap.screen))
        assert "Prompt" in text and "Temperature" in text and "Mode 1=exact" in text and "RETURN: write the story" in text
        time.sleep(0.3)  # the dialog keeps waiting: an old block (VALID at start) does not start it
        assert Status.parse(vice.poll(labels["_status"]).status).state == State.READY
        vice.monitor.memory_set(labels["_params"], Params(prompt="Hi", steps=3, autorun=False).pack())
        vice.monitor.resume()
        while True:
            snap = vice.poll(labels["_status"])
            status = Status.parse(snap.status)
            if status.state == State.DONE:
                break
            assert time.monotonic() < deadline
            time.sleep(0.05)
    assert status.count == 3 and words(screen_text(snap.screen)[2:]).startswith("Hi")


@pytest.mark.vice
@pytest.mark.parametrize("kb", [2048, 16384])
def test_reu_size_probe_finds_the_size_and_keeps_the_image(platform_build, exported, tmp_path, kb):
    image = tmp_path / "w.reu"
    image.write_bytes(exported.reu.read_bytes().ljust(kb * 1024, b"\0"))
    status, rows, snap, found = run_c64(platform_build, None, Params(prompt="Once", steps=2),
                                 extra_args=("-reu", "-reusize", str(kb), "-reuimage", str(image)))
    assert status.state == State.DONE and status.count == 2  # the probe restored what it overwrote
    assert found == kb * 1024


@pytest.mark.vice
def test_cycle_counter_stamps_rise_by_plausible_steps(platform_build, exported):
    status, _, _, _ = run_c64(platform_build, exported.reu, Params(prompt="Once upon a time", steps=20))
    stamps = [status.token(k)[1] for k in range(20)]
    deltas = [b - a for a, b in zip(stamps, stamps[1:])]
    # a stub token costs ~52K cycles (header line, screen, status); the counter never steps back
    # (a delta near 2^32) or jumps by a timer A period (2^16)
    assert all(10000 < d < 200000 for d in deltas), deltas
    assert max(deltas) - min(deltas) < 0.5 * max(deltas)
    assert status.cycles_start < stamps[0]
