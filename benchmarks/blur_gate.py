"""Where the blur gate's threshold comes from: the sharpness of the dev hand photos, sharp and blurred.

Usage::

    python benchmarks/blur_gate.py [--json OUT.json] [--markdown]

For every good dev photo (``photos/hands``, ``photos/formats`` of the shared data
folder) that the gate passes, the gate's ``sharpness`` measurement
(:func:`jewelrender.quality.check_input`) on the photo as it is and blurred by a
Gaussian of sigma = 0.05 ... 0.25 of the ring finger's estimated width (17.3 mm
at the hand, so 0.25 widths is about 4.3 mm), the landmarks detected once on the
sharp photo. Prints, per blur, the min / median / max over the photos and how
many the current ``GATE_THRESHOLDS["min_sharpness"]`` passes; ``--markdown``
prints the table quoted in ``docs/quality.md``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's jewelrender, not an installed one
from common import data_dir, dump  # noqa: E402

#: Blur sigmas, in ring-finger widths (0 = the photo as it is).
BLURS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25)
FINGER_MM = 17.3


def run() -> list[dict]:
    import cv2

    from jewelrender.landmarks import HandDetector
    from jewelrender.photo import Photo, load_photo
    from jewelrender.quality import check_input

    root = data_dir() / "photos"
    paths = sorted((root / "hands").glob("*.*")) + sorted((root / "formats").glob("*.*"))
    rows = []
    with HandDetector() as det:
        for p in paths:
            try:
                ph = load_photo(p)
            except Exception:  # formats/ holds files the loader refuses on purpose
                continue
            hands = det.detect(ph)
            rep = check_input(ph, hands, raise_on_failure=False)
            if not rep.passed:
                continue
            fw = rep.measurements["finger_width_px"]
            row = {"name": p.name, "finger_width_px": fw}
            for k in BLURS:
                img = ph.srgb if k == 0 else cv2.GaussianBlur(np.ascontiguousarray(ph.srgb), (0, 0), k * fw)
                blurred = Photo(np.ascontiguousarray(img, dtype=np.uint8), source="<blur>", format="ARRAY")
                r = check_input(blurred, hands, raise_on_failure=False, thresholds={"min_sharpness": 0.0})
                row[f"{k:g}"] = r.measurements["sharpness"]
            rows.append(row)
            print(p.name, " ".join(f"{row[f'{k:g}']:.3f}" for k in BLURS), file=sys.stderr)
    return rows


def table(rows: list[dict], threshold: float) -> str:
    lines = ["| blur σ (finger widths) | ≈ mm at the hand | n | min | median | max | pass at "
             f"{threshold:g} | lowest photos |", "|---:|---:|---:|---:|---:|---:|---:|---|"]
    for k in BLURS:
        v = sorted((r[f"{k:g}"], r["name"].rsplit(".", 1)[0]) for r in rows)
        vals = np.array([x for x, _ in v])
        low = ", ".join(f"{n} {x:.3f}" for x, n in v[:2])
        lines.append(f"| {k:g} | {k * FINGER_MM:.1f} | {len(v)} | {vals.min():.3f} | {np.median(vals):.3f} | "
                     f"{vals.max():.3f} | {int(np.sum(vals >= threshold))} | {low} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", default=None)
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    from jewelrender.quality import GATE_THRESHOLDS

    rows = run()
    print(table(rows, GATE_THRESHOLDS["min_sharpness"]))
    if args.markdown:
        for r in rows:
            print(f"| {r['name']} | {r['finger_width_px']:.0f} | " + " | ".join(f"{r[f'{k:g}']:.3f}" for k in BLURS) + " |")
    dump(args.json, {"blurs_finger_widths": list(BLURS), "rows": rows})


if __name__ == "__main__":
    main()
