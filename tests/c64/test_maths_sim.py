"""The maths' asm primitives (mul.s) in sim65 equal Python's integers on pseudo-random inputs.

tests/c64/sim/prims.c draws inputs from xorshift32 and prints "M a b a*b", "H a b mulhi16",
"R acc f sh rescale"; the values are checked here. The same run gives the cycle count.
"""

from __future__ import annotations

from pathlib import Path

from build_chain.build import C64_DIR, sim65_run

SIM = Path(__file__).resolve().parent / "sim"


def sim65(sources: list, out: Path):
    """Build C/asm sources with tests/c64/sim/sim.cfg and run them in sim65 -c."""
    return sim65_run(sources, out, cycles=True, timeout=120, config=SIM / "sim.cfg")


def test_mul16s_mulhi16_rescale_are_exact(tmp_path):
    run = sim65([SIM / "prims.c", C64_DIR / "mul.s"], tmp_path)
    assert run.returncode == 0, run.stderr
    lines = [ln.split() for ln in run.stdout.splitlines() if ln[:1] in "MHR"]
    assert len(lines) == 900
    for kind, *values in lines:
        v = [int(x) for x in values]
        if kind == "M":
            want = v[0] * v[1]
        elif kind == "H":
            want = (v[0] * v[1] + 0x8000) >> 16
        else:
            want = (v[0] * v[1] + (1 << (v[2] - 1))) >> v[2]
            want = (want + 2**31) % 2**32 - 2**31
        assert v[-1] == want, f"{kind} {values}"


def test_matvec_kernel_is_exact_for_three_groups_stored_then_added(tmp_path):
    # random int8 rows/vectors and all-+-127 extremes; groups of 64, 64, 44 columns (w2's shape);
    # rounds with every shift 1..47, and with shifts 17..24 and negative ties (products = 0 mod 2^16)
    import numpy as np

    from build_chain.twin import mulhi16, rescale
    run = sim65([SIM / "matvec.c", SIM / "reu_sim.s", C64_DIR / "mul.s", C64_DIR / "dot8.s"], tmp_path)
    assert run.returncode == 0, run.stderr
    it = iter(ln.split() for ln in run.stdout.splitlines())
    rows, cols = 24, 172
    for _ in range(4):
        w = np.array([int(next(it)[1]) for _ in range(rows * cols)]).reshape(rows, cols)
        recs = np.array([[int(v) for v in next(it)[1:]] for _ in range(rows * 3)]).reshape(rows, 3, 2)
        total = np.zeros(rows, np.int64)
        for g in range(3):
            n = 64 if g < 2 else 44
            x = np.array([int(next(it)[1]) for _ in range(n)])
            s, ss = (int(v) for v in next(it)[1:])
            acc = w[:, 64 * g:64 * g + n] @ x
            total += rescale(acc, mulhi16(recs[:, g, 0], s), recs[:, g, 1] + ss - 16)
            got = np.array([int(next(it)[1]) for _ in range(rows)])
            assert np.array_equal(got, (total + 2**31) % 2**32 - 2**31), f"group {g}"
        wc = w.reshape(-1)[:rows * 43].reshape(rows, 43)   # contiguous rows (stride = n)
        x = np.array([int(next(it)[1]) for _ in range(43)])
        s, ss = (int(v) for v in next(it)[1:])
        want = rescale(wc @ x, mulhi16(recs[:, 0, 0], s), recs[:, 0, 1] + ss - 16)
        got = np.array([int(next(it)[1]) for _ in range(rows)])
        assert np.array_equal(got, (want + 2**31) % 2**32 - 2**31), "contiguous"


