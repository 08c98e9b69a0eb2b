"""The exact-mode integer twin: its primitives, the image's exact regions, and float32's greedy text (issue 8)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from build_chain import reu_format as fmt
from build_chain.export import quantize_rows16
from build_chain.fidelity import EXACT_PROMPTS, main as fidelity_main, multiplies_per_token_exact
from build_chain.reference import FloatModel
from build_chain.reu_format import Tensor
from build_chain.twin_exact import ExactTwin, block16, rsr


@pytest.fixture(scope="module")
def exact(exported):
    """The exact-mode twin reading the exported image."""
    return ExactTwin(exported.reu)


def test_rsr_rounds_half_up_and_shifts_left_for_non_positive_shifts():
    assert rsr(3, 1) == 2 and rsr(-3, 1) == -1 and rsr(-5, 2) == -1
    assert rsr(5, 0) == 5 and rsr(5, -2) == 20
    assert rsr(np.array([3, -3, 5]), np.array([1, 1, -1])).tolist() == [2, -1, 10]


def test_block16_puts_the_largest_magnitude_in_15_bits_and_keeps_the_value():
    y = np.array([123456789, -98765, 0, 7], np.int64)
    m, t = block16(y)
    assert (1 << 14) <= np.abs(m).max() <= 32767
    assert np.allclose(m * 2.0 ** t, y, atol=2.0 ** (t - 1) + 1e-9)
    m, t = block16(np.array([3, -1], np.int64))  # small vectors shift left
    assert t < 0 and m.tolist() == [3 << -t, -1 << -t]
    assert block16(np.zeros(4, np.int64))[0].tolist() == [0, 0, 0, 0]


def test_exp2neg_matches_two_to_the_minus_u_to_float32_precision(exact):
    u = np.array([0, 1, 255, 1 << 16, 12345678, 3 << 24, (20 << 24) + 777, 31 << 24, 32 << 24])
    got = exact.exp2neg(u) / 2.0 ** 31
    want = np.exp2(-u / 2.0 ** 24)
    assert got[-1] == 0
    assert np.allclose(got[:-1], want[:-1], rtol=2e-9, atol=2.0 ** -31)


def test_rms_normalises_to_a_relative_error_below_a_millionth(exact):
    rng = np.random.default_rng(3)
    for scale in (1e-3, 0.3, 5.0, 40.0):
        x = np.rint(rng.normal(0, scale, 64) * 2 ** fmt.EX_FRAC).astype(np.int64)
        m, e = exact.rms(x)
        xf = x / 2.0 ** fmt.EX_FRAC
        want = xf / np.sqrt((xf * xf).mean() + np.float32(1e-5)) / math.sqrt(64)
        assert np.abs(m * 2.0 ** e - want).max() <= np.abs(want).max() * 2.0 ** -14


def test_quantize_rows16_scales_are_exact_and_errors_within_half_a_step():
    rng = np.random.default_rng(2)
    w = rng.normal(0, 0.3, (40, 64))
    w[5] = 0.0
    q, recs, err = quantize_rows16(w)
    m = recs[:, 0].astype(np.int64) | (recs[:, 1].astype(np.int64) << 8)
    e = recs[:, 2].astype(np.int64)
    scale = m * 2.0 ** -e
    assert np.abs(q).max() <= 32767 and not q[5].any() and m[5] == 0
    live = m > 0
    assert ((m[live] >= 1 << 15) & (m[live] < 1 << 16)).all()
    assert np.all(np.abs(q[live] * scale[live, None] - w[live]) <= scale[live, None] / 2 + 1e-15)
    assert err <= (scale[live] / 2).max()


def test_image_holds_the_exact_regions_after_the_fast_ones_and_fits_2_mb(exported):
    h = exported.header
    assert h.reu_size <= 2 << 20
    fast_end = max(r.offset + r.length for r in h.regions if r.tensor < Tensor.EX_EMB)
    exact = [r for r in h.regions if r.tensor >= Tensor.EX_EMB]
    assert exact and min(r.offset for r in exact) >= fast_end
    cache = h.region(Tensor.EX_KCACHE, 0)
    assert cache.length == h.n_kv_heads * h.seq_len * (h.dim // h.n_heads) * 4
    assert h.region(Tensor.EX_WQ, 4).length == h.dim * h.dim * 2
    assert cache.name == "ex.kv.k.L0" and h.region(Tensor.EX_WQ, 0).name == "L0.ex.wq"


def test_exact_logits_stay_within_a_hundredth_of_float32(exact, checkpoint, tokenizer):
    fm = FloatModel(checkpoint)
    exact.reset()
    ids = tokenizer.encode("Once upon a time")
    worst = 0.0
    for pos, token in enumerate(ids + [400, 300, 200]):
        want = fm.forward(token, pos)
        got = exact.forward(token, pos) / 2.0 ** fmt.EX_FRAC
        worst = max(worst, float(np.abs(got - want).max()))
    assert worst < 1e-2


def _float_greedy(fm, ids, steps):
    fm.reset()
    token, out = ids[0], []
    for pos in range(len(ids) + steps - 1):
        logits = fm.forward(token, pos)
        token = ids[pos + 1] if pos + 1 < len(ids) else int(np.argmax(logits))
        if pos + 1 >= len(ids):
            out.append(token)
    return out


@pytest.mark.parametrize("prompt", [EXACT_PROMPTS[2], EXACT_PROMPTS[14], EXACT_PROMPTS[-1]])
def test_exact_greedy_equals_float32_for_100_tokens(exact, checkpoint, tokenizer, prompt):
    """Issue 8: the exact mode writes llama2.c's float32 text."""
    ids = tokenizer.encode(prompt)
    assert exact.generate(ids, 100) == _float_greedy(FloatModel(checkpoint), ids, 100)


def test_exact_sampler_is_deterministic_and_greedy_takes_the_first_maximum(exact):
    logits = np.zeros(exact.vocab, np.int64)
    logits[[7, 9]] = 5 << fmt.EX_FRAC
    assert exact.sample(logits, 0, 0, 1) == (7, 1)
    a = exact.sample(logits, 256, 0, 12345)
    assert a == exact.sample(logits, 256, 0, 12345) and a[1] != 12345


def test_exact_cost_model_is_within_the_issue_8_budget(exported):
    mults, divisions = multiplies_per_token_exact(exported.header, 30)
    assert mults * 60 + divisions * 4000 < 150_000_000  # 60 cycles per 8x8 MAC, 4000 per division


def test_fidelity_cli_reports_exact_mode(tmp_path, capsys):
    prompts = tmp_path / "p.txt"
    prompts.write_text("Zoo\nMom said\n", encoding="utf-8")
    assert fidelity_main(["--mode", "exact", "--steps", "5", "--prompts", str(prompts)]) == 0
    out = capsys.readouterr().out
    assert "exact: 2/2 prompts keep all 5 greedy tokens" in out
