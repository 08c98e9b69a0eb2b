"""Export a llama2.c checkpoint + tokenizer into one self-describing REU image (weights.reu + reu_map.json).

Quantisation (the integer scheme the twin in build_chain/twin.py and the C64 program compute):

* every matrix is int8, symmetric (max/127), in row-local groups of at most GROUP columns
  (w2's 172-wide rows: 64 + 64 + 44); each group's scale is stored as a 16-bit mantissa M in
  [2^15, 2^16) and a shift e, so that scale * c ~= M * 2^-e, where c folds what the C64 needs:
  sqrt(dim) * 2^FRAC_OUT for inputs that come through an RMSNorm (whose gains are folded into
  the columns), 2^(FRAC_OUT - FRAC_IN) / 127 for inputs quantised with max/127; the weights
  are stored in offset binary (reu_format.W8_BIAS), the C64 kernel's table index;
* the input embedding is int16 Q.FRAC_X, the classifier a second int8 copy with the final norm's
  gains folded in; lookup tables (rsqrt, exp, SiLU, RoPE) are computed here once.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from build_chain import reu_format as fmt
from build_chain.checkpoint import Checkpoint, load_checkpoint
from build_chain.errors import BuildChainError, ExportError
from build_chain.reu_format import Tensor

# ---------------------------------------------------------------------------------------------
# Quantisers
# ---------------------------------------------------------------------------------------------


def mantissa_shift(value: np.ndarray, min_shift: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Split positive values into (M, e) with M in [2^15, 2^16) and value ~= M * 2^-e.

    Args:
        min_shift: smallest e the C64's rescale can use with this scale (its shift must stay >= 1).

    Returns:
        (M u16, e u8) arrays; zero values give (0, 0).
    """
    value = np.asarray(value, dtype=np.float64)
    safe = np.where(value > 0, value, 1.0)
    e = 15 - np.floor(np.log2(safe)).astype(np.int64)
    m = np.rint(safe * np.exp2(e)).astype(np.int64)
    over = m >= 1 << 16
    m = np.where(over, m >> 1, m)
    e = np.where(over, e - 1, e)
    if (value > 0).any() and (e[value > 0].min() < min_shift or e[value > 0].max() > 60):
        raise ExportError(f"a scale is out of the C64's range (shift {e.min()}..{e.max()}); "
                          "the model's weights are unusually large or small.")
    return np.where(value > 0, m, 0).astype(np.uint16), np.where(value > 0, e, 0).astype(np.uint8)