def quant_paths(x) -> set:
    """The element paths of quant.s that vector x takes (a mirror of its branch conditions)."""
    m = int(abs(x).max())
    if m == 0:
        return {"zero"}
    k = next(k for k in range(16) if m << k >= 1 << 14)
    r = (127 << 23) // (m << k)
    big_r = r << (k + 1)
    t = 22 - k - ((r & -r).bit_length() - 1)
    mask, bit = (0, 1) if not 0 <= t <= 15 else (0xFF, 0) if t >= 8 else ((2 << t) - 1, 1 << t)
    r1, r2 = (big_r >> 8) & 255, (big_r >> 16) & 255
    paths = {f"k{k}"}
    for v in (int(v) for v in x):
        a = abs(v)
        h, lo = a >> 8, a & 255
        byte2 = ((lo * r2) + ((lo + r1) ** 2 // 4 >> 8) - ((lo - r1) ** 2 // 4 >> 8)
                 + ((h * big_r * 256 + (1 << 23)) >> 16)) & 255
        if v < 0 and lo & mask == bit:
            paths.add("tie" if (a * big_r + (1 << 23)) % (1 << 24) == 0 else "tie candidate")
        elif big_r >> 24:
            paths.add("all exact")
        else:
            paths.add({0: "byte 2 = 0", 0xFE: "byte 2 = $FE", 0xFF: "byte 2 = $FF"}.get(byte2, "short"))
    return paths


def test_quant_is_exact(tmp_path):
    # vectors of 8, 64 and 172 values at every magnitude, all zero, +-32767, -32768, a lone -1;
    # m at every k with negative ties, near-carries; every path of quant.s (quant_paths) is taken
    import numpy as np

    from build_chain.twin import quant
    run = sim65([SIM / "quant.c", C64_DIR / "mul.s", C64_DIR / "quant.s"], tmp_path)
    assert run.returncode == 0, run.stderr
    lines = iter(run.stdout.splitlines())
    vectors, taken = 0, set()
    for line in lines:
        if not line.startswith("V "):
            continue  # sim65 -c's cycle line
        _, n, k, s = line.split()
        pairs = np.array([[int(v) for v in next(lines).split()] for _ in range(int(n))])
        want_q, want_s, want_k = quant(pairs[:, 0])
        assert (int(k), int(s)) == (want_k, want_s), f"vector {vectors}"
        assert np.array_equal(pairs[:, 1], want_q), f"vector {vectors}"
        taken |= quant_paths(pairs[:, 0])
        vectors += 1
    assert vectors == 92
    want = {"zero", "tie", "tie candidate", "all exact", "short", "byte 2 = 0", "byte 2 = $FE", "byte 2 = $FF"}
    assert taken >= want | {f"k{k}" for k in range(15)}


def test_attention_value_sums_and_output_are_exact(tmp_path):
    # wrapping sums acc += p v (int16 rows, u8 p, p = 0 skipped); 2^31 // d; sat16(rescale())
    import numpy as np

    from build_chain.twin import rescale, sat16, wrap32
    run = sim65([SIM / "att.c", C64_DIR / "mul.s", C64_DIR / "att.s"], tmp_path)
    assert run.returncode == 0, run.stderr
    vals: dict = {}
    rounds = []
    for line in run.stdout.splitlines():
        kind, _, value = line.partition(" ")
        if kind in "HKPAB" and len(kind) == 1:
            vals.setdefault(kind, []).append(int(value))
            if kind == "B" and len(vals["B"]) == vals["H"][0]:
                rounds.append({k: np.array(v, np.int64) for k, v in vals.items()})
                vals = {}
    assert len(rounds) == 6
    for r in rounds:
        k = r["K"].reshape(40, int(r["H"][0]))
        assert np.array_equal(r["B"], wrap32(r["A"] + r["P"] @ k))
    assert not [ln for ln in run.stdout.splitlines() if ln.startswith("Z ")]
    lines = [[int(v) for v in ln.split()[1:]] for ln in run.stdout.splitlines() if ln[:2] in ("D ", "O ")]
    recips = [v for v in lines if len(v) == 2]
    outs = np.array([v for v in lines if len(v) == 4], np.int64)
    assert len(recips) == 300 and len(outs) == 480
    for d, got in recips:
        assert got == min(65535, 2**31 // d), d
    acc, inv, ish, got = outs.T
    assert np.array_equal(got, sat16(rescale(acc, inv, ish)))


def test_attention_scores_by_the_matvec_kernel_are_exact(tmp_path):
    # keys stored as reu_format's KEY_ROWS says (rows L = lo - 128, H = hi, constants C_t),
    # int16 keys over the whole range (-32768 included), int8 q (one 0), head sizes 8 and 16
    import numpy as np

    run = sim65([SIM / "kdots.c", SIM / "reu_sim.s", C64_DIR / "mul.s", C64_DIR / "dot8.s"], tmp_path)
    assert run.returncode == 0, run.stderr
    assert not [ln for ln in run.stdout.splitlines() if ln.startswith("E ")]
    rounds = [ln.split()[1:] for ln in run.stdout.splitlines() if ln.startswith("R ")]
    assert len(rounds) == 6
    for hs, n, *vals in rounds:
        hs, n = int(hs), int(n)
        v = np.array(vals, np.int64)
        k, q, s, kmax = v[:n * hs].reshape(n, hs), v[n * hs:n * hs + hs], v[n * hs + hs:-1], v[-1]
        assert np.array_equal(s, k @ q), (hs, n)
        assert kmax == s.max(), (hs, n)           # mv_kmax


def test_attention_weights_are_exact(tmp_path):
    # p_t = EXP8[min(255, rescale(max s - s_t, f, sh))], att_out's (inv, ish) from sum p (the
    # twin's norm, k3; sum 0 gives (0, 31)): every magnitude of scores,
    # tables with and without zeros, zc = 0, f = 0, f = 1 (D0 above 32 bits), n = 1
    import numpy as np

    from build_chain.twin import rescale
    run = sim65([SIM / "attw.c", C64_DIR / "mul.s", C64_DIR / "att.s"], tmp_path)
    assert run.returncode == 0, run.stderr
    lines = iter(run.stdout.splitlines())
    rounds = 0
    kept = 0
    totals = []
    for line in lines:
        if not line.startswith("W "):
            continue  # sim65 -c's cycle line
        n, zc, f, sh, inv, ish = (int(v) for v in line.split()[1:])
        exp8 = np.array([int(next(lines).split()[1]) for _ in range(256)])
        assert zc == min(255, int(np.nonzero(exp8)[0].max()) + 1 if exp8.any() else 0)
        sp = np.array([[int(v) for v in next(lines).split()[1:]] for _ in range(n)])
        s, got = sp[:, 0], sp[:, 1]
        idx = np.minimum(255, rescale(s.max() - s, f, sh))
        want = exp8[idx]
        assert np.array_equal(got, want), f"round {rounds}"
        total = int(want.sum())
        if total >= 1 << 16:
            norm, k3 = total >> 1, -1
        else:
            norm, k3 = total, 0
            while 0 < norm < 1 << 15:
                norm <<= 1
                k3 += 1
        want_inv = min(65535, (1 << 31) // norm) if norm else 0
        assert (inv, ish) == (want_inv, 31 - k3), f"round {rounds}"
        totals.append(total)
        kept += int((want > 0).sum())
        rounds += 1
    assert rounds == 16
    assert kept > 100
    assert min(totals) < 256 and max(totals) >= 1 << 16 and 0 in totals


def test_saturate_and_residual_are_exact(tmp_path):
    # sat16 of s32 values of every magnitude and the edges; x = sat16(x + sat16(src)), x -32768 too
    import numpy as np

    from build_chain.twin import sat16
    run = sim65([SIM / "vec.c", C64_DIR / "mul.s", C64_DIR / "vec.s"], tmp_path)
    assert run.returncode == 0, run.stderr
    rows = np.array([[int(v) for v in ln.split()[1:]] for ln in run.stdout.splitlines() if ln.startswith("V ")])
    assert len(rows) == 600
    src, sat, x, res = rows.T
    assert np.array_equal(sat, sat16(src))
    assert np.array_equal(res, sat16(x + sat16(src)))


def test_ffn_gate_is_exact(tmp_path):
    # sat16((silu(h) * h3 + 2^(F-1)) >> F), silu by table with linear interpolation, for F = 10
    # and 7, full-range and smooth tables, h and h3 over all of int16 (-32768 included)
    import numpy as np

    from build_chain.twin import sat16
    run = sim65([SIM / "gate.c", C64_DIR / "mul.s", C64_DIR / "vec.s"], tmp_path)
    assert run.returncode == 0, run.stderr
    lines = iter(run.stdout.splitlines())
    rounds = 0
    for line in lines:
        if not line.startswith("G "):
            continue  # sim65 -c's cycle line
        frac = int(line.split()[1])
        tab = np.array([int(next(lines).split()[1]) for _ in range(257)])
        rows = np.array([[int(v) for v in next(lines).split()[1:]] for _ in range(250)])
        h, h3, got = rows.T
        step = frac - 4
        u = (h >> step) + 128
        uc = np.clip(u, 0, 255)
        a, b = tab[uc], tab[uc + 1]
        interp = a + (((b - a) * (h & ((1 << step) - 1)) + (1 << (step - 1))) >> step)
        silu = np.where((u >= 0) & (u < 256), interp, np.where(u >= 256, h, 0))
        assert np.array_equal(got, sat16((silu * h3 + (1 << (frac - 1))) >> frac)), f"round {rounds}"
        rounds += 1
    assert rounds == 4


def test_rope_is_exact(tmp_path):
    # sat16((v0 c - v1 s + 2^13) >> 14), sat16((v0 s + v1 c + 2^13) >> 14) per pair, (c, s) =
    # row[i % hs]: int16 edge values (-32768 included) in rotating combinations, random values,
    # head sizes 16, 8, 2
    import numpy as np

    from build_chain.twin import sat16
    run = sim65([SIM / "rope.c", C64_DIR / "mul.s", C64_DIR / "vec.s"], tmp_path)
    assert run.returncode == 0, run.stderr
    lines = iter(run.stdout.splitlines())
    rounds = 0
    pairs = 0
    for line in lines:
        if not line.startswith("R "):
            continue  # sim65 -c's cycle line
        hs, n = (int(v) for v in line.split()[1:])
        row = np.array([int(next(lines).split()[1]) for _ in range(hs)], np.int64).reshape(-1, 2)
        rows = np.array([[int(v) for v in next(lines).split()[1:]] for _ in range(n // 2)], np.int64)
        v0, v1, g0, g1 = rows.T
        cs = row[np.arange(n // 2) % (hs // 2)]
        c, s = cs[:, 0], cs[:, 1]
        assert np.array_equal(g0, sat16((v0 * c - v1 * s + (1 << 13)) >> 14)), f"round {rounds}"
        assert np.array_equal(g1, sat16((v0 * s + v1 * c + (1 << 13)) >> 14)), f"round {rounds}"
        rounds += 1
        pairs += n // 2
    assert rounds == 40
    assert pairs > 4000


def test_argmax_is_the_first_maximum(tmp_path):
    # ties, equal top bytes, all-negative vectors, the s32 extremes, n = 1..4 and up to 300
    import numpy as np

    run = sim65([SIM / "argmax.c", C64_DIR / "mul.s", C64_DIR / "vec.s"], tmp_path)
    assert run.returncode == 0, run.stderr
    lines = [[int(x) for x in ln.split()[1:]] for ln in run.stdout.splitlines() if ln.startswith("A ")]
    assert len(lines) == 40
    for n, got, *v in lines:
        assert len(v) == n
        assert got == int(np.argmax(v)), (n, v)
