"""The exact-mode integer twin: the integers the C64's exact mode computes, read from weights.reu.

The exact mode's goal is llama2.c's float32 greedy text (build_chain/reference.py is the judge);
the arithmetic is integer only, so the C64 and this twin agree integer for integer. Every value
is an integer (numpy int64 or Python int is only the container). Formats (reu_format.EX_*):
F = EX_FRAC = 20; every vector between steps is int32 Q.F (x, q, k, v, attention output, h1,
h3, SwiGLU output, logits); weights are int16 with one exact scale per row; every matrix input
is an int16 block-floating-point vector (int16 mantissas, one shared exponent).

Primitives (C names in brackets):

* ``rsr(v, sh)`` = ``(v + 2^(sh-1)) >> sh`` for 1 <= sh <= 62 (floor shift, i.e. round half
  up), 0 for sh >= 63, ``v << -sh`` for sh <= 0                                     [ex_rsr]
* ``sat32(v)`` clamps to [-2^31, 2^31 - 1]                                           [ex_sat32]
* ``block16(y)`` for an int64 vector: t = bitlen(max|y|) - 15 (may be negative),
  m = clamp(rsr(y, t), -32767, 32767); y ~= m * 2^t. All zero -> (0, 0)             [ex_block16]
* ``exp2neg(u)`` for u >= 0 in Q.24 (u = a * 2^24 means 2^-a), result Q.31: n = u >> 24, and
  with the tables T1, T2, T3 (EX_TAB_EXP2: round(2^31 * 2^(-i / 2^8)), 2^(-i / 2^16),
  2^(-i / 2^24)), v = rsr(T1[u>>16 & 255] * T2[u>>8 & 255], 31), v = rsr(v * T3[u & 255], 31),
  result rsr(v, n); 0 when n >= 32                                                   [ex_exp2neg]
* ``rms(X)`` for the Q.F int32 vector X of an RMSNorm input: a = max(0, bitlen(max|X|) - 23),
  SS = sum (X >> a)^2, U = SS + (EPS >> 2a) (EPS = EX_CONST_EPS | EX_CONST_EPS_HI << 32),
  j = (bitlen(U) - 31) // 2
  (floor), u = U >> 2j (U << -2j when j < 0) in [2^30, 2^32), R = isqrt(2^78 // u) in
  (2^23, 2^24]; then the normalised input is block16(X * R) = (m, t) with exponent
  E = t - a - j - 39, i.e. x / rms(x) / sqrt(dim) ~= m * 2^E (sqrt(dim) and the gains are folded
  into the weights)                                                                  [ex_rms]
* a plain input (attention output, SwiGLU output) is block16(X) = (m, t) with E = t - F.
* a matrix row r with record (M_r, e_r) (weight = W * M_r * 2^-e_r, exact) and an input (m, E):
  ``Y_r = sat32(rsr((sum_j W_rj m_j) * M_r, e_r - E - F))``; the shift is always >= 1.  [ex_matvec]

Stages per position: X = EX_EMB[token]. Per layer: (m, E) = rms(X); q, k, v by the matvec;
RoPE on q and k pairs with EX_TAB_ROPE (Q1.30): r0 = sat32(rsr(v0*c - v1*s, 30)),
r1 = sat32(rsr(v0*s + v1*c, 30)); k, v to the layer's EX_KCACHE / EX_VCACHE row pos.
Attention, per head h (kv head h // kv_mul), t = 0..pos:
(qm, tq) = block16(q_h); S_t = sum_i qm_i K_ti (int64); ts = max(0, bitlen(max|S|) - 31),
Sm_t = rsr(S_t, ts); U_t = rsr(Sm_t * EX_CONST_ATT, 2F + 7 - ts - tq) (score * log2(e) in Q.24);
D_t = max U - U_t; p_t = rsr(exp2neg-without-the-last-shift(D_t), n_t + 8) i.e. Q.23 with
p = 2^23 at the maximum (0 when n_t >= 32); P = sum p_t; A_i = sum p_t V_ti (int64);
o_i = floor((A_i + (P >> 1)) / P). X = sat32(X + wo(block16(o))).
FFN: (m, E) = rms(X); H1, H3 by the matvec; per element: u = rsr(|H1| * EX_CONST_LOG2E, 30 + F
- 24), e = exp2neg(u), s = floor((2^62 + (D >> 1)) / D) with D = 2^31 + e (sigmoid(|h1|) in
Q.31), s = 2^31 - s when H1 < 0; G = rsr(H1 * s, 31); hb = sat32(rsr(G * H3, F));
X = sat32(X + w2(block16(hb))). Final: logits = wcls(rms(X)), int32 Q.F.

Sampling: greedy = first maximum of the Q.F logits. Otherwise the fast mode's sampler
(twin.Twin.sample) on rsr(logit, EX_FRAC - FRAC_LOGIT) clamped to s32.

Every intermediate fits int64: |S| < 2^49, |acc * M| < 2^54, p * V sums < 2^63 for seq_len
<= 512; the C64 keeps the same widths (40-bit row sums, 64-bit attention sums).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from build_chain import reu_format as fmt
from build_chain.reu_format import Tensor
from build_chain.twin import Twin, generate

F = fmt.EX_FRAC
I32_MIN, I32_MAX = -(1 << 31), (1 << 31) - 1

# ---------------------------------------------------------------------------------------------
# Primitives
# ---------------------------------------------------------------------------------------------


def rsr(v, sh):
    """Round-half-up right shift by sh >= 1 (floor shift), left shift for sh <= 0; v int64 or int.

    Every |v| shifted right is below 2^62, so shifts of 63 and more give 0.
    """
    if isinstance(v, (int, np.integer)) and isinstance(sh, (int, np.integer)):
        v, sh = int(v), int(sh)
        if sh >= 63:
            return 0
        return (v + (1 << (sh - 1))) >> sh if sh >= 1 else v << -sh
    v = np.asarray(v, np.int64)
    sh = np.asarray(sh, np.int64)
    s = np.clip(sh, 1, 62)
    right = np.where(sh >= 63, 0, (v + (np.int64(1) << (s - 1))) >> s)
    return np.where(sh >= 1, right, v << np.maximum(-sh, 0))


def sat32(v):
    return np.clip(np.asarray(v, np.int64), I32_MIN, I32_MAX)


def bitlen(v: int) -> int:
    return int(v).bit_length()


def block16(y: np.ndarray) -> tuple[np.ndarray, int]:
    """int64 vector -> (int16 mantissas, exponent t) with y ~= m * 2^t."""
    y = np.asarray(y, np.int64)
    mx = int(np.abs(y).max()) if len(y) else 0
    if mx == 0:
        return np.zeros(len(y), np.int64), 0
    t = bitlen(mx) - 15
    return np.clip(rsr(y, t), -32767, 32767), t


class ExactTwin:
    """The C64's exact mode in numpy, reading weights and tables from a weights.reu image.

    Args:
        reu: path or bytes of a weights.reu image holding the exact mode's regions.
    """

    def __init__(self, reu: str | Path | bytes):
        data = Path(reu).read_bytes() if not isinstance(reu, (bytes, bytearray)) else bytes(reu)
        self.header = h = fmt.parse_header(data)
        self.data = data
        self.dim, self.hidden, self.n_layers = h.dim, h.hidden_dim, h.n_layers
        self.n_heads, self.n_kv, self.vocab, self.seq_len = h.n_heads, h.n_kv_heads, h.vocab_size, h.seq_len
        self.hs = h.dim // h.n_heads
        self.kv_dim = self.hs * h.n_kv_heads
        self.kv_mul = h.n_heads // h.n_kv_heads
        self.exp2 = self._arr(Tensor.EX_TAB_EXP2, "<u4").reshape(3, 256)  # u32 Q.31
        self.rope = self._arr(Tensor.EX_TAB_ROPE, "<i4").reshape(h.seq_len, self.hs // 2, 2)  # Q1.30
        consts = self._arr(Tensor.EX_TAB_CONST, "<u4")
        if int(consts[fmt.EX_CONST_FRAC]) != F:
            raise ValueError(f"image exported with EX_FRAC {consts[fmt.EX_CONST_FRAC]}, this twin uses {F}")
        self.c_att, self.c_log2e = int(consts[fmt.EX_CONST_ATT]), int(consts[fmt.EX_CONST_LOG2E])
        self.c_eps = int(consts[fmt.EX_CONST_EPS]) | int(consts[fmt.EX_CONST_EPS_HI]) << 32
        self.emb = self._arr(Tensor.EX_EMB, "<i4").reshape(h.vocab_size, h.dim)  # Q.F
        shapes = {Tensor.EX_WQ: (self.dim, self.dim), Tensor.EX_WK: (self.kv_dim, self.dim),
                  Tensor.EX_WV: (self.kv_dim, self.dim), Tensor.EX_WO: (self.dim, self.dim),
                  Tensor.EX_W1: (self.hidden, self.dim), Tensor.EX_W3: (self.hidden, self.dim),
                  Tensor.EX_W2: (self.dim, self.hidden), Tensor.EX_WCLS: (self.vocab, self.dim)}
        self._shapes = shapes
        self.layers = [{t: self._matrix(t, layer) for t in list(shapes)[:7]} for layer in range(h.n_layers)]
        self.cls = self._matrix(Tensor.EX_WCLS, None)
        self._fast = None
        self.reset()

    def _arr(self, tensor: Tensor, dtype, layer=None) -> np.ndarray:
        r = self.header.region(tensor, layer)
        return np.frombuffer(self.data, dtype=dtype, count=r.length // np.dtype(dtype).itemsize,
                             offset=r.offset).astype(np.int64)

    def _matrix(self, tensor: Tensor, layer):
        """(W (rows, cols) int16 values, M (rows,) u16, e (rows,) u8)."""
        rows, cols = self._shapes[tensor]
        w = self._arr(tensor, "<i2", layer).reshape(rows, cols)
        recs = self._arr(fmt.EX_WEIGHTS[tensor], np.uint8, layer).reshape(rows, 4)
        return w, recs[:, 0] | (recs[:, 1] << 8), recs[:, 2]

    def reset(self) -> None:
        """Empty KV cache (only positions < pos are ever read)."""
        shape = (self.n_layers, self.n_kv, self.seq_len, self.hs)
        self.kcache = np.zeros(shape, np.int64)  # int32 Q.F
        self.vcache = np.zeros(shape, np.int64)  # int32 Q.F

    # -----------------------------------------------------------------------------------------
    # Steps
    # -----------------------------------------------------------------------------------------

    def exp2neg_parts(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(v, n): 2^(-u / 2^24) = v * 2^-31 * 2^-n with v Q.31 before the final shift by n."""
        u = np.asarray(u, np.int64)
        n = u >> 24
        v = rsr(self.exp2[0][(u >> 16) & 255] * self.exp2[1][(u >> 8) & 255], 31)
        v = rsr(v * self.exp2[2][u & 255], 31)
        return v, n

    def exp2neg(self, u: np.ndarray) -> np.ndarray:
        """2^(-u / 2^24) in Q.31 (0 from u >= 32 * 2^24)."""
        v, n = self.exp2neg_parts(u)
        return np.where(n >= 32, 0, rsr(v, np.minimum(n, 32)))

    def rms(self, x: np.ndarray) -> tuple[np.ndarray, int]:
        """RMSNorm input X (Q.F) -> (m int16 mantissas, exponent E) of x / rms(x) / sqrt(dim)."""
        a = max(0, bitlen(int(np.abs(x).max())) - 23)
        mx = x >> a
        u_big = int((mx * mx).sum()) + (self.c_eps >> (2 * a))
        j = (bitlen(u_big) - 31) // 2
        u = u_big >> (2 * j) if j >= 0 else u_big << (-2 * j)
        r = math.isqrt((1 << 78) // u)
        m, t = block16(x * r)
        return m, t - a - j - 39

    @staticmethod
    def plain(x: np.ndarray) -> tuple[np.ndarray, int]:
        """A Q.F vector as a matrix input (m, E)."""
        m, t = block16(x)
        return m, t - F

    @staticmethod
    def matvec(mat, inp) -> np.ndarray:
        """Rows of (W, M, e) times the input (m, E) -> (rows,) int32 Q.F."""
        w, mm, e = mat
        m, big_e = inp
        sh = e - big_e - F
        if np.any((sh < 1) & (mm > 0)):
            raise ArithmeticError(f"exact matvec shift below 1: {sh.min()}")
        return sat32(rsr((w @ m) * mm, np.maximum(sh, 1)))

    def rope_rotate(self, v: np.ndarray, pos: int) -> np.ndarray:
        pairs = v.reshape(-1, self.hs // 2, 2)
        c, s = self.rope[pos, :, 0], self.rope[pos, :, 1]
        v0, v1 = pairs[..., 0], pairs[..., 1]
        r0 = sat32(rsr(v0 * c - v1 * s, fmt.EX_ROPE_FRAC))
        r1 = sat32(rsr(v0 * s + v1 * c, fmt.EX_ROPE_FRAC))
        return np.stack([r0, r1], axis=-1).reshape(-1)

    def attention_head(self, layer: int, h: int, q: np.ndarray, pos: int) -> np.ndarray:
        kvh = h // self.kv_mul
        qm, tq = block16(q)
        keys = self.kcache[layer, kvh, :pos + 1]  # (T, hs) int32 Q.F
        scores = keys @ qm  # (T,) int64, < 2^49
        ts = max(0, bitlen(int(np.abs(scores).max())) - 31)
        sm = rsr(scores, ts) if ts else scores
        u = rsr(sm * self.c_att, 2 * F + 7 - ts - tq)  # Q.24 base-2 exponent of each score
        v, n = self.exp2neg_parts(u.max() - u)
        p = np.where(n >= 32, 0, rsr(v, np.minimum(n, 32) + 8))  # (T,) Q.23
        total = int(p.sum())
        acc = p @ self.vcache[layer, kvh, :pos + 1]  # (hs,) int64
        return (acc + (total >> 1)) // total

    def swiglu(self, h1: np.ndarray, h3: np.ndarray) -> np.ndarray:
        u = rsr(np.abs(h1) * self.c_log2e, 30 + F - 24)
        e = self.exp2neg(u)  # exp(-|h1|) Q.31
        d = (1 << 31) + e
        s = ((1 << 62) + (d >> 1)) // d  # sigmoid(|h1|) Q.31
        s = np.where(h1 < 0, (1 << 31) - s, s)
        g = rsr(h1 * s, 31)  # silu(h1) Q.F
        return sat32(rsr(g * h3, F))

    # -----------------------------------------------------------------------------------------
    # Forward pass
    # -----------------------------------------------------------------------------------------

    def forward(self, token: int, pos: int, trace: dict | None = None) -> np.ndarray:
        """Logits (vocab,) int64 holding int32 values in Q.EX_FRAC; fills the KV cache at pos.

        Args:
            trace: if given, filled with every stage's integer buffer, keyed 'L{l}.{stage}'.
        """
        def keep(name, value):
            if trace is not None:
                trace[name] = np.array(value, np.int64)

        x = self.emb[token].copy()
        keep("embed", x)
        for layer, mats in enumerate(self.layers):
            g = self.rms(x)
            q = self.rope_rotate(self.matvec(mats[Tensor.EX_WQ], g), pos)
            k = self.rope_rotate(self.matvec(mats[Tensor.EX_WK], g), pos)
            v = self.matvec(mats[Tensor.EX_WV], g)
            keep(f"L{layer}.q", q)
            keep(f"L{layer}.k", k)
            keep(f"L{layer}.v", v)
            self.kcache[layer, :, pos] = k.reshape(self.n_kv, self.hs)
            self.vcache[layer, :, pos] = v.reshape(self.n_kv, self.hs)
            att = np.concatenate([self.attention_head(layer, h, q[h * self.hs:(h + 1) * self.hs], pos)
                                  for h in range(self.n_heads)])
            keep(f"L{layer}.att", att)
            x = sat32(x + self.matvec(mats[Tensor.EX_WO], self.plain(att)))
            keep(f"L{layer}.x_att", x)
            g = self.rms(x)
            hb = self.swiglu(self.matvec(mats[Tensor.EX_W1], g), self.matvec(mats[Tensor.EX_W3], g))
            keep(f"L{layer}.hb", hb)
            x = sat32(x + self.matvec(mats[Tensor.EX_W2], self.plain(hb)))
            keep(f"L{layer}.x_ffn", x)
        logits = self.matvec(self.cls, self.rms(x))
        keep("logits", logits)
        return logits

    # -----------------------------------------------------------------------------------------
    # Sampling and generation
    # -----------------------------------------------------------------------------------------

    def sample(self, logits: np.ndarray, temperature_q8: int, top_p_q16: int, state: int) -> tuple[int, int]:
        """(token, new rng state). Greedy (first maximum) when temperature_q8 == 0."""
        if temperature_q8 == 0:
            return int(np.argmax(logits)), state
        if self._fast is None:
            self._fast = Twin(self.data)
        coarse = sat32(rsr(logits, F - fmt.FRAC_LOGIT))
        return self._fast.sample(coarse, temperature_q8, top_p_q16, state)

    def generate(self, prompt_tokens: list, steps: int, temperature_q8: int = 0, top_p_q16: int = 0,
                 seed: int = 1) -> list:
        """Generated token ids after the prompt, as the C64 emits them (build_chain.twin.generate)."""
        return generate(self, prompt_tokens, steps, temperature_q8, top_p_q16, seed)
