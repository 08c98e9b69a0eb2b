"""The integer twin: its primitives, its fidelity to float32 and its sampler."""

from __future__ import annotations

import numpy as np
import pytest

from build_chain import reu_format as fmt
from build_chain.fidelity import compare_prompt, main as fidelity_main, multiplies_per_token
from build_chain.reference import FloatModel
from build_chain.twin import mulhi16, quant, rescale, rms_pair, xorshift32


def test_quant_maps_the_largest_magnitude_to_127_and_keeps_signs():
    x = np.array([-3000, 1500, 2999, 0, -1], np.int64)
    q, s, ss = quant(x)
    assert q.tolist()[0] == -127 and np.abs(q).max() == 127
    assert np.array_equal(np.sign(q[:3]), np.sign(x[:3]))
    assert (1 << 14) <= s < 1 << 15 and s == 3000 << ss


def test_quant_of_zero_vector_is_zero():
    q, s, ss = quant(np.zeros(8, np.int64))
    assert not q.any() and s == 0


def test_rescale_rounds_half_up_with_a_floor_shift():
    assert rescale(3, 1, 1) == 2  # 1.5 -> 2
    assert rescale(-3, 1, 1) == -1  # -1.5 -> -1 (half up)
    assert rescale(-5, 1, 2) == -1  # -1.25 -> -1
    assert mulhi16(0xFFFF, 0xFFFF) == 0xFFFE


def test_rms_pair_approximates_inverse_square_root(exported, twin):
    rng = np.random.default_rng(1)
    for _ in range(50):
        q = rng.integers(-127, 128, size=64)
        s, ss = rms_pair(q, twin.rsqrt)
        assert s * 2.0 ** -ss == pytest.approx(1 / np.sqrt((q * q).sum()), rel=5e-3)


def test_forward_is_integer_and_reads_the_image(twin):
    twin.reset()
    logits = twin.forward(1, 0)
    assert logits.dtype == np.int64 and logits.shape == (512,)
    assert np.abs(logits).max() < 1 << 31


@pytest.mark.parametrize("prompt", ["Once upon a time", "The cat sat on the mat"])
def test_twin_stays_close_to_float32_teacher_forced(prompt, checkpoint, tokenizer, twin):
    r = compare_prompt(FloatModel(checkpoint), twin, tokenizer, prompt, 40)
    assert r.tf_top1 >= 0.95
    assert r.kl < 0.003
    assert r.max_gap_disagree < 0.25  # it only ever disagrees on near-ties


def test_greedy_zoo_starts_like_float32(tokenizer, twin):
    ids = tokenizer.encode("Zoo")
    text = tokenizer.decode_all(ids + twin.generate(ids, 12))
    assert text.startswith("Zoo was a little girl named Lily")


def test_sampler_is_seeded_and_top_p_keeps_only_likely_tokens(tokenizer, twin):
    ids = tokenizer.encode("Once upon a time")
    runs = [twin.generate(ids, 30, temperature_q8=256, top_p_q16=58982, seed=s) for s in (42, 42, 7, 8, 9)]
    assert runs[0] == runs[1]
    assert len({tuple(r) for r in runs}) > 2
    logits = np.zeros(512, np.int64)
    logits[[10, 20]] = [9 << fmt.FRAC_LOGIT, (9 << fmt.FRAC_LOGIT) - 300]
    picks = set()
    state = 1
    for _ in range(200):
        token, state = twin.sample(logits, 256, 58982, state)
        picks.add(token)
    assert picks == {10, 20}


def test_sampler_follows_the_softmax_at_temperature_one(twin):
    logits = np.zeros(512, np.int64)
    logits[3] = int(np.log(3) * (1 << fmt.FRAC_LOGIT))  # token 3 is 3x as likely as each other token
    state, hits = 5, 0
    n = 4000
    for _ in range(n):
        token, state = twin.sample(logits, 256, 0, state)
        hits += token == 3
    assert hits / n == pytest.approx(3 / 514, abs=0.004)


def test_xorshift32_matches_its_definition():
    assert xorshift32(1) == 270369
    assert xorshift32(270369) == 67634689


def test_multiply_count_matches_the_scheme():
    h = type("H", (), dict(dim=64, hidden_dim=172, n_layers=5, n_heads=8, n_kv_heads=4, vocab_size=512))
    assert 259328 < multiplies_per_token(h, 0) < multiplies_per_token(h, 100)


def test_fidelity_cli_prints_a_summary_line(tmp_path, capsys):
    prompts = tmp_path / "p.txt"
    prompts.write_text("Once upon a time\nTom had a red ball\n")
    assert fidelity_main(["--prompts", str(prompts), "--steps", "10"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("fidelity: tf_top1=") and "prompts=2" in last
