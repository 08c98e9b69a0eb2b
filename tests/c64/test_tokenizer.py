"""The C64 tokenizer (tokenizer.c) against the Python reference (build_chain/tokenizer.py) in VICE.

One VICE session encodes every prompt: the host writes a new parameter block after each story,
which also tests that the program takes the next story from the host without a restart.
"""

from __future__ import annotations

import struct
import time

import pytest

from build_chain.blocks import FLAG_VALID, Params, State, Status
from build_chain.labels import read_labels

LONG = ("Once upon a time, there was a little girl named Lily. She loved to play outside in the sunshine. "
        "One day, she saw a big, red ball in the park and ran to get it, but a dog took it first! "
        "Lily laughed and the dog wagged.")[:223]

PROMPTS = [
    "", "a", "z", " ", "   ", "Once upon a time", "Once upon a time, there was a little girl named Lily.",
    LONG, "Hello World", "!!??..,,;;::", "1234567890", "  leading spaces", "trailing spaces   ",
    "multiple   spaces  here", "don't stop", 'She said: "Hi!" and left.', "CAPS LOCK IS ON",
    "a-b_c~d|e{f}g`h^i\\j@k#l$m%n&o*p(q)r[s]t<u>v=w+x/y", "aaaaaaaaaaaaaaaaaaaaaaaa", "xyzzy qwerty",
    "Tim and Sam played with a big red ball in the park.", "line\nbreak\tand tab", "\x01\x02\x7f", "The end.",
]


@pytest.fixture(scope="module")
def reference(exported):
    from build_chain.tokenizer import Tokenizer
    from gui64.models import find_model_files
    return Tokenizer.load(find_model_files().tokenizer)


@pytest.mark.vice
def test_c64_encoder_equals_python_reference(platform_build, exported, reference):
    from gui64.machine.vice import Vice, find_emulator, open_boot_roms

    labels = read_labels(platform_build.labels)
    p_addr, s_addr, t_addr = labels["_params"], labels["_status"], labels["_prompt_tokens"]
    got, cycles = {}, {}
    with Vice(find_emulator("x64"), open_boot_roms(), exported.reu) as vice:
        vice.wait_idle()
        mon = vice.monitor
        for i, text in enumerate(PROMPTS):
            block = Params(prompt=text, steps=0).pack()
            if i == 0:
                vice.inject(platform_build.prg.read_bytes(), platform_build.entry, ((p_addr, block),))
            else:
                mon.memory_set(p_addr, block)
                mon.resume()
            deadline = time.monotonic() + 30
            while True:
                flags = mon.memory_get(p_addr + 5, p_addr + 5)[0]
                status = Status.parse(mon.memory_get(s_addr, s_addr + 255))
                if not flags & FLAG_VALID and status.state in (State.DONE, State.ERROR):
                    break
                mon.resume()
                assert time.monotonic() < deadline, f"no DONE for {text!r}: {status}"
                time.sleep(0.02)
            assert status.state == State.DONE, (text, status.error)
            n = status.n_prompt
            got[text] = list(struct.unpack(f"<{n}H", mon.memory_get(t_addr, t_addr + 2 * n - 1)))
            cycles[text] = status.cycles_start
            mon.resume()
    for text in PROMPTS:
        assert got[text] == reference.encode(text), repr(text)
    assert got[""] == [1]
