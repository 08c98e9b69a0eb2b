"""The `gui64` command: the GUI with no subcommand, otherwise one subcommand per job (like git)."""

from __future__ import annotations

import importlib
import sys

# subcommand -> (module with main(argv) -> int, one-line help)
COMMANDS = {
    "generate": ("gui64.generate", "write a story on a C64 in VICE, headless, streaming to stdout"),
    "export": ("build_chain.export", "write weights.reu + reu_map.json from a llama2.c checkpoint"),
    "build": ("build_chain.build", "build llama64.prg (and the open boot ROMs) with cc65"),
    "fetch-model": ("gui64.fetch", "download stories260K.bin and tok512.bin into the user data folder"),
    "fidelity": ("build_chain.fidelity", "compare the integer twin with float32 on a prompt list"),
    "bench": ("gui64.bench", "C64 cycles per token in VICE"),
    "trace": ("gui64.trace", "compare the C64's activations with the integer twin at one position"),
    "ultimate": ("gui64.ultimate_cli", "send a story run to a real C64 with an Ultimate II+ / Ultimate 64"),
    "doctor": ("gui64.doctor", "check what is installed and what to do about what is missing"),
}


def usage() -> str:
    lines = ["usage: gui64 [COMMAND] [ARGS...]", "", "With no command, opens the desktop app.", "", "commands:"]
    lines += [f"  {name:<12} {help_}" for name, (_, help_) in COMMANDS.items()]
    lines += ["", "gui64 COMMAND --help shows a command's options."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
        from gui64.ui.app import main as gui_main
        return gui_main(argv)
    if argv[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    if argv[0] == "--version":
        from gui64 import __version__
        print(f"gui64 {__version__}")
        return 0
    entry = COMMANDS.get(argv[0])
    if entry is None:
        print(f"gui64: unknown command {argv[0]!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(entry[0])
    try:
        return int(module.main(argv[1:]) or 0)
    except KeyboardInterrupt:
        print("gui64: interrupted.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
