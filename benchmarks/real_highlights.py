"""On real photos: does the band's highlight sit on the side the skin is lit from, and is its brightness the skin's?

Issue #5 asks, of the dev hand photos, that "the ring's highlights sit on the side the skin is lit from, and
the metal's overall brightness matches the skin's". This script measures both, on every photo of
``photos/hands`` that renders (the 4 mm court band, preview quality, ``min_quality=0``):

* **Skin's lit side.** Across the finger at the ring (the placement's ``center_px``, ``axis_px`` and
  ``finger_width_px``), the photo's median linear luminance 0.3 finger widths to each side of the axis,
  0.9-1.2 widths above and below the ring (off the band); ``skin +/-`` is their ratio.
* **Highlight side.** Over the band's fully covered pixels, the mean across-finger position (in half
  finger widths) of the brightest 10 % minus that of all: positive = towards the ``+`` side.
* **Agreement**: the highlight's offset and ``ln(skin +/-)`` have the same sign. Counted over all photos
  and over those whose two sides differ by at least 30 % (a clear lit side).
* **metal/skin**: the band's median linear luminance over the skin's (both sides).

A polished cylinder lit by a distant key shows the key's mirror image at the normal half-way between the
view and the light, on the same side as the finger's lit flank; bright regions of the room compete with it.

Usage::

    .venv/bin/python benchmarks/real_highlights.py [--piece ID] [--photos DIR] [--json OUT]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import data_dir, dump, machine

CLEAR_SIDE = 1.3   # the skin's two sides differ by at least this factor: a clear lit side


def measure(photo, result) -> dict:
    """Skin side ratio, highlight offset and metal/skin brightness of one try-on (see the module docstring)."""
    from jewelrender.color import luminance, srgb8_to_linear

    lum = luminance(photo.linear)
    pl = result.report["placement"]
    c = np.asarray(pl["center_px"], float)
    ax = np.asarray(pl["axis_px"], float)
    ax /= np.linalg.norm(ax)
    across_dir = np.array([-ax[1], ax[0]])
    w = float(pl["finger_width_px"])

    def patch(pt):
        r = max(1, int(0.08 * w))
        x, y = int(pt[0]), int(pt[1])
        return float(np.median(lum[max(0, y - r):y + r + 1, max(0, x - r):x + r + 1]))

    sides = [statistics.median(patch(c + t * w * ax + s * 0.3 * w * across_dir) for t in (-1.2, -0.9, 0.9, 1.2))
             for s in (1, -1)]
    img = luminance(srgb8_to_linear(result.image))
    ys, xs = np.nonzero(result.mask >= 0.9)
    across = ((np.stack([xs + 0.5, ys + 0.5], axis=1) - c) @ across_dir) / (w / 2)
    v = img[ys, xs]
    top = v >= np.quantile(v, 0.9)
    skin_ratio = sides[0] / max(sides[1], 1e-6)
    offset = float(across[top].mean() - across.mean())
    return {"skin_ratio": skin_ratio, "highlight_offset": offset,
            "agree": bool(np.sign(offset) == np.sign(math.log(max(skin_ratio, 1e-6)))),
            "clear": bool(max(skin_ratio, 1 / max(skin_ratio, 1e-6)) >= CLEAR_SIDE),
            "metal_to_skin": float(np.median(v)) / max(statistics.median(sides), 1e-6),
            "key_direction": result.report["lighting"].get("key_direction")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--piece", default="band-court-4mm-18k-yellow")
    ap.add_argument("--photos", default=None, help="folder of photos (default: the dev hand photos)")
    ap.add_argument("--json", default=None)
    a = ap.parse_args()

    import jewelrender as jr
    from jewelrender.errors import JewelrenderError

    folder = Path(a.photos) if a.photos else data_dir() / "photos" / "hands"
    rows = []
    t0 = time.perf_counter()
    with jr.Renderer() as r:
        for p in sorted(folder.glob("*.*")):
            try:
                photo = jr.load_photo(p)
                res = r.try_on(photo, a.piece, quality="preview", min_quality=0.0)
            except JewelrenderError as exc:
                print(f"{p.name:32s} not rendered: {exc.code}")
                continue
            row = {"photo": p.name, **measure(photo, res)}
            rows.append(row)
            print(f"{p.name:32s} skin +/- {row['skin_ratio']:5.2f}  highlight {row['highlight_offset']:+.2f}  "
                  f"{'same side' if row['agree'] else 'other side'}{' (clear)' if row['clear'] else ''}  "
                  f"metal/skin {row['metal_to_skin']:4.2f}", flush=True)
    if not rows:
        sys.exit("no photo rendered")
    clear = [x for x in rows if x["clear"]]
    m2s = [x["metal_to_skin"] for x in rows]
    print(f"\nhighlight on the skin's lit side: {sum(x['agree'] for x in rows)}/{len(rows)} photos; "
          f"where the lit side is clear (>= {CLEAR_SIDE} x): {sum(x['agree'] for x in clear)}/{len(clear)}")
    print(f"metal/skin luminance: median {statistics.median(m2s):.2f}, range {min(m2s):.2f}-{max(m2s):.2f}; "
          f"within 0.5-2 x in {sum(0.5 <= v <= 2.0 for v in m2s)}/{len(m2s)}")
    print(f"{a.piece}, preview quality, {time.perf_counter() - t0:.0f} s")
    if a.json:
        dump(a.json, {"rows": rows, "machine": machine(), "piece": a.piece, "clear_side": CLEAR_SIDE})


if __name__ == "__main__":
    main()
