"""Take resources/screenshot.png: the real window (xcb under Xvfb) mid-story, with the real pipeline.

    QT_QPA_PLATFORM=xcb xvfb-run -a -s '-screen 0 1280x1024x24' .venv/bin/python tests/ui/make_screenshot.py [OUT]

The story is written by llama64.prg in VICE (x64, warp) through the app's own run path; the
shot is taken once a few tokens are on the screen, then the run is stopped.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("GUI64_CONFIG_DIR", tempfile.mkdtemp(prefix="gui64-shot-"))

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from gui64.settings import Settings  # noqa: E402
from gui64.ui.main_window import MainWindow  # noqa: E402

PROMPT = "Once upon a time"
TOKENS_BEFORE_SHOT = 12


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "resources" / "screenshot.png"
    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = MainWindow(Settings.load())
    window.controls.prompt.setText(PROMPT)
    window.controls.steps.setValue(80)
    window.resize(1280, 980)
    window.show()
    shot = []

    def maybe_shoot(*_):
        if not shot and window.progress.overall.value() >= TOKENS_BEFORE_SHOT:
            shot.append(True)
            QTimer.singleShot(400, shoot)  # let the mirror and the maps repaint

    def shoot():
        window.grab().save(str(out), "PNG")
        print(f"wrote {out} ({out.stat().st_size} bytes)")
        window.stop()
        QTimer.singleShot(1500, app.quit)

    window.bridge.progressed.connect(maybe_shoot)
    window.run_ended.connect(lambda state: QTimer.singleShot(200, app.quit) if not shot else None)
    QTimer.singleShot(300, window.generate)
    app.exec()
    window.shutdown()
    sys.stdout.flush()
    os._exit(0 if shot else 1)  # skip interpreter teardown of Qt objects (nothing left to save)


if __name__ == "__main__":
    sys.exit(main())
