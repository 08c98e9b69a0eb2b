"""The Ultimate II+ / Ultimate 64 backend: REST + DMA-socket client, preflight, REU upload, story run.

One ``Ultimate`` object talks to one device (host, REST port, DMA port, password). Every call has
a timeout and turns network trouble into an ``UltimateError`` whose text says what happened and
what to do (which service to switch on, which setting to change). The password goes only into
the ``X-Password`` header and the DMA AUTHENTICATE frame; it is never logged.

The story run on a device is gui64.session.Session driving
gui64.machine.ultimate_backend.UltimateBackend, which uses this client: preflight, upload
weights.reu with REUWRITE (resumable), ``runners:run_prg``, the parameter block once the program
reports READY, then ``machine:readmem`` polls.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import threading
import time
from dataclasses import dataclass
from typing import Callable

from build_chain.blocks import STATUS_SIZE
from gui64.machine import MachineError
from gui64.machine import ultimate_protocol as up
from gui64.machine.backend import (COLOUR_RAM, SCREEN_CELLS, SCREEN_RAM, VIC_BACKGROUND, VIC_BORDER, VIC_MEMSETUP,
                                   Snapshot)

log = logging.getLogger("gui64.ultimate")

DEFAULT_TIMEOUT = 5.0
BATCH_CHUNKS = 4  # REUWRITEs between two IDENTIFY barriers (~256 KB)
UPLOAD_RETRIES = 3
READ_PIECE = 1024  # bytes per readmem request (small: old firmware hung on huge reads)
SERVICE_HINT = "in the Ultimate's menu under Network Settings"


# ---------------------------------------------------------------- errors


class UltimateError(MachineError):
    """Talking to the Ultimate failed; str() says what happened and what to do."""


class Unreachable(UltimateError):
    """No answer at all from the host (off, wrong address, not on this network)."""


class ServiceOff(UltimateError):
    """The host answers but refuses the port: the service is switched off (or another port)."""

    def __init__(self, service: up.Service, host: str, port: int):
        self.service = service
        super().__init__(f"{host} refused port {port}: the {service.value} is switched off. "
                         f"Switch on `{service.value}` ({SERVICE_HINT}), or fix the port in the profile.")


class WrongPassword(UltimateError):
    """The device refused the network password (HTTP 403 / failed DMA authentication)."""


class ReuSettingError(UltimateError):
    """The REU is disabled or smaller than the image needs."""


class UploadInterrupted(UltimateError):
    """The REU upload broke off; ``resume_offset`` is the first byte not confirmed on the device."""

    def __init__(self, message: str, resume_offset: int):
        self.resume_offset = resume_offset
        super().__init__(message)


class DeviceSilent(UltimateError):
    """The device stopped answering during a story."""


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class ReuConfig:
    """The device's REU setting (category `C64 and Cartridge Settings`)."""

    mode: str  # "Enabled", "Disabled" or "GeoRAM Mode"
    size: int  # bytes

    @property
    def enabled(self) -> bool:
        return self.mode.lower() == up.REU_ENABLED.lower()

    def __str__(self) -> str:
        return f"REU {up.reu_size_value(self.size)}" if self.enabled else f"REU {self.mode.lower()}"


@dataclass(frozen=True)
class Preflight:
    """What the preflight found (and changed)."""

    api_version: str
    info: dict
    reu: ReuConfig
    dma_title: str
    changed: tuple[str, ...] = ()  # settings this preflight changed, as sentences

    @property
    def product(self) -> str:
        return str(self.info.get("product", "Ultimate"))

    @property
    def firmware(self) -> str:
        return str(self.info.get("firmware_version", "?"))

    def summary(self) -> str:
        return f"{self.product} firmware {self.firmware}, REST API {self.api_version}, {self.reu}"


@dataclass(frozen=True)
class UploadProgress:
    """Event: part of the REU image is confirmed on the device."""

    done: int  # bytes confirmed
    total: int  # bytes to send
    bytes_per_s: float
    retries: int = 0


@dataclass(frozen=True)
class UploadReport:
    total: int
    seconds: float
    retries: int

    @property
    def bytes_per_s(self) -> float:
        return self.total / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class DeviceState:
    """A non-raising check for the Hardware panel: what the device looks like right now."""

    reachable: bool
    product: str = ""
    firmware: str = ""
    reu: str = ""  # "REU 2 MB", "REU disabled", "" when unknown
    problem: str = ""  # the error's sentence, "" when all is well


