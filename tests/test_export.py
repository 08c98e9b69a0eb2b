"""The exporter: weights.reu holds what the header says, reu_map.json accounts for every byte, bad input is refused."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from build_chain import reu_format as fmt
from build_chain.checkpoint import Checkpoint, Config
from build_chain.errors import ExportError
from build_chain.export import build_image, export_model, main
from build_chain.reu_format import Tensor


def test_stories260k_fits_the_smallest_legal_reu_and_the_file_has_that_size(exported):
    h = fmt.read_header(exported.reu)
    assert h.reu_size in fmt.REU_SIZES
    assert h.image_size <= h.reu_size and h.reu_size // 2 < h.image_size
    assert exported.reu.stat().st_size == h.reu_size
    assert (h.dim, h.hidden_dim, h.n_layers, h.n_heads, h.n_kv_heads, h.vocab_size, h.seq_len) == \
        (64, 172, 5, 8, 4, 512, 512)


def test_reu_map_accounts_for_every_byte_without_overlap(exported):
    m = json.loads(exported.reu_map.read_text())
    cursor = 0
    for region in m["regions"]:
        assert region["offset"] == cursor, region
        assert region["kind"] in {"header", "tokenizer", "table", "weights", "kv-cache", "free"}
        cursor += region["length"]
    assert cursor == m["reu_size"] == exported.reu.stat().st_size
    names = {r["name"] for r in m["regions"]}
    assert {"header", "emb", "cls", "L0.wq", "L4.w2", "kv.k.L0", "kv.v.L4", "tab.rope"} <= names


def test_region_table_in_the_image_matches_reu_map(exported):
    h = fmt.read_header(exported.reu)
    m = json.loads(exported.reu_map.read_text())
    listed = {(r["name"], r["offset"], r["length"]) for r in m["regions"] if r["kind"] != "free"}
    assert listed == {(r.name, r.offset, r.length) for r in h.regions}


def test_image_bytes_hold_the_quantised_weights(exported, checkpoint, tokenizer):
    data = exported.reu.read_bytes()
    h = fmt.read_header(exported.reu)
    emb = h.region(Tensor.EMB)
    got = np.frombuffer(data, "<i2", count=emb.length // 2, offset=emb.offset).reshape(512, 64)
    want = np.rint(checkpoint.token_embedding.astype(np.float64) * (1 << fmt.FRAC_X))
    assert np.array_equal(got, want)
    wq = h.region(Tensor.WQ, 2)
    u = np.frombuffer(data, np.uint8, count=wq.length, offset=wq.offset).reshape(64, 64)
    assert u.min() >= 1  # offset binary w + W8_BIAS, w = -127..127
    q = u.astype(np.float64) - fmt.W8_BIAS
    sc = h.region(Tensor.SQ, 2)
    recs = np.frombuffer(data, np.uint8, count=sc.length, offset=sc.offset).reshape(64, 1, 4)
    assert np.abs(q).max(axis=1).min() == 127  # max/127: every row reaches full scale
    m = recs[:, 0, 0].astype(np.int64) | (recs[:, 0, 1].astype(np.int64) << 8)
    assert ((m >= 1 << 15) & (m < 1 << 16)).all()
    # scale * factor ~= M * 2^-e, factor = sqrt(dim) * 2^FRAC_QK with the norm gains folded in
    w = checkpoint.wq[2] * checkpoint.rms_att[2][None, :]
    scale = np.abs(w).max(axis=1) / 127 * 8 * (1 << fmt.FRAC_QK)
    assert np.allclose(m * np.exp2(-recs[:, 0, 2].astype(np.float64)), scale, rtol=2e-5)
    dequant = q * (np.abs(w).max(axis=1) / 127)[:, None]
    assert np.abs(dequant - w).max() <= exported.max_weight_error + 1e-9
    strings = h.region(Tensor.TOK_STRINGS)
    assert data[strings.offset:strings.offset + strings.length] == b"".join(tokenizer.vocab)


def test_w2_rows_are_quantised_in_row_local_groups(exported):
    h = fmt.read_header(exported.reu)
    sc = h.region(Tensor.S2, 0)
    assert sc.length == 64 * 3 * 4  # 172 = 64 + 64 + 44


def _write_checkpoint(path, cfg_ints, n_floats):
    path.write_bytes(struct.pack("<7i", *cfg_ints) + np.zeros(n_floats, np.float32).tobytes())


@pytest.mark.parametrize("case", ["garbage", "truncated", "too_long", "tokenizer_as_checkpoint"])
def test_bad_checkpoints_give_one_line_errors_and_write_nothing(case, model_files, tmp_path, capsys):
    bad = tmp_path / "model.bin"
    real = model_files.checkpoint.read_bytes()
    bad.write_bytes({"garbage": b"hello world, not a model" * 3, "truncated": real[:len(real) // 2],
                     "too_long": real + b"\0" * 64,
                     "tokenizer_as_checkpoint": model_files.tokenizer.read_bytes()}[case])
    out = tmp_path / "out"
    code = main(["--checkpoint", str(bad), "--tokenizer", str(model_files.tokenizer), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and str(bad) in err and "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())


def test_vocab_mismatch_is_refused(model_files, tmp_path, capsys):
    real = bytearray(model_files.checkpoint.read_bytes())
    struct.pack_into("<i", real, 20, 511)  # vocab_size in the header: 512 -> 511 (file then too long)
    bad = tmp_path / "m.bin"
    bad.write_bytes(bytes(real[:len(real) - 64 * 4]))  # drop one embedding row so the size fits
    code = main(["--checkpoint", str(bad), "--tokenizer", str(model_files.tokenizer), "--out", str(tmp_path / "o")])
    assert code == 1
    assert "mismatch" in capsys.readouterr().err


def test_unwritable_output_folder_is_refused(model_files, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code = main(["--checkpoint", str(model_files.checkpoint), "--tokenizer", str(model_files.tokenizer),
                 "--out", str(blocker / "out")])
    err = capsys.readouterr().err
    assert code == 1 and "cannot write" in err and err.count("\n") == 1


def test_model_too_large_for_a_16mb_reu_is_refused():
    cfg = Config(dim=512, hidden_dim=1536, n_layers=7, n_heads=8, n_kv_heads=8, vocab_size=512, seq_len=256)
    z = np.zeros
    L, d, hd = cfg.n_layers, cfg.dim, cfg.hidden_dim
    ckpt = Checkpoint(cfg, z((512, d), np.float32), z((L, d), np.float32), z((L, d, d), np.float32),
                      z((L, d, d), np.float32), z((L, d, d), np.float32), z((L, d, d), np.float32),
                      z((L, d), np.float32), z((L, hd, d), np.float32), z((L, d, hd), np.float32),
                      z((L, hd, d), np.float32), z((d,), np.float32), z((512, d), np.float32))
    vocab = [bytes([i % 256]) * (1 + i // 256) for i in range(512)]
    with pytest.raises(ExportError, match="16 MB"):
        build_image(ckpt, vocab, np.zeros(512, np.float32))


def test_export_twice_gives_identical_bytes(model_files, exported, tmp_path):
    again = export_model(model_files.checkpoint, model_files.tokenizer, tmp_path)
    assert again.reu.read_bytes() == exported.reu.read_bytes()
