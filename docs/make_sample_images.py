"""Render the published try-ons: catalog pieces on the sample photos bundled with the package.

Only the bundled samples (``jewelrender/samples``, whose licences allow publishing
with attribution) are used, never ``../shared/data``. For each (sample, piece) it
writes to ``docs/images/samples/``:

* ``<sample>_<piece>.jpg``: the photo before (left) and after (right), full frame;
* ``<sample>_<piece>_crop.jpg``: a crop around the ring at the photo's own
  resolution, before and after, enlarged 3x by pixel repetition (each photo pixel
  is a 3x3 block; nothing is interpolated or sharpened).

records them in ``index.json`` there, and regenerates ``docs/samples.md`` (the gallery) and the block between the
``samples:begin`` / ``samples:end`` markers in ``README.md``, each picture with
its attribution and licence line from ``jewelrender/samples/samples.toml``: the
renders are adapted material of CC BY-SA 4.0 photos and are CC BY-SA 4.0 too.

Usage::

    python docs/make_sample_images.py [--quality final|preview] [--pages-only]
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

OUT = HERE / "images" / "samples"
#: What each render was (sample, piece, score, crop, quality, date, commit): the pages are written from it.
INDEX = OUT / "index.json"
#: (sample, piece): the default hand with the demo's solitaire, a plain band and a halo; one more hand.
SHOTS = [
    ("hand", "solitaire-round-1ct-18k-yellow"),
    ("hand", "band-court-4mm-18k-yellow"),
    ("hand-2", "halo-round-1ct-18k-white"),
    ("hand-2", "band-pave-2.5mm-18k-white"),
]
#: The first N shots also appear in the README.
README_SHOTS = 1
CROP = (168, 120)  # width, height of the crop at the photo's resolution
ZOOM = 3
JPEG_QUALITY = 90


def _crop_box(mask: np.ndarray, shape) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask > 0.05)
    cx, cy = int(round(xs.mean())), int(round(ys.mean()))
    w, h = CROP
    x0 = min(max(cx - w // 2, 0), shape[1] - w)
    y0 = min(max(cy - h // 2, 0), shape[0] - h)
    return x0, y0, x0 + w, y0 + h


def _side_by_side(a: np.ndarray, b: np.ndarray, gap: int = 8) -> np.ndarray:
    h = a.shape[0]
    return np.concatenate([a, np.full((h, gap, 3), 255, np.uint8), b], axis=1)


def _save_jpeg(arr: np.ndarray, path: Path) -> None:
    from PIL import Image

    Image.fromarray(arr).save(path, format="JPEG", quality=JPEG_QUALITY, optimize=True, subsampling=0)


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def render_all(quality: str) -> list[dict]:
    import jewelrender as jr
    from jewelrender import samples

    OUT.mkdir(parents=True, exist_ok=True)
    rows = []
    with jr.Renderer() as r:
        for name, piece in SHOTS:
            sample = samples.get(name)
            t0 = time.perf_counter()
            res = r.try_on(sample.ref, piece, quality=quality)
            seconds = time.perf_counter() - t0
            before = samples.load(name).srgb
            stem = f"{name}_{piece}"
            _save_jpeg(_side_by_side(before, res.image), OUT / f"{stem}.jpg")
            x0, y0, x1, y1 = _crop_box(res.mask, before.shape)
            zoom = [np.repeat(np.repeat(im[y0:y1, x0:x1], ZOOM, axis=0), ZOOM, axis=1) for im in (before, res.image)]
            _save_jpeg(_side_by_side(*zoom), OUT / f"{stem}_crop.jpg")
            pl = res.report["placement"]
            rows.append({"sample": name, "piece": piece, "stem": stem, "seconds": round(seconds, 1),
                         "score": round(res.report["score"]["score"], 3), "backend": res.report["backend"],
                         "ring": f"{pl['hand']} {pl['finger']} finger, US {pl['ring_size_us']:g}",
                         "crop": [x0, y0, x1, y1], "quality": quality,
                         "date": datetime.date.today().isoformat(), "commit": _commit()})
            print(f"{stem}: {seconds:.1f} s, score {rows[-1]['score']:.2f}", flush=True)
    INDEX.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return rows


def _figure(row: dict, rel: str) -> str:
    from jewelrender import samples
    from jewelrender.library.catalog import get_piece

    s, p = samples.get(row["sample"]), get_piece(row["piece"])
    x0, y0, x1, y1 = row["crop"]
    return "\n".join([
        f"![{p.label} on the bundled sample photo {s.ref}: before (left) and after (right)]"
        f"({rel}/{row['stem']}.jpg)",
        "",
        f"![The same, pixels ({x0}, {y0})-({x1}, {y1}) at the photo's resolution, enlarged {ZOOM}x by pixel "
        f"repetition: before (left) and after (right)]({rel}/{row['stem']}_crop.jpg)",
        "",
        f"*{p.label} (`{p.id}`) on `{s.ref}`, the {row['ring']}; quality score {row['score']:.2f}; "
        f"`{row['quality']}` quality. Second picture: the ring's surroundings at the photo's own resolution "
        f"({x1 - x0}x{y1 - y0} px), shown {ZOOM}x by pixel repetition.*  ",
        f"*Photo: {s.adapted_attribution()}*",
    ])


def write_pages() -> None:
    """docs/samples.md and README's block, from the renders' index (no rendering)."""
    from jewelrender.library.catalog import get_piece

    rows = json.loads(INDEX.read_text(encoding="utf-8"))
    r0 = rows[0]
    provenance = (f"Rendered by `docs/make_sample_images.py` at `{r0['quality']}` quality on `{r0['backend']}` "
                  f"({r0['date']}, commit {r0['commit']}), from the sample photos bundled in "
                  "`jewelrender/samples/` only.")
    page = [
        "# Try-ons on the bundled sample photos",
        "",
        "Real try-ons, made by the library on the photos shipped with it (`jewelrender samples` lists them;",
        "`jewelrender demo` makes the first one). " + provenance,
        "Regenerate with `python docs/make_sample_images.py` (the page is written by that script).",
        "",
        "The photos are 640x480 webcam frames, so a ring covers only some 35x30 pixels: the crops show",
        "what the renderer really adds at that scale. The sample photos are CC BY-SA 4.0; each render below",
        "is adapted material and is licensed CC BY-SA 4.0 as well, with the attribution under it. The",
        "code's Apache-2.0 licence does not apply to these pictures.",
        "",
        "What to look for, and the limits these pictures show: the band is hidden behind the finger and",
        "the diamond shows a little colour, but the stone is only a few pixels across; under this room's",
        "flat grey light the 18k gold reads pale and low in contrast, where gold photographed in a studio",
        "shows dark and bright reflections; the ring sits at the default position (0.35 of the way from",
        "the knuckle), nearer the knuckle than rings are usually worn (see docs/pipeline.md); the ring",
        "sizes are as measured and were not checked against the real hand. `sample:hand-3` (oblique,",
        "harder) is not shown: a band on it looks like a flat bar across the finger.",
        "",
    ]
    for row in rows:
        page += [f"## {get_piece(row['piece']).label} on `sample:{row['sample']}`", "",
                 _figure(row, "images/samples"), ""]
    (HERE / "samples.md").write_text("\n".join(page), encoding="utf-8")

    readme = REPO / "README.md"
    text = readme.read_text(encoding="utf-8")
    begin, end = "<!-- samples:begin (written by docs/make_sample_images.py) -->", "<!-- samples:end -->"
    if begin not in text or end not in text:
        raise SystemExit(f"README.md lacks the markers {begin} ... {end}")
    block = [begin, ""]
    for row in rows[:README_SHOTS]:
        block += [_figure(row, "docs/images/samples"), ""]
    block += [f"{provenance} More pieces and photos: [docs/samples.md](docs/samples.md).", "", end]
    head, rest = text.split(begin, 1)
    readme.write_text(head + "\n".join(block) + rest.split(end, 1)[1], encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quality", default="final", choices=["preview", "final"])
    ap.add_argument("--pages-only", action="store_true", help="rewrite the pages from the saved index; no render")
    args = ap.parse_args()
    if not args.pages_only:
        render_all(args.quality)
    write_pages()


if __name__ == "__main__":
    main()
