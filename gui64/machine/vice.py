"""The VICE backend: find x64 and the ROMs, run VICE as a private process, inject, poll, stop.

VICE runs headless with ``-console`` (no window, no X display needed: checked on VICE 3.7.1);
``display="window"`` shows VICE's own window, on a private Xvfb when DISPLAY is unset. Every
process is started in its own process group and stopped with it: on ``stop()``, at interpreter
exit (atexit), and, on Linux, when the thread that started it dies (PR_SET_PDEATHSIG), so no
VICE or Xvfb outlives a run.
"""

from __future__ import annotations

import atexit
import ctypes
import logging
import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

from build_chain.runner import ProgramNotFound, resolve
from gui64.machine import MachineError
from gui64.machine import protocol as p
from gui64.machine.backend import (COLOUR_RAM, SCREEN_CELLS, SCREEN_RAM, VIC_BACKGROUND, VIC_BORDER,  # noqa: F401
                                   VIC_MEMSETUP, Snapshot)
from gui64.machine.monitor import Monitor, MonitorError

log = logging.getLogger("gui64.vice")

EMULATORS = ("x64", "x64sc")
LOOPBACK = "127.0.0.1"

# VICE's usual ROM folders, system first (the C64 subfolder holds kernal/basic/chargen).
ROM_DIRS = (Path("/usr/share/vice/C64"), Path("/usr/lib/vice/C64"), Path("/usr/local/share/vice/C64"),
            Path("~/.local/share/vice/C64").expanduser(), Path("~/.vice/C64").expanduser())
ROM_SIZES = {"kernal": 8192, "basic": 8192, "chargen": 4096}
# Preferred file names per ROM (VICE >= 3.6 names, then the old ones).
ROM_NAMES = {"kernal": ("kernal-901227-03.bin", "kernal"), "basic": ("basic-901226-01.bin", "basic"),
             "chargen": ("chargen-901225-01.bin", "chargen")}
# The Commodore KERNAL's keyboard wait loop (screen editor, $E5CD-$E5D4: lda $C6 / sta $CC /
# sta $0292 / beq $E5CD): the machine sits here once BASIC shows READY.
COMMODORE_IDLE = (0xE5CD, 0xE5D5)

REU_SIZES_KB = (128, 256, 512, 1024, 2048, 4096, 8192, 16384)
PORT_ATTEMPTS = 4
BIND_FAILED = "monitor_binary_activate(): could not initialize listening socket"


class ViceError(MachineError):
    """VICE is missing, does not start, or stopped."""


# ---------------------------------------------------------------- finding things


def find_emulator(choice: str = "x64", configured: str | Path | None = None) -> str:
    """Path of the VICE binary to run.

    ``configured`` (a path or name from the settings) wins; otherwise ``choice`` (x64 or x64sc),
    falling back to x64sc when x64 is missing (newer VICE releases ship only x64sc).

    Raises:
        ViceError: not installed / wrong path, with what to do.
    """
    if configured:
        try:
            return resolve(configured)
        except ProgramNotFound as exc:
            raise ViceError(f"{exc} Fix the emulator path in the settings or install VICE "
                            "(Debian package `vice`).") from None
    order = [choice, "x64sc"] if choice == "x64" else [choice]
    errors = []
    for name in order:
        try:
            return resolve(name)
        except ProgramNotFound as exc:
            errors.append(exc)
    raise ViceError(f"{errors[0]} VICE is needed to run the C64.")


@dataclass(frozen=True)
class RomSet:
    """The three system ROMs and where the KERNAL idles (exec checkpoint range, end inclusive)."""

    kernal: Path
    basic: Path
    chargen: Path
    idle: tuple[int, int]
    name: str  # for messages: "Commodore ROMs in /usr/lib/vice/C64" / "open boot ROMs"


def _roms_in(folder: Path) -> dict[str, Path] | None:
    found = {}
    for kind, size in ROM_SIZES.items():
        candidates = [folder / n for n in ROM_NAMES[kind]] + sorted(folder.glob(f"{kind}*"))
        for c in candidates:
            if c.is_file() and c.stat().st_size == size:
                found[kind] = c
                break
        else:
            return None
    return found


