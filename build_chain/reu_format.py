"""The weights.reu format, defined once as data: header, region table, tensor ids, fixed-point formats.

Byte layout (little-endian). Offset 0, the header (HEADER, 64 bytes)::

    0   4  magic "G64R"
    4   2  format version (FORMAT_VERSION)
    6   2  header length (64)
    8   4  image bytes used (end of the last non-free region)
    12  4  REU size needed (bytes; a legal REU size, 128 KB .. 16 MB)
    16  2  dim            18 2 hidden_dim     20 2 n_layers     22 2 n_heads
    24  2  n_kv_heads     26 2 vocab_size     28 2 seq_len      30 2 max_token_length
    32  4  region table offset (bytes)       36 2 region count  38 2 region entry size (12)
    40  24 reserved

At the table offset, one 12-byte entry per region (REGION_ENTRY)::

    0 1 tensor id (Tensor)   1 1 layer (0xFF = none)   2 2 reserved   4 4 offset   8 4 length

The C64 program finds every region by (tensor id, layer) from this table; reu_map.json lists the
same regions with names and kinds, plus the free tail. The tensors' contents and the integer
arithmetic that uses them are described in build_chain/twin.py.
"""

from __future__ import annotations

import dataclasses
import enum
import struct
from pathlib import Path

from build_chain.errors import ExportError

MAGIC = b"G64R"
FORMAT_VERSION = 2  # 2: int8 matrices in offset binary (W8_BIAS); fast keys cached as KEY_ROWS
HEADER = struct.Struct("<4sHHII8HIHH24x")
REGION_ENTRY = struct.Struct("<BBHII")
NO_LAYER = 0xFF
REU_SIZES = [1 << k for k in range(17, 25)]  # 128 KB .. 16 MB
ALIGN = 256  # every region starts on a 256-byte page of the REU

# Fixed-point formats shared by the exporter, the twin and the C64 program (fractional bits).
FRAC_X = 9  # residual stream x: int16 Q6.9
FRAC_QK = 8  # q and k after RoPE: int16 Q7.8
FRAC_V = 8  # v and the attention output: int16 Q7.8
FRAC_H = 10  # FFN h1, h3, silu(h1)*h3: int16 Q5.10
FRAC_LOGIT = 10  # logits: int32
FRAC_ROPE = 14  # cos/sin: int16 Q1.14
EXP8_STEP = 16  # attention exp table: entries per nat
EXP16_STEP = 32  # sampler exp table: entries per nat
EXP16_LEN = 512
SILU_STEP = 16  # SiLU table: entries per unit on [-8, 8]
SILU_LEN = 257
CONST_ATT_M = 0  # attention: score difference -> exp8 index factor, mantissa ...
CONST_ATT_E = 1  # ... and shift
N_CONST = 8
GROUP = 64  # weights and activations are quantised in row-local groups of at most 64
W8_BIAS = 128  # the fast mode's int8 matrix weights w (-127..127) are stored as the bytes w + W8_BIAS

# Exact mode (build_chain/twin_exact.py): int16 weights x int16 block-floating-point inputs,
# every other value int32 in Q.EX_FRAC.
EX_FRAC = 20  # x, q, k, v, attention output, h1, h3, SwiGLU output, logits: int32 Q11.20
EX_ROPE_FRAC = 30  # cos/sin: int32 Q1.30
EX_CONST_FRAC = 0  # EX_FRAC as the image was exported with it
EX_CONST_ATT = 1  # round(log2(e) / sqrt(head_size) * 2^31): scores -> Q.24 base-2 exponents
EX_CONST_LOG2E = 2  # round(log2(e) * 2^30): SiLU's |h1| -> Q.24 base-2 exponent
EX_CONST_EPS = 3  # round(dim * eps * 2^(2 EX_FRAC)), eps = run.c's 1e-5f (RMSNorm): low 32 bits ...
EX_CONST_EPS_HI = 4  # ... and high 32 bits
EX_N_CONST = 8


