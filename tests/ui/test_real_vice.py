"""The real window with the real pipeline: export, cc65 build, VICE x64 running llama64.prg (issue 5)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer

from gui64.events import SessionState


def _vice_processes() -> list[int]:
    """PIDs of the VICE processes this test process started (children running x64)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == os.getpid() and b"x64" in cmdline:
                pids.append(int(entry.name))
    return pids


@pytest.mark.vice
def test_a_story_written_in_vice_shows_in_the_story_pane_and_the_mirror(qtbot, make_window, model_files, tokenizer):
    from build_chain.twin import Twin
    from gui64.artifacts import ensure_artifacts

    window = make_window()
    window.controls.prompt.setText("Zoo")
    window.controls.steps.setValue(4)
    window.controls.temperature.setValue(0.0)
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(50)
    moved = []
    window.bridge.progressed.connect(lambda e: moved.append(window.progress.eta_label.text()))
    with qtbot.waitSignal(window.run_ended, timeout=300_000) as ended:
        qtbot.mouseClick(window.controls.generate, Qt.MouseButton.LeftButton)
    timer.stop()
    assert ended.args == [SessionState.DONE.value]
    ids = tokenizer.encode("Zoo")
    want = Twin(ensure_artifacts(model_files).reu).generate(ids, 4)
    story = tokenizer.decode_all(ids + want)
    assert window.story.text() == story
    assert story.split()[-1] in window.mirror.text()
    assert window.progress.overall.value() == 4
    assert len(set(moved)) > 1  # the ETA moved while the C64 worked
    assert len(ticks) > 10  # the GUI thread kept running its timers during the story
    assert {r.name for r in window.reu.regions} >= {"L0.wq", "kv.k.L0"}  # the REU view shows the exported model


@pytest.mark.vice
def test_stop_mid_story_keeps_the_text_and_leaves_no_vice_process(qtbot, make_window):
    window = make_window()
    window.controls.prompt.setText("Once upon a time")
    window.controls.steps.setValue(200)
    window.generate()
    qtbot.waitUntil(lambda: len(window.story.text()) > len("Once upon a time") + 3, timeout=300_000)
    assert _vice_processes()
    kept = window.story.text()
    with qtbot.waitSignal(window.run_ended, timeout=30_000) as ended:
        qtbot.mouseClick(window.controls.stop, Qt.MouseButton.LeftButton)
    assert ended.args == [SessionState.STOPPED.value]
    assert window.story.text().startswith(kept)
    qtbot.waitUntil(lambda: not _vice_processes(), timeout=10_000)
