"""The forward pass and sampler (build_chain/c64/model.c) built with gcc equal the integer twin.

model.c is linked with tests/c64/host/shim.c (C versions of the asm primitives, the REU as a
file in memory), so every stage of every position can be compared with Twin.forward's trace.
"""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from build_chain.build import C64_DIR, generated_headers

from .conftest import HERE


@pytest.fixture(scope="module")
def host_model(tmp_path_factory):
    """Path of the gcc build of model.c + host/shim.c."""
    out = tmp_path_factory.mktemp("host")
    gen = out / "gen"
    gen.mkdir()
    for name, text in generated_headers().items():
        (gen / name).write_text(text)
    exe = out / "host"
    subprocess.run(["gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-Wno-unknown-pragmas", "-D__fastcall__=",
                    "-DTRACE_HOOK(s)=host_trace(s)", "-include", str(HERE / "host" / "host.h"),
                    "-I", str(gen), "-I", str(C64_DIR), "-I", str(HERE / "host"), "-o", str(exe), str(C64_DIR / "model.c"),
                    str(HERE / "host" / "shim.c"), str(HERE / "host" / "platform.c")], check=True, capture_output=True)
    return exe


def _run(exe, reu, *args) -> str:
    out = subprocess.run([str(exe), str(reu), *map(str, args)], capture_output=True, text=True, check=True)
    return out.stdout


def test_every_stage_of_every_position_equals_the_twin(host_model, exported, twin):
    tokens = [1, 403, 407, 261, 488, 5, 77, 300, 511, 2]
    got = {}
    for line in _run(host_model, exported.reu, "trace", *tokens).splitlines():
        pos, name, *values = line.split()
        got[(int(pos), name)] = np.array(values, np.int64)
    twin.reset()
    for pos, token in enumerate(tokens):
        trace = {}
        twin.forward(token, pos, trace=trace)
        for name, want in trace.items():
            assert np.array_equal(got[(pos, name)], want), f"pos {pos} stage {name}"


@pytest.mark.parametrize("prompt,temperature_q8,top_p_q16,seed", [
    ([1], 0, 0, 1), ([1, 403, 407], 0, 0, 1),                 # greedy
    ([1], 205, 58982, 42), ([1, 403, 407], 205, 58982, 7),    # 0.8 / top-p 0.9
    ([1, 300], 205, 0, 5), ([1], 400, 30000, 11), ([1, 50], 20, 1000, 9), ([1], 1, 65535, 3),
])
def test_generated_tokens_equal_the_twin(host_model, exported, twin, prompt, temperature_q8, top_p_q16, seed):
    got = [int(t) for t in _run(host_model, exported.reu, "gen", temperature_q8, top_p_q16, seed, 40,
                                *prompt).split()]
    assert got == twin.generate(prompt, 40, temperature_q8, top_p_q16, seed)