class Tensor(enum.IntEnum):
    """What a region holds. The C64 program looks regions up by these ids."""

    HEADER = 0
    REGION_TABLE = 1
    TOK_STRINGS = 2  # concatenated token strings
    TOK_OFFSETS = 3  # (vocab,) u16 offset into TOK_STRINGS, then (vocab,) u8 length
    TOK_SORTED = 4  # (vocab,) u16 token ids sorted by their string (bytewise)
    TOK_RANKS = 5  # (vocab,) u16 merge rank (higher merges first)
    TAB_RSQRT = 6  # (256,) u16
    TAB_EXP8 = 7  # (256,) u8
    TAB_SILU = 8  # (SILU_LEN,) i16 Q.FRAC_H
    TAB_EXP16 = 9  # (EXP16_LEN,) u16
    TAB_ROPE = 10  # (seq_len, head_size/2, 2) i16 cos, sin Q1.14
    EMB = 11  # (vocab, dim) i16 Q.FRAC_X
    WQ = 12  # WQ..WCLS: (rows, cols) int8 w, row-major, each stored as the byte w + W8_BIAS (= w ^ 0x80)
    WK = 13
    WV = 14
    WO = 15
    W1 = 16
    W3 = 17
    W2 = 18
    WCLS = 19
    SQ = 20  # scales of WQ: (rows, groups) x {u16 mantissa, u8 shift, u8 0}
    SK = 21
    SV = 22
    SO = 23
    S1 = 24
    S3 = 25
    S2 = 26
    SCLS = 27
    KCACHE = 28  # (n_kv_heads, seq_len, 2, head_size) rows L, H of each key, bytes + W8_BIAS (KEY_ROWS)
    VCACHE = 29  # (n_kv_heads, seq_len, head_size) i16 Q.FRAC_V
    TAB_CONST = 30  # (N_CONST,) u16 model constants: CONST_ATT_M, CONST_ATT_E
    # Exact mode (build_chain/twin_exact.py): its own weights, tables and KV cache.
    EX_EMB = 31  # (vocab, dim) i32 Q.EX_FRAC
    EX_WQ = 32  # (rows, cols) i16, row-major, with the norm gains and sqrt(dim) folded in
    EX_WK = 33
    EX_WV = 34
    EX_WO = 35
    EX_W1 = 36
    EX_W3 = 37
    EX_W2 = 38
    EX_WCLS = 39
    EX_SQ = 40  # scales of EX_WQ: (rows,) x {u16 mantissa, u8 shift, u8 0}
    EX_SK = 41
    EX_SV = 42
    EX_SO = 43
    EX_S1 = 44
    EX_S3 = 45
    EX_S2 = 46
    EX_SCLS = 47
    EX_KCACHE = 48  # (n_kv_heads, seq_len, head_size) i32 Q.EX_FRAC; fast mode: KEY_ROWS' C_t
    EX_VCACHE = 49  # (n_kv_heads, seq_len, head_size) i32 Q.EX_FRAC
    EX_TAB_EXP2 = 50  # (3, 256) u32 Q.31: 2^(-i/2^8), 2^(-i/2^16), 2^(-i/2^24)
    EX_TAB_ROPE = 51  # (seq_len, head_size/2, 2) i32 cos, sin Q.30 (run.c's float32 values)
    EX_TAB_CONST = 52  # (EX_N_CONST,) u32: EX_CONST_*


# KEY_ROWS: the C64 fast mode caches each key k (Q.FRAC_QK int16, head_size columns) as two int8
# rows, L = lo - 128 and H = hi (k = 256 hi + lo + 128), stored like the weights as L + W8_BIAS (=
# lo) and H + W8_BIAS, so the matvec kernel computes k.q as two int8 dot products; their sums of
# squares C_t = sum L^2 + 256 sum H^2 (u32, (n_kv_heads, seq_len) per layer) go into the first
# bytes of the layer's EX_KCACHE, which the fast mode does not use otherwise (a story rewrites
# its mode's cache from position 0).

WEIGHTS = {Tensor.WQ: Tensor.SQ, Tensor.WK: Tensor.SK, Tensor.WV: Tensor.SV, Tensor.WO: Tensor.SO,
           Tensor.W1: Tensor.S1, Tensor.W3: Tensor.S3, Tensor.W2: Tensor.S2, Tensor.WCLS: Tensor.SCLS}

EX_WEIGHTS = {Tensor.EX_WQ: Tensor.EX_SQ, Tensor.EX_WK: Tensor.EX_SK, Tensor.EX_WV: Tensor.EX_SV,
              Tensor.EX_WO: Tensor.EX_SO, Tensor.EX_W1: Tensor.EX_S1, Tensor.EX_W3: Tensor.EX_S3,
              Tensor.EX_W2: Tensor.EX_S2, Tensor.EX_WCLS: Tensor.EX_SCLS}

KIND = {Tensor.HEADER: "header", Tensor.REGION_TABLE: "header", Tensor.KCACHE: "kv-cache",
        Tensor.VCACHE: "kv-cache"}
KIND.update({t: "tokenizer" for t in (Tensor.TOK_STRINGS, Tensor.TOK_OFFSETS, Tensor.TOK_SORTED,
                                      Tensor.TOK_RANKS)})
KIND.update({t: "table" for t in (Tensor.TAB_RSQRT, Tensor.TAB_EXP8, Tensor.TAB_SILU, Tensor.TAB_EXP16,
                                  Tensor.TAB_ROPE, Tensor.TAB_CONST)})
