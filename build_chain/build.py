"""Build the C64 side with cc65: the open boot ROMs and llama64.prg, cached by content hash; `gui64 build`."""

from __future__ import annotations

import argparse
import dataclasses
import fnmatch
import hashlib
import os
import re
import shutil
import struct
import sys
import tempfile
from pathlib import Path

from build_chain import blocks, reu_format
from build_chain.errors import BuildChainError, ToolchainError
from build_chain.labels import read_labels
from build_chain.runner import ProgramNotFound, run

HERE = Path(__file__).resolve().parent
BOOTROM_DIR = HERE / "bootrom"
C64_DIR = HERE / "c64"
PRG_NAME = "llama64.prg"
CC65_FLAGS = ("-O", "-t", "none", "--cpu", "6502")  # -t none: no target library start-up or KERNAL calls
BUILD_STAMP = "build-ok"  # written last into a finished cache folder


@dataclasses.dataclass(frozen=True)
class BootRoms:
    """The open boot ROMs: three ROM files, the KERNAL's label file and its idle loop."""

    kernal: Path
    basic: Path
    chargen: Path
    labels: Path
    idle_address: int


@dataclasses.dataclass(frozen=True)
class ProgramBuild:
    """llama64.prg and the linker outputs the host reads addresses from."""

    prg: Path
    labels: Path
    map: Path
    entry: int  # `start`: where the host sets PC after injecting
    params: int  # `_params`: the parameter block (host -> C64)
    status: int  # `_status`: the status block (C64 -> host)


CACHE_ENV = "GUI64_CACHE_DIR"


def cache_root() -> Path:
    """The cache folder for builds and exports: $GUI64_CACHE_DIR, else the user cache folder (platformdirs)."""
    import os

    import platformdirs
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path(platformdirs.user_cache_dir("gui64"))


def _digest(parts: list[tuple[str, bytes]]) -> str:
    h = hashlib.sha256()
    for name, data in sorted(parts):
        h.update(name.encode() + b"\0" + len(data).to_bytes(8, "little") + data)
    return h.hexdigest()[:16]


def _tool(argv: list, cwd: Path, what: str) -> None:
    """Run one cc65 tool; raise ToolchainError with its first error line as file:line message."""
    try:
        outcome = run(argv, cwd=cwd)
    except ProgramNotFound as exc:
        raise ToolchainError(f"{exc} (needed to {what})") from None
    if not outcome.ok:
        raise ToolchainError(f"{what} failed: {_first_error(outcome.stderr or outcome.stdout, cwd)}")
    noise = [ln for ln in (outcome.stderr + outcome.stdout).splitlines() if "warning" in ln.lower()]
    if noise:
        raise ToolchainError(f"{what}: warnings are errors here: {_first_error(chr(10).join(noise), cwd)}")


