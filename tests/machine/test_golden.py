"""Issue 3's must-show: `gui64 generate --prompt Zoo --steps 20 --temperature 0 --jsonl` in VICE == the twin.

Runs the real C64 program (build_chain/c64) in VICE.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


@pytest.mark.vice
@pytest.mark.slow
def test_generate_zoo_equals_integer_twin(model_files, tokenizer):
    from build_chain.twin import Twin
    from gui64.artifacts import ensure_artifacts
    artifacts = ensure_artifacts(model_files)  # the same cached weights.reu the CLI runs
    proc = subprocess.run([sys.executable, "-m", "gui64.cli", "generate", "--prompt", "Zoo", "--steps", "20",
                           "--temperature", "0", "--jsonl"], capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    c64_tokens = [line["token"] for line in lines[:-1]]
    assert c64_tokens == lines[-1]["tokens"]
    twin_tokens = Twin(artifacts.reu).generate(tokenizer.encode("Zoo", bos=True), steps=20)
    assert c64_tokens == twin_tokens
    assert lines[-1]["text"] == tokenizer.decode_all([tokenizer.encode("Zoo")[-1], *twin_tokens])
