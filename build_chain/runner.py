"""One runner for external programs (cl65, ca65, ld65, x64, Xvfb): resolve first, keep output, explain failures."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path

from build_chain.errors import BuildChainError

# Debian package that provides each external program, for "not found" messages.
PACKAGE_OF = {
    "cl65": "cc65", "ca65": "cc65", "ld65": "cc65", "cc65": "cc65", "sim65": "cc65",
    "x64": "vice", "x64sc": "vice", "Xvfb": "xvfb",
}


class ProgramNotFound(BuildChainError):
    """An external program is not installed or not on PATH."""


def resolve(program: str | Path) -> str:
    """Full path of an external program.

    Raises:
        ProgramNotFound: with the package to install.
    """
    name = str(program)
    path = shutil.which(name)
    if path:
        return path
    base = Path(name).name
    pkg = PACKAGE_OF.get(base)
    hint = f": install the Debian package `{pkg}`" if pkg else ""
    if "/" in name:
        raise ProgramNotFound(f"{name} not found or not executable{hint or ': check the path'}.")
    raise ProgramNotFound(f"{name} not found on PATH{hint}.")


@dataclasses.dataclass(frozen=True)
class Outcome:
    """Result of running a program to completion; str() is the user's sentence."""

    argv: tuple
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def __str__(self) -> str:
        name = Path(self.argv[0]).name
        if self.ok:
            return f"{name} finished."
        last = (self.stderr.strip() or self.stdout.strip()).splitlines()[-3:]
        detail = ("; ".join(last)) if last else "no output"
        if self.returncode < 0:
            return f"{name} was killed by signal {-self.returncode}: {detail}"
        return f"{name} failed with exit status {self.returncode}: {detail}"


def run(argv: list, cwd: str | Path | None = None, timeout: float = 120.0) -> Outcome:
    """Run a program to completion and keep its output (never raises for a non-zero exit).

    Raises:
        ProgramNotFound: the program is not installed.
        BuildChainError: it did not finish within ``timeout`` seconds.
    """
    exe = resolve(argv[0])
    try:
        proc = subprocess.run([exe, *map(str, argv[1:])], cwd=cwd, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise BuildChainError(f"{Path(exe).name} did not finish within {timeout:.0f} s.") from None
    return Outcome(tuple([exe, *map(str, argv[1:])]), proc.returncode, proc.stdout, proc.stderr)
