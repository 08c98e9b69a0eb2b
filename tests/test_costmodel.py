"""The per-token cost model: priors, recalibration from measured tokens, and the ETA."""

from __future__ import annotations

import pytest

from gui64.costmodel import (FLOAT32_CLASS, PAL_HZ, STORIES260K, CostModel, HostClock, RunEstimate,
                             format_duration)


def test_float32_class_program_takes_16_minutes_for_the_first_token_and_8_rising_after():
    model = CostModel(*FLOAT32_CLASS.prior, seq_len=512)
    first = model.first_token_cycles(n_prompt=2) / PAL_HZ / 60  # BOS + one prompt token
    assert first == pytest.approx(15.9, abs=0.2)
    second, tenth = model.pass_cycles(2) / PAL_HZ / 60, model.pass_cycles(10) / PAL_HZ / 60
    assert 7.9 < second < tenth < 8.4


def test_our_prior_for_stories260k_is_seconds_per_token():
    seconds = CostModel.for_shape(STORIES260K).pass_cycles(10) / PAL_HZ
    assert 2 < seconds < 60


def test_exact_mode_prior_is_minutes_per_token_and_fast_mode_seconds():
    fast, exact = CostModel.for_mode(STORIES260K, 0), CostModel.for_mode(STORIES260K, 1)
    assert fast.pass_cycles(20) / PAL_HZ < 60
    assert 60 < exact.pass_cycles(20) / PAL_HZ < 20 * 60
    assert exact.pass_cycles(100) - exact.pass_cycles(20) > fast.pass_cycles(100) - fast.pass_cycles(20)


def test_fit_recovers_intercept_and_slope_from_measured_tokens():
    a, b = 12e6, 60e3
    model = CostModel.for_shape(STORIES260K)  # prior deliberately off
    model.add(0, 4, int(sum(a + b * p for p in range(5))))  # first token pays for a 5-token prompt
    for p in range(5, 60):
        model.add(p, p, int(a + b * p))
    assert model.a == pytest.approx(a, rel=0.02)
    assert model.b == pytest.approx(b, rel=0.05)


def test_one_measured_token_rescales_the_prior():
    model = CostModel(10e6, 40e3, seq_len=512)
    model.add(6, 6, int(2 * (10e6 + 40e3 * 6)))  # the machine is twice as slow as assumed
    assert model.pass_cycles(6) == pytest.approx(2 * (10e6 + 40e3 * 6), rel=0.01)
    assert model.b == pytest.approx(80e3, rel=0.05)


def test_eta_counts_down_within_the_prompt_and_then_per_token():
    est = RunEstimate(CostModel(1e6, 0, seq_len=512))
    # 3 prompt tokens (positions 0..2), 4 tokens requested: passes at positions 0..5.
    assert est.eta(0, 0, 4, 3, cycles=0).cycles == pytest.approx(6e6)
    assert est.eta(1, 0, 4, 3, cycles=int(1.5e6)).cycles == pytest.approx(4.5e6)
    est.add_token(0, 2, int(3e6))
    assert est.eta(3, 1, 4, 3, cycles=int(3.25e6)).cycles == pytest.approx(2.75e6)
    assert est.eta(5, 4, 4, 3, cycles=int(6e6)).cycles == 0
    assert est.eta(3, 1, 4, 3, cycles=int(3e6)).c64_s == pytest.approx(3e6 / PAL_HZ)


def test_host_clock_measures_seconds_per_cycle():
    clock = HostClock(min_interval_s=0.1)
    assert clock.seconds(1e6) is None
    clock.sample(0.0, 0)
    clock.sample(1.0, 10_000_000)
    assert clock.seconds(5e6) == pytest.approx(0.5)


@pytest.mark.parametrize("seconds, text", [(None, "—"), (0.42, "0.4 s"), (12.4, "12 s"), (475, "7 min 55 s"),
                                           (3 * 3600 + 300, "3 h 05 min")])
def test_durations_read_naturally(seconds, text):
    assert format_duration(seconds) == text
