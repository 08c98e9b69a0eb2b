"""The live 40x25 screen mirror: the newest ScreenFrame drawn with the character ROM, crisp at integer scales."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QImage, QKeySequence, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from gui64.events import ScreenFrame
from gui64.ui import c64screen

log = logging.getLogger("gui64.ui.mirror")

REFRESH_MS = 50  # repaint at most 20 times a second; frames in between are folded (latest wins)

# Where VICE keeps the Commodore ROMs (the user's ROM folder is searched first).
VICE_ROM_DIRS = (
    Path.home() / ".local/share/vice/C64", Path.home() / ".vice/C64",
    Path("/usr/share/vice/C64"), Path("/usr/lib/vice/C64"), Path("/usr/local/share/vice/C64"),
    Path("/usr/share/vice/C64/C64"),
)
CHARGEN_NAMES = ("chargen", "chargen-901225-01.bin", "chargen.bin")


def find_chargen(rom_dir: str | Path | None = None) -> tuple[bytes, str] | None:
    """The Commodore character ROM (4096 bytes) and where it was found, or None (then the open one is used)."""
    dirs = ([Path(rom_dir)] if rom_dir else []) + list(VICE_ROM_DIRS)
    for folder in dirs:
        for name in CHARGEN_NAMES:
            path = folder / name
            try:
                data = path.read_bytes()
            except OSError:
                continue
            if len(data) == 4096:
                return data, str(path)
    return None


def open_chargen() -> tuple[bytes, str]:
    """The project's own character ROM (drawn for gui64, built in Python: instant)."""
    from build_chain.bootrom.chargen import chargen_bytes
    return chargen_bytes(), "gui64 open character ROM"


class ScreenMirror(QWidget):
    """Shows the newest C64 text screen; repaints at most every REFRESH_MS (latest frame wins).

    The picture is scaled by the largest integer factor that fits, without smoothing. Ctrl+C
    (or the context menu) copies the screen as text.

    Signals:
        repainted(int): a new frame was rendered; the argument counts renders so far.
    """

    repainted = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(c64screen.WIDTH, c64screen.HEIGHT)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        copy = QAction("Copy screen text", self)
        copy.setShortcut(QKeySequence.StandardKey.Copy)
        copy.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        copy.triggered.connect(self.copy_text)
        self.addAction(copy)
        rom, self.chargen_source = open_chargen()
        self._glyphs = c64screen.glyph_bits(rom)
        self._pending: ScreenFrame | None = None
        self._frame: ScreenFrame | None = None
        self._image: QImage | None = None
        self._pixels: np.ndarray | None = None  # keeps the QImage's buffer alive
        self.renders = 0
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._render_pending)
        self._timer.start()
        self.show_frame(blank_frame(), immediately=True)

    # -- input ----------------------------------------------------------------------------------

    def set_chargen(self, chargen: bytes, source: str = "") -> None:
        """Draw with this 4096-byte character ROM from now on."""
        self._glyphs = c64screen.glyph_bits(chargen)
        self.chargen_source = source
        if self._frame is not None:
            self.show_frame(self._frame, immediately=True)

    def show_frame(self, frame: ScreenFrame, immediately: bool = False) -> None:
        """Queue a frame; only the newest queued one is drawn at the next tick."""
        self._pending = frame
        if immediately:
            self._render_pending()

    def flush(self) -> None:
        """Draw a queued frame now (at the end of a run, so the last screen is never left unseen)."""
        self._render_pending()

    # -- output ---------------------------------------------------------------------------------

    @property
    def frame(self) -> ScreenFrame | None:
        """The frame on screen now."""
        return self._frame

    def text(self) -> str:
        """The screen as text (25 lines, trailing spaces removed)."""
        if self._frame is None:
            return ""
        return c64screen.screen_text(self._frame.codes, self._frame.lowercase)

    def copy_text(self) -> None:
        QGuiApplication.clipboard().setText(self.text())

    def image(self) -> QImage:
        """The unscaled picture (border included)."""
        return self._image.copy() if self._image is not None else QImage()

    # -- drawing --------------------------------------------------------------------------------

    def _render_pending(self) -> None:
        frame, self._pending = self._pending, None
        if frame is None:
            return
        rgb = c64screen.render(frame.codes, frame.colours, frame.border, frame.background,
                               frame.lowercase, self._glyphs)
        self._pixels = np.ascontiguousarray(rgb)
        h, w, _ = self._pixels.shape
        self._image = QImage(self._pixels.data, w, h, 3 * w, QImage.Format.Format_RGB888)
        self._frame = frame
        self.renders += 1
        self.update()
        self.repainted.emit(self.renders)

    def scale(self) -> int:
        """The integer zoom factor that fits the widget (at least 1)."""
        return max(1, min(self.width() // c64screen.WIDTH, self.height() // c64screen.HEIGHT))

    def sizeHint(self) -> QSize:  # Qt override
        return QSize(c64screen.WIDTH * 2, c64screen.HEIGHT * 2)

    def paintEvent(self, event) -> None:  # Qt override
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().window())
        if self._image is not None:
            k = self.scale()
            w, h = c64screen.WIDTH * k, c64screen.HEIGHT * k
            target = QRect((self.width() - w) // 2, (self.height() - h) // 2, w, h)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            painter.drawImage(target, self._image)
        painter.end()


def blank_frame(message: str = "") -> ScreenFrame:
    """A C64-looking idle screen (light blue on blue) with an optional message."""
    return ScreenFrame(codes=c64screen.text_codes(message, lowercase=True), colours=bytes([14]) * c64screen.CELLS,
                       border=14, background=6, lowercase=True)
