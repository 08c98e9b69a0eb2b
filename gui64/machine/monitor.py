"""Socket transport for the VICE binary monitor: connect, request/response matching, timeouts.

One owner per socket: a Monitor is used from one thread only (the session's worker). Every wait
has a deadline, so a monitor that stops answering raises MonitorTimeout instead of hanging.
Any command stops the emulated machine; ``resume()`` (exit, 0xAA) lets it run again.
"""

from __future__ import annotations

import collections
import logging
import socket
import time

from gui64.machine import MachineError
from gui64.machine import protocol as p

log = logging.getLogger("gui64.monitor")

DEFAULT_TIMEOUT = 5.0


class MonitorError(MachineError):
    """Base of the monitor's errors; str() says what happened and what to do."""


class MonitorConnectError(MonitorError):
    """Could not connect to the monitor port before the deadline."""


class MonitorTimeout(MonitorError):
    """The monitor did not answer in time (VICE hung, stopped or is overloaded)."""


class MonitorClosed(MonitorError):
    """VICE closed the monitor connection (it quit or was killed)."""


class MonitorCommandError(MonitorError):
    """VICE answered a command with an error code."""

    def __init__(self, command: int, code: int):
        self.command, self.code = command, code
        name = p.Command(command).name if command in p.Command._value2member_map_ else f"0x{command:02X}"
        super().__init__(f"VICE refused monitor command {name}: "
                         f"{p.ERROR_TEXT.get(code, f'error 0x{code:02X}')}.")


