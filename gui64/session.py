"""One story run as a state machine: build, start the machine, load the program, poll, emit gui64.events, stop.

``Session(...).run(on_event, cancel)`` blocks; run it on a worker thread. Events are plain
dataclasses (gui64/events.py) passed to ``on_event`` on that thread. The machine is a
gui64.machine.backend.Backend: VICE by default, or a real C64 with an Ultimate
(``UltimateSession``). The polling loop, the token ring, progress and the mapping of every
machine error to a Failed event live here, once, for both. Tokens come from the C64's status
ring (RING_SIZE entries + a monotonic count), so a slow poll loses none unless more than
RING_SIZE tokens arrive between two polls, which is reported. The backend is always stopped on
return.
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
from build_chain.errors import BuildChainError
from build_chain.tokenizer import safe_piece
from gui64.errors import Gui64Error
from gui64.events import (Event, Failed, Finished, Progress, ScreenFrame, SessionState, StateChanged,
                          TokenEmitted)
from gui64.machine import MachineError
from gui64.machine.backend import Backend
from gui64.machine.monitor import MonitorClosed, MonitorTimeout
from gui64.machine.ultimate import DeviceSilent, Ultimate, UltimateError, UltimateOptions, UploadInterrupted
from gui64.machine.ultimate_backend import UltimateBackend
from gui64.machine.vice import RomSet
from gui64.machine.vice_backend import ViceBackend

log = logging.getLogger("gui64.session")

U32 = 0xFFFFFFFF
SYS_TOKEN = 0x9E  # BASIC's SYS
ENTRY_LABELS = ("start", "_start", "__STARTUP_RUN__")


class PromptRefused(Gui64Error):
    """The prompt cannot be run (too long for the context, or not encodable); nothing was started."""


@dataclass
class SessionOptions:
    """How to run the machine (the CLI's and the GUI's settings end up here).

    The emulator, ROM, warp, display and timeout fields configure the default VICE backend;
    poll_hz and screen/screen_every are the polling loop's, whichever the backend.
    """

    emulator: str = "x64"  # x64 or x64sc
    emulator_path: str | None = None  # a configured binary, wins over `emulator`
    roms_dir: str | None = None  # folder with Commodore ROMs; None: search, then the open boot ROMs
    warp: bool = True
    poll_hz: float = 10.0
    screen: bool = True  # read the screen at all
    screen_every: int = 1  # once the program runs, read the screen on every n-th poll (0: never)
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
    polls: int = 0


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
        options: polling and (for the default backend) VICE options.
        artifacts: prebuilt gui64.artifacts.Artifacts (skips building; tests use this).
        roms: a RomSet to use instead of searching (tests use this; default backend only).
        tokenizer: a loaded build_chain.tokenizer.Tokenizer (default: loaded from model_files).
        seq_len: the model's context (default: from the checkpoint header).
        backend: the machine (gui64.machine.backend.Backend); default: VICE from ``options``.
    """

    def __init__(self, params: Params, model_files=None, options: SessionOptions | None = None,
                 artifacts=None, roms: RomSet | None = None, tokenizer=None, seq_len: int | None = None,
                 backend: Backend | None = None):
        self.params = params
        self.model_files = model_files
        self.options = options or SessionOptions()
        self.artifacts = artifacts
        self.roms = roms
        self.tokenizer = tokenizer
        self.seq_len = seq_len
        self.prompt_tokens: list[int] | None = None
        self.backend: Backend = backend or self._vice_backend()

    def _vice_backend(self) -> ViceBackend:
        o = self.options
        return ViceBackend(o.emulator, o.emulator_path, roms=self.roms, roms_dir=o.roms_dir, warp=o.warp,
                           display=o.display, boot_timeout=o.boot_timeout, monitor_timeout=o.monitor_timeout)

    @property
    def vice(self):
        """The running gui64.machine.vice.Vice of a VICE run (None before it starts, or on other backends)."""
        return getattr(self.backend, "vice", None)

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

        Never raises for machine trouble: that becomes a Failed event. The backend is stopped on return.
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
        except Exception as exc:
            failed = self._failure(exc, run)
            if failed is None:
                raise
            return emit(failed)
        finally:
            self.backend.stop()

    # ------------------------------------------------------------ errors -> Failed (the one place)

    def _failure(self, exc: Exception, run: _Run) -> Failed | None:
        """The Failed event for a machine error (None: not ours, let it propagate)."""
        text = run.text
        if isinstance(exc, UploadInterrupted):
            n = exc.resume_offset
            return Failed(str(exc), f"Start again with resume from byte {n} (gui64 ultimate run --resume-from {n}).",
                          text)
        if isinstance(exc, DeviceSilent):
            return Failed(str(exc), "The story so far is kept. Check the device's power and network, then start "
                                    "the story again.", text)
        if isinstance(exc, (UltimateError, BuildChainError)):
            return Failed(str(exc), "", text)
        if isinstance(exc, MonitorTimeout):
            return Failed(f"VICE's monitor stopped answering: {exc}",
                          "Start the story again; if it keeps happening, check that the computer is not "
                          "overloaded.", text)
        if isinstance(exc, (MachineError, OSError)):
            if not self.backend.alive():
                return Failed(f"{self.backend.name} stopped during the story: {self.backend.describe_exit()}.",
                              "The story so far is kept; start it again to continue.", text)
            if isinstance(exc, MonitorClosed):
                return Failed(str(exc), "The story so far is kept; start it again.", text)
            return Failed(str(exc), _remedy(exc), text)
        if isinstance(exc, Gui64Error):
            return Failed(str(exc), _remedy(exc), text)
        return None

    # ------------------------------------------------------------ the loop (the one place)

    def _run(self, emit, cancel: threading.Event, run: _Run) -> Event:
        opts, machine = self.options, self.backend
        # find the machine first: a missing VICE is reported in seconds, not after a build
        machine.find()
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
        params_addr, status_addr = labels["_params"], labels["_status"]
        prg = Path(self.artifacts.prg).read_bytes()
        try:
            entry = program_entry(prg, labels)
        except ValueError as exc:
            raise MachineError(str(exc)) from None
        params = (params_addr, self.params.pack())

        emit(StateChanged(SessionState.STARTING, machine.describe()))
        machine.prepare(Path(self.artifacts.reu), lambda msg: emit(StateChanged(run.state, msg)), emit, cancel)
        if cancel.is_set():
            return emit(StateChanged(SessionState.STOPPED, "stopped by the user"))
        detail = machine.start_program(prg, entry, status_addr, params)
        started = time.monotonic()
        emit(StateChanged(SessionState.BOOTED, detail))
        params_in = not machine.params_at_ready  # True once the program has its parameter block
        seen_valid = False

        period = 1.0 / max(0.1, opts.poll_hz)
        next_poll = time.monotonic()
        while True:
            if cancel.wait(max(0.0, next_poll - time.monotonic())):
                return emit(StateChanged(SessionState.STOPPED, "stopped by the user"))
            next_poll = max(next_poll + period, time.monotonic())
            if not machine.alive():
                raise MonitorClosed(f"{machine.name} is gone")
            snap = machine.poll(status_addr, STATUS_SIZE, screen=self._screen_now(params_in, run))
            self._take_frame(snap, emit, run)
            status = Status.parse(snap.status)
            if not status.valid:
                if seen_valid:
                    raise MachineError(f"the C64 program's status block at ${status_addr:04X} is gone: the C64 "
                                       "was reset or another program runs. The story so far is kept.")
                if time.monotonic() - started > machine.start_timeout:
                    raise machine.start_failed(status_addr)
                continue
            seen_valid = True
            if not params_in and status.state != State.ERROR:
                # the program shows its own prompt screen and waits in READY for the block
                if status.state == State.READY:
                    machine.write(*params)
                    params_in = True
                elif time.monotonic() - started > machine.start_timeout:
                    raise machine.start_failed(status_addr)
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

    def _screen_now(self, params_in: bool, run: _Run) -> bool:
        """Read the screen on this poll? Always while the program starts, then every n-th poll."""
        opts = self.options
        if not opts.screen:
            return False
        if not params_in:
            return True
        every = opts.screen_every
        run.polls += 1
        return bool(every) and (run.polls - 1) % every == 0

    def _take_frame(self, snap, emit, run: _Run) -> None:
        if snap.screen is not None:
            frame = (snap.screen, snap.colours, snap.border, snap.background, snap.lowercase)
            if frame != run.last_frame:
                run.last_frame = frame
                emit(ScreenFrame(*frame))

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
            from build_chain.reu_format import MAGIC, read_header
            self._layers = 0
            try:
                with open(self.artifacts.reu, "rb") as f:
                    if f.read(len(MAGIC)) == MAGIC:
                        self._layers = read_header(self.artifacts.reu).n_layers
            except (OSError, BuildChainError):
                pass
        return self._layers


