"""The exact mode (run.mode 1) in VICE (x64, warp): the C64 writes llama2.c's float32 greedy text.

For each prompt the C64's first 10 tokens equal ExactTwin.generate's and the float32 reference's
(build_chain/reference.py, the judge of issue 8), and the text on the C64's screen is the text
run.c prints.
"""

from __future__ import annotations

import pytest

from build_chain.blocks import ErrorCode, Params, State
from build_chain.reference import FloatModel, generate, generate_runc
from build_chain.twin_exact import ExactTwin

from .conftest import run_c64, words

STEPS = 10


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    """llama64.prg with the real maths, both modes (ProgramBuild)."""
    from build_chain.build import build_program
    return build_program(tmp_path_factory.mktemp("prg"))


@pytest.fixture(scope="module")
def float_model(checkpoint):
    return FloatModel(checkpoint)


@pytest.mark.vice
@pytest.mark.parametrize("prompt", ["", "Zoo", "Once upon a time"])
def test_exact_mode_writes_the_float32_text(program, exported, tokenizer, float_model, prompt):
    want = generate(float_model, tokenizer, prompt, STEPS)
    prompt_tokens = tokenizer.encode(prompt, bos=True)
    assert ExactTwin(exported.reu).generate(prompt_tokens, STEPS) == want
    status, rows, _, _ = run_c64(program, exported.reu, Params(prompt=prompt, steps=STEPS, mode=1),
                                 timeout=300.0)
    assert status.state == State.DONE and status.error == ErrorCode.NONE
    assert [status.token(k)[0] for k in range(status.count)] == want
    _, text = generate_runc(float_model, tokenizer, prompt, len(prompt_tokens) - 1 + STEPS)
    assert words(rows[1:]) == " ".join(text.split())
