"""`gui64 generate`: output format, exit codes, one-line errors, Ctrl-C (real VICE, fake program via the cache)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from gui64.artifacts import DONE_FILE, content_hash
from gui64.generate import main

from .test_vice import gone


def test_unencodable_prompt_exits_2_with_one_line(capsys):
    t0 = time.monotonic()
    assert main(["--prompt", "Zoë", "--steps", "5"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "ASCII" in err
    assert time.monotonic() - t0 < 5


def test_wrong_emulator_path_exits_1_in_seconds(capsys):
    t0 = time.monotonic()
    assert main(["--prompt", "Zoo", "--steps", "5", "--emulator", "/nonexistent/x64"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "/nonexistent/x64" in err[0] and "vice" in err[0]
    assert time.monotonic() - t0 < 5


def test_bad_arguments_exit_2():
    with pytest.raises(SystemExit) as exc:
        main(["--prompt", "Zoo", "--top-p", "0"])
    assert exc.value.code == 2


@pytest.fixture
def cached_fake(tmp_path, model_files, fake_program, tiny_roms, monkeypatch):
    """A cache entry for the real model files that holds the fake program and a blank REU."""
    cache = tmp_path / "cache"
    entry = cache / content_hash(model_files)[:16]
    entry.mkdir(parents=True)
    for name in ("prg", "labels", "map"):
        shutil.copyfile(fake_program[name], entry / fake_program[name].name)
    (entry / "weights.reu").write_bytes(bytes(128 * 1024))
    (entry / DONE_FILE).write_text(json.dumps({"reu": "weights.reu", "reu_map": "reu_map.json",
                                               "prg": "fake.prg", "labels": "fake.lbl", "map": "fake.map"}))
    env = dict(os.environ, GUI64_CACHE_DIR=str(cache))
    return env, str(tiny_roms.kernal.parent)


def _generate(env, roms, *args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gui64.cli", "generate", "--roms", roms, *args],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.vice
def test_jsonl_output(cached_fake, tokenizer):
    env, roms = cached_fake
    proc = _generate(env, roms, "--prompt", "Zoo", "--steps", "20", "--temperature", "0", "--jsonl")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    tokens, summary = lines[:-1], lines[-1]
    assert [t["token"] for t in tokens] == [k + 10 for k in range(20)] == summary["tokens"]
    assert all(set(t) == {"position", "token", "text", "cycles"} for t in tokens)
    assert set(summary) == {"text", "tokens", "cycles_total", "cycles_per_token_mean", "wall_s"}
    assert summary["text"] == "".join(t["text"] for t in tokens)
    assert summary["cycles_total"] == 20 * 0x10000


@pytest.mark.vice
def test_ctrl_c_stops_vice(cached_fake):
    env, roms = cached_fake
    proc = _generate(env, roms, "--prompt", "Zoo", "--steps", "5000", "--jsonl")
    try:
        for _ in range(3):
            assert proc.stdout.readline()
        children = [int(pid) for pid in os.listdir("/proc") if pid.isdigit() and _ppid(int(pid)) == proc.pid]
        assert children  # VICE
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 130 and "interrupted" in err
    assert all(gone(pid) for pid in children)


def _ppid(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (FileNotFoundError, ProcessLookupError, ValueError):
        return None
