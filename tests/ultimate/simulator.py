"""A loopback Ultimate II+ / Ultimate 64 for the tests, written from ../shared/docs/ultimate-api.md.

It speaks the REST calls gui64 uses (version, info, configs, runners:run_prg, machine:readmem /
writemem / reset) and the DMA socket's framing (AUTHENTICATE, IDENTIFY, REUWRITE, DMAWRITE),
enforces the network password (HTTP 403; failed AUTHENTICATE answers 0 after a throttle and
disconnects, as socket_dma.cc does) and runs what it is sent on VICE: REUWRITE chunks assemble
the REU image, ``run_prg`` (re)starts VICE with that image when the REU is enabled (a reset:
RAM is fresh, the REU keeps its contents), injects the PRG at its SYS address and lets it run;
readmem/writemem go through VICE's binary monitor.

Faults a test can switch on: a service off (its port refuses), a wrong password, the REU
disabled or too small (config), the DMA connection cut after N bytes (``cut_dma_after(n, ...)``), the
device going silent (``freeze()``: REST requests get no answer). Everything binds 127.0.0.1,
every loop is bounded, and the simulator shuts itself down after ``lifetime`` seconds.
"""

from __future__ import annotations

import json
import logging
import queue
import socket
import struct
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, unquote, urlsplit

from gui64.machine import ultimate_protocol as up

log = logging.getLogger("gui64.tests.ultimate_sim")

LOOPBACK = "127.0.0.1"
REU_SPACE = 1 << 24
SYS_TOKEN = 0x9E


def closed_port() -> int:
    """A loopback port nobody listens on (connecting to it is refused)."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def sys_entry(prg: bytes) -> int:
    """Where RUN would go: the BASIC stub's SYS address, else the load address (like DMAJUMP)."""
    load = prg[0] | prg[1] << 8
    if load == 0x0801:
        line = prg[6:48]
        i = line.find(bytes([SYS_TOKEN]))
        if i >= 0:
            digits = bytes(line[i + 1:]).lstrip(b" (")
            num = b""
            for ch in digits:
                if 0x30 <= ch <= 0x39:
                    num += bytes([ch])
                else:
                    break
            if num:
                return int(num)
    return load


