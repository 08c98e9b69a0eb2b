"""`make dist`: a wheel and an sdist that carry the C64 sources and a prebuilt llama64.prg + open boot ROMs.

The checkout is never written to: the project is copied into a staging folder, the C64 side is
built there with cc65 (build_chain.prebuilt.write_prebuilt into build_chain/prebuilt/), the icons
are copied into the gui64 package (gui64/resources/, so the installed app finds them), and
`python -m build` makes the sdist and then the wheel from that sdist, as a user's pip would.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from any folder: import this checkout's build_chain

from build_chain.errors import BuildChainError  # noqa: E402
from build_chain.prebuilt import write_prebuilt  # noqa: E402

# What goes into the staging copy (MANIFEST.in then decides what the sdist keeps).
STAGE_ITEMS = ("pyproject.toml", "MANIFEST.in", "README.md", "LICENSE", "Makefile", "gui64", "build_chain",
               "resources", "packaging", "tests")
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".pytest_cache", "prebuilt", "*.o")


class DistError(Exception):
    """A dist step failed; str() says which and what to do."""


def stage(dest: Path) -> Path:
    """Copy the project into ``dest`` (without caches, old builds or a stale prebuilt folder)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in STAGE_ITEMS:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=IGNORE)
        elif src.is_file():
            shutil.copy2(src, dest / name)
    icons = dest / "gui64" / "resources"
    icons.mkdir(exist_ok=True)
    for icon in sorted((ROOT / "resources").glob("gui64*")):
        shutil.copy2(icon, icons / icon.name)
    return dest


def build_dist(out_dir: str | Path, program: bool = True, isolation: bool = True,
               wheel_only: bool = False) -> list[Path]:
    """Stage, prebuild the C64 side, and build sdist + wheel into ``out_dir``.

    Args:
        out_dir: where the .tar.gz and .whl go (created).
        program: prebuild llama64.prg too (False while build_chain/c64 has no program yet).
        isolation: let the builder make a fresh build environment (False: use this venv's setuptools).
        wheel_only: only the wheel, built by pip (no `build` package needed; the tests use this).

    Returns:
        The sdist and wheel paths.

    Raises:
        DistError: cc65 failed, `build` is not installed, or the build failed.
    """
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gui64-dist-") as tmp:
        staged = stage(Path(tmp) / "gui64")
        try:
            write_prebuilt(staged / "build_chain" / "prebuilt", program=program)
        except BuildChainError as exc:
            raise DistError(f"prebuilding the C64 side failed: {exc}") from None
        before = set(out.iterdir())
        if wheel_only:
            argv = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--wheel-dir", str(out),
                    *([] if isolation else ["--no-build-isolation"]), str(staged)]
        else:
            argv = [sys.executable, "-m", "build", "--outdir", str(out),
                    *([] if isolation else ["--no-isolation"]), str(staged)]
        proc = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=900)
        if proc.returncode != 0:
            if "No module named build" in proc.stderr:
                raise DistError("the `build` package is missing: run `make dist` (it installs it) "
                                "or `pip install build`.")
            tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
            raise DistError(f"{' '.join(argv[1:4])} failed (exit {proc.returncode}):\n{tail}")
    made = sorted(set(out.iterdir()) - before)
    return made or sorted(out.glob("gui64-*"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="build_dist.py", description=__doc__.splitlines()[0])
    parser.add_argument("--outdir", default=str(ROOT / "dist"), help="where the sdist and wheel go (default: dist/)")
    parser.add_argument("--without-program", action="store_true",
                        help="ship only the boot ROMs prebuilt (while build_chain/c64 has no program)")
    parser.add_argument("--no-isolation", action="store_true", help="build with this venv's setuptools and wheel")
    args = parser.parse_args(argv)
    try:
        made = build_dist(args.outdir, program=not args.without_program, isolation=not args.no_isolation)
    except DistError as exc:
        print(f"make dist: {exc}", file=sys.stderr)
        return 1
    for path in made:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
