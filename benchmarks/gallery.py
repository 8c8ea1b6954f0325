"""Look-dev gallery: try a piece on every dev hand photo and build a contact sheet to look at.

Each tile shows the photo's crop around the ring finger before and after, at 2x, with
the file name, ring size and time. Written outside the repository by default: the
dev photos' licences do not allow publishing derivatives.

Usage::

    python benchmarks/gallery.py [--piece ID] [--quality preview] [--out /tmp/jewelrender-gallery]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's jewelrender, not an installed one
from common import data_dir  # noqa: E402


def tile(before: np.ndarray, after: np.ndarray, center, radius: int, label: str, size: int = 220) -> np.ndarray:
    import cv2

    h, w = before.shape[:2]
    x0, y0 = int(max(0, center[0] - radius)), int(max(0, center[1] - radius))
    x1, y1 = int(min(w, center[0] + radius)), int(min(h, center[1] + radius))
    pair = []
    for im in (before, after):
        c = np.ascontiguousarray(im[y0:y1, x0:x1])
        scale = size / max(c.shape[:2])
        pair.append(cv2.resize(c, (max(1, round(c.shape[1] * scale)), max(1, round(c.shape[0] * scale))),
                               interpolation=cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA))
    t = np.full((size + 18, 2 * size + 6, 3), 255, np.uint8)
    for i, p in enumerate(pair):
        t[18:18 + p.shape[0], i * (size + 6):i * (size + 6) + p.shape[1]] = p
    cv2.putText(t, label[:48], (3, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.38, (0, 0, 0), 1, cv2.LINE_AA)
    return t


def main() -> None:
    import imageio.v3 as iio

    import jewelrender as jr

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--piece", default="solitaire-round-1ct-18k-yellow")
    ap.add_argument("--quality", default="preview")
    ap.add_argument("--photos", default=None, help="folder of photos (default: the dev hand photos)")
    ap.add_argument("--out", default="/tmp/jewelrender-gallery")
    ap.add_argument("--cols", type=int, default=3)
    args = ap.parse_args()
    folder = Path(args.photos) if args.photos else data_dir() / "photos" / "hands"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tiles, summary = [], []
    with jr.Renderer() as r:
        for p in sorted(folder.iterdir()):
            try:
                res = r.try_on(p, args.piece, quality=args.quality)
            except jr.errors.JewelrenderError as exc:
                summary.append({"photo": p.name, "error": exc.code, "message": exc.message})
                print(f"{p.name:36s} {exc.code}")
                continue
            res.save(out / f"{p.stem}.png")
            rep = res.report
            pl = rep["placement"]
            radius = int(max(2.2 * pl["finger_width_px"], 40))
            label = f"{p.stem} US{pl['ring_size_us']:g} {rep['timings']['total']:.1f}s"
            tiles.append(tile(jr.load_photo(p).srgb, res.image, pl["center_px"], radius, label))
            summary.append({"photo": p.name, "ring_size_us": pl["ring_size_us"], "total_s": rep["timings"]["total"],
                            "render_s": rep["timings"]["render"], "key_share": rep["lighting"].get("key_share")})
            print(f"{p.name:36s} ok  US {pl['ring_size_us']:>4}  {rep['timings']['total']:.2f} s")
    if tiles:
        rows = []
        for i in range(0, len(tiles), args.cols):
            row = tiles[i:i + args.cols]
            row += [np.full_like(tiles[0], 255)] * (args.cols - len(row))
            rows.append(np.concatenate(row, axis=1))
        iio.imwrite(out / "contact_sheet.png", np.concatenate(rows, axis=0))
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    ok = sum(1 for s in summary if "error" not in s)
    print(f"{ok}/{len(summary)} rendered; contact sheet: {out / 'contact_sheet.png'}")


if __name__ == "__main__":
    main()