def find_roms(roms_dir: str | Path | None = None, search: tuple[Path, ...] = ROM_DIRS) -> RomSet:
    """The Commodore ROMs from ``roms_dir`` or VICE's usual folders, else the open boot ROMs.

    Raises:
        ViceError: the named folder lacks a ROM, or no ROM set is available at all.
    """
    if roms_dir is not None:
        folder = Path(roms_dir).expanduser()
        found = _roms_in(folder)
        if not found:
            raise ViceError(f"no C64 ROMs (kernal 8 KB, basic 8 KB, chargen 4 KB) in {folder}: "
                            "name the folder that holds them, or leave it out to use the open boot ROMs.")
        return RomSet(found["kernal"], found["basic"], found["chargen"], COMMODORE_IDLE,
                      f"Commodore ROMs in {folder}")
    for folder in search:
        found = _roms_in(folder)
        if found:
            return RomSet(found["kernal"], found["basic"], found["chargen"], COMMODORE_IDLE,
                          f"Commodore ROMs in {folder}")
    return open_boot_roms()


def open_boot_roms() -> RomSet:
    """The project's open boot ROMs (build_chain/bootrom), built on first use.

    Raises:
        ViceError: they cannot be built.
    """
    try:
        from build_chain.build import build_boot_roms
    except ImportError:
        raise ViceError("no Commodore ROMs found and the open boot ROMs are not part of this install: "
                        "name a ROM folder with --roms.") from None
    try:
        roms = build_boot_roms()
    except Exception as exc:  # a BuildChainError with its own sentence
        raise ViceError(f"no Commodore ROMs found and the open boot ROMs failed to build: {exc}") from None
    idle = getattr(roms, "idle_address", getattr(roms, "idle", None))
    if idle is None:
        from build_chain.labels import read_labels
        labels = read_labels(roms.labels)
        start = labels.get("idle", labels.get("_idle"))
        idle_end = labels.get("idle_end", labels.get("_idle_end", start))
        idle = (start, idle_end)
    elif isinstance(idle, int):
        idle = (idle, idle)
    return RomSet(Path(roms.kernal), Path(roms.basic), Path(roms.chargen), tuple(idle), "open boot ROMs")


def reu_size_kb(image: Path) -> int:
    """REU size for ``-reusize``: from a gui64 image's header, else the file size rounded up.

    Raises:
        ViceError: the image is damaged or larger than any REU.
    """
    from build_chain.errors import BuildChainError
    from build_chain.reu_format import MAGIC, read_header

    with open(image, "rb") as f:
        magic = f.read(len(MAGIC))
    if magic == MAGIC:
        try:
            return read_header(image).reu_size // 1024
        except BuildChainError as exc:
            raise ViceError(str(exc)) from None
    size = image.stat().st_size
    for kb in REU_SIZES_KB:
        if size <= kb * 1024:
            return kb
    raise ViceError(f"{image} is {size} bytes, more than the largest REU (16 MB).")


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((LOOPBACK, port))
        except OSError:
            return False
        return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- process hygiene

_live: "weakref.WeakSet[Vice]" = weakref.WeakSet()
_PR_SET_PDEATHSIG = 1


def _stop_all() -> None:
    for vice in list(_live):
        vice.stop()


atexit.register(_stop_all)


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except Exception:
        pass


def _spawn(argv: list[str], log_file, env=None, pass_fds=()) -> subprocess.Popen:
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                            env=env, start_new_session=True, pass_fds=pass_fds,
                            preexec_fn=_die_with_parent if os.name == "posix" else None)