class Monitor:
    """A connected binary monitor client.

    Attributes:
        running: whether the machine runs (tracked from stopped/resumed events).
        last_pc: program counter from the latest stopped event.
    """

    def __init__(self, sock: socket.socket, timeout: float = DEFAULT_TIMEOUT):
        self._sock = sock
        self._decoder = p.Decoder()
        self._events: collections.deque[p.Response] = collections.deque()
        self._responses: dict[int, list[p.Response]] = {}
        self._next_id = 1
        self.timeout = timeout
        self.running = False
        self.last_pc: int | None = None
        self.closed = False

    # ------------------------------------------------------------ connecting

    @classmethod
    def connect(cls, host: str, port: int, deadline_s: float = 20.0, retry_s: float = 0.1,
                timeout: float = DEFAULT_TIMEOUT, alive=None) -> "Monitor":
        """Connect with retries until ``deadline_s``, then ping before returning.

        Args:
            alive: optional callable; when it returns False (VICE exited) stop retrying at once.

        Raises:
            MonitorConnectError: nothing accepted the connection in time.
            MonitorTimeout / MonitorClosed: it accepted but does not speak the protocol.
        """
        end = time.monotonic() + deadline_s
        last = None
        while True:
            if alive is not None and not alive():
                raise MonitorConnectError("VICE exited before its monitor port opened: see its log.")
            try:
                sock = socket.create_connection((host, port), timeout=min(1.0, deadline_s))
                break
            except OSError as exc:
                last = exc
            if time.monotonic() >= end:
                raise MonitorConnectError(
                    f"could not connect to VICE's monitor on {host}:{port} within {deadline_s:.0f} s "
                    f"({last}): check that VICE starts (see its log).")
            time.sleep(retry_s)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        mon = cls(sock, timeout)
        try:
            mon.ping(timeout=max(timeout, end - time.monotonic()))
        except BaseException:
            mon.close()
            raise
        return mon

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                self._sock.close()
            except OSError:
                pass

    def __enter__(self) -> "Monitor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------ core

    def send(self, command: int, body: bytes = b"") -> int:
        """Send one command; returns its request id (the machine stops if it ran)."""
        if self.closed:
            raise MonitorClosed("the monitor connection is closed.")
        rid = self._next_id
        self._next_id = self._next_id % 0xFFFFFFFE + 1  # never EVENT_ID
        try:
            self._sock.sendall(p.encode(command, body, rid))
        except OSError as exc:
            self.close()
            raise MonitorClosed(f"VICE closed the monitor connection ({exc}).") from None
        return rid

    def request(self, command: int, body: bytes = b"", timeout: float | None = None) -> p.Response:
        """Send a command and wait for the response with its request id.

        Raises:
            MonitorTimeout, MonitorClosed, MonitorCommandError.
        """
        rid = self.send(command, body)
        return self._await(rid, command, timeout)

    def pipeline(self, commands: list[tuple[int, bytes]], timeout: float | None = None) -> list[p.Response]:
        """Send several commands in one write, then collect their responses in order.

        One socket write and one wake-up of VICE instead of one per command: a poll costs the
        machine about one round trip.
        """
        if self.closed:
            raise MonitorClosed("the monitor connection is closed.")
        ids, frames = [], []
        for command, body in commands:
            rid = self._next_id
            self._next_id = self._next_id % 0xFFFFFFFE + 1
            ids.append(rid)
            frames.append(p.encode(command, body, rid))
        try:
            self._sock.sendall(b"".join(frames))
        except OSError as exc:
            self.close()
            raise MonitorClosed(f"VICE closed the monitor connection ({exc}).") from None
        return [self._await(rid, command, timeout) for rid, (command, _body) in zip(ids, commands)]

    def request_all(self, command: int, body: bytes, final_type: int,
                    timeout: float | None = None) -> list[p.Response]:
        """Send a command that answers with several responses, the last of ``final_type``."""
        rid = self.send(command, body)
        got = []
        while True:
            resp = self._await(rid, command, timeout)
            got.append(resp)
            if resp.type == final_type:
                return got

    def _await(self, rid: int, command: int, timeout: float | None) -> p.Response:
        end = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            queue = self._responses.get(rid)
            if queue:
                resp = queue.pop(0)
                if not queue:
                    del self._responses[rid]
                if resp.error:
                    raise MonitorCommandError(command, resp.error)
                return resp
            self._read_some(end, f"a reply to {p.Command(command).name}")

    def _read_some(self, end: float, what: str) -> None:
        left = end - time.monotonic()
        if left <= 0:
            raise MonitorTimeout(f"VICE's monitor did not send {what} in time: "
                                 "the emulator may be hung or stopped; restart it.")
        self._sock.settimeout(left)
        try:
            chunk = self._sock.recv(65536)
        except socket.timeout:
            raise MonitorTimeout(f"VICE's monitor did not send {what} in time: "
                                 "the emulator may be hung or stopped; restart it.") from None
        except OSError as exc:
            self.close()
            raise MonitorClosed(f"VICE closed the monitor connection ({exc}).") from None
        if not chunk:
            self.close()
            raise MonitorClosed("VICE closed the monitor connection.")
        try:
            frames = self._decoder.feed(chunk)
        except p.ProtocolError as exc:
            self.close()
            raise MonitorClosed(f"VICE's monitor sent garbage ({exc}).") from None
        for resp in frames:
            if resp.is_event:
                self._note_event(resp)
            else:
                self._responses.setdefault(resp.request_id, []).append(resp)

    def _note_event(self, resp: p.Response) -> None:
        if resp.type == p.ResponseType.STOPPED:
            self.running = False
            self.last_pc = p.parse_pc(resp.body)
        elif resp.type == p.ResponseType.RESUMED:
            self.running = True
        self._events.append(resp)
        if len(self._events) > 256:  # nobody waits for old events; keep memory bounded
            self._events.popleft()

    def wait_event(self, types: tuple[int, ...], timeout: float | None = None) -> p.Response:
        """Wait for the next event of one of ``types`` (older events of other types are dropped)."""
        end = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            while self._events:
                ev = self._events.popleft()
                if ev.type in types:
                    return ev
            names = "/".join(p.ResponseType(t).name if t in p.ResponseType._value2member_map_ else hex(t)
                             for t in types)
            self._read_some(end, f"a {names} event")

    def drain_events(self) -> list[p.Response]:
        """Events received so far (without reading the socket)."""
        out = list(self._events)
        self._events.clear()
        return out

    # ------------------------------------------------------------ commands

    def ping(self, timeout: float | None = None) -> None:
        self.request(p.Command.PING, timeout=timeout)

    def memory_get(self, start: int, end: int, bank: int = 0, timeout: float | None = None) -> bytes:
        """Bytes start..end inclusive (no side effects)."""
        resp = self.request(p.Command.MEMORY_GET, p.memory_get(start, end, bank), timeout)
        return p.parse_memory(resp.body)

    def memory_set(self, start: int, data: bytes, bank: int = 0, timeout: float | None = None) -> None:
        self.request(p.Command.MEMORY_SET, p.memory_set(start, data, bank), timeout)

    def registers_get(self) -> dict[int, int]:
        return p.parse_registers(self.request(p.Command.REGISTERS_GET, p.registers_get()).body)

    def registers_set(self, values: dict[int, int]) -> None:
        self.request(p.Command.REGISTERS_SET, p.registers_set(values))

    def checkpoint_set(self, start: int, end: int | None = None, op: int = p.Op.EXEC,
                       temporary: bool = False) -> int:
        """Set a stopping checkpoint; returns its number."""
        resp = self.request(p.Command.CHECKPOINT_SET, p.checkpoint_set(start, end, op, temporary=temporary))
        return p.parse_checkpoint(resp.body).number

    def checkpoint_delete(self, number: int) -> None:
        self.request(p.Command.CHECKPOINT_DELETE, p.checkpoint_number(number))

    def banks(self) -> dict[str, int]:
        return p.parse_banks(self.request(p.Command.BANKS_AVAILABLE).body)

    def resource_get(self, name: str) -> int | str:
        return p.parse_resource(self.request(p.Command.RESOURCE_GET, p.resource_get(name)).body)

    def resource_set(self, name: str, value: int | str) -> None:
        self.request(p.Command.RESOURCE_SET, p.resource_set(name, value))

    def resume(self) -> None:
        """Exit the monitor: the machine runs until the next command or checkpoint."""
        self.request(p.Command.EXIT)
        self.running = True

    def reset(self, hard: bool = False) -> None:
        self.request(p.Command.RESET, p.reset(hard))

    def quit(self, timeout: float = 2.0) -> None:
        """Ask VICE to quit (it may close the socket before answering)."""
        try:
            self.request(p.Command.QUIT, timeout=timeout)
        except (MonitorClosed, MonitorTimeout):
            pass
        self.close()
