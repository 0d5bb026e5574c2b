# Usage: python3 make_icon.py icon.png [size]
# Draws the app icon (a logbook: a bound book with ruled entries and a ribbon) as an RGBA PNG,
# with nothing but the standard library: signed distances, 4x4 supersampling.
import struct, zlib, sys

SIZE = int(sys.argv[2]) if len(sys.argv) > 2 else 256
SS = 4

def rrect(x, y, x0, y0, x1, y1, r):
    # signed distance to a rounded rectangle (negative inside)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    hx, hy = (x1 - x0) / 2 - r, (y1 - y0) / 2 - r
    dx, dy = abs(x - cx) - hx, abs(y - cy) - hy
    ox, oy = max(dx, 0), max(dy, 0)
    return (ox * ox + oy * oy) ** 0.5 + min(max(dx, dy), 0) - r

def ribbon(x, y):
    # a bookmark ribbon hanging from the top edge, with a notched end
    x0, x1, top, bottom = 0.64, 0.74, 0.13, 0.40
    if not (x0 <= x <= x1 and top <= y <= bottom):
        return False
    notch = bottom - 0.05 * (1 - abs((x - (x0 + x1) / 2) / ((x1 - x0) / 2)))
    return y <= notch

BG = (28, 69, 86)        # deep teal
COVER = (246, 239, 222)  # paper
SPINE = (214, 200, 170)
INK = (44, 96, 117)
RED = (214, 72, 60)

def colour(x, y):
    # layers from back to front; x, y in 0..1
    c = None
    if rrect(x, y, 0.04, 0.04, 0.96, 0.96, 0.20) <= 0:
        c = BG
    if rrect(x, y, 0.22, 0.14, 0.80, 0.86, 0.05) <= 0:
        c = COVER
        if x < 0.31:
            c = SPINE
        for i in range(5):
            ly = 0.33 + i * 0.10
            if 0.38 <= x <= 0.72 and abs(y - ly) < 0.017:
                c = INK
            if 0.35 <= x <= 0.365 and abs(y - ly) < 0.017:
                c = INK
        if 0.25 <= x <= 0.28 and any(abs(y - ry) < 0.012 for ry in (0.25, 0.5, 0.75)):
            c = BG
    if ribbon(x, y):
        c = RED
    return c

rows = []
for py in range(SIZE):
    row = bytearray([0])
    for px in range(SIZE):
        acc = [0, 0, 0, 0]
        for sy in range(SS):
            for sx in range(SS):
                x = (px + (sx + 0.5) / SS) / SIZE
                y = (py + (sy + 0.5) / SS) / SIZE
                c = colour(x, y)
                if c:
                    acc[0] += c[0]; acc[1] += c[1]; acc[2] += c[2]; acc[3] += 255
        n = SS * SS
        a = acc[3] / n
        if a:
            row += bytes([round(acc[0] * 255 / acc[3]), round(acc[1] * 255 / acc[3]), round(acc[2] * 255 / acc[3]), round(a)])
        else:
            row += bytes(4)
    rows.append(bytes(row))

def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0))
png += chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
