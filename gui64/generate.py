"""`gui64 generate`: write a story on a C64 in VICE, headless; text to stdout, progress to stderr.

Exit status: 0 finished, 1 the run failed (VICE, build, C64 error), 2 bad arguments or a prompt
that cannot run, 130 interrupted (Ctrl-C / SIGTERM; VICE is stopped first).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from build_chain.blocks import Params
from gui64.errors import Gui64Error
from gui64.events import Failed, Finished, Progress, StateChanged, TokenEmitted
from gui64.session import PromptRefused, Session, SessionOptions

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="gui64 generate", description="Write a story on a C64 in VICE, headless.")
    ap.add_argument("--prompt", required=True, help="the story's first words (ASCII)")
    ap.add_argument("--steps", type=int, default=64, help="tokens to generate after the prompt (default 64)")
    ap.add_argument("--temperature", type=float, default=0.8, help="0 = greedy (default 0.8)")
    ap.add_argument("--top-p", type=float, default=0.9, help="nucleus sampling threshold (default 0.9)")
    ap.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    ap.add_argument("--mode", choices=("fast", "exact"), default="fast",
                    help="fast: 8-bit integer maths (default); exact: llama2.c's float32 text, slower")
    ap.add_argument("--emulator", default="x64",
                    help="x64 (fast, default), x64sc (cycle-exact) or the path of a VICE binary")
    ap.add_argument("--roms", metavar="DIR", help="folder with the Commodore ROMs (default: VICE's, else open ROMs)")
    ap.add_argument("--model-dir", metavar="DIR", help="folder with stories260K.bin and tok512.bin")
    ap.add_argument("--no-warp", action="store_true", help="run VICE at real C64 speed")
    ap.add_argument("--jsonl", action="store_true", help="one JSON object per token, then a summary object")
    return ap


def _check_args(ap: argparse.ArgumentParser, args) -> None:
    if not 1 <= args.steps <= 0xFFFF:
        ap.error("--steps must be 1..65535")
    if not 0.0 <= args.temperature <= 255.0:
        ap.error("--temperature must be 0..255")
    if not 0.0 < args.top_p <= 1.0:
        ap.error("--top-p must be in (0, 1]")
    if not 0 <= args.seed <= 0xFFFFFFFF:
        ap.error("--seed must be 0..4294967295")


class _Printer:
    """Turns session events into stdout text / JSON lines and stderr progress."""

    def __init__(self, jsonl: bool, out=None, err=None, prompt: str = ""):
        self.jsonl = jsonl
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.prompt = prompt  # printed before the first token, as llama2.c's run prints it
        self.last: object = None
        self.progress_shown = False
        self.line_open = False  # story text on stdout not yet ended by a newline

    def __call__(self, ev) -> None:
        if isinstance(ev, TokenEmitted):
            if self.jsonl:
                self.out.write(json.dumps({"position": ev.position, "token": ev.token, "text": ev.text,
                                           "cycles": ev.cycles}) + "\n")
            else:
                if ev.index == 0:
                    self.out.write(self.prompt)
                self.out.write(ev.text)
                self.line_open = True
            self.out.flush()
        elif isinstance(ev, Progress):
            if self.err.isatty():
                self.err.write(f"\r[token {ev.tokens_done}/{ev.tokens_requested} pos {ev.position} "
                               f"layer {ev.layer} phase {ev.phase}]  ")
                self.err.flush()
                self.progress_shown = True
        elif isinstance(ev, StateChanged):
            self._err_line(f"gui64: {ev.state.value}" + (f": {ev.detail}" if ev.detail else ""))
        elif isinstance(ev, Finished):
            if self.jsonl:
                self.out.write(json.dumps({"text": ev.text, "tokens": list(ev.tokens), "cycles_total": ev.cycles_total,
                                           "cycles_per_token_mean": ev.cycles_per_token_mean,
                                           "wall_s": round(ev.wall_s, 3)}) + "\n")
            self._end_line()
            self.out.flush()
            self._err_line(f"gui64: {len(ev.tokens)} tokens, {ev.cycles_per_token_mean:,.0f} C64 cycles per token, "
                           f"{ev.wall_s:.1f} s")
        self.last = ev

    def _end_line(self) -> None:
        if self.line_open:
            self.out.write("\n")
            self.out.flush()
            self.line_open = False

    def _err_line(self, text: str) -> None:
        self._end_line()
        if self.progress_shown:
            self.err.write("\n")
            self.progress_shown = False
        self.err.write(text + "\n")
        self.err.flush()


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    ap = parser()
    args = ap.parse_args(argv)
    _check_args(ap, args)
    params = Params(prompt=args.prompt, steps=args.steps, temperature=args.temperature, top_p=args.top_p,
                    seed=args.seed, mode=1 if args.mode == "exact" else 0)
    is_path = "/" in args.emulator
    if not is_path and args.emulator not in ("x64", "x64sc"):
        ap.error("--emulator must be x64, x64sc or a path to a VICE binary")
    options = SessionOptions(emulator="x64" if is_path else args.emulator,
                             emulator_path=args.emulator if is_path else None,
                             roms_dir=args.roms, warp=not args.no_warp)
    try:
        from gui64.models import find_model_files
        session = Session(params, find_model_files(args.model_dir), options)
        session.check()
    except PromptRefused as exc:
        print(f"gui64 generate: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Gui64Error as exc:
        print(f"gui64 generate: {exc}", file=sys.stderr)
        return EXIT_FAILED

    printer = _Printer(args.jsonl, prompt=args.prompt)
    cancel = threading.Event()
    result: list = []
    worker = threading.Thread(target=lambda: result.append(session.run(printer, cancel)),
                              name="gui64-session", daemon=True)
    old_term = signal.signal(signal.SIGTERM, _raise_interrupt) if threading.current_thread() is threading.main_thread() \
        else None
    interrupted = False
    try:
        worker.start()
        while worker.is_alive():
            worker.join(0.2)
    except KeyboardInterrupt:
        interrupted = True
        cancel.set()
        worker.join(30.0)  # the session stops VICE and Xvfb before it returns
    finally:
        if old_term is not None:
            signal.signal(signal.SIGTERM, old_term)
    if interrupted:
        print("gui64 generate: interrupted; VICE stopped.", file=sys.stderr)
        return EXIT_INTERRUPTED
    last = result[0] if result else None
    if isinstance(last, Finished):
        return EXIT_OK
    if isinstance(last, Failed):
        print(f"gui64 generate: {last.reason}" + (f" {last.remedy}" if last.remedy else ""), file=sys.stderr)
        return EXIT_FAILED
    print("gui64 generate: the run stopped before the story was finished.", file=sys.stderr)
    return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
