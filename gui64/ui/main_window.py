"""The main window: controls, story, mirror, progress, memory maps, the Build and Hardware panels, wired to one run at a time."""

from __future__ import annotations

import base64
import fnmatch
import logging
import threading
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QByteArray, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (QLabel, QMainWindow, QSplitter, QTabWidget, QVBoxLayout, QWidget)

from gui64.events import Failed, Finished, Progress, SessionState, StateChanged, TokenEmitted
from gui64.machine.ultimate import UploadProgress
from gui64.memmap import MemoryMapError, ReuMap, kv_filled_bytes, load_ram_map, load_reu_map, regions_read
from gui64.profiles import PasswordStore, ProfileStore
from gui64.settings import Settings
from gui64.ui.build_panel import BuildPanel, LogLine, ModelBanner, explain
from gui64.ui.controls import RunControls, StoryPane
from gui64.ui.hardware import HardwarePanel
from gui64.ui.jobs import EventBridge, JobThread
from gui64.ui.memview import human_bytes, ram_view, reu_view
from gui64.ui.mirror import ScreenMirror, blank_frame, find_chargen
from gui64.ui.progress import ProgressPanel
from gui64.ui.wiring import (ArtifactsReady, DeviceTarget, RunRequest, SessionFactory, build_job,
                             default_session_factory, probe_job, resolve_model_files)

log = logging.getLogger("gui64.ui")

# Dropped or picked files: pattern -> the setting it selects.
DROP_PATTERNS = (("stories*.bin", "checkpoint"), ("tok*.bin", "tokenizer"), ("*.reu", "weights_reu"))

STATE_TEXT = {
    SessionState.IDLE: "Ready.", SessionState.BUILDING: "Building (export + cc65, cached)…",
    SessionState.STARTING: "Starting the C64 and loading the REU image…", SessionState.BOOTED: "C64 booted.",
    SessionState.ENCODING: "The C64 is reading the prompt…", SessionState.RUNNING: "The C64 is writing…",
    SessionState.DONE: "Done.", SessionState.STOPPED: "Stopped.", SessionState.FAILED: "Failed.",
}


def classify_drop(path: str | Path) -> str | None:
    """The setting a dropped file selects (checkpoint, tokenizer, weights_reu), or None."""
    name = Path(path).name.lower()
    for pattern, setting in DROP_PATTERNS:
        if fnmatch.fnmatch(name, pattern):
            return setting
    return None


