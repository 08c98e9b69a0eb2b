"""What a story run needs from a machine (no Qt): the ``Backend`` interface and the ``Snapshot`` a poll returns.

gui64.session.Session drives one backend through these calls, in this order::

    find()                                   # before anything is built: is the machine there at all?
    describe()                               # the STARTING event's detail
    prepare(image, say, post, cancel)        # machine up with the REU image in it
    start_program(prg, entry, status_addr, params)
    write(*params)                           # only when params_at_ready, once the status says READY
    poll(status_addr, size, screen)          # until DONE / ERROR / cancel
    stop()                                   # always, also after an error

Backends: gui64.machine.vice_backend.ViceBackend (a private VICE process) and
gui64.machine.ultimate_backend.UltimateBackend (a real C64 with an Ultimate II+ / Ultimate 64).
Both raise their own MachineError subclasses; the session maps them to Failed events.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol

from gui64.machine import MachineError

# VIC-II / colour RAM addresses a poll reads (named once here).
SCREEN_RAM = 0x0400
COLOUR_RAM = 0xD800
VIC_MEMSETUP = 0xD018  # $D018: screen and charset base; bit 1 selects the lower-case half
VIC_BORDER = 0xD020
VIC_BACKGROUND = 0xD021
SCREEN_CELLS = 40 * 25

Say = Callable[[str], None]  # a sentence for the user (becomes a StateChanged detail)
Post = Callable[[Any], None]  # a backend's own event (e.g. UploadProgress), passed on as it is


@dataclass(frozen=True)
class Snapshot:
    """One poll: the status block and (optionally) the text screen."""

    status: bytes  # raw status block
    screen: bytes | None  # 1000 screen codes, or None when the screen was not read
    colours: bytes | None  # 1000 colour nibbles (0..15)
    border: int
    background: int
    lowercase: bool
    wall: float  # time.monotonic() when taken


class Backend(Protocol):
    """A machine that runs llama64 for one story.

    Attributes:
        name: the machine as the subject of a sentence ("VICE", "the Ultimate at 192.168.1.64").
        params_at_ready: False: ``start_program`` puts the parameter block in before the program
            runs. True: starting the program resets the machine (which would wipe the block), so
            the session writes it with ``write`` once the program's status says READY.
        start_timeout: wall seconds from ``start_program`` until the status block must be valid
            (and READY, when ``params_at_ready``).
    """

    name: str
    params_at_ready: bool
    start_timeout: float

    def find(self) -> None:
        """Check what the machine needs before anything is built (seconds, not minutes).

        Raises:
            MachineError: it is not there (the message says what to install or set).
        """

    def describe(self) -> str:
        """What is being started, for the STARTING event ("x64 with the open boot ROMs")."""

    def prepare(self, image: Path, say: Say, post: Post, cancel: threading.Event) -> None:
        """Bring the machine up with ``image`` in its REU; returns early when ``cancel`` is set.

        ``say`` may also be called later, from ``poll`` (e.g. "not answering; retrying").
        """

    def start_program(self, prg: bytes, entry: int, status_addr: int, params: tuple[int, bytes]) -> str:
        """Load and start the program (and, unless ``params_at_ready``, the parameter block first).

        Args:
            prg: the PRG file (2-byte load address + data).
            entry: where to start it when the backend jumps there itself.
            status_addr: the status block, cleared first where RAM survives a reset.
            params: (address, packed parameter block).

        Returns:
            The BOOTED event's detail ("program started at $0801").
        """

    def write(self, address: int, data: bytes) -> None:
        """Write C64 memory while the program runs (the parameter block, once READY)."""

    def poll(self, status_addr: int | None, status_size: int, screen: bool = True) -> Snapshot:
        """Read the status block (and the screen); the machine keeps running."""

    def alive(self) -> bool:
        """False only when the machine was started and is gone (a killed emulator)."""

    def describe_exit(self) -> str:
        """How the machine went away ("x64 was killed (SIGKILL)"), for ``alive() == False``."""

    def start_failed(self, status_addr: int) -> MachineError:
        """The error for a program that never showed a (READY) status within ``start_timeout``."""

    def stop(self) -> None:
        """Stop the machine and clean up; idempotent, safe before ``prepare``."""
