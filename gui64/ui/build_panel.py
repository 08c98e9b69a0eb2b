"""The Build panel (export + cc65 build on a worker, with progress and a log) and the model banner (download or pick)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QFileDialog, QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QProgressBar, QPushButton,
                               QVBoxLayout, QWidget)

from gui64.ui.jobs import EventBridge, JobThread

log = logging.getLogger("gui64.ui.build")


@dataclass(frozen=True)
class LogLine:
    """A line for a panel's log (posted by a job through the bridge)."""

    text: str
    done: int | None = None  # progress, when known
    total: int | None = None


def progress_poster(post: Callable[[Any], None]) -> Callable[..., None]:
    """A ``progress=`` callback for library calls that posts LogLine events, whatever it is called with.

    Accepts ``(text)``, ``(stage, done, total)``, ``(name, done, total)`` or any object.
    """
    def progress(*args: Any, **kwargs: Any) -> None:
        if len(args) == 3 and isinstance(args[1], int):
            name, done, total = args
            post(LogLine(f"{name}: {done}" + (f" / {total}" if total else ""), done, total))
        else:
            post(LogLine(" ".join(str(a) for a in args) or str(kwargs)))
    return progress


def explain(error: str) -> tuple[str, str]:
    """(what happened, what to do) for an error sentence from the build, the download or a run."""
    low = error.lower()
    tools = ("cl65", "ca65", "ld65", "cc65")
    if "not found" in low and any(t in low for t in tools):
        return error, "Install the cc65 package (Debian/Ubuntu: sudo apt install cc65), then try again."
    if ("x64" in low or "vice" in low) and "not found" in low:
        return error, "Install VICE (Debian: the vice package from contrib), then try again."
    if "build failed" in low or "compile" in low or any(t in low for t in tools):
        return error, "The C64 program did not build; the Build tab's log has the compiler's words."
    if "stories260k.bin" in low or "tok512.bin" in low or "model files" in low:
        return error, "Download the model files or pick them (the bar at the top of the window)."
    return error, "Check the log, fix what it names, and try again."


class BuildPanel(QWidget):
    """Export + build with progress and a log. The job comes from ``job_factory()`` and runs on a worker.

    The job's result is the artifacts object (reu, reu_map, prg, labels, map paths).

    Signals:
        built(object): the build finished; the argument is the artifacts.
        build_failed(str, str): what happened, what to do.
    """

    built = Signal(object)
    build_failed = Signal(str, str)

    def __init__(self, job_factory: Callable[[], Callable] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.job_factory = job_factory
        self.thread: JobThread | None = None
        self.bridge = EventBridge(self)
        self.bridge.other_received.connect(self._on_line)
        self.button = QPushButton("Build")
        self.button.setToolTip("Export the model to an REU image and build the C64 program (cached)")
        self.button.clicked.connect(self.start)
        self.status = QLabel("Not built yet.")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.log_view = QPlainTextEdit()
        self.log_view.setReadOnly(True)
        self.log_view.setMaximumBlockCount(5000)
        top = QHBoxLayout()
        top.addWidget(self.button)
        top.addWidget(self.bar, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.log_view, 1)

    @property
    def running(self) -> bool:
        return self.thread is not None

    def log(self, text: str) -> None:
        self.log_view.appendPlainText(f"{time.strftime('%H:%M:%S')}  {text}")

    def start(self) -> None:
        """Run the build on a worker thread (nothing happens while one runs)."""
        if self.thread is not None or self.job_factory is None:
            return
        try:
            job = self.job_factory()
        except Exception as exc:  # e.g. no model files: say so, do not start
            self._fail(str(exc))
            return
        self.button.setEnabled(False)
        self.bar.setRange(0, 0)  # busy
        self.status.setText("Building…")
        self.log("Build started.")
        self.thread = JobThread(job, self.bridge, self, name="build")
        self.thread.done.connect(self._on_done)
        self.thread.crashed.connect(self._fail)
        self.thread.finished.connect(self._on_thread_finished)
        self.thread.start()

    def _on_line(self, event: Any) -> None:
        if isinstance(event, LogLine):
            self.log(event.text)
            if event.total:
                self.bar.setRange(0, event.total)
                self.bar.setValue(event.done or 0)

    def _on_done(self, artifacts: Any) -> None:
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        where = getattr(artifacts, "prg", None)
        self.status.setText(f"Built: {Path(where).parent if where else artifacts}")
        self.log("Build finished.")
        self.built.emit(artifacts)

    def _fail(self, error: str) -> None:
        what, todo = explain(error)
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.status.setText(f"<b>{what}</b><br>{todo}")
        self.log(f"Failed: {what}")
        self.build_failed.emit(what, todo)

    def _on_thread_finished(self) -> None:
        self.button.setEnabled(True)
        if self.thread is not None:
            self.thread.deleteLater()
        self.thread = None

    def shutdown(self, timeout_ms: int = 5000) -> None:
        if self.thread is not None:
            self.thread.cancel()
            self.thread.wait(timeout_ms)


class ModelBanner(QFrame):
    """Shown when the model files are missing: download them (progress, checksum) or pick local files.

    Signals:
        download_requested(): the user chose Download.
        files_picked(list): the user picked these files.
    """

    download_requested = Signal()
    files_picked = Signal(list)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("ModelBanner { background: #fff4cc; color: #222; } QLabel { color: #222; }")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.download = QPushButton("Download (about 1 MB)")
        self.download.clicked.connect(self.download_requested)
        self.pick = QPushButton("Pick files…")
        self.pick.clicked.connect(self._pick)
        self.bar = QProgressBar()
        self.bar.hide()
        layout = QHBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.bar)
        layout.addWidget(self.download)
        layout.addWidget(self.pick)
        self.show_missing()

    def show_missing(self, detail: str = "") -> None:
        self.text.setText("<b>The model files (stories260K.bin, tok512.bin) are not here yet.</b> "
                          "Download them, pick them, or drop them on this window." + (f"<br>{detail}" if detail else ""))
        self.bar.hide()
        self.download.setEnabled(True)

    def show_download(self, name: str, done: int, total: int | None) -> None:
        self.bar.show()
        self.download.setEnabled(False)
        self.bar.setRange(0, total or 0)
        self.bar.setValue(done)
        self.text.setText(f"Downloading {name}…")

    def _pick(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Pick the model files", "",
                                                "Model files (stories*.bin tok*.bin *.reu);;All files (*)")
        if paths:
            self.files_picked.emit(paths)
