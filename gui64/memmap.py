"""Memory layouts for the occupancy views: REU regions from reu_map.json, C64 RAM from the ld65 map (no Qt).

Both become a sorted list of ``Region`` covering the whole address space, so one view draws
either. ``regions_read`` says which REU regions a forward pass reads in a given layer and
phase (for the live highlight), and ``kv_filled_bytes`` how much of a KV-cache region holds
data at a position.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass
from pathlib import Path

from build_chain.blocks import Phase
from build_chain.reu_format import FORMAT_VERSION

REU_KINDS = ("header", "tokenizer", "table", "weights", "kv-cache", "free")
RAM_KINDS = ("zeropage", "stack", "system", "program", "data", "tables", "buffers", "free")


class MemoryMapError(ValueError):
    """A map file could not be read; str() says which file and what to do."""


@dataclass(frozen=True)
class Region:
    """A named byte range of a memory (REU or C64 RAM)."""

    name: str
    offset: int
    length: int
    kind: str
    layer: int | None = None

    @property
    def end(self) -> int:
        """One past the last byte."""
        return self.offset + self.length


@dataclass(frozen=True)
class ReuMap:
    """A parsed reu_map.json."""

    reu_size: int
    image_size: int
    model: dict  # dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len
    regions: tuple  # Region, sorted by offset, covering 0 .. reu_size

    @property
    def seq_len(self) -> int:
        return int(self.model.get("seq_len", 0))

    def totals(self) -> tuple[int, int]:
        """(used, free) bytes."""
        free = sum(r.length for r in self.regions if r.kind == "free")
        return self.reu_size - free, free


def load_reu_map(path: str | Path) -> ReuMap:
    """Read reu_map.json (format "gui64-reu"; its version is the image's, reu_format.FORMAT_VERSION).

    Raises:
        MemoryMapError: unreadable, wrong format, or regions that overlap.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MemoryMapError(f"cannot read {path.name} ({exc}): export the model again.") from exc
    if data.get("format") != "gui64-reu" or data.get("version") != FORMAT_VERSION:
        raise MemoryMapError(f"{path.name} is not a gui64 REU map (version {FORMAT_VERSION}): "
                             "export the model again.")
    try:
        regions = sorted((Region(str(r["name"]), int(r["offset"]), int(r["length"]), str(r["kind"]),
                                 None if r.get("layer") is None else int(r["layer"]))
                          for r in data["regions"]), key=lambda r: r.offset)
        reu_size = int(data["reu_size"])
        reu = ReuMap(reu_size, int(data.get("image_size", reu_size)), dict(data.get("model", {})),
                     tuple(_fill_gaps(regions, reu_size)))
    except (KeyError, TypeError, ValueError) as exc:
        raise MemoryMapError(f"{path.name} is malformed ({exc}): export the model again.") from exc
    return reu


def _fill_gaps(regions: list[Region], size: int, name: str = "free") -> list[Region]:
    """regions plus 'free' regions for every uncovered byte in 0..size; raises on overlap."""
    out: list[Region] = []
    at = 0
    for r in regions:
        if r.length <= 0:
            continue
        if r.offset < at:
            raise ValueError(f"region {r.name} at {r.offset:#x} overlaps the one before it")
        if r.offset > at:
            out.append(Region(name, at, r.offset - at, "free"))
        out.append(r)
        at = r.end
    if at < size:
        out.append(Region(name, at, size - at, "free"))
    return out


def region_at(regions: tuple | list, offset: int) -> Region | None:
    """The region holding byte ``offset`` (regions sorted by offset)."""
    i = bisect.bisect_right([r.offset for r in regions], offset) - 1
    if i >= 0 and regions[i].offset <= offset < regions[i].end:
        return regions[i]
    return None


# -- what the forward pass reads ----------------------------------------------------------------

# Weight-name endings read in each phase (exporter names: "L0.wq", "L0.w1", "cls", "emb", ...).
_PHASE_TENSORS = {
    Phase.EMBED: ("emb",),
    Phase.QKV: ("wq", "wk", "wv", "rms_att"),
    Phase.ATTENTION: (),  # the layer's KV cache
    Phase.OUTPUT: ("wo",),
    Phase.FFN: ("w1", "w2", "w3", "rms_ffn"),
    Phase.CLASSIFIER: ("cls", "wcls", "rms_final"),
    Phase.SAMPLE: (),
}


def _tensor(name: str) -> str:
    """The tensor a region belongs to: "L0.wq.scales" -> "wq", "cls.scales" -> "cls"."""
    parts = name.lower().split(".")
    if len(parts) > 1 and re.fullmatch(r"l\d+", parts[0]):
        parts = parts[1:]
    return parts[0]


def regions_read(regions, layer: int, phase: int) -> list[Region]:
    """The REU regions the C64 reads in ``layer`` during ``phase`` (a Phase value)."""
    try:
        phase = Phase(phase)
    except ValueError:
        return []
    if phase == Phase.ATTENTION:
        return [r for r in regions if r.kind == "kv-cache" and r.layer == layer]
    wanted = _PHASE_TENSORS[phase]
    per_layer = phase in (Phase.QKV, Phase.OUTPUT, Phase.FFN)
    hits = [r for r in regions if r.kind in ("weights", "table") and _tensor(r.name) in wanted
            and (not per_layer or r.layer == layer)]
    if phase == Phase.CLASSIFIER and not any(_tensor(r.name) in ("cls", "wcls") for r in hits):
        hits += [r for r in regions if _tensor(r.name) == "emb"]  # shared classifier
    return hits


def kv_filled_bytes(region: Region, seq_len: int, position: int, layer: int) -> int:
    """Bytes of a KV-cache region holding data while the C64 computes ``position`` in ``layer``.

    Positions before ``position`` are cached in every layer; ``position`` itself is written once
    the pass reaches the region's layer.
    """
    if region.kind != "kv-cache" or seq_len <= 0:
        return 0
    per_position = region.length // seq_len
    cached = position + (1 if region.layer is not None and region.layer <= layer else 0)
    return max(0, min(region.length, cached * per_position))


# -- C64 RAM from the ld65 map ------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """One line of an ld65 map's "Segment list:" (addresses inclusive, as ld65 prints them)."""

    name: str
    start: int
    end: int
    size: int
    align: int


_SEGMENT_LINE = re.compile(r"^(\S+)\s+([0-9A-Fa-f]{4,6})\s+([0-9A-Fa-f]{4,6})\s+([0-9A-Fa-f]{4,6})\s+([0-9A-Fa-f]{4,6})\s*$")


def parse_ld65_map(text: str) -> list[Segment]:
    """The segments of an ld65 map file (empty segments are skipped).

    Raises:
        MemoryMapError: the text has no "Segment list:" section.
    """
    lines = text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == "Segment list:")
    except StopIteration:
        raise MemoryMapError("the linker map has no \"Segment list:\" section: link with ld65 -m.") from None
    segments = []
    for line in lines[start + 1:]:
        if line.strip().endswith(":") and not line.startswith((" ", "-")) and segments:
            break  # the next section ("Exports list by name:")
        m = _SEGMENT_LINE.match(line.strip())
        if m:
            name, *nums = m.groups()
            start_, end, size, align = (int(n, 16) for n in nums)
            if size > 0:
                segments.append(Segment(name, start_, end, size, align))
    return segments


