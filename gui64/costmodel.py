"""Per-token cost model: C64 cycles per forward pass as a + b * position, fitted as tokens arrive (no Qt).

One forward pass at sequence position ``p`` costs ``a + b * p`` cycles: ``a`` is the matrix work
(the same at every position), ``b`` the attention over the ``p + 1`` cached keys and values.
Before any token is measured the model is a prior from the model shape and per-operation
constants; each measured token refines it. A measurement covers a *span* of positions, because
the first generated token also pays for the prompt: its cycles are the sum of ``a + b * p`` over
positions ``0 .. p_first``. Because that sum is still linear in ``(a, b)``, the fit is ordinary
least squares, with the prior slope kept as a soft constraint until the positions spread out.

The same model expresses a float32-class 6502 program (``FLOAT32_CLASS``: ~468.7 M cycles for
the matrix work, ~2.3 M more per position) and ours (seconds per token).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

PAL_HZ = 985_248  # C64 PAL CPU clock, cycles per second
NTSC_HZ = 1_022_727

# Prior constants for our integer program (6502 cycles), from `gui64 bench` on stories260K: ~23
# cycles per multiply-add in the kernel plus the per-row rescale, quantisation, norms and
# activations come to ~50 per matrix multiply-add; attention (scores by the kernel, exp weights,
# value sums, REU DMA per head and position) to ~100 per attention multiply-add.
CYCLES_PER_MAC = 50
CYCLES_PER_ATTENTION_MAC = 100
CYCLES_OVERHEAD_PER_LAYER = 60_000  # rmsnorm, RoPE, activations, REU row set-up
CYCLES_OVERHEAD_PER_TOKEN = 200_000  # classifier softmax/sampling, status block, screen output
# Exact mode: int16 x int16 products (four 8x8 multiplies), 32-bit values elsewhere, a division per
# attention output and SiLU element.
EXACT_CYCLES_PER_MAC = 220
EXACT_CYCLES_PER_ATTENTION_MAC = 900


@dataclass(frozen=True)
class Shape:
    """The model dimensions the cost depends on (llama2.c Config fields)."""

    dim: int
    hidden_dim: int
    n_layers: int
    n_heads: int
    n_kv_heads: int
    vocab_size: int
    seq_len: int

    @classmethod
    def from_mapping(cls, m: dict) -> "Shape":
        return cls(**{k: int(m[k]) for k in cls.__dataclass_fields__})

    @property
    def kv_dim(self) -> int:
        return self.dim * self.n_kv_heads // self.n_heads

    @property
    def matrix_macs(self) -> int:
        """Multiply-accumulates per forward pass that do not depend on the position."""
        per_layer = self.dim * self.dim * 2 + self.dim * self.kv_dim * 2 + self.dim * self.hidden_dim * 3
        return self.n_layers * per_layer + self.dim * self.vocab_size

    @property
    def attention_macs_per_position(self) -> int:
        """Extra multiply-accumulates per cached position (q.k score and the weighted sum of v)."""
        return self.n_layers * self.dim * 2


STORIES260K = Shape(dim=64, hidden_dim=172, n_layers=5, n_heads=8, n_kv_heads=4, vocab_size=512, seq_len=512)


class CostModel:
    """C64 cycles per forward pass as ``a + b * position``, recalibrated from measured tokens.

    Args:
        a: prior cycles per forward pass at position 0.
        b: prior extra cycles per position.
        seq_len: the model's context length (bounds the positions and sizes the slope constraint).
    """

    def __init__(self, a: float, b: float, seq_len: int = 512):
        self.prior = (float(a), float(b))
        self.seq_len = seq_len
        self._spans: list[tuple[int, int, int]] = []  # (first position, last position, cycles)
        self.a, self.b = self.prior

    @classmethod
    def for_mode(cls, shape: Shape, mode: int = 0) -> "CostModel":
        """The prior for the program's arithmetic mode (0 fast, 1 exact: build_chain.blocks.Params.mode)."""
        if mode == 1:
            return cls.for_shape(shape, EXACT_CYCLES_PER_MAC, EXACT_CYCLES_PER_ATTENTION_MAC)
        return cls.for_shape(shape)

    @classmethod
    def for_shape(cls, shape: Shape, cycles_per_mac: float = CYCLES_PER_MAC,
                  cycles_per_attention_mac: float = CYCLES_PER_ATTENTION_MAC) -> "CostModel":
        """A prior for our program from the model shape and per-operation constants."""
        a = (shape.matrix_macs * cycles_per_mac + shape.n_layers * CYCLES_OVERHEAD_PER_LAYER
             + CYCLES_OVERHEAD_PER_TOKEN)
        b = shape.attention_macs_per_position * cycles_per_attention_mac
        return cls(a, b, shape.seq_len)

    # -- measurements ---------------------------------------------------------------------------

    @property
    def n_measured(self) -> int:
        return len(self._spans)

    def add(self, first: int, last: int, cycles: int) -> None:
        """Record that forward passes at positions ``first..last`` (inclusive) took ``cycles``."""
        if last < first or cycles <= 0:
            return
        self._spans.append((int(first), int(last), int(cycles)))
        self._refit()

    def _refit(self) -> None:
        # Each span: cycles = a * n + b * sum(p), n = last - first + 1.
        rows = np.array([[last - first + 1, (first + last) * (last - first + 1) / 2] for first, last, _ in self._spans])
        y = np.array([c for _, _, c in self._spans], dtype=float)
        a0, b0 = self.prior
        # Scale the prior to the measured speed (a faster or slower build scales both terms alike).
        ratio = float(np.median(y / (rows @ np.array([a0, b0])))) if (a0 or b0) else 1.0
        a_s, b_s = a0 * ratio, b0 * ratio
        # Least squares in units of a per-pass cost, with (b - b_s) penalised like one measurement
        # seq_len/16 positions from the others: data with a wider spread of positions dominate.
        scale = max(a_s + b_s * self.seq_len / 2, 1.0)
        weights = 1.0 / rows[:, 0]  # per-pass residuals, so a long prompt span does not dominate
        lam = (self.seq_len / 16) ** 2
        A = np.vstack([rows * weights[:, None], [0.0, math.sqrt(lam)]])
        t = np.concatenate([y * weights, [math.sqrt(lam) * b_s]]) / scale
        (a, b), *_ = np.linalg.lstsq(A, t, rcond=None)
        a, b = a * scale, b * scale
        if a <= 0:  # the data cannot support the intercept: fall back to the scaled prior
            a, b = a_s, b_s
        self.a, self.b = float(a), float(max(b, 0.0))

    # -- predictions ----------------------------------------------------------------------------

    def pass_cycles(self, position: int) -> float:
        """Predicted cycles for one forward pass at ``position``."""
        return self.a + self.b * position

    def span_cycles(self, first: int, last: int) -> float:
        """Predicted cycles for forward passes at positions ``first..last`` inclusive (0 if empty)."""
        if last < first:
            return 0.0
        n = last - first + 1
        return self.a * n + self.b * (first + last) * n / 2

    def remaining_cycles(self, position: int, last_position: int, spent_in_current: int = 0) -> float:
        """Cycles until the pass at ``last_position`` ends, with the pass at ``position`` under way."""
        total = self.span_cycles(position, last_position) - max(0, spent_in_current)
        return max(0.0, total)

    def first_token_cycles(self, n_prompt: int) -> float:
        """Predicted cycles until the first generated token: one pass per prompt token (incl. BOS)."""
        return self.span_cycles(0, max(0, n_prompt - 1))


