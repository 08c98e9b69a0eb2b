"""The screen mirror draws frames with the character ROM, crisp, latest frame wins, and its text is copyable."""

from __future__ import annotations

import numpy as np

from build_chain.bootrom.chargen import chargen_bytes
from gui64.events import ScreenFrame
from gui64.ui import c64screen
from gui64.ui.mirror import ScreenMirror

import fakes


def cell_pixels(rgb, col, row):
    y, x = c64screen.BORDER_Y + row * 8, c64screen.BORDER_X + col * 8
    return rgb[y:y + 8, x:x + 8]


def test_mirror_renders_known_frame_with_chargen_glyphs(qtbot):
    mirror = ScreenMirror()
    qtbot.addWidget(mirror)
    codes = bytearray([32] * 1000)
    codes[0] = 1            # 'a' in the lower-case set
    codes[41] = 0x80 | 32   # reversed space: a solid block
    colours = bytes([7] * 1000)  # yellow
    frame = ScreenFrame(bytes(codes), colours, border=2, background=0, lowercase=True)
    with qtbot.waitSignal(mirror.repainted, timeout=2000):
        mirror.show_frame(frame)
    image = mirror.image()
    assert (image.width(), image.height()) == (c64screen.WIDTH, c64screen.HEIGHT)
    rgb = np.array([[image.pixelColor(x, y).getRgb()[:3] for x in range(image.width())]
                    for y in range(0, c64screen.BORDER_Y + 16)], dtype=np.uint8)
    assert tuple(rgb[0, 0]) == tuple(c64screen.PALETTE[2])  # border colour
    glyph = np.unpackbits(np.frombuffer(chargen_bytes()[2048 + 8:2048 + 16], np.uint8)).reshape(8, 8)
    a_cell = cell_pixels(rgb, 0, 0)
    assert (np.all(a_cell == c64screen.PALETTE[7], axis=-1) == glyph.astype(bool)).all()
    assert np.all(cell_pixels(rgb, 1, 1) == c64screen.PALETTE[7])  # reversed space is all foreground
    assert np.all(cell_pixels(rgb, 2, 0) == c64screen.PALETTE[0])  # a space is all background


def test_mirror_text_equals_the_screen_codes(qtbot):
    mirror = ScreenMirror()
    qtbot.addWidget(mirror)
    frame = fakes.frame_showing("Lily {said} ~ok~ | yes_no \\ 42!")
    mirror.show_frame(frame, immediately=True)
    lines = mirror.text().splitlines()
    assert lines[0] == "llama2 on c64 - stories260k"
    assert lines[2] == "Lily {said} ~ok~ | yes_no \\ 42!"
    assert mirror.text() == c64screen.screen_text(frame.codes, True)


def test_every_printable_ascii_character_round_trips_through_screen_codes():
    text = "".join(chr(c) for c in range(32, 127))
    codes = c64screen.text_codes(text, lowercase=True)
    assert c64screen.screen_text(codes, True).splitlines()[0:3] == [text[:40], text[40:80], text[80:]]


def test_mirror_copies_its_text_to_the_clipboard(qtbot):
    from PySide6.QtGui import QGuiApplication
    mirror = ScreenMirror()
    qtbot.addWidget(mirror)
    mirror.show_frame(fakes.frame_showing("The end."), immediately=True)
    mirror.copy_text()
    assert "The end." in QGuiApplication.clipboard().text()


def test_mirror_scales_by_whole_factors_only(qtbot):
    mirror = ScreenMirror()
    qtbot.addWidget(mirror)
    mirror.resize(c64screen.WIDTH * 3 + 10, c64screen.HEIGHT * 3 + 5)
    assert mirror.scale() == 3
    mirror.resize(c64screen.WIDTH * 3 - 1, c64screen.HEIGHT * 3 + 5)
    assert mirror.scale() == 2


def test_mirror_folds_a_burst_of_frames_into_the_newest(qtbot):
    mirror = ScreenMirror()
    qtbot.addWidget(mirror)
    before = mirror.renders
    frames = [fakes.frame_showing(f"frame {i}") for i in range(50)]
    with qtbot.waitSignal(mirror.repainted, timeout=2000):
        for frame in frames:
            mirror.show_frame(frame)
    assert mirror.renders == before + 1
    assert mirror.frame is frames[-1]