# The C64's own areas, shown where no segment claims them.
C64_SYSTEM = (
    Region("zero page", 0x0000, 0x0100, "zeropage"),
    Region("stack", 0x0100, 0x0100, "stack"),
    Region("screen RAM", 0x0400, 0x0400, "system"),
    Region("I/O + colour RAM", 0xD000, 0x1000, "system"),
)


def segment_kind(name: str) -> str:
    """Occupancy kind of an ld65 segment, from its name."""
    n = name.upper()
    if n in ("ZEROPAGE", "EXTZP", "ZP"):
        return "zeropage"
    if "TABLE" in n or "LUT" in n:
        return "tables"
    if n in ("BSS", "HEAP") or "BUF" in n or "BSS" in n:
        return "buffers"
    if n in ("DATA", "RODATA", "INIT") or "DATA" in n:
        return "data"
    return "program"  # CODE, STARTUP, ONCE, LOADADDR, EXEHDR, LOWCODE, ...


def ram_regions(segments: list[Segment]) -> list[Region]:
    """64 KB of C64 RAM as regions: the program's segments, the system areas, the rest free."""
    claimed = [Region(s.name, s.start, s.size, segment_kind(s.name)) for s in segments
               if s.start < 0x10000]
    claimed.sort(key=lambda r: r.offset)
    regions = list(claimed)
    for sys_region in C64_SYSTEM:
        # Keep the parts of each system area that no segment claims.
        pieces = [(sys_region.offset, sys_region.end)]
        for c in claimed:
            pieces = [p for lo, hi in pieces for p in ((lo, min(hi, c.offset)), (max(lo, c.end), hi)) if p[0] < p[1]]
        regions += [Region(sys_region.name, lo, hi - lo, sys_region.kind) for lo, hi in pieces]
    regions.sort(key=lambda r: r.offset)
    # Segments can share addresses (e.g. ZEROPAGE and EXTZP overlays); drop the overlap.
    tidy: list[Region] = []
    for r in regions:
        if tidy and r.offset < tidy[-1].end:
            if r.end <= tidy[-1].end:
                continue
            r = Region(r.name, tidy[-1].end, r.end - tidy[-1].end, r.kind, r.layer)
        tidy.append(r)
    return _fill_gaps(tidy, 0x10000)


def load_ram_map(path: str | Path) -> list[Region]:
    """C64 RAM regions from an ld65 map file.

    Raises:
        MemoryMapError: unreadable or not an ld65 map.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise MemoryMapError(f"cannot read {path.name} ({exc}): build the C64 program again.") from exc
    return ram_regions(parse_ld65_map(text))
