"""Command line: ``jewelrender try-on | pieces | materials | lighting | doctor``.

Exit status: 0 success; 2 bad input or options (``error: CODE: message`` on one
line of stderr, nothing written); 3 the machine cannot render (backend missing);
1 an internal failure (a bug: the same one-line form, code ``INTERNAL_ERROR``).
"""

from __future__ import annotations

import argparse
import json
import sys

from . import __version__
from .errors import InputError, InvalidOptionError, JewelrenderError
from .placement import DEFAULT_POSITION

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, the same form as every other error
        raise InvalidOptionError(message)


def _fraction(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise InvalidOptionError(f"--position must be a number in [0, 1], got {text!r}") from None
    return v


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="jewelrender", description="Physically based jewelry try-on on a customer's photo.")
    p.add_argument("--version", action="version", version=f"jewelrender {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    t = sub.add_parser("try-on", help="render a ring onto a hand photo")
    t.add_argument("photo", help="the photo: JPEG, PNG or WebP")
    t.add_argument("--piece", required=True, help="catalog id (see 'jewelrender pieces')")
    t.add_argument("--finger", default="ring", choices=["thumb", "index", "middle", "ring", "little"])
    t.add_argument("--hand", default="auto", choices=["auto", "left", "right"])
    t.add_argument("--position", type=_fraction, default=DEFAULT_POSITION,
                   help=f"along the finger's first segment: 0 = knuckle, 1 = middle joint (default {DEFAULT_POSITION})")
    t.add_argument("--quality", default="preview", choices=["preview", "final"])
    t.add_argument("--lighting", default="photo_fit", help="lighting method (default photo_fit)")
    t.add_argument("--metal", default=None, help="metal preset replacing the piece's own (see 'jewelrender materials')")
    t.add_argument("--finish", default=None, choices=["polished", "satin", "matte", "hammered"],
                   help="surface finish replacing the piece's own (default: the piece's, usually polished)")
    t.add_argument("--focal-35mm", type=float, default=None, help="override the 35 mm-equivalent focal length")
    t.add_argument("--min-quality", type=float, default=None,
                   help="refuse results whose quality score (0..1) is below this (default 0.55)")
    t.add_argument("--refuse-multiple-hands", action="store_true",
                   help="refuse photos with several similar hands instead of taking the clearest")
    t.add_argument("--refine-lighting", type=int, default=None, metavar="N",
                   help="iterations of the differentiable lighting refinement (0 = off; default: its own)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--out", default="tryon.png", help="output image (.png, .jpg, .webp); default tryon.png")
    t.add_argument("--mask", default=None, help="also write the piece's alpha as an 8-bit PNG")
    t.add_argument("--report", default=None, help="also write the report as JSON")

    pl = sub.add_parser("pieces", help="list the catalog")
    pl.add_argument("--json", action="store_true", help="machine-readable output")

    mt = sub.add_parser("materials", help="list the metals (with their optical sources) and finishes")
    mt.add_argument("--json", action="store_true", help="machine-readable output")

    lt = sub.add_parser("lighting", help="estimate the lighting of a hand photo and write the environment map")
    lt.add_argument("photo")
    lt.add_argument("--out", required=True, help="environment map (.exr or .hdr)")
    lt.add_argument("--method", default="photo_fit")
    lt.add_argument("--refine-lighting", type=int, default=None, metavar="N",
                    help="iterations of the differentiable refinement (0 = off; default: its own)")
    lt.add_argument("--finger", default="ring", choices=["thumb", "index", "middle", "ring", "little"])

    sub.add_parser("doctor", help="show the render backends this machine offers")
    return p


def _cmd_try_on(a) -> int:
    from pathlib import Path

    from .pipeline import try_on

    for opt in (a.out, a.mask, a.report):
        if opt is not None and not Path(opt).resolve().parent.is_dir():
            raise InvalidOptionError(f"output folder does not exist: {Path(opt).parent}")
    if Path(a.out).suffix.lower() not in (".png", ".jpg", ".jpeg", ".webp"):
        raise InvalidOptionError(f"--out must end in .png, .jpg or .webp, got {a.out!r}")
    if a.mask is not None and Path(a.mask).suffix.lower() != ".png":
        raise InvalidOptionError("--mask must be a .png file")
    res = try_on(a.photo, a.piece, finger=a.finger, hand=a.hand, position=a.position, quality=a.quality,
                 lighting=a.lighting, focal_35mm=a.focal_35mm, metal=a.metal, finish=a.finish, seed=a.seed,
                 refine_lighting=True if a.refine_lighting is None else a.refine_lighting,
                 min_quality=a.min_quality, refuse_multiple_hands=a.refuse_multiple_hands)
    res.save(a.out, mask_path=a.mask, report_path=a.report)
    pl = res.report["placement"]
    print(f"wrote {a.out}: {res.report['piece']['id']} on the {pl['hand']} {pl['finger']} finger, "
          f"inner diameter {pl['inner_diameter_mm']:.1f} mm (US {pl['ring_size_us']:g}, "
          f"{pl['ring_size']['interval'][0]:g}-{pl['ring_size']['interval'][1]:g} from {pl['ring_size']['size_source']}), "
          f"quality {res.report['score']['score']:.2f}, {res.report['timings']['total']:.1f} s on {res.report['backend']}")
    return 0


def _cmd_pieces(a) -> int:
    from .catalog import list_pieces

    pieces = list_pieces()
    if a.json:
        print(json.dumps([p.to_report() for p in pieces], indent=2))
    else:
        width = max(len(p.id) for p in pieces)
        for p in pieces:
            print(f"{p.id:<{width}}  {p.label}")
    return 0


def _cmd_materials(a) -> int:
    from . import materials

    rows = materials.metal_rows()
    finishes = [{"id": f, "label": materials.FINISHES[f].label, "description": materials.FINISHES[f].description}
                for f in materials.list_finishes()]
    if a.json:
        print(json.dumps({"metals": rows, "finishes": finishes}, indent=2))
        return 0
    width = max(len(r["id"]) for r in rows)
    print("metals (CIELAB D65 at normal incidence, from the optical data):")
    for r in rows:
        print(f"  {r['id']:<{width}}  {r['lab']:<20}  {r['model']:<8}  {r['source']}")
    print("finishes:")
    for f in finishes:
        print(f"  {f['id']:<{width}}  {f['label']}")
    return 0


def _cmd_lighting(a) -> int:
    from pathlib import Path

    from .camera import camera_from_photo
    from .errors import HandNotFoundError
    from .landmarks import detect_hands
    from .lighting import estimate_lighting
    from .photo import load_photo
    from .placement import place_ring

    if Path(a.out).suffix.lower() not in (".exr", ".hdr"):
        raise InvalidOptionError("--out must end in .exr or .hdr")
    photo = load_photo(a.photo)
    hands = detect_hands(photo)
    if not hands:
        raise HandNotFoundError("no hand found in the photo")
    cam = camera_from_photo(photo)
    placement = place_ring(photo, hands[0], cam, finger=a.finger)
    light = estimate_lighting(photo, cam, placement, method=a.method, env_height=128,
                              refine=True if a.refine_lighting is None else a.refine_lighting)
    light.env.save(a.out)
    print(json.dumps(light.to_report(), indent=2))
    return 0


def _cmd_doctor(a) -> int:
    from . import backend

    info = backend.capabilities()
    try:
        info["selected"] = backend.select()
    except JewelrenderError as exc:
        info["error"] = exc.to_dict()
    print(json.dumps(info, indent=2))
    return 0 if info.get("selected") else 3


def main(argv=None) -> int:
    try:
        parser = build_parser()
        a = parser.parse_args(argv)
        if a.command is None:
            parser.print_help()
            return 2
        handler = {"try-on": _cmd_try_on, "pieces": _cmd_pieces, "materials": _cmd_materials,
                   "lighting": _cmd_lighting, "doctor": _cmd_doctor}
        return handler[a.command](a)
    except InputError as exc:
        print(f"error: {exc.code}: {_one_line(exc.message)}", file=sys.stderr)
        return 2
    except JewelrenderError as exc:
        print(f"error: {exc.code}: {_one_line(exc.message)}", file=sys.stderr)
        return 3 if exc.code == "BACKEND_UNAVAILABLE" else 1
    except KeyboardInterrupt:
        print("error: INTERRUPTED: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: still one line, never a traceback for a customer
        print(f"error: INTERNAL_ERROR: {type(exc).__name__}: {_one_line(str(exc))}", file=sys.stderr)
        return 1


def _one_line(msg: str) -> str:
    return " ".join(str(msg).split())


if __name__ == "__main__":
    sys.exit(main())
