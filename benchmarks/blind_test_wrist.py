"""A rerunnable blind test for the wrist: can judges tell our bracelets and watches from real ones?

Real: the dev wrist photos that wear a real piece at the wrist (a watch, a pearl bracelet, a black
bangle, thread bracelets). Ours: try-ons of several wrist pieces, each once, on OTHER dev wrist photos
(never the same photo in both sets), at most one per photo. Every crop is a square of
:data:`CROP_WIDTHS` wrist widths (less where the photo's edge is nearer) centred on the piece: ours on the
rendered piece's own coverage (the mask's centroid) with the report's wrist width; the real ones on the
piece where it is in the photo, with the wrist's width there, both read off the photos by hand
(:data:`REAL`; a landmark rule missed the real piece on three of five photos in the first round). Saved
at full resolution and at 256 px, shuffled, with the key written outside the set::

    python benchmarks/blind_test_wrist.py build --quality final --out /work/blind_wrist2 --key /work/notes/wrist2_key.json
    # give the judges /work/blind_wrist2/crops/ and /work/blind_wrist2/JUDGES.md only
    python benchmarks/blind_test.py score --key /work/notes/wrist2_key.json judge1.json judge2.json

Scoring is ``blind_test.py score`` (same key and answer formats).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.blind_test import JUDGES_TEXT, check_key_path, write_set  # noqa: E402

# A word-for-word replace of "ring" also hits "wearing": the wrist's wording is written out.
JUDGES_TEXT_WRIST = (JUDGES_TEXT.replace("which rings were", "which bracelets and watches were")
                     .replace("a hand wearing a ring", "a wrist wearing a bracelet, bangle or watch")
                     .replace("Some rings are", "Some pieces are").replace("bare hand", "bare wrist")
                     .replace('''"cues": {"02": "what gave it away", ...}}''',
                              '''"cues": {"02": "what gave it away", ...},
     "confidence": {"01": 0.6, "02": 0.9, ...}}

(confidence: 0.5 = a guess, 1 = certain). Write it to the path you were given.'''))
from benchmarks.common import data_dir  # noqa: E402

#: Real pieces worn in the dev wrist photos (MANIFEST.md): (photo, centre x, centre y, wrist width px, what),
#: the piece's centre and the wrist's width across the forearm there measured by hand on the photo
#: (2026-12-03). aakashtryon_watch_Test3's copper bangle is left out: it sits 115 px from the photo's top
#: edge on a 257 px wide arm, so no crop at the common scale can be centred on it.
REAL = (("wilor_test4.jpg", 182, 464, 34, "white watch"),
        ("wristtryon_647f9c6e.jpg", 307, 290, 93, "thread bracelets"),
        ("deepfashion2_000265.jpg", 522, 181, 42, "pearl bracelet"),
        ("deepfashion2_000265.jpg", 227, 471, 34, "black bangle and beaded bracelet on the other arm"),
        ("wristtryon_d048eaea.jpg", 445, 970, 255, "thread bracelet"))
#: Ours: (photo, piece), each photo and each piece once. The nishi-v photos may show one person's arm
#: several times: on different backgrounds.
OURS = (("wristtryon_2c842165.jpg", "watch-40mm-steel-black-leather"),
        ("wristtryon_712a5439.jpg", "watch-36mm-18k-yellow-brown-leather"),
        ("aakashtryon_ring_Test2.jpg", "tennis-3mm-diamond-platinum"),
        ("wristtryon_e96c44c0.jpg", "chain-cable-5mm-18k-yellow"),
        ("wristtryon_066a7274.jpg", "cuff-open-14mm-sterling"),
        ("hagrid_rock_0cc7ad09.jpg", "bangle-round-6mm-18k-yellow"),
        ("wristtryon_a257afc3.jpg", "bangle-round-channel-diamond-18k-white"))
#: Crop side in wrist widths (both kinds).
CROP_WIDTHS = 2.6


def _crop(img, centre, side):
    """The square of ``side`` px centred on ``centre``; shrunk (never shifted) where the photo's edge is
    nearer: a piece off the crop's centre was a tell (the nishi-v wrists lie near the photo's left edge)."""
    h, w = img.shape[:2]
    cx, cy = float(centre[0]), float(centre[1])
    room = 2 * min(cx, w - cx, cy, h - cy)
    side = int(max(min(side, room, h, w), 32))
    x0 = int(np.clip(round(cx - side / 2), 0, w - side))
    y0 = int(np.clip(round(cy - side / 2), 0, h - side))
    return img[y0:y0 + side, x0:x0 + side]


def _piece_centre(mask, fallback):
    """The rendered piece's centre in the photo: the centroid of its coverage (where it shows)."""
    m = np.asarray(mask, float)
    if m.sum() < 1.0:
        return np.asarray(fallback, float)
    ys, xs = np.mgrid[0:m.shape[0], 0:m.shape[1]]
    return np.array([(xs * m).sum(), (ys * m).sum()]) / m.sum()


def build(args) -> None:
    from jewelrender.photo import load_photo
    from jewelrender.pipeline import Renderer

    wrists = data_dir() / "photos" / "wrists"
    out = Path(args.out).resolve()
    key_path = Path(args.key).resolve()
    check_key_path(out, key_path)
    assert not {r[0] for r in REAL} & {p for p, _ in OURS}, "a photo is in both sets"
    assert len({p for p, _ in OURS}) == len(OURS) and len({q for _, q in OURS}) == len(OURS)
    real, ours = [], []
    for name, x, y, width, what in REAL:
        crop = _crop(load_photo(wrists / name).srgb, (x, y), CROP_WIDTHS * width)
        real.append({"source": "real", "photo": name, "piece": what, "crop": crop})
    only = set(args.only or ())
    with Renderer() as r:
        for name, pid in OURS:
            if only and pid not in only:
                continue
            try:
                res = r.try_on(wrists / name, pid, quality=args.quality, refine_lighting=False)
            except Exception as exc:  # a refused photo is left out, and said
                print(f"{name} {pid}: {getattr(exc, 'code', exc)}")
                continue
            pl = res.report["placement"]
            centre = _piece_centre(res.mask, pl["center_px"])
            ours.append({"source": "ours", "photo": name, "piece": pid, "quality": args.quality,
                         "crop": _crop(res.image, centre, CROP_WIDTHS * float(pl["wrist_width_px"])),
                         "render_s": round(float(res.report["timings"]["total"]), 1)})
            print(f"{name} {pid}: {res.report['timings']['total']:.0f} s", flush=True)
    write_set(real, ours, out, key_path, quality=args.quality, seed=args.seed, judges_text=JUDGES_TEXT_WRIST)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--quality", choices=("preview", "final"), default="preview")
    b.add_argument("--out", required=True)
    b.add_argument("--key", required=True, help="outside --out and outside the repository")
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--only", nargs="*", help="render only these pieces of OURS (a quick look; not a set to judge)")
    args = ap.parse_args(argv)
    build(args)


if __name__ == "__main__":
    main()
