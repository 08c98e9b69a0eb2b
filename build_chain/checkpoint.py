"""Read llama2.c checkpoints (legacy version-0 format) into float32 numpy arrays."""

from __future__ import annotations

import dataclasses
import struct
from pathlib import Path

import numpy as np

from build_chain.errors import ExportError

HEADER = struct.Struct("<7i")  # dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len


@dataclasses.dataclass(frozen=True)
class Config:
    """Model shape as stored in a llama2.c checkpoint header."""

    dim: int
    hidden_dim: int
    n_layers: int
    n_heads: int
    n_kv_heads: int
    vocab_size: int
    seq_len: int
    shared_classifier: bool = True

    @property
    def head_size(self) -> int:
        return self.dim // self.n_heads

    @property
    def kv_dim(self) -> int:
        return self.dim * self.n_kv_heads // self.n_heads

    @property
    def kv_mul(self) -> int:
        return self.n_heads // self.n_kv_heads


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    """A llama2.c model: its config and its float32 weights, shapes as in run.c."""

    config: Config
    token_embedding: np.ndarray  # (vocab, dim) f32
    rms_att: np.ndarray  # (L, dim) f32
    wq: np.ndarray  # (L, dim, dim) f32, rows = outputs
    wk: np.ndarray  # (L, kv_dim, dim) f32
    wv: np.ndarray  # (L, kv_dim, dim) f32
    wo: np.ndarray  # (L, dim, dim) f32
    rms_ffn: np.ndarray  # (L, dim) f32
    w1: np.ndarray  # (L, hidden, dim) f32
    w2: np.ndarray  # (L, dim, hidden) f32
    w3: np.ndarray  # (L, hidden, dim) f32
    rms_final: np.ndarray  # (dim,) f32
    wcls: np.ndarray  # (vocab, dim) f32 (the embedding when shared)


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Load a llama2.c version-0 checkpoint (run.c's format).

    Raises:
        ExportError: the file is missing, not a llama2.c checkpoint, or truncated.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ExportError(f"{path}: cannot read the checkpoint ({exc.strerror}).") from None
    if len(data) < HEADER.size:
        raise ExportError(f"{path}: not a llama2.c checkpoint (only {len(data)} bytes).")
    dim, hidden, n_layers, n_heads, n_kv, vocab, seq_len = HEADER.unpack_from(data)
    shared = vocab > 0
    vocab = abs(vocab)
    sane = (0 < dim <= 8192 and 0 < hidden <= 65536 and 0 < n_layers <= 256 and 0 < n_heads <= dim
            and 0 < n_kv <= n_heads and dim % n_heads == 0 and n_heads % n_kv == 0
            and 0 < vocab <= 1 << 20 and 0 < seq_len <= 1 << 20)
    if not sane:
        raise ExportError(f"{path}: not a llama2.c checkpoint (header "
                          f"{dim}/{hidden}/{n_layers}/{n_heads}/{n_kv}/{vocab}/{seq_len} makes no sense).")
    cfg = Config(dim, hidden, n_layers, n_heads, n_kv, vocab, seq_len, shared)
    hs, kv = cfg.head_size, cfg.kv_dim
    shapes = [
        ("token_embedding", (vocab, dim)), ("rms_att", (n_layers, dim)),
        ("wq", (n_layers, dim, dim)), ("wk", (n_layers, kv, dim)), ("wv", (n_layers, kv, dim)),
        ("wo", (n_layers, dim, dim)), ("rms_ffn", (n_layers, dim)),
        ("w1", (n_layers, hidden, dim)), ("w2", (n_layers, dim, hidden)), ("w3", (n_layers, hidden, dim)),
        ("rms_final", (dim,)),
        ("freq_cis", (seq_len, hs // 2 * 2)),  # legacy RoPE tables, skipped
    ]
    if not shared:
        shapes.append(("wcls", (vocab, dim)))
    need = HEADER.size + 4 * sum(int(np.prod(s)) for _, s in shapes)
    if len(data) < need:
        raise ExportError(f"{path}: truncated llama2.c checkpoint ({len(data)} bytes, the header needs {need}).")
    if len(data) > need:
        raise ExportError(f"{path}: not a llama2.c version-0 checkpoint ({len(data) - need} bytes more than "
                          "its header describes).")
    arrays = {}
    offset = HEADER.size
    for name, shape in shapes:
        count = int(np.prod(shape))
        arrays[name] = np.frombuffer(data, dtype="<f4", count=count, offset=offset).reshape(shape).copy()
        offset += 4 * count
    if not all(np.isfinite(a).all() for a in arrays.values()):
        raise ExportError(f"{path}: the checkpoint holds NaN or infinite weights.")
    arrays.pop("freq_cis")
    arrays.setdefault("wcls", arrays["token_embedding"])
    return Checkpoint(config=cfg, **arrays)