def human_bytes(n: float) -> str:
    for unit, size in (("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)} B"


# ---------------------------------------------------------------- the client


class Ultimate:
    """Client for one Ultimate device.

    Args:
        host: name or IP address.
        http_port: REST port (Web Remote Control Service).
        dma_port: DMA socket port (Ultimate DMA Service).
        password: the Network Password, or None/"" when none is set.
        timeout: seconds per network operation.
    """

    def __init__(self, host: str, http_port: int = up.DEFAULT_HTTP_PORT, dma_port: int = up.DEFAULT_DMA_PORT,
                 password: str | None = None, timeout: float = DEFAULT_TIMEOUT):
        self.host = host
        self.http_port = http_port
        self.dma_port = dma_port
        self.password = password or None
        self.timeout = timeout

    def __repr__(self) -> str:  # never shows the password
        return f"Ultimate({self.host!r}, http_port={self.http_port}, dma_port={self.dma_port})"

    @property
    def where(self) -> str:
        return f"the Ultimate at {self.host}"

    # ------------------------------------------------------------ REST

    def request(self, method: str, url: str, body: bytes | None = None, content_type: str | None = None,
                timeout: float | None = None) -> tuple[int, bytes]:
        """One REST call; returns (status, body). 403 raises WrongPassword.

        Raises:
            Unreachable, ServiceOff, WrongPassword, UltimateError.
        """
        headers = {"Connection": "close"}
        if self.password:
            headers[up.PASSWORD_HEADER] = self.password
        if body is not None:
            headers["Content-Type"] = content_type or "application/octet-stream"
        conn = http.client.HTTPConnection(self.host, self.http_port, timeout=timeout or self.timeout)
        try:
            conn.request(method, url, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except ConnectionRefusedError:
            raise ServiceOff(up.Service.REST, self.host, self.http_port) from None
        except socket.gaierror:
            raise Unreachable(f"{self.host} is not a known host name: check the address in the profile.") from None
        except (TimeoutError, socket.timeout):
            raise Unreachable(f"{self.where} (port {self.http_port}) did not answer within "
                              f"{timeout or self.timeout:.0f} s: check that it is switched on and on this "
                              "network, and the address in the profile.") from None
        except (OSError, http.client.HTTPException) as exc:
            raise Unreachable(f"{self.where} (port {self.http_port}) broke the connection ({_reason(exc)}): "
                              "check that it is switched on and on this network.") from None
        finally:
            conn.close()
        log.debug("%s %s -> %d (%d bytes)", method, url, resp.status, len(data))
        if resp.status == 403:
            raise WrongPassword(f"{self.where} refused the network password (HTTP 403): set the profile's "
                                "password to the device's `Network Password` (gui64 ultimate profiles add "
                                "--password-prompt, or $GUI64_ULTIMATE_PASSWORD).")
        if resp.status >= 400:
            raise UltimateError(f"{self.where} answered {method} {url.split('?')[0]} with HTTP {resp.status}"
                                f"{_errors_text(data)}: {_status_remedy(resp.status)}")
        return resp.status, data

    def json(self, method: str, url: str, body: bytes | None = None, content_type: str | None = None) -> dict:
        _status, data = self.request(method, url, body, content_type)
        try:
            reply = json.loads(data or b"{}")
        except ValueError:
            raise UltimateError(f"{self.where} sent a reply that is not JSON to {url.split('?')[0]}: "
                                "is this an Ultimate with firmware 3.11 or later?") from None
        errors = reply.get("errors") if isinstance(reply, dict) else None
        if errors:
            raise UltimateError(f"{self.where} reported: {'; '.join(map(str, errors))}")
        return reply if isinstance(reply, dict) else {}

    def version(self) -> str:
        return str(self.json("GET", up.rest_path("version")).get("version", "?"))

    def info(self) -> dict:
        reply = self.json("GET", up.rest_path("info"))
        reply.pop("errors", None)
        return reply

    def reu_config(self) -> ReuConfig:
        """The REU mode and size from the configuration API."""
        reply = self.json("GET", up.rest_path("configs", path=up.CARTRIDGE_CATEGORY))
        items = _find_ci(reply, up.CARTRIDGE_CATEGORY)
        if not isinstance(items, dict):
            raise UltimateError(f"{self.where} has no `{up.CARTRIDGE_CATEGORY}` configuration: "
                                "update the firmware (3.11 or later).")
        mode = _find_ci(items, up.ITEM_REU)
        size = _find_ci(items, up.ITEM_REU_SIZE)
        if isinstance(mode, dict):
            mode = mode.get("current")
        if isinstance(size, dict):
            size = size.get("current")
        try:
            return ReuConfig(str(mode), up.parse_reu_size(str(size)))
        except ValueError:
            raise UltimateError(f"{self.where} reports an unknown REU setting ({mode!r}, {size!r}): "
                                "set the REU in the device's menu.") from None

    def set_config(self, category: str, item: str, value: str) -> None:
        self.json("PUT", up.rest_path("configs", path=f"{category}/{item}", value=value))

    def readmem(self, address: int, length: int) -> bytes:
        """C64 memory through DMA, in small requests."""
        out = bytearray()
        while length > 0:
            n = min(length, READ_PIECE)
            _s, data = self.request("GET", up.rest_path("machine", "readmem", address=up.hex_address(address),
                                                        length=n))
            if len(data) != n:
                raise UltimateError(f"{self.where} returned {len(data)} bytes for a {n}-byte memory read: "
                                    "try again; update the firmware if it keeps happening.")
            out += data
            address += n
            length -= n
        return bytes(out)

    def writemem(self, address: int, data: bytes) -> None:
        """Write C64 memory with PUT requests of at most 128 bytes, last piece first.

        The last-first order matters for the parameter block: its head (with the VALID flag)
        lands only after the prompt text is in place, so the program never sees half a block.
        """
        pieces = [(address + i, data[i:i + up.WRITEMEM_PUT_MAX]) for i in range(0, len(data), up.WRITEMEM_PUT_MAX)]
        for addr, piece in reversed(pieces):
            self.json("PUT", up.rest_path("machine", "writemem", address=up.hex_address(addr), data=piece.hex().upper()))

    def run_prg(self, prg: bytes) -> None:
        """Reset, DMA-load and RUN a PRG (``POST /v1/runners:run_prg``)."""
        self.json("POST", up.rest_path("runners", "run_prg"), body=prg)

    def reset(self) -> None:
        self.json("PUT", up.rest_path("machine", "reset"))

    # ------------------------------------------------------------ DMA socket

    def dma_connect(self, timeout: float | None = None) -> "DmaConnection":
        """An authenticated DMA-socket connection (close it, or use it as a context manager).

        Raises:
            ServiceOff, Unreachable, WrongPassword.
        """
        t = timeout or self.timeout
        try:
            sock = socket.create_connection((self.host, self.dma_port), timeout=t)
        except ConnectionRefusedError:
            raise ServiceOff(up.Service.DMA, self.host, self.dma_port) from None
        except socket.gaierror:
            raise Unreachable(f"{self.host} is not a known host name: check the address in the profile.") from None
        except OSError as exc:
            raise Unreachable(f"{self.where} (port {self.dma_port}) did not answer ({_reason(exc)}): check that "
                              "it is switched on and on this network.") from None
        conn = DmaConnection(self, sock, t)
        if self.password:
            try:
                conn.authenticate(self.password)
            except BaseException:
                conn.close()
                raise
        return conn

    def identify(self) -> str:
        """The product title from the DMA socket (checks the service and the password there).

        Raises:
            UltimateError: no IDENTIFY answer (firmware too old for the resumable upload).
        """
        with self.dma_connect() as conn:
            try:
                return conn.identify()
            except DmaBroken as exc:
                raise UltimateError(f"{exc}: the resumable REU upload needs IDENTIFY on the {up.Service.DMA.value}; "
                                    "update the Ultimate's firmware (3.14 or later).") from None

    def upload_reu(self, image: bytes, progress: Callable[[UploadProgress], None] | None = None,
                   cancel: threading.Event | None = None, start: int = 0, retries: int = UPLOAD_RETRIES,
                   chunk: int = up.REU_CHUNK_MAX, batch: int = BATCH_CHUNKS) -> UploadReport:
        """Write ``image`` into REU memory from offset ``start`` with REUWRITE, resuming after breaks.

        The device never acknowledges REUWRITE, so after every ``batch`` chunks an IDENTIFY is
        sent: its reply proves all chunks before it were processed (one connection runs in
        order). A broken connection is reopened (authenticating again) and the upload goes on
        from the first unconfirmed chunk, ``retries`` times in a row at most.

        Raises:
            UploadInterrupted: it kept breaking (``resume_offset`` says where to go on);
            WrongPassword, ServiceOff, Unreachable: before any data went over.
        """
        total = len(image)
        confirmed = start
        tries = 0
        retried = 0
        t0 = time.monotonic()
        sent_here = 0
        while confirmed < total:
            if cancel is not None and cancel.is_set():
                raise UploadInterrupted("the upload was cancelled", confirmed)
            try:
                with self.dma_connect() as conn:
                    pending = 0
                    offset = confirmed
                    for off, n in up.reu_chunks(total, chunk, confirmed):
                        conn.send(up.encode_reu_write(off, image[off:off + n]))
                        offset = off + n
                        pending += 1
                        if pending == batch or offset == total:
                            conn.identify()
                            sent_here += offset - confirmed
                            confirmed = offset
                            pending = 0
                            tries = 0
                            if progress is not None:
                                dt = time.monotonic() - t0
                                progress(UploadProgress(confirmed, total, sent_here / dt if dt > 0 else 0.0, retried))
                            if cancel is not None and cancel.is_set():
                                raise UploadInterrupted("the upload was cancelled", confirmed)
            except (Unreachable, ServiceOff, DmaBroken) as exc:
                tries += 1
                retried += 1
                log.warning("REU upload broke at $%06X (%s); attempt %d of %d", confirmed, exc, tries, retries)
                if tries > retries:
                    raise UploadInterrupted(
                        f"the REU upload to {self.where} broke off at byte {confirmed} of {total} "
                        f"({exc}). Check the network and start again: the upload resumes from there.",
                        confirmed) from None
                time.sleep(min(2.0, 0.2 * tries))
        return UploadReport(total - start, time.monotonic() - t0, retried)

    # ------------------------------------------------------------ checks

    def preflight(self, reu_needed: int | None = None, fix_reu: bool = False,
                  say: Callable[[str], None] | None = None) -> Preflight:
        """Reachable, REST version + device info, password accepted, DMA service on, REU big enough.

        Args:
            reu_needed: bytes the REU must hold (None: only report the setting).
            fix_reu: set `RAM Expansion Unit` = Enabled and `REU Size` through the configuration
                API when they do not fit (volatile: not saved to flash), and say so.
            say: called with a sentence for each change made.

        Raises:
            Unreachable, ServiceOff, WrongPassword, ReuSettingError, UltimateError.
        """
        say = say or (lambda _msg: None)
        version = self.version()
        info = self.info()
        reu = self.reu_config()  # also proves the password: configs need it when one is set
        changed: list[str] = []
        if reu_needed is not None:
            want = up.reu_size_value(_legal_reu_size(reu_needed))
            problem = None
            if not reu.enabled:
                problem = f"the REU is {reu.mode.lower()}"
            elif reu.size < reu_needed:
                problem = f"the REU is {up.reu_size_value(reu.size)} but the image needs {want}"
            if problem and not fix_reu:
                raise ReuSettingError(
                    f"{self.where}: {problem}. Set `{up.ITEM_REU}` = {up.REU_ENABLED} and `{up.ITEM_REU_SIZE}` = "
                    f"{want} (menu: C64 and Cartridge Settings), or let gui64 set them (--fix-reu / the "
                    "Hardware panel's offer).")
            if problem:
                if not reu.enabled:
                    self.set_config(up.CARTRIDGE_CATEGORY, up.ITEM_REU, up.REU_ENABLED)
                    changed.append(f"set `{up.ITEM_REU}` to {up.REU_ENABLED}")
                if reu.size < reu_needed:
                    self.set_config(up.CARTRIDGE_CATEGORY, up.ITEM_REU_SIZE, want)
                    changed.append(f"set `{up.ITEM_REU_SIZE}` to {want}")
                for sentence in changed:
                    say(f"{sentence} on {self.host} (until power-off; not saved to flash)")
                reu = self.reu_config()
                if not reu.enabled or reu.size < reu_needed:
                    raise ReuSettingError(f"{self.where} did not take the REU setting ({reu}): set `{up.ITEM_REU}` "
                                          f"and `{up.ITEM_REU_SIZE}` = {want} in its menu.")
        title = self.identify()
        return Preflight(version, info, reu, title, tuple(changed))

    def probe(self) -> DeviceState:
        """Reachable? Which firmware and REU setting? Never raises (for the Hardware panel)."""
        try:
            info = self.info()
        except UltimateError as exc:
            return DeviceState(not isinstance(exc, Unreachable), problem=str(exc))
        product, firmware = str(info.get("product", "")), str(info.get("firmware_version", ""))
        try:
            reu = str(self.reu_config())
            self.identify()
        except UltimateError as exc:
            return DeviceState(True, product, firmware, problem=str(exc))
        return DeviceState(True, product, firmware, reu)

    # ------------------------------------------------------------ polling (the session's backend)

    def poll(self, status_addr: int | None, status_size: int = STATUS_SIZE, screen: bool = True) -> Snapshot:
        """Status block (and the text screen) through readmem: same shape as Vice.poll (one try)."""
        status = self.readmem(status_addr, status_size) if status_addr is not None else b""
        codes = colours = None
        border = background = 0
        lowercase = False
        if screen:
            codes = self.readmem(SCREEN_RAM, SCREEN_CELLS)
            colours = bytes(b & 0x0F for b in self.readmem(COLOUR_RAM, SCREEN_CELLS))
            vic = self.readmem(VIC_MEMSETUP, VIC_BACKGROUND - VIC_MEMSETUP + 1)
            lowercase = bool(vic[0] & 0x02)
            border = vic[VIC_BORDER - VIC_MEMSETUP] & 0x0F
            background = vic[VIC_BACKGROUND - VIC_MEMSETUP] & 0x0F
        return Snapshot(status, codes, colours, border, background, lowercase, time.monotonic())


class DmaBroken(UltimateError):
    """The DMA-socket connection broke (internal to the upload's retry loop)."""


class DmaConnection:
    """One DMA-socket connection (the firmware drops idle ones after about a second)."""

    def __init__(self, device: Ultimate, sock: socket.socket, timeout: float):
        self.device = device
        self.sock = sock
        self.timeout = timeout

    def __enter__(self) -> "DmaConnection":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, frame: bytes) -> None:
        try:
            self.sock.sendall(frame)
        except (TimeoutError, socket.timeout):
            raise DmaBroken(f"{self.device.where} stopped taking data on port {self.device.dma_port}") from None
        except OSError as exc:
            raise DmaBroken(f"{self.device.where} closed the DMA connection ({_reason(exc)})") from None

    def _recv_exact(self, n: int, what: str) -> bytes:
        buf = b""
        deadline = time.monotonic() + self.timeout
        while len(buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise DmaBroken(f"{self.device.where} did not answer {what} within {self.timeout:.0f} s")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(n - len(buf))
            except (TimeoutError, socket.timeout):
                continue
            except OSError as exc:
                raise DmaBroken(f"{self.device.where} closed the DMA connection ({_reason(exc)})") from None
            if not chunk:
                raise DmaBroken(f"{self.device.where} closed the DMA connection before answering {what}")
            buf += chunk
        return buf

    def authenticate(self, password: str) -> None:
        wrong = WrongPassword(f"{self.device.where} refused the network password on the DMA service: set the "
                              "profile's password to the device's `Network Password`.")
        try:
            self.send(up.encode_authenticate(password))
            # a failed attempt is answered after a 1 s throttle
            reply = self._recv_exact(1, "the password")
        except DmaBroken:
            raise wrong from None
        if reply[0] != up.AUTH_OK:
            raise wrong

    def identify(self) -> str:
        self.send(up.encode_identify())
        n = self._recv_exact(1, "IDENTIFY")[0]
        return self._recv_exact(n, "IDENTIFY").decode("latin-1") if n else ""


def _legal_reu_size(nbytes: int) -> int:
    for kb in (128, 256, 512, 1024, 2048, 4096, 8192, 16384):
        if nbytes <= kb * 1024:
            return kb * 1024
    raise ReuSettingError(f"the image needs {nbytes} bytes, more than the largest REU (16 MB).")


def _find_ci(mapping: dict, key: str):
    for k, v in mapping.items():
        if isinstance(k, str) and k.lower() == key.lower():
            return v
    return None


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _errors_text(data: bytes) -> str:
    try:
        errors = json.loads(data).get("errors") or []
    except (ValueError, AttributeError):
        return ""
    return f" ({'; '.join(map(str, errors))})" if errors else ""


def _status_remedy(status: int) -> str:
    return {404: "update the firmware (3.11 or later has the REST API)",
            405: "update the firmware (this call needs a newer one)",
            501: "this device does not support the call",
            423: "the device is busy (its menu is open?): close the menu and try again",
            503: "the device is busy: try again"}.get(status, "check the device and try again")


# ---------------------------------------------------------------- options of a story run on a device

READY_TIMEOUT = 30.0  # wall seconds from run_prg to the program's READY
SILENCE_LIMIT = 10.0  # wall seconds of failed polls before the device counts as gone


@dataclass
class UltimateOptions:
    """How to run on the device (the CLI's and the GUI's settings end up here)."""

    fix_reu: bool = False  # set the REU through the configuration API when it does not fit
    skip_upload: bool = False  # the REU already holds this image (a second story on the same device)
    resume_from: int = 0  # first REU byte to send (after an interrupted upload)
    poll_hz: float = 4.0  # status reads per second
    screen_every: int = 4  # read the screen on every n-th poll (0: never)
    ready_timeout: float = READY_TIMEOUT
    silence_limit: float = SILENCE_LIMIT
    upload_retries: int = UPLOAD_RETRIES