def quantize_rows(w: np.ndarray, factor: float, min_shift: int) -> tuple[np.ndarray, np.ndarray, float]:
    """int8 row-group quantisation of a (rows, cols) float matrix.

    Args:
        w: (rows, cols) float32 weights, rows = outputs.
        factor: constant folded into every scale (see the module docstring).
        min_shift: smallest scale shift allowed (17 for max/127 inputs, whose pair shift can be 0).

    Returns:
        (q, scales, max_err): q (rows, cols) int8; scales (rows, groups, 4) u8 records
        {M lo, M hi, e, 0}; the largest absolute rounding error in weight units.
    """
    rows, cols = w.shape
    groups = -(-cols // fmt.GROUP)
    q = np.zeros((rows, cols), np.int8)
    recs = np.zeros((rows, groups, 4), np.uint8)
    max_err = 0.0
    for g in range(groups):
        block = w[:, g * fmt.GROUP:(g + 1) * fmt.GROUP].astype(np.float64)
        scale = np.abs(block).max(axis=1) / 127.0  # (rows,)
        safe = np.where(scale > 0, scale, 1.0)[:, None]
        qb = np.clip(np.rint(block / safe), -127, 127)
        max_err = max(max_err, float(np.abs(qb * safe - block).max()))
        q[:, g * fmt.GROUP:(g + 1) * fmt.GROUP] = qb.astype(np.int8)
        m, e = mantissa_shift(scale * factor, min_shift)
        recs[:, g, 0] = m & 0xFF
        recs[:, g, 1] = m >> 8
        recs[:, g, 2] = e
    return q, recs, max_err


def offset_binary(q: np.ndarray) -> bytes:
    """The bytes of an int8 matrix as the image stores the fast mode's: w + W8_BIAS."""
    return (q.astype(np.int16) + fmt.W8_BIAS).astype(np.uint8).tobytes()


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------


def tables(cfg) -> dict:
    """The lookup tables the integer arithmetic uses, keyed by tensor id."""
    idx = np.arange(256, dtype=np.float64)
    rsqrt = np.where(idx >= 64, np.rint(2.0 ** 23 / np.sqrt(np.maximum(idx, 1) * 256 + 128)), 0)
    exp8 = np.rint(255.0 * np.exp(-idx / fmt.EXP8_STEP))
    exp16 = np.rint(65535.0 * np.exp(-np.arange(fmt.EXP16_LEN) / fmt.EXP16_STEP))
    xs = (np.arange(fmt.SILU_LEN) - (fmt.SILU_LEN - 1) // 2) / fmt.SILU_STEP
    silu = np.rint(xs / (1.0 + np.exp(-xs)) * (1 << fmt.FRAC_H))
    # RoPE as run.c computes it (float32 powf/cosf/sinf), then Q1.14.
    hs = cfg.head_size
    head_dim = np.arange(0, hs, 2, dtype=np.float32)
    freq = (1.0 / np.power(np.float32(10000.0), head_dim / np.float32(hs))).astype(np.float32)
    val = (np.arange(cfg.seq_len, dtype=np.float32)[:, None] * freq[None, :]).astype(np.float32)
    rope = np.stack([np.cos(val), np.sin(val)], axis=-1).astype(np.float64)  # (seq, hs/2, 2)
    rope = np.rint(rope * (1 << fmt.FRAC_ROPE))
    att_m, att_e = mantissa_shift(np.array([fmt.EXP8_STEP / (127.0 * math.sqrt(hs))
                                            * 2.0 ** (-2 * fmt.FRAC_QK)]))
    consts = np.zeros(fmt.N_CONST, np.uint16)
    consts[fmt.CONST_ATT_M], consts[fmt.CONST_ATT_E] = att_m[0], att_e[0]
    return {
        Tensor.TAB_RSQRT: rsqrt.astype("<u2"), Tensor.TAB_EXP8: exp8.astype(np.uint8),
        Tensor.TAB_SILU: silu.astype("<i2"), Tensor.TAB_EXP16: exp16.astype("<u2"),
        Tensor.TAB_ROPE: rope.astype("<i2"), Tensor.TAB_CONST: consts.astype("<u2"),
    }


def tokenizer_regions(vocab: list, scores: np.ndarray) -> dict:
    """TOK_* regions: strings, offsets+lengths, ids sorted by string, merge ranks."""
    strings = b"".join(vocab)
    if len(strings) > 0xFFFF or max(len(v) for v in vocab) > 255:
        raise ExportError("the tokenizer's strings are too large for the C64 (64 KB in all, 255 per token).")
    offsets = np.cumsum([0] + [len(v) for v in vocab[:-1]]).astype("<u2")
    lengths = np.array([len(v) for v in vocab], np.uint8)
    order = sorted(range(len(vocab)), key=lambda i: (vocab[i], i))
    ranks = np.searchsorted(np.unique(scores), scores).astype("<u2")  # dense rank, equal scores share
    return {
        Tensor.TOK_STRINGS: np.frombuffer(strings, np.uint8),
        Tensor.TOK_OFFSETS: np.concatenate([offsets.view(np.uint8), lengths]),
        Tensor.TOK_SORTED: np.array(order, "<u2"), Tensor.TOK_RANKS: ranks,
    }


# ---------------------------------------------------------------------------------------------
# Image assembly
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ExportResult:
    reu: Path
    reu_map: Path
    header: fmt.Header
    max_weight_error: float


def build_image(ckpt: Checkpoint, vocab: list, scores: np.ndarray) -> tuple[bytes, fmt.Header, float]:
    """Quantise and lay out everything; returns (image bytes padded to the REU size, header, max error)."""
    cfg = ckpt.config
    if len(vocab) != cfg.vocab_size:
        raise ExportError(f"tokenizer/vocab mismatch: the tokenizer has {len(vocab)} tokens, "
                          f"the checkpoint {cfg.vocab_size}.")
    normed = math.sqrt(cfg.dim)
    out_x, out_qk, out_v, out_h = (2.0 ** f for f in (fmt.FRAC_X, fmt.FRAC_QK, fmt.FRAC_V, fmt.FRAC_H))
    blobs: list = []  # (tensor, layer, bytes)
    max_err = 0.0
    for tensor, arr in tokenizer_regions(vocab, scores).items():
        blobs.append((tensor, None, arr.tobytes()))
    for tensor, arr in tables(cfg).items():
        blobs.append((tensor, None, arr.tobytes()))
    emb = np.clip(np.rint(ckpt.token_embedding.astype(np.float64) * out_x), -32767, 32767).astype("<i2")
    blobs.append((Tensor.EMB, None, emb.tobytes()))
    for layer in range(cfg.n_layers):
        g_att = ckpt.rms_att[layer].astype(np.float64)[None, :]
        g_ffn = ckpt.rms_ffn[layer].astype(np.float64)[None, :]
        mats = [
            (Tensor.WQ, ckpt.wq[layer] * g_att, normed * out_qk),
            (Tensor.WK, ckpt.wk[layer] * g_att, normed * out_qk),
            (Tensor.WV, ckpt.wv[layer] * g_att, normed * out_v),
            (Tensor.WO, ckpt.wo[layer], out_x / out_v / 127.0),
            (Tensor.W1, ckpt.w1[layer] * g_ffn, normed * out_h),
            (Tensor.W3, ckpt.w3[layer] * g_ffn, normed * out_h),
            (Tensor.W2, ckpt.w2[layer], out_x / out_h / 127.0),
        ]
        for tensor, w, factor in mats:
            q, recs, err = quantize_rows(np.asarray(w, np.float64), factor,
                                         17 if tensor in (Tensor.WO, Tensor.W2) else 1)
            max_err = max(max_err, err)
            blobs.append((tensor, layer, offset_binary(q)))
            blobs.append((fmt.WEIGHTS[tensor], layer, recs.tobytes()))
    wcls = ckpt.wcls.astype(np.float64) * ckpt.rms_final.astype(np.float64)[None, :]
    q, recs, err = quantize_rows(wcls, normed * 2.0 ** fmt.FRAC_LOGIT, 1)
    max_err = max(max_err, err)
    blobs.append((Tensor.WCLS, None, offset_binary(q)))
    blobs.append((Tensor.SCLS, None, recs.tobytes()))
    cache_bytes = cfg.n_kv_heads * cfg.seq_len * cfg.head_size * 2
    for layer in range(cfg.n_layers):
        blobs.append((Tensor.KCACHE, layer, cache_bytes))
        blobs.append((Tensor.VCACHE, layer, cache_bytes))
    blobs += exact_blobs(ckpt)  # exact mode's regions, after every fast-mode region

    # Layout: header + region table first, then every blob page-aligned in the order above.
    n_regions = len(blobs) + 2
    table_len = n_regions * fmt.REGION_ENTRY.size
    regions = [fmt.Region(Tensor.HEADER, None, 0, fmt.HEADER.size),
               fmt.Region(Tensor.REGION_TABLE, None, fmt.HEADER.size, table_len)]
    offset = _align(fmt.HEADER.size + table_len)
    for tensor, layer, blob in blobs:
        length = blob if isinstance(blob, int) else len(blob)
        regions.append(fmt.Region(tensor, layer, offset, length))
        offset = _align(offset + length)
    image_size = regions[-1].offset + regions[-1].length
    reu_size = fmt.reu_size_for(image_size)
    header = fmt.Header(fmt.FORMAT_VERSION, image_size, reu_size, cfg.dim, cfg.hidden_dim, cfg.n_layers,
                        cfg.n_heads, cfg.n_kv_heads, cfg.vocab_size, cfg.seq_len,
                        max(len(v) for v in vocab), tuple(regions))
    image = bytearray(reu_size)
    packed = header.pack()
    image[:len(packed)] = packed
    for region, (_, _, blob) in zip(regions[2:], blobs):
        if not isinstance(blob, int):
            image[region.offset:region.offset + region.length] = blob
    return bytes(image), header, max_err


# ---------------------------------------------------------------------------------------------
# Exact mode (build_chain/twin_exact.py)
# ---------------------------------------------------------------------------------------------


def quantize_rows16(w: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """int16 per-row quantisation with an exactly representable scale.

    Each row's scale is M * 2^-e with M a u16 in [2^15, 2^16) rounded up from max|row| / 32767,
    so that the stored scale has no rounding error and every |q| <= 32767.

    Args:
        w: (rows, cols) float64 weights with every fold already applied.

    Returns:
        (q, recs, max_err): q (rows, cols) int16; recs (rows, 4) u8 {M lo, M hi, e, 0};
        the largest absolute rounding error in weight units.
    """
    w = np.asarray(w, np.float64)
    amax = np.abs(w).max(axis=1)
    safe = np.where(amax > 0, amax / 32767.0, 1.0)
    e = 15 - np.floor(np.log2(safe)).astype(np.int64)
    m = np.ceil(safe * np.exp2(e)).astype(np.int64)
    over = m >= 1 << 16
    m = np.where(over, 1 << 15, m)
    e = np.where(over, e - 1, e)
    if (amax > 0).any() and (e[amax > 0].min() < 1 or e[amax > 0].max() > 62):
        raise ExportError(f"an exact-mode weight scale is out of the C64's range (shift {e.min()}..{e.max()}); "
                          "the model's weights are unusually large or small.")
    scale = (m * np.exp2(-e))[:, None]
    q = np.clip(np.rint(w / scale), -32767, 32767)
    q = np.where(amax[:, None] > 0, q, 0)
    max_err = float(np.abs(q * scale - w)[amax > 0].max()) if (amax > 0).any() else 0.0
    recs = np.zeros((w.shape[0], 4), np.uint8)
    recs[:, 0] = np.where(amax > 0, m & 0xFF, 0)
    recs[:, 1] = np.where(amax > 0, m >> 8, 0)
    recs[:, 2] = np.where(amax > 0, e, 0)
    return q.astype("<i2"), recs, max_err


def exact_tables(cfg) -> dict:
    """Exact mode's tables and constants, keyed by tensor id."""
    i = np.arange(256, dtype=np.float64)
    exp2 = np.stack([np.rint(2.0 ** 31 * np.exp2(-i / 2.0 ** b)) for b in (8, 16, 24)]).astype("<u4")
    hs = cfg.head_size
    head_dim = np.arange(0, hs, 2, dtype=np.float32)
    freq = (np.float32(1.0) / np.power(np.float32(10000.0), head_dim / np.float32(hs))).astype(np.float32)
    val = (np.arange(cfg.seq_len, dtype=np.float32)[:, None] * freq[None, :]).astype(np.float32)
    rope = np.stack([np.cos(val), np.sin(val)], axis=-1).astype(np.float32).astype(np.float64)
    rope = np.rint(rope * 2.0 ** fmt.EX_ROPE_FRAC).astype("<i4")  # (seq, hs/2, 2) Q1.30
    eps = float(np.float32(1e-5))
    consts = np.zeros(fmt.EX_N_CONST, np.int64)
    consts[fmt.EX_CONST_FRAC] = fmt.EX_FRAC
    consts[fmt.EX_CONST_ATT] = round(math.log2(math.e) / math.sqrt(hs) * 2.0 ** 31)
    consts[fmt.EX_CONST_LOG2E] = round(math.log2(math.e) * 2.0 ** 30)
    eps_c = max(1, round(cfg.dim * eps * 2.0 ** (2 * fmt.EX_FRAC)))
    consts[fmt.EX_CONST_EPS], consts[fmt.EX_CONST_EPS_HI] = eps_c & 0xFFFFFFFF, eps_c >> 32
    return {Tensor.EX_TAB_EXP2: exp2, Tensor.EX_TAB_ROPE: rope, Tensor.EX_TAB_CONST: consts.astype("<u4")}


def exact_blobs(ckpt: Checkpoint) -> list:
    """Exact mode's regions [(tensor, layer, bytes or cache length)], appended after the fast mode's.

    Raises:
        ExportError: a value does not fit the exact mode's formats.
    """
    cfg = ckpt.config
    normed = math.sqrt(cfg.dim)
    blobs: list = [(t, None, arr.tobytes()) for t, arr in exact_tables(cfg).items()]
    emb = np.rint(ckpt.token_embedding.astype(np.float64) * 2.0 ** fmt.EX_FRAC)
    if np.abs(emb).max() >= 2 ** 31:
        raise ExportError("the token embedding is too large for the exact mode's int32 Q11.20.")
    blobs.append((Tensor.EX_EMB, None, emb.astype("<i4").tobytes()))
    for layer in range(cfg.n_layers):
        g_att = ckpt.rms_att[layer].astype(np.float64)[None, :] * normed
        g_ffn = ckpt.rms_ffn[layer].astype(np.float64)[None, :] * normed
        for tensor, w in ((Tensor.EX_WQ, ckpt.wq[layer] * g_att), (Tensor.EX_WK, ckpt.wk[layer] * g_att),
                          (Tensor.EX_WV, ckpt.wv[layer] * g_att), (Tensor.EX_WO, ckpt.wo[layer]),
                          (Tensor.EX_W1, ckpt.w1[layer] * g_ffn), (Tensor.EX_W3, ckpt.w3[layer] * g_ffn),
                          (Tensor.EX_W2, ckpt.w2[layer])):
            q, recs, _ = quantize_rows16(np.asarray(w, np.float64))
            blobs.append((tensor, layer, q.tobytes()))
            blobs.append((fmt.EX_WEIGHTS[tensor], layer, recs.tobytes()))
    wcls = ckpt.wcls.astype(np.float64) * ckpt.rms_final.astype(np.float64)[None, :] * normed
    q, recs, _ = quantize_rows16(wcls)
    blobs.append((Tensor.EX_WCLS, None, q.tobytes()))
    blobs.append((Tensor.EX_SCLS, None, recs.tobytes()))
    cache_bytes = cfg.n_kv_heads * cfg.seq_len * cfg.head_size * 4
    for layer in range(cfg.n_layers):
        blobs.append((Tensor.EX_KCACHE, layer, cache_bytes))
        blobs.append((Tensor.EX_VCACHE, layer, cache_bytes))
    return blobs


def _align(n: int) -> int:
    return -(-n // fmt.ALIGN) * fmt.ALIGN


def region_map(header: fmt.Header) -> dict:
    """reu_map.json: every region with name, layer, offset, length, kind; gaps and the tail as 'free'."""
    entries = []
    cursor = 0
    for r in sorted(header.regions, key=lambda r: r.offset):
        if r.offset > cursor:
            entries.append({"name": "pad", "layer": None, "offset": cursor, "length": r.offset - cursor,
                            "kind": "free"})
        entries.append({"name": r.name, "layer": r.layer, "offset": r.offset, "length": r.length,
                        "kind": r.kind})
        cursor = r.offset + r.length
    if cursor < header.reu_size:
        entries.append({"name": "free", "layer": None, "offset": cursor, "length": header.reu_size - cursor,
                        "kind": "free"})
    return {
        "format": "gui64-reu", "version": header.version, "reu_size": header.reu_size,
        "image_size": header.image_size,
        "model": {k: getattr(header, k) for k in ("dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads",
                                                  "vocab_size", "seq_len")},
        "regions": entries,
    }


def export_model(checkpoint: str | Path, tokenizer: str | Path, out_dir: str | Path) -> ExportResult:
    """Write out_dir/weights.reu and out_dir/reu_map.json atomically (nothing half-written on failure).

    Raises:
        ExportError: bad checkpoint or tokenizer, model too large, output folder not writable.
    """
    from build_chain.tokenizer import Tokenizer

    ckpt = load_checkpoint(checkpoint)
    tok = Tokenizer.load(tokenizer, vocab_size=ckpt.config.vocab_size)
    image, header, max_err = build_image(ckpt, list(tok.vocab), np.asarray(tok.scores, np.float32))
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        reu_path, map_path = out / "weights.reu", out / "reu_map.json"
        _write_atomic(reu_path, image)
        _write_atomic(map_path, (json.dumps(region_map(header), indent=1) + "\n").encode())
    except OSError as exc:
        raise ExportError(f"{out}: cannot write the output folder ({exc.strerror}).") from None
    return ExportResult(reu_path, map_path, header, max_err)


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gui64 export", description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", help="llama2.c checkpoint (default: stories260K.bin where found)")
    parser.add_argument("--tokenizer", help="llama2.c tokenizer (default: tok512.bin where found)")
    parser.add_argument("--model-dir", help="folder holding both model files")
    parser.add_argument("--out", required=True, help="output folder for weights.reu and reu_map.json")
    args = parser.parse_args(argv)
    from gui64.errors import Gui64Error
    from gui64.models import find_model_files

    try:
        checkpoint, tokenizer = args.checkpoint, args.tokenizer
        if checkpoint is None or tokenizer is None:
            found = find_model_files(args.model_dir)
            checkpoint = checkpoint or found.checkpoint
            tokenizer = tokenizer or found.tokenizer
        result = export_model(checkpoint, tokenizer, args.out)
    except (BuildChainError, Gui64Error) as exc:
        print(f"gui64 export: {exc}", file=sys.stderr)
        return 1
    h = result.header
    print(f"wrote {result.reu} ({h.reu_size // 1024} KB REU, {h.image_size} bytes used, "
          f"{len(h.regions)} regions) and {result.reu_map}; max weight rounding error {result.max_weight_error:.5f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
