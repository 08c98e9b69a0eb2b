"""Build what a story run needs (weights.reu + llama64.prg), cached by content hash.

The cache key hashes the model files and every source the build chain reads (its Python, the C64
sources, the boot ROM sources), so a changed exporter or C file rebuilds and nothing stale is
reused. Builds go to a temporary folder that is renamed into place when complete, so an
interrupted build never leaves a half-filled cache entry.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from build_chain.build import cache_root
from gui64.errors import Gui64Error

DONE_FILE = "artifacts.json"
SOURCE_SUFFIXES = {".py", ".c", ".h", ".s", ".inc", ".cfg"}


class ArtifactError(Gui64Error):
    """The export or the C64 build failed; str() says what to do."""


@dataclass(frozen=True)
class Artifacts:
    """Everything a machine needs, all in one cache folder."""

    reu: Path  # weights.reu
    reu_map: Path | None  # reu_map.json (None: not known, e.g. a dropped image without one)
    prg: Path  # llama64.prg
    labels: Path  # ld65 -Ln label file
    map: Path | None  # ld65 map file (None: not known)


def _build_chain_sources() -> list[Path]:
    import build_chain
    root = Path(build_chain.__file__).parent
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in SOURCE_SUFFIXES
                  and "__pycache__" not in p.parts)


def content_hash(model_files) -> str:
    """sha256 over the model files and the build chain's sources (names and contents)."""
    h = hashlib.sha256()
    import build_chain
    root = Path(build_chain.__file__).parent
    for label, path in (("checkpoint", Path(model_files.checkpoint)), ("tokenizer", Path(model_files.tokenizer))):
        h.update(label.encode() + b"\0")
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    for src in _build_chain_sources():
        h.update(str(src.relative_to(root)).encode() + b"\0" + src.read_bytes() + b"\0")
    return h.hexdigest()


def ensure_artifacts(model_files, progress: Callable[[str], None] | None = None,
                     cache_dir: str | Path | None = None) -> Artifacts:
    """The cached artifacts for these model files, building the missing ones.

    Args:
        model_files: a gui64.models.ModelFiles (checkpoint, tokenizer).
        progress: called with a short sentence at each step.
        cache_dir: the cache root (default: the user cache folder, or $GUI64_CACHE_DIR).

    Raises:
        ArtifactError: the export or the build failed (the message names the step).
    """
    say = progress or (lambda _msg: None)
    root = Path(cache_dir) if cache_dir else cache_root()
    key = content_hash(model_files)[:16]
    final = root / key
    done = final / DONE_FILE
    if done.is_file():
        return _load(final)
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=root))
    try:
        say("exporting the model into an REU image")
        try:
            from build_chain.export import export_model
            export_model(model_files.checkpoint, model_files.tokenizer, work)
        except ImportError as exc:
            raise ArtifactError(f"the exporter is not available ({exc}): reinstall gui64.") from None
        except Gui64Error:
            raise
        except Exception as exc:  # BuildChainError and friends carry the user's sentence
            raise ArtifactError(f"export failed: {exc}") from None
        say("building the C64 program with cc65")
        try:
            from build_chain.build import build_program
            built = build_program(work)
        except ImportError as exc:
            raise ArtifactError(f"the C64 build is not available ({exc}): reinstall gui64.") from None
        except Exception as exc:
            raise ArtifactError(f"C64 build failed: {exc}") from None
        names = {"reu": "weights.reu", "reu_map": "reu_map.json"}
        for field in ("prg", "labels", "map"):
            src = Path(getattr(built, field))
            if src.parent.resolve() != work.resolve():
                shutil.copyfile(src, work / src.name)
            names[field] = src.name
        (work / DONE_FILE).write_text(json.dumps(names, indent=1))
        try:
            work.rename(final)
        except OSError:  # another process finished the same build first
            if not done.is_file():
                raise
        say("build complete")
        return _load(final)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def device_set(reu: str | Path | None = None, prg: str | Path | None = None, labels: str | Path | None = None,
               model_files=None, progress: Callable[[str], None] | None = None) -> Artifacts:
    """What a run on a device needs: the given files, the missing ones from the build (cached).

    A program without a label file gets the ``.lbl`` beside it; ``reu_map.json`` and the ld65
    map are taken from beside the image / the program when they are there (else None).

    Args:
        reu, prg, labels: given files (None: the built ones; a given prg keeps its own labels).
        model_files: for the build (None: gui64.models.find_model_files()); only read when needed.
        progress: as for ensure_artifacts.

    Raises:
        ArtifactError: a file does not exist, or the build failed.
    """
    if reu is None or prg is None:
        if model_files is None:
            from gui64.models import find_model_files
            model_files = find_model_files()
        built = ensure_artifacts(model_files, progress=progress)
        reu = reu or built.reu
        if prg is None:
            prg, labels = built.prg, labels or built.labels
    if labels is None:
        labels = Path(prg).with_suffix(".lbl")
    for what, path in (("REU image", reu), ("program", prg), ("label file", labels)):
        if not Path(path).is_file():
            raise ArtifactError(f"the {what} {path} does not exist" +
                                (": give it with --labels (ld65 -Ln), or put it beside the program."
                                 if what == "label file" else "."))
    reu_map = Path(reu).with_name("reu_map.json")
    ld_map = Path(prg).with_suffix(".map")
    return Artifacts(Path(reu), reu_map if reu_map.is_file() else None, Path(prg), Path(labels),
                     ld_map if ld_map.is_file() else None)


def _load(folder: Path) -> Artifacts:
    names = json.loads((folder / DONE_FILE).read_text())
    return Artifacts(**{field: folder / name for field, name in names.items()})
