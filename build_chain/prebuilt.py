"""The prebuilt C64 side shipped in wheels (build_chain/prebuilt/): write it at dist time, find it at run time.

`make dist` builds llama64.prg and the open boot ROMs with cc65 and stores them here, so a user
without cc65 can still run; build_chain.build falls back to them when cc65 is missing. The folder
is generated, never committed. Its layout::

    prebuilt/prebuilt.json                      what was built, from which sources, with which cc65
    prebuilt/llama64.prg, .lbl, .map            as build_program() makes them
    prebuilt/bootrom/kernal.bin, basic.bin, chargen.bin, kernal.lbl   as build_boot_roms() makes them

The manifest records a digest of the sources the programs are built from; a prebuilt set whose
digest differs from the sources beside it (a stale folder in a checkout) is not used.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import sys
import tempfile
from pathlib import Path

from build_chain.errors import BuildChainError

log = logging.getLogger("gui64.build")

HERE = Path(__file__).resolve().parent
PREBUILT_DIR = HERE / "prebuilt"
MANIFEST = "prebuilt.json"
FORMAT = 1
PROGRAM_FILES = ("llama64.prg", "llama64.lbl", "llama64.map")
BOOT_ROM_FILES = ("kernal.bin", "basic.bin", "chargen.bin", "kernal.lbl")
# What the C64 programs are made from: the sources and the Python that generates headers and ROMs.
SOURCE_DIRS = ("c64", "bootrom")
SOURCE_SUFFIXES = {".c", ".h", ".s", ".inc", ".cfg", ".py"}
SOURCE_MODULES = ("build.py", "blocks.py", "reu_format.py")


def sources_digest(root: Path = HERE) -> str:
    """sha256 (hex, 16 digits) over the files llama64.prg and the boot ROMs are built from."""
    files = [root / name for name in SOURCE_MODULES]
    for folder in SOURCE_DIRS:
        if (root / folder).is_dir():
            files += [p for p in (root / folder).iterdir() if p.is_file() and p.suffix in SOURCE_SUFFIXES]
    h = hashlib.sha256()
    for path in sorted(p for p in files if p.is_file()):
        data = path.read_bytes()
        h.update(str(path.relative_to(root)).encode() + b"\0" + len(data).to_bytes(8, "little") + data)
    return h.hexdigest()[:16]


def _cc65_version() -> str:
    from build_chain.runner import run
    try:
        outcome = run(["cc65", "--version"], timeout=10)
    except BuildChainError:
        return "unknown"
    return (outcome.stderr.strip() or outcome.stdout.strip()).splitlines()[0] if outcome.ok else "unknown"


def write_prebuilt(dest: str | Path | None = None, program: bool = True) -> Path:
    """Build llama64.prg and the open boot ROMs with cc65 and store them in ``dest`` with a manifest.

    ``dest`` is emptied first. The build runs from this checkout's sources; give a staging copy's
    build_chain/prebuilt as ``dest`` to leave the checkout untouched.

    Args:
        dest: the folder to fill.
        program: also build llama64.prg (False: the boot ROMs only, while there is no program).

    Returns:
        The manifest's path.

    Raises:
        ToolchainError: cc65 is missing or a source does not build.
    """
    from build_chain.build import build_boot_roms, build_program

    dest = Path(dest) if dest is not None else PREBUILT_DIR
    with tempfile.TemporaryDirectory(prefix="gui64-prebuilt-") as tmp:
        roms = build_boot_roms(Path(tmp) / "bootrom")
        built = build_program(Path(tmp) / "prg") if program else None
        if dest.exists():
            shutil.rmtree(dest)
        (dest / "bootrom").mkdir(parents=True)
        if built is not None:
            for src, name in zip((built.prg, built.labels, built.map), PROGRAM_FILES):
                shutil.copyfile(src, dest / name)
        for src, name in zip((roms.kernal, roms.basic, roms.chargen, roms.labels), BOOT_ROM_FILES):
            shutil.copyfile(src, dest / "bootrom" / name)
    manifest = {"format": FORMAT, "sources": sources_digest(), "cc65": _cc65_version(),
                "program": list(PROGRAM_FILES) if program else [],
                "boot_roms": [f"bootrom/{n}" for n in BOOT_ROM_FILES]}
    path = dest / MANIFEST
    path.write_text(json.dumps(manifest, indent=1) + "\n")
    return path


def _usable(folder: Path, key: str) -> bool:
    """True when ``folder``'s manifest matches the sources here and its ``key`` files are all there."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    if manifest.get("format") != FORMAT:
        log.warning("%s: unknown prebuilt format %r; ignoring it.", folder, manifest.get("format"))
        return False
    # A frozen app bundle keeps the Python sources in its archive, so their digest cannot be taken;
    # the bundle is built as one piece, which is what the check is for in a checkout.
    if not getattr(sys, "frozen", False) and manifest.get("sources") != sources_digest():
        log.warning("%s was built from other sources than the ones installed; ignoring it.", folder)
        return False
    names = manifest.get(key) or []
    return bool(names) and all((folder / name).is_file() for name in names)


def prebuilt_program(folder: str | Path | None = None):
    """The shipped llama64.prg as a build_chain.build.ProgramBuild, or None when there is none.

    Raises:
        BuildChainError: the label file lacks the program's entry or blocks (a damaged install).
    """
    folder = Path(folder) if folder is not None else PREBUILT_DIR
    if not _usable(folder, "program"):
        return None
    from build_chain.build import _program_in
    return _program_in(folder)


def prebuilt_boot_roms(folder: str | Path | None = None):
    """The shipped open boot ROMs as a build_chain.build.BootRoms, or None when there are none.

    Raises:
        BuildChainError: the KERNAL label file lacks `idle` (a damaged install).
    """
    folder = Path(folder) if folder is not None else PREBUILT_DIR
    if not _usable(folder, "boot_roms"):
        return None
    from build_chain.build import _boot_roms_in
    return _boot_roms_in(folder / "bootrom")