FLOAT32_CLASS = CostModel(468.7e6, 2.3e6, STORIES260K.seq_len)
"""A float32-class 6502 program (software floating point) on stories260K: minutes per token."""


class HostClock:
    """Host seconds per C64 cycle, measured from (wall time, cycle counter) samples.

    An exponential moving average over sample intervals; None until two samples are far enough
    apart to mean something.

    Args:
        smoothing: weight of the newest interval (0..1).
        min_interval_s: intervals shorter than this are merged with the next one.
    """

    def __init__(self, smoothing: float = 0.3, min_interval_s: float = 0.2):
        self.smoothing = smoothing
        self.min_interval_s = min_interval_s
        self._last: tuple[float, int] | None = None
        self.seconds_per_cycle: float | None = None

    def reset(self) -> None:
        self._last = None
        self.seconds_per_cycle = None

    def sample(self, wall_s: float, cycles: int) -> None:
        if self._last is None:
            self._last = (wall_s, cycles)
            return
        dt, dc = wall_s - self._last[0], cycles - self._last[1]
        if dc < 0:  # counter restarted
            self._last = (wall_s, cycles)
            return
        if dt < self.min_interval_s or dc == 0:
            return
        rate = dt / dc
        if self.seconds_per_cycle is None:
            self.seconds_per_cycle = rate
        else:
            self.seconds_per_cycle += self.smoothing * (rate - self.seconds_per_cycle)
        self._last = (wall_s, cycles)

    def seconds(self, cycles: float) -> float | None:
        return None if self.seconds_per_cycle is None else cycles * self.seconds_per_cycle


