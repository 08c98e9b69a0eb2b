"""Read ld65's outputs: the VICE label file (-Ln) and the map file's segment list."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from build_chain.errors import BuildChainError

# "al 00E0A3 .idle" (ld65 -Ln); ca65 cheap locals ("@loop") and unnamed labels are not exported
_LABEL = re.compile(r"^al\s+([0-9A-Fa-f]+)\s+\.(\S+)\s*$")
# "CODE                  000810  0012A3  000A94  00001" (ld65 -m, "Segment list:")
_SEGMENT = re.compile(r"^(\S+)\s+([0-9A-Fa-f]{6})\s+([0-9A-Fa-f]{6})\s+([0-9A-Fa-f]{6})\s+([0-9A-Fa-f]{5})\s*$")


@dataclasses.dataclass(frozen=True)
class Segment:
    """One line of the map's segment list: where a segment landed."""

    name: str
    start: int
    end: int  # last byte (inclusive), as ld65 prints it
    size: int


def parse_labels(text: str) -> dict[str, int]:
    """Labels of a VICE label file's text: {name without the leading dot: address}.

    When a name occurs twice the last line wins (ld65 writes each name once).
    """
    labels: dict[str, int] = {}
    for line in text.splitlines():
        match = _LABEL.match(line.strip())
        if match:
            labels[match.group(2)] = int(match.group(1), 16)
    return labels


def read_labels(path: str | Path) -> dict[str, int]:
    """Read an ld65 ``-Ln`` label file ("al 00XXXX .name" lines).

    Args:
        path: the label file.

    Returns:
        {name: address}, names without the leading dot (``_params``, ``start``, ``idle``).

    Raises:
        BuildChainError: the file cannot be read.
    """
    path = Path(path)
    try:
        return parse_labels(path.read_text(encoding="ascii", errors="replace"))
    except OSError as exc:
        raise BuildChainError(f"{path}: cannot read the label file ({exc.strerror}); build again "
                              "with `gui64 build`.") from None


def parse_segments(text: str) -> dict[str, Segment]:
    """The "Segment list" of an ld65 map file's text: {segment name: Segment}."""
    segments: dict[str, Segment] = {}
    inside = False
    for line in text.splitlines():
        if line.startswith("Segment list:"):
            inside = True
            continue
        if not inside:
            continue
        if line.strip().endswith(":") and not line.startswith("-"):
            break  # the next section ("Exports list by name:")
        match = _SEGMENT.match(line.strip())
        if match:
            name, start, end, size = match.group(1), *(int(match.group(i), 16) for i in (2, 3, 4))
            segments[name] = Segment(name, start, end, size)
    return segments


def read_segments(path: str | Path) -> dict[str, Segment]:
    """Read the segment list of an ld65 map file (``-m``).

    Raises:
        BuildChainError: the file cannot be read.
    """
    path = Path(path)
    try:
        return parse_segments(path.read_text(encoding="ascii", errors="replace"))
    except OSError as exc:
        raise BuildChainError(f"{path}: cannot read the map file ({exc.strerror}); build again "
                              "with `gui64 build`.") from None