class MainWindow(QMainWindow):
    """gui64's window. One story run at a time, on its own worker thread.

    Args:
        settings: loaded settings (saved on Generate and on close).
        session_factory: RunRequest -> object with ``run(on_event, cancel)``; called on the worker.
        build_job_factory: model files -> build job for the Build panel.
        check_models: look for the model files now and show the download/pick banner if missing.
        profiles, passwords: the Hardware panel's stores (default: the user's).
        probe_job_factory: (profile, passwords) -> job returning a DeviceState (the Check button).

    Signals:
        run_started(): a run's worker started.
        run_ended(str): the worker finished; the argument is the final SessionState value.
        message_shown(str, str): a user message (what happened, what to do).
    """

    run_started = Signal()
    run_ended = Signal(str)
    message_shown = Signal(str, str)

    def __init__(self, settings: Settings, session_factory: SessionFactory | None = None,
                 build_job_factory: Callable[[Any], Callable] | None = None, check_models: bool = True,
                 profiles: ProfileStore | None = None, passwords: PasswordStore | None = None,
                 probe_job_factory: Callable[[Any, Any], Callable] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings
        self.session_factory = session_factory or default_session_factory
        self.build_job_factory = build_job_factory or build_job
        self.probe_job_factory = probe_job_factory or probe_job
        self.setWindowTitle("gui64 — Llama2 on a Commodore 64")
        self.setAcceptDrops(True)
        self.run_thread: JobThread | None = None
        self.final_state = SessionState.IDLE
        self.reu_map: ReuMap | None = None
        self.messages: list[tuple[str, str]] = []
        self._side_threads: list[JobThread] = []
        self.device_run: str | None = None  # profile a run was sent to (None: VICE, or no run)
        self._probing: set[str] = set()

        self.bridge = EventBridge(self)
        self.controls = RunControls()
        self.story = StoryPane()
        self.mirror = ScreenMirror()
        self.mirror.show_frame(blank_frame("\n    **** gui64: llama2 on a c64 ****\n\n ready."), immediately=True)
        self.progress = ProgressPanel()
        self.reu = reu_view()
        self.ram = ram_view()
        self.build_panel = BuildPanel(self._make_build_job)
        self.hardware = HardwarePanel(profiles, passwords)
        self.banner = ModelBanner()
        self.banner.hide()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        self._build_layout()
        self._connect()
        self.controls.load(settings)
        self._restore_geometry()
        self.statusBar().showMessage(STATE_TEXT[SessionState.IDLE])
        self._load_chargen()
        if settings.weights_reu:
            self._load_reu_map_beside(settings.weights_reu)
        if check_models:
            QTimer.singleShot(0, self.check_models)

    # -- layout ---------------------------------------------------------------------------------

    def _build_layout(self) -> None:
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(6, 6, 6, 6)
        lv.addWidget(self.controls)
        lv.addWidget(self.progress, 2)
        lv.addWidget(self.story, 3)

        memory = QWidget()
        maps = QSplitter(Qt.Orientation.Horizontal)
        maps.addWidget(self.reu)
        maps.addWidget(self.ram)
        maps.setStretchFactor(0, 3)
        maps.setStretchFactor(1, 2)
        mv = QVBoxLayout(memory)
        mv.setContentsMargins(4, 4, 4, 4)
        mv.addWidget(maps)
        self.tabs = QTabWidget()
        self.tabs.addTab(memory, "Memory")
        self.tabs.addTab(self.build_panel, "Build")
        self.tabs.addTab(self.hardware, "Hardware")

        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.mirror)
        right.addWidget(self.tabs)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)
        right.setSizes([570, 400])  # the mirror at 2x (768 x 544) on a 1280 x 1024 screen
        self.right_splitter = right

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([470, 810])

        central = QWidget()
        cv = QVBoxLayout(central)
        cv.setContentsMargins(0, 0, 0, 0)
        cv.addWidget(self.banner)
        cv.addWidget(self.message)
        cv.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

    def _connect(self) -> None:
        self.controls.generate_requested.connect(self.generate)
        self.controls.stop_requested.connect(self.stop)
        self.bridge.state_changed.connect(self._on_state)
        self.bridge.frame_received.connect(self.mirror.show_frame)
        self.bridge.token_emitted.connect(self._on_token)
        self.bridge.progressed.connect(self._on_progress)
        self.bridge.finished.connect(self._on_finished)
        self.bridge.failed.connect(self._on_failed)
        self.bridge.other_received.connect(self._on_other)
        self.build_panel.built.connect(self._on_built)
        self.build_panel.build_failed.connect(self.show_message)
        self.banner.download_requested.connect(self.download_models)
        self.banner.files_picked.connect(self.select_files)
        self.story.saved.connect(lambda path: self.statusBar().showMessage(f"Story saved to {path}.", 5000))
        self.hardware.check_requested.connect(self.check_device)
        self.hardware.send_requested.connect(self.send_to_device)
        self.tabs.currentChanged.connect(self._on_tab_changed)

    # -- messages -------------------------------------------------------------------------------

    def show_message(self, what: str, todo: str = "") -> None:
        """A two-part message above the panels (what happened, what to do); also logged."""
        self.messages.append((what, todo))
        log.info("message: %s %s", what, todo)
        self.message.setText(f"<b>{what}</b>" + (f"<br>{todo}" if todo else ""))
        self.message.setStyleSheet("QLabel { background: #fde2e1; color: #222; padding: 4px; }")
        self.message.show()
        self.message_shown.emit(what, todo)

    def clear_message(self) -> None:
        self.message.hide()

    # -- model files ----------------------------------------------------------------------------

    def check_models(self) -> bool:
        """Show the download/pick banner when no model files are found; True when they are."""
        from gui64.models import ModelNotFound
        if self.settings.weights_reu and Path(self.settings.weights_reu).is_file():
            self.banner.hide()
            return True
        try:
            resolve_model_files(self.settings)
        except ModelNotFound:
            self.banner.show_missing()
            self.banner.show()
            return False
        self.banner.hide()
        return True

    def select_files(self, paths: list) -> list[str]:
        """Use these files (picked or dropped); returns the settings they changed."""
        changed = []
        for path in paths:
            setting = classify_drop(path)
            if setting is None:
                continue
            setattr(self.settings, setting, str(Path(path).resolve()))
            changed.append(setting)
            if setting == "weights_reu":
                self._load_reu_map_beside(path)
        if changed:
            self.settings.save()
            self.statusBar().showMessage("Selected " + ", ".join(Path(p).name for p in paths
                                                                 if classify_drop(p)) + ".", 5000)
            self.check_models()
        else:
            self.show_message("Those files are not model files.",
                              "Drop stories*.bin (checkpoint), tok*.bin (tokenizer) or a weights .reu image.")
        return changed

    def download_models(self) -> None:
        """Fetch the model files on a worker (progress in the banner, checksums checked)."""
        from gui64.fetch import download_models

        def job(post, cancel):
            return download_models(progress=lambda name, done, total: post(LogLine(name, done, total)), cancel=cancel)

        bridge = EventBridge(self)
        bridge.other_received.connect(
            lambda e: self.banner.show_download(e.text, e.done or 0, e.total) if isinstance(e, LogLine) else None)
        self._side_job(job, bridge, "download", on_done=self._on_downloaded,
                       on_crashed=lambda err: (self.banner.show_missing(err),
                                               self.show_message(f"The download failed: {err}",
                                                                 "Check the network and press Download again, "
                                                                 "or pick the files.")))

    def _on_downloaded(self, files: Any) -> None:
        self.settings.model_dir = str(Path(files.checkpoint).parent)
        self.settings.save()
        self.check_models()
        self.statusBar().showMessage("Model files downloaded and checked.", 5000)

    # -- drag and drop --------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # Qt override
        urls = event.mimeData().urls()
        if any(u.isLocalFile() and classify_drop(u.toLocalFile()) for u in urls):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # Qt override
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        self.select_files(paths)
        event.acceptProposedAction()

    # -- memory maps ----------------------------------------------------------------------------

    def load_reu_map(self, path: str | Path) -> None:
        try:
            self.reu_map = load_reu_map(path)
        except MemoryMapError as exc:
            self.show_message(str(exc))
            return
        self.reu.set_regions(self.reu_map.regions, self.reu_map.reu_size,
                             f"image {human_bytes(self.reu_map.image_size)}")

    def load_ram_map(self, path: str | Path) -> None:
        try:
            regions = load_ram_map(path)
        except MemoryMapError as exc:
            self.show_message(str(exc))
            return
        self.ram.set_regions(regions, 0x10000)

    def _load_reu_map_beside(self, reu_path: str | Path) -> None:
        candidate = Path(reu_path).with_name("reu_map.json")
        if candidate.is_file():
            self.load_reu_map(candidate)

    def _on_built(self, artifacts: Any) -> None:
        if getattr(artifacts, "reu_map", None):
            self.load_reu_map(artifacts.reu_map)
        if getattr(artifacts, "map", None):
            self.load_ram_map(artifacts.map)

    def _make_build_job(self) -> Callable:
        return self.build_job_factory(resolve_model_files(self.settings))

    # -- character ROM --------------------------------------------------------------------------

    def _load_chargen(self) -> None:
        """The Commodore character ROM when VICE (or the ROM folder) has one; else the open one stays."""
        found = find_chargen(self.settings.rom_dir or None)
        if found:
            self.mirror.set_chargen(*found)

    # -- a story run ----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.run_thread is not None

    def make_request(self, target: DeviceTarget | None = None) -> RunRequest:
        """The run the controls describe, in VICE or (``target``) on a device.

        Raises:
            gui64.models.ModelNotFound: no model files and no weights image to go on.
        """
        model_files = None
        weights = self.settings.weights_reu or None
        if target is not None:
            weights = next((p for p in target.paths if p.lower().endswith(".reu")), weights)
        try:
            model_files = resolve_model_files(self.settings)
        except Exception:
            if not weights:
                raise
        return RunRequest(params=self.controls.params(), emulator=self.controls.emulator.currentText(),
                          warp=self.controls.warp.isChecked(), rom_dir=self.settings.rom_dir or None,
                          model_files=model_files, weights_reu=weights, target=target)

    def generate(self) -> None:
        """Start a story run in VICE on a worker thread (ignored while one runs)."""
        self.start_run()

    def send_to_device(self, name: str, paths: list, fix_reu: bool = False) -> None:
        """Start a story run on the Ultimate of profile ``name`` with dropped files (the Hardware panel's drop)."""
        if self.running:
            self.hardware.show_message("A story is running already.", "Stop it, or wait for it to end, then drop again.")
            return
        if name not in self.hardware.store:
            self.hardware.show_message(f"There is no profile {name}.", "Add it first (Add…).")
            return
        target = DeviceTarget(name, self.hardware.store.get(name), self.hardware.passwords,
                              tuple(str(p) for p in paths), fix_reu)
        self.start_run(target)

    def start_run(self, target: DeviceTarget | None = None) -> bool:
        """Start a story run on a worker thread, in VICE or on a device; False when none started."""
        if self.running:
            return False
        self.controls.store(self.settings)
        self.settings.save()
        try:
            request = self.make_request(target)
        except Exception as exc:
            self.show_message(str(exc), "Download the model files or pick them (bar at the top), then Generate.")
            self.check_models()
            return False
        if target is not None:
            self.device_run = target.name
            self.hardware.set_busy(target.name)
        self.clear_message()
        self.final_state = SessionState.STARTING
        self.story.start(request.params.prompt)
        self.progress.start(request.params.steps, request.params.mode)
        self.reu.clear_live()
        self.controls.set_running(True)
        self.statusBar().showMessage(STATE_TEXT[SessionState.STARTING])
        factory = self.session_factory

        def job(post, cancel: threading.Event):
            return factory(request).run(post, cancel)

        self.run_thread = JobThread(job, self.bridge, self, name="session")
        self.run_thread.crashed.connect(lambda err: self._on_failed(Failed(*explain(err))))
        self.run_thread.finished.connect(self._on_run_thread_finished)
        self.run_thread.start()
        self.run_started.emit()
        return True

    def stop(self) -> None:
        """Ask the run to stop (it ends at its next check of the cancel event)."""
        if self.run_thread is not None:
            self.run_thread.cancel()
            self.controls.stop.setEnabled(False)
            self.statusBar().showMessage("Stopping…")

    def _on_run_thread_finished(self) -> None:
        thread, self.run_thread = self.run_thread, None
        if thread is not None:
            if thread.cancel_event.is_set() and self.final_state not in (SessionState.DONE, SessionState.FAILED):
                self.final_state = SessionState.STOPPED
                self.progress.stop("stopped")
            thread.deleteLater()
        self.controls.set_running(False)
        self.mirror.flush()
        self.reu.clear_live()
        if self.final_state not in (SessionState.DONE, SessionState.FAILED, SessionState.STOPPED):
            self.final_state = SessionState.DONE
        self.statusBar().showMessage(STATE_TEXT[self.final_state])
        if self.device_run is not None:
            name, self.device_run = self.device_run, None
            self.hardware.set_busy(None)
            if self.final_state == SessionState.FAILED and self.messages:
                self.hardware.show_message(*self.messages[-1])
            else:
                self.hardware.show_message(f"{name}: {STATE_TEXT[self.final_state]}")
        self.run_ended.emit(self.final_state.value)

    def _on_state(self, event: StateChanged) -> None:
        self.final_state = event.state
        text = STATE_TEXT.get(event.state, event.state.value)
        self.statusBar().showMessage(f"{text} {event.detail}".strip())

    def _on_token(self, event: TokenEmitted) -> None:
        self.story.append(event.text)
        self.progress.on_token(event)

    def _on_progress(self, event: Progress) -> None:
        self.progress.on_progress(event)
        if self.reu_map is not None:
            seq_len = self.reu_map.seq_len
            fill = {r.name: kv_filled_bytes(r, seq_len, event.position, event.layer)
                    for r in self.reu_map.regions if r.kind == "kv-cache"}
            self.reu.set_live(regions_read(self.reu_map.regions, event.layer, event.phase), fill)

    def _on_other(self, event: Any) -> None:
        if isinstance(event, ArtifactsReady):
            self._on_built(event.artifacts)
        elif isinstance(event, UploadProgress):
            self.hardware.show_upload(event)

    def _on_finished(self, event: Finished) -> None:
        self.final_state = SessionState.DONE
        self.progress.finish()
        secs = event.cycles_total / 985_248
        self.statusBar().showMessage(f"Done: {len(event.tokens)} tokens in {event.wall_s:.1f} s here "
                                     f"({secs / 60:.1f} min on a real C64).")

    def _on_failed(self, event: Failed) -> None:
        self.final_state = SessionState.FAILED
        self.progress.stop("failed")
        self.show_message(event.reason, event.remedy)

    # -- hardware -------------------------------------------------------------------------------

    def check_device(self, name: str) -> None:
        """Probe a profile's device on a worker and show what it found in the Hardware panel."""
        if name in self._probing or name not in self.hardware.store:
            return
        self._probing.add(name)
        self._side_job(self.probe_job_factory(self.hardware.store.get(name), self.hardware.passwords), None,
                       f"probe {name}", on_done=lambda state: (self._probing.discard(name),
                                                               self.hardware.set_state(name, state)),
                       on_crashed=lambda err: (self._probing.discard(name),
                                               self.hardware.show_message(f"Checking {name} failed: {err}")))

    def _on_tab_changed(self, index: int) -> None:
        """The first look at the Hardware panel checks the profiles not checked yet."""
        if self.tabs.widget(index) is self.hardware:
            for p in self.hardware.store:
                if p.name not in self.hardware.states:
                    self.check_device(p.name)

    # -- side jobs (download, ROMs, device checks) -----------------------------------------------

    def _side_job(self, job, bridge: EventBridge | None, name: str, on_done: Callable[[Any], Any] | None = None,
                  on_crashed: Callable[[str], Any] | None = None) -> JobThread:
        """Start a job on its own thread; ``on_done(result)`` / ``on_crashed(message)`` run on the GUI thread.

        The handlers are connected before the thread starts: a quick job (a device check that is
        refused at once) may finish before the caller could connect them afterwards.
        """
        thread = JobThread(job, bridge, self, name=name)
        self._side_threads.append(thread)
        thread.finished.connect(lambda: self._side_threads.remove(thread) if thread in self._side_threads else None)
        if on_done is not None:
            thread.done.connect(on_done)
        if on_crashed is not None:
            thread.crashed.connect(on_crashed)
        thread.start()
        return thread

    # -- geometry and close ---------------------------------------------------------------------

    def _restore_geometry(self) -> None:
        if self.settings.window_geometry:
            self.restoreGeometry(QByteArray(base64.b64decode(self.settings.window_geometry)))
        else:
            self.resize(1280, 960)
        if self.settings.window_state:
            self.splitter.restoreState(QByteArray(base64.b64decode(self.settings.window_state)))

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt override
        self.shutdown()
        self.settings.window_geometry = base64.b64encode(bytes(self.saveGeometry().data())).decode()
        self.settings.window_state = base64.b64encode(bytes(self.splitter.saveState().data())).decode()
        self.controls.store(self.settings)
        self.settings.save()
        super().closeEvent(event)

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """Cancel every worker and wait for them (each job checks its cancel event)."""
        threads = ([self.run_thread] if self.run_thread else []) + list(self._side_threads)
        for thread in threads:
            thread.cancel()
        for thread in threads:
            thread.wait(timeout_ms)
        self.build_panel.shutdown(timeout_ms)
