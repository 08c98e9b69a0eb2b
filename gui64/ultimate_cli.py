"""`gui64 ultimate`: send a story run to a real C64 with an Ultimate, and keep hardware profiles.

    gui64 ultimate run (--profile NAME | --host H [--http-port N] [--dma-port N]) [--reu F --prg F]
                       [--prompt ...] [--steps N] [--temperature T] [--top-p P] [--seed S] [--fix-reu]
    gui64 ultimate profiles add NAME --host H [--http-port N] [--dma-port N] [--reu-size "2 MB"]
                                     [--password-prompt | --password-stdin | --no-password]
    gui64 ultimate profiles list | remove NAME | check [NAME...]

Passwords are read from a prompt, stdin or $GUI64_ULTIMATE_PASSWORD, never from the command line.
Exit status: 0 done, 1 the run or check failed, 2 bad arguments, 130 interrupted.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import threading
from pathlib import Path

from build_chain.blocks import Params
from gui64.errors import Gui64Error
from gui64.events import Failed, Finished
from gui64.machine import ultimate_protocol as up
from gui64.profiles import PASSWORD_ENV, PasswordStore, Profile, ProfileError, ProfileStore, device_for

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="gui64 ultimate",
                                 description="Run a story on a real C64 with an Ultimate II+ / Ultimate 64.")
    sub = ap.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="upload weights.reu, start llama64.prg and stream the story")
    target = run.add_mutually_exclusive_group(required=True)
    target.add_argument("--profile", metavar="NAME", help="a saved hardware profile")
    target.add_argument("--host", help="the device's IP address or name (password: $" + PASSWORD_ENV + ")")
    run.add_argument("--http-port", type=int, default=up.DEFAULT_HTTP_PORT, help="REST port (default 80)")
    run.add_argument("--dma-port", type=int, default=up.DEFAULT_DMA_PORT, help="DMA service port (default 64)")
    run.add_argument("--reu", metavar="FILE", type=Path, help="REU image (default: the built weights.reu)")
    run.add_argument("--prg", metavar="FILE", type=Path, help="C64 program (default: the built llama64.prg)")
    run.add_argument("--labels", metavar="FILE", type=Path,
                     help="the program's ld65 label file (default: next to --prg, same name, .lbl)")
    run.add_argument("--prompt", default="Once upon a time", help="the story's first words (ASCII)")
    run.add_argument("--steps", type=int, default=64, help="tokens to generate after the prompt (default 64)")
    run.add_argument("--temperature", type=float, default=0.8, help="0 = greedy (default 0.8)")
    run.add_argument("--top-p", type=float, default=0.9, help="nucleus sampling threshold (default 0.9)")
    run.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    run.add_argument("--model-dir", metavar="DIR", help="folder with stories260K.bin and tok512.bin")
    run.add_argument("--fix-reu", action="store_true",
                     help="enable the REU and set its size through the configuration API when needed")
    run.add_argument("--skip-upload", action="store_true", help="the REU already holds this image")
    run.add_argument("--resume-from", type=int, default=0, metavar="BYTE",
                     help="continue an interrupted upload from this byte")
    run.add_argument("--timeout", type=float, default=5.0, help="seconds per network call (default 5)")
    run.add_argument("--password-prompt", action="store_true", help="ask for the device's network password")
    run.add_argument("--jsonl", action="store_true", help="one JSON object per token, then a summary object")

    prof = sub.add_parser("profiles", help="add, list, remove or check hardware profiles")
    psub = prof.add_subparsers(dest="action", required=True)
    add = psub.add_parser("add", help="add or replace a profile")
    add.add_argument("name")
    add.add_argument("--host", required=True, help="the device's IP address or name")
    add.add_argument("--http-port", type=int, default=up.DEFAULT_HTTP_PORT)
    add.add_argument("--dma-port", type=int, default=up.DEFAULT_DMA_PORT)
    add.add_argument("--reu-size", default="", help='REU size the device should have, e.g. "2 MB" (default: '
                                                     "what the image needs)")
    pw = add.add_mutually_exclusive_group()
    pw.add_argument("--password-prompt", action="store_true", help="ask for the device's network password")
    pw.add_argument("--password-stdin", action="store_true", help="read the network password from stdin")
    pw.add_argument("--no-password", action="store_true", help="forget a stored password")
    psub.add_parser("list", help="list the profiles")
    rm = psub.add_parser("remove", help="remove a profile and its password")
    rm.add_argument("name")
    check = psub.add_parser("check", help="is the device reachable? firmware, REU setting")
    check.add_argument("names", nargs="*", help="profiles to check (default: all)")
    check.add_argument("--timeout", type=float, default=3.0)
    return ap


def _err(text: str) -> None:
    print(f"gui64 ultimate: {text}", file=sys.stderr)


# ---------------------------------------------------------------- profiles


def profiles_main(args, store: ProfileStore, passwords: PasswordStore) -> int:
    if args.action == "add":
        reu = up.parse_reu_size(args.reu_size) if args.reu_size else 0
        profile = Profile(args.name, args.host, args.http_port, args.dma_port, reu)
        store.put(profile)
        store.save()
        if args.password_prompt:
            passwords.set(profile.name, getpass.getpass(f"Network Password of {profile.host}: "))
        elif args.password_stdin:
            passwords.set(profile.name, sys.stdin.readline().rstrip("\r\n"))
        elif args.no_password:
            passwords.delete(profile.name)
        saved = "" if not (args.password_prompt or args.password_stdin) else f"; password kept in {passwords.where}"
        print(f"saved {profile.describe()}{saved}")
        return EXIT_OK
    if args.action == "list":
        if not len(store):
            print("no hardware profiles yet: gui64 ultimate profiles add NAME --host ADDRESS")
        for p in store:
            print(p.describe())
        return EXIT_OK
    if args.action == "remove":
        profile = store.remove(args.name)
        store.save()
        passwords.delete(profile.name)
        print(f"removed {profile.name}")
        return EXIT_OK
    if args.action == "check":
        chosen = [store.get(n) for n in args.names] if args.names else list(store)
        status = EXIT_OK
        for p in chosen:
            state = device_for(p, passwords, timeout=args.timeout).probe()
            if state.problem:
                status = EXIT_FAILED
                print(f"{p.name}: {'reachable' if state.reachable else 'unreachable'}: {state.problem}")
            else:
                print(f"{p.name}: {state.product} firmware {state.firmware}, {state.reu}")
        return status
    return EXIT_USAGE


# ---------------------------------------------------------------- run


def _artifacts(args):
    """(reu, prg, labels) paths: the given ones, else the built ones (cached)."""
    from gui64.artifacts import device_set
    from gui64.models import find_model_files
    model_files = find_model_files(args.model_dir) if args.reu is None or args.prg is None else None
    a = device_set(args.reu, args.prg, args.labels, model_files, progress=lambda msg: _err(msg))
    return a.reu, a.prg, a.labels


class _UploadPrinter:
    """Wraps gui64.generate's printer: adds the upload's bytes and speed on stderr."""

    def __init__(self, inner):
        self.inner = inner

    def __call__(self, ev) -> None:
        from gui64.machine.ultimate import UploadProgress, human_bytes
        if isinstance(ev, UploadProgress):
            err = self.inner.err
            line = (f"uploading: {human_bytes(ev.done)} of {human_bytes(ev.total)}, "
                    f"{human_bytes(ev.bytes_per_s)}/s" + (f", {ev.retries} retries" if ev.retries else ""))
            if err.isatty():
                err.write(f"\r{line}  ")
                self.inner.progress_shown = True
            elif ev.done == ev.total:
                err.write(line + "\n")
            err.flush()
            return
        self.inner(ev)


def run_main(args, ap) -> int:
    from gui64.generate import _check_args, _Printer
    from gui64.machine.ultimate import Ultimate, UltimateOptions
    from gui64.session import PromptRefused, UltimateSession

    _check_args(ap, args)
    passwords = PasswordStore()
    if args.profile:
        profile = ProfileStore.load().get(args.profile)
        device = device_for(profile, passwords, timeout=args.timeout)
    else:
        device = Ultimate(args.host, args.http_port, args.dma_port, password=os.environ.get(PASSWORD_ENV),
                          timeout=args.timeout)
    if args.password_prompt:
        device.password = getpass.getpass(f"Network Password of {device.host}: ") or None
    reu, prg, labels = _artifacts(args)
    params = Params(prompt=args.prompt, steps=args.steps, temperature=args.temperature, top_p=args.top_p,
                    seed=args.seed)
    from gui64.models import find_model_files
    session = UltimateSession(device, params, reu, prg, labels,
                              UltimateOptions(fix_reu=args.fix_reu, skip_upload=args.skip_upload,
                                              resume_from=args.resume_from),
                              model_files=find_model_files(args.model_dir))
    try:
        session.check()
    except PromptRefused as exc:
        _err(str(exc))
        return EXIT_USAGE
    printer = _UploadPrinter(_Printer(args.jsonl))
    cancel = threading.Event()
    result: list = []
    worker = threading.Thread(target=lambda: result.append(session.run(printer, cancel)),
                              name="gui64-ultimate", daemon=True)
    try:
        worker.start()
        while worker.is_alive():
            worker.join(0.2)
    except KeyboardInterrupt:
        cancel.set()
        worker.join(args.timeout * 2 + 5)
        _err("interrupted; the C64 keeps whatever it was doing (reset it from the Ultimate's menu).")
        return EXIT_INTERRUPTED
    last = result[0] if result else None
    if isinstance(last, Finished):
        return EXIT_OK
    if isinstance(last, Failed):
        _err(last.reason + (f" {last.remedy}" if last.remedy else ""))
        return EXIT_FAILED
    _err("the run stopped before the story was finished.")
    return EXIT_FAILED


def main(argv: list[str] | None = None) -> int:
    ap = parser()
    args = ap.parse_args(argv)
    try:
        if args.command == "profiles":
            return profiles_main(args, ProfileStore.load(), PasswordStore())
        return run_main(args, ap)
    except ValueError as exc:  # a bad --reu-size
        _err(f"{exc}.")
        return EXIT_USAGE
    except ProfileError as exc:
        _err(str(exc))
        return EXIT_USAGE if args.command == "profiles" else EXIT_FAILED
    except Gui64Error as exc:
        _err(str(exc))
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