class UltimateSession(Session):
    """One story run on a real C64 with an Ultimate: a Session driving an UltimateBackend.

    Args:
        device: the gui64.machine.ultimate.Ultimate client (host, ports, password).
        params: prompt and sampling settings.
        reu: weights.reu path; prg: llama64.prg path; labels: its ld65 label file.
        options: UltimateOptions (poll_hz and screen_every drive the session's polling).
        model_files, tokenizer, seq_len: as for Session (the tokenizer decodes the tokens).
    """

    def __init__(self, device: Ultimate, params: Params, reu: str | Path, prg: str | Path, labels: str | Path,
                 options: UltimateOptions | None = None, model_files=None, tokenizer=None, seq_len: int | None = None):
        from gui64.artifacts import Artifacts
        uoptions = options or UltimateOptions()
        super().__init__(params, model_files=model_files, tokenizer=tokenizer, seq_len=seq_len,
                         options=SessionOptions(poll_hz=uoptions.poll_hz, screen_every=uoptions.screen_every),
                         artifacts=Artifacts(Path(reu), None, Path(prg), Path(labels), None),
                         backend=UltimateBackend(device, uoptions))

    @property
    def device(self) -> Ultimate:
        return self.backend.device

    @property
    def preflight_result(self):
        return self.backend.preflight_result

    @property
    def upload_report(self):
        return self.backend.upload_report


def _remedy(exc: Exception) -> str:
    text = str(exc)
    return "" if ":" in text else "See the log for details."


def _c64_remedy(code: ErrorCode) -> str:
    text = ERROR_TEXT.get(code, "")
    return text.split(": ", 1)[1] if ": " in text else "Build the program and the REU image again."
