"""One story run as a state machine: build, start VICE, inject, poll, emit gui64.events, stop.

``Session(...).run(on_event, cancel)`` blocks; run it on a worker thread. Events are plain
dataclasses (gui64/events.py) passed to ``on_event`` on that thread. Tokens come from the C64's
status ring (RING_SIZE entries + a monotonic count), so a slow poll loses none unless more than
RING_SIZE tokens arrive between two polls, which is reported. VICE is always stopped on return.
"""

from __future__ import annotations

import codecs
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from build_chain.blocks import RING_SIZE, STATUS_SIZE, ERROR_TEXT, ErrorCode, Params, State, Status
from build_chain.tokenizer import safe_piece
from gui64.errors import Gui64Error
from gui64.events import (Event, Failed, Finished, Progress, ScreenFrame, SessionState, StateChanged,
                          TokenEmitted)
from gui64.machine import MachineError
from gui64.machine.monitor import MonitorClosed, MonitorTimeout
from gui64.machine.vice import RomSet, Vice, find_emulator, find_roms

log = logging.getLogger("gui64.session")

U32 = 0xFFFFFFFF
SYS_TOKEN = 0x9E  # BASIC's SYS
ENTRY_LABELS = ("start", "_start", "__STARTUP_RUN__")
START_TIMEOUT = 30.0  # wall seconds for the program to write its status magic


class PromptRefused(Gui64Error):
    """The prompt cannot be run (too long for the context, or not encodable); nothing was started."""


@dataclass
class SessionOptions:
    """How to run the machine (the CLI's and the GUI's settings end up here)."""

    emulator: str = "x64"  # x64 or x64sc
    emulator_path: str | None = None  # a configured binary, wins over `emulator`
    roms_dir: str | None = None  # folder with Commodore ROMs; None: search, then the open boot ROMs
    warp: bool = True
    poll_hz: float = 10.0
    screen: bool = True  # read the screen on every poll
    display: str = "console"
    monitor_timeout: float = 5.0
    boot_timeout: float = 30.0


@dataclass
class _Run:
    """Mutable bookkeeping of one run."""

    seen: int = 0  # tokens already emitted
    prev_token: int = 1
    prev_stamp: int | None = None
    cycles_total: int = 0
    tokens: list = field(default_factory=list)
    text: str = ""
    decoder: codecs.IncrementalDecoder = field(
        default_factory=lambda: codecs.getincrementaldecoder("utf-8")(errors="replace"))
    state: SessionState = SessionState.IDLE
    last_progress: tuple | None = None
    last_frame: tuple | None = None
    lost: int = 0


def program_entry(prg: bytes, labels: dict[str, int]) -> int:
    """Where to start an injected program: its `start` label, else its BASIC stub's SYS address.

    Raises:
        ValueError: neither is there.
    """
    for name in ENTRY_LABELS:
        if name in labels:
            return labels[name]
    load = prg[0] | prg[1] << 8
    if load == 0x0801 and len(prg) > 8:
        line = prg[2 + 4:2 + 40]  # skip the next-line pointer and the line number
        i = line.find(bytes([SYS_TOKEN]))
        if i >= 0:
            num = bytearray()
            for ch in bytes(line[i + 1:]).lstrip(b" ("):
                if not 0x30 <= ch <= 0x39:
                    break
                num.append(ch)
            if num:
                return int(num)
    raise ValueError("the program has no start label and no SYS line: build it again.")


def read_seq_len(checkpoint: str | Path) -> int:
    """The model's context length from a llama2.c checkpoint header (7 int32, seq_len last)."""
    from build_chain.checkpoint import HEADER
    with open(checkpoint, "rb") as f:
        return HEADER.unpack(f.read(HEADER.size))[6]


