"""On real photos: does the band's highlight sit on the side the skin is lit from, and is its brightness the skin's?

Issue #5 asks, of the dev hand photos, that "the ring's highlights sit on the side the skin is lit from, and
the metal's overall brightness matches the skin's". This script measures both, on every photo of
``photos/hands`` that renders (the 4 mm court band, preview quality, ``min_quality=0``), with the
quality score's own measurements (:func:`jewelrender.quality.score_output`):

* **Skin's lit side** (``skin_side_ratio``): across the finger at the ring, the photo's median linear
  luminance 0.3 finger widths to each side of the axis, 0.9-1.2 widths before and after the ring (off the
  band), ``+`` side over ``-`` side.
* **Highlight side** (``highlight_offset``): over the band's fully covered pixels, the mean across-finger
  position (in half finger widths) of the brightest 2 % minus that of all: positive = towards ``+``.
* **Agreement**: the two have the same sign. Counted over all photos and over those whose two sides differ
  by at least 30 % (a clear lit side).
* **metal/skin**: the band's median linear luminance over the skin's (both sides).
* ``bright_offset``, for comparison: the same as the highlight offset with the brightest 10 %. That share
  is mostly the band's grazing rims, which mirror whatever is behind the hand on either side, not the light.

A polished cylinder lit by a distant key shows the key's mirror image at the normal half-way between the
view and the light, on the same side as the finger's lit flank; bright regions of the room compete with it.
``--no-key`` renders with the key light's lobe taken out of the map (the ablation: how much of the
agreement the key makes).

Usage::

    .venv/bin/python benchmarks/real_highlights.py [--piece ID] [--photos DIR] [--no-key] [--json OUT]
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
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's jewelrender, not an installed one
from common import data_dir, dump, machine, provenance

from jewelrender.quality import CLEAR_LIT_SIDE, HIGHLIGHT_SHARE


def _same_side(offset: float, ratio: float) -> bool:
    return bool(np.sign(offset) == np.sign(math.log(max(ratio, 1e-6))))


def measure(photo, result) -> dict:
    """Skin side ratio, highlight offsets and metal/skin brightness of one try-on (see the module docstring)."""
    from jewelrender.color import luminance, srgb8_to_linear
    from jewelrender.quality import highlight_side

    meas = result.report["score"]["measurements"]
    ys, xs = np.nonzero(result.mask >= 0.9)
    v = luminance(srgb8_to_linear(result.image))[ys, xs]
    # The score's measure with the brightest 10 % instead of 2 % (a band is all metal: the same pixels).
    bright = highlight_side(photo.srgb, np.column_stack([xs + 0.5, ys + 0.5]), v, result.report["placement"],
                            share=0.1)
    ratio = meas["skin_side_ratio"]
    return {"skin_ratio": ratio, "highlight_offset": meas["highlight_offset"],
            "bright_offset": bright["highlight_offset"],
            "agree": _same_side(meas["highlight_offset"], ratio),
            "clear": meas["highlight_on_lit_side"] is not None,
            "metal_to_skin": float(np.median(v)) / max(statistics.mean(meas["skin_side_luminance"]), 1e-6),
            "key_direction": result.report["lighting"].get("key_direction")}


#: The two plain real bands in the dev photos, outlined by hand (pixel polygons of the metal): the
#: reference for what the measure says of a real ring. The skin's sides are read at the real band, with
#: the finger's axis and width from our placement on the same finger.
REAL_BANDS = {"ringtryon_assets_18.jpg": [(290, 288), (296, 296), (333, 258), (326, 250)],
              "ringtryon_assets_10.jpg": [(481, 538), (606, 506), (614, 540), (491, 574)]}


def real_band(photo, result, polygon) -> dict:
    """The highlight measure on the real band that ``polygon`` outlines in ``photo``."""
    import cv2

    from jewelrender.color import luminance, srgb8_to_linear
    from jewelrender.quality import highlight_side

    m = np.zeros(photo.srgb.shape[:2], np.uint8)
    cv2.fillPoly(m, [np.array(polygon, np.int32)], 1)
    ys, xs = np.nonzero(cv2.erode(m, np.ones((3, 3), np.uint8)))  # off the outline's edge
    pl = dict(result.report["placement"], center_px=[float(xs.mean()), float(ys.mean())])
    xy = np.column_stack([xs + 0.5, ys + 0.5])
    return highlight_side(photo.srgb, xy, luminance(srgb8_to_linear(photo.srgb[ys, xs])), pl)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--piece", default="band-court-4mm-18k-yellow")
    ap.add_argument("--photos", default=None, help="folder of photos (default: the dev hand photos)")
    ap.add_argument("--quality", default="preview", choices=["preview", "final"])
    ap.add_argument("--no-key", action="store_true", help="take the key light's lobe out of the map (ablation)")
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    if a.no_key:
        from jewelrender.lighting import photo_fit

        # The key's lobe at zero: the map is the room alone (its energy is not moved elsewhere).
        photo_fit.key_lobe = lambda d, key_dir, lobe_deg: np.full(d.shape[:2], 1e-12)

    import jewelrender as jr
    from jewelrender.errors import JewelrenderError

    folder = Path(a.photos) if a.photos else data_dir() / "photos" / "hands"
    rows = []
    t0 = time.perf_counter()
    with jr.Renderer() as r:
        for p in sorted(folder.glob("*.*")):
            try:
                photo = jr.load_photo(p)
                res = r.try_on(photo, a.piece, quality=a.quality, min_quality=0.0)
            except JewelrenderError as exc:
                print(f"{p.name:32s} not rendered: {exc.code}")
                continue
            if "highlight_offset" not in res.report["score"]["measurements"]:
                print(f"{p.name:32s} not measured: under 20 fully covered pixels of metal")
                continue
            row = {"photo": p.name, **measure(photo, res)}
            if p.name in REAL_BANDS:
                row["real_band"] = real_band(photo, res, REAL_BANDS[p.name])
            rows.append(row)
            print(f"{p.name:32s} skin +/- {row['skin_ratio']:5.2f}  highlight {row['highlight_offset']:+.2f}  "
                  f"{'same side' if row['agree'] else 'other side'}{' (clear)' if row['clear'] else ''}  "
                  f"metal/skin {row['metal_to_skin']:4.2f}", flush=True)
    if not rows:
        sys.exit("no photo rendered")
    clear = [x for x in rows if x["clear"]]
    m2s = [x["metal_to_skin"] for x in rows]
    print(f"\nhighlight (brightest 2 %) on the skin's lit side: {sum(x['agree'] for x in rows)}/{len(rows)} photos; "
          f"where the lit side is clear (>= {CLEAR_LIT_SIDE} x): {sum(x['agree'] for x in clear)}/{len(clear)}")
    bright = [_same_side(x["bright_offset"], x["skin_ratio"]) for x in rows]
    print(f"brightest 10 % on the lit side: {sum(bright)}/{len(rows)}; where clear: "
          f"{sum(b for b, x in zip(bright, rows) if x['clear'])}/{len(clear)}")
    for x in rows:
        if "real_band" in x:
            rb = x["real_band"]
            print(f"real band in {x['photo']}: skin +/- {rb['skin_side_ratio']:.2f}, highlight "
                  f"{rb['highlight_offset']:+.2f} (ours {x['highlight_offset']:+.2f} at our band, skin +/- "
                  f"{x['skin_ratio']:.2f})")
    print(f"metal/skin luminance: median {statistics.median(m2s):.2f}, range {min(m2s):.2f}-{max(m2s):.2f}; "
          f"within 0.5-2 x in {sum(0.5 <= v <= 2.0 for v in m2s)}/{len(m2s)}")
    print(f"{a.piece}, {a.quality} quality{', no key light' if a.no_key else ''}, {time.perf_counter() - t0:.0f} s")
    if a.json:
        dump(a.json, {**provenance(), "rows": rows, "machine": machine(), "piece": a.piece, "quality": a.quality,
                      "no_key": a.no_key, "clear_side": CLEAR_LIT_SIDE, "highlight_share": HIGHLIGHT_SHARE})


if __name__ == "__main__":
    main()
