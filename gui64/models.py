"""Where the model files are, what they must hash to, and where to download them from."""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path

import platformdirs

from gui64.errors import Gui64Error

CHECKPOINT_NAME = "stories260K.bin"
TOKENIZER_NAME = "tok512.bin"

# The one place for the model files' digests and public addresses (tinyllamas release, MIT).
SHA256 = {
    CHECKPOINT_NAME: "b0a507e7ad0f626624f17112325e66691f9076d622e1d3274d103d00299f2696",
    TOKENIZER_NAME: "037cb335abb25d1fa9e8ecae30ed2a3a8ace9302862ebcdc05d51a6bbb10c312",
}
URL_BASE = "https://huggingface.co/karpathy/tinyllamas/resolve/main/stories260K"
URLS = {name: f"{URL_BASE}/{name}" for name in SHA256}

ENV_MODEL_DIR = "GUI64_MODEL_DIR"


class ModelNotFound(Gui64Error):
    """The model files are in none of the places searched.

    Attributes:
        searched: the folders looked in, in order.
    """

    def __init__(self, searched: list[Path]) -> None:
        self.searched = list(searched)
        places = "; ".join(str(p) for p in self.searched) or "nowhere"
        super().__init__(f"{CHECKPOINT_NAME} and {TOKENIZER_NAME} were not found (looked in: {places}). "
                         "Run `gui64 fetch-model` to download them, or pass --model-dir DIR.")


@dataclasses.dataclass(frozen=True)
class ModelFiles:
    """The pair of files a story run needs."""

    checkpoint: Path
    tokenizer: Path


def user_model_dir() -> Path:
    """The per-user folder `gui64 fetch-model` downloads into."""
    return Path(platformdirs.user_data_dir("gui64")) / "models"


def dev_model_dirs() -> list[Path]:
    """`../shared/models` beside the repository checkout and beside the current folder."""
    return [Path(__file__).resolve().parents[2] / "shared" / "models", Path.cwd().parent / "shared" / "models"]


def search_dirs(explicit_dir: str | Path | None = None) -> list[Path]:
    """The folders searched for model files, in order, without duplicates.

    Order: `explicit_dir`, `$GUI64_MODEL_DIR`, the user data folder, then `../shared/models`
    next to the repository checkout and relative to the current folder (development and CI).

    Args:
        explicit_dir: a folder (or a file inside it) given by the user, if any.

    Returns:
        The folders, resolved where possible.
    """
    candidates: list[Path] = []
    if explicit_dir is not None:
        path = Path(explicit_dir).expanduser()
        candidates.append(path.parent if path.is_file() else path)
    env = os.environ.get(ENV_MODEL_DIR)
    if env:
        candidates.append(Path(env).expanduser())
    candidates.append(user_model_dir())
    candidates.extend(dev_model_dirs())
    seen: set[Path] = set()
    result = []
    for path in candidates:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            result.append(key)
    return result


def find_model_files(explicit_dir: str | Path | None = None) -> ModelFiles:
    """Find stories260K.bin and tok512.bin (both in the same folder).

    An explicit folder, when given, is tried first but the others are still searched.

    Args:
        explicit_dir: a folder from --model-dir or the settings, or a file inside it.

    Returns:
        The two paths.

    Raises:
        ModelNotFound: no searched folder holds both files; the message lists the folders.
    """
    searched = search_dirs(explicit_dir)
    for folder in searched:
        checkpoint, tokenizer = folder / CHECKPOINT_NAME, folder / TOKENIZER_NAME
        if checkpoint.is_file() and tokenizer.is_file():
            return ModelFiles(checkpoint, tokenizer)
    raise ModelNotFound(searched)


def sha256_of(path: str | Path) -> str:
    """The hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(files: ModelFiles) -> list[str]:
    """Check the files against the known digests.

    Args:
        files: the pair to check.

    Returns:
        One sentence per file whose digest differs (empty when both match).
    """
    problems = []
    for path in (files.checkpoint, files.tokenizer):
        want = SHA256[path.name] if path.name in SHA256 else None
        if want is not None and sha256_of(path) != want:
            problems.append(f"{path} does not match the published {path.name} (SHA-256 differs); "
                            "run `gui64 fetch-model --force` to download it again.")
    return problems
