"""The C64 text screen as pixels and as text: palette, screen codes -> ASCII, chargen rendering (numpy, no Qt).

A character ROM is 4096 bytes: the upper-case/graphics set at 0..2047 and the lower/upper-case
set at 2048..4095, 8 bytes (rows, bit 7 = leftmost pixel) per screen code 0..255. The ROM
itself holds the reversed glyphs at codes 128..255; a ROM that leaves them empty still renders
right because reverse video is applied from bit 7 of the screen code when the glyph is blank.
"""

from __future__ import annotations

import numpy as np

COLUMNS, ROWS = 40, 25
CELLS = COLUMNS * ROWS
BORDER_X, BORDER_Y = 24, 20  # border pixels around the 320x200 text area (2x fits beside the panels)
WIDTH, HEIGHT = COLUMNS * 8 + 2 * BORDER_X, ROWS * 8 + 2 * BORDER_Y

# Pepto's PAL palette (VICE's default "pepto-pal"), RGB.  # (16, 3) uint8
PALETTE = np.array([
    (0x00, 0x00, 0x00), (0xFF, 0xFF, 0xFF), (0x68, 0x37, 0x2B), (0x70, 0xA4, 0xB2),
    (0x6F, 0x3D, 0x86), (0x58, 0x8D, 0x43), (0x35, 0x28, 0x79), (0xB8, 0xC7, 0x6F),
    (0x6F, 0x4F, 0x25), (0x43, 0x39, 0x00), (0x9A, 0x67, 0x59), (0x44, 0x44, 0x44),
    (0x6C, 0x6C, 0x6C), (0x9A, 0xD2, 0x84), (0x6C, 0x5E, 0xB5), (0x95, 0x95, 0x95),
], dtype=np.uint8)

# Screen code (0..127) -> character, for each character set. Graphics glyphs map to the nearest
# Unicode block/line character so copied text keeps its shape. In the lower-case set the codes the
# llama64 program uses for ASCII the C64 lacks ({ } | ~ ` \\ ^ _) copy as that ASCII.
_COMMON = "@" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "[£]↑←" + " !\"#$%&'()*+,-./0123456789:;<=>?"
_UPPER_GRAPHICS = ("─♠│────││╮╰╯└╲╱┌┐●─♥│╭╳○♣│♦┼▒│π◥"  # 64..95
                   " ▌▄▔▁▏▒▕▒◤▕├▗└┐▂┌┴┬┤▎▍▕▔▔▃✓▖▝┘▘▚")  # 96..127
_LOWER_GRAPHICS = ("─" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "┼▒│▒▒"
                   " ▌▄▔▁▏▒▕▒◤▕├▗└┐▂┌┴┬┤▎▍▕▔▔▃✓▖▝┘▘▚")
UPPER_SET = _COMMON + _UPPER_GRAPHICS  # 128 characters


def _lower_set() -> str:
    """The lower/upper-case set, with ASCII where the llama64 program prints it (one place: the open ROM)."""
    table = list("@" + "abcdefghijklmnopqrstuvwxyz" + _COMMON[27:] + _LOWER_GRAPHICS)
    try:
        from build_chain.bootrom.chargen import ascii_to_screen
    except ImportError:
        return "".join(table)
    for code in range(32, 127):
        table[ascii_to_screen(chr(code))] = chr(code)
    return "".join(table)


LOWER_SET = _lower_set()
assert len(UPPER_SET) == 128 and len(LOWER_SET) == 128


def screen_code_to_char(code: int, lowercase: bool) -> str:
    """The character a screen code shows (reverse video, bit 7, is ignored)."""
    return (LOWER_SET if lowercase else UPPER_SET)[code & 0x7F]


def char_to_screen_code(ch: str, lowercase: bool) -> int:
    """The screen code showing ``ch`` (a space when the set has no such character)."""
    table = LOWER_SET if lowercase else UPPER_SET
    if not lowercase:
        ch = ch.upper()
    i = table.find(ch)
    return 32 if i < 0 else i


def screen_text(codes: bytes, lowercase: bool) -> str:
    """The 25 lines of the screen as text, trailing spaces removed."""
    table = LOWER_SET if lowercase else UPPER_SET
    lines = []
    for row in range(ROWS):
        line = "".join(table[c & 0x7F] for c in codes[row * COLUMNS:(row + 1) * COLUMNS])
        lines.append(line.rstrip())
    return "\n".join(lines)


def text_codes(text: str, lowercase: bool = True) -> bytes:
    """1000 screen codes showing ``text`` wrapped at 40 columns (for tests and demos)."""
    codes = bytearray([32] * CELLS)
    at = 0
    for ch in text:
        if ch == "\n":
            at = (at // COLUMNS + 1) * COLUMNS
            continue
        if at >= CELLS:
            break
        codes[at] = char_to_screen_code(ch, lowercase)
        at += 1
    return bytes(codes)


def glyph_bits(chargen: bytes) -> np.ndarray:
    """The ROM's glyphs as pixels.  # (2 sets, 256 codes, 8 rows, 8 columns) bool"""
    if len(chargen) < 4096:
        raise ValueError(f"a character ROM has 4096 bytes, this one {len(chargen)}")
    rom = np.frombuffer(bytes(chargen[:4096]), dtype=np.uint8).reshape(2, 256, 8)
    bits = np.unpackbits(rom[..., None], axis=-1)[..., :8].astype(bool)  # MSB = left pixel
    # Reverse video from code bit 7 where the ROM leaves the upper half blank.
    blank = ~bits[:, 128:].any(axis=(2, 3))
    bits[:, 128:][blank] = ~bits[:, :128][blank]
    return bits


def render(codes: bytes, colours: bytes, border: int, background: int, lowercase: bool,
           glyphs: np.ndarray) -> np.ndarray:
    """The whole screen with border as RGB pixels.  # (HEIGHT, WIDTH, 3) uint8

    Args:
        codes: 1000 screen codes, row-major.
        colours: 1000 colour RAM nibbles (upper bits ignored).
        border, background: VIC colour indices (upper bits ignored).
        lowercase: which character set the VIC shows.
        glyphs: ``glyph_bits(chargen)``.
    """
    code = np.frombuffer(bytes(codes[:CELLS]).ljust(CELLS, b" "), dtype=np.uint8)
    colour = np.frombuffer(bytes(colours[:CELLS]).ljust(CELLS, b"\x0e"), dtype=np.uint8) & 0x0F
    cells = glyphs[1 if lowercase else 0][code]  # (1000, 8, 8) bool
    fg = PALETTE[colour][:, None, None, :]  # (1000, 1, 1, 3)
    bg = PALETTE[background & 0x0F]
    pix = np.where(cells[..., None], fg, bg)  # (1000, 8, 8, 3)
    pix = pix.reshape(ROWS, COLUMNS, 8, 8, 3).transpose(0, 2, 1, 3, 4).reshape(ROWS * 8, COLUMNS * 8, 3)
    out = np.empty((HEIGHT, WIDTH, 3), dtype=np.uint8)
    out[:] = PALETTE[border & 0x0F]
    out[BORDER_Y:BORDER_Y + ROWS * 8, BORDER_X:BORDER_X + COLUMNS * 8] = pix
    return out