def format_duration(seconds: float | None) -> str:
    """'2 h 05 min', '7 min 55 s', '12 s', '0.4 s'; an em dash when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return "—"
    if seconds < 10:
        return f"{seconds:.1f} s"
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    if s < 86400:
        return f"{s // 3600} h {s % 3600 // 60:02d} min"
    return f"{s // 86400} d {s % 86400 // 3600} h"


@dataclass(frozen=True)
class Eta:
    """Time left in a story run."""

    cycles: float  # C64 cycles left
    c64_s: float  # on a real PAL C64
    host_s: float | None  # on this computer at the measured emulation speed (None until measured)


class RunEstimate:
    """Feeds a CostModel and a HostClock from a run's tokens and progress; answers the ETA.

    The first generated token's cycles count from the start of generation, so they cover the
    prompt's forward passes (positions 0 .. its position); each later token covers one pass.

    Args:
        model: the cost model to recalibrate (its prior is kept across runs by the caller).
        clock_hz: the real machine's CPU clock (PAL by default).
    """

    def __init__(self, model: CostModel, clock_hz: float = PAL_HZ):
        self.model = model
        self.clock_hz = clock_hz
        self.host = HostClock()
        self.cycles_at_last_token = 0
        self.tokens_seen = 0
        self.measured: list[tuple[int, int]] = []  # (position, cycles) per generated token

    def add_token(self, index: int, position: int, cycles: int) -> None:
        first = 0 if index == 0 else position
        self.model.add(first, position, cycles)
        self.cycles_at_last_token += cycles
        self.tokens_seen = index + 1
        self.measured.append((position, cycles))

    def eta(self, position: int, tokens_done: int, tokens_requested: int, n_prompt: int,
            cycles: int, wall_s: float | None = None) -> Eta:
        """Time left while the C64 works on ``position`` with ``cycles`` counted since the start."""
        if wall_s is not None:
            self.host.sample(wall_s, cycles)
        last = min(max(n_prompt, 1) + tokens_requested - 2, self.model.seq_len - 1)
        if tokens_done >= tokens_requested or position > last:
            return Eta(0.0, 0.0, 0.0)
        first = 0 if tokens_done == 0 else position
        spent = max(0, cycles - self.cycles_at_last_token) if tokens_done == self.tokens_seen else 0
        in_pass = max(0.0, spent - self.model.span_cycles(first, position - 1))
        left = self.model.remaining_cycles(position, last, int(in_pass))
        return Eta(left, left / self.clock_hz, self.host.seconds(left))
