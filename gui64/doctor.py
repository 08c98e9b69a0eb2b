"""`gui64 doctor`: what is installed, what is missing, and what to do about each piece, one line each.

Exit status: 0 when everything a story run needs is there (warnings allowed), 1 when a needed
piece is missing, 2 for bad arguments. Needed: a VICE binary (3.5 or newer, for the binary
monitor), a ROM set (Commodore or open boot ROMs), a way to get llama64.prg (cc65 or the
prebuilt one) and the model files. Only warned about: the other VICE binary, a display and Qt's
xcb libraries (the GUI; `gui64 generate` runs headless), hardware profiles that do not answer.
"""

from __future__ import annotations

import argparse
import ctypes.util
import enum
import os
import re
import shutil
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from gui64 import __version__

MIN_VICE = (3, 5)  # the binary monitor appeared in VICE 3.5
CC65_TOOLS = ("cc65", "ca65", "ld65", "cl65")  # build.py runs the first three; sim65 builds use cl65
VICE_ROM_HOME = Path("~/.local/share/vice/C64")
PROFILE_TIMEOUT = 1.5  # seconds per hardware profile


class Status(enum.Enum):
    """How one item stands; MISSING makes the exit status non-zero."""

    OK = "ok"
    WARN = "warn"
    MISSING = "MISSING"


@dataclass(frozen=True)
class Check:
    """One line of the report: the item, what was found, and what to do when it is not right."""

    item: str
    status: Status
    found: str
    fix: str = ""

    def __str__(self) -> str:
        text = f"{self.status.value:<7} {self.item:<16} {self.found}"
        return f"{text}; {self.fix}" if self.fix else text


# ---------------------------------------------------------------- helpers


def _settings():
    """The user's settings, or None when they cannot be read (the doctor still runs)."""
    try:
        from gui64.settings import Settings
        return Settings.load()
    except Exception:  # a broken settings module must not stop the report
        return None


def _setting(settings, name: str, default=""):
    try:
        return getattr(settings, name) if settings is not None else default
    except AttributeError:
        return default


def _tool_version(path: str, args: tuple[str, ...] = ("--version",)) -> str:
    """First output line of `path args` (cc65 tools print on stderr), or "" when it fails."""
    from build_chain.errors import BuildChainError
    from build_chain.runner import run
    try:
        outcome = run([path, *args], timeout=15)
    except BuildChainError:
        return ""
    lines = (outcome.stdout.strip() or outcome.stderr.strip()).splitlines()
    return lines[0].strip() if lines else ""


def _vice_version(text: str) -> tuple[int, ...] | None:
    match = re.search(r"VICE (\d+)\.(\d+)(?:\.(\d+))?", text)
    return tuple(int(g) for g in match.groups() if g is not None) if match else None


# ---------------------------------------------------------------- the checks


def check_vice(configured: str = "") -> list[Check]:
    """x64 and x64sc: path and version; needed: at least one (or the configured emulator)."""
    checks = []
    usable = 0
    names = ["x64", "x64sc"]
    if configured and configured not in names:
        names.insert(0, configured)
    for name in names:
        label = f"VICE {Path(name).name}" if name in ("x64", "x64sc") else "VICE (settings)"
        path = shutil.which(name)
        if path is None:
            fix = ("install VICE (Debian package `vice`, in the contrib component; `make system` does it)"
                   if "/" not in name else "fix the emulator path in the settings")
            checks.append(Check(label, Status.WARN, f"{name} not found", fix))
            continue
        line = _tool_version(path, ("-version",))
        version = _vice_version(line)
        if version is None:
            checks.append(Check(label, Status.WARN, f"{path} (version unknown: `{name} -version` said {line!r})",
                                "check that this is VICE's C64 emulator"))
        elif version[:2] < MIN_VICE:
            checks.append(Check(label, Status.WARN, f"{path} (VICE {'.'.join(map(str, version))})",
                                f"VICE {MIN_VICE[0]}.{MIN_VICE[1]} or newer is needed for its binary monitor"))
        else:
            usable += 1
            checks.append(Check(label, Status.OK, f"{path} (VICE {'.'.join(map(str, version))})"))
    if not usable:
        checks = [Check(c.item, Status.MISSING if c.status is Status.WARN else c.status, c.found, c.fix)
                  for c in checks]
    return checks


