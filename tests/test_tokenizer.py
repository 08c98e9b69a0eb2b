"""Tests for build_chain.tokenizer: run.c's tokenizer file format, encode, decode and safe printing."""

from __future__ import annotations

import random
import struct

import numpy as np
import pytest

from build_chain.errors import ExportError
from build_chain.tokenizer import BOS, EOS, Tokenizer, safe_piece, safe_text


def _tiny_tokenizer(extra: list[tuple[bytes, float]]) -> Tokenizer:
    """Specials, the 256 byte tokens, ' ', then `extra` pieces with their scores."""
    vocab = [b"<unk>", b"\n<s>\n", b"\n</s>\n"] + [b"<0x%02X>" % i for i in range(256)] + [b" "]
    scores = [0.0] * len(vocab)
    for piece, score in extra:
        vocab.append(piece)
        scores.append(score)
    return Tokenizer(vocab, np.array(scores, np.float32), max(len(p) for p in vocab))


def _write_tokenizer(path, pieces: list[tuple[float, bytes]], max_len: int = 7) -> None:
    with open(path, "wb") as fh:
        fh.write(struct.pack("<i", max_len))
        for score, piece in pieces:
            fh.write(struct.pack("<fi", score, len(piece)) + piece)


def test_load_reads_tok512(tokenizer):
    assert tokenizer.vocab_size == 512
    assert tokenizer.max_token_length == 7
    assert tokenizer.vocab[:3] == [b"<unk>", b"\n<s>\n", b"\n</s>\n"]
    assert tokenizer.vocab[3] == b"<0x00>" and tokenizer.vocab[258] == b"<0xFF>"
    assert tokenizer.scores.dtype == np.float32 and tokenizer.scores.shape == (512,)


def test_load_rejects_vocab_size_mismatch_naming_the_file(model_files):
    with pytest.raises(ExportError, match="tokenizer/vocab mismatch") as info:
        Tokenizer.load(model_files.tokenizer, vocab_size=32000)
    assert str(model_files.tokenizer) in str(info.value)


def test_load_rejects_truncated_file_naming_it(model_files, tmp_path):
    bad = tmp_path / "tok.bin"
    bad.write_bytes(model_files.tokenizer.read_bytes()[:-3])
    with pytest.raises(ExportError, match="truncated") as info:
        Tokenizer.load(bad)
    assert str(bad) in str(info.value)


def test_load_rejects_token_header_cut_in_half(tmp_path):
    path = tmp_path / "tok.bin"
    _write_tokenizer(path, [(0.0, b"a")])
    path.write_bytes(path.read_bytes() + b"\0\0\0")
    with pytest.raises(ExportError, match="truncated"):
        Tokenizer.load(path)


def test_load_rejects_missing_and_garbage_files(tmp_path):
    with pytest.raises(ExportError, match="cannot read"):
        Tokenizer.load(tmp_path / "nope.bin")
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"\xff" * 64)
    with pytest.raises(ExportError, match="not a llama2.c tokenizer"):
        Tokenizer.load(garbage)


def test_encode_empty_text_is_just_bos(tokenizer):
    assert tokenizer.encode("") == [BOS]
    assert tokenizer.encode("", bos=False) == []
    assert tokenizer.encode("", bos=True, eos=True) == [BOS, EOS]


def test_encode_merges_prompt_into_word_tokens(tokenizer):
    tokens = tokenizer.encode("Once upon a time")
    assert tokens[0] == BOS
    assert [tokenizer.vocab[t] for t in tokens[1:]] == [b" Once", b" upon", b" a", b" time"]


def test_encode_eos_and_no_bos(tokenizer):
    with_bos = tokenizer.encode("Zoo", bos=True, eos=True)
    assert with_bos[0] == BOS and with_bos[-1] == EOS
    assert tokenizer.encode("Zoo", bos=False) == with_bos[1:-1]


def test_encode_falls_back_to_byte_tokens_for_unknown_code_points(tokenizer):
    assert "\u65e5".encode() not in tokenizer.vocab
    tokens = tokenizer.encode("\u65e5", bos=False)  # 日: bytes E6 97 A5, each + 3
    assert tokens == [tokenizer.vocab.index(b" "), 0xE6 + 3, 0x97 + 3, 0xA5 + 3]


def test_encode_looks_up_whole_code_points(tokenizer):
    assert "\u00e9".encode() in tokenizer.vocab  # é is one token in tok512
    assert tokenizer.encode("\u00e9", bos=False) == [tokenizer.vocab.index(b" "),
                                                      tokenizer.vocab.index("\u00e9".encode())]