class UltimateSimulator:
    """The loopback device. Use as a context manager; ``stop()`` is idempotent.

    Args:
        machine_factory: called with (reu_image_path or None, reu_kb) on run_prg; returns a
            started gui64.machine.vice.Vice (the simulator calls wait_idle/inject/stop and
            uses its monitor). None: run_prg only records the program.
        password: the device's Network Password ("" = none).
        reu_mode / reu_size: the `C64 and Cartridge Settings` values at power-on.
        rest / dma: the two services switched on.
        lifetime: seconds after which the simulator stops itself.
    """

    def __init__(self, machine_factory: Callable | None = None, password: str = "", product: str = "Ultimate 64",
                 firmware: str = "3.14e", reu_mode: str = "Disabled", reu_size: str = "2 MB", rest: bool = True,
                 dma: bool = True, lifetime: float = 120.0, dma_idle_drop: float = 1.0):
        self.machine_factory = machine_factory
        self.password = password
        self.product = product
        self.firmware = firmware
        self.config = {up.CARTRIDGE_CATEGORY: {up.ITEM_REU: reu_mode, up.ITEM_REU_SIZE: reu_size,
                                               "REU Preload": "Disabled", "Command Interface": "Disabled"}}
        self.rest_on = rest
        self.dma_on = dma
        self.lifetime = lifetime
        self.dma_idle_drop = dma_idle_drop
        self.reu = bytearray(REU_SPACE)
        self.reu_written = 0  # bytes REUWRITE stored (all connections)
        self.ram = bytearray(0x10000)  # the C64's memory while no VICE runs
        self.machine = None
        self.programs: list[bytes] = []  # every PRG run_prg received
        self.requests: list[tuple[str, str, dict]] = []  # (method, url, headers) of each REST call
        self.dma_frames: list[tuple[int, int]] = []  # (opcode, payload length)
        self.cut_plan: list[int] = []  # cut the DMA connection after these many bytes, one entry per cut
        self.cuts = 0
        self._frozen = threading.Event()
        self._stopping = threading.Event()
        self._jobs: queue.Queue = queue.Queue()  # work for the machine's owner thread
        self._threads: list[threading.Thread] = []
        self._workdir = Path(tempfile.mkdtemp(prefix="gui64-ultisim-"))
        self.http_port = closed_port()
        self.dma_port = closed_port()
        self._httpd: ThreadingHTTPServer | None = None
        self._dma_sock: socket.socket | None = None
        self._timer: threading.Timer | None = None

    # ------------------------------------------------------------ life

    def __enter__(self) -> "UltimateSimulator":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> "UltimateSimulator":
        if self.rest_on:
            self._httpd = ThreadingHTTPServer((LOOPBACK, 0), _handler_for(self))
            self._httpd.daemon_threads = True
            self.http_port = self._httpd.server_address[1]
            self._spawn(self._httpd.serve_forever, kwargs={"poll_interval": 0.1})
        if self.dma_on:
            self._dma_sock = socket.socket()
            self._dma_sock.bind((LOOPBACK, 0))
            self._dma_sock.listen(4)
            self._dma_sock.settimeout(0.2)
            self.dma_port = self._dma_sock.getsockname()[1]
            self._spawn(self._dma_accept_loop)
        self._spawn(self._machine_owner)
        self._timer = threading.Timer(self.lifetime, self.stop)
        self._timer.daemon = True
        self._timer.start()
        return self

    def stop(self) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._frozen.clear()
        if self._timer is not None:
            self._timer.cancel()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._dma_sock is not None:
            self._dma_sock.close()
        self._jobs.put(None)  # the owner thread stops the machine and ends
        for t in self._threads:
            if t is not threading.current_thread():
                t.join(timeout=5.0)
        import shutil
        shutil.rmtree(self._workdir, ignore_errors=True)

    def _spawn(self, target, args=(), kwargs=None) -> threading.Thread:
        t = threading.Thread(target=target, args=args, kwargs=kwargs or {}, daemon=True, name="ultisim")
        t.start()
        self._threads.append(t)
        return t

    # ------------------------------------------------------------ faults

    def freeze(self) -> None:
        """The device stops answering REST requests (they hang until unfreeze or stop)."""
        self._frozen.set()

    def unfreeze(self) -> None:
        self._frozen.clear()

    def wait_while_frozen(self) -> None:
        end = time.monotonic() + self.lifetime
        while self._frozen.is_set() and not self._stopping.is_set() and time.monotonic() < end:
            time.sleep(0.05)

    def cut_dma_after(self, *counts: int) -> None:
        """Cut (RST) the DMA connection after ``counts[0]`` more bytes, then after ``counts[1]``..."""
        self.cut_plan = list(counts)

    # ------------------------------------------------------------ config helpers

    @property
    def reu_enabled(self) -> bool:
        return self.config[up.CARTRIDGE_CATEGORY][up.ITEM_REU].lower() == "enabled"

    @property
    def reu_bytes(self) -> int:
        return up.parse_reu_size(self.config[up.CARTRIDGE_CATEGORY][up.ITEM_REU_SIZE])

    # ------------------------------------------------------------ the machine

    def _machine_owner(self) -> None:
        """The one thread that starts VICE and talks to its monitor.

        It must outlive every request: VICE dies with the thread that started it
        (PR_SET_PDEATHSIG), and the monitor socket has one owner.
        """
        end = time.monotonic() + self.lifetime + 5.0
        try:
            while time.monotonic() < end:
                try:
                    job = self._jobs.get(timeout=0.2)
                except queue.Empty:
                    continue
                if job is None:
                    return
                fn, box, done = job
                try:
                    box.append((True, fn()))
                except BaseException as exc:  # handed to the waiting request
                    box.append((False, exc))
                done.set()
        finally:
            if self.machine is not None:
                self.machine.stop()
                self.machine = None

    def _on_machine(self, fn, timeout: float = 60.0):
        box: list = []
        done = threading.Event()
        self._jobs.put((fn, box, done))
        if not done.wait(timeout):
            raise TimeoutError("the simulated machine did not answer")
        ok, value = box[0]
        if not ok:
            raise value
        return value

    def run_prg(self, prg: bytes) -> None:
        """Reset (restart VICE with the REU as it is now), load the PRG and start it."""
        self.programs.append(prg)
        if self.machine_factory is None:
            return

        def job():
            if self.machine is not None:
                self.machine.stop()
                self.machine = None
            image = None
            if self.reu_enabled:
                image = self._workdir / "reu.bin"
                image.write_bytes(self.reu[:self.reu_bytes])
            self.machine = self.machine_factory(image, self.reu_bytes // 1024)
            self.machine.wait_idle()
            self.machine.inject(prg, sys_entry(prg))
        self._on_machine(job)

    def _bank(self, address: int) -> int:
        # the CPU's view: I/O at $D000-$DFFF (colour RAM, VIC), RAM elsewhere
        return self.machine._io_bank if 0xD000 <= address <= 0xDFFF else self.machine._ram_bank

    def readmem(self, address: int, length: int) -> bytes:
        def job():
            if self.machine is None:
                return bytes(self.ram[address:address + length])
            mon = self.machine.monitor
            try:
                out = bytearray()
                a = address
                while a < address + length:
                    # split at the I/O boundary so each piece has one bank
                    end = min(address + length, 0xD000 if a < 0xD000 else (0xE000 if a < 0xE000 else 0x10000))
                    out += mon.memory_get(a, end - 1, bank=self._bank(a))
                    a = end
                return bytes(out)
            finally:
                mon.resume()
        return self._on_machine(job)

    def writemem(self, address: int, data: bytes) -> None:
        def job():
            if self.machine is None:
                self.ram[address:address + len(data)] = data
                return
            mon = self.machine.monitor
            try:
                mon.memory_set(address, data, bank=self._bank(address))
            finally:
                mon.resume()
        self._on_machine(job)

    # ------------------------------------------------------------ DMA socket

    def _dma_accept_loop(self) -> None:
        end = time.monotonic() + self.lifetime
        while not self._stopping.is_set() and time.monotonic() < end:
            try:
                conn, _addr = self._dma_sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self._spawn(self._dma_connection, (conn,))

    def _dma_connection(self, conn: socket.socket) -> None:
        decoder = up.FrameDecoder()
        authenticated = not self.password
        conn.settimeout(0.1)
        last = time.monotonic()
        end = last + self.lifetime
        try:
            while not self._stopping.is_set() and time.monotonic() < end:
                try:
                    data = conn.recv(65536)
                except socket.timeout:
                    if time.monotonic() - last > self.dma_idle_drop:
                        return  # firmware 3.15 drops idle connections
                    continue
                if not data:
                    return
                last = time.monotonic()
                if self.cut_plan:
                    if len(data) >= self.cut_plan[0]:
                        data = data[:self.cut_plan.pop(0)]
                        self.cuts += 1
                        self._process(decoder.feed(data), conn, authenticated)
                        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                        return  # RST: the connection is cut mid-chunk
                    self.cut_plan[0] -= len(data)
                authenticated = self._process(decoder.feed(data), conn, authenticated)
                if authenticated is None:
                    return
        finally:
            conn.close()

    def _process(self, frames, conn: socket.socket, authenticated):
        for f in frames:
            self.dma_frames.append((f.opcode, len(f.payload)))
            if f.opcode == up.Opcode.AUTHENTICATE:
                if not self.password or f.payload == self.password.encode():
                    authenticated = True
                    conn.sendall(b"\x01")
                else:
                    time.sleep(0.3)  # the firmware throttles failed attempts (1 s)
                    conn.sendall(b"\x00")
                    return None
                continue
            if not authenticated:
                return None  # firmware: not authenticated -> disconnect
            if f.opcode == up.Opcode.IDENTIFY:
                title = f"{self.product} V{self.firmware}".encode()
                conn.sendall(bytes([len(title)]) + title)
            elif f.opcode == up.Opcode.REUWRITE:
                offset = int.from_bytes(f.payload[:3], "little")
                data = f.payload[3:]
                end = offset + len(data)
                self.reu[offset:end] = data[:REU_SPACE - offset]
                self.reu_written += len(data)
            elif f.opcode == up.Opcode.DMAWRITE:
                self.writemem(int.from_bytes(f.payload[:2], "little"), f.payload[2:])
        return authenticated


# ---------------------------------------------------------------- REST


def _handler_for(sim: UltimateSimulator):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # keep test output clean
            pass

        def _reply(self, status: int, body: bytes, ctype: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True

        def _json(self, status: int, obj: dict | None = None, errors: list | None = None) -> None:
            reply = dict(obj or {})
            reply["errors"] = errors or []
            self._reply(status, json.dumps(reply).encode())

        def _body(self) -> bytes:
            n = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(n) if n else b""

        def do_GET(self) -> None:
            self._dispatch("GET")

        def do_PUT(self) -> None:
            self._dispatch("PUT")

        def do_POST(self) -> None:
            self._dispatch("POST")

        def _dispatch(self, method: str) -> None:
            sim.requests.append((method, self.path, dict(self.headers)))
            body = self._body()
            if sim._frozen.is_set():
                sim.wait_while_frozen()
                self.close_connection = True
                return  # no answer at all
            if sim.password and self.headers.get(up.PASSWORD_HEADER) != sim.password:
                return self._json(403, errors=["Invalid password"])
            parts = urlsplit(self.path)
            args = {k: v[0] for k, v in parse_qs(parts.query).items()}
            route = unquote(parts.path)
            command = None
            if ":" in route:
                route, command = route.rsplit(":", 1)
            segments = [s for s in route.split("/") if s][1:]  # drop "v1"
            try:
                self._route(method, segments, command, args, body)
            except (ValueError, KeyError) as exc:
                self._json(400, errors=[str(exc)])
            except Exception as exc:  # the machine failed: a 500, as the firmware would
                self._json(500, errors=[f"{type(exc).__name__}: {exc}"])

        def _route(self, method, segments, command, args, body) -> None:
            head = segments[0] if segments else ""
            if method == "GET" and head == "version":
                return self._json(200, {"version": "0.1"})
            if method == "GET" and head == "info":
                return self._json(200, {"product": sim.product, "firmware_version": sim.firmware,
                                        "fpga_version": "11F", "core_version": "1.45", "hostname": "sim",
                                        "unique_id": "5D4E3C"})
            if head == "configs":
                return self._configs(method, segments[1:], args)
            if head == "runners" and command == "run_prg" and method == "POST":
                if not body:
                    return self._json(412, errors=["No body"])
                sim.run_prg(body)
                return self._json(200)
            if head == "machine" and command == "readmem" and method == "GET":
                address = int(args["address"], 16)
                length = int(args.get("length", 256))
                if address + length > 0x10000 or length > up.READMEM_MAX:
                    return self._json(400, errors=["Range passes $FFFF"])
                return self._reply(200, sim.readmem(address, length), "application/octet-stream")
            if head == "machine" and command == "writemem":
                address = int(args["address"], 16)
                data = bytes.fromhex(args["data"]) if method == "PUT" else body
                if method == "PUT" and len(data) > up.WRITEMEM_PUT_MAX:
                    return self._json(400, errors=["Maximum 128 bytes"])
                if address + len(data) > 0x10000:
                    return self._json(400, errors=["Range passes $FFFF"])
                sim.writemem(address, data)
                return self._json(200)
            if head == "machine" and command == "reset" and method == "PUT":
                return self._json(200)
            return self._json(404, errors=["Not found"])

        def _configs(self, method, path, args) -> None:
            if method == "GET":
                if not path:
                    return self._json(200, {"categories": list(sim.config)})
                cats = {c: items for c, items in sim.config.items() if c.lower() == path[0].lower()}
                if len(path) == 1:
                    return self._json(200, cats)
                out = {c: {i: {"current": v} for i, v in items.items() if i.lower() == path[1].lower()}
                       for c, items in cats.items()}
                return self._json(200, out)
            if method == "PUT" and len(path) == 2:
                cat = next((c for c in sim.config if c.lower() == path[0].lower()), None)
                if cat is None:
                    return self._json(404, errors=[f"There is no config category that matches '{path[0]}'"])
                item = next((i for i in sim.config[cat] if i.lower() == path[1].lower()), None)
                if item is None:
                    return self._json(404, errors=[f"Item '{path[1]}' not found"])
                value = args["value"]
                choices = {up.ITEM_REU: ("Disabled", "Enabled", "GeoRAM Mode"),
                           up.ITEM_REU_SIZE: up.REU_SIZE_VALUES}.get(item)
                if choices is not None:
                    match = next((c for c in choices if c.lower() == value.lower()), None)
                    if match is None:
                        return self._json(400, errors=[f"Value '{value}' is not a valid choice for item {item}"])
                    value = match
                sim.config[cat][item] = value
                return self._json(200)
            return self._json(400, errors=["Bad configs request"])

    return Handler
