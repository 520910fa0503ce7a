"""A confusion matrix drawn as a PNG, without Pillow or matplotlib (the API process has neither).

Rows are the true class, columns the predicted one, both numbered by class index along the top and left
edges. Each cell is shaded by its share of the row (white: none of the class, dark blue: all of it, so the
diagonal reads as per-class recall) and holds its count in a 3x5 pixel digit font. The PNG is plain RGB,
written with zlib (stdlib), one filter-0 scanline per row.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

# 3x5 digits, one string of 15 "#"/"." per digit, row by row.
_DIGITS = {
    "0": "####.##.##.####", "1": ".#.##..#..#.###", "2": "###..#####..###", "3": "###..####..####",
    "4": "#.##.####..#..#", "5": "####..###..####", "6": "####..####.####", "7": "###..#..#..#..#",
    "8": "####.#####.####", "9": "####.####..####",
}
SCALE = 3  # each font pixel is SCALE x SCALE image pixels
GLYPH_W, GLYPH_H = 3 * SCALE, 5 * SCALE
GAP = SCALE  # between digits
PAD = 6
WHITE, BLACK, GREY, BLUE = (255, 255, 255), (20, 20, 20), (235, 235, 235), (33, 90, 170)

Color = tuple[int, int, int]


def png(width: int, height: int, pixels: Sequence[bytearray]) -> bytes:
    """An 8-bit RGB PNG of `height` rows of `3 * width` bytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + bytes(row) for row in pixels)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def _text_width(text: str) -> int:
    return len(text) * GLYPH_W + max(len(text) - 1, 0) * GAP


class _Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.rows = [bytearray(WHITE * width) for _ in range(height)]

    def fill(self, x0: int, y0: int, w: int, h: int, color: Color) -> None:
        line = bytes(color) * w
        for y in range(y0, y0 + h):
            self.rows[y][3 * x0:3 * (x0 + w)] = line

    def text(self, cx: int, cy: int, text: str, color: Color) -> None:
        """Digits centred on (cx, cy)."""
        x = cx - _text_width(text) // 2
        y = cy - GLYPH_H // 2
        for ch in text:
            glyph = _DIGITS[ch]
            for i, bit in enumerate(glyph):
                if bit == "#":
                    self.fill(x + (i % 3) * SCALE, y + (i // 3) * SCALE, SCALE, SCALE, color)
            x += GLYPH_W + GAP


def shade(share: float) -> Color:
    """White at 0, BLUE at 1."""
    share = min(max(share, 0.0), 1.0)
    return tuple(round(w + (b - w) * share) for w, b in zip(WHITE, BLUE, strict=True))  # type: ignore[return-value]


def confusion_png(matrix: Sequence[Sequence[int]]) -> tuple[bytes, int, int]:
    """The PNG of a square matrix (matrix[true][predicted] = count), with its width and height."""
    n = len(matrix)
    # At least three digits wide, so that a small matrix stays readable.
    widest = max([_text_width(str(c)) for row in matrix for c in row] + [_text_width(str(n - 1)), _text_width("000")])
    cell_w, cell_h = widest + 2 * PAD, GLYPH_H + 4 * PAD
    width, height = (n + 1) * cell_w, (n + 1) * cell_h
    canvas = _Canvas(width, height)
    for k in range(n):  # class indices: predicted along the top, true down the left
        canvas.fill((k + 1) * cell_w, 0, cell_w, cell_h, GREY)
        canvas.text((k + 1) * cell_w + cell_w // 2, cell_h // 2, str(k), BLACK)
        canvas.fill(0, (k + 1) * cell_h, cell_w, cell_h, GREY)
        canvas.text(cell_w // 2, (k + 1) * cell_h + cell_h // 2, str(k), BLACK)
    for t, row in enumerate(matrix):
        total = sum(row)
        for p, count in enumerate(row):
            share = count / total if total else 0.0
            x, y = (p + 1) * cell_w, (t + 1) * cell_h
            canvas.fill(x + 1, y + 1, cell_w - 2, cell_h - 2, shade(share))
            canvas.text(x + cell_w // 2, y + cell_h // 2, str(count), WHITE if share > 0.5 else BLACK)
    return png(width, height, canvas.rows), width, height
