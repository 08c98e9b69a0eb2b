"""The monitor transport against tiny throwaway servers that speak (or break) the real framing."""

from __future__ import annotations

import socket
import struct
import threading
import time

import pytest

from gui64.machine import protocol as p
from gui64.machine.monitor import (Monitor, MonitorClosed, MonitorCommandError, MonitorConnectError,
                                   MonitorTimeout)


def frame(rtype: int, rid: int, body: bytes = b"", error: int = 0) -> bytes:
    return p.RESPONSE_HEAD.pack(2, 2, len(body), rtype, error, rid) + body


class FakeVice:
    """A loopback server; `script(conn)` plays one connection."""

    def __init__(self, script):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, args=(script,), daemon=True)
        self.thread.start()

    def _serve(self, script):
        conn, _ = self.sock.accept()
        with conn:
            script(conn)

    def close(self):
        self.sock.close()
        self.thread.join(5)


def read_command(conn) -> tuple[int, int, bytes]:
    head = b""
    while len(head) < p.COMMAND_HEAD.size:
        head += conn.recv(p.COMMAND_HEAD.size - len(head))
    _stx, _api, length, rid, cmd = p.COMMAND_HEAD.unpack(head)
    body = b""
    while len(body) < length:
        body += conn.recv(length - len(body))
    return cmd, rid, body


def answer_pings(conn, n=1):
    for _ in range(n):
        cmd, rid, _ = read_command(conn)
        conn.sendall(frame(cmd, rid))


@pytest.fixture
def serve():
    servers = []

    def start(script):
        srv = FakeVice(script)
        servers.append(srv)
        return srv
    yield start
    for srv in servers:
        srv.close()


def test_connect_retries_until_the_port_opens():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv_holder = []
    timer = threading.Timer(0.5, lambda: srv_holder.append(_late_server(port)))
    timer.start()
    try:
        t0 = time.monotonic()
        with Monitor.connect("127.0.0.1", port, deadline_s=5.0, retry_s=0.05):
            assert time.monotonic() - t0 >= 0.4
    finally:
        timer.join()
        for srv in srv_holder:
            srv.close()


def _late_server(port):
    srv = FakeVice.__new__(FakeVice)
    srv.sock = socket.socket()
    srv.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.sock.bind(("127.0.0.1", port))
    srv.sock.listen(1)
    srv.port = port
    srv.thread = threading.Thread(target=srv._serve, args=(answer_pings,), daemon=True)
    srv.thread.start()
    return srv


def test_connect_gives_up_at_the_deadline():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.monotonic()
    with pytest.raises(MonitorConnectError, match="could not connect"):
        Monitor.connect("127.0.0.1", port, deadline_s=0.5, retry_s=0.05)
    assert time.monotonic() - t0 < 2.0


def test_connect_stops_retrying_when_vice_exited():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(MonitorConnectError, match="exited"):
        Monitor.connect("127.0.0.1", port, deadline_s=30.0, alive=lambda: False)


def test_responses_matched_by_request_id_with_events_between(serve):
    def script(conn):
        answer_pings(conn)
        cmd, rid, body = read_command(conn)  # memory get
        # an event, then the reply split in two sends
        reply = frame(p.Command.MEMORY_GET, rid, struct.pack("<H", 3) + b"abc")
        conn.sendall(frame(p.ResponseType.STOPPED, p.EVENT_ID, b"\x00\xc0") + reply[:5])
        time.sleep(0.05)
        conn.sendall(reply[5:])
        time.sleep(0.2)
    srv = serve(script)
    with Monitor.connect("127.0.0.1", srv.port, deadline_s=5) as mon:
        assert mon.memory_get(0x1000, 0x1002) == b"abc"
        assert mon.last_pc == 0xC000 and not mon.running
        assert [e.type for e in mon.drain_events()] == [p.ResponseType.STOPPED]


def test_silent_monitor_times_out(serve):
    def script(conn):
        answer_pings(conn)
        read_command(conn)
        time.sleep(1.5)  # never answers
    srv = serve(script)
    with Monitor.connect("127.0.0.1", srv.port, deadline_s=5) as mon:
        t0 = time.monotonic()
        with pytest.raises(MonitorTimeout, match="did not send"):
            mon.memory_get(0, 1, timeout=0.3)
        assert time.monotonic() - t0 < 1.0


def test_connection_closed_mid_frame(serve):
    def script(conn):
        answer_pings(conn)
        _, rid, _ = read_command(conn)
        conn.sendall(frame(p.Command.MEMORY_GET, rid, b"\x10\x00" + b"x" * 16)[:9])
    srv = serve(script)
    with Monitor.connect("127.0.0.1", srv.port, deadline_s=5) as mon:
        with pytest.raises(MonitorClosed, match="closed"):
            mon.memory_get(0, 15)
        assert mon.closed


def test_garbage_closes_the_connection(serve):
    def script(conn):
        answer_pings(conn)
        read_command(conn)
        conn.sendall(b"READY.\r\n" * 4)
        time.sleep(0.2)
    srv = serve(script)
    with Monitor.connect("127.0.0.1", srv.port, deadline_s=5) as mon:
        with pytest.raises(MonitorClosed, match="garbage"):
            mon.ping()


def test_error_code_raises_command_error(serve):
    def script(conn):
        answer_pings(conn)
        cmd, rid, _ = read_command(conn)
        conn.sendall(frame(cmd, rid, error=0x81))
        time.sleep(0.2)
    srv = serve(script)
    with Monitor.connect("127.0.0.1", srv.port, deadline_s=5) as mon:
        with pytest.raises(MonitorCommandError, match="invalid parameter"):
            mon.registers_set({p.REG_PC: 0x1234})
