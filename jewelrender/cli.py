"""Command line: ``jewelrender try-on | compare | pieces | gems | cuts | settings | materials | match-material | lighting | export | doctor | samples | demo | serve | batch``.

Exit status: 0 success; 2 bad input or options (``error: CODE: message`` on one
line of stderr, nothing written); 3 the machine cannot render (backend missing) or an
optional extra is not installed (``MISSING_DEPENDENCY``);
1 an internal failure (a bug: the same one-line form, code ``INTERNAL_ERROR``).
"""

from __future__ import annotations

import argparse
import json
import sys

from . import __version__
from .errors import InputError, InvalidOptionError, JewelrenderError
from .landmarks.types import FINGER_NAMES
from .sites.ear import SIDE_CHOICES as EAR_SIDE_CHOICES
from .sites.hand import HAND_CHOICES
from .sites.ring import DEFAULT_POSITION

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


def _inches(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InvalidOptionError(f"--length-in must be a necklace length in inches (14-30), got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="jewelrender", description="Physically based jewelry try-on on a customer's photo.")
    p.add_argument("--version", action="version", version=f"jewelrender {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    t = sub.add_parser("try-on", help="render a piece onto a hand, wrist, neck or ear photo (the piece's site decides)")
    t.add_argument("photo", help="the photo: JPEG, PNG or WebP")
    t.add_argument("--piece", required=True,
                   help="catalog id (see 'jewelrender pieces') or a whole-piece file: .glb/.gltf/.obj/.stl/.ply")
    t.add_argument("--finger", default=None, choices=list(FINGER_NAMES),
                   help="a ring's finger (default ring); an error for a wrist piece")
    t.add_argument("--hand", "--wrist", dest="hand", default="auto", choices=list(HAND_CHOICES),
                   help="which hand (a ring) or wrist (a bangle); auto takes the clearest")
    t.add_argument("--side", default=None, choices=list(EAR_SIDE_CHOICES),
                   help="an earring's ear, the subject's own (default auto: every visible ear); an error otherwise")
    t.add_argument("--position", type=_fraction, default=None,
                   help=f"a ring: along the finger's first segment, 0 = knuckle, 1 = middle joint (default "
                        f"{DEFAULT_POSITION}); a wrist piece: along the forearm, 0 = wrist crease, 1 = 60 mm up")
    t.add_argument("--length-in", dest="length_in", type=_inches, default=None,
                   help="a necklace's length in inches, 14-30 (default 18: on the collarbone; 16 at the base of "
                        "the neck, 20 just below the collarbone, 24 mid-bust); only for neck pieces")
    t.add_argument("--quality", default="preview", choices=["preview", "final"])
    t.add_argument("--lighting", default="photo_fit", help="lighting method (default photo_fit)")
    t.add_argument("--metal", default=None, help="metal preset replacing the piece's own (see 'jewelrender materials'), "
                                                 "or a presets file (.toml, e.g. from 'jewelrender match-material')")
    t.add_argument("--finish", default=None, choices=["polished", "satin", "matte", "hammered"],
                   help="surface finish replacing the piece's own (default: the piece's, usually polished)")
    t.add_argument("--focal-35mm", type=float, default=None, help="override the 35 mm-equivalent focal length")
    t.add_argument("--min-quality", type=float, default=None,
                   help="refuse results whose quality score (0..1) is below this (default 0.55)")
    t.add_argument("--refuse-multiple-hands", action="store_true",
                   help="refuse photos with several similar hands instead of taking the clearest")
    t.add_argument("--refine-lighting", type=int, default=None, metavar="N",
                   help="iterations of the differentiable lighting refinement (0 = off; default: its own)")
    t.add_argument("--stone", default=None, metavar="GEM", help="centre stone's gem (see 'jewelrender gems')")
    t.add_argument("--cut", default=None, help="centre stone's cut (see 'jewelrender cuts')")
    t.add_argument("--carat", type=float, default=None, metavar="X", help="centre stone's weight, carats")
    t.add_argument("--setting", default=None, metavar="STYLE", help="setting style (see 'jewelrender settings')")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--out", default="tryon.png", help="output image (.png, .jpg, .webp); default tryon.png")
    t.add_argument("--mask", default=None, help="also write the piece's alpha as an 8-bit PNG")
    t.add_argument("--report", default=None, help="also write the report as JSON")

    c = sub.add_parser("compare", help="one piece in several metals on the same hand, with metal advice from the skin")
    c.add_argument("photo", help="the photo: JPEG, PNG or WebP")
    c.add_argument("--piece", required=True, help="catalog id (see 'jewelrender pieces')")
    c.add_argument("--metals", required=True,
                   help="comma-separated metal ids, e.g. yellow-gold-18k,white-gold-18k,rose-gold-18k")
    c.add_argument("--finger", default=None, choices=list(FINGER_NAMES),
                   help="a ring's finger (default ring); an error for a wrist piece")
    c.add_argument("--hand", "--wrist", dest="hand", default="auto", choices=list(HAND_CHOICES))
    c.add_argument("--position", type=_fraction, default=None,
                   help=f"as for try-on (a ring's default: {DEFAULT_POSITION})")
    c.add_argument("--quality", default="preview", choices=["preview", "final"])
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--out", default="compare.png", help="the grid (.png, .jpg, .webp); default compare.png")
    c.add_argument("--report", default=None, help="also write the comparison's report as JSON")

    pl = sub.add_parser("pieces", help="list the catalog")
    pl.add_argument("--json", action="store_true", help="machine-readable output")

    for name, what in (("gems", "the stones --stone takes: index, dispersion (fire) and colour"),
                       ("cuts", "the cuts --cut takes: facets, length/width, table, angles, size of 1 ct"),
                       ("settings", "the setting styles --setting takes")):
        sp = sub.add_parser(name, help=f"list {what}")
        sp.add_argument("--json", action="store_true", help="machine-readable output")

    mt = sub.add_parser("materials", help="list the metals (with their optical sources) and finishes")
    mt.add_argument("--json", action="store_true", help="machine-readable output")

    mm = sub.add_parser("match-material", help="fit a piece's metal (colour, roughness) and studio lights to a "
                                               "product photo by differentiable rendering; write a --metal preset")
    mm.add_argument("photo", help="product shot of the piece on white or a plain backdrop (JPEG/PNG/WebP)")
    mm.add_argument("--piece", required=True, help="the piece in the photo: a catalog id (see 'jewelrender pieces') or "
                                                 "a whole-piece file (.glb/.gltf/.obj/.stl/.ply)")
    mm.add_argument("--out", default=None, help="preset file to write (.toml); use it as 'try-on --metal FILE'")
    mm.add_argument("--name", default=None, help="preset id (default: BASE-matched-PHOTO)")
    mm.add_argument("--metal", default=None, help="preset to start from (default: the nearest in colour)")
    mm.add_argument("--preview", default=None, help="PNG: photo | before | after")
    mm.add_argument("--report", default=None, help="JSON report of the fit")
    mm.add_argument("--size", type=int, default=128, help="fit resolution, px (default 128)")
    mm.add_argument("--iterations", type=int, default=40, help="Adam steps (default 40)")
    mm.add_argument("--spp", type=int, default=8, help="samples per pixel while fitting (default 8)")

    lt = sub.add_parser("lighting", help="estimate the lighting of a hand photo and write the environment map")
    lt.add_argument("photo")
    lt.add_argument("--out", required=True, help="environment map (.exr or .hdr)")
    lt.add_argument("--method", default="photo_fit")
    lt.add_argument("--refine-lighting", type=int, default=None, metavar="N",
                    help="iterations of the differentiable refinement (0 = off; default: its own)")
    lt.add_argument("--finger", default="ring", choices=list(FINGER_NAMES))

    ex = sub.add_parser("export", help="write a piece as glTF 2.0 (.glb/.gltf, metres) for CAD, Blender, three.js")
    ex.add_argument("piece", help="catalog id (see 'jewelrender pieces')")
    ex.add_argument("--out", required=True, help="output file, .glb (binary) or .gltf (JSON, buffer embedded)")
    ex.add_argument("--metal", default=None, help="metal preset replacing the piece's own")
    ex.add_argument("--inner-diameter", type=float, default=None, metavar="MM",
                    help="finger size the ring is generated for (default 17.35 mm, US 7)")

    sub.add_parser("doctor", help="show the render backends this machine offers")
    _add_sample_commands(sub)

    sv = sub.add_parser("serve", help="run the web service and the try-on page (needs the 'service' extra)")
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sv.add_argument("--port", type=int, default=8000, help="port (default 8000)")

    bt = sub.add_parser("batch", help="render every photo x piece into a folder (local or on a Ray cluster)")
    bt.add_argument("--photos", required=True, help="folder of photos (JPEG, PNG, WebP)")
    bt.add_argument("--pieces", required=True, help="comma-separated catalog ids")
    bt.add_argument("--out", required=True, help="output folder (created); results.jsonl lists every job")
    bt.add_argument("--quality", default="preview", choices=["preview", "final"])
    bt.add_argument("--finger", default=None, choices=list(FINGER_NAMES),
                    help="a ring's finger (default ring); leave it out for wrist pieces")
    bt.add_argument("--engine", default="local", choices=["local", "ray"])
    bt.add_argument("--ray-address", default=None, help="a running Ray cluster (default: start a local one)")
    bt.add_argument("--actors", type=int, default=None,
                    help="Ray actors, each with a warm renderer (default: one per GPU, else one per 2 CPUs)")
    return p


def _add_sample_commands(sub) -> None:
    """``samples`` and ``demo``: the bundled sample photos (jewelrender.samples, jewelrender.demo)."""
    sp = sub.add_parser("samples", help="list the sample photos bundled with the package (use as sample:NAME)")
    sp.add_argument("--json", action="store_true", help="machine-readable output")

    d = sub.add_parser("demo", help="render a try-on on a bundled sample photo (no photo of your own needed)")
    d.add_argument("--site", default=None, help="body site: hand, wrist, neck or ear (default: hand, or the piece's)")
    d.add_argument("--piece", default=None, help="catalog id (default: a typical piece for the site)")
    d.add_argument("--quality", default="preview", choices=["preview", "final"])
    d.add_argument("--out", default="demo.png", help="output image (.png, .jpg, .webp); default demo.png")
    d.add_argument("--mask", default=None, help="also write the piece's alpha as an 8-bit PNG")
    d.add_argument("--report", default=None, help="also write the report as JSON")


def _check_outputs(out, mask=None, report=None) -> None:
    """Refuse bad output paths before any render time is spent."""
    from pathlib import Path

    for opt in (out, mask, report):
        if opt is not None and not Path(opt).resolve().parent.is_dir():
            raise InvalidOptionError(f"output folder does not exist: {Path(opt).parent}")
    if Path(out).suffix.lower() not in (".png", ".jpg", ".jpeg", ".webp"):
        raise InvalidOptionError(f"--out must end in .png, .jpg or .webp, got {out!r}")
    if mask is not None and Path(mask).suffix.lower() != ".png":
        raise InvalidOptionError("--mask must be a .png file")


def _cmd_try_on(a) -> int:
    from .pipeline import try_on

    _check_outputs(a.out, a.mask, a.report)
    res = try_on(a.photo, a.piece, finger=a.finger, hand=a.hand, position=a.position, side=a.side,
                 length_in=a.length_in, quality=a.quality,
                 lighting=a.lighting, focal_35mm=a.focal_35mm, metal=a.metal, finish=a.finish, seed=a.seed,
                 refine_lighting=True if a.refine_lighting is None else a.refine_lighting,
                 min_quality=a.min_quality, refuse_multiple_hands=a.refuse_multiple_hands,
                 stone=a.stone, cut=a.cut, carat=a.carat, setting=a.setting)
    res.save(a.out, mask_path=a.mask, report_path=a.report)
    pl = res.report["placement"]
    if pl["site"] == "ear":
        head = pl["head"]
        where = (f"on the {' and '.join(pl['sides'])} ear{'s' if len(pl['sides']) > 1 else ''} "
                 f"({head['mm_per_px']:.3f} mm/px from the iris, head yaw {head['yaw_deg']:.0f} deg"
                 + "".join(f"; {s} ear hidden: {why}" for s, why in pl["hidden_ears"].items()) + ")")
        sz = res.report["piece"].get("sizes_mm") or {}
        if sz:
            where += (f", earring {sz['width_mm']:.1f} mm wide, hanging {sz['hangs_below_piercing_mm']:.1f} mm below "
                      "the piercing")
    elif pl["site"] == "neck":
        where = (f"around the neck, {pl['length_in']:g} in ({pl['length_mm']:.0f} mm), neck {pl['neck_width_mm']:.0f} mm "
                 f"wide ({pl['neck_width_source']})")
    elif pl["site"] == "wrist":
        where = (f"on the {pl['hand']} wrist, wrist {pl['wrist_circumference_cm']:.1f} cm "
                 f"(bracelet {pl['bracelet_length_cm']:g} cm, bangle {pl['bangle_inner_diameter_mm']:.0f} mm)")
    else:
        rs = pl["ring_size"]
        where = (f"on the {pl['hand']} {pl['finger']} finger, inner diameter {pl['inner_diameter_mm']:.1f} mm "
                 f"(US {pl['ring_size_us']:g}, {rs['interval'][0]:g}-{rs['interval'][1]:g} from {rs['size_source']})")
    print(f"wrote {a.out}: {res.report['piece']['id']} {where}, "
          f"quality {res.report['score']['score']:.2f}, {res.report['timings']['total']:.1f} s on {res.report['backend']}")
    for w in pl.get("warnings", ()):  # a site's notes on the photo (the neck: a necklace it already wears)
        print(f"warning: {w}", file=sys.stderr)
    return 0


def _cmd_compare(a) -> int:
    from pathlib import Path

    from .compare import advice_lines, compare_metals

    for opt in (a.out, a.report):
        if opt is not None and not Path(opt).resolve().parent.is_dir():
            raise InvalidOptionError(f"output folder does not exist: {Path(opt).parent}")
    if Path(a.out).suffix.lower() not in (".png", ".jpg", ".jpeg", ".webp"):
        raise InvalidOptionError(f"--out must end in .png, .jpg or .webp, got {a.out!r}")
    res = compare_metals(a.photo, a.piece, a.metals, finger=a.finger, hand=a.hand, position=a.position,
                         quality=a.quality, seed=a.seed)
    res.save(a.out, report_path=a.report)
    scores = ", ".join(f"{m} {s:.2f}" for m, s in res.report["scores"].items())
    print(f"wrote {a.out}: {res.report['piece']} in {len(res.report['metals'])} metals (quality {scores}), "
          f"{res.report['timings']['total']:.1f} s")
    print("\n".join(advice_lines(res.report["skin"])))
    return 0


def _cmd_pieces(a) -> int:
    from .library.catalog import list_pieces

    pieces = list_pieces()
    if a.json:
        print(json.dumps([p.to_report() for p in pieces], indent=2))
    else:
        width = max(len(p.id) for p in pieces)
        for p in pieces:
            print(f"{p.id:<{width}}  {p.label}")
    return 0


def _cmd_vocabulary(a) -> int:
    from . import compose

    rows = {"gems": compose.gem_rows, "cuts": compose.cut_rows, "settings": compose.setting_rows}[a.command]()
    if a.json:
        print(json.dumps(rows, indent=2))
        return 0
    width = max(len(r["id"]) for r in rows)
    for r in rows:
        if a.command == "gems":
            fire = "" if r["dispersion"] is None else f"dispersion {r['dispersion']:.3f}"
            print(f"{r['id']:<{width}}  {r['kind']:<10}  n {r['n_d']:.3f}  {fire:<17}  {r['colour']}")
        elif a.command == "cuts":
            l, w = r["size_1ct_mm"]
            table = "" if r["table"] is None else f"table {100 * r['table']:.0f} %"
            angles = "" if r["crown_angle_deg"] is None else \
                f"crown {r['crown_angle_deg']:g} / pavilion {r['pavilion_angle_deg']:g} deg"
            print(f"{r['id']:<{width}}  {r['facets']:>2} facets  L/W {r['ratio']:.2f}  1 ct diamond {l:.1f} x {w:.1f} mm"
                  f"  {table:<11}  {angles}")
        else:
            print(f"{r['id']:<{width}}  {r['description']}")
    return 0


def _cmd_materials(a) -> int:
    from .library import materials

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


def _cmd_match_material(a) -> int:
    from pathlib import Path

    from .matching import match_material

    if a.report is not None and Path(a.report).suffix.lower() != ".json":
        raise InvalidOptionError("--report must be a .json file")
    res = match_material(a.photo, a.piece, out=a.out, name=a.name, metal=a.metal, size=a.size,
                         iterations=a.iterations, spp=a.spp, preview=a.preview)
    if a.report is not None:
        from ._files import write_all

        rep = res.to_report()
        write_all([(Path(a.report), lambda tmp: Path(tmp).write_text(json.dumps(rep, indent=2)))])
    where = f"wrote {a.out} (preset {res.preset_id})" if a.out else "fitted (no --out: nothing written)"
    print(f"{where}: {a.piece} from {res.base_metal}, metal dE2000 {res.delta_e_before:.2f} -> "
          f"{res.delta_e_after:.2f} over {int(res.region.sum())} px, silhouette IoU {res.pose.iou:.2f}, "
          f"{res.seconds:.0f} s on {res.variant}")
    return 0


def _cmd_lighting(a) -> int:
    from pathlib import Path

    from .pipeline import Renderer

    if Path(a.out).suffix.lower() not in (".exr", ".hdr"):
        raise InvalidOptionError("--out must end in .exr or .hdr")
    # Stages 1-4 of a try-on, so the gate refuses what a try-on would and picks the same hand.
    with Renderer() as r:
        prep = r.prepare(a.photo, finger=a.finger, lighting=a.method, env_height=128,
                         refine_lighting=True if a.refine_lighting is None else a.refine_lighting)
    prep.lighting.env.save(a.out)
    print(json.dumps(prep.lighting.to_report(), indent=2))
    return 0


def _cmd_samples(a) -> int:
    from . import samples

    rows = [s.to_report() for s in samples.list()]
    if a.json:
        print(json.dumps(rows, indent=2))
        return 0
    width = max(len(r["ref"]) for r in rows)
    for r in rows:
        size = f"{r['width']}x{r['height']}"
        print(f"{r['ref']:<{width}}  {r['site']:<5}  {size:>9}  {r['licence']:<12}  {r['shows']}")
        print(f"{'':<{width}}  {r['attribution']}")
    return 0


def _cmd_demo(a) -> int:
    from .demo import plan, run_demo

    _check_outputs(a.out, a.mask, a.report)
    sample, piece = plan(a.site, a.piece)  # bad options fail here, before the render
    res, _ = run_demo(sample.site, piece, quality=a.quality)
    res.save(a.out, mask_path=a.mask, report_path=a.report)
    print(f"wrote {a.out}: {piece} on the bundled sample {sample.ref} ({res.report['quality']['name']} quality, "
          f"{res.report['timings']['total']:.1f} s on {res.report['backend']})")
    print(f"photo: {sample.adapted_attribution()}")
    print(f"try your own photo: jewelrender try-on PHOTO --piece {piece} --out tryon.png")
    return 0


def _cmd_export(a) -> int:
    from .gltf import DEFAULT_INNER_DIAMETER_MM, export_piece

    d = DEFAULT_INNER_DIAMETER_MM if a.inner_diameter is None else a.inner_diameter
    if not 10.0 <= d <= 30.0:
        raise InvalidOptionError(f"--inner-diameter must be 10-30 mm (ring sizes), got {d:g}")
    info = export_piece(a.piece, a.out, inner_diameter_mm=d, metal=a.metal)
    print(f"wrote {info['path']}: {len(info['parts'])} parts, {info['triangles']} triangles, "
          f"materials {', '.join(info['materials'])}")
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


def _cmd_serve(a) -> int:
    from .service import serve

    if not 0 < a.port < 65536:
        raise InvalidOptionError(f"--port must be 1..65535, got {a.port}")
    serve(a.host, a.port)
    return 0


def _cmd_batch(a) -> int:
    from .batch import run_batch

    summary = run_batch(a.photos, [p for p in a.pieces.split(",") if p.strip()], a.out, quality=a.quality,
                        finger=a.finger, engine=a.engine, ray_address=a.ray_address, actors=a.actors)
    print(json.dumps(summary))
    return 0


def main(argv=None) -> int:
    try:
        parser = build_parser()
        a = parser.parse_args(argv)
        if a.command is None:
            parser.print_help()
            return 2
        handler = {"try-on": _cmd_try_on, "compare": _cmd_compare, "pieces": _cmd_pieces, "materials": _cmd_materials,
                   "match-material": _cmd_match_material,
                   "lighting": _cmd_lighting, "export": _cmd_export, "gems": _cmd_vocabulary,
                   "cuts": _cmd_vocabulary, "settings": _cmd_vocabulary, "doctor": _cmd_doctor,
                   "samples": _cmd_samples, "demo": _cmd_demo, "serve": _cmd_serve, "batch": _cmd_batch}
        return handler[a.command](a)
    except InputError as exc:
        print(f"error: {exc.code}: {_one_line(exc.message)}", file=sys.stderr)
        return 2
    except JewelrenderError as exc:
        print(f"error: {exc.code}: {_one_line(exc.message)}", file=sys.stderr)
        return 3 if exc.code in ("BACKEND_UNAVAILABLE", "MISSING_DEPENDENCY") else 1
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