class Session:
    """One story run.

    Args:
        params: prompt and sampling settings (build_chain.blocks.Params).
        model_files: gui64.models.ModelFiles; None to find them (gui64.models.find_model_files).
        options: machine options.
        artifacts: prebuilt gui64.artifacts.Artifacts (skips building; tests use this).
        roms: a RomSet to use instead of searching (tests use this).
        tokenizer: a loaded build_chain.tokenizer.Tokenizer (default: loaded from model_files).
        seq_len: the model's context (default: from the checkpoint header).
    """

    def __init__(self, params: Params, model_files=None, options: SessionOptions | None = None,
                 artifacts=None, roms: RomSet | None = None, tokenizer=None, seq_len: int | None = None):
        self.params = params
        self.model_files = model_files
        self.options = options or SessionOptions()
        self.artifacts = artifacts
        self.roms = roms
        self.tokenizer = tokenizer
        self.seq_len = seq_len
        self.prompt_tokens: list[int] | None = None
        self.vice: Vice | None = None

    # ------------------------------------------------------------ checks before anything starts

    def check(self) -> list[int]:
        """Encode the prompt and check it fits; returns its tokens (with BOS).

        Raises:
            PromptRefused: not ASCII, longer than the parameter block or the model's context.
        """
        try:
            self.params.pack()
        except (ValueError, UnicodeEncodeError) as exc:
            if isinstance(exc, UnicodeEncodeError):
                raise PromptRefused("the prompt has characters the C64 cannot type (only ASCII works): "
                                    "rewrite it in plain ASCII.") from None
            raise PromptRefused(f"{exc}: shorten the prompt.") from None
        if self.model_files is None:
            from gui64.models import find_model_files
            self.model_files = find_model_files()
        if self.tokenizer is None:
            from build_chain.tokenizer import Tokenizer
            self.tokenizer = Tokenizer.load(self.model_files.tokenizer)
        if self.seq_len is None:
            self.seq_len = read_seq_len(self.model_files.checkpoint)
        tokens = self.tokenizer.encode(self.params.prompt, bos=True)
        if len(tokens) >= self.seq_len:
            raise PromptRefused(f"the prompt is {len(tokens)} tokens but the model's context holds "
                                f"{self.seq_len} with room to write: shorten the prompt.")
        self.prompt_tokens = tokens
        return tokens

    # ------------------------------------------------------------ the run

    def run(self, on_event: Callable[[Event], None], cancel: threading.Event | None = None) -> Event:
        """Run the story to its end, emitting events; returns the last event (Finished/Failed/StateChanged).

        Never raises for machine trouble: that becomes a Failed event. VICE is stopped on return.
        """
        cancel = cancel or threading.Event()
        run = _Run()

        def emit(ev: Event) -> Event:
            if isinstance(ev, StateChanged):
                run.state = ev.state
            on_event(ev)
            return ev

        try:
            tokens = self.check()
        except Gui64Error as exc:
            return emit(Failed(str(exc), _remedy(exc)))
        run.prev_token = tokens[-1]
        try:
            return self._run(emit, cancel, run)
        except MonitorTimeout as exc:
            return emit(Failed(f"VICE's monitor stopped answering: {exc}",
                               "Start the story again; if it keeps happening, check that the computer "
                               "is not overloaded.", run.text))
        except (MachineError, OSError) as exc:
            if self.vice is not None and self.vice.proc is not None and not self.vice.alive():
                return emit(Failed(f"VICE stopped during the story: {self.vice.exit_description()}.",
                                   "The story so far is kept; start it again to continue.", run.text))
            if isinstance(exc, MonitorClosed):
                return emit(Failed(str(exc), "The story so far is kept; start it again.", run.text))
            return emit(Failed(str(exc), _remedy(exc), run.text))
        except Gui64Error as exc:
            return emit(Failed(str(exc), _remedy(exc), run.text))
        finally:
            if self.vice is not None:
                self.vice.stop()

    def _run(self, emit, cancel: threading.Event, run: _Run) -> Event:
        opts = self.options
        # find the emulator and ROMs first: a missing VICE is reported in seconds, not after a build
        emulator = find_emulator(opts.emulator, opts.emulator_path)
        roms = self.roms or find_roms(opts.roms_dir)
        if self.artifacts is None:
            emit(StateChanged(SessionState.BUILDING))
            from gui64.artifacts import ensure_artifacts
            self.artifacts = ensure_artifacts(self.model_files,
                                              progress=lambda msg: emit(StateChanged(SessionState.BUILDING, msg)))
        if cancel.is_set():
            return emit(StateChanged(SessionState.STOPPED))
        from build_chain.labels import read_labels
        labels = read_labels(self.artifacts.labels)
        missing = [n for n in ("_params", "_status") if n not in labels]
        if missing:
            raise MachineError(f"the program's label file has no {', '.join(missing)}: build it again.")
        prg = Path(self.artifacts.prg).read_bytes()
        entry = program_entry(prg, labels)

        emit(StateChanged(SessionState.STARTING, f"{Path(emulator).name} with the {roms.name}"))
        self.vice = Vice(emulator, roms, self.artifacts.reu, warp=opts.warp, display=opts.display,
                         boot_timeout=opts.boot_timeout, monitor_timeout=opts.monitor_timeout)
        self.vice.start()
        if cancel.is_set():
            return emit(StateChanged(SessionState.STOPPED))
        self.vice.wait_idle()
        self.vice.inject(prg, entry, ((labels["_params"], self.params.pack()),))
        started = time.monotonic()
        emit(StateChanged(SessionState.BOOTED, f"program started at ${entry:04X}"))

        period = 1.0 / max(0.1, opts.poll_hz)
        next_poll = time.monotonic()
        while True:
            if cancel.wait(max(0.0, next_poll - time.monotonic())):
                return emit(StateChanged(SessionState.STOPPED, "stopped by the user"))
            next_poll = max(next_poll + period, time.monotonic())
            if not self.vice.alive():
                raise MonitorClosed("VICE is gone")
            snap = self.vice.poll(labels["_status"], STATUS_SIZE, screen=opts.screen)
            status = Status.parse(snap.status)
            if snap.screen is not None:
                frame = (snap.screen, snap.colours, snap.border, snap.background, snap.lowercase)
                if frame != run.last_frame:
                    run.last_frame = frame
                    emit(ScreenFrame(*frame))
            if not status.valid:
                if time.monotonic() - started > START_TIMEOUT:
                    raise MachineError(f"the C64 program did not start within {START_TIMEOUT:.0f} s "
                                       f"(no status block at ${labels['_status']:04X}): build it again.")
                continue
            self._take_tokens(status, emit, run)
            if status.state == State.ERROR:
                return emit(Failed(f"the C64 stopped with an error: {ERROR_TEXT.get(status.error, status.error)}",
                                   _c64_remedy(status.error), run.text))
            if status.state == State.ENCODING and run.state != SessionState.ENCODING:
                emit(StateChanged(SessionState.ENCODING))
            elif status.state in (State.FORWARD, State.SAMPLING) and run.state != SessionState.RUNNING:
                emit(StateChanged(SessionState.RUNNING))
            if status.state in (State.ENCODING, State.FORWARD, State.SAMPLING):
                self._progress(status, emit, run)
            if status.state == State.DONE:
                emit(StateChanged(SessionState.DONE))
                n = len(run.tokens)
                return emit(Finished(run.text, tuple(run.tokens), run.cycles_total,
                                     run.cycles_total / n if n else 0.0, time.monotonic() - started))

    def _take_tokens(self, status: Status, emit, run: _Run) -> None:
        if status.count - run.seen > RING_SIZE:
            lost = status.count - RING_SIZE - run.seen
            run.lost += lost
            run.seen += lost
            log.warning("%d tokens were overwritten in the C64's ring before they were read", lost)
            emit(StateChanged(run.state, f"{lost} tokens were lost: the host polled too slowly"))
        n_prompt = status.n_prompt or len(self.prompt_tokens or ()) or 1
        while run.seen < status.count:
            k = run.seen
            token, stamp = status.token(k)
            prev = status.cycles_start if run.prev_stamp is None else run.prev_stamp
            cycles = (stamp - prev) & U32
            run.prev_stamp = stamp
            run.cycles_total += cycles
            piece = self.tokenizer.decode(run.prev_token, token)
            text = run.decoder.decode(safe_piece(piece))
            run.text += text
            run.tokens.append(token)
            run.prev_token = token
            run.seen += 1
            emit(TokenEmitted(k, token, text, n_prompt - 1 + k, cycles))

    def _progress(self, status: Status, emit, run: _Run) -> None:
        key = (status.pos, status.layer, status.phase, status.count)
        if key == run.last_progress:
            return
        run.last_progress = key
        emit(Progress(status.pos, status.layer, self._n_layers(), int(status.phase), status.count, self.params.steps,
                      status.n_prompt, (status.cycles - status.cycles_start) & U32))


    def _n_layers(self) -> int:
        if not hasattr(self, "_layers"):
            from build_chain.errors import BuildChainError
            from build_chain.reu_format import MAGIC, read_header
            self._layers = 0
            try:
                with open(self.artifacts.reu, "rb") as f:
                    if f.read(len(MAGIC)) == MAGIC:
                        self._layers = read_header(self.artifacts.reu).n_layers
            except (OSError, BuildChainError):
                pass
        return self._layers


def _remedy(exc: Exception) -> str:
    text = str(exc)
    return "" if ":" in text else "See the log for details."


def _c64_remedy(code: ErrorCode) -> str:
    text = ERROR_TEXT.get(code, "")
    return text.split(": ", 1)[1] if ": " in text else "Build the program and the REU image again."
