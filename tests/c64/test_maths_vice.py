"""The C64's forward pass and sampler in VICE (x64, warp) equal the integer twin, token for token."""

from __future__ import annotations

import numpy as np
import pytest

from build_chain.blocks import ErrorCode, Params, State
from build_chain.reu_format import W8_BIAS, Tensor, parse_header
from build_chain.twin import Twin

from .conftest import run_c64, words


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    """llama64.prg with the real maths (ProgramBuild)."""
    from build_chain.build import build_program
    return build_program(tmp_path_factory.mktemp("prg"))


LONG_PROMPT = ("Once upon a time, in a big green forest, there lived a little rabbit named Ben who loved to hop "
               "and play with his friends")
PROMPTS = ["", "Zoo", "The cat sat on the mat", "Lily and Max found a box", LONG_PROMPT]


def _c64_run(program, reu, params, timeout=300.0):
    status, rows, _, _ = run_c64(program, reu, params, timeout=timeout)
    assert status.state == State.DONE and status.error == ErrorCode.NONE
    return [status.token(k)[0] for k in range(status.count)], rows


def _c64_tokens(program, reu, params, timeout=300.0) -> list:
    return _c64_run(program, reu, params, timeout)[0]


@pytest.mark.vice
@pytest.mark.parametrize("prompt", PROMPTS, ids=["empty", "zoo", "cat", "box", "long"])
@pytest.mark.parametrize("temperature,top_p", [(0.0, 1.0), (0.8, 0.9)], ids=["greedy", "t0.8-p0.9"])
def test_first_20_tokens_and_the_screen_text_equal_the_twin(program, exported, twin, tokenizer, prompt,
                                                             temperature, top_p):
    params = Params(prompt=prompt, steps=20, temperature=temperature, top_p=top_p, seed=42)
    ids = tokenizer.encode(prompt, bos=True)
    want = twin.generate(ids, 20, params.temperature_q8, params.top_p_q16, params.seed)
    tokens, rows = _c64_run(program, exported.reu, params)
    assert tokens == want
    # the story on the C64's screen (below its header line) is the twin's text, word-wrapped
    story = " ".join(tokenizer.decode_all(ids + want).split())
    assert story in words(rows[1:])


@pytest.mark.vice
def test_altered_layer_changes_the_tokens(program, exported, tokenizer, tmp_path):
    # the C64 really computes from the REU: flip the sign of layer 2's w1 and it follows the twin
    data = bytearray(exported.reu.read_bytes())
    region = parse_header(bytes(data)).region(Tensor.W1, 2)
    w = np.frombuffer(data, np.uint8, region.length, region.offset).astype(np.int64) - W8_BIAS
    data[region.offset:region.offset + region.length] = (W8_BIAS - w).astype(np.uint8).tobytes()
    altered = tmp_path / "altered.reu"
    altered.write_bytes(bytes(data))
    params = Params(prompt="Zoo", steps=8)
    prompt = tokenizer.encode("Zoo", bos=True)
    original = Twin(exported.reu).generate(prompt, 8)
    want = Twin(altered).generate(prompt, 8)
    assert want != original
    assert _c64_tokens(program, altered, params) == want
