"""The story-run backend on a real C64 with an Ultimate: preflight, REU upload, run_prg, readmem polls.

Implements gui64.machine.backend.Backend with gui64.machine.ultimate.Ultimate. ``run_prg`` resets
the C64, so the parameter block goes in only once the program reports READY
(``params_at_ready``); the session does that with ``write``. A poll that gets no answer is
retried until ``silence_limit`` seconds have passed, then DeviceSilent is raised.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from build_chain.blocks import STATUS_SIZE
from gui64.machine.backend import Post, Say, Snapshot
from gui64.machine.ultimate import (DeviceSilent, Preflight, ServiceOff, Ultimate, UltimateError, UltimateOptions,
                                    Unreachable, UploadInterrupted, UploadReport, human_bytes)


class UltimateBackend:
    """One Ultimate device for one story.

    Args:
        device: the client (host, ports, password).
        options: UltimateOptions (its poll_hz / screen_every are the session's to use).

    Attributes:
        preflight_result: what the preflight found (after ``prepare``).
        upload_report: bytes, seconds and retries of the upload (None when skipped).
    """

    params_at_ready = True

    def __init__(self, device: Ultimate, options: UltimateOptions | None = None):
        self.device = device
        self.options = options or UltimateOptions()
        self.name = device.where
        self.start_timeout = self.options.ready_timeout
        self.preflight_result: Preflight | None = None
        self.upload_report: UploadReport | None = None
        self._say: Say = lambda _msg: None

    def find(self) -> None:
        """Nothing to find locally: the device is checked in ``prepare`` (it needs the image size)."""

    def describe(self) -> str:
        return f"checking {self.device.host}"

    def prepare(self, image: Path, say: Say, post: Post, cancel: threading.Event) -> None:
        """Preflight (REU big enough, services on, password), then upload ``image`` unless told not to.

        Raises:
            Unreachable, ServiceOff, WrongPassword, ReuSettingError, UploadInterrupted, UltimateError;
            BuildChainError: the image header is damaged.
        """
        from build_chain.reu_format import MAGIC, read_header

        self._say = say
        opts, dev = self.options, self.device
        data = Path(image).read_bytes()
        needed = read_header(image).reu_size if data[:len(MAGIC)] == MAGIC else len(data)
        self.preflight_result = pre = dev.preflight(needed, fix_reu=opts.fix_reu, say=say)
        say(pre.summary())
        if cancel.is_set() or opts.skip_upload:
            return
        say(f"uploading {Path(image).name} ({human_bytes(len(data))}) into the REU")
        try:
            self.upload_report = r = dev.upload_reu(data, progress=post, cancel=cancel, start=opts.resume_from,
                                                    retries=opts.upload_retries)
        except UploadInterrupted:
            if cancel.is_set():
                return
            raise
        say(f"uploaded {human_bytes(r.total)} in {r.seconds:.1f} s ({human_bytes(r.bytes_per_s)}/s)")

    def start_program(self, prg: bytes, entry: int, status_addr: int, params: tuple[int, bytes]) -> str:
        """Clear a stale status block (RAM survives a reset), then reset + load + RUN.

        The parameter block is not written here: the reset and the KERNAL start-up would
        overwrite it; the session writes it once the program reports READY.
        """
        self.device.writemem(status_addr, bytes(STATUS_SIZE))
        self.device.run_prg(prg)
        return f"the program started on {self.device.host}"

    def write(self, address: int, data: bytes) -> None:
        self.device.writemem(address, data)

    def poll(self, status_addr: int | None, status_size: int, screen: bool = True) -> Snapshot:
        """One poll, retried while the device is silent for less than the silence limit.

        Raises:
            DeviceSilent: no answer for ``silence_limit`` seconds.
        """
        first_failure = None
        limit = self.options.silence_limit
        while True:
            try:
                return self.device.poll(status_addr, status_size, screen=screen)
            except (Unreachable, ServiceOff) as exc:
                now = time.monotonic()
                if first_failure is None:
                    first_failure = now
                    self._say(f"{self.device.host} is not answering; retrying")
                if now - first_failure >= limit:
                    raise DeviceSilent(f"{self.device.where} stopped answering during the story ({exc})") from None
                time.sleep(min(1.0, limit / 5))

    def alive(self) -> bool:
        return True  # a device cannot be seen to die; silence is DeviceSilent

    def describe_exit(self) -> str:
        return f"{self.device.where} is not answering"

    def start_failed(self, status_addr: int) -> UltimateError:
        return UltimateError(
            f"the C64 program did not report READY within {self.start_timeout:.0f} s of "
            f"starting on {self.device.host} (no status block at ${status_addr:04X}): check the C64's "
            "screen; a cartridge or a fast loader may be in the way (disable it and try again).")

    def stop(self) -> None:
        """Nothing to stop: the C64 keeps whatever it was doing (reset it from the Ultimate's menu)."""
