"""A rerunnable blind test for the wrist: can judges tell our bracelets and watches from real ones?

Real: the dev wrist photos that wear a real piece at the wrist (a watch, bangles, a pearl and a thread
bracelet). Ours: try-ons of every wrist piece, each once, on OTHER dev wrist photos (never the same
photo in both sets), one per person. Each crop is a square of 2.6 wrist widths around where the piece
sits (ours: the report's centre; the real ones: the same rule from the hand's landmarks, 0.35 palm
lengths up the forearm from landmark 0), saved at full resolution and at 256 px, shuffled, with the key
written outside the set::

    python benchmarks/blind_test_wrist.py build --quality preview --out /tmp/blind_wrist --key /work/notes/wrist_key.json
    # give the judges /tmp/blind_wrist/crops/ and /tmp/blind_wrist/JUDGES.md only
    python benchmarks/blind_test.py score --key /work/notes/wrist_key.json judge1.json judge2.json

Scoring is ``blind_test.py score`` (same key and answer formats).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.blind_test import JUDGES_TEXT, write_set  # noqa: E402

# A word-for-word replace of "ring" also hits "wearing": the wrist's wording is written out.
JUDGES_TEXT_WRIST = (JUDGES_TEXT.replace("which rings were", "which bracelets and watches were")
                     .replace("a hand wearing a ring", "a wrist wearing a bracelet, bangle or watch")
                     .replace("Some rings are", "Some pieces are").replace("bare hand", "bare wrist"))
from benchmarks.common import REPO, data_dir  # noqa: E402

#: Dev wrist photos wearing a real piece at the wrist (MANIFEST.md).
REAL = ("wilor_test4.jpg", "aakashtryon_watch_Test3.jpg", "wristtryon_647f9c6e.jpg", "deepfashion2_000265.jpg",
        "wristtryon_d048eaea.jpg")
#: Ours: (photo, piece), one per person, each piece once. The nishi-v photos may show one person's arm
#: several times: at most three of them, on different backgrounds.
OURS = (("wristtryon_2c842165.jpg", "watch-40mm-steel-black-leather"),
        ("aakashtryon_ring_Test2.jpg", "tennis-3mm-diamond-platinum"),
        ("wristtryon_e96c44c0.jpg", "chain-cable-5mm-18k-yellow"),
        ("wristtryon_712a5439.jpg", "watch-36mm-18k-yellow-brown-leather"),
        ("hagrid_rock_0cc7ad09.jpg", "bangle-round-6mm-18k-yellow"),
        ("wristtryon_066a7274.jpg", "cuff-open-14mm-sterling"))


def _crop(img, centre, side):
    """The square of ``side`` px around ``centre``, shifted (not shrunk) to stay inside the photo."""
    h, w = img.shape[:2]
    side = int(min(max(side, 64), h, w))
    x0 = int(np.clip(round(centre[0] - side / 2), 0, w - side))
    y0 = int(np.clip(round(centre[1] - side / 2), 0, h - side))
    return img[y0:y0 + side, x0:x0 + side]


def _real_crop(det, photo_path):
    from jewelrender.photo import load_photo

    ph = load_photo(photo_path)
    hands = det.detect(ph)
    if not hands:
        return None
    h = max(hands, key=lambda x: x.size_px)
    p0 = h.image_px[0]
    palm = h.image_px[[0, 5, 9, 13, 17]].mean(axis=0)
    fore = (p0 - palm) / np.linalg.norm(p0 - palm)
    palm_len = float(np.linalg.norm(h.image_px[9] - p0))
    centre = p0 + fore * 0.35 * palm_len
    side = 2.6 * 0.85 * palm_len  # a wrist is ~0.85 palm lengths wide
    return _crop(ph.srgb, centre, side)


def build(args) -> None:
    from jewelrender.landmarks import HandDetector
    from jewelrender.pipeline import Renderer

    wrists = data_dir() / "photos" / "wrists"
    out = Path(args.out).resolve()
    key_path = Path(args.key).resolve()
    if out in key_path.parents or REPO.resolve() in key_path.parents:
        raise SystemExit(f"--key {key_path} must lie outside --out and outside the repository")
    assert not set(REAL) & {p for p, _ in OURS}
    crops_dir = out / "crops"
    crops_dir.mkdir(parents=True, exist_ok=True)
    for old in crops_dir.glob("*.png"):
        old.unlink()
    real, ours = [], []
    with HandDetector() as det:
        for name in REAL:
            crop = _real_crop(det, wrists / name)
            if crop is not None:
                real.append({"source": "real", "photo": name, "piece": None, "crop": crop})
    with Renderer() as r:
        for name, pid in OURS:
            try:
                res = r.try_on(wrists / name, pid, quality=args.quality, refine_lighting=False)
            except Exception as exc:  # a refused photo is left out, and said
                print(f"{name} {pid}: {getattr(exc, 'code', exc)}")
                continue
            pl = res.report["placement"]
            side = 2.6 * float(pl["wrist_width_px"])
            ours.append({"source": "ours", "photo": name, "piece": pid,
                         "crop": _crop(res.image, pl["center_px"], side)})
    write_set(real, ours, out, key_path, quality=args.quality, seed=args.seed, judges_text=JUDGES_TEXT_WRIST)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--quality", choices=("preview", "final"), default="preview")
    b.add_argument("--out", required=True)
    b.add_argument("--key", required=True, help="outside --out and outside the repository")
    b.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    build(args)


if __name__ == "__main__":
    main()
