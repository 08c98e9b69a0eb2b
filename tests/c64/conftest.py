"""Fixtures for the C64 platform tests: the program built with a stand-in for the maths, REU images."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
# The platform's own sources in build_chain/c64; the platform tests link these with model_stub.c
# in place of the maths (every other .c/.s there), so they do not depend on the forward pass.
PLATFORM_SOURCES = ("start.s", "blocks.s", "cia.s", "reu.s", "kbd.s", "vic.s", "status.c", "screen.c",
                    "keys.c", "params.c", "image.c", "tokenizer.c", "main.c")


def _maths_sources() -> tuple[str, ...]:
    from build_chain.build import C64_DIR
    return tuple(p.name for p in C64_DIR.iterdir() if p.suffix in (".c", ".s") and p.name not in PLATFORM_SOURCES)


MATHS_SOURCES = _maths_sources()


@pytest.fixture(scope="session")
def platform_build(tmp_path_factory):
    """llama64.prg with tests/c64/model_stub.c in place of the maths (ProgramBuild)."""
    from build_chain.build import build_program
    return build_program(tmp_path_factory.mktemp("prg"), extra_sources=(HERE / "model_stub.c",),
                         exclude=MATHS_SOURCES)


def screen_text(codes: bytes) -> list[str]:
    """The 25 rows of a lower/upper case screen as ASCII (reversed cells read as normal)."""
    from build_chain.bootrom.chargen import ascii_to_screen
    back = {ascii_to_screen(chr(c)): chr(c) for c in range(32, 127)}
    chars = "".join(back.get(b & 0x7F, "?") for b in codes)
    return [chars[i:i + 40] for i in range(0, 1000, 40)]


def words(rows: list[str]) -> str:
    """Screen rows joined into running text (word-wrapped lines rejoined with one space)."""
    return " ".join(r.strip() for r in rows if r.strip())


def run_c64(build, reu_image=None, params=None, until=("DONE", "ERROR"), timeout=60.0, extra_args=(),
            roms=None):
    """Boot VICE (open ROMs), inject the program (+ parameter block), poll until a state in `until`.

    Returns:
        (Status, screen rows as text, the last Snapshot, REU bytes the program found)
    """
    import time

    from build_chain.blocks import Status
    from build_chain.labels import read_labels
    from gui64.machine.vice import Vice, find_emulator, open_boot_roms

    labels = read_labels(build.labels)
    blocks = ((labels["_params"], params.pack()),) if params is not None else ()
    with Vice(find_emulator("x64"), roms or open_boot_roms(), reu_image, extra_args=tuple(extra_args)) as vice:
        vice.wait_idle()
        vice.inject(build.prg.read_bytes(), build.entry, blocks)
        deadline = time.monotonic() + timeout
        while True:
            snap = vice.poll(labels["_status"])
            status = Status.parse(snap.status)
            if status.valid and status.state.name in until:
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"state {status.state.name} after {timeout} s; screen:\n"
                                     + "\n".join(screen_text(snap.screen)))
            time.sleep(0.05)
        model = labels["_model"]  # image.h model_info_t: reu_found at byte 24
        raw = vice.monitor.memory_get(model + 24, model + 27)
        vice.monitor.resume()
    return status, screen_text(snap.screen), snap, int.from_bytes(raw, "little")
