"""The exact mode's forward pass (build_chain/c64/exactfwd.c + exwide.c) built with gcc equals
ExactTwin (build_chain/twin_exact.py), stage for stage and token for token.

tests/c64/host/exact_shim.c stands in for the platform (the REU is the image file in memory)
and for the asm kernels of exkern.s (plain C from their contracts in exact.h).
"""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from build_chain.build import C64_DIR, generated_headers
from build_chain.twin_exact import ExactTwin

from .conftest import HERE


@pytest.fixture(scope="module")
def exact_host(tmp_path_factory):
    """Path of the gcc build of exactfwd.c + exwide.c + host/exact_shim.c."""
    out = tmp_path_factory.mktemp("exact_host")
    gen = out / "gen"
    gen.mkdir()
    for name, text in generated_headers().items():
        (gen / name).write_text(text)
    exe = out / "exact_host"
    subprocess.run(["gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-Wno-unknown-pragmas", "-D__fastcall__=",
                    "-DEX_TRACE(n,l,b,c)=host_exact_trace(n,l,b,c)",
                    "-include", str(HERE / "host" / "exact_host.h"), "-I", str(gen), "-I", str(C64_DIR), "-I", str(HERE / "host"),
                    "-o", str(exe), str(C64_DIR / "exactfwd.c"), str(C64_DIR / "exwide.c"),
                    str(HERE / "host" / "exact_shim.c"), str(HERE / "host" / "platform.c")], check=True, capture_output=True)
    return exe


@pytest.fixture(scope="module")
def exact_twin(exported):
    return ExactTwin(exported.reu)


def _run(exe, reu, *args) -> str:
    return subprocess.run([str(exe), str(reu), *map(str, args)], capture_output=True, text=True,
                          check=True).stdout


def test_every_stage_of_every_position_equals_the_exact_twin(exact_host, exported, exact_twin):
    tokens = [1, 403, 407, 261, 488, 5, 77, 300, 511, 2, 1, 9]
    got = {}
    for line in _run(exact_host, exported.reu, "trace", *tokens).splitlines():
        pos, name, *values = line.split()
        got[(int(pos), name)] = np.array(values, np.int64)
    exact_twin.reset()
    for pos, token in enumerate(tokens):
        trace = {}
        exact_twin.forward(token, pos, trace=trace)
        for name, want in trace.items():
            assert np.array_equal(got[(pos, name)], want), f"pos {pos} stage {name}"


@pytest.mark.parametrize("prompt", [[1], [1, 403, 407], [1, 300, 261, 50]])
def test_greedy_tokens_equal_the_exact_twin(exact_host, exported, exact_twin, prompt):
    got = [int(t) for t in _run(exact_host, exported.reu, "gen", 60, *prompt).split()]
    assert got == exact_twin.generate(prompt, 60)
