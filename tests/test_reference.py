"""Tests for build_chain.reference: the float32 run.c oracle, its sampler and generate loop."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from build_chain.reference import (FloatModel, Sampler, generate, generate_runc, random_f32, random_u32,
                                   sample_argmax, sample_mult, sample_topp)
from build_chain.tokenizer import BOS

ZOO_60 = ("Zoo was a little girl named Lily. She loved to play outside in the park. One day, she saw a "
          "big, red ball. She wanted to play with it, but she didn't want to play with")


@pytest.fixture(scope="module")
def model(checkpoint):
    return FloatModel(checkpoint)


def _forward_loops(ck, tokens):
    """run.c's forward written as its loops (float64), for a few positions: a check on the numpy."""
    cfg = ck.config
    hs, kv_dim, kv_mul = cfg.head_size, cfg.kv_dim, cfg.kv_mul
    kcache = np.zeros((cfg.n_layers, len(tokens), kv_dim))
    vcache = np.zeros_like(kcache)

    def rms(x, w):
        ss = sum(v * v for v in x) / len(x) + 1e-5
        return w * (x / math.sqrt(ss))

    out = []
    for pos, token in enumerate(tokens):
        x = ck.token_embedding[token].astype(np.float64)
        for layer in range(cfg.n_layers):
            xb = rms(x, ck.rms_att[layer])
            q = ck.wq[layer] @ xb
            k = ck.wk[layer] @ xb
            v = ck.wv[layer] @ xb
            for i in range(0, cfg.dim, 2):
                freq = 1.0 / 10000.0 ** ((i % hs) / hs)
                fcr, fci = math.cos(pos * freq), math.sin(pos * freq)
                for vec in ((q, k) if i < kv_dim else (q,)):
                    v0, v1 = vec[i], vec[i + 1]
                    vec[i], vec[i + 1] = v0 * fcr - v1 * fci, v0 * fci + v1 * fcr
            kcache[layer, pos], vcache[layer, pos] = k, v
            xb = np.zeros(cfg.dim)
            for h in range(cfg.n_heads):
                kvh = (h // kv_mul) * hs
                att = np.array([q[h * hs:(h + 1) * hs] @ kcache[layer, t, kvh:kvh + hs] / math.sqrt(hs)
                                for t in range(pos + 1)])
                att = np.exp(att - att.max())
                att /= att.sum()
                for t in range(pos + 1):
                    xb[h * hs:(h + 1) * hs] += att[t] * vcache[layer, t, kvh:kvh + hs]
            x = x + ck.wo[layer] @ xb
            xb = rms(x, ck.rms_ffn[layer])
            h1, h3 = ck.w1[layer] @ xb, ck.w3[layer] @ xb
            x = x + ck.w2[layer] @ (h1 / (1 + np.exp(-h1)) * h3)
        out.append(ck.wcls @ rms(x, ck.rms_final))
    return out


def test_zoo_greedy_60_steps_prints_runc_text(model, tokenizer):
    tokens, text = generate_runc(model, tokenizer, "Zoo", steps=60, temperature=0.0)
    assert text == ZOO_60
    assert len(tokens) == 1 + 60  # BOS, then one token per position (prompt tokens, then sampled)
    assert tokens[:len(tokenizer.encode("Zoo"))] == tokenizer.encode("Zoo")


def test_forward_matches_runc_loops_in_float64(model, checkpoint, tokenizer):
    tokens = tokenizer.encode("Once upon a time")[:5]
    model.reset()
    for pos, (token, want) in enumerate(zip(tokens, _forward_loops(checkpoint, tokens))):
        got = model.forward(token, pos)
        assert got.dtype == np.float32 and got.shape == (512,)
        np.testing.assert_allclose(got, want, rtol=0, atol=2e-4)


def test_forward_trace_gives_same_logits_and_per_layer_vectors(model, checkpoint):
    cfg = checkpoint.config
    model.reset()
    plain = [model.forward(t, p) for p, t in enumerate([BOS, 400, 300])]
    model.reset()
    traced = [model.forward_trace(t, p) for p, t in enumerate([BOS, 400, 300])]
    for want, (got, trace) in zip(plain, traced):
        np.testing.assert_array_equal(got, want)
        assert len(trace["q"]) == cfg.n_layers and trace["k"][0].shape == (cfg.kv_dim,)
        assert trace["hb"][0].shape == (cfg.hidden_dim,)
    assert traced[2][1]["att"][0].shape == (cfg.n_heads, 3)
    np.testing.assert_allclose(traced[2][1]["att"][0].sum(axis=1), 1.0, rtol=1e-5)


def test_greedy_generation_is_deterministic_and_reset_works(model, tokenizer):
    first = generate(model, tokenizer, "Once upon a time", 40)
    second = generate(model, tokenizer, "Once upon a time", 40)
    assert first == second and len(first) == 40
    tokens, _ = generate_runc(model, tokenizer, "Once upon a time", steps=5 + 40 - 1)
    assert tokens[5:] == first


def test_sampled_generation_repeats_with_seed_and_differs_across_seeds(model, tokenizer):
    a = generate_runc(model, tokenizer, "Zoo", 80, temperature=1.0, topp=0.9, seed=42)
    b = generate_runc(model, tokenizer, "Zoo", 80, temperature=1.0, topp=0.9, seed=42)
    c = generate_runc(model, tokenizer, "Zoo", 80, temperature=1.0, topp=0.9, seed=43)
    assert a == b
    assert a[0] != c[0]
    assert generate_runc(model, tokenizer, "Zoo", 80, temperature=0.8, topp=1.0, seed=7)[0][0] == BOS


def test_generate_refuses_more_than_the_context(model, tokenizer):
    with pytest.raises(ValueError, match="context"):
        generate(model, tokenizer, "Zoo", 600)


def test_steps_zero_means_whole_context(model, tokenizer):
    tokens, _ = generate_runc(model, tokenizer, "", steps=0, temperature=0.0)
    assert len(tokens) <= model.config.seq_len


def test_random_u32_matches_runc_xorshift64star():
    # by hand for seed 1: s ^= s>>12 -> 1; s ^= s<<25 -> 0x2000001; s ^= s>>27 -> 0x2000001;
    # (0x2000001 * 0x2545F4914F6CDD1D mod 2^64) >> 32 = 1206177355 (also what gcc's run.c prints)
    value, state = random_u32(1)
    assert (value, state) == (1206177355, 0x2000001)
    value, state = random_u32(state)
    assert value == 2882512552
    value, state = random_u32(state)
    assert value == 3117485455


def test_random_f32_matches_runc():
    state = 42
    got = []
    for _ in range(3):
        value, state = random_f32(state)
        assert isinstance(value, np.float32)
        got.append(float(value))
    assert got == [np.float32(0.339085221), np.float32(0.782255828), np.float32(0.790136993)]


def test_sample_argmax_takes_first_of_ties():
    assert sample_argmax(np.array([0.1, 0.4, 0.4, 0.1], np.float32)) == 1


def test_sample_mult_walks_the_cdf():
    probs = np.array([0.1, 0.2, 0.7], np.float32)
    assert [sample_mult(probs, c) for c in (0.0, 0.05, 0.1, 0.25, 0.999)] == [0, 0, 1, 1, 2]


def test_sample_topp_keeps_the_nucleus_sorted_descending():
    probs = np.array([0.05, 0.3, 0.5, 0.15], np.float32)
    # cutoff (1-0.7)/3 = 0.1 drops 0.05; sorted 0.5, 0.3, 0.15; 0.5+0.3 > 0.7 so the nucleus is 2 tokens
    assert sample_topp(probs, 0.7, 0.5) == 2  # r = 0.4 < 0.5
    assert sample_topp(probs, 0.7, 0.7) == 1  # r = 0.56
    assert sample_topp(probs, 0.7, 0.999) == 1  # never the third
    assert sample_topp(probs, 0.99, 0.999) == 0  # all four kept; the last (smallest) is token 0


def test_sampler_applies_temperature_before_softmax():
    logits = np.array([0.0, 1.0, 2.0], np.float32)
    cold = Sampler(3, temperature=0.01, topp=1.0, seed=5)
    assert all(cold.sample(logits) == 2 for _ in range(20))
    greedy = Sampler(3, temperature=0.0, seed=5)
    assert greedy.sample(logits) == 2 and greedy.state == 5  # argmax uses no randomness


def test_generation_is_fast(model, tokenizer):
    start = time.perf_counter()
    generate(model, tokenizer, "Once", 100)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, f"100 tokens took {elapsed:.3f} s"
