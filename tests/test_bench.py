"""`gui64 bench` prints C64 cycles per token from the C64's own counter (a benchmark: no speed is asserted)."""

from __future__ import annotations

import re

import pytest

from gui64.bench import main


@pytest.mark.vice
def test_bench_prints_first_token_latency_per_token_figures_and_a_summary_line(capsys):
    assert main(["--tokens", "3", "--prompt", "Zoo"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith("cycles until the first generated token: ")
    summary = re.fullmatch(r"bench: cycles_per_token_mean=(\d+) seconds_per_token_pal=[\d.]+ tokens=3 "
                           r"emulator=x64 mode=fast", out[-1])
    assert summary and int(summary.group(1)) > 1_000_000  # a forward pass is millions of C64 cycles