def _kill_group(proc: subprocess.Popen | None, grace: float = 2.0) -> None:
    if proc is None or (proc.poll() is not None and not _group_alive(proc)):
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            # a SIGSTOPped VICE ignores SIGTERM until continued
            os.killpg(proc.pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
        try:
            proc.wait(wait)
            break
        except subprocess.TimeoutExpired:
            continue


def _group_alive(proc: subprocess.Popen) -> bool:
    try:
        os.killpg(proc.pid, 0)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def describe_exit(name: str, returncode: int | None) -> str:
    if returncode is None:
        return f"{name} is running"
    if returncode < 0:
        try:
            signame = signal.Signals(-returncode).name
        except ValueError:
            signame = f"signal {-returncode}"
        return f"{name} was killed ({signame})"
    return f"{name} exited with status {returncode}"


# ---------------------------------------------------------------- the process


class Vice:
    """One private VICE process with its monitor connection.

    Use as a context manager; ``stop()`` is idempotent and always kills VICE and Xvfb.

    Args:
        emulator: path of x64 / x64sc (``find_emulator``).
        roms: the ROM set (``find_roms``).
        reu_image: REU image; VICE gets a private copy, the user's file is never written.
        warp: start in warp mode.
        display: "console" (headless, default) or "window" (on a private Xvfb without DISPLAY).
        port: preferred monitor port (another free one is taken if it is busy).
        reu_kb: REU size in KB; None: from the image's header (``reu_size_kb``). A whole-REU dump
            (the Ultimate simulator's) is bigger than the image its header describes.
    """

    def __init__(self, emulator: str, roms: RomSet, reu_image: str | Path | None = None, warp: bool = True,
                 display: str = "console", port: int | None = None, boot_timeout: float = 30.0,
                 monitor_timeout: float = 5.0, extra_args: tuple[str, ...] = (), reu_kb: int | None = None):
        self.emulator = emulator
        self.name = Path(emulator).name
        self.roms = roms
        self.reu_image = Path(reu_image) if reu_image else None
        self.warp = warp
        self.display = display
        self.port = port
        self.boot_timeout = boot_timeout
        self.monitor_timeout = monitor_timeout
        self.extra_args = tuple(extra_args)
        self.reu_kb = reu_kb
        self.proc: subprocess.Popen | None = None
        self.xvfb: subprocess.Popen | None = None
        self.monitor: Monitor | None = None
        self.workdir: Path | None = None
        self.log_path: Path | None = None
        self.text_port: int | None = None
        self._text: socket.socket | None = None
        self._xvfb_fd: int | None = None
        self._io_bank = 0
        self._ram_bank = 0
        self._lock = threading.Lock()
        self._stopped = False

    # ------------------------------------------------------------ start / stop

    def __enter__(self) -> "Vice":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> Monitor:
        """Start VICE and connect to its monitor (the machine is then stopped).

        Raises:
            ViceError: it does not start; MonitorError: it does not answer.
        """
        _live.add(self)
        self.workdir = Path(tempfile.mkdtemp(prefix="gui64-vice-"))
        try:
            env = self._environment()
            reu_args = self._reu_args()
            port = self.port
            for attempt in range(PORT_ATTEMPTS):
                port = port if port and attempt == 0 and _port_free(port) else free_port()
                self.text_port = free_port()
                try:
                    return self._launch(port, env, reu_args)
                except _PortTaken:
                    log.info("monitor port %d is taken; trying another", port)
                    self._kill_vice()
                    port = None
            raise ViceError(f"{self.name} could not open a monitor port after {PORT_ATTEMPTS} tries.")
        except BaseException:
            self.stop()
            raise

    def _environment(self) -> dict:
        env = dict(os.environ)
        # VICE 3.7 exits ("failed to create user config dir") when $XDG_CONFIG_HOME is missing
        config_home = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        config_home.mkdir(parents=True, exist_ok=True)
        if self.display == "window" and not env.get("DISPLAY"):
            env["DISPLAY"] = self._start_xvfb()
        return env

    def _reu_args(self) -> list[str]:
        if self.reu_image is None:
            return []
        if not self.reu_image.is_file():
            raise ViceError(f"REU image {self.reu_image} not found: build it again (gui64 export).")
        private = self.workdir / "weights.reu"
        shutil.copyfile(self.reu_image, private)
        return ["-reu", "-reusize", str(self.reu_kb or reu_size_kb(self.reu_image)), "-reuimage", str(private)]

    def _argv(self, port: int, reu_args: list[str]) -> list[str]:
        argv = [self.emulator]
        if self.display == "console":
            argv.append("-console")
        argv += ["-default", "+sound", "-drive8type", "0",
                 "-kernal", str(self.roms.kernal), "-basic", str(self.roms.basic),
                 "-chargen", str(self.roms.chargen),
                 "-warp" if self.warp else "+warp",
                 "-binarymonitor", "-binarymonitoraddress", f"ip4://{LOOPBACK}:{port}",
                 "-remotemonitor", "-remotemonitoraddress", f"ip4://{LOOPBACK}:{self.text_port}",
                 *reu_args, *self.extra_args]
        return argv

    def _launch(self, port: int, env: dict, reu_args: list[str]) -> Monitor:
        self.log_path = self.workdir / "vice.log"
        argv = self._argv(port, reu_args)
        log.info("starting %s", " ".join(argv))
        with open(self.log_path, "ab") as log_file:
            try:
                self.proc = _spawn(argv, log_file, env)
            except OSError as exc:
                raise ViceError(f"{self.emulator} could not be started ({exc.strerror}): "
                                "check the emulator path or install VICE (Debian package `vice`).") from None
        deadline = time.monotonic() + self.boot_timeout

        def alive() -> bool:
            if self._log_text().find(BIND_FAILED) >= 0:
                raise _PortTaken()
            return self.proc.poll() is None

        try:
            mon = Monitor.connect(LOOPBACK, port, deadline_s=self.boot_timeout, timeout=self.monitor_timeout,
                                  alive=alive)
            # VICE stops the machine on connect and says so; anything else is not our VICE.
            if mon.last_pc is None:
                try:
                    mon.wait_event((p.ResponseType.STOPPED,), timeout=max(1.0, deadline - time.monotonic()))
                except MonitorError:
                    mon.close()
                    raise
        except MonitorError as exc:
            if self._log_text().find(BIND_FAILED) >= 0:
                raise _PortTaken() from None
            if self.proc.poll() is not None:
                raise ViceError(f"{describe_exit(self.name, self.proc.returncode)} while starting: "
                                f"{self.log_tail()}") from None
            raise ViceError(f"{self.name} started but its monitor does not answer ({exc})") from None
        self.monitor = mon
        self.port = port
        banks = mon.banks()
        self._io_bank = banks.get("io", 0)
        self._ram_bank = banks.get("ram", 0)
        return mon

    def _start_xvfb(self) -> str:
        exe = resolve("Xvfb")
        r, w = os.pipe()
        # Xvfb picks a free display and writes its number + "\n" to the pipe, in more than one
        # write: read up to the newline and keep the read end open while Xvfb lives (closing it
        # early makes Xvfb die with "Cannot write display number").
        self._xvfb_fd = r
        try:
            with open(self.workdir / "xvfb.log", "ab") as log_file:
                self.xvfb = _spawn([exe, "-displayfd", str(w), "-nolisten", "tcp", "-screen", "0", "1024x768x24"],
                                   log_file, pass_fds=(w,))
        finally:
            os.close(w)
        number, end = b"", time.monotonic() + 15.0
        while not number.endswith(b"\n") and time.monotonic() < end:
            ready, _, _ = select.select([r], [], [], max(0.0, end - time.monotonic()))
            chunk = os.read(r, 64) if ready else b""
            if not chunk:
                break
            number += chunk
        number = number.strip()
        if not number.isdigit():
            raise ViceError("the private X server (Xvfb) did not start: check the xvfb package.")
        return f":{number.decode()}"

    def _log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except (OSError, AttributeError):
            return ""

    def log_tail(self, lines: int = 3) -> str:
        keep = [ln for ln in self._log_text().splitlines()
                if ln.strip() and "HardSID" not in ln and "ROM image not found" not in ln]
        return "; ".join(keep[-lines:]) or "no output"

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def exit_description(self) -> str:
        return describe_exit(self.name, self.proc.poll() if self.proc else None)

    def _kill_vice(self) -> None:
        if self.monitor is not None:
            self.monitor.close()
            self.monitor = None
        _kill_group(self.proc)

    def stop(self) -> None:
        """Stop VICE and Xvfb (process groups) and delete the private files; safe to call twice."""
        with self._lock:
            if self._text is not None:
                self._text.close()
                self._text = None
            if self.monitor is not None and self.alive():
                try:
                    self.monitor.quit(timeout=1.0)
                except MonitorError:
                    pass
            self._kill_vice()
            _kill_group(self.xvfb)
            if self._xvfb_fd is not None:
                os.close(self._xvfb_fd)
                self._xvfb_fd = None
            if self.workdir is not None:
                shutil.rmtree(self.workdir, ignore_errors=True)
                self.workdir = None
            _live.discard(self)

    # ------------------------------------------------------------ program start

    def wait_idle(self, timeout: float | None = None) -> int:
        """Let the machine run until it idles in the ROM's idle loop; returns the PC there."""
        mon = self._mon()
        start, end = self.roms.idle
        if not mon.running and mon.last_pc is not None and start <= mon.last_pc <= end:
            return mon.last_pc
        number = mon.checkpoint_set(start, end, p.Op.EXEC)
        mon.drain_events()
        mon.resume()
        ev = mon.wait_event((p.ResponseType.STOPPED, p.ResponseType.JAM),
                            timeout=self.boot_timeout if timeout is None else timeout)
        if ev.type == p.ResponseType.JAM:
            raise ViceError(f"the C64 crashed (CPU JAM at ${p.parse_pc(ev.body):04X}) while booting "
                            f"the {self.roms.name}: try the other ROM set.")
        mon.checkpoint_delete(number)
        return p.parse_pc(ev.body)

    def inject(self, prg: bytes, entry: int, blocks: tuple[tuple[int, bytes], ...] = ()) -> None:
        """Write a PRG (2-byte load address + data) and data blocks, set PC = entry, resume."""
        mon = self._mon()
        if len(prg) < 3:
            raise ViceError("the program file is empty: build it again (gui64 build).")
        load = prg[0] | prg[1] << 8
        if load + len(prg) - 2 > 0x10000:
            raise ViceError(f"the program (${load:04X}, {len(prg) - 2} bytes) does not fit C64 memory.")
        mon.memory_set(load, prg[2:], bank=self._ram_bank)
        for addr, data in blocks:
            mon.memory_set(addr, data, bank=self._ram_bank)
        mon.registers_set({p.REG_PC: entry})
        mon.resume()

    # ------------------------------------------------------------ polling

    def poll(self, status_addr: int | None, status_size: int = 256, screen: bool = True) -> Snapshot:
        """Read the status block (and the screen), then resume: one short stop of the machine."""
        mon = self._mon()
        cmds = []
        if status_addr is not None:
            cmds.append((p.Command.MEMORY_GET, p.memory_get(status_addr, status_addr + status_size - 1, self._ram_bank)))
        if screen:
            cmds.append((p.Command.MEMORY_GET, p.memory_get(SCREEN_RAM, SCREEN_RAM + SCREEN_CELLS - 1, self._ram_bank)))
            # one read from $D018 to the end of colour RAM: VIC registers + colour RAM together
            cmds.append((p.Command.MEMORY_GET, p.memory_get(VIC_MEMSETUP, COLOUR_RAM + SCREEN_CELLS - 1, self._io_bank)))
        cmds.append((p.Command.EXIT, b""))  # every poll ends with resume, in the same write
        replies = mon.pipeline(cmds)
        mon.running = True
        data = [p.parse_memory(r.body) for r in replies[:-1]]
        status = data.pop(0) if status_addr is not None else b""
        codes = colours = None
        border = background = 0
        lowercase = False
        if screen:
            codes, io = data
            colours = bytes(b & 0x0F for b in io[COLOUR_RAM - VIC_MEMSETUP:])
            lowercase = bool(io[0] & 0x02)
            border = io[VIC_BORDER - VIC_MEMSETUP] & 0x0F
            background = io[VIC_BACKGROUND - VIC_MEMSETUP] & 0x0F
        return Snapshot(status, codes, colours, border, background, lowercase, time.monotonic())

    def write(self, address: int, data: bytes) -> None:
        """Write RAM while the program runs, then resume: one short stop, like a poll."""
        mon = self._mon()
        mon.pipeline([(p.Command.MEMORY_SET, p.memory_set(address, data, self._ram_bank)), (p.Command.EXIT, b"")])
        mon.running = True

    def set_warp(self, on: bool, timeout: float = 5.0) -> None:
        """Switch warp while running.

        VICE 3.7.1 has no warp resource for Resource set (0x52 answers "unknown resource"), but the
        text monitor's `warp on|off` works: stop the machine through the binary monitor, send the
        text command, wait for the text prompt, resume through the binary monitor.
        """
        mon = self._mon()
        if self._text is None:
            self._text = socket.create_connection((LOOPBACK, self.text_port), timeout=timeout)
        sock = self._text
        was_running = mon.running
        mon.ping()  # stops the machine, so nothing else prints a prompt meanwhile
        try:
            sock.setblocking(False)
            try:
                while sock.recv(4096):  # old prompts
                    pass
            except (BlockingIOError, InterruptedError):
                pass
            sock.setblocking(True)
            sock.sendall(b"warp on\n" if on else b"warp off\n")
            _read_until(sock, b"(C:$", timeout)
        finally:
            if was_running and not mon.closed:
                mon.resume()
        self.warp = on

    def _mon(self) -> Monitor:
        if self.monitor is None or self.monitor.closed:
            raise ViceError(f"{self.exit_description()}: the monitor connection is gone.")
        return self.monitor


class _PortTaken(Exception):
    """VICE could not bind the monitor port (internal: retry on another port)."""


def _read_until(sock: socket.socket, marker: bytes, timeout: float) -> bytes:
    end = time.monotonic() + timeout
    buf = b""
    while marker not in buf:
        left = end - time.monotonic()
        if left <= 0:
            raise ViceError("VICE's text monitor did not answer: restart the run.")
        sock.settimeout(left)
        try:
            chunk = sock.recv(4096)
        except socket.timeout:
            continue
        if not chunk:
            raise ViceError("VICE closed its text monitor connection.")
        buf += chunk
    return buf