KIND.update({t: "weights" for t in list(WEIGHTS) + list(WEIGHTS.values()) + [Tensor.EMB]})

NAME = {Tensor.HEADER: "header", Tensor.REGION_TABLE: "region-table", Tensor.TOK_STRINGS: "tok.strings",
        Tensor.TOK_OFFSETS: "tok.offsets", Tensor.TOK_SORTED: "tok.sorted", Tensor.TOK_RANKS: "tok.ranks",
        Tensor.TAB_RSQRT: "tab.rsqrt", Tensor.TAB_EXP8: "tab.exp8", Tensor.TAB_SILU: "tab.silu",
        Tensor.TAB_EXP16: "tab.exp16", Tensor.TAB_ROPE: "tab.rope", Tensor.TAB_CONST: "tab.const", Tensor.EMB: "emb",
        Tensor.WCLS: "cls", Tensor.SCLS: "cls.scales", Tensor.KCACHE: "kv.k", Tensor.VCACHE: "kv.v"}
for _w, _s in WEIGHTS.items():
    if _w is not Tensor.WCLS:
        NAME[_w] = _w.name.lower()
        NAME[_s] = _w.name.lower() + ".scales"

# Exact mode's regions: reu_map.json names 'ex.emb', 'L0.ex.wq', 'ex.kv.k.L0', ...
KIND.update({Tensor.EX_KCACHE: "kv-cache", Tensor.EX_VCACHE: "kv-cache"})
KIND.update({t: "table" for t in (Tensor.EX_TAB_EXP2, Tensor.EX_TAB_ROPE, Tensor.EX_TAB_CONST)})
KIND.update({t: "weights" for t in list(EX_WEIGHTS) + list(EX_WEIGHTS.values()) + [Tensor.EX_EMB]})
NAME.update({Tensor.EX_EMB: "ex.emb", Tensor.EX_WCLS: "ex.cls", Tensor.EX_SCLS: "ex.cls.scales",
             Tensor.EX_KCACHE: "ex.kv.k", Tensor.EX_VCACHE: "ex.kv.v", Tensor.EX_TAB_EXP2: "ex.tab.exp2",
             Tensor.EX_TAB_ROPE: "ex.tab.rope", Tensor.EX_TAB_CONST: "ex.tab.const"})
for _w, _s in EX_WEIGHTS.items():
    if _w is not Tensor.EX_WCLS:
        NAME[_w] = "ex." + _w.name[3:].lower()
        NAME[_s] = "ex." + _w.name[3:].lower() + ".scales"


def region_name(tensor: Tensor, layer: int | None) -> str:
    """reu_map.json name of a region: 'L0.wq', 'kv.k.L0', 'emb', ..."""
    base = NAME[tensor]
    if layer is None:
        return base
    return f"{base}.L{layer}" if KIND[tensor] == "kv-cache" else f"L{layer}.{base}"


@dataclasses.dataclass(frozen=True)
class Region:
    tensor: Tensor
    layer: int | None
    offset: int
    length: int

    @property
    def name(self) -> str:
        return region_name(self.tensor, self.layer)

    @property
    def kind(self) -> str:
        return KIND[self.tensor]


@dataclasses.dataclass(frozen=True)
class Header:
    """The decoded header of a weights.reu image."""

    version: int
    image_size: int
    reu_size: int
    dim: int
    hidden_dim: int
    n_layers: int
    n_heads: int
    n_kv_heads: int
    vocab_size: int
    seq_len: int
    max_token_length: int
    regions: tuple  # of Region

    def region(self, tensor: Tensor, layer: int | None = None) -> Region:
        for r in self.regions:
            if r.tensor == tensor and r.layer == layer:
                return r
        raise KeyError((tensor, layer))

    def pack(self) -> bytes:
        """Header bytes followed by the region table (the table sits right after the header)."""
        head = HEADER.pack(MAGIC, self.version, HEADER.size, self.image_size, self.reu_size, self.dim,
                           self.hidden_dim, self.n_layers, self.n_heads, self.n_kv_heads, self.vocab_size,
                           self.seq_len, self.max_token_length, HEADER.size, len(self.regions),
                           REGION_ENTRY.size)
        table = b"".join(REGION_ENTRY.pack(r.tensor, NO_LAYER if r.layer is None else r.layer, 0, r.offset,
                                           r.length) for r in self.regions)
        return head + table


