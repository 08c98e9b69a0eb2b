"""Occupancy views (pyqtgraph): the REU in 64 KB banks and the C64's 64 KB of RAM, one ImageItem each.

Each pixel stands for a fixed number of bytes and takes the colour of the region its first byte
belongs to. Live state (the regions being read now, how far each KV-cache region is filled) only
recolours that image, at most every LIVE_MS (latest state wins).
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QToolTip, QVBoxLayout, QWidget

from gui64.memmap import Region, region_at

LIVE_MS = 100

# Kind -> colour (RGB). Weights and KV cache stand out; free is the plot background's neighbour.
KIND_COLOURS = {
    "header": (160, 160, 160), "tokenizer": (171, 120, 214), "table": (230, 160, 60),
    "weights": (70, 130, 220), "kv-cache": (80, 190, 110), "free": (52, 56, 64),
    "zeropage": (200, 90, 90), "stack": (220, 130, 130), "system": (140, 140, 140),
    "program": (70, 130, 220), "data": (90, 190, 200), "tables": (230, 160, 60),
    "buffers": (80, 190, 110),
}
UNKNOWN_COLOUR = (200, 200, 80)
HIGHLIGHT = np.array((255, 236, 64), dtype=np.float32)
EMPTY_KV_DIM = 0.35  # brightness of a KV-cache pixel not yet written


def human_bytes(n: int) -> str:
    if n >= 1 << 20 and n % (1 << 20) == 0:
        return f"{n >> 20} MB"
    if n >= 1 << 20:
        return f"{n / (1 << 20):.2f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB".replace(".0 KB", " KB")
    return f"{n} B"


class MemoryMapView(QWidget):
    """Regions of one memory drawn as rows of ``bank_size`` bytes, with a legend, totals and hover.

    Args:
        title: shown above the plot.
        bank_size: bytes per row (64 KB for the REU, 4 KB for C64 RAM).
        bytes_per_pixel: horizontal resolution.
        row_label: row index -> left axis text.
        offset_format: offset -> text in the hover description.

    Signals:
        hovered(str): description of the region under the mouse (empty when leaving it).
    """

    hovered = Signal(str)

    def __init__(self, title: str, bank_size: int, bytes_per_pixel: int, row_label=None,
                 offset_format=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.bank_size = bank_size
        self.bytes_per_pixel = bytes_per_pixel
        self.cols = bank_size // bytes_per_pixel
        self.row_label = row_label or (lambda row: str(row))
        self.offset_format = offset_format or (lambda off: f"${off:06X}")
        self.regions: tuple[Region, ...] = ()
        self.size = 0
        self._highlight: set[int] = set()
        self._fill: dict[int, int] = {}  # region index -> bytes filled (KV cache)
        self._labels: list[pg.TextItem] = []
        self._dirty = False

        self.title = QLabel(f"<b>{html.escape(title)}</b>")
        self.plot = pg.PlotWidget(background=(30, 32, 38))
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.getViewBox().invertY(True)
        self.plot.setMinimumHeight(120)
        bottom = self.plot.getAxis("bottom")
        bottom.setTicks([[(x / bank_size, human_bytes(x)) for x in np.linspace(0, bank_size, 5).astype(int)]])
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.info = QLabel(" ")
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.legend)
        layout.addWidget(self.info)
        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self._timer = QTimer(self)
        self._timer.setInterval(LIVE_MS)
        self._timer.timeout.connect(self._redraw_if_dirty)
        self._timer.start()

    # -- content --------------------------------------------------------------------------------

    def set_regions(self, regions, size: int, totals_note: str = "") -> None:
        """Show a new layout: regions sorted by offset, covering 0..size."""
        self.regions = tuple(regions)
        self.size = size
        self._highlight.clear()
        self._fill = {i: 0 for i, r in enumerate(self.regions) if r.kind == "kv-cache"}
        rows = max(1, -(-size // self.bank_size))
        offsets = np.arange(rows * self.cols, dtype=np.int64) * self.bytes_per_pixel  # (rows*cols,) first byte
        starts = np.array([r.offset for r in self.regions], dtype=np.int64)
        index = np.searchsorted(starts, offsets, side="right") - 1 if len(starts) else np.full(offsets.shape, -1)
        index[offsets >= size] = -1
        self._pixel_offset = offsets.reshape(rows, self.cols)
        self._pixel_region = index.reshape(rows, self.cols)  # (rows, cols) int, -1 outside the memory
        # (n_regions, 3) float; odd layers a shade darker so neighbouring layers read apart
        self._base = np.array([KIND_COLOURS.get(r.kind, UNKNOWN_COLOUR) for r in self.regions] or [(0, 0, 0)],
                              dtype=np.float32)
        for i, r in enumerate(self.regions):
            if r.layer is not None and r.layer % 2 and r.kind != "kv-cache":
                self._base[i] *= 0.8
        self._rows = rows
        vb = self.plot.getViewBox()
        vb.setRange(xRange=(0, 1), yRange=(0, rows), padding=0.01)
        step = max(1, rows // 16)
        self.plot.getAxis("left").setTicks([[(r + 0.5, self.row_label(r)) for r in range(0, rows, step)]])
        self._place_labels(rows)
        self._update_legend(totals_note)
        self._redraw()

    def _place_labels(self, rows: int) -> None:
        for item in self._labels:
            self.plot.removeItem(item)
        self._labels = []
        font = QFont()
        font.setPointSize(7)
        min_len = self.bank_size // 14  # label only regions wide enough to carry their name
        for r in self.regions:
            if r.kind == "free" and r.length < self.bank_size // 2:
                continue
            # The widest piece of the region within one row.
            first_row, last_row = r.offset // self.bank_size, (r.end - 1) // self.bank_size
            best = None
            for row in range(first_row, min(last_row, first_row + 2) + 1):
                lo = max(r.offset, row * self.bank_size)
                hi = min(r.end, (row + 1) * self.bank_size)
                if best is None or hi - lo > best[2] - best[1]:
                    best = (row, lo, hi)
            row, lo, hi = best
            if hi - lo < min_len:
                continue
            label = pg.TextItem(r.name, color=(255, 255, 255), anchor=(0.5, 0.5))
            label.setFont(font)
            x = ((lo + hi) / 2 - row * self.bank_size) / self.bank_size
            label.setPos(x, row + 0.5)
            self.plot.addItem(label)
            self._labels.append(label)

    def _update_legend(self, note: str) -> None:
        kinds = list(dict.fromkeys(r.kind for r in self.regions))
        swatches = []
        for kind in kinds:
            rgb = KIND_COLOURS.get(kind, UNKNOWN_COLOUR)
            total = sum(r.length for r in self.regions if r.kind == kind)
            swatches.append(f'<span style="color: rgb{rgb}">■</span>&nbsp;{html.escape(kind)} {human_bytes(total)}')
        free = sum(r.length for r in self.regions if r.kind == "free")
        used = self.size - free
        totals = f"<b>used {human_bytes(used)}</b> · free {human_bytes(free)} of {human_bytes(self.size)}"
        if note:
            totals += f" · {html.escape(note)}"
        self.legend.setText("&nbsp;&nbsp; ".join(swatches) + "<br>" + totals)

    # -- live state -----------------------------------------------------------------------------

    def set_live(self, highlighted: list[Region], fill: dict[str, int] | None = None) -> None:
        """Highlight the regions being read; ``fill`` maps KV-cache region names to bytes written."""
        names = {r.name for r in highlighted}
        self._highlight = {i for i, r in enumerate(self.regions) if r.name in names}
        if fill is not None:
            for i, r in enumerate(self.regions):
                if i in self._fill:
                    self._fill[i] = fill.get(r.name, 0)
        self._dirty = True

    def clear_live(self) -> None:
        self._highlight.clear()
        self._dirty = True

    @property
    def highlighted_names(self) -> list[str]:
        return [self.regions[i].name for i in sorted(self._highlight)]

    def _redraw_if_dirty(self) -> None:
        if self._dirty:
            self._redraw()

    def _redraw(self) -> None:
        self._dirty = False
        if not self.regions:
            return
        colours = self._base.copy()
        for i in self._highlight:
            colours[i] = 0.35 * colours[i] + 0.65 * HIGHLIGHT
        idx = self._pixel_region
        rgb = colours[np.maximum(idx, 0)]  # (rows, cols, 3) float
        if self._fill:
            kv = np.array(sorted(self._fill), dtype=np.int64)
            fill_end = np.full(len(self.regions), np.iinfo(np.int64).max, dtype=np.int64)
            fill_end[kv] = [self.regions[i].offset + self._fill[i] for i in kv]
            empty = self._pixel_offset >= fill_end[np.maximum(idx, 0)]
            rgb[empty] *= EMPTY_KV_DIM
        rgba = np.empty(idx.shape + (4,), dtype=np.uint8)
        rgba[..., :3] = np.clip(rgb, 0, 255)
        rgba[..., 3] = np.where(idx >= 0, 255, 0)
        self.image.setImage(rgba, autoLevels=False, levels=(0, 255))
        self.image.setRect(0, 0, 1, self._rows)  # pyqtgraph: only meaningful once an image is set

    # -- hover ----------------------------------------------------------------------------------

    def describe(self, region: Region) -> str:
        layer = f", layer {region.layer}" if region.layer is not None else ""
        return (f"{region.name} ({region.kind}{layer}): {self.offset_format(region.offset)}"
                f"–{self.offset_format(region.end - 1)}, {human_bytes(region.length)}")

    def describe_at(self, offset: int) -> str:
        region = region_at(self.regions, offset)
        return self.describe(region) if region else ""

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        if not self.regions:
            return
        point = self.plot.getViewBox().mapSceneToView(scene_pos)
        x, y = point.x(), point.y()
        text = ""
        if 0 <= x < 1 and y >= 0:
            offset = int(y) * self.bank_size + int(x * self.bank_size)
            if offset < self.size:
                text = self.describe_at(offset)
        self.info.setText(text or " ")
        if text:
            view = self.plot.mapFromScene(scene_pos)
            QToolTip.showText(self.plot.mapToGlobal(view), text, self.plot)
        self.hovered.emit(text)


def reu_view(parent: QWidget | None = None) -> MemoryMapView:
    """The REU: one row per 64 KB bank, 256 bytes per pixel."""
    return MemoryMapView("REU", 0x10000, 256, row_label=lambda r: f"bank {r}",
                         offset_format=lambda off: f"${off:06X}", parent=parent)


def ram_view(parent: QWidget | None = None) -> MemoryMapView:
    """C64 RAM: one row per 4 KB, 16 bytes per pixel."""
    return MemoryMapView("C64 RAM", 0x1000, 16, row_label=lambda r: f"${r:X}000",
                         offset_format=lambda off: f"${off:04X}", parent=parent)