def check_roms(rom_dir: str = "") -> list[Check]:
    """Commodore ROMs (the settings' folder or VICE's folders), else the open boot ROMs."""
    from gui64.machine.vice import ROM_DIRS, _roms_in
    if rom_dir:
        folder = Path(rom_dir).expanduser()
        if _roms_in(folder):
            return [Check("ROMs", Status.OK, f"Commodore ROMs in {folder} (from the settings)")]
        warn = Check("ROMs (settings)", Status.WARN, f"no kernal/basic/chargen in {folder}",
                     "fix the ROM folder in the settings, or clear it to use VICE's or the open boot ROMs")
        return [warn, *check_roms("")]
    for folder in ROM_DIRS:
        if _roms_in(folder):
            return [Check("ROMs", Status.OK, f"Commodore ROMs in {folder}")]
    hint = f"for the Commodore ROMs, copy kernal, basic and chargen into {VICE_ROM_HOME}"
    bootrom_src = Path(__import__("build_chain").__file__).parent / "bootrom"
    if all(shutil.which(t) for t in ("ca65", "ld65")) and any(bootrom_src.glob("*.s")):
        return [Check("ROMs", Status.OK, "open boot ROMs (assembled from build_chain/bootrom with ca65)", hint)]
    from build_chain.prebuilt import prebuilt_boot_roms
    try:
        roms = prebuilt_boot_roms()
    except Exception as exc:  # a damaged install: say so on this line
        return [Check("ROMs", Status.MISSING, f"the prebuilt open boot ROMs are damaged ({exc})",
                      "reinstall gui64, or install cc65 to build them")]
    if roms is not None:
        return [Check("ROMs", Status.OK, f"open boot ROMs (prebuilt, in {Path(roms.kernal).parent})", hint)]
    return [Check("ROMs", Status.MISSING, "no Commodore ROMs and no way to make the open boot ROMs",
                  f"install cc65 (Debian package `cc65`), or {hint}")]


def check_cc65() -> list[Check]:
    """cc65, ca65, ld65 and cl65 (one line), then whether llama64.prg can be had (built or prebuilt)."""
    from build_chain.prebuilt import prebuilt_program
    found = {t: shutil.which(t) for t in CC65_TOOLS}
    missing = [t for t, p in found.items() if p is None]
    c64_src = Path(__import__("build_chain").__file__).parent / "c64"
    has_sources = (c64_src / "llama64.cfg").is_file() and any(c64_src.glob("*.c"))
    try:
        prebuilt = prebuilt_program()
        damaged = ""
    except Exception as exc:
        prebuilt, damaged = None, str(exc)
    checks = []
    if not missing:
        version = _tool_version(found["cc65"]) or "version unknown"
        folders = sorted({str(Path(p).parent) for p in found.values()})
        checks.append(Check("cc65", Status.OK, f"{version}: {', '.join(CC65_TOOLS)} in {', '.join(folders)}"))
    else:
        status = Status.WARN if prebuilt is not None else Status.MISSING
        checks.append(Check("cc65", status, f"{', '.join(missing)} not found",
                            "install the Debian package `cc65`" +
                            (" to build from source (the prebuilt program is used meanwhile)"
                             if prebuilt is not None else "")))
    builds = not [t for t in ("cc65", "ca65", "ld65") if found[t] is None]
    if builds and has_sources:
        checks.append(Check("C64 program", Status.OK, f"llama64.prg is built from {c64_src} with cc65"))
    elif prebuilt is not None:
        checks.append(Check("C64 program", Status.OK, f"prebuilt llama64.prg in {Path(prebuilt.prg).parent}"))
    elif damaged:
        checks.append(Check("C64 program", Status.MISSING, f"the prebuilt llama64.prg is damaged ({damaged})",
                            "reinstall gui64, or install cc65 to build it"))
    elif not has_sources:
        checks.append(Check("C64 program", Status.MISSING, f"no program sources in {c64_src} and no prebuilt "
                            "llama64.prg", "reinstall gui64 (a wheel from `make dist` carries both)"))
    else:
        checks.append(Check("C64 program", Status.MISSING, "llama64.prg cannot be built (cc65 missing) and "
                            "no prebuilt one is installed", "install the Debian package `cc65`"))
    return checks


def check_model(model_dir: str = "") -> list[Check]:
    """stories260K.bin + tok512.bin, found where a run would look, checked against their digests."""
    from gui64.models import ModelNotFound, find_model_files, verify
    try:
        files = find_model_files(model_dir or None)
    except ModelNotFound as exc:
        return [Check("model files", Status.MISSING,
                      f"stories260K.bin and tok512.bin not found (looked in {len(exc.searched)} folders)",
                      "run `gui64 fetch-model`, or set GUI64_MODEL_DIR / the model folder in the settings")]
    problems = verify(files)
    if problems:
        return [Check("model files", Status.WARN, f"{files.checkpoint.parent}: " + " ".join(problems))]
    return [Check("model files", Status.OK, f"{files.checkpoint.name}, {files.tokenizer.name} in "
                  f"{files.checkpoint.parent}")]