def _first_error(text: str, cwd: Path) -> str:
    """The most useful line of a cc65 tool's output, with build-folder paths made relative."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    pick = next((ln for ln in lines if re.search(r"(error|warning)", ln, re.I)), lines[0] if lines else "no output")
    pick = pick.replace(str(cwd) + os.sep, "")
    # cc65/ca65 say "/path/file.c(86): Error: text"; the user reads "file.c:86: text"
    match = re.match(r"^(.*?)\((\d+)\): (?:Error|Warning): (.*)$", pick)
    if match:
        pick = f"{Path(match.group(1)).name}:{match.group(2)}: {match.group(3)}"
    return pick


def _finish(tmp: Path, final: Path) -> Path:
    """Move a finished temp build folder into place (another process may have won the race)."""
    (tmp / BUILD_STAMP).write_text("ok\n")
    final.parent.mkdir(parents=True, exist_ok=True)
    try:
        tmp.rename(final)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not (final / BUILD_STAMP).is_file():
            raise BuildChainError(f"cannot write the build folder {final}: check its permissions.") from None
    return final


def _work_dir(out_dir: str | Path | None, prefix: str, digest: str) -> tuple[Path, Path | None]:
    """(folder to build in, final cache folder or None when out_dir is given)."""
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        return out, None
    final = cache_root() / f"{prefix}-{digest}"
    final.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{prefix}-", dir=final.parent)), final


# ---------------------------------------------------------------------------------------------
# open boot ROMs

def _bootrom_sources() -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(BOOTROM_DIR.iterdir())
            if p.suffix in (".s", ".cfg", ".inc", ".py") and p.name != "__init__.py"]


def _boot_roms_in(folder: Path) -> BootRoms:
    labels = folder / "kernal.lbl"
    idle = read_labels(labels).get("idle")
    if idle is None:
        raise BuildChainError(f"{labels}: no `idle` label; delete {folder} and build again.")
    return BootRoms(folder / "kernal.bin", folder / "basic.bin", folder / "chargen.bin", labels, idle)


def build_boot_roms(out_dir: str | Path | None = None) -> BootRoms:
    """Assemble the open KERNAL and BASIC filler and draw the character ROM.

    Cached in the user cache folder under bootrom-<hash of the sources>, or built into out_dir.

    Raises:
        ToolchainError: ca65/ld65 missing or failing.
    """
    from build_chain.bootrom import chargen
    if not all(shutil.which(t) for t in ("ca65", "ld65")):
        from build_chain.prebuilt import prebuilt_boot_roms
        shipped = prebuilt_boot_roms()  # a wheel or bundle without cc65: the ROMs built at dist time
        if shipped is not None:
            return shipped
    digest = _digest(_bootrom_sources())
    if out_dir is None:
        final = cache_root() / f"bootrom-{digest}"
        if (final / BUILD_STAMP).is_file():
            return _boot_roms_in(final)
    work, final = _work_dir(out_dir, "bootrom", digest)
    try:
        for name in ("kernal", "basic"):
            obj = work / f"{name}.o"
            _tool(["ca65", "-t", "none", "-I", "/usr/share/cc65/asminc", "-o", obj, BOOTROM_DIR / f"{name}.s"],
                  work, f"assemble bootrom/{name}.s")
            argv = ["ld65", "-C", BOOTROM_DIR / f"{name}.cfg", "-o", work / f"{name}.bin", obj]
            if name == "kernal":
                argv[1:1] = ["-Ln", work / "kernal.lbl", "-m", work / "kernal.map"]
            _tool(argv, work, f"link bootrom/{name}")
        (work / "chargen.bin").write_bytes(chargen.chargen_bytes())
        for name, size in (("kernal", 8192), ("basic", 8192), ("chargen", 4096)):
            got = (work / f"{name}.bin").stat().st_size
            if got != size:
                raise BuildChainError(f"bootrom/{name}: {got} bytes instead of {size}; fix its linker config.")
    except BaseException:
        if final is not None:
            shutil.rmtree(work, ignore_errors=True)
        raise
    return _boot_roms_in(_finish(work, final) if final is not None else work)


# ---------------------------------------------------------------------------------------------
# llama64.prg

def _field_offsets(prefix: str, fmt: str, names: list[str]) -> dict[str, int]:
    """C offsets of a struct's named fields, computed from its struct format (skipped pads)."""
    codes = re.findall(r"(\d*)([a-zA-Z])", fmt.lstrip("<>=!@"))
    out, offset, i = {}, 0, 0
    for count, code in codes:
        n = int(count) if count else 1
        if code == "x":
            offset += n
            continue
        size = struct.calcsize("<" + code) * (1 if code != "s" else n)
        reps = 1 if code == "s" else n
        for _ in range(reps):
            out[f"{prefix}{names[i]}"] = offset
            offset += size if code == "s" else struct.calcsize("<" + code)
            i += 1
    return out


