"""`gui64` with no subcommand: the Qt application and its main window."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from gui64 import __version__
from gui64.settings import Settings
from gui64.ui.main_window import MainWindow, classify_drop

# icons: gui64/resources in an installed wheel, else the checkout's resources/
RESOURCES = next((d for d in (Path(__file__).resolve().parents[1] / "resources",
                              Path(__file__).resolve().parents[2] / "resources") if d.is_dir()),
                 Path(__file__).resolve().parents[2] / "resources")


def main(argv: list[str] | None = None) -> int:
    """Open the window; a file argument (stories*.bin, tok*.bin, *.reu) is selected as if dropped."""
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="gui64", description="The gui64 desktop app.")
    parser.add_argument("files", nargs="*", help="model files or a weights .reu image to open")
    parser.add_argument("--verbose", action="store_true", help="log to stderr")
    args, qt_args = parser.parse_known_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    app = QApplication.instance() or QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("gui64")
    app.setApplicationVersion(__version__)
    icon = RESOURCES / "gui64-256.png"  # drawn by packaging/make_icon.py
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    window = MainWindow(Settings.load())
    usable = [f for f in args.files if classify_drop(f)]
    if usable:
        window.select_files(usable)
    elif args.files:
        print(f"gui64: {', '.join(args.files)}: not a model file (stories*.bin, tok*.bin or *.reu)", file=sys.stderr)
    window.show()
    return int(app.exec())
