"""Draw gui64's icon (resources/gui64.svg) as pixel art and render the PNG sizes from it.

A C64 on its desk: the light-blue-on-blue screen shows a llama, "64" and the cursor, and the
beige breadbin sits below. Pixels are grids of strings here, so the drawing can be read and
edited; each row's runs of one colour become one <rect>. Run from the repository root:

    .venv/bin/python packaging/make_icon.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESOURCES = ROOT / "resources"
PNG_SIZES = (48, 64, 128, 256)

# The VIC-II palette entries we use (Pepto's values), named once.
COLOURS = {
    "light_blue": "#867ADE",  # VIC-II colour 14: border and text
    "blue": "#483AAA",        # VIC-II colour 6: screen background
    "black": "#000000",
    "beige": "#D9CBA8",       # the breadbin's case
    "case_edge": "#A8987A",
    "key": "#5A4E3E",
    "red": "#9F4E44", "orange": "#A1683C", "yellow": "#C9D487", "green": "#5CAB5E",
}

LLAMA = [  # 14 x 16 at 2 units a pixel; X body, O eye
    "..XX..........",
    "..XXX.........",
    ".XXXX.........",
    ".XOXX.........",
    "XXXXX.........",
    ".XXXX.........",
    "..XXX.........",
    "..XXX.........",
    "..XXX.........",
    "..XXXXXXXXXX..",
    "..XXXXXXXXXXX.",
    "..XXXXXXXXXXX.",
    "..XXXXXXXXXX..",
    "..X.X....X.X..",
    "..X.X....X.X..",
    "..X.X....X.X..",
]
SIXTY_FOUR = [  # 7 x 5 at 3 units a pixel
    "XXX.X.X",
    "X...X.X",
    "XXX.XXX",
    "X.X...X",
    "XXX...X",
]


def _runs(grid: list[str], x0: float, y0: float, px: float, colours: dict[str, str]) -> list[str]:
    """<rect> elements for each horizontal run of one character in `grid` (skips '.')."""
    rects = []
    for row, line in enumerate(grid):
        col = 0
        while col < len(line):
            ch = line[col]
            end = col
            while end < len(line) and line[end] == ch:
                end += 1
            if ch in colours:
                rects.append(f'<rect x="{x0 + col * px:g}" y="{y0 + row * px:g}" width="{(end - col) * px:g}" '
                             f'height="{px:g}" fill="{colours[ch]}"/>')
            col = end
    return rects


def icon_svg() -> str:
    """The icon as SVG text (64 x 64 user units, crisp pixel edges)."""
    c = COLOURS
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 64 64" '
        'shape-rendering="crispEdges">',
        "<title>gui64</title>",
        # the monitor: light-blue border around the blue screen
        f'<rect x="2" y="2" width="60" height="44" rx="4" fill="{c["light_blue"]}"/>',
        f'<rect x="6" y="6" width="52" height="36" fill="{c["blue"]}"/>',
        *_runs(LLAMA, 9, 8, 2, {"X": c["light_blue"], "O": c["blue"]}),
        *_runs(SIXTY_FOUR, 37, 10, 3, {"X": c["light_blue"]}),
        f'<rect x="37" y="30" width="6" height="6" fill="{c["light_blue"]}"/>',  # the cursor
        # the breadbin: a beige wedge with two rows of keys and the rainbow badge
        f'<path d="M6 49 H58 L62 62 H2 Z" fill="{c["beige"]}" stroke="{c["case_edge"]}" stroke-width="1"/>',
        *[f'<rect x="{x}" y="{y}" width="4" height="3" fill="{c["key"]}"/>'
          for y, xs in ((52, range(9, 52, 6)), (57, range(7, 54, 6))) for x in xs],
        *[f'<rect x="{53 + i}" y="51" width="1" height="4" fill="{c[name]}"/>'
          for i, name in enumerate(("red", "orange", "yellow", "green"))],
        "</svg>",
    ]
    return "\n".join(parts) + "\n"


def render_png(svg: Path, size: int, out: Path) -> None:
    """Render `svg` to a `size` x `size` PNG with Qt's SVG renderer (no display needed)."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication(["make_icon", "-platform", "offscreen"])
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    QSvgRenderer(str(svg)).render(painter)
    painter.end()
    if not image.save(str(out)):
        raise OSError(f"could not write {out}")
    del app


def main(argv: list[str] | None = None) -> int:
    RESOURCES.mkdir(exist_ok=True)
    svg = RESOURCES / "gui64.svg"
    svg.write_text(icon_svg(), encoding="utf-8")
    for size in PNG_SIZES:
        render_png(svg, size, RESOURCES / f"gui64-{size}.png")
    print(f"wrote {svg} and {len(PNG_SIZES)} PNGs")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