def parse_header(data: bytes, source: str = "REU image") -> Header:
    """Decode header + region table from the first bytes of an image.

    Raises:
        ExportError: not a gui64 image, another format version, or a damaged table.
    """
    if len(data) < HEADER.size or data[:4] != MAGIC:
        raise ExportError(f"{source}: not a gui64 weights.reu image (bad magic); export it with `gui64 export`.")
    (_, version, hlen, image_size, reu_size, dim, hidden, n_layers, n_heads, n_kv, vocab, seq_len, max_tok,
     table_off, n_regions, entry_size) = HEADER.unpack_from(data)
    if version != FORMAT_VERSION:
        raise ExportError(f"{source}: format version {version}, this gui64 reads {FORMAT_VERSION}; "
                          "export the model again.")
    end = table_off + n_regions * entry_size
    if entry_size != REGION_ENTRY.size or end > len(data):
        raise ExportError(f"{source}: damaged region table; export the model again.")
    regions = []
    for i in range(n_regions):
        tid, layer, _, off, length = REGION_ENTRY.unpack_from(data, table_off + i * entry_size)
        regions.append(Region(Tensor(tid), None if layer == NO_LAYER else layer, off, length))
    return Header(version, image_size, reu_size, dim, hidden, n_layers, n_heads, n_kv, vocab, seq_len, max_tok,
                  tuple(regions))


def read_header(path: str | Path) -> Header:
    """Read the header of a weights.reu file (only its first pages).

    Raises:
        ExportError: unreadable, not a gui64 image, or another version.
    """
    path = Path(path)
    try:
        with path.open("rb") as f:
            data = f.read(64 * 1024)
    except OSError as exc:
        raise ExportError(f"{path}: cannot read ({exc.strerror}).") from None
    header = parse_header(data, str(path))
    if path.stat().st_size != header.reu_size:
        raise ExportError(f"{path}: {path.stat().st_size} bytes, but its header says {header.reu_size}; "
                          "the file is truncated or damaged: export it again.")
    return header


def reu_size_for(nbytes: int) -> int:
    """Smallest legal REU size holding nbytes.

    Raises:
        ExportError: more than 16 MB.
    """
    for size in REU_SIZES:
        if nbytes <= size:
            return size
    raise ExportError(f"the model needs {nbytes} bytes of REU, more than the largest REU (16 MB).")


def c_header() -> str:
    """reu_format.h for the C64 program: magic, version, header offsets, tensor ids, formats."""
    out = ["/* Generated by build_chain/reu_format.py - do not edit. */", "#ifndef REU_FORMAT_H",
           "#define REU_FORMAT_H", ""]
    defs = {
        "REU_MAGIC0": MAGIC[0], "REU_MAGIC1": MAGIC[1], "REU_MAGIC2": MAGIC[2], "REU_MAGIC3": MAGIC[3],
        "REU_FORMAT_VERSION": FORMAT_VERSION, "REU_HEADER_SIZE": HEADER.size,
        "REU_REGION_ENTRY_SIZE": REGION_ENTRY.size, "REU_NO_LAYER": NO_LAYER,
        "HDR_VERSION": 4, "HDR_IMAGE_SIZE": 8, "HDR_REU_SIZE": 12, "HDR_DIM": 16, "HDR_HIDDEN_DIM": 18,
        "HDR_N_LAYERS": 20, "HDR_N_HEADS": 22, "HDR_N_KV_HEADS": 24, "HDR_VOCAB_SIZE": 26, "HDR_SEQ_LEN": 28,
        "HDR_MAX_TOKEN_LENGTH": 30, "HDR_TABLE_OFFSET": 32, "HDR_N_REGIONS": 36,
        "FRAC_X": FRAC_X, "FRAC_QK": FRAC_QK, "FRAC_V": FRAC_V, "FRAC_H": FRAC_H, "FRAC_LOGIT": FRAC_LOGIT,
        "FRAC_ROPE": FRAC_ROPE, "EXP8_STEP": EXP8_STEP, "EXP16_STEP": EXP16_STEP, "EXP16_LEN": EXP16_LEN,
        "SILU_STEP": SILU_STEP, "SILU_LEN": SILU_LEN, "GROUP": GROUP, "W8_BIAS": W8_BIAS,
        "CONST_ATT_M": CONST_ATT_M, "CONST_ATT_E": CONST_ATT_E, "N_CONST": N_CONST,
    }
    defs.update({"EX_FRAC": EX_FRAC, "EX_ROPE_FRAC": EX_ROPE_FRAC, "EX_CONST_FRAC": EX_CONST_FRAC,
                 "EX_CONST_ATT": EX_CONST_ATT, "EX_CONST_LOG2E": EX_CONST_LOG2E, "EX_CONST_EPS": EX_CONST_EPS,
                 "EX_CONST_EPS_HI": EX_CONST_EPS_HI, "EX_N_CONST": EX_N_CONST})
    out += [f"#define {k} {v}" for k, v in defs.items()]
    out += [f"#define T_{t.name} {t.value}" for t in Tensor]
    out += ["", "#endif", ""]
    return "\n".join(out)
