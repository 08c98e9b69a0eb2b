"""The float32 oracle: llama2.c run.c's forward pass, sampler and generate loop in numpy."""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from build_chain.checkpoint import Checkpoint
from build_chain.tokenizer import BOS, Tokenizer, safe_piece

F32 = np.float32
RMS_EPS = F32(1e-5)
ROPE_THETA = F32(10000.0)

# ----------------------------------------------------------------------------------------------
# model


def rmsnorm(x: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """run.c's rmsnorm: weight * (x / sqrt(mean(x^2) + 1e-5)).

    Args:
        x: (dim,) float32 activations.
        weight: (dim,) float32 gains.

    Returns:
        (dim,) float32.
    """
    ss = F32(np.dot(x, x)) / F32(x.shape[0]) + RMS_EPS
    return weight * (F32(1.0) / np.sqrt(ss) * x)


def softmax(x: np.ndarray) -> np.ndarray:
    """run.c's softmax over the last axis, in float32 (max-subtracted).

    Args:
        x: (..., n) float32.

    Returns:
        (..., n) float32 probabilities.
    """
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def rope_tables(seq_len: int, head_size: int) -> tuple[np.ndarray, np.ndarray]:
    """RoPE cos/sin per position and pair, computed like run.c (float32 powf/cosf/sinf).

    freq_j = 1 / 10000^(2j / head_size); angle = pos * freq_j.

    Args:
        seq_len: positions to tabulate.
        head_size: values per head (even).

    Returns:
        cos, sin: each (seq_len, head_size // 2) float32.
    """
    head_dim = np.arange(0, head_size, 2, dtype=F32)  # run.c's i % head_size for the pair
    freq = F32(1.0) / np.power(ROPE_THETA, head_dim / F32(head_size))  # (hs/2,) f32
    angle = np.arange(seq_len, dtype=F32)[:, None] * freq[None, :]  # (seq_len, hs/2) f32
    return np.cos(angle).astype(F32), np.sin(angle).astype(F32)


def _rotate(vec: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> np.ndarray:
    """Rotate (heads, head_size) pairs (v0, v1) by the angles of one position."""
    pairs = vec.reshape(vec.shape[0], -1, 2)  # (heads, hs/2, 2) f32
    v0, v1 = pairs[..., 0], pairs[..., 1]
    out = np.empty_like(pairs)
    out[..., 0] = v0 * cos - v1 * sin
    out[..., 1] = v0 * sin + v1 * cos
    return out.reshape(vec.shape)


class FloatModel:
    """run.c's Transformer in float32 numpy, with its own KV cache.

    Call `forward(token, pos)` for pos = 0, 1, 2, ... in order (as run.c does); `reset()` starts a
    new sequence.

    Args:
        checkpoint: the weights (from `build_chain.checkpoint.load_checkpoint`).
    """

    def __init__(self, checkpoint: Checkpoint) -> None:
        self.checkpoint = checkpoint
        self.config = cfg = checkpoint.config
        self.head_size = cfg.head_size
        self.kv_mul = cfg.kv_mul
        self.rope_cos, self.rope_sin = rope_tables(cfg.seq_len, cfg.head_size)  # (seq_len, hs/2) f32
        self.att_scale = F32(np.sqrt(F32(cfg.head_size)))
        self.key_cache = np.zeros((cfg.n_layers, cfg.seq_len, cfg.kv_dim), F32)  # (L, seq_len, kv_dim) f32
        self.value_cache = np.zeros_like(self.key_cache)  # (L, seq_len, kv_dim) f32

    def reset(self) -> None:
        """Forget the KV cache (start a new sequence at pos 0)."""
        self.key_cache[:] = 0
        self.value_cache[:] = 0

    def forward(self, token: int, pos: int) -> np.ndarray:
        """One position of run.c's forward().

        Args:
            token: the input token id.
            pos: its position (0 <= pos < seq_len); positions before it must already be done.

        Returns:
            (vocab_size,) float32 logits (a fresh array).
        """
        return self._forward(token, pos, None)

    def forward_trace(self, token: int, pos: int) -> tuple[np.ndarray, dict[str, list[np.ndarray]]]:
        """`forward`, also returning every intermediate vector (for comparing with the C64/twin).

        Args:
            token: the input token id.
            pos: its position.

        Returns:
            (logits, trace): trace maps a name to one float32 array per layer: "x_in" (dim,),
            "xb_att" (dim,) the attention rmsnorm output, "q" (dim,) and "k", "v" (kv_dim,) after
            RoPE, "att" (n_heads, pos+1) attention weights, "att_out" (dim,) before wo, "x_att"
            (dim,) the residual after attention, "xb_ffn" (dim,), "hb" (hidden,) SwiGLU output,
            "x_out" (dim,); plus "x_final" [(dim,)] after the final rmsnorm.
        """
        trace: dict[str, list[np.ndarray]] = {}
        logits = self._forward(token, pos, trace)
        return logits, trace

    def _forward(self, token: int, pos: int, trace: dict[str, list[np.ndarray]] | None) -> np.ndarray:
        cfg, w = self.config, self.checkpoint
        if not 0 <= pos < cfg.seq_len:
            raise ValueError(f"position {pos} is outside the model's context (0..{cfg.seq_len - 1}).")
        if not 0 <= token < cfg.vocab_size:
            raise ValueError(f"token {token} is outside the vocabulary (0..{cfg.vocab_size - 1}).")
        hs, n_kv = self.head_size, cfg.n_kv_heads
        cos, sin = self.rope_cos[pos], self.rope_sin[pos]  # (hs/2,) f32

        def keep(name: str, value: np.ndarray) -> None:
            if trace is not None:
                trace.setdefault(name, []).append(np.array(value, dtype=F32))

        x = w.token_embedding[token].copy()  # (dim,) f32
        for layer in range(cfg.n_layers):
            keep("x_in", x)
            xb = rmsnorm(x, w.rms_att[layer])
            keep("xb_att", xb)
            q = _rotate((w.wq[layer] @ xb).reshape(cfg.n_heads, hs), cos, sin)  # (n_heads, hs) f32
            k = _rotate((w.wk[layer] @ xb).reshape(n_kv, hs), cos, sin)  # (n_kv, hs) f32
            v = w.wv[layer] @ xb  # (kv_dim,) f32
            self.key_cache[layer, pos] = k.reshape(-1)
            self.value_cache[layer, pos] = v
            keep("q", q.reshape(-1))
            keep("k", k.reshape(-1))
            keep("v", v)
            # GQA: query head h reads kv head h // kv_mul
            keys = self.key_cache[layer, :pos + 1].reshape(pos + 1, n_kv, hs)  # (T, n_kv, hs) f32
            vals = self.value_cache[layer, :pos + 1].reshape(pos + 1, n_kv, hs)  # (T, n_kv, hs) f32
            qg = q.reshape(n_kv, self.kv_mul, hs)  # (n_kv, kv_mul, hs) f32
            scores = np.einsum("gmh,tgh->gmt", qg, keys) / self.att_scale  # (n_kv, kv_mul, T) f32
            att = softmax(scores)
            keep("att", att.reshape(cfg.n_heads, pos + 1))
            out = np.einsum("gmt,tgh->gmh", att, vals).reshape(-1)  # (dim,) f32
            keep("att_out", out)
            x = x + w.wo[layer] @ out
            keep("x_att", x)
            xb = rmsnorm(x, w.rms_ffn[layer])
            keep("xb_ffn", xb)
            h1 = w.w1[layer] @ xb  # (hidden,) f32
            h3 = w.w3[layer] @ xb  # (hidden,) f32
            hb = h1 * (F32(1.0) / (F32(1.0) + np.exp(-h1))) * h3  # SwiGLU, (hidden,) f32
            keep("hb", hb)
            x = x + w.w2[layer] @ hb
            keep("x_out", x)
        x = rmsnorm(x, w.rms_final)
        keep("x_final", x)
        return (w.wcls @ x).astype(F32, copy=False)


# ----------------------------------------------------------------------------------------------
# sampler (run.c: xorshift64*, argmax, multinomial, top-p)

_MASK64 = (1 << 64) - 1


def random_u32(state: int) -> tuple[int, int]:
    """run.c's random_u32 (xorshift64*).

    Args:
        state: the 64-bit generator state.

    Returns:
        (value, new_state): a 32-bit unsigned value and the advanced state.
    """
    state &= _MASK64
    state ^= state >> 12
    state ^= (state << 25) & _MASK64
    state ^= state >> 27
    return ((state * 0x2545F4914F6CDD1D) & _MASK64) >> 32, state


def random_f32(state: int) -> tuple[np.float32, int]:
    """run.c's random_f32: the top 24 bits of random_u32 as a float32 in [0, 1).

    Args:
        state: the 64-bit generator state.

    Returns:
        (value, new_state).
    """
    value, state = random_u32(state)
    return F32(value >> 8) / F32(16777216.0), state


def sample_argmax(probabilities: np.ndarray) -> int:
    """Index of the largest value (the first one on ties), as run.c."""
    return int(np.argmax(probabilities))


def sample_mult(probabilities: np.ndarray, coin: float) -> int:
    """Sample from probabilities with a coin in [0, 1), float32 running sum as run.c.

    Args:
        probabilities: (n,) float32, summing to ~1.
        coin: the random value.

    Returns:
        The first index whose cumulative probability exceeds the coin (n - 1 if none).
    """
    cdf = np.cumsum(probabilities, dtype=F32)  # sequential float32 sums, like the C loop
    hits = np.flatnonzero(F32(coin) < cdf)
    return int(hits[0]) if hits.size else len(probabilities) - 1


def sample_topp(probabilities: np.ndarray, topp: float, coin: float) -> int:
    """run.c's top-p (nucleus) sampling.

    Tokens below (1 - topp) / (n - 1) are dropped before sorting (they cannot be in the nucleus),
    the rest are sorted by descending probability (stable on ties; C's qsort leaves the order of
    ties unspecified), cut after the cumulative probability passes topp, and sampled with
    coin * that cumulative probability.

    Args:
        probabilities: (n,) float32.
        topp: the nucleus mass in (0, 1).
        coin: the random value in [0, 1).

    Returns:
        The sampled token id.
    """
    n = len(probabilities)
    topp = F32(topp)
    cutoff = (F32(1.0) - topp) / F32(n - 1)
    index = np.flatnonzero(probabilities >= cutoff)
    index = index[np.argsort(-probabilities[index], kind="stable")]
    probs = probabilities[index].astype(F32)
    cumulative = np.cumsum(probs, dtype=F32)
    over = np.flatnonzero(cumulative > topp)
    last = int(over[0]) if over.size else len(index) - 1
    r = F32(coin) * cumulative[last]
    cdf = np.cumsum(probs[:last + 1], dtype=F32)
    hits = np.flatnonzero(r < cdf)
    return int(index[hits[0]]) if hits.size else int(index[last])


class Sampler:
    """run.c's Sampler: temperature, top-p and the xorshift64* state.

    Args:
        vocab_size: number of logits.
        temperature: 0 means greedy (argmax).
        topp: nucleus mass; <= 0 or >= 1 means plain multinomial sampling.
        seed: the initial generator state; None or <= 0 means the time in seconds, as run.c.
    """

    def __init__(self, vocab_size: int, temperature: float = 1.0, topp: float = 0.9,
                 seed: int | None = None) -> None:
        if temperature < 0 or not np.isfinite(temperature):
            raise ValueError(f"temperature {temperature} must be 0 (greedy) or positive.")
        self.vocab_size = vocab_size
        self.temperature = F32(temperature)
        self.topp = F32(topp)
        self.state = seed if seed is not None and seed > 0 else int(time.time())

    def sample(self, logits: np.ndarray) -> int:
        """Pick the next token from (vocab_size,) float32 logits (not modified)."""
        if self.temperature == 0:
            return sample_argmax(logits)
        logits = np.asarray(logits, dtype=F32) / self.temperature
        e = np.exp(logits - logits.max())
        probs = e / np.cumsum(e, dtype=F32)[-1]  # run.c sums sequentially
        coin, self.state = random_f32(self.state)
        if self.topp <= 0 or self.topp >= 1:
            return sample_mult(probs, coin)
        return sample_topp(probs, self.topp, coin)


# ----------------------------------------------------------------------------------------------
# generation loop


def generate_runc(model: FloatModel, tokenizer: Tokenizer, prompt: str, steps: int,
                  temperature: float = 0.0, topp: float = 0.9, seed: int | None = None,
                  on_piece: Callable[[str], None] | None = None) -> tuple[list[int], str]:
    """run.c's generate(): feed the prompt, then sample, for `steps` positions in all.

    steps <= 0 or > seq_len means seq_len, as run.c. Generation also stops when BOS is sampled.

    Args:
        model: the float model (reset here).
        tokenizer: the tokenizer.
        prompt: the prompt text ("" for none).
        steps: the number of positions to run.
        temperature: 0 for greedy.
        topp: nucleus mass.
        seed: the sampler's seed (see `Sampler`).
        on_piece: called with each printed piece as it comes.

    Returns:
        (tokens, text): tokens are the sequence fed and produced, starting with BOS and the prompt
        tokens (the final BOS, if sampled, is left out); text is exactly what run.c prints,
        without its final newline: the prompt (minus the dummy-prefix space) and the story.
    """
    cfg = model.config
    if steps <= 0 or steps > cfg.seq_len:
        steps = cfg.seq_len
    sampler = Sampler(cfg.vocab_size, temperature, topp, seed)
    prompt_tokens = tokenizer.encode(prompt, bos=True, eos=False)
    model.reset()
    tokens = [prompt_tokens[0]]
    out = bytearray()
    token = prompt_tokens[0]
    pos = 0
    while pos < steps:
        logits = model.forward(token, pos)
        if pos < len(prompt_tokens) - 1:
            nxt = prompt_tokens[pos + 1]
        else:
            nxt = sampler.sample(logits)
        pos += 1
        if nxt == BOS:
            break
        piece = safe_piece(tokenizer.decode(token, nxt))
        out += piece
        if on_piece is not None and piece:
            on_piece(piece.decode("utf-8", errors="replace"))
        tokens.append(nxt)
        token = nxt
    return tokens, out.decode("utf-8", errors="replace")


def generate(model: FloatModel, tokenizer: Tokenizer, prompt: str, n_new: int,
             temperature: float = 0.0, topp: float = 0.9, seed: int | None = None) -> list[int]:
    """Generate `n_new` tokens after the prompt (fewer if BOS is sampled).

    Args:
        model: the float model (reset here).
        tokenizer: the tokenizer.
        prompt: the prompt text.
        n_new: how many tokens to generate.
        temperature: 0 for greedy.
        topp: nucleus mass.
        seed: the sampler's seed (see `Sampler`).

    Returns:
        The generated token ids (prompt not included).

    Raises:
        ValueError: prompt plus n_new does not fit the model's context.
    """
    prompt_tokens = tokenizer.encode(prompt, bos=True, eos=False)
    cfg = model.config
    if len(prompt_tokens) + n_new - 1 > cfg.seq_len:
        raise ValueError(f"{len(prompt_tokens)} prompt tokens + {n_new} new tokens do not fit the "
                         f"model's context of {cfg.seq_len}; ask for fewer tokens.")
    tokens, _ = generate_runc(model, tokenizer, prompt, len(prompt_tokens) - 1 + n_new,
                              temperature, topp, seed)
    return tokens[len(prompt_tokens):]