def generated_headers() -> dict[str, str]:
    """Headers made from the Python contracts: blocks.h, reu_format.h, fields.h, scrcode.h."""
    from build_chain.bootrom import chargen
    fields = {}
    fields.update(_field_offsets("P_", blocks.PARAMS_HEAD.format,
                                 ["MAGIC", "VERSION", "FLAGS", "STEPS", "TEMPERATURE", "TOP_P", "SEED", "MODE"]))
    fields.update(_field_offsets("S_", blocks.STATUS_HEAD.format,
                                 ["MAGIC", "STATE", "ERROR", "POS", "LAYER", "PHASE", "N_PROMPT", "COUNT",
                                  "CYCLES", "CYCLES_START", "HEARTBEAT"]))
    fields.update(_field_offsets("RE_", reu_format.REGION_ENTRY.format,
                                 ["TENSOR", "LAYER", "RESERVED", "OFFSET", "LENGTH"]))
    fields["RING_ENTRY_SIZE"] = blocks.RING_ENTRY.size
    fields["PARAMS_MAGIC_0"], fields["PARAMS_MAGIC_1"], fields["PARAMS_MAGIC_2"], fields["PARAMS_MAGIC_3"] = \
        blocks.PARAMS_MAGIC
    fields["STATUS_MAGIC_0"], fields["STATUS_MAGIC_1"], fields["STATUS_MAGIC_2"], fields["STATUS_MAGIC_3"] = \
        blocks.STATUS_MAGIC
    lines = ["/* Generated by build_chain/build.py from blocks.py and reu_format.py - do not edit. */",
             "#ifndef FIELDS_H", "#define FIELDS_H", ""]
    lines += [f"#define {k} {v}" for k, v in fields.items()]
    lines += ["", "#endif", ""]
    table = [chargen.ascii_to_screen(chr(c)) for c in range(32, 127)]
    scr = ["/* Generated by build_chain/build.py from bootrom/chargen.py - do not edit. */",
           "#ifndef SCRCODE_H", "#define SCRCODE_H", "",
           "/* Screen code (lower/upper case bank) of ASCII 32..126, index = character - 32. */",
           "#define SCRCODE_TABLE { \\"]
    for i in range(0, len(table), 16):
        scr.append("    " + ", ".join(str(v) for v in table[i:i + 16]) + ", \\")
    scr += ["}", "", "#endif", ""]
    return {"blocks.h": blocks.c_header(), "reu_format.h": reu_format.c_header(), "fields.h": "\n".join(lines),
            "scrcode.h": "\n".join(scr)}


def program_sources(c64_dir: Path = C64_DIR, extra: tuple[Path, ...] = (),
                    exclude: tuple[str, ...] = ()) -> list[Path]:
    """The program's C and assembly files, minus names matching `exclude`, plus `extra`."""
    files = sorted(p for p in c64_dir.iterdir() if p.suffix in (".c", ".s")
                   and not any(fnmatch.fnmatch(p.name, pat) for pat in exclude))
    return files + [Path(p) for p in extra]


def build_program(out_dir: str | Path | None = None, extra_sources: tuple[str | Path, ...] = (),
                  defines: tuple[str, ...] = (), exclude: tuple[str, ...] = ()) -> ProgramBuild:
    """Compile build_chain/c64/*.c and *.s into llama64.prg with its map and label file.

    Cached in the user cache folder under prg-<hash of sources + generated headers>, or built
    into out_dir.

    Args:
        out_dir: build here instead of the cache.
        extra_sources: more .c/.s files to link (tests use a stand-in for the maths).
        defines: extra -D definitions for cc65 and ca65 (NAME or NAME=VALUE).
        exclude: file name patterns of build_chain/c64 to leave out (tests swap the maths).

    Raises:
        ToolchainError: a cc65 tool is missing, or a file does not compile ("file:line: message").
    """
    headers = generated_headers()
    if not extra_sources and not defines and not all(shutil.which(t) for t in ("cc65", "ca65", "ld65")):
        from build_chain.prebuilt import prebuilt_program
        shipped = prebuilt_program()  # a wheel or bundle without cc65: the program built at dist time
        if shipped is not None:
            return shipped
    sources = program_sources(extra=tuple(Path(p).resolve() for p in extra_sources), exclude=tuple(exclude))
    includes = sorted(p for p in C64_DIR.iterdir() if p.suffix in (".h", ".inc", ".cfg"))
    parts = [(f"src/{p.name}", p.read_bytes()) for p in sources + includes]
    parts += [(f"gen/{k}", v.encode()) for k, v in headers.items()]
    parts += [("flags", " ".join(CC65_FLAGS + tuple(defines)).encode())]
    digest = _digest(parts)
    if out_dir is None:
        final = cache_root() / f"prg-{digest}"
        if (final / BUILD_STAMP).is_file():
            return _program_in(final)
    names = [p.name for p in sources]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise ToolchainError(f"two source files are named {sorted(dupes)[0]}: rename one.")
    work, final = _work_dir(out_dir, "prg", digest)
    try:
        gen = work / "gen"
        gen.mkdir(exist_ok=True)
        for name, text in headers.items():
            (gen / name).write_text(text)
        dflags = [f"-D{d}" for d in defines]
        objs = []
        for src in sources:
            obj = work / (src.stem + ".o")
            if src.suffix == ".c":
                asm = work / (src.stem + ".s")
                _tool(["cc65", *CC65_FLAGS, *dflags, "-I", gen, "-I", src.parent, "-I", C64_DIR, "-o", asm, src],
                      work, f"compile {src.name}")
                _tool(["ca65", "--cpu", "6502", "-I", "/usr/share/cc65/asminc", "-o", obj, asm], work,
                      f"assemble {src.name}")
            else:
                _tool(["ca65", "--cpu", "6502", *dflags, "-I", "/usr/share/cc65/asminc", "-I", C64_DIR, "-I", gen,
                       "-o", obj, src], work, f"assemble {src.name}")
            objs.append(obj)
        _tool(["ld65", "-C", C64_DIR / "llama64.cfg", "-o", work / PRG_NAME, "-m", work / "llama64.map",
               "-Ln", work / "llama64.lbl", *objs, "none.lib"], work, "link llama64.prg")
    except BaseException:
        if final is not None:
            shutil.rmtree(work, ignore_errors=True)
        raise
    return _program_in(_finish(work, final) if final is not None else work)


