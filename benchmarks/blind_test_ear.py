"""A rerunnable blind test for earrings: can judges tell our earrings from real ones?

Real: crops around the real earrings of the dev photos, at the piercings measured by hand for the
lobe's calibration (``scenes/ear_lobe.toml``, one ear per photo). Ours: try-ons on OTHER photos
(never a photo of the real set, one per person), each with a different catalog earring, cropped
around the ear the site dressed. Every crop is a square 40 mm of face across (from the iris scale),
centred 8 mm below the piercing (earrings hang), at least 128 px; shuffled under neutral numbers
by :func:`benchmarks.blind_test.write_set`, the key written outside the judges' folder::

    python benchmarks/blind_test_ear.py build --out /tmp/blind_ear --key /work/notes/blind_ear_key.json
    python benchmarks/blind_test_ear.py score --key /work/notes/blind_ear_key.json judge1.json judge2.json
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.blind_test import check_key_path, site_main, write_set  # noqa: E402
from benchmarks.common import data_dir  # noqa: E402

#: Crop side (mm of face) and how far below the piercing its centre lies.
CROP_MM, BELOW_MM, MIN_PX = 40.0, 8.0, 128
#: Real earrings: one ear per photo (the clearest), from the calibration's measurements.
REAL = (("ears/u2net_480112.jpg", "left"), ("ears/deca_aflw2000_image02024.jpg", "left"),
        ("ears/deepface_img50_earrings.jpg", "left"), ("ears/300wlp_AFW_134212_2_0.jpg", "right"),
        ("ears/prnet_aflw2000_image03614.jpg", "left"), ("necks/deepface_img6.jpg", "left"),
        ("necks/deepface_img8.jpg", "right"), ("necks/deepface_img2.jpg", "left"))
#: Ours: bare ears of other people (small and large photos, as the real set), one piece each.
OURS = (("ears/earmeasure_1_right.jpg", "drop-pear-sapphire-18k-white"),
        ("necks/earmeasure_2_front.jpg", "hoop-30mm-18k-yellow"),
        ("ears/3ddfa_emma_panel1_over_shoulder.jpg", "stud-round-0.5ct-4prong-platinum"),
        ("ears/compreface_verify_FACE_2.jpg", "stud-round-0.25ct-bezel-18k-yellow"),
        ("ears/deca_aflw2000_image04085.jpg", "huggie-2.5mm-18k-yellow"),
        ("ears/deca_aflw2000_image00181.jpg", "stud-round-0.5ct-bezel-18k-yellow"),
        ("ears/prnet_aflw2000_image00475.jpg", "stud-round-0.25ct-4prong-18k-white"),
        ("necks/deepface_img3.jpg", "dangle-5link-diamond-18k-yellow"))

JUDGES_TEXT = """# Blind test: which earrings were added to the photo?

Each numbered image shows an ear, most of them wearing an earring; `NN_256.png` is a 256 px view and
`NN_full.png` the same crop at the photo's own resolution. Some earrings are real (photographed), some
were rendered and added to a photo of a bare ear afterwards. For each number, answer `real` or `fake`
and name the cue that decided it.

Answer as JSON:

    {"judge": "<your role>", "answers": {"01": "real", "02": "fake", ...},
     "cues": {"02": "what gave it away", ...}}
"""


def _crop(img: np.ndarray, piercing, mm_per_px: float, up) -> np.ndarray:
    side = int(max(MIN_PX, round(CROP_MM / mm_per_px)))
    c = np.asarray(piercing, float) - np.asarray(up, float) * (BELOW_MM / mm_per_px)
    h, w = img.shape[:2]
    side = min(side, h, w)
    x0 = int(np.clip(round(c[0] - side / 2), 0, w - side))
    y0 = int(np.clip(round(c[1] - side / 2), 0, h - side))
    return img[y0:y0 + side, x0:x0 + side]


def build(args) -> None:
    from jewelrender import pipeline
    from jewelrender.landmarks import FaceDetector
    from jewelrender.photo import load_photo
    from jewelrender.sites.ear import head_frame, lobe_measurements

    out, key_path = Path(args.out).resolve(), Path(args.key).resolve()
    check_key_path(out, key_path)
    photos = data_dir() / "photos"
    px = {(m["photo"], m["side"]): m["px"] for m in lobe_measurements()}
    real = []
    with FaceDetector(max_faces=1) as det:
        for photo, side in REAL:
            ph = load_photo(photos / photo)
            frame = head_frame(det.detect(ph)[0])
            up = -frame.axes[1, :2] / np.linalg.norm(frame.axes[1, :2])
            real.append({"source": "real", "photo": photo, "side": side, "piece": None,
                         "crop": _crop(ph.srgb, px[(photo, side)], frame.mm_per_px, up)})
    ours = []
    with pipeline.Renderer() as r:
        for photo, piece in OURS:
            ph = load_photo(photos / photo)
            res = r.try_on(ph, piece, quality=args.quality, min_quality=0.0)
            ear = res.report["placement"]["ears"][0]
            up = np.asarray(ear["up_cam"][:2], float)
            up = up / max(np.linalg.norm(up), 1e-9)
            ours.append({"source": "ours", "photo": photo, "side": ear["side"], "piece": piece,
                         "score": res.report["score"]["score"],
                         "crop": _crop(res.image, ear["piercing_px"], ear["mm_per_px"], up)})
            print(f"ours: {piece} on {photo} ({ear['side']}), score {res.report['score']['score']:.2f}")
    assert not {c["photo"] for c in real} & {c["photo"] for c in ours}, "a photo is in both sets"
    write_set(real, ours, out, key_path, quality=args.quality, seed=args.seed, judges_text=JUDGES_TEXT)


def main(argv=None) -> None:
    site_main(argv, description=__doc__.split("\n\n")[0], build_set=build, result_name="blind_test_ear")


if __name__ == "__main__":
    main()
