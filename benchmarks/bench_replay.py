"""Time try-ons from recorded hand detections, on any Mitsuba variant (the GPU included).

The GPU machines this project is sometimes lent carry no MediaPipe wheel, and
the detector does not run on the GPU anyway. So the detections are recorded
once where MediaPipe runs (the real detector, real photos), and replayed
through the real pipeline - gate, placement, lighting, scene, render,
composite, quality - wherever the renderer is to be measured::

    # where MediaPipe is installed
    python benchmarks/bench_replay.py record --out dets.pkl PHOTO [PHOTO ...]
    # anywhere (JEWELRENDER_VARIANT=cuda_ad_spectral to force the GPU)
    python benchmarks/bench_replay.py replay dets.pkl --photos-dir DIR [--repeat 5] [--save DIR] [--json OUT]

``replay`` reports, per photo and quality, the first (cold: JIT compile or
kernel-cache load) and the median warm timings of each stage, with the
backend that ran. The ``landmarks`` stage reads 0 there: it is the replay.
"""

from __future__ import annotations

import argparse
import json
import pickle
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))


class ReplayDetector:
    """Stands in for the hand detector only: returns detections recorded by the real one."""

    def __init__(self, recorded: dict[str, list]):
        self._recorded = recorded
        self.current: str | None = None

    def detect(self, photo):
        return self._recorded[self.current]

    def close(self) -> None:
        pass


def record(args) -> None:
    import jewelrender as jr
    from jewelrender.landmarks import HandDetector

    out = {}
    with HandDetector() as det:
        for p in args.photos:
            out[Path(p).name] = det.detect(jr.load_photo(p))
            print(f"{Path(p).name}: {len(out[Path(p).name])} hand(s)")
    with open(args.out, "wb") as f:
        pickle.dump(out, f)


def replay(args) -> None:
    import jewelrender as jr
    from jewelrender.errors import JewelrenderError

    with open(args.detections, "rb") as f:
        recorded = pickle.load(f)
    det = ReplayDetector(recorded)
    rows = []
    t0 = time.perf_counter()
    with jr.Renderer() as r:
        r._detector = det  # the one seam: everything after detection is the real pipeline
        for name, piece in [(n, pc) for n in sorted(recorded) for pc in args.piece.split(",")]:
            det.current = name
            photo = str(Path(args.photos_dir) / name)
            for quality in args.qualities.split(","):
                times = []
                res = None
                for i in range(1 + args.repeat):
                    try:
                        res = r.try_on(photo, piece, quality=quality, seed=i, min_quality=0.0)
                    except JewelrenderError as e:
                        print(f"{name} {quality}: {e.code}: {e}")
                        break
                    times.append(res.report["timings"])
                if not times:
                    continue
                warm = {k: statistics.median(t[k] for t in times[1:]) for k in times[0]} if len(times) > 1 else {}
                row = {"photo": name, "piece": piece, "quality": quality, "backend": res.report["backend"],
                       "crop": res.report["render"]["crop"], "cold": times[0], "warm_median": warm,
                       "quality_score": (res.report.get("score") or {}).get("score")}
                rows.append(row)
                print(f"{name:28s} {piece:38s} {quality:8s} cold {times[0]['total']:.2f} s  warm {warm.get('total', float('nan')):.3f} s"
                      f"  (render {warm.get('render', float('nan')):.3f} s)  crop {row['crop']}  {row['backend']}")
                if args.save:
                    Path(args.save).mkdir(parents=True, exist_ok=True)
                    res.save(str(Path(args.save) / f"{Path(name).stem}__{piece}_{quality}.png"))
    print(f"total {time.perf_counter() - t0:.1f} s")
    if args.json:
        from common import provenance

        Path(args.json).write_text(json.dumps({**provenance(), "runs": rows}, indent=1) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("record")
    a.add_argument("--out", required=True)
    a.add_argument("photos", nargs="+")
    b = sub.add_parser("replay")
    b.add_argument("detections")
    b.add_argument("--photos-dir", required=True)
    b.add_argument("--piece", default="solitaire-round-1ct-18k-yellow", help="catalog id(s), comma-separated")
    b.add_argument("--qualities", default="preview,final")
    b.add_argument("--repeat", type=int, default=5)
    b.add_argument("--save", default=None)
    b.add_argument("--json", default=None)
    args = ap.parse_args()
    record(args) if args.cmd == "record" else replay(args)


if __name__ == "__main__":
    main()
