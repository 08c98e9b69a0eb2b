"""`gui64 fetch-model`: download the model files, checked by SHA-256, without leaving partial files."""

from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

from gui64 import __version__
from gui64.errors import Gui64Error
from gui64.models import (CHECKPOINT_NAME, SHA256, TOKENIZER_NAME, URL_BASE, ModelFiles, sha256_of,
                          user_model_dir)

ENV_MODEL_URL = "GUI64_MODEL_URL"  # overrides URL_BASE (tests, mirrors)
CHUNK = 64 * 1024
TIMEOUT_S = 30.0

Progress = Callable[[str, int, "int | None"], None]  # (file name, bytes done, total bytes or None)


class FetchError(Gui64Error):
    """A model download failed; nothing half-written was left behind."""


class FetchCancelled(FetchError):
    """The download was cancelled (the cancel event was set)."""


def download_models(dest: str | Path | None = None, progress: Progress | None = None,
                    cancel: threading.Event | None = None, *, url_base: str | None = None,
                    force: bool = False, timeout: float = TIMEOUT_S) -> ModelFiles:
    """Download stories260K.bin and tok512.bin into `dest`, checking their SHA-256.

    Each file streams into a temporary file in `dest` and is renamed into place only after its
    digest matches, so a failed, cut-off, wrong or cancelled download leaves no partial file.
    A file already present with the right digest is kept unless `force` is set.
    Safe to call from a worker thread (the GUI does).

    Args:
        dest: the target folder; default the user data folder (`gui64.models.user_model_dir`).
        progress: called as progress(name, bytes_done, total_or_None) after each chunk.
        cancel: when set, the download stops between chunks and raises FetchCancelled.
        url_base: where the files are (`{url_base}/{name}`); default `$GUI64_MODEL_URL`, else the
            tinyllamas release on Hugging Face.
        force: download even when a good copy is already there.
        timeout: seconds each network wait may take.

    Returns:
        The paths of the two files.

    Raises:
        FetchError: the folder cannot be written, the server or network failed, the body was cut
            off, or a digest differs. FetchCancelled when cancelled.
    """
    dest = Path(dest) if dest is not None else user_model_dir()
    base = (url_base or os.environ.get(ENV_MODEL_URL) or URL_BASE).rstrip("/")
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FetchError(f"Cannot create {dest} ({exc.strerror}); choose another folder with --dest.") from None
    for name in (CHECKPOINT_NAME, TOKENIZER_NAME):
        target = dest / name
        if not force and target.is_file() and sha256_of(target) == SHA256[name]:
            size = target.stat().st_size
            if progress is not None:
                progress(name, size, size)
            continue
        _download_one(f"{base}/{name}", target, SHA256[name], progress, cancel, timeout)
    return ModelFiles(dest / CHECKPOINT_NAME, dest / TOKENIZER_NAME)


def _download_one(url: str, target: Path, sha256: str, progress: Progress | None,
                  cancel: threading.Event | None, timeout: float) -> None:
    """Stream `url` into a temporary file next to `target`, check it, then rename it into place."""
    name = target.name
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=target.parent)
    except OSError as exc:
        raise FetchError(f"Cannot write to {target.parent} ({exc.strerror}); choose another folder "
                         "with --dest.") from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            digest = hashlib.sha256()
            done = 0
            request = urllib.request.Request(url, headers={"User-Agent": f"gui64/{__version__}"})
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    length = response.headers.get("Content-Length")
                    total = int(length) if length and length.isdigit() else None
                    while True:
                        if cancel is not None and cancel.is_set():
                            raise FetchCancelled(f"Download of {name} cancelled; nothing was kept.")
                        chunk = response.read(CHUNK)
                        if not chunk:
                            break
                        out.write(chunk)
                        digest.update(chunk)
                        done += len(chunk)
                        if progress is not None:
                            progress(name, done, total)
            except urllib.error.HTTPError as exc:
                raise FetchError(f"Download of {name} failed: {url} answered {exc.code} {exc.reason}; "
                                 "check the address (GUI64_MODEL_URL) or try again later.") from None
            except (urllib.error.URLError, OSError) as exc:
                # timeouts, refused or reset connections, DNS failures
                reason = getattr(exc, "reason", None) or exc
                raise FetchError(f"Download of {name} from {url} failed ({reason}); check the network "
                                 "connection and run `gui64 fetch-model` again.") from None
            except http.client.HTTPException as exc:  # IncompleteRead: the body was cut off
                raise FetchError(f"Download of {name} from {url} was cut off ({type(exc).__name__}); "
                                 "run `gui64 fetch-model` again.") from None
            if total is not None and done != total:
                raise FetchError(f"Download of {name} was cut off ({done} of {total} bytes); "
                                 "run `gui64 fetch-model` again.")
            if digest.hexdigest() != sha256:
                raise FetchError(f"Download of {name} from {url} has the wrong SHA-256 "
                                 f"({digest.hexdigest()[:16]}..., expected {sha256[:16]}...); "
                                 "the file was discarded. Check the address or try again later.")
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# ----------------------------------------------------------------------------------------------
# CLI


class _ProgressBar:
    """A one-line text progress bar on a stream (stderr), redrawn with carriage returns."""

    def __init__(self, stream=None, width: int = 30) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.current: str | None = None

    def __call__(self, name: str, done: int, total: int | None) -> None:
        if name != self.current:
            self.finish()
            self.current = name
        if total:
            filled = min(self.width, self.width * done // total)
            bar = "#" * filled + "." * (self.width - filled)
            line = f"{name:<16} [{bar}] {100 * done // total:3d}% {done // 1024}/{total // 1024} KiB"
        else:
            line = f"{name:<16} {done // 1024} KiB"
        self.stream.write("\r" + line)
        self.stream.flush()

    def finish(self) -> None:
        if self.current is not None:
            self.stream.write("\n")
            self.stream.flush()
            self.current = None


def main(argv: list[str] | None = None) -> int:
    """Run `gui64 fetch-model`.

    Args:
        argv: arguments after the subcommand.

    Returns:
        0 on success, 1 when the download failed (one line on stderr says why).
    """
    parser = argparse.ArgumentParser(prog="gui64 fetch-model",
                                     description="Download stories260K.bin and tok512.bin (tinyllamas, MIT) "
                                                 "and check their SHA-256.")
    parser.add_argument("--dest", type=Path, default=None,
                        help=f"folder to put them in (default: {user_model_dir()})")
    parser.add_argument("--force", action="store_true", help="download even if good copies are already there")
    args = parser.parse_args(argv)
    bar = _ProgressBar()
    try:
        files = download_models(args.dest, progress=bar, force=args.force)
    except FetchError as exc:
        bar.finish()
        print(f"gui64 fetch-model: {exc}", file=sys.stderr)
        return 1
    bar.finish()
    print(f"Model files ready in {files.checkpoint.parent}")
    return 0
