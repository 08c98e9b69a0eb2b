"""`gui64 trace`: the C64's stage buffers at one position, read through the monitor, against the twin."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from build_chain import reu_format as fmt
from build_chain.blocks import Params
from build_chain.twin import Twin
from gui64.machine.vice import find_emulator, find_roms
from gui64.trace import c64_trace, compare, twin_trace


def _trace(artifacts, twin, tokenizer, prompt, position):
    tokens = tokenizer.encode(prompt)
    params = Params(prompt=prompt, steps=max(1, position - len(tokens) + 2))
    sizes = {"dim": twin.dim, "kv_dim": twin.kv_dim, "hidden": twin.hidden, "vocab": twin.vocab}
    found = c64_trace(artifacts, find_roms(), find_emulator("x64"), params, position, sizes)
    return compare(found, twin_trace(Twin(artifacts.reu), tokens, position))


@pytest.mark.vice
def test_every_stage_at_a_generated_position_equals_the_twin(artifacts, tokenizer):
    twin = Twin(artifacts.reu)
    results = _trace(artifacts, twin, tokenizer, "Zoo", 4)
    assert len(results) == 2 + 9 * twin.n_layers
    assert [r.key for r in results if r.first_difference is not None] == []


@pytest.mark.vice
def test_trace_names_the_first_stage_a_planted_weight_change_reaches(artifacts, tokenizer, tmp_path):
    twin = Twin(artifacts.reu)
    image = bytearray(artifacts.reu.read_bytes())
    w1 = twin.header.region(fmt.Tensor.W1, 2)
    row = np.frombuffer(bytes(image[w1.offset:w1.offset + 64]), np.uint8).astype(np.int64) - fmt.W8_BIAS
    image[w1.offset:w1.offset + 64] = (fmt.W8_BIAS - row).astype(np.uint8).tobytes()  # flip one row of L2.w1
    planted = tmp_path / "planted.reu"
    planted.write_bytes(bytes(image))
    c64 = dataclasses.replace(artifacts, reu=planted)
    tokens = tokenizer.encode("Zoo")
    sizes = {"dim": twin.dim, "kv_dim": twin.kv_dim, "hidden": twin.hidden, "vocab": twin.vocab}
    found = c64_trace(c64, find_roms(), find_emulator("x64"), Params(prompt="Zoo", steps=1), 1, sizes)
    results = compare(found, twin_trace(twin, tokens, 1))
    first = next(r for r in results if r.first_difference is not None)
    assert first.key == "L2.h1" and first.first_difference == 0
