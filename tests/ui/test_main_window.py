"""The main window driven like a user: a scripted session's events reach the story, progress, ETA and maps."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import Qt, QTimer

from build_chain.blocks import Phase
from gui64.events import Failed, Progress, SessionState, StateChanged, TokenEmitted
from gui64.settings import Settings
from gui64.ui.build_panel import LogLine
from gui64.ui.main_window import classify_drop

import fakes
DATA = Path(__file__).parent / "data"

PROMPT = "Once upon a time"


def test_generate_runs_the_session_off_the_gui_thread_and_fills_story_and_progress(qtbot, make_window):
    sessions = []

    def factory(request):
        sessions.append(fakes.ScriptedSession(fakes.story_events(request.params.prompt)))
        return sessions[-1]
    window = make_window(factory)
    window.controls.prompt.setText(PROMPT)
    with qtbot.waitSignal(window.run_ended, timeout=10_000) as ended:
        qtbot.mouseClick(window.controls.generate, Qt.MouseButton.LeftButton)
    assert ended.args == [SessionState.DONE.value]
    assert sessions[0].ran_on is not threading.main_thread()
    assert window.story.text() == PROMPT + "".join(fakes.STORY_PIECES)
    steps = len(fakes.STORY_PIECES)
    assert (window.progress.overall.value(), window.progress.overall.maximum()) == (steps, steps)
    assert window.progress.eta_label.text() == "ETA: done"
    assert "Lily" in window.mirror.text()
    assert window.controls.generate.isEnabled() and not window.controls.stop.isEnabled()


def test_progress_and_eta_move_while_tokens_arrive_and_stop_ends_the_run(qtbot, make_window):
    events = fakes.story_events(PROMPT, finish=False)
    cut = next(i for i, e in enumerate(events) if isinstance(e, TokenEmitted) and e.index == 6) + 1
    session = fakes.ScriptedSession(events[:cut], hold_until_cancel=True)
    window = make_window(lambda request: session)
    seen_eta = []
    window.bridge.progressed.connect(lambda e: seen_eta.append(window.progress.eta_label.text()))
    window.generate()
    qtbot.waitUntil(lambda: window.progress.overall.value() == 7, timeout=10_000)
    assert window.story.text().endswith(" named Lily")
    assert window.running and window.controls.stop.isEnabled()
    eta = window.progress.eta_label.text()
    assert "on a real C64 (PAL)" in eta and "here" in eta
    assert len(set(seen_eta)) > 10  # the ETA changed as progress arrived
    assert "attention" in window.progress.within.format() or "feed-forward" in window.progress.within.format()
    assert len(window.progress.points.getData()[0]) == 7  # one plotted point per measured token
    with qtbot.waitSignal(window.run_ended, timeout=10_000) as ended:
        qtbot.mouseClick(window.controls.stop, Qt.MouseButton.LeftButton)
    assert ended.args == [SessionState.STOPPED.value]
    assert session.cancelled.is_set()
    assert window.story.text().endswith(" named Lily")  # the story so far is kept


def test_window_stays_responsive_while_a_run_blocks(qtbot, make_window):
    release = threading.Event()

    class Blocking:
        def run(self, on_event, cancel):
            on_event(StateChanged(SessionState.RUNNING))
            while not cancel.wait(0.05) and not release.is_set():
                pass  # a session polling VICE
    window = make_window(lambda request: Blocking())
    with qtbot.waitSignal(window.run_started, timeout=2000):
        window.generate()
    ticks = []
    timer = QTimer(window)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(20)
    qtbot.waitUntil(lambda: len(ticks) >= 5, timeout=2000)  # the event loop runs while the job blocks
    frame = fakes.frame_showing("still drawing")
    with qtbot.waitSignal(window.mirror.repainted, timeout=2000):
        window.bridge.post(frame)
    assert "still drawing" in window.mirror.text()
    assert window.running
    with qtbot.waitSignal(window.run_ended, timeout=5000):
        window.stop()
    timer.stop()


def test_reu_view_lists_the_regions_and_highlights_what_is_read(qtbot, make_window):
    window = make_window()
    window.load_reu_map(DATA / "reu_map.json")
    names = [r.name for r in window.reu.regions]
    assert names == ["header", "tok.strings", "tab.exp", "emb", "L0.wq", "L0.w1", "L1.wq", "L1.w1", "cls",
                     "kv.k.L0", "kv.v.L0", "kv.k.L1", "kv.v.L1", "pad", "free"]
    assert "used 176 KB" in window.reu.legend.text() and "free 80 KB of 256 KB" in window.reu.legend.text()
    assert window.reu.describe_at(50_000).startswith("L0.wq (weights, layer 0): $00C000")
    with qtbot.waitSignal(window.bridge.progressed, timeout=2000):
        window.bridge.post(Progress(position=9, layer=1, n_layers=2, phase=int(Phase.ATTENTION), tokens_done=3,
                                    tokens_requested=10, n_prompt=6, cycles=1000))
    assert window.reu.highlighted_names == ["kv.k.L1", "kv.v.L1"]
    kv = window.reu._fill
    filled = {window.reu.regions[i].name: n for i, n in kv.items()}
    assert filled == {"kv.k.L0": 10 * 32, "kv.v.L0": 10 * 32, "kv.k.L1": 10 * 32, "kv.v.L1": 10 * 32}


def test_reu_view_shows_the_real_export(qtbot, make_window, tmp_path, model_files):
    from build_chain.export import export_model
    result = export_model(model_files.checkpoint, model_files.tokenizer, tmp_path / "export")
    window = make_window()
    window.load_reu_map(result.reu_map)
    names = {r.name for r in window.reu.regions}
    assert {"header", "emb", "cls", "L0.wq", "L4.w2", "kv.k.L0", "kv.v.L4"} <= names
    import json
    kv = sum(r["length"] for r in json.loads(result.reu_map.read_text())["regions"] if r["kind"] == "kv-cache")
    assert f"kv-cache {kv // 1024} KB" in window.reu.legend.text()


def test_ram_view_shows_the_linker_map(qtbot, make_window):
    window = make_window()
    window.load_ram_map(DATA / "llama64.map")
    assert {"CODE", "TABLES", "BSS", "screen RAM", "free"} <= {r.name for r in window.ram.regions}
    assert window.ram.describe_at(0x4100).startswith("TABLES (tables): $4000–$5FFF, 8 KB")


def test_a_failure_shows_what_happened_and_what_to_do_and_keeps_the_story(qtbot, make_window):
    events = fakes.story_events(PROMPT, finish=False)[:40]
    events.append(Failed("VICE closed the monitor connection.", "The story so far is kept; press Generate.",
                         text_so_far="Once upon a time there"))
    window = make_window(lambda request: fakes.ScriptedSession(events))
    with qtbot.waitSignal(window.run_ended, timeout=5000) as ended:
        window.generate()
    assert window.messages == [("VICE closed the monitor connection.", "The story so far is kept; press Generate.")]
    assert ended.args == [SessionState.FAILED.value]
    assert window.message.isVisible() and "press Generate" in window.message.text()
    assert window.story.text().startswith(PROMPT)


def test_a_crashing_session_becomes_a_message(qtbot, make_window):
    class Broken:
        def run(self, on_event, cancel):
            raise RuntimeError("x64 not found on PATH: install the Debian package `vice`.")
    window = make_window(lambda request: Broken())
    with qtbot.waitSignal(window.run_ended, timeout=5000):
        window.generate()
    assert window.messages[-1][0].startswith("x64 not found")


def test_settings_are_saved_on_generate_and_on_close(qtbot, make_window):
    window = make_window(lambda request: fakes.ScriptedSession([]))
    window.controls.prompt.setText("A cat sat")
    window.controls.steps.setValue(17)
    window.controls.emulator.setCurrentText("x64sc")
    window.controls.warp.setChecked(False)
    with qtbot.waitSignal(window.run_ended, timeout=5000):
        window.generate()
    stored = Settings.load()
    assert (stored.prompt, stored.steps, stored.emulator, stored.warp) == ("A cat sat", 17, "x64sc", False)
    window.controls.temperature.setValue(0.3)
    window.close()
    stored = Settings.load()
    assert stored.temperature == 0.3 and stored.window_geometry


def test_dropped_model_files_are_selected(qtbot, make_window, tmp_path):
    assert [classify_drop(p) for p in ("stories15M.bin", "tok512.bin", "weights.reu", "notes.txt")] \
        == ["checkpoint", "tokenizer", "weights_reu", None]
    (tmp_path / "weights.reu").write_bytes(b"\0" * 16)
    (tmp_path / "reu_map.json").write_bytes((DATA / "reu_map.json").read_bytes())
    window = make_window()
    changed = window.select_files([str(tmp_path / "stories260K.bin"), str(tmp_path / "weights.reu")])
    assert changed == ["checkpoint", "weights_reu"]
    assert Settings.load().weights_reu == str((tmp_path / "weights.reu").resolve())
    assert "kv.k.L1" in {r.name for r in window.reu.regions}  # its map, beside it, is shown


def test_build_panel_runs_the_build_job_and_loads_the_maps(qtbot, make_window):
    class Built:
        reu_map = DATA / "reu_map.json"
        map = DATA / "llama64.map"
        prg = DATA / "llama64.prg"

    def build_factory(model_files):
        def job(post, cancel):
            post(LogLine("exporting the model into an REU image"))
            post(LogLine("building the C64 program with cc65"))
            return Built()
        return job
    window = make_window(build_job_factory=build_factory)
    with qtbot.waitSignal(window.build_panel.built, timeout=5000):
        qtbot.mouseClick(window.build_panel.button, Qt.MouseButton.LeftButton)
    assert "building the C64 program with cc65" in window.build_panel.log_view.toPlainText()
    assert "kv.v.L1" in {r.name for r in window.reu.regions}
    assert "CODE" in {r.name for r in window.ram.regions}


def test_build_errors_say_how_to_fix_them(qtbot, make_window):
    def build_factory(model_files):
        def job(post, cancel):
            raise RuntimeError("cl65 not found on PATH: install the Debian package `cc65`.")
        return job
    window = make_window(build_job_factory=build_factory)
    with qtbot.waitSignal(window.build_panel.build_failed, timeout=5000) as failed:
        window.build_panel.start()
    assert "apt install cc65" in failed.args[1]
    assert "cl65 not found" in window.build_panel.status.text()


def test_without_model_files_the_window_offers_download_and_hides_the_offer_after_it(qtbot, make_window, tmp_path,
                                                                                       monkeypatch):
    import gui64.fetch
    import gui64.models
    from gui64.models import ModelFiles
    monkeypatch.setattr(gui64.models, "dev_model_dirs", lambda: [])
    monkeypatch.setattr(gui64.models, "user_model_dir", lambda: tmp_path / "models")
    monkeypatch.delenv("GUI64_MODEL_DIR", raising=False)
    calls = []

    def fake_download(dest=None, progress=None, cancel=None, **kwargs):
        calls.append(threading.current_thread())
        folder = tmp_path / "models"
        folder.mkdir()
        for name in ("stories260K.bin", "tok512.bin"):
            progress(name, 512, 1024)
            (folder / name).write_bytes(b"x")
            progress(name, 1024, 1024)
        return ModelFiles(folder / "stories260K.bin", folder / "tok512.bin")
    monkeypatch.setattr(gui64.fetch, "download_models", fake_download)
    window = make_window()
    assert window.check_models() is False
    assert window.banner.isVisible() and "not here yet" in window.banner.text.text()
    qtbot.mouseClick(window.banner.download, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.banner.isVisible(), timeout=5000)
    assert calls and calls[0] is not threading.main_thread()
    assert Settings.load().model_dir == str(tmp_path / "models")


def test_hovering_the_reu_view_names_the_region(qtbot, make_window):
    from PySide6.QtCore import QPointF
    window = make_window()
    window.load_reu_map(DATA / "reu_map.json")
    vb = window.reu.plot.getViewBox()
    scene_point = vb.mapViewToScene(QPointF(0.8, 1.5))  # bank 1, 51.2 KB in: offset 115 KB, inside kv.k.L0
    with qtbot.waitSignal(window.reu.hovered, timeout=2000) as hovered:
        window.reu.plot.scene().sigMouseMoved.emit(scene_point)
    assert hovered.args[0].startswith("kv.k.L0 (kv-cache, layer 0): $01C000")
    assert "16 KB" in window.reu.info.text()


def test_story_can_be_saved_and_copied(qtbot, make_window, tmp_path):
    from PySide6.QtGui import QGuiApplication
    window = make_window()
    window.story.start(PROMPT)
    for piece in fakes.STORY_PIECES[:3]:
        window.story.append(piece)
    with qtbot.waitSignal(window.story.saved, timeout=2000):
        window.story.save_as(str(tmp_path / "story.txt"))
    assert (tmp_path / "story.txt").read_text() == "Once upon a time there was a"
    window.story.copy_all()
    assert QGuiApplication.clipboard().text() == "Once upon a time there was a"
