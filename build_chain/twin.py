"""The integer twin: exactly the integers the C64 program computes, read from weights.reu itself.

Every value is an integer (numpy int64 is only the container); the C64 program implements the
same steps with the same widths and rounding, so its tokens must equal these, integer for
integer. Primitives (shared by every stage; C names in brackets):

* ``mulhi16(a, b) = (a*b + 2^15) >> 16`` for u16 a, b                               [mulhi16]
* ``rescale(acc, F, sh) = (acc*F + 2^(sh-1)) >> sh`` (sh >= 1; floor shift), acc s32 [rescale]
* ``sat16(v)`` clamps to [-32767, 32767]                                             [sat16]
* ``quant(x)`` int16 vector -> int8 with max/127: m = max|x|, k so that m<<k is in
  [2^14, 2^15), r = (127<<23) // (m<<k), q = ((x<<k)*r + 2^22) >> 23; its scale pair is
  (S, sS) = (m<<k, k), i.e. m = S * 2^-sS                                            [quant]
* ``rms_pair(q)`` for an RMSNorm input: SS = sum q^2, u = SS shifted by 2 bits at a time into
  [2^14, 2^16) (k2 = number of right shifts, negative for left shifts), S = RSQRT[u>>8],
  sS = 23 + k2, so 1/sqrt(SS) ~= S * 2^-sS                                           [rms_pair]
* a matrix row with weight-scale record (M, e) and input pair (S, sS):
  ``y = rescale(acc, mulhi16(M, S), e + sS - 16)``                                  [matvec]

Stages per position (formats in build_chain/reu_format.py): x = EMB[token] (Q.FRAC_X);
per layer: q,k,v from quant(x)+rms_pair; RoPE (Q1.14 table, round-half-up >> 14); k, v to the
cache; per head: q quantised to int8, scores s_t = q.k_t, d_t = max - s_t,
idx_t = min(255, rescale(d_t, mulhi16(ATT_M, Sq), ATT_E + sSq - 16)), p_t = EXP8[idx_t],
o = sat16(rescale(wrap32(sum p_t v_t), inv, 31 - k3)) with P = sum p normalised to
[2^15, 2^16) by k3 left shifts (or one right shift, k3 = -1) and inv = min(65535, 2^31 // P);
wo on quant(o) adds to x; FFN: h1, h3 from quant(x)+rms_pair, SiLU by table with linear
interpolation, g = sat16((silu*h3 + 2^(FRAC_H-1)) >> FRAC_H), w2 over quant() of each
64-wide group of g, the groups' rescaled rows summed then saturated; final: logits (s32,
Q.FRAC_LOGIT) from the classifier on quant(x)+rms_pair. Residual adds saturate.

Sampling: greedy = first maximum. Otherwise d = max - logit, idx = min(511, rescale(d, invT,
28 - kt)) with T8 = temperature*256 normalised to [2^15, 2^16) by kt left shifts and
invT = min(65535, 2^31 // (T8 << kt)); p = EXP16[idx]; top-p keeps the shortest prefix of the
tokens sorted by (p desc, id asc) whose sum reaches (total >> 8) * (topp16 >> 8); then
r = xorshift32() and the token at r % kept_total in that order (or id order without top-p).
d is clamped to 2^24 before the rescale. The generator starts from seed_state(seed) =
(seed * 0x9E3779B1) mod 2^32, or 1 if that is 0, so that small seeds give well-mixed draws.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from build_chain import reu_format as fmt
from build_chain.reu_format import Tensor

INT32 = 1 << 32


# ---------------------------------------------------------------------------------------------
# Primitives
# ---------------------------------------------------------------------------------------------


def mulhi16(a, b):
    return (np.asarray(a, np.int64) * np.asarray(b, np.int64) + 0x8000) >> 16


def rescale(acc, f, sh):
    acc = np.asarray(acc, np.int64)
    sh = np.asarray(sh, np.int64)
    if np.any(sh < 1) or np.any(sh > 62):
        raise ArithmeticError(f"rescale shift out of range: {sh}")
    return (acc * np.asarray(f, np.int64) + (np.int64(1) << (sh - 1))) >> sh


def sat16(v):
    return np.clip(v, -32767, 32767)


def wrap32(v):
    return ((np.asarray(v, np.int64) + (1 << 31)) % INT32) - (1 << 31)


def quant(x: np.ndarray) -> tuple[np.ndarray, int, int]:
    """int16 vector -> (int8 vector, S, sS); see the module docstring."""
    m = int(np.abs(x).max()) if len(x) else 0
    if m == 0:
        return np.zeros(len(x), np.int64), 0, 0
    k = 0
    while (m << k) < 1 << 14:
        k += 1
    mp = m << k
    r = (127 << 23) // mp
    return ((x.astype(np.int64) << k) * r + (1 << 22)) >> 23, mp, k


def rms_pair(q: np.ndarray, rsqrt: np.ndarray) -> tuple[int, int]:
    """(S, sS) with 1/sqrt(sum q^2) ~= S * 2^-sS."""
    u = int((q * q).sum())
    if u == 0:
        return 0, 23
    k2 = 0
    while u >= 1 << 16:
        u >>= 2
        k2 += 1
    while u < 1 << 14:
        u <<= 2
        k2 -= 1
    return int(rsqrt[u >> 8]), 23 + k2


def seed_state(seed: int) -> int:
    """The xorshift32 state a seed starts from (a multiplicative hash, never 0)."""
    return (seed * 0x9E3779B1) & 0xFFFFFFFF or 1


def xorshift32(state: int) -> int:
    state ^= (state << 13) & 0xFFFFFFFF
    state ^= state >> 17
    state ^= (state << 5) & 0xFFFFFFFF
    return state


# ---------------------------------------------------------------------------------------------
# Model read back from weights.reu
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Matrix:
    """An int8 matrix with its scale records."""

    w: np.ndarray  # (rows, cols) int64 values of int8
    m: np.ndarray  # (rows, groups) int64 mantissas (u16)
    e: np.ndarray  # (rows, groups) int64 shifts (u8)

    def apply(self, groups: list) -> np.ndarray:
        """Rows times the quantised input groups [(q, S, sS), ...] -> rescaled s32 outputs, summed over groups."""
        total = np.zeros(self.w.shape[0], np.int64)
        for g, (q, s, ss) in enumerate(groups):
            cols = slice(g * fmt.GROUP, g * fmt.GROUP + len(q))
            acc = self.w[:, cols] @ q
            total += rescale(acc, mulhi16(self.m[:, g], s), self.e[:, g] + ss - 16)
        return total


class Twin:
    """The C64's arithmetic in numpy, reading weights and tables from a weights.reu image."""

    def __init__(self, reu: str | Path | bytes):
        data = Path(reu).read_bytes() if not isinstance(reu, (bytes, bytearray)) else bytes(reu)
        self.header = h = fmt.parse_header(data)
        self.data = data
        self.dim, self.hidden, self.n_layers = h.dim, h.hidden_dim, h.n_layers
        self.n_heads, self.n_kv, self.vocab, self.seq_len = h.n_heads, h.n_kv_heads, h.vocab_size, h.seq_len
        self.hs = h.dim // h.n_heads
        self.kv_dim = self.hs * h.n_kv_heads
        self.kv_mul = h.n_heads // h.n_kv_heads
        self.rsqrt = self._arr(Tensor.TAB_RSQRT, "<u2")
        self.exp8 = self._arr(Tensor.TAB_EXP8, np.uint8)
        self.exp16 = self._arr(Tensor.TAB_EXP16, "<u2")
        self.silu = self._arr(Tensor.TAB_SILU, "<i2")
        self.rope = self._arr(Tensor.TAB_ROPE, "<i2").reshape(h.seq_len, self.hs // 2, 2)
        consts = self._arr(Tensor.TAB_CONST, "<u2")
        self.att_m, self.att_e = int(consts[fmt.CONST_ATT_M]), int(consts[fmt.CONST_ATT_E])
        self.emb = self._arr(Tensor.EMB, "<i2").reshape(h.vocab_size, h.dim)
        self.layers = []
        for layer in range(h.n_layers):
            self.layers.append({t: self._matrix(t, layer) for t in
                                (Tensor.WQ, Tensor.WK, Tensor.WV, Tensor.WO, Tensor.W1, Tensor.W3, Tensor.W2)})
        self.cls = self._matrix(Tensor.WCLS, None)
        self.reset()

    def _arr(self, tensor: Tensor, dtype, layer=None) -> np.ndarray:
        r = self.header.region(tensor, layer)
        return np.frombuffer(self.data, dtype=dtype, count=r.length // np.dtype(dtype).itemsize,
                             offset=r.offset).astype(np.int64)

    def _matrix(self, tensor: Tensor, layer) -> Matrix:
        rows, cols = {
            Tensor.WQ: (self.dim, self.dim), Tensor.WK: (self.kv_dim, self.dim),
            Tensor.WV: (self.kv_dim, self.dim), Tensor.WO: (self.dim, self.dim),
            Tensor.W1: (self.hidden, self.dim), Tensor.W3: (self.hidden, self.dim),
            Tensor.W2: (self.dim, self.hidden), Tensor.WCLS: (self.vocab, self.dim),
        }[tensor]
        w = (self._arr(tensor, np.uint8, layer) - fmt.W8_BIAS).reshape(rows, cols)  # offset binary
        recs = self._arr(fmt.WEIGHTS[tensor], np.uint8, layer).reshape(rows, -1, 4)
        return Matrix(w, recs[:, :, 0] | (recs[:, :, 1] << 8), recs[:, :, 2])

    def reset(self) -> None:
        """Empty KV cache (the C64's lives in the REU; only positions < pos are ever read)."""
        shape = (self.n_layers, self.n_kv, self.seq_len, self.hs)
        self.kcache = np.zeros(shape, np.int64)  # int16 Q.FRAC_QK
        self.vcache = np.zeros(shape, np.int64)  # int16 Q.FRAC_V

    # -----------------------------------------------------------------------------------------
    # Forward pass
    # -----------------------------------------------------------------------------------------

    def _normed(self, x: np.ndarray):
        q, _, _ = quant(x)
        s, ss = rms_pair(q, self.rsqrt)
        return [(q, s, ss)]

    def _rope(self, v: np.ndarray, pos: int) -> np.ndarray:
        pairs = v.reshape(-1, self.hs // 2, 2)
        c, s = self.rope[pos, :, 0], self.rope[pos, :, 1]
        v0, v1 = pairs[..., 0], pairs[..., 1]
        r0 = sat16((v0 * c - v1 * s + (1 << 13)) >> fmt.FRAC_ROPE)
        r1 = sat16((v0 * s + v1 * c + (1 << 13)) >> fmt.FRAC_ROPE)
        return np.stack([r0, r1], axis=-1).reshape(-1)

    def _attention_head(self, layer: int, h: int, q: np.ndarray, pos: int) -> np.ndarray:
        kvh = h // self.kv_mul
        qq, s_q, ss_q = quant(q)
        keys = self.kcache[layer, kvh, :pos + 1]  # (pos+1, hs)
        scores = keys @ qq  # (pos+1,)
        d = scores.max() - scores
        idx = np.minimum(255, rescale(d, mulhi16(self.att_m, s_q), self.att_e + ss_q - 16))
        p = self.exp8[idx]  # (pos+1,) u8
        total = int(p.sum())
        if total >= 1 << 16:
            norm, k3 = total >> 1, -1
        else:
            norm, k3 = total, 0
            while norm < 1 << 15:
                norm <<= 1
                k3 += 1
        inv = min(65535, (1 << 31) // norm)
        acc = wrap32(p @ self.vcache[layer, kvh, :pos + 1])  # (hs,)
        return sat16(rescale(acc, inv, 31 - k3))

    def forward(self, token: int, pos: int, trace: dict | None = None) -> np.ndarray:
        """Logits (vocab,) int64 holding s32 values in Q.FRAC_LOGIT; fills the KV cache at pos.

        Args:
            trace: if given, filled with every stage's integer buffer, keyed 'L{l}.{stage}'.
        """
        def keep(name, value):
            if trace is not None:
                trace[name] = np.array(value, np.int64)

        x = self.emb[token].copy()
        keep("embed", x)
        for layer, mats in enumerate(self.layers):
            g = self._normed(x)
            q = self._rope(sat16(mats[Tensor.WQ].apply(g)), pos)
            k = self._rope(sat16(mats[Tensor.WK].apply(g)), pos)
            v = sat16(mats[Tensor.WV].apply(g))
            keep(f"L{layer}.q", q)
            keep(f"L{layer}.k", k)
            keep(f"L{layer}.v", v)
            self.kcache[layer, :, pos] = k.reshape(self.n_kv, self.hs)
            self.vcache[layer, :, pos] = v.reshape(self.n_kv, self.hs)
            att = np.concatenate([self._attention_head(layer, h, q[h * self.hs:(h + 1) * self.hs], pos)
                                  for h in range(self.n_heads)])
            keep(f"L{layer}.att", att)
            x = sat16(x + sat16(mats[Tensor.WO].apply([quant(att)])))
            keep(f"L{layer}.x_att", x)
            g = self._normed(x)
            h1 = sat16(mats[Tensor.W1].apply(g))
            h3 = sat16(mats[Tensor.W3].apply(g))
            keep(f"L{layer}.h1", h1)
            keep(f"L{layer}.h3", h3)
            hb = sat16((self._silu(h1) * h3 + (1 << (fmt.FRAC_H - 1))) >> fmt.FRAC_H)
            keep(f"L{layer}.hb", hb)
            groups = [quant(hb[c:c + fmt.GROUP]) for c in range(0, self.hidden, fmt.GROUP)]
            x = sat16(x + sat16(mats[Tensor.W2].apply(groups)))
            keep(f"L{layer}.x_ffn", x)
        logits = self.cls.apply(self._normed(x))
        keep("logits", logits)
        return logits

    def _silu(self, h: np.ndarray) -> np.ndarray:
        step = fmt.FRAC_H - 4  # table step 1/16
        u = (h >> step) + (fmt.SILU_LEN - 1) // 2
        frac = h & ((1 << step) - 1)
        inside = (u >= 0) & (u < fmt.SILU_LEN - 1)
        uc = np.clip(u, 0, fmt.SILU_LEN - 2)
        a, b = self.silu[uc], self.silu[uc + 1]
        interp = a + (((b - a) * frac + (1 << (step - 1))) >> step)
        return np.where(inside, interp, np.where(u >= fmt.SILU_LEN - 1, h, 0))

    # -----------------------------------------------------------------------------------------
    # Sampling and generation
    # -----------------------------------------------------------------------------------------

    def sample(self, logits: np.ndarray, temperature_q8: int, top_p_q16: int, state: int) -> tuple[int, int]:
        """(token, new rng state). Greedy when temperature_q8 == 0 (state unchanged)."""
        if temperature_q8 == 0:
            return int(np.argmax(logits)), state
        d = logits.max() - logits
        t, kt = temperature_q8, 0
        while t < 1 << 15:
            t <<= 1
            kt += 1
        inv = min(65535, (1 << 31) // t)
        idx = np.minimum(fmt.EXP16_LEN - 1, rescale(np.minimum(d, 1 << 24), inv, 28 - kt))
        p = self.exp16[idx]
        state = xorshift32(state)
        if 0 < top_p_q16 < 65535:
            order = np.lexsort((np.arange(len(p)), -p))  # p desc, id asc
            cum = np.cumsum(p[order])
            thresh = (int(p.sum()) >> 8) * (top_p_q16 >> 8)
            keep = int(np.searchsorted(cum, thresh, side="left")) + 1
            order = order[:keep]
        else:
            order = np.arange(len(p))
        cum = np.cumsum(p[order])
        target = state % int(cum[-1])
        return int(order[int(np.searchsorted(cum, target, side="right"))]), state

    def generate(self, prompt_tokens: list, steps: int, temperature_q8: int = 0, top_p_q16: int = 0,
                 seed: int = 1) -> list:
        """Generated token ids after the prompt, as the C64 emits them (see ``generate``)."""
        return generate(self, prompt_tokens, steps, temperature_q8, top_p_q16, seed)


def generate(model, prompt_tokens: list, steps: int, temperature_q8: int = 0, top_p_q16: int = 0,
             seed: int = 1) -> list:
    """The C64's story loop for a twin (fast or exact): feed the prompt, then sample.

    Returns:
        Generated token ids after the prompt: at most ``steps``, stopping at BOS (1) or the end
        of the context.
    """
    model.reset()
    state = seed_state(seed)
    token, out = prompt_tokens[0], []
    for pos in range(model.seq_len):
        logits = model.forward(token, pos)
        if pos + 1 < len(prompt_tokens):
            token = prompt_tokens[pos + 1]
            continue
        token, state = model.sample(logits, temperature_q8, top_p_q16, state) if steps else (1, state)
        if token == 1:
            break
        out.append(token)
        if len(out) >= steps:
            break
    return out
