"""Take resources/screenshot.png: the real window (xcb under Xvfb) mid-story, fed a scripted run.

    QT_QPA_PLATFORM=xcb xvfb-run -a -s '-screen 0 1280x1024x24' .venv/bin/python tests/ui/make_screenshot.py [OUT]

Until the real session exists the events come from tests/ui/fakes.py; the REU map is the real
export of stories260K when the exporter is importable, else the fixture beside this file.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("GUI64_CONFIG_DIR", tempfile.mkdtemp(prefix="gui64-shot-"))

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

import fakes  # noqa: E402
from gui64.settings import Settings  # noqa: E402
from gui64.ui.main_window import MainWindow  # noqa: E402


def reu_map_path() -> Path:
    try:
        from build_chain.export import export_model
        from gui64.models import find_model_files
        files = find_model_files()
        out = Path(tempfile.mkdtemp(prefix="gui64-shot-reu-"))
        return export_model(files.checkpoint, files.tokenizer, out).reu_map
    except Exception as exc:  # fall back to the hand-written fixture
        print(f"using the fixture map ({exc})", file=sys.stderr)
        return HERE / "data" / "reu_map.json"


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[1] / "resources" / "screenshot.png"
    app = QApplication.instance() or QApplication(sys.argv[:1])
    events = fakes.story_events(pieces=fakes.STORY_PIECES[:14], finish=False)
    # Stop mid-token: drop the tail after the last token's progress reached the attention phase.
    events = events + fakes.story_events(pieces=fakes.STORY_PIECES[:15], finish=False)[len(events):][:6]
    window = MainWindow(Settings.load(), session_factory=lambda req: fakes.ScriptedSession(events, True, 60, seconds_per_token=0.25),
                        check_models=False)
    window.load_reu_map(reu_map_path())
    window.load_ram_map(HERE / "data" / "llama64.map")
    window.resize(1280, 980)
    window.show()

    def shoot():
        window.grab().save(str(out), "PNG")
        print(f"wrote {out} ({out.stat().st_size} bytes)")
        window.stop()
        QTimer.singleShot(500, app.quit)

    window.run_started.connect(lambda: QTimer.singleShot(5000, shoot))
    QTimer.singleShot(300, window.generate)
    app.exec()
    window.shutdown()
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown of Qt objects (nothing left to save)


if __name__ == "__main__":
    sys.exit(main())
