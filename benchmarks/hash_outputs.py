"""Hash preview try-on outputs so that a refactor can prove it changed no pixel.

Renders preview try-ons through the public API (``jewelrender.Renderer``) and prints
a table of the sha256 of the composite's PNG bytes and of the mask's PNG bytes per
(photo, piece); refusals are recorded with their error code. Two runs (before and
after a change) are compared with ``--compare``::

    python benchmarks/hash_outputs.py --out /tmp/before.json            # on the old code
    python benchmarks/hash_outputs.py --out /tmp/after.json             # on the new code
    python benchmarks/hash_outputs.py --compare /tmp/before.json /tmp/after.json

The default set: every catalog piece on three dev hand photos that render, and a
band and the 1 ct solitaire on every dev hand photo. Slow on a 2-core CPU (~100
preview renders); ``--photos``/``--pieces`` narrow it.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import time
from pathlib import Path

# This checkout's package, not whichever one the venv has installed (editable installs point elsewhere).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import data_dir  # noqa: E402

ALL_PIECES_ON = ("ringtryon_assets_7.jpg", "ringtryon_assets_12.jpg", "11khands_female_dorsal.jpg")
EVERY_PHOTO_PIECES = ("band-court-2mm-18k-yellow", "solitaire-round-1ct-18k-yellow")


def png_sha(arr) -> str:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return hashlib.sha256(buf.getvalue()).hexdigest()


def jobs(photos_dir: Path, pieces: list[str], photos: list[str] | None):
    if photos is not None:
        return [(p, q) for p in photos for q in pieces]
    # Ordered so that any prefix of a long run is a useful sample: the whole catalog on
    # one photo, then two pieces on every photo, then the catalog on the other photos.
    out = [(ALL_PIECES_ON[0], q) for q in pieces]
    every = sorted(f.name for f in photos_dir.iterdir() if f.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp"))
    out += [(p, q) for p in every for q in EVERY_PHOTO_PIECES if (p, q) not in out]
    out += [(p, q) for p in ALL_PIECES_ON[1:] for q in pieces if (p, q) not in out]
    return out


def run(args) -> dict:
    import numpy as np

    import jewelrender as jr

    print(f"jewelrender from {Path(jr.__file__).parent}", flush=True)
    photos_dir = data_dir() / "photos" / "hands"
    pieces = args.pieces or [p.id for p in jr.list_pieces()]
    table = {}
    with jr.Renderer() as r:
        for photo, piece in jobs(photos_dir, pieces, args.photos):
            key = f"{photo} | {piece}"
            t = time.perf_counter()
            try:
                res = r.try_on(str(photos_dir / photo), piece, quality="preview")
                mask = np.round(np.clip(res.mask, 0, 1) * 255).astype(np.uint8)
                rep = {k: v for k, v in res.report.items() if k != "timings"}
                row = {"image": png_sha(res.image), "mask": png_sha(mask),
                       "report": hashlib.sha256(json.dumps(rep, sort_keys=True).encode()).hexdigest()}
            except jr.errors.JewelrenderError as exc:
                row = {"refused": exc.code}
            table[key] = row
            print(f"{key:70s} {row.get('image', row.get('refused'))[:16]} "
                  f"{row.get('mask', '')[:16]}  {time.perf_counter() - t:.1f}s", flush=True)
            if args.out:  # written as it goes, so a long run can be read mid-way
                Path(args.out).write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
    return table


def compare(a_path: str, b_path: str) -> int:
    a = json.loads(Path(a_path).read_text())
    b = json.loads(Path(b_path).read_text())
    same = differ = 0
    only = sorted(set(a) ^ set(b))
    if only:  # a run stopped early: compare what both have
        print(f"{len(only)} rows in only one table (not compared)")
    for key in sorted(set(a) & set(b)):
        ra, rb = a[key], b[key]
        pix = {k: ra.get(k) for k in ("image", "mask", "refused")} == {k: rb.get(k) for k in ("image", "mask", "refused")}
        if pix:
            same += 1
            note = "" if ra.get("report") == rb.get("report") else "  (report differs)"
            if note:
                print(f"same     {key}{note}")
        else:
            differ += 1
            print(f"DIFFERS  {key}: {ra} -> {rb}")
    print(f"{same} identical of {same + differ} (image + mask PNG bytes, refusal codes)")
    return 0 if differ == 0 else 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", help="JSON file for the hash table")
    ap.add_argument("--pieces", nargs="*", help="piece ids (default: the whole catalog)")
    ap.add_argument("--photos", nargs="*", help="photo names under photos/hands (default: the set above)")
    ap.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"), help="compare two saved tables")
    args = ap.parse_args(argv)
    if args.compare:
        return compare(*args.compare)
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
