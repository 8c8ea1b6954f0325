"""Run the input quality gate's measurements over every dev photo and print their distributions.

Usage::

    .venv/bin/python benchmarks/gate_distributions.py [--json OUT.json] [--markdown] [--scores]

Reads ``photos/{hands,formats,wrists,necks,ears,bad}`` of the shared data folder
(``$JEWELRENDER_DATA`` or ``../shared/data``). For each photo: load, detect hands
(the pipeline's detector settings), run :func:`jewelrender.quality.check_input`
without raising, and record every measurement, the outcome and the gate's time.
Then, per measurement, the sorted values of each population — good hand photos
(``hands/``, ``formats/``), ``bad/``, and the other body parts — so that a
threshold can be placed between the good and the bad. ``--markdown`` prints the
per-photo table used in ``docs/quality.md``. ``--scores`` also renders every
photo of ``hands/``, ``formats/`` and ``wrists/`` at preview quality with two
pieces (~4 min on 2 cores) and prints the output quality scores, worst first:
where ``DEFAULT_MIN_QUALITY`` was chosen from.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's jewelrender, not an installed one
from common import data_dir, dump

FOLDERS = ("hands", "formats", "bad", "wrists", "necks", "ears")
POPULATION = {"hands": "good", "formats": "good", "bad": "bad", "wrists": "other", "necks": "other", "ears": "other"}
# The measurements printed, with the threshold key each is compared with.
MEASURES = [
    ("photo_lstar", "min_photo_lstar"),
    ("photo_pixels", "min_photo_pixels"),
    ("confidence", "min_confidence"),
    ("finger_width_px", "min_finger_width_px"),
    ("edge_margin", "min_edge_margin"),
    ("skin_lstar", "min_skin_lstar"),
    ("clipped_fraction", "max_clipped_fraction"),
    ("skin_chroma", "min_skin_chroma"),
    ("skin_hue_deg", "skin_hue_deg"),
    ("sharpness", "min_sharpness"),
    ("finger_skin_fraction", "min_finger_skin_fraction"),
]


def run() -> list[dict]:
    from jewelrender.errors import JewelrenderError
    from jewelrender.landmarks import HandDetector
    from jewelrender.photo import load_photo
    from jewelrender.quality import check_input, photo_median_lstar

    root = data_dir() / "photos"
    rows = []
    with HandDetector() as det:
        for folder in FOLDERS:
            for p in sorted((root / folder).glob("*.*")):
                row = {"folder": folder, "name": p.name, "population": POPULATION[folder]}
                try:
                    ph = load_photo(p)
                except JewelrenderError as exc:
                    row.update(code=exc.code, message=exc.message)
                    rows.append(row)
                    continue
                hands = det.detect(ph)
                t = time.perf_counter()
                rep = check_input(ph, hands, raise_on_failure=False)
                row["gate_s"] = time.perf_counter() - t
                row.update(code=rep.code or "pass", message=rep.message, hands=len(hands))
                row["photo_pixels"] = ph.width * ph.height
                row["photo_lstar"] = photo_median_lstar(ph.srgb)
                for k, v in rep.measurements.items():
                    if isinstance(v, (int, float)):
                        row[k] = float(v)
                rows.append(row)
    return rows


def print_distributions(rows: list[dict]) -> None:
    from jewelrender.quality import GATE_THRESHOLDS

    print("\n== distributions (sorted; good = hands/ + formats/, bad = bad/, other = wrists/necks/ears) ==")
    for key, tkey in MEASURES:
        print(f"\n{key}   threshold {tkey} = {GATE_THRESHOLDS[tkey]}")
        for pop in ("good", "bad", "other"):
            vals = sorted((r[key], r["name"]) for r in rows if r["population"] == pop and key in r)
            if not vals:
                continue
            txt = ", ".join(f"{v:.3g}" for v, _ in vals)
            lo, hi = vals[0], vals[-1]
            print(f"  {pop:5s} n={len(vals):2d} min {lo[0]:.3g} ({lo[1]}) max {hi[0]:.3g} ({hi[1]}): {txt}")


def print_table(rows: list[dict]) -> None:
    print("\n| folder | photo | hands | finger px | margin | skin L* | clipped | hue | chroma | sharp | skin frac "
          "| gate |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    f = lambda r, k, fmt: (fmt % r[k]) if k in r else "–"
    for r in rows:
        print(f"| {r['folder']} | {r['name']} | {r.get('hands', '–')} | {f(r, 'finger_width_px', '%.0f')} | "
              f"{f(r, 'edge_margin', '%.1f')} | {f(r, 'skin_lstar', '%.0f')} | {f(r, 'clipped_fraction', '%.2f')} | "
              f"{f(r, 'skin_hue_deg', '%.0f')} | {f(r, 'skin_chroma', '%.0f')} | {f(r, 'sharpness', '%.2f')} | "
              f"{f(r, 'finger_skin_fraction', '%.2f')} | {r['code']} |")


SCORE_PIECES = ("solitaire-round-1ct-18k-yellow", "band-court-2mm-18k-yellow")


def run_scores() -> list[dict]:
    import jewelrender as jr
    from jewelrender.errors import JewelrenderError

    root = data_dir() / "photos"
    paths = [p for f in ("hands", "formats", "wrists") for p in sorted((root / f).glob("*.*"))]
    out = []
    with jr.Renderer() as r:
        for piece in SCORE_PIECES:
            for p in paths:
                row = {"piece": piece, "folder": p.parent.name, "name": p.name}
                try:
                    # min_quality=0: the score is what is being measured, so nothing is refused for it.
                    res = r.try_on(p, piece, quality="preview", min_quality=0.0)
                except JewelrenderError as exc:
                    row["code"] = exc.code
                    out.append(row)
                    continue
                # The pipeline's own score: it has the render's metal layer, which a re-score from the
                # composite alone would not (the stone would count as metal).
                q = res.report["score"]
                row.update(score=q["score"], parts=q["parts"])
                out.append(row)
    return out


def print_scores(rows: list[dict]) -> None:
    from jewelrender.quality import DEFAULT_MIN_QUALITY

    print(f"\n== output quality scores, worst first (DEFAULT_MIN_QUALITY = {DEFAULT_MIN_QUALITY}) ==")
    scored = sorted((r for r in rows if "score" in r), key=lambda r: r["score"])
    for r in scored:
        parts = " ".join(f"{k}={'-' if v is None else f'{v:.2f}'}" for k, v in r["parts"].items())
        flag = "REFUSED" if r["score"] < DEFAULT_MIN_QUALITY else ""
        print(f"{r['score']:.3f} {r['piece'][:12]:12s} {r['folder']:7s} {r['name']:36s} {parts} {flag}")
    for r in rows:
        if "code" in r:
            print(f"  not rendered: {r['piece'][:12]:12s} {r['folder']:7s} {r['name']:36s} {r['code']}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", help="write every row as JSON")
    ap.add_argument("--markdown", action="store_true", help="print the per-photo table")
    ap.add_argument("--scores", action="store_true", help="also render the dev photos and print quality scores")
    a = ap.parse_args(argv)
    rows = run()
    for r in rows:
        print(f"{r['folder']:8s} {r['name']:42s} {r['code']:20s} {r.get('gate_s', 0) * 1000:6.1f} ms")
    print_distributions(rows)
    if a.markdown:
        print_table(rows)
    times = sorted(r["gate_s"] for r in rows if "gate_s" in r)
    print(f"\ngate time: median {1000 * times[len(times) // 2]:.1f} ms, max {1000 * times[-1]:.1f} ms "
          f"over {len(times)} photos")
    scores = run_scores() if a.scores else []
    if scores:
        print_scores(scores)
    dump(a.json, {"rows": rows, "scores": scores})
    return 0


if __name__ == "__main__":
    sys.exit(main())
