"""llama2.c's byte-pair tokenizer (run.c semantics exactly): load, encode, decode, safe printing."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import numpy as np

from build_chain.errors import ExportError

BOS = 1  # run.c: token 1 starts a sequence (and ends generation when sampled)
EOS = 2
BYTE_OFFSET = 3  # run.c's byte fallback: raw byte b is token b + 3

# run.c decodes with sscanf(piece, "<0x%02hhX>", ...): "<0x" then one or two hex digits is enough
_BYTE_PIECE = re.compile(rb"<0x([0-9A-Fa-f]{1,2})")

# C-locale isprint() / isspace(), as run.c's safe_printf uses them
_PRINTABLE = frozenset(range(0x20, 0x7F)) | frozenset(b" \t\n\v\f\r")


def _cstr(piece: bytes) -> bytes:
    """The bytes a C string holding `piece` shows to strcmp/printf (up to the first NUL)."""
    nul = piece.find(b"\0")
    return piece if nul < 0 else piece[:nul]


def safe_piece(piece: bytes) -> bytes:
    """The bytes run.c's safe_printf prints for a decoded piece.

    Empty pieces print nothing; a one-byte piece prints only if it is printable or white space
    (C locale); longer pieces print as they are, up to a NUL.

    Args:
        piece: a piece from `Tokenizer.decode`.

    Returns:
        The printed bytes (possibly empty).
    """
    piece = _cstr(piece)
    if len(piece) == 1 and piece[0] not in _PRINTABLE:
        return b""
    return piece


def safe_text(piece: bytes) -> str:
    """`safe_piece` as text (UTF-8; a broken multi-byte sequence becomes U+FFFD).

    Args:
        piece: a piece from `Tokenizer.decode`.

    Returns:
        What run.c would print for the piece, as a str.
    """
    return safe_piece(piece).decode("utf-8", errors="replace")


class Tokenizer:
    """A llama2.c tokenizer (tok512.bin style) with run.c's encode/decode.

    Attributes:
        vocab: the pieces, index = token id (list of bytes).
        scores: (vocab_size,) float32 merge scores; a higher score merges first.
        max_token_length: the longest piece, as stored in the file header.
        path: the file it was loaded from, if any.
    """

    def __init__(self, vocab: list[bytes], scores: np.ndarray, max_token_length: int,
                 path: Path | None = None) -> None:
        self.vocab = list(vocab)
        self.scores = np.asarray(scores, dtype=np.float32)  # (vocab_size,) f32
        self.max_token_length = int(max_token_length)
        self.path = path
        # run.c's str_lookup (bsearch over strcmp-sorted pieces); pieces are unique in practice,
        # and for duplicates we keep the lowest id.
        self._pieces = [_cstr(p) for p in self.vocab]
        self._lookup: dict[bytes, int] = {}
        for i, piece in enumerate(self._pieces):
            self._lookup.setdefault(piece, i)
        self._ranks: np.ndarray | None = None

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    @classmethod
    def load(cls, path: str | Path, vocab_size: int | None = None) -> "Tokenizer":
        """Read a llama2.c tokenizer file.

        Layout (little-endian): int32 max_token_length, then per token: float32 score,
        int32 length, `length` bytes.

        Args:
            path: the tokenizer file (e.g. tok512.bin).
            vocab_size: the model's vocabulary size; when given the file must hold exactly this
                many tokens.

        Returns:
            The tokenizer.

        Raises:
            ExportError: the file cannot be read, is truncated or malformed, or does not match
                `vocab_size`.
        """
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ExportError(f"{path}: cannot read the tokenizer ({exc.strerror}).") from None
        if len(data) < 4:
            raise ExportError(f"{path}: not a llama2.c tokenizer (only {len(data)} bytes).")
        (max_len,) = struct.unpack_from("<i", data, 0)
        if not 0 < max_len <= 1 << 16:
            raise ExportError(f"{path}: not a llama2.c tokenizer (max token length {max_len}).")
        vocab: list[bytes] = []
        scores: list[float] = []
        offset = 4
        while offset < len(data):
            if offset + 8 > len(data):
                raise ExportError(f"{path}: truncated tokenizer (token {len(vocab)} is cut off at byte "
                                  f"{offset}); download it again with `gui64 fetch-model --force`.")
            score, length = struct.unpack_from("<fi", data, offset)
            offset += 8
            if not 0 <= length <= max_len:
                raise ExportError(f"{path}: not a llama2.c tokenizer (token {len(vocab)} has length "
                                  f"{length}, the header allows {max_len}).")
            if offset + length > len(data):
                raise ExportError(f"{path}: truncated tokenizer (token {len(vocab)} is cut off); "
                                  "download it again with `gui64 fetch-model --force`.")
            if not np.isfinite(score):
                raise ExportError(f"{path}: not a llama2.c tokenizer (token {len(vocab)} has score {score}).")
            vocab.append(data[offset:offset + length])
            scores.append(score)
            offset += length
        if vocab_size is not None and len(vocab) != vocab_size:
            raise ExportError(f"{path}: tokenizer/vocab mismatch: the tokenizer has {len(vocab)} tokens, "
                              f"the model expects {vocab_size}; use the tokenizer made for this model.")
        if len(vocab) < BYTE_OFFSET + 256 or b" " not in vocab:
            raise ExportError(f"{path}: not a llama2.c tokenizer ({len(vocab)} tokens; it needs the 3 "
                              "special tokens, the 256 byte tokens and a ' ' token).")
        return cls(vocab, np.array(scores, dtype=np.float32), max_len, path)

    # ----------------------------------------------------------------------------------------
    # encode

    def encode(self, text: str | bytes, bos: bool = True, eos: bool = False, *,
               use_ranks: bool = False) -> list[int]:
        """Turn text into token ids exactly as run.c's encode() does.

        Args:
            text: the prompt (str is encoded as UTF-8; like a C string it ends at a NUL).
            bos: start with token 1.
            eos: end with token 2.
            use_ranks: merge by `merge_ranks()` (integers) instead of the float scores; the result
                is the same, which is what the integer encoder on the C64 relies on.

        Returns:
            The token ids.
        """
        raw = _cstr(text.encode("utf-8") if isinstance(text, str) else bytes(text))
        if use_ranks:
            keys, floor = self.merge_ranks().tolist(), 0  # rank 0 = run.c's -1e10 floor
        else:
            keys, floor = self.scores.tolist(), float(np.float32(-1e10))  # run.c: float best_score = -1e10
        tokens: list[int] = [BOS] if bos else []
        if raw:
            tokens.append(self._lookup[b" "])  # the dummy prefix
        # group UTF-8 code points (at most 4 bytes), look each up, fall back to byte tokens
        buf = bytearray()
        for i, byte in enumerate(raw):
            if byte & 0xC0 != 0x80:
                buf.clear()
            buf.append(byte)
            nxt = raw[i + 1] if i + 1 < len(raw) else 0
            if nxt & 0xC0 == 0x80 and len(buf) < 4:
                continue
            tid = self._lookup.get(bytes(buf))
            if tid is not None:
                tokens.append(tid)
            else:
                tokens.extend(b + BYTE_OFFSET for b in buf)
            buf.clear()
        # merge the best-scoring adjacent pair until none is in the vocabulary
        pieces = self._pieces
        while True:
            best_key = floor
            best_id = best_idx = -1
            for i in range(len(tokens) - 1):
                tid = self._lookup.get(pieces[tokens[i]] + pieces[tokens[i + 1]])
                # strict >, as run.c: among equal best keys the FIRST pair wins
                if tid is not None and keys[tid] > best_key:
                    best_key, best_id, best_idx = keys[tid], tid, i
            if best_idx < 0:
                break
            tokens[best_idx:best_idx + 2] = [best_id]
        if eos:
            tokens.append(EOS)
        return tokens

    def merge_ranks(self) -> np.ndarray:
        """Dense ranks of the scores, for an integer-only encoder.

        Equal scores share a rank and a higher score gets a higher rank, so comparing ranks with
        `>` picks the same pair as comparing scores. run.c starts its search at best_score = -1e10,
        so rank 0 stands for that floor (and for any score at or below it): an integer encoder
        starts at best = 0, merges only on rank > best, and makes exactly run.c's merges.

        Returns:
            (vocab_size,) int16 ranks, >= 1 for every token that can be merged into.
        """
        if self._ranks is None:
            floor = np.float32(-1e10)
            clipped = np.maximum(self.scores, floor)  # (vocab,) f32
            unique = np.unique(np.append(clipped, floor))  # ascending; -0.0 == 0.0 share a rank
            if len(unique) > np.iinfo(np.int16).max:
                raise ExportError(f"{self.path}: {len(unique)} distinct scores do not fit int16 ranks.")
            self._ranks = np.searchsorted(unique, clipped).astype(np.int16)  # (vocab,) int16
        return self._ranks

    # ----------------------------------------------------------------------------------------
    # decode

    def decode(self, prev_token: int, token: int) -> bytes:
        """The piece run.c's decode() returns for `token` following `prev_token`.

        After BOS a leading space is dropped; a `<0xXX>` piece becomes that raw byte.

        Args:
            prev_token: the token before (1 = BOS).
            token: the token to show.

        Returns:
            The piece's bytes (pass them through `safe_text` before showing them).
        """
        piece = _cstr(self.vocab[token])
        if prev_token == BOS and piece[:1] == b" ":
            piece = piece[1:]
        match = _BYTE_PIECE.match(piece)
        if match:
            piece = bytes([int(match.group(1), 16)])
        return piece

    def decode_all(self, tokens: list[int]) -> str:
        """The text run.c prints for a token sequence (every token after the first).

        Args:
            tokens: ids, normally starting with BOS.

        Returns:
            The printed text.
        """
        out = bytearray()
        for prev, tok in zip(tokens, tokens[1:]):
            out += safe_piece(self.decode(prev, tok))
        return out.decode("utf-8", errors="replace")
