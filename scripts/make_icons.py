"""Draw the portal's icons (no image library needed): a white "L" on the brand blue, rounded.

python scripts/make_icons.py   # writes static/icons/*.png, favicon.ico and favicon.svg
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "static" / "icons"
BLUE = (0x00, 0x4F, 0x9F)
WHITE = (0xFF, 0xFF, 0xFF)
# On a 32-unit grid: the corner radius, and the L as two bars.
RADIUS = 6
BARS = [(10, 7, 16, 25), (10, 19, 23, 25)]  # (x0, y0, x1, y1)

SVG = f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="{RADIUS}" fill="#004f9f"/>
{"".join(f'<rect x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" fill="#fff"/>' for x0, y0, x1, y1 in BARS)}
</svg>
"""


def pixel(x: float, y: float) -> tuple[int, int, int, int]:
    # Outside the rounded corners: transparent.
    for cx, cy in (
        (RADIUS, RADIUS),
        (32 - RADIUS, RADIUS),
        (RADIUS, 32 - RADIUS),
        (32 - RADIUS, 32 - RADIUS),
    ):
        in_corner_box = (x < RADIUS if cx == RADIUS else x > 32 - RADIUS) and (
            y < RADIUS if cy == RADIUS else y > 32 - RADIUS
        )
        if in_corner_box and (x - cx) ** 2 + (y - cy) ** 2 > RADIUS**2:
            return (0, 0, 0, 0)
    for x0, y0, x1, y1 in BARS:
        if x0 <= x < x1 and y0 <= y < y1:
            return (*WHITE, 255)
    return (*BLUE, 255)


def png(size: int) -> bytes:
    scale = 32 / size
    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel((i + 0.5) * scale, (j + 0.5) * scale)) for i in range(size))
        for j in range(size)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def ico(image: bytes, size: int) -> bytes:
    # An .ico holding one PNG (every browser since 2007 reads that).
    return (
        struct.pack("<HHH", 0, 1, 1)
        + struct.pack("<BBBBHHII", size, size, 0, 0, 1, 32, len(image), 22)
        + image
    )


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "favicon.svg").write_text(SVG)
    for size, name in (
        (32, "favicon-32.png"),
        (180, "apple-touch-icon.png"),
        (192, "icon-192.png"),
        (512, "icon-512.png"),
    ):
        (OUT / name).write_bytes(png(size))
    (OUT / "favicon.ico").write_bytes(ico(png(32), 32))


if __name__ == "__main__":
    main()