def check_display(environ: dict | None = None) -> list[Check]:
    """A display for the GUI (DISPLAY / WAYLAND_DISPLAY, else Xvfb) and Qt's libraries."""
    env = os.environ if environ is None else environ
    checks = []
    if env.get("WAYLAND_DISPLAY"):
        checks.append(Check("display", Status.OK, f"Wayland ({env['WAYLAND_DISPLAY']})"))
    elif env.get("DISPLAY"):
        checks.append(Check("display", Status.OK, f"X11 ({env['DISPLAY']})"))
    elif shutil.which("Xvfb"):
        checks.append(Check("display", Status.WARN, "no DISPLAY or WAYLAND_DISPLAY; Xvfb is installed",
                            "the GUI needs a desktop (or `xvfb-run -a gui64`); `gui64 generate` runs headless"))
    else:
        checks.append(Check("display", Status.WARN, "no DISPLAY or WAYLAND_DISPLAY and no Xvfb",
                            "the GUI needs a desktop; `gui64 generate` runs headless "
                            "(install the Debian package `xvfb` for a virtual display)"))
    try:
        import PySide6
        qt = f"PySide6 {PySide6.__version__}"
    except ImportError:
        return [*checks, Check("Qt", Status.WARN, "PySide6 is not installed", "pip install PySide6 (the GUI needs it)")]
    if sys.platform.startswith("linux") and ctypes.util.find_library("xcb-cursor") is None:
        checks.append(Check("Qt", Status.WARN, f"{qt}; libxcb-cursor is missing (Qt's X11 plugin needs it)",
                            "install the Debian package `libxcb-cursor0` (`make system` installs all of Qt's)"))
    else:
        checks.append(Check("Qt", Status.OK, qt))
    return checks


def _reachable(host: str, port: int, timeout: float) -> str:
    """"" when a TCP connection to host:port opens within ``timeout``, else the reason."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return ""
    except OSError as exc:
        return exc.strerror or type(exc).__name__


def check_profiles(timeout: float = PROFILE_TIMEOUT) -> list[Check]:
    """Each saved Ultimate hardware profile: does its REST port answer? (Nothing when there are none.)"""
    from gui64.profiles import ProfileError, ProfileStore

    try:
        store = ProfileStore.load()
    except ProfileError as exc:  # an unreadable profiles file: report, do not crash
        return [Check("profiles", Status.WARN, f"cannot read the hardware profiles ({exc})",
                      "fix or delete the profiles file")]
    checks = []
    for profile in store:
        why = _reachable(profile.host, profile.http_port, timeout)
        if why:
            checks.append(Check(f"profile {profile.name}", Status.WARN, f"{profile.host} does not answer ({why})",
                                "switch the C64 on, check the address and enable the Web Remote Control "
                                "Service in its Network Settings"))
        else:
            checks.append(Check(f"profile {profile.name}", Status.OK, f"{profile.host} answers"))
    return checks


def run_checks(settings=None, profile_timeout: float = PROFILE_TIMEOUT) -> list[Check]:
    """Every check, in pipeline order (emulator, ROMs, build tools, model, display, hardware)."""
    settings = _settings() if settings is None else settings
    emulator = _setting(settings, "emulator", "x64")
    return [*check_vice(emulator if emulator not in ("x64", "x64sc") else ""),
            *check_roms(_setting(settings, "rom_dir")),
            *check_cc65(),
            *check_model(_setting(settings, "model_dir")),
            *check_display(),
            *check_profiles(profile_timeout)]


# ---------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    """Print one line per item and a verdict; 1 when something needed is missing."""
    parser = argparse.ArgumentParser(prog="gui64 doctor", description="Check what gui64 needs and say what to "
                                     "do about each missing piece (exit 1 when a needed one is missing).")
    parser.add_argument("--quiet", "-q", action="store_true", help="print only what is not ok")
    parser.add_argument("--profile-timeout", type=float, default=PROFILE_TIMEOUT, metavar="S",
                        help=f"seconds to wait for each hardware profile (default {PROFILE_TIMEOUT})")
    args = parser.parse_args(argv)
    print(f"gui64 {__version__} (Python {sys.version.split()[0]}, {sys.executable})")
    checks = run_checks(profile_timeout=args.profile_timeout)
    for check in checks:
        if not args.quiet or check.status is not Status.OK:
            print(check)
    missing = [c for c in checks if c.status is Status.MISSING]
    if missing:
        print(f"gui64 doctor: {len(missing)} needed piece{'s' if len(missing) > 1 else ''} missing "
              f"({', '.join(c.item for c in missing)}); see the lines above.")
        return 1
    print("gui64 doctor: everything a story run needs is here.")
    return 0
