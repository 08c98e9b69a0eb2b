"""The VICE backend with the real x64 (warp, headless): start, inject, poll, warp, faults, cleanup."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import pytest

from build_chain.blocks import Params, State, Status
from build_chain.labels import read_labels
from gui64.machine import protocol as p
from gui64.machine.monitor import MonitorTimeout
from gui64.machine.vice import COMMODORE_IDLE, Vice, ViceError, find_emulator, find_roms

# inc $FB/$FC/$FD/$FE as a 32-bit counter at $C000: 8 cycles per count in the common case
COUNTER_LOOP = bytes([0xE6, 0xFB, 0xD0, 0xFC, 0xE6, 0xFC, 0xD0, 0xF8, 0xE6, 0xFD, 0xD0, 0xF4,
                      0xE6, 0xFE, 0x4C, 0x00, 0xC0])


def gone(pid: int) -> bool:
    """The process no longer exists (or is a zombie nobody will run again)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_wrong_binary_path_is_reported_in_seconds():
    t0 = time.monotonic()
    with pytest.raises(ViceError, match="vice"):
        find_emulator(configured="/nonexistent/x64")
    assert time.monotonic() - t0 < 1.0


def test_x64_falls_back_to_x64sc(monkeypatch):
    import gui64.machine.vice as vice_mod
    real = vice_mod.resolve

    def no_x64(name):
        if name == "x64":
            raise vice_mod.ProgramNotFound("x64 not found on PATH: install the Debian package `vice`.")
        return real(name)
    monkeypatch.setattr(vice_mod, "resolve", no_x64)
    assert Path(find_emulator("x64")).name == "x64sc"


def test_named_rom_folder_without_roms_is_an_error(tmp_path):
    with pytest.raises(ViceError, match="no C64 ROMs"):
        find_roms(tmp_path)


def test_rom_folder_is_searched(tiny_roms):
    roms = find_roms(search=(Path("/nonexistent"), tiny_roms.kernal.parent))
    assert roms.kernal == tiny_roms.kernal and roms.idle == COMMODORE_IDLE


def test_vice_that_cannot_start_fails_fast(tiny_roms, tmp_path):
    bad = tmp_path / "x64"
    bad.write_text("#!/bin/sh\necho 'Machine initialization failed' >&2\nexit 1\n")
    bad.chmod(0o755)
    t0 = time.monotonic()
    with pytest.raises(ViceError, match="exited with status 1"):
        Vice(str(bad), tiny_roms).start()
    assert time.monotonic() - t0 < 5.0


@pytest.mark.vice
def test_inject_and_poll_fake_program(tiny_roms, fake_program, blank_reu):
    labels = read_labels(fake_program["labels"])
    with Vice(find_emulator("x64"), tiny_roms, blank_reu) as vice:
        assert COMMODORE_IDLE[0] <= vice.wait_idle() <= COMMODORE_IDLE[1]
        vice.inject(fake_program["prg"].read_bytes(), labels["start"],
                    ((labels["_params"], Params(prompt="x", steps=5, mode=1).pack()),))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            snap = vice.poll(labels["_status"])
            status = Status.parse(snap.status)
            if status.state == State.DONE:
                break
            time.sleep(0.05)
        assert status.valid and status.state == State.DONE and status.count == 5
        assert [status.token(k)[0] for k in range(5)] == [10, 11, 12, 13, 14]
        assert snap.screen[:5] == bytes([10, 11, 12, 13, 14]) and snap.colours[:5] == bytes([1] * 5)
        assert vice.monitor.running  # every poll ends with resume


@pytest.mark.vice
def test_reu_image_is_a_private_copy(tiny_roms, blank_reu):
    before = blank_reu.read_bytes()
    with Vice(find_emulator("x64"), tiny_roms, blank_reu) as vice:
        argv = Path(f"/proc/{vice.proc.pid}/cmdline").read_bytes().split(b"\0")
        image = Path(argv[argv.index(b"-reuimage") + 1].decode())
        assert image != blank_reu and image.parent == vice.workdir
        assert argv[argv.index(b"-reusize") + 1] == b"128"
    assert blank_reu.read_bytes() == before


@pytest.mark.vice
def test_stop_leaves_no_process_or_files(tiny_roms):
    vice = Vice(find_emulator("x64"), tiny_roms)
    vice.start()
    pid, workdir = vice.proc.pid, vice.workdir
    vice.stop()
    vice.stop()  # idempotent
    assert gone(pid) and not workdir.exists()