def _program_in(folder: Path) -> ProgramBuild:
    labels_path = folder / "llama64.lbl"
    labels = read_labels(labels_path)
    missing = [n for n in ("start", "_params", "_status") if n not in labels]
    if missing:
        raise BuildChainError(f"{labels_path}: labels {', '.join(missing)} missing; the start-up or the "
                              "blocks are not linked.")
    return ProgramBuild(folder / PRG_NAME, labels_path, folder / "llama64.map", labels["start"], labels["_params"],
                        labels["_status"])


# ---------------------------------------------------------------------------------------------
# sim65 (inner loops and host-free checks)

def sim65_run(sources: list[str | Path], out_dir: str | Path, args: tuple[str, ...] = (),
              cycles: bool = False, timeout: float = 60.0, includes: tuple[str | Path, ...] = (),
              config: str | Path | None = None):
    """Build C/asm files for cc65's simulator (cl65 -t sim6502) and run them in sim65.

    Args:
        sources: .c/.s files (one defines main()).
        out_dir: folder for the binary.
        args: command-line arguments for the program.
        cycles: pass -c so sim65 prints the cycle count on stderr.
        includes: extra include folders (the generated headers are always there).
        config: an ld65 config instead of cl65's sim6502 default.

    Returns:
        The runner Outcome (stdout = what the program printed; returncode = main's return).

    Raises:
        ToolchainError: cl65 or sim65 missing, or a file does not compile.
    """
    out = Path(out_dir)
    gen = out / "gen"
    gen.mkdir(parents=True, exist_ok=True)
    for name, text in generated_headers().items():
        (gen / name).write_text(text)
    binary = out / "sim.bin"
    inc = ["-I", gen, "-I", C64_DIR, "--asm-include-dir", C64_DIR]
    for folder in (*includes, *dict.fromkeys(Path(src).resolve().parent for src in sources)):
        inc += ["-I", folder, "--asm-include-dir", folder]
    # cl65 writes each object (and a .c's .s) next to its source: compile copies, one folder each
    copies = []
    for i, src in enumerate(sources):
        folder = out / "src" / str(i)
        folder.mkdir(parents=True, exist_ok=True)
        copies.append(Path(shutil.copy2(src, folder / Path(src).name)))
    cfg = ["-C", config] if config else []
    _tool(["cl65", "-t", "sim6502", *cfg, "-O", *inc, "-o", binary, *copies], out, "build for sim65")
    try:
        return run(["sim65", *(["-c"] if cycles else []), binary, *args], cwd=out, timeout=timeout)
    except ProgramNotFound as exc:
        raise ToolchainError(str(exc)) from None


# ---------------------------------------------------------------------------------------------
# CLI

def main(argv: list[str] | None = None) -> int:
    """`gui64 build [--out DIR]`: build the boot ROMs and llama64.prg; print what was built."""
    parser = argparse.ArgumentParser(prog="gui64 build", description="Build llama64.prg and the open boot ROMs "
                                     "with cc65 (cached by content; --out builds into a folder).")
    parser.add_argument("--out", metavar="DIR", help="build into DIR instead of the user cache folder")
    args = parser.parse_args(argv)
    try:
        roms = build_boot_roms(Path(args.out) / "bootrom" if args.out else None)
        prg = build_program(args.out)
    except BuildChainError as exc:
        print(f"gui64 build: {exc}", file=sys.stderr)
        return 1
    size = prg.prg.stat().st_size - 2
    print(f"boot ROMs: {roms.kernal.parent} (idle at ${roms.idle_address:04X})")
    print(f"program:   {prg.prg} ({size} bytes, start ${prg.entry:04X}, params ${prg.params:04X}, "
          f"status ${prg.status:04X})")
    print(f"labels:    {prg.labels}")
    print(f"map:       {prg.map}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
