"""Progress of a story run: tokens done, where the C64 is within the token, ETA, and measured cycles per token."""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QGridLayout, QLabel, QProgressBar, QWidget

from build_chain.blocks import Phase
from gui64.costmodel import PAL_HZ, CostModel, RunEstimate, format_duration
from gui64.events import Progress, TokenEmitted

PHASE_TEXT = {
    Phase.EMBED: "embedding", Phase.QKV: "q k v", Phase.ATTENTION: "attention",
    Phase.OUTPUT: "output projection", Phase.FFN: "feed-forward", Phase.CLASSIFIER: "classifier",
    Phase.SAMPLE: "sampling",
}
_LAYER_PHASES = (Phase.QKV, Phase.ATTENTION, Phase.OUTPUT, Phase.FFN)


def pass_fraction(layer: int, n_layers: int, phase: int) -> float:
    """How far one forward pass is, 0..1, from the layer and phase."""
    steps = 1 + 4 * max(1, n_layers) + 2  # embed, 4 per layer, classifier, sample
    try:
        phase = Phase(phase)
    except ValueError:
        return 0.0
    if phase == Phase.EMBED:
        at = 0
    elif phase in _LAYER_PHASES:
        at = 1 + 4 * min(layer, n_layers - 1) + _LAYER_PHASES.index(phase)
    else:
        at = steps - (2 if phase == Phase.CLASSIFIER else 1)
    return at / steps


def phase_text(phase: int) -> str:
    try:
        return PHASE_TEXT[Phase(phase)]
    except ValueError:
        return f"phase {phase}"


class ProgressPanel(QWidget):
    """Overall and within-token progress bars, the ETA (real C64 and host time), and a cycles plot.

    Feed it ``token_emitted`` and ``progressed`` from the event bridge; ``start`` resets it.

    Args:
        model_factory: makes the prior cost model for a run from its arithmetic mode (called by ``start``).
        clock: wall-clock seconds (a test can pass a fake).
    """

    def __init__(self, model_factory=None, clock=time.monotonic, parent: QWidget | None = None):
        super().__init__(parent)
        from gui64.costmodel import STORIES260K
        self.model_factory = model_factory or (lambda mode=0: CostModel.for_mode(STORIES260K, mode))
        self.clock = clock
        self.estimate = RunEstimate(self.model_factory())

        self.overall = QProgressBar()
        self.overall.setFormat("%v / %m tokens")
        self.overall.setRange(0, 1)
        self.overall.setValue(0)
        self.within = QProgressBar()
        self.within.setRange(0, 1000)
        self.within.setTextVisible(True)
        self.within.setFormat("idle")
        self.within.setValue(0)
        self.eta_label = QLabel("ETA: —")
        self.rate_label = QLabel(" ")
        self.plot = pg.PlotWidget(background=(30, 32, 38))
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setMinimumHeight(110)
        self.plot.setLabel("left", "M cycles")
        self.plot.setLabel("bottom", "position")
        self.plot.setTitle("C64 cycles per forward pass (measured, and the fit)", size="9pt")
        self.points = self.plot.plot([], [], pen=None, symbol="o", symbolSize=5,
                                     symbolBrush=(80, 190, 110), symbolPen=None)
        self.fit_line = self.plot.plot([], [], pen=pg.mkPen((230, 160, 60), width=1))

        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(QLabel("Story"), 0, 0)
        grid.addWidget(self.overall, 0, 1)
        grid.addWidget(QLabel("Token"), 1, 0)
        grid.addWidget(self.within, 1, 1)
        grid.addWidget(self.eta_label, 2, 0, 1, 2)
        grid.addWidget(self.rate_label, 3, 0, 1, 2)
        grid.addWidget(self.plot, 4, 0, 1, 2)
        grid.setRowStretch(4, 1)

    # -- run life -------------------------------------------------------------------------------

    def start(self, tokens_requested: int, mode: int = 0) -> None:
        self.estimate = RunEstimate(self.model_factory(mode))
        self.overall.setRange(0, max(1, tokens_requested))
        self.overall.setValue(0)
        self.within.setValue(0)
        self.within.setFormat("starting")
        self.eta_label.setText("ETA: waiting for the C64 to start")
        self.rate_label.setText(" ")
        self._update_plot()

    def stop(self, text: str) -> None:
        self.within.setFormat(text)
        self.eta_label.setText(f"ETA: — ({text})")

    def finish(self) -> None:
        self.overall.setValue(self.overall.maximum())
        self.within.setValue(self.within.maximum())
        self.within.setFormat("done")
        self.eta_label.setText("ETA: done")

    # -- events ---------------------------------------------------------------------------------

    def on_token(self, event: TokenEmitted) -> None:
        self.estimate.add_token(event.index, event.position, event.cycles)
        self.overall.setValue(min(self.overall.maximum(), event.index + 1))
        m = self.estimate.model
        self.rate_label.setText(
            f"Last token {event.cycles / 1e6:.2f} M cycles ({format_duration(event.cycles / PAL_HZ)} on a C64) · "
            f"model {m.a / 1e6:.2f} M + {m.b / 1e3:.1f} k × position")
        self._update_plot()

    def on_progress(self, event: Progress) -> None:
        self.overall.setRange(0, max(1, event.tokens_requested))
        self.overall.setValue(min(event.tokens_done, event.tokens_requested))
        frac = pass_fraction(event.layer, event.n_layers, event.phase)
        self.within.setValue(int(frac * 1000))
        if event.phase in {p.value for p in _LAYER_PHASES}:
            where = f"layer {event.layer + 1}/{event.n_layers} · {phase_text(event.phase)}"
        else:
            where = phase_text(event.phase)
        prompt = " (prompt)" if event.position < event.n_prompt - 1 else ""
        self.within.setFormat(f"position {event.position}{prompt} · {where}")
        eta = self.estimate.eta(event.position, event.tokens_done, event.tokens_requested, event.n_prompt,
                                event.cycles, self.clock())
        host = format_duration(eta.host_s) if eta.host_s is not None else "measuring…"
        self.eta_label.setText(f"ETA: {format_duration(eta.c64_s)} on a real C64 (PAL) · {host} here")

    def _update_plot(self) -> None:
        measured = self.estimate.measured
        if not measured:
            self.points.setData([], [])
            self.fit_line.setData([], [])
            return
        # Per forward pass: the first token also paid for the prompt, so it shows as its average.
        pos = np.array([p / 2 if i == 0 else p for i, (p, _) in enumerate(measured)], dtype=float)
        cyc = np.array([c / (p + 1) if i == 0 else c for i, (p, c) in enumerate(measured)], dtype=float) / 1e6
        self.points.setData(pos, cyc)
        m = self.estimate.model
        xs = np.array([pos.min(), max(pos.max(), pos.min() + 1)])
        self.fit_line.setData(xs, (m.a + m.b * xs) / 1e6)
