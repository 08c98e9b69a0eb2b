"""The exact mode's ca65 primitives (ex64.s, exkern.s) in sim65 equal Python's integers.

tests/c64/sim/exprims.c draws pseudo-random inputs and prints "op inputs... result" in hex;
each line is checked against the twin's definitions (build_chain/twin_exact.py: rsr, sat32).
"""

from __future__ import annotations

from pathlib import Path

from build_chain.build import C64_DIR, sim65_run

SIM = Path(__file__).resolve().parent / "sim"
M64 = (1 << 64) - 1


def s64(v: int) -> int:
    return v - (1 << 64) if v >> 63 else v


def s32(v: int) -> int:
    return v - (1 << 32) if v >> 31 else v


def rsr(v: int, sh: int) -> int:
    if sh >= 63:
        return 0
    return (v + (1 << (sh - 1))) >> sh if sh >= 1 else v << -sh


def sim65(sources: list, out: Path):
    return sim65_run(sources, out, cycles=True, timeout=300, config=SIM / "exsim.cfg")


def test_64bit_primitives_equal_python_integers(tmp_path):
    run = sim65([SIM / "exprims.c", C64_DIR / "ex64.s", C64_DIR / "exkern.s"], tmp_path)
    assert run.returncode == 0, run.stderr
    seen = set()
    for line in run.stdout.splitlines():
        op, *f = line.split()
        if op not in set("ASNMURTBCDLQW"):
            continue                    # sim65 -c's cycle count
        v = [int(x, 16) if len(x) >= 8 else int(x) for x in f]
        seen.add(op)
        if op == "A":
            assert v[2] == (v[0] + v[1]) & M64, line
        elif op == "S":
            assert v[2] == (v[0] - v[1]) & M64, line
        elif op == "N":
            assert v[1] == -v[0] & M64, line
        elif op == "M":
            assert v[2] == s32(v[0]) * s32(v[1]) & M64, line
        elif op == "U":
            assert v[2] == s64(v[0]) * v[1] & M64, line
        elif op == "R":
            assert v[2] == rsr(s64(v[0]), v[1]) & M64, line
        elif op == "T":
            assert s32(v[1]) == min(max(s64(v[0]), -(1 << 31)), (1 << 31) - 1), line
        elif op == "B":
            assert v[1] == abs(s64(v[0])).bit_length(), line
        elif op == "C":
            a, b = s64(v[0]), s64(v[1])
            assert v[2] == (a > b) - (a < b), line
        elif op == "D":
            assert v[2] == v[0] // v[1], line
        elif op == "L":
            assert v[1] == v[0].bit_length(), line
        elif op == "Q":
            assert v[2] == rsr(s32(v[0]), v[1]) & 0xFFFFFFFF, line
        elif op == "W":
            assert v[1] == s32(v[0]) & M64, line
    assert seen == set("ASNMURTBCDLQW")
