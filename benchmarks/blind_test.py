"""A rerunnable blind test: can judges tell our rings from real ones?

Build a shuffled set of anonymous crops — real rings from the dev ``ringtryon_assets_*``
photos (they wear real rings) and our try-ons on OTHER dev hand photos (never the
same photo in both sets) — each at 256 px and at full resolution, plus a separate
key file that judges must not see::

    python benchmarks/blind_test.py build --quality preview --out /tmp/blind --key /somewhere/else/key.json \
        [--n-ours 10] [--seed 0]
    # give the judges /tmp/blind/crops/ and /tmp/blind/JUDGES.md only; the key is written outside --out
    python benchmarks/blind_test.py score --key /somewhere/else/key.json judge1.json judge2.json

The set's design (the first run's judges read patterns off the set itself): one try-on per person
(photos of the same hand, like the three palmistry IMG_036x frames, count once), each with a different
piece; pieces with a stone go on views that show the back of the finger (where the stone shows),
plain bands on palm views (where a head would be hidden behind the finger); the real rings come only
from photos of rings worn on a hand (the ``jewelry_refs`` packshots are not: none shows a hand).

A judge's answers are JSON: ``{"judge": "retoucher", "answers": {"07": "fake", "12": "real", ...},
"cues": {"07": "band end squared off", ...}}`` (``fake``/``ours``/``added`` and ``real`` are
accepted; missing ids count as unanswered). ``score`` prints each judge's detection rate
(our crops called fake), false-alarm rate (real crops called fake) and accuracy, and saves
them under ``benchmarks/results/blind_test_<date>.json``.

The crop around a ring is a square of 3.2 finger widths centred on it: for ours the
report's ring centre; for the real rings the ring finger at the position where each
photo's real ring sits (measured by hand, ``docs/pipeline.md``: 0.5-0.82 of MCP->PIP).
Crops are PNG (no second compression); the 256 px version is resized with Lanczos.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.common import REPO, data_dir  # noqa: E402

#: Where each dev photo's real ring sits along the ring finger's proximal phalanx (0 = MCP, 1 = PIP),
#: read off the photos (docs/pipeline.md, "Known limits").
REAL_RING_POSITION = {
    "ringtryon_assets_3.jpg": 0.5, "ringtryon_assets_4.jpg": 0.65, "ringtryon_assets_5.jpg": 0.5,
    "ringtryon_assets_7.jpg": 0.5, "ringtryon_assets_9.jpg": 0.5, "ringtryon_assets_10.jpg": 0.7,
    "ringtryon_assets_12.jpg": 0.5, "ringtryon_assets_14.jpg": 0.5, "ringtryon_assets_15.jpg": 0.5,
    "ringtryon_assets_16.jpg": 0.65, "ringtryon_assets_18.jpg": 0.82,
}
#: Our pieces: each used once. Heads on views of the back of the finger, bands on palm views.
STONE_PIECES = ("solitaire-round-1ct-18k-yellow", "solitaire-princess-1ct-18k-white",
                "solitaire-oval-1ct-18k-rose", "solitaire-round-1ct-6prong-platinum", "halo-round-1ct-18k-white",
                "bezel-round-0.5ct-18k-yellow", "solitaire-pear-1ct-18k-yellow", "solitaire-marquise-1ct-platinum")
BAND_PIECES = ("band-court-2mm-18k-yellow", "band-pave-2.5mm-18k-white", "band-court-4mm-18k-yellow",
               "band-channel-3mm-platinum")
PIECES = STONE_PIECES + BAND_PIECES
#: Dev photos outside ringtryon_assets_* that already wear a real ring (or rings, bracelets near the hand):
#: in neither set.
WEARS_A_RING = frozenset({"cofw_001805.jpg", "onehand10k_9.jpg", "aakashtryon_watch_Test3.jpg", "wilor_test3.jpg",
                          "deepfashion2_000265.jpg"})
#: Photos of the same person: one try-on per group (the first accepted photo of it).
SAME_PERSON = {"palmistry_IMG_0364.jpg": "palmistry_IMG", "palmistry_IMG_0367.jpg": "palmistry_IMG",
               "palmistry_IMG_0370.jpg": "palmistry_IMG", "11khands_female_dorsal.jpg": "11khands_female",
               "11khands_female_palmar.jpg": "11khands_female",
               "hand_shu-fingercount_set1-five-22.jpg": "shu_set1", "hand_shu-fingercount_set1-five-195.jpg": "shu_set1"}
#: Real rings from data/jewelry_refs: photos of a ring worn on a hand only. None qualifies (checked
#: 2026-12-02: the samlora_* and ringtryon_* files are packshots on white, black or transparent
#: grounds, no hand), so the real set is the 11 ringtryon_assets_* photos.
REAL_REFS: tuple[str, ...] = ()
#: A cosine above this between the head's direction and the way to the camera: the back of the finger
#: faces the camera enough for a stone to show.
SHOWS_HEAD_COS = 0.2
CROP_WIDTHS = 3.2  # crop side, in finger widths
#: Our crops smaller than this (px, at the photo's resolution) are left out: the real crops are 152-546 px,
#: and a 61 px crop blown up to 256 px is told apart by its upscaling alone (the second round's
#: judges named "the ring sharper than the soft, upscaled hand" on the two 61 px crops).
MIN_CROP_PX = 80
SMALL = 256

JUDGES_TEXT = """# Blind test: which rings were added to the photo?