@pytest.mark.vice
def test_taken_port_moves_to_another(tiny_roms):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen(1)
        taken = squatter.getsockname()[1]
        with Vice(find_emulator("x64"), tiny_roms, port=taken, boot_timeout=10) as vice:
            assert vice.port != taken
            vice.monitor.ping()


@pytest.mark.vice
def test_stopped_vice_gives_a_timeout(tiny_roms):
    with Vice(find_emulator("x64"), tiny_roms, monitor_timeout=1.0) as vice:
        vice.monitor.resume()
        os.kill(vice.proc.pid, signal.SIGSTOP)
        t0 = time.monotonic()
        with pytest.raises(MonitorTimeout):
            vice.poll(0xC000)
        assert time.monotonic() - t0 < 4.0
        pid = vice.proc.pid
    assert gone(pid)  # stop() continues and kills a stopped VICE


@pytest.mark.vice
def test_warp_switches_while_running(tiny_roms):
    with Vice(find_emulator("x64"), tiny_roms, warp=True) as vice:
        vice.wait_idle()
        vice.inject(b"\x00\xc0" + COUNTER_LOOP, 0xC000)
        fast = _counter_rate(vice, 0.5)
        vice.set_warp(False)
        slow = _counter_rate(vice, 0.5)
        vice.set_warp(True)
        again = _counter_rate(vice, 0.5)
    assert slow < 1.3e6 < 5e6 < min(fast, again)  # PAL C64: 0.985 MHz


@pytest.mark.vice
def test_window_mode_without_display_uses_private_xvfb(tiny_roms, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    with Vice(find_emulator("x64"), tiny_roms, display="window") as vice:
        vice.monitor.ping()
        xvfb_pid, vice_pid = vice.xvfb.pid, vice.proc.pid
        assert not gone(xvfb_pid)
    assert gone(xvfb_pid) and gone(vice_pid)


def _count(vice) -> int:
    return int.from_bytes(vice.monitor.memory_get(0xFB, 0xFE), "little")


def _counter_rate(vice, seconds: float, poll_hz: float = 0.0, poll_times: list | None = None) -> float:
    """C64 cycles per wall second over `seconds`, polling at poll_hz (each poll's duration into poll_times)."""
    c0 = _count(vice)
    vice.monitor.resume()
    t0 = time.monotonic()
    n = 0
    while time.monotonic() - t0 < seconds:
        if poll_hz:
            t = time.perf_counter()
            vice.poll(0xC000)
            poll_times.append(time.perf_counter() - t)
            n += 1
            time.sleep(max(0.0, t0 + n / poll_hz - time.monotonic()))
        else:
            time.sleep(seconds / 20)
    c1 = _count(vice)
    wall = time.monotonic() - t0
    vice.monitor.resume()
    return (c1 - c0) * 8 / wall


@pytest.mark.vice
@pytest.mark.slow
def test_polling_at_10hz_costs_under_5_percent(tiny_roms):
    """Issue 3: a 10 Hz poll (status + screen + colours + VIC, then resume) stops the machine < 5% of the time.

    The firm bound is the paused share (median poll duration x 10 Hz); warp throughput on a shared
    host drifts by +-20% between windows, so it only gets a loose sanity bound.
    """
    with Vice(find_emulator("x64"), tiny_roms, warp=True) as vice:
        vice.wait_idle()
        vice.inject(b"\x00\xc0" + COUNTER_LOOP, 0xC000)
        free, polled, times = [], [], []
        for _ in range(3):  # interleaved, because warp speed drifts with host load
            free.append(_counter_rate(vice, 1.0))
            polled.append(_counter_rate(vice, 1.0, poll_hz=10.0, poll_times=times))
    free_m, polled_m = sorted(free)[1], sorted(polled)[1]
    times.sort()
    paused = 10.0 * times[len(times) // 2]
    print(f"\nwarp: {free_m / 1e6:.1f} M cycles/s free, {polled_m / 1e6:.1f} M cycles/s at 10 Hz "
          f"({100 * (1 - polled_m / free_m):+.1f}%); poll median {1000 * times[len(times) // 2]:.2f} ms, "
          f"p90 {1000 * times[int(len(times) * 0.9)]:.2f} ms -> paused {100 * paused:.2f}% at 10 Hz")
    assert paused < 0.05
    assert polled_m > 0.6 * free_m
