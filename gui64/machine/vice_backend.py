"""The story-run backend on VICE: a private x64 with the REU image, the program injected at its entry.

Implements gui64.machine.backend.Backend with gui64.machine.vice.Vice. The parameter block goes
into memory together with the program, before it runs (``params_at_ready`` is False).
"""

from __future__ import annotations

import threading
from pathlib import Path

from gui64.machine import MachineError
from gui64.machine.backend import Post, Say, Snapshot
from gui64.machine.vice import RomSet, Vice, find_emulator, find_roms

START_TIMEOUT = 30.0  # wall seconds for the program to write its status magic


class ViceBackend:
    """A private VICE process for one story.

    Args:
        emulator: x64 or x64sc; emulator_path: a configured binary, wins over ``emulator``.
        roms: a RomSet to use (tests); None: ``roms_dir``, else VICE's folders, else the open boot ROMs.
        warp, display, boot_timeout, monitor_timeout: as for gui64.machine.vice.Vice.

    Attributes:
        vice: the running Vice (None before ``prepare``); tests reach its process through it.
    """

    name = "VICE"
    params_at_ready = False
    start_timeout = START_TIMEOUT

    def __init__(self, emulator: str = "x64", emulator_path: str | None = None, roms: RomSet | None = None,
                 roms_dir: str | None = None, warp: bool = True, display: str = "console",
                 boot_timeout: float = 30.0, monitor_timeout: float = 5.0):
        self.emulator_choice = emulator
        self.emulator_path = emulator_path
        self.roms = roms
        self.roms_dir = roms_dir
        self.warp = warp
        self.display = display
        self.boot_timeout = boot_timeout
        self.monitor_timeout = monitor_timeout
        self.emulator: str | None = None
        self.vice: Vice | None = None

    def find(self) -> None:
        self.emulator = find_emulator(self.emulator_choice, self.emulator_path)
        self.roms = self.roms or find_roms(self.roms_dir)

    def describe(self) -> str:
        return f"{Path(self.emulator).name} with the {self.roms.name}"

    def prepare(self, image: Path, say: Say, post: Post, cancel: threading.Event) -> None:
        if self.emulator is None:
            self.find()
        self.vice = Vice(self.emulator, self.roms, image, warp=self.warp, display=self.display,
                         boot_timeout=self.boot_timeout, monitor_timeout=self.monitor_timeout)
        self.vice.start()
        if cancel.is_set():
            return
        self.vice.wait_idle()

    def start_program(self, prg: bytes, entry: int, status_addr: int, params: tuple[int, bytes]) -> str:
        self.vice.inject(prg, entry, (params,))
        return f"program started at ${entry:04X}"

    def write(self, address: int, data: bytes) -> None:
        self.vice.write(address, data)

    def poll(self, status_addr: int | None, status_size: int, screen: bool = True) -> Snapshot:
        return self.vice.poll(status_addr, status_size, screen=screen)

    def alive(self) -> bool:
        return self.vice is None or self.vice.proc is None or self.vice.alive()

    def describe_exit(self) -> str:
        return self.vice.exit_description() if self.vice is not None else "VICE was not started"

    def start_failed(self, status_addr: int) -> MachineError:
        return MachineError(f"the C64 program did not start within {self.start_timeout:.0f} s "
                            f"(no status block at ${status_addr:04X}): build it again.")

    def stop(self) -> None:
        if self.vice is not None:
            self.vice.stop()
