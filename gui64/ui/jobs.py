"""Long work off the GUI thread: one worker QThread per job, and the bridge that re-emits session events as signals."""

from __future__ import annotations

import logging
import threading
import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, QThread, Signal, Slot

from gui64.events import Failed, Finished, Progress, ScreenFrame, StateChanged, TokenEmitted

log = logging.getLogger("gui64.ui.jobs")

# A job: blocking work that reports plain-Python events and stops soon after ``cancel`` is set.
JobFn = Callable[[Callable[[Any], None], threading.Event], Any]


class EventBridge(QObject):
    """Takes plain-Python session events on any thread and re-emits them as queued, typed signals.

    ``post`` may be called from the worker thread; the bridge lives on the GUI thread, so its
    ``posted`` signal is delivered there (queued) and fanned out by event type.

    Signals:
        state_changed(StateChanged), frame_received(ScreenFrame), token_emitted(TokenEmitted),
        progressed(Progress), finished(Finished), failed(Failed), other_received(object).
    """

    posted = Signal(object)
    state_changed = Signal(object)
    frame_received = Signal(object)
    token_emitted = Signal(object)
    progressed = Signal(object)
    finished = Signal(object)
    failed = Signal(object)
    other_received = Signal(object)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.posted.connect(self._dispatch)

    def post(self, event: Any) -> None:
        """Hand over one event (thread-safe)."""
        self.posted.emit(event)

    @Slot(object)
    def _dispatch(self, event: Any) -> None:
        signal = {
            StateChanged: self.state_changed, ScreenFrame: self.frame_received,
            TokenEmitted: self.token_emitted, Progress: self.progressed,
            Finished: self.finished, Failed: self.failed,
        }.get(type(event), self.other_received)
        signal.emit(event)


class JobThread(QThread):
    """Runs one job on its own thread; ``cancel()`` sets the job's threading.Event.

    The job's events go to ``bridge.post``. An exception the job does not handle becomes
    ``crashed(message)``; its return value arrives in ``done(result)``.

    Signals:
        done(object): the job returned (also after a cancel), with its result.
        crashed(str): the job raised; the text is the exception's sentence.
    """

    done = Signal(object)
    crashed = Signal(str)

    def __init__(self, job: JobFn, bridge: EventBridge | None = None, parent: QObject | None = None,
                 name: str = "job"):
        super().__init__(parent)
        self.setObjectName(name)
        self._job = job
        self._bridge = bridge
        self.cancel_event = threading.Event()

    def cancel(self) -> None:
        self.cancel_event.set()

    def run(self) -> None:  # Qt override: runs on the worker thread
        post = self._bridge.post if self._bridge is not None else (lambda event: None)
        try:
            result = self._job(post, self.cancel_event)
        except Exception as exc:  # the edge: turn anything into a message for the window
            if _expected(exc):  # our own errors carry the user's sentence; no traceback needed
                log.info("%s failed: %s", self.objectName(), exc)
            else:
                log.error("%s failed:\n%s", self.objectName(), traceback.format_exc())
            self.crashed.emit(str(exc) or type(exc).__name__)
            return
        self.done.emit(result)


def _expected(exc: Exception) -> bool:
    """True for the project's own error families (their str() is the user's sentence)."""
    from build_chain.errors import BuildChainError
    from gui64.errors import Gui64Error
    return isinstance(exc, (Gui64Error, BuildChainError))