def test_encode_splits_overlong_continuation_runs_after_four_bytes(tokenizer):
    tokens = tokenizer.encode(b"\xf0\x80\x80\x80\x80", bos=False)
    assert tokens[1:] == [b + 3 for b in b"\xf0\x80\x80\x80\x80"]


def test_encode_stops_at_nul_like_a_c_string(tokenizer):
    assert tokenizer.encode("Zoo\0park") == tokenizer.encode("Zoo")


def test_encode_picks_first_pair_among_equal_best_scores():
    tok = _tiny_tokenizer([(b"a", -5.0), (b"b", -5.0), (b"ab", -1.0), (b"ba", -1.0)])
    ids = {p: i for i, p in enumerate(tok.vocab)}
    assert tok.encode("aba", bos=False) == [ids[b" "], ids[b"ab"], ids[b"a"]]
    assert tok.encode("bab", bos=False) == [ids[b" "], ids[b"ba"], ids[b"b"]]


def test_encode_prefers_higher_score_over_earlier_pair():
    tok = _tiny_tokenizer([(b"a", -5.0), (b"b", -5.0), (b"ab", -2.0), (b"ba", -1.0)])
    ids = {p: i for i, p in enumerate(tok.vocab)}
    assert tok.encode("aba", bos=False) == [ids[b" "], ids[b"a"], ids[b"ba"]]


def test_encode_never_merges_at_or_below_runc_floor():
    tok = _tiny_tokenizer([(b"a", -5.0), (b"b", -5.0), (b"ab", -2e10)])
    ids = {p: i for i, p in enumerate(tok.vocab)}
    assert tok.encode("ab", bos=False) == [ids[b" "], ids[b"a"], ids[b"b"]]
    assert tok.encode("ab", bos=False, use_ranks=True) == [ids[b" "], ids[b"a"], ids[b"b"]]


def test_merge_ranks_are_dense_and_order_preserving(tokenizer):
    ranks = tokenizer.merge_ranks()
    assert ranks.dtype == np.int16 and ranks.shape == (512,)
    assert ranks.min() >= 1
    scores = tokenizer.scores
    i, j = np.meshgrid(np.arange(512), np.arange(512), indexing="ij")
    assert np.array_equal(scores[i] > scores[j], ranks[i] > ranks[j])
    assert np.array_equal(scores[i] == scores[j], ranks[i] == ranks[j])
    assert sorted(set(ranks.tolist())) == list(range(1, ranks.max() + 1))  # dense


def test_encode_with_ranks_matches_scores_on_many_strings(tokenizer):
    rng = random.Random(64)
    words = [p.decode("utf-8", "replace").strip() for p in tokenizer.vocab[259:]] + [
        "Lily", "Zoo", "the", "park", "Tim's", "don't", "!", "?", "\n", "  ", "3", "é", "日本", "🙂"]
    texts = ["Once upon a time", "Zoo", "", " ", "aaaa bbbb", "Hello, world!\nBye."]
    for _ in range(400):
        n = rng.randint(1, 12)
        sep = rng.choice([" ", "", "  ", ", ", "\n"])
        texts.append(sep.join(rng.choice(words) for _ in range(n)))
    for _ in range(100):
        texts.append("".join(chr(rng.randint(32, 126)) for _ in range(rng.randint(1, 30))))
    for text in texts:
        assert tokenizer.encode(text, use_ranks=True) == tokenizer.encode(text), text


def test_decode_strips_leading_space_only_after_bos(tokenizer):
    once = tokenizer.vocab.index(b" Once")
    assert tokenizer.decode(BOS, once) == b"Once"
    assert tokenizer.decode(once, once) == b" Once"


def test_decode_turns_byte_tokens_into_raw_bytes(tokenizer):
    assert tokenizer.decode(BOS, 0x0A + 3) == b"\n"
    assert tokenizer.decode(5, 0x41 + 3) == b"A"
    assert tokenizer.decode(5, 0xC3 + 3) == b"\xc3"


def test_ascii_text_round_trips_through_encode_and_decode(tokenizer):
    for text in ["Once upon a time, there was a cat.", "Zoo", "Lily said: \"Hi!\"\nThe end."]:
        assert tokenizer.decode_all(tokenizer.encode(text)) == text


@pytest.mark.parametrize("piece, shown", [
    (b"", ""), (b"A", "A"), (b"\n", "\n"), (b"\t", "\t"), (b"\x01", ""), (b"\x7f", ""),
    (b"\xc3", ""), (b" the", " the"), ("\u00e9".encode(), "\u00e9"), (b"ab\0cd", "ab"),
])
def test_safe_text_prints_like_runc_safe_printf(piece, shown):
    assert safe_text(piece) == shown
    assert safe_piece(piece) == shown.encode()