Each numbered image shows a hand wearing a ring; `NN_256.png` is a 256 px view and `NN_full.png`
the same crop at the photo's own resolution. Some rings are real (photographed), some were
rendered and added to a photo of a bare hand afterwards. For each number, answer `real` or `fake`,
give your confidence (0-1) and name the cue that decided it.

Answer as JSON (to the path you were given):

    {"judge": "<your role>", "answers": {"01": "real", "02": "fake", ...},
     "confidence": {"01": 0.6, "02": 0.8, ...},
     "cues": {"01": "what decided it", "02": "what gave it away", ...}}
"""


def _square(img, center, side):
    h, w = img.shape[:2]
    side = int(min(max(side, 32), h, w))
    x0 = int(round(center[0] - side / 2))
    y0 = int(round(center[1] - side / 2))
    x0 = min(max(x0, 0), w - side)
    y0 = min(max(y0, 0), h - side)
    return img[y0:y0 + side, x0:x0 + side]


def _real_crops(detector, hands_dir):
    from jewelrender.camera import camera_from_photo
    from jewelrender.errors import JewelrenderError
    from jewelrender.photo import load_photo
    from jewelrender.sites.hand import place_ring

    out = []
    for name, pos in sorted(REAL_RING_POSITION.items()):
        path = hands_dir / name
        if not path.is_file():
            continue
        ph = load_photo(path)
        hands = detector.detect(ph)
        if not hands:
            print(f"  real {name}: no hand found, skipped")
            continue
        try:
            pl = place_ring(ph, hands[0], camera_from_photo(ph), finger="ring", position=pos)
        except JewelrenderError as e:
            print(f"  real {name}: {e.code}, skipped")
            continue
        out.append({"source": "real", "photo": name, "piece": None,
                    "crop": _square(ph.srgb, pl.center_px, CROP_WIDTHS * pl.finger_width_px)})
    return out


def _candidate_photos(hands_dir, exclude, ours_from=None):
    """Bare-hand photos for our try-ons: the dev hand photos, then the hand samples shipped with the package
    (``hands``); or the photos of the folders of data/photos named in ``ours_from``, in that order."""
    from jewelrender.samples import __file__ as samples_init

    photos = []
    for folder in ours_from or ("hands",):
        if folder == "hands":
            photos += sorted(hands_dir.glob("*.*")) + sorted(Path(samples_init).parent.glob("hand_*.jpg"))
        else:
            photos += sorted((hands_dir.parent / folder).glob("*.jpg"))
    return [p for p in photos if p.name not in exclude and p.name not in WEARS_A_RING
            and not p.name.startswith("ringtryon_assets_")]


def _our_crops(hands_dir, quality, n, position, exclude, min_crop_px=0, piece_seed=None, ours_from=None):
    import jewelrender as jr
    from jewelrender.errors import JewelrenderError

    out, people = [], set()
    stones, bands = list(STONE_PIECES), list(BAND_PIECES)
    if piece_seed is not None:  # another round on the same photos, with other pieces on them
        random.Random(piece_seed).shuffle(stones)
        random.Random(piece_seed + 1).shuffle(bands)
    with jr.Renderer() as r:
        for p in _candidate_photos(hands_dir, exclude, ours_from):
            if len(out) >= n:
                break
            person = SAME_PERSON.get(p.name, p.name)
            if person in people:
                continue
            opts = {"quality": quality}
            if position is not None:
                opts["position"] = position
            ph = jr.load_photo(p)
            try:
                prep = r.prepare(ph, **opts)
            except JewelrenderError as e:
                print(f"  ours {p.name}: {e.code}, skipped")
                continue
            side = CROP_WIDTHS * float(prep.placement.finger_width_px)
            if side < min_crop_px:
                print(f"  ours {p.name}: crop {side:.0f} px < {min_crop_px}, skipped")
                continue
            c = np.asarray(prep.placement.center_cam, float)
            shows_head = float(np.asarray(prep.placement.up_cam) @ (-c / np.linalg.norm(c))) > SHOWS_HEAD_COS
            pool = stones if shows_head and stones else (bands or stones)
            piece = pool.pop(0)
            try:
                res = r.try_on(ph, piece, min_quality=0.0, **opts)  # the same Photo: detection, light reused
            except JewelrenderError as e:
                print(f"  ours {p.name} {piece}: {e.code}, skipped")
                pool.insert(0, piece)
                continue
            people.add(person)
            pl = res.report["placement"]
            out.append({"source": "ours", "photo": p.name, "piece": piece, "quality": quality,
                        "view": "back of the finger" if shows_head else "palm side",
                        "crop": _square(res.image, pl["center_px"], CROP_WIDTHS * pl["finger_width_px"]),
                        "timings": res.report["timings"]})
            print(f"  ours {p.name} {piece}: {res.report['timings']['total']:.1f} s")
    return out


def build(args) -> None:
    from jewelrender.landmarks import HandDetector

    hands_dir = data_dir() / "photos" / "hands"
    out = Path(args.out).resolve()
    key_path = Path(args.key).resolve()
    check_key_path(out, key_path)
    with HandDetector() as det:
        real = _real_crops(det, hands_dir)
    if args.n_real is not None:
        real = real[:args.n_real]
    skip = {f.strip() for f in (args.exclude or "").split(",") if f.strip()}
    ours = _our_crops(hands_dir, args.quality, args.n_ours, args.position, {c["photo"] for c in real} | skip,
                      args.min_crop_px, args.piece_seed,
                      None if args.ours_from is None else [f.strip() for f in args.ours_from.split(",") if f.strip()])
    both = {c["photo"] for c in real} & {c["photo"] for c in ours}
    assert not both, f"a photo is in both sets: {both}"
    persons = [SAME_PERSON.get(c["photo"], c["photo"]) for c in ours]
    assert len(persons) == len(set(persons)), f"a person has two try-ons: {persons}"
    pieces = [c["piece"] for c in ours]
    assert len(pieces) == len(set(pieces)), f"a piece is used twice: {pieces}"
    write_set(real, ours, out, key_path, quality=args.quality, seed=args.seed, judges_text=JUDGES_TEXT)


def check_key_path(out: Path, key_path: Path) -> Path:
    """The crops folder (emptied) under ``out``; refuses a key the judges could see."""
    if out in key_path.parents or REPO.resolve() in key_path.parents:
        raise SystemExit(f"--key {key_path} must lie outside --out and outside the repository (judges must not see it)")
    crops_dir = out / "crops"
    crops_dir.mkdir(parents=True, exist_ok=True)
    for old in crops_dir.glob("*.png"):
        old.unlink()
    return crops_dir


def write_set(real: list, ours: list, out: Path, key_path: Path, *, quality: str, seed: int, judges_text: str) -> None:
    """Shuffle real and our crops under neutral numbers: ``NN_full.png``, ``NN_256.png``, the judges'
    instructions, and the key (outside the judges' folder)."""
    from PIL import Image

    crops_dir = out / "crops"
    items = real + ours
    random.Random(seed).shuffle(items)
    key = {"built": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"), "quality": quality,
           "seed": seed, "items": {}}
    for i, it in enumerate(items, 1):
        ident = f"{i:02d}"
        crop = np.ascontiguousarray(it["crop"])
        Image.fromarray(crop).save(crops_dir / f"{ident}_full.png")
        Image.fromarray(crop).resize((SMALL, SMALL), Image.LANCZOS).save(crops_dir / f"{ident}_256.png")
        key["items"][ident] = {k: v for k, v in it.items() if k != "crop"} | {"full_px": int(crop.shape[0])}
    (out / "JUDGES.md").write_text(judges_text, encoding="utf-8")
    stale = out / "key.json"
    if stale.exists():
        stale.unlink()  # an older build's key beside the crops
    key_path.parent.mkdir(parents=True, exist_ok=True)
    key_path.write_text(json.dumps(key, indent=2) + "\n", encoding="utf-8")
    print(f"{len(real)} real + {len(ours)} ours -> {crops_dir} (key: {key_path}, keep it from the judges)")


def _verdict(v) -> str | None:
    v = str(v).strip().lower()
    if v in ("fake", "ours", "added", "rendered", "composite", "synthetic"):
        return "fake"
    if v in ("real", "photo", "photographed", "genuine"):
        return "real"
    return None


def score(args) -> dict:
    key = json.loads(Path(args.key).read_text(encoding="utf-8"))["items"]
    ours = {k for k, v in key.items() if v["source"] == "ours"}
    real = {k for k, v in key.items() if v["source"] == "real"}
    results = {"key": str(args.key), "n_ours": len(ours), "n_real": len(real), "judges": []}
    for path in args.answers:
        a = json.loads(Path(path).read_text(encoding="utf-8"))
        ans = {str(k).zfill(2): _verdict(v) for k, v in a.get("answers", {}).items()}
        caught = sorted(k for k in ours if ans.get(k) == "fake")
        false_alarm = sorted(k for k in real if ans.get(k) == "fake")
        answered = [k for k in key if ans.get(k) is not None]
        correct = sum(1 for k in answered if (ans[k] == "fake") == (k in ours))
        j = {"judge": a.get("judge", Path(path).stem), "detection_rate": len(caught) / max(len(ours), 1),
             "caught": caught, "false_alarm_rate": len(false_alarm) / max(len(real), 1),
             "false_alarms": false_alarm, "accuracy": correct / max(len(answered), 1),
             "unanswered": sorted(set(key) - set(answered)),
             "cues_on_ours": {k: a.get("cues", {}).get(k) for k in caught if a.get("cues", {}).get(k)}}
        results["judges"].append(j)
        print(f"{j['judge']}: spotted {len(caught)}/{len(ours)} of ours ({100 * j['detection_rate']:.0f} %), "
              f"called {len(false_alarm)}/{len(real)} real ones fake, accuracy {100 * j['accuracy']:.0f} %"
              + (f", {len(j['unanswered'])} unanswered" if j["unanswered"] else ""))
        for k, cue in j["cues_on_ours"].items():
            print(f"    {k} ({key[k]['piece']} on {key[k]['photo']}): {cue}")
    if args.save:
        res_dir = REPO / "benchmarks" / "results"
        res_dir.mkdir(exist_ok=True)
        path = res_dir / f"{getattr(args, 'result_name', 'blind_test')}_{_dt.date.today().isoformat()}.json"
        path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(f"saved {path}")
    return results


def site_main(argv, *, description: str, build_set, result_name: str) -> None:
    """The ``build`` / ``score`` command line of a body site's blind test (ear, neck): ``build_set(args)``
    writes the set; ``score`` saves under ``benchmarks/results/<result_name>_<date>.json``."""
    ap = argparse.ArgumentParser(description=description)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--quality", choices=("preview", "final"), default="final")
    b.add_argument("--out", required=True)
    b.add_argument("--key", required=True, help="where the key goes: outside --out and outside the repository")
    b.add_argument("--seed", type=int, default=0)
    s = sub.add_parser("score")
    s.add_argument("--key", required=True)
    s.add_argument("--no-save", dest="save", action="store_false")
    s.add_argument("--result-name", default=result_name,
                   help=f"saved as benchmarks/results/<this>_<date>.json (default {result_name}; a later round's own name)")
    s.add_argument("answers", nargs="+")
    args = ap.parse_args(argv)
    if args.cmd == "build":
        build_set(args)
    else:
        score(args)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="render our try-ons, cut the crops, write the key")
    b.add_argument("--quality", choices=("preview", "final"), default="final")
    b.add_argument("--out", required=True)
    b.add_argument("--key", required=True, help="where the key goes: outside --out and outside the repository")
    b.add_argument("--n-ours", type=int, default=10)
    b.add_argument("--n-real", type=int, default=None, help="at most this many real crops (default: all)")
    b.add_argument("--position", type=float, default=None, help="ring position for ours (default: the pipeline's)")
    b.add_argument("--seed", type=int, default=0, help="shuffle seed")
    b.add_argument("--ours-from", default=None,
                   help="comma-separated folders of data/photos to take our photos from, in order ('hands': the "
                        "default, with the shipped hand samples; 'wrists' holds backs of bare hands of other people)")
    b.add_argument("--piece-seed", type=int, default=None,
                   help="shuffle the order pieces are dealt to the photos (default: the catalogue order above)")
    b.add_argument("--exclude", default=None,
                   help="comma-separated photo names to leave out of ours (e.g. a fist the gate let through)")
    b.add_argument("--min-crop-px", type=int, default=MIN_CROP_PX,
                   help="skip photos where our crop would be smaller than this at the photo's resolution")
    s = sub.add_parser("score", help="score judges' answers against the key")
    s.add_argument("--key", required=True)
    s.add_argument("--no-save", dest="save", action="store_false")
    s.add_argument("--result-name", default="blind_test",
                   help="saved as benchmarks/results/<this>_<date>.json (a second round on one day: another name)")
    s.add_argument("answers", nargs="+")
    args = ap.parse_args(argv)
    build(args) if args.cmd == "build" else score(args)


if __name__ == "__main__":
    main()
