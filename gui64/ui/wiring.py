"""What a click on Generate, Build, Check or a drop on a device runs (on a worker thread): the seam where tests inject their own."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol

from build_chain.blocks import Params
from gui64.events import SessionState, StateChanged
from gui64.settings import Settings


class Runnable(Protocol):
    def run(self, on_event: Callable[[Any], None], cancel: threading.Event) -> Any: ...


@dataclass(frozen=True)
class DeviceTarget:
    """A run sent to a real C64 with an Ultimate (from the Hardware panel) instead of VICE."""

    name: str  # profile name
    profile: Any  # gui64.profiles.Profile
    passwords: Any  # gui64.profiles.PasswordStore (read on the worker: the keyring may block)
    paths: tuple[str, ...]  # dropped .reu (+ optional .prg / .lbl)
    fix_reu: bool = False


@dataclass(frozen=True)
class RunRequest:
    """Everything one story run needs, captured from the window when Generate is pressed (or files are dropped on a device)."""

    params: Params
    emulator: str
    warp: bool
    rom_dir: str | None
    model_files: Any  # gui64.models.ModelFiles, or None when only a weights.reu was picked
    weights_reu: str | None
    target: DeviceTarget | None = None  # None: VICE


SessionFactory = Callable[[RunRequest], Runnable]


def resolve_model_files(settings: Settings):
    """The model files to use: the ones picked/dropped, else the search (gui64.models).

    Raises:
        gui64.models.ModelNotFound: none found (its text says where it looked and what to do).
    """
    from gui64.models import ModelFiles, find_model_files

    if settings.checkpoint and settings.tokenizer and Path(settings.checkpoint).is_file() \
            and Path(settings.tokenizer).is_file():
        return ModelFiles(Path(settings.checkpoint), Path(settings.tokenizer))
    return find_model_files(settings.model_dir or None)


def build_job(model_files) -> Callable:
    """A job for the Build panel: export + cc65 build (cached by content hash); returns the artifacts."""
    from gui64.ui.build_panel import progress_poster

    def job(post, cancel: threading.Event):
        from gui64.artifacts import ensure_artifacts
        return ensure_artifacts(model_files, progress=progress_poster(post))
    return job


@dataclass(frozen=True)
class ArtifactsReady:
    """Posted by the run (before the machine starts) so the window can show the memory maps."""

    artifacts: Any


class DefaultRun:
    """The real run: build what is needed (cached), then a gui64.session.Session in VICE or on a device."""

    def __init__(self, request: RunRequest):
        self.request = request

    def run(self, on_event: Callable[[Any], None], cancel: threading.Event) -> Any:
        from gui64.errors import Gui64Error
        from gui64.events import Failed
        from gui64.ui.build_panel import explain

        try:
            artifacts = self._artifacts(on_event)
        except Gui64Error as exc:
            on_event(Failed(*explain(str(exc))))
            return None
        on_event(ArtifactsReady(artifacts))
        if cancel.is_set():
            on_event(StateChanged(SessionState.STOPPED))
            return None
        return self._session(artifacts).run(on_event, cancel)

    def _artifacts(self, on_event):
        r = self.request
        say = lambda msg: on_event(StateChanged(SessionState.BUILDING, msg))  # noqa: E731
        if r.target is None:
            from gui64.artifacts import ensure_artifacts
            on_event(StateChanged(SessionState.BUILDING, "exporting the model and building the C64 program (cached)"))
            return ensure_artifacts(r.model_files)
        from gui64.artifacts import device_set
        files = {suffix: next((Path(p) for p in r.target.paths if Path(p).suffix.lower() == suffix), None)
                 for suffix in (".reu", ".prg", ".lbl")}
        if files[".reu"] is None or files[".prg"] is None:
            say("building the missing files (cached)")
        return device_set(files[".reu"], files[".prg"], files[".lbl"] if files[".prg"] else None,
                          r.model_files, progress=say)

    def _session(self, artifacts):
        from gui64.session import Session, SessionOptions, UltimateSession

        r = self.request
        if r.target is None:
            options = SessionOptions(emulator=r.emulator, warp=r.warp, roms_dir=r.rom_dir or None)
            return Session(r.params, model_files=r.model_files, options=options, artifacts=artifacts)
        from gui64.machine.ultimate import UltimateOptions
        from gui64.profiles import device_for
        device = device_for(r.target.profile, r.target.passwords)
        return UltimateSession(device, r.params, artifacts.reu, artifacts.prg, artifacts.labels,
                               UltimateOptions(fix_reu=r.target.fix_reu), model_files=r.model_files)


def default_session_factory(request: RunRequest) -> Runnable:
    return DefaultRun(request)


def probe_job(profile, passwords) -> Callable:
    """A job for the Hardware panel's Check: the device's state (gui64.machine.ultimate.DeviceState, never raises)."""

    def job(post, cancel: threading.Event):
        from gui64.profiles import device_for
        return device_for(profile, passwords).probe()
    return job
