"""`gui64 bench`: C64 cycles per generated token, measured by the C64's own CIA cycle counter in VICE."""

from __future__ import annotations

import argparse
import sys
import time

from build_chain.blocks import Params
from gui64.errors import Gui64Error
from gui64.events import Failed, Finished, TokenEmitted

PAL_HZ = 985248  # PAL C64 clock


def measure(prompt: str, tokens: int, emulator: str = "x64", model_dir: str | None = None,
            roms_dir: str | None = None, out=None, mode: str = "fast") -> dict:
    """Run one greedy story in VICE (warp) and return its per-token cycle figures.

    Args:
        mode: "fast" (8-bit integer maths) or "exact" (the float32-equal exact mode).

    Raises:
        Gui64Error: the run failed (the message says why).
    """
    from gui64.models import find_model_files
    from gui64.session import Session, SessionOptions

    out = out or sys.stderr
    per_token: list[int] = []
    walls: list[float] = []
    result: dict = {}

    def on_event(ev) -> None:
        if isinstance(ev, TokenEmitted):
            per_token.append(ev.cycles)
            walls.append(time.monotonic())
            print(f"token {ev.index:3d} pos {ev.position:3d} {ev.cycles:>11,d} cycles {ev.text!r}", file=out,
                  flush=True)
        elif isinstance(ev, (Finished, Failed)):
            result["last"] = ev

    session = Session(Params(prompt=prompt, steps=tokens, temperature=0.0, mode=1 if mode == "exact" else 0),
                      model_files=find_model_files(model_dir),
                      options=SessionOptions(emulator=emulator, roms_dir=roms_dir, warp=True, screen=False))
    started = time.monotonic()
    session.run(on_event)
    last = result.get("last")
    if isinstance(last, Failed) or not per_token:
        raise Gui64Error(f"the benchmark run failed: {getattr(last, 'reason', 'no token was generated')}")
    first = per_token[0]  # includes the prompt's positions
    after = per_token[1:] or per_token
    host = (walls[-1] - walls[0]) / max(1, len(walls) - 1) if len(walls) > 1 else walls[0] - started
    return {
        "tokens": len(per_token), "cycles_first_token": first,
        "cycles_per_token_first": after[0], "cycles_per_token_last": after[-1],
        # the first token also carries the prompt's forward passes (reported on its own above),
        # so the per-token mean is over the tokens after it: one forward pass + sampling each
        "cycles_per_token_mean": sum(after) / len(after),
        "cycles_per_token_mean_with_prompt": sum(per_token) / len(per_token),
        "host_s_per_token": host, "emulator": emulator, "mode": mode,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gui64 bench", description=__doc__)
    parser.add_argument("--tokens", type=int, default=64, help="tokens to generate (default 64)")
    parser.add_argument("--prompt", default="Once upon a time", help="story opening")
    parser.add_argument("--emulator", choices=("x64", "x64sc"), default="x64")
    parser.add_argument("--mode", choices=("fast", "exact"), default="fast", help="arithmetic mode (default fast)")
    parser.add_argument("--model-dir")
    parser.add_argument("--roms", help="folder with Commodore ROMs")
    args = parser.parse_args(argv)
    try:
        r = measure(args.prompt, args.tokens, args.emulator, args.model_dir, args.roms, mode=args.mode)
    except Gui64Error as exc:
        print(f"gui64 bench: {exc}", file=sys.stderr)
        return 1
    print(f"cycles until the first generated token: {r['cycles_first_token']:,} "
          f"({r['cycles_first_token'] / PAL_HZ:.1f} s on a PAL C64)")
    print(f"cycles per generated token: first {r['cycles_per_token_first']:,}, "
          f"mean {r['cycles_per_token_mean']:,.0f} (after the first), last {r['cycles_per_token_last']:,}")
    print(f"host seconds per token in warp ({r['emulator']}): {r['host_s_per_token']:.2f}")
    print(f"bench: cycles_per_token_mean={r['cycles_per_token_mean']:.0f} "
          f"seconds_per_token_pal={r['cycles_per_token_mean'] / PAL_HZ:.2f} tokens={r['tokens']} "
          f"emulator={r['emulator']} mode={r['mode']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
