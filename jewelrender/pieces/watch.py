"""Wrist watches: case, crown, lugs, a flat sapphire crystal over a printed dial with hands, and a strap.

Piece frame as for bangles (:mod:`jewelrender.pieces.bangle`): millimetres,
origin on the forearm's axis at the placement's position, +Z along the forearm
towards the hand, +Y towards the back of the wrist, +X across it.

Where it sits: the case back rests on the top of the wrist (the proxy's top, y
= b) and the case's hand-side edge is at the placement's position (just above
the wrist bone), so the watch lies on the forearm side of it.

Which way it reads: the 12-6 axis runs across the forearm (the strap leaves the
lugs at 12 and 6 and goes around the wrist); 12 o'clock points to the
little-finger (ulnar) side, which is away from the wearer when they raise the
arm to read it; 3 o'clock is then towards the hand on a left wrist and towards
the elbow on a right one (how a standard watch is worn on either wrist).

Parts and materials (:func:`materials`):

* ``case``, ``caseback``, ``crown``, ``lug_*``: the piece's metal (spectral preset).
* ``crystal``: a flat sapphire disc (dielectric, n = 1.77; Al2O3 ordinary index
  at 589 nm, Malitson 1962) over the dial: it reflects ~8 % and shows the dial.
* ``dial``: a lacquered disc (rough plastic: a clear coat over a diffuse
  colour) whose colour is a printed texture: hour batons (double at 12) and a
  minute track, made here at :data:`DIAL_TEXTURE_PX`.
* ``hands``: hour, minute and seconds hands standing over the dial (painted:
  diffuse), set to 10:10:30, the watchmaker's display time.
* ``strap``: leather (rough dielectric coat over its dyed colour, Mitsuba's
  ``roughplastic``), from under the case's rim between the lugs (the spring
  bar) around the wrist to the other side: straight past the lug to where it
  meets the wrist proxy, then along it.

Catalog schema::

    kind  = "watch"
    band  = { width_mm = 20, thickness_mm = 3.5 }                   # the strap
    case  = { diameter_mm = 40, thickness_mm = 11 }
    dial  = { colour = [r, g, b], print = [r, g, b], hands = [r, g, b] }  # linear reflectances
    strap = { colour = [r, g, b] }
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ..errors import CatalogError
from ..geometry import assets
from ..geometry.assets import MeshPart
from .fields import number as _num

__all__ = ["KINDS", "TABLES", "parse", "parts", "materials", "dial_texture", "dial_axes", "DIAL_TEXTURE_PX",
           "SAPPHIRE_IOR", "DISPLAY_TIME"]

KINDS = ("watch",)
#: Catalog tables a watch has beyond ``band`` (the strap's size).
TABLES = ("case", "dial", "strap")
#: Sapphire's ordinary index at 589 nm (Malitson 1962); a watch crystal is c-cut, so this is what a
#: ray at normal incidence sees (birefringence 0.008 is invisible in a flat plate).
SAPPHIRE_IOR = 1.768
#: Hours, minutes, seconds the hands show: 10:10 frames the maker's name and leaves the indices readable.
DISPLAY_TIME = (10, 10, 30)
#: The dial texture's side (pixels): a 38 mm dial at final quality spans at most a few hundred photo pixels.
DIAL_TEXTURE_PX = 1024
#: The strap stands this far off the skin (mm): leather does not press into the wrist.
_STRAP_CLEARANCE_MM = 0.3
#: The lugs reach this far beyond the case (mm): lug-to-lug = diameter + 2 x this.
_LUG_REACH_MM = 4.5


def _rgb(where, table, key, default):
    v = table.get(key, default)
    if (not isinstance(v, list) or len(v) != 3
            or not all(isinstance(x, (int, float)) and not isinstance(x, bool) and 0 <= x <= 1 for x in v)):
        raise CatalogError(f"{where}: {key} must be [r, g, b] reflectances in [0, 1], got {v!r}")
    return [float(x) for x in v]


def parse(where: str, raw: dict) -> dict:
    """Check a watch entry; returns ``{"band": strap size, "design": {"case", "dial", "strap"}}``."""
    for key in ("stone", "setting", "accent"):
        if raw.get(key) is not None:
            raise CatalogError(f"{where}: a watch has no {key!r} table")
    tables = {}
    for key, allowed in (("band", ("width_mm", "thickness_mm")), ("case", ("diameter_mm", "thickness_mm")),
                         ("dial", ("colour", "print", "hands")), ("strap", ("colour",))):
        t = raw.get(key, {})
        if not isinstance(t, dict):
            raise CatalogError(f"{where}: {key!r} must be a table")
        unknown = set(t) - set(allowed)
        if unknown:
            raise CatalogError(f"{where}: unknown {key} key(s) {', '.join(sorted(unknown))}; valid: {', '.join(allowed)}")
        tables[key] = t
    band = {"width_mm": _num(where, tables["band"], "width_mm", 10.0, 26.0, 20.0),
            "thickness_mm": _num(where, tables["band"], "thickness_mm", 1.5, 6.0, 3.5)}
    case = {"diameter_mm": _num(where, tables["case"], "diameter_mm", 26.0, 48.0, 40.0),
            "thickness_mm": _num(where, tables["case"], "thickness_mm", 6.0, 18.0, 11.0)}
    if band["width_mm"] > case["diameter_mm"] - 8.0:
        raise CatalogError(f"{where}: the strap must be at least 8 mm narrower than the case (its lugs sit outside it)")
    dial = {"colour": _rgb(where, tables["dial"], "colour", [0.8, 0.8, 0.78]),
            "print": _rgb(where, tables["dial"], "print", [0.02, 0.02, 0.02]),
            "hands": _rgb(where, tables["dial"], "hands", [0.02, 0.02, 0.02])}
    strap = {"colour": _rgb(where, tables["strap"], "colour", [0.03, 0.025, 0.02])}
    return {"band": band, "design": {"case": case, "dial": dial, "strap": strap}}


def dial_axes(fit) -> tuple[np.ndarray, np.ndarray]:
    """The 12 o'clock and 3 o'clock directions in the piece frame (unit vectors across and along the forearm)."""
    twelve = np.array([-float(fit.radial_x), 0.0, 0.0])   # the little-finger (ulnar) side
    three = np.cross(twelve, [0.0, 1.0, 0.0])             # clockwise seen from outside (+Y)
    return twelve, three


@lru_cache(maxsize=8)
def dial_texture(colour: tuple, print_: tuple, size: int = DIAL_TEXTURE_PX) -> np.ndarray:
    """The dial's printed face, (size, size, 3) float32 linear reflectance; 12 o'clock at the top row.

    Hour batons (doubled at 12) and a minute track in ``print_`` on ``colour``,
    drawn at 4x and averaged down (anti-aliased print edges).
    """
    from PIL import Image, ImageDraw

    s = 4 * size
    img = Image.new("L", (s, s), 0)
    d = ImageDraw.Draw(img)
    c = s / 2
    R = 0.5 * s

    def bar(angle, r0, r1, w):
        ca, sa = math.sin(angle), -math.cos(angle)   # angle clockwise from 12 (top)
        px, py = -sa, ca
        pts = [(c + ca * r0 + px * w / 2, c + sa * r0 + py * w / 2), (c + ca * r1 + px * w / 2, c + sa * r1 + py * w / 2),
               (c + ca * r1 - px * w / 2, c + sa * r1 - py * w / 2), (c + ca * r0 - px * w / 2, c + sa * r0 - py * w / 2)]
        d.polygon(pts, fill=255)

    for m in range(60):  # the minute track
        a = 2 * math.pi * m / 60
        bar(a, 0.90 * R, 0.97 * R, 0.006 * s if m % 5 else 0.0)
    d.ellipse([c - 0.97 * R, c - 0.97 * R, c + 0.97 * R, c + 0.97 * R], outline=255, width=max(1, int(0.004 * s)))
    d.ellipse([c - 0.90 * R, c - 0.90 * R, c + 0.90 * R, c + 0.90 * R], outline=255, width=max(1, int(0.003 * s)))
    for h in range(12):  # hour batons
        a = 2 * math.pi * h / 12
        if h == 0:
            for off in (-0.035, 0.035):
                ca, sa = math.sin(a), -math.cos(a)
                x0 = c + off * s
                d.rectangle([x0 - 0.012 * s, c - 0.86 * R, x0 + 0.012 * s, c - 0.66 * R], fill=255)
        else:
            bar(a, 0.68 * R, 0.86 * R, 0.028 * s)
    ink = np.asarray(img.resize((size, size), Image.BOX), dtype=np.float32)[..., None] / 255.0
    out = np.asarray(colour, np.float32) * (1.0 - ink) + np.asarray(print_, np.float32) * ink
    return np.ascontiguousarray(out, dtype=np.float32)


def _cylinder_y(radius: float, y0: float, y1: float, name: str, role: str, *, sections: int = 96,
                uv_radius: float | None = None, R=None) -> MeshPart:
    """A closed cylinder about the Y axis from y0 to y1, flat-shaded caps and smooth sides.

    With ``uv_radius`` the top cap carries planar texture coordinates: u along the
    local +z (3 o'clock), v down from the local +x (12 o'clock at v = 0).
    """
    t = 2 * np.pi * np.arange(sections) / sections
    ring = np.column_stack([np.cos(t), np.zeros_like(t), np.sin(t)]) * radius
    vs, fs, ns = [], [], []
    # sides: own vertices with radial normals
    bot, top = ring + [0, y0, 0], ring + [0, y1, 0]
    v = np.vstack([bot, top])
    n = np.vstack([ring / radius, ring / radius])
    i = np.arange(sections)
    j = (i + 1) % sections
    f = np.concatenate([np.stack([i, sections + j, j], 1), np.stack([i, sections + i, sections + j], 1)])
    vs.append(v); fs.append(f); ns.append(n)
    off = len(v)
    for y, sign in ((y1, 1.0), (y0, -1.0)):
        cap = np.vstack([[0, y, 0], ring + [0, y, 0]])
        cf = np.stack([np.zeros(sections, int), 1 + j, 1 + i], 1) if sign > 0 else np.stack([np.zeros(sections, int), 1 + i, 1 + j], 1)
        vs.append(cap); fs.append(cf + off); ns.append(np.tile([0, sign, 0], (len(cap), 1)))
        off += len(cap)
    V, F, N = np.vstack(vs), np.vstack(fs), np.vstack(ns)
    F = assets.orient_outward(V, F)
    uv = None
    if uv_radius is not None:
        uv = np.column_stack([0.5 + V[:, 2] / (2 * uv_radius), 0.5 - V[:, 0] / (2 * uv_radius)])
        uv = np.clip(uv, 0.0, 1.0)
    return MeshPart(name, role, V, F, N, uv)


def _revolve_y(profile: np.ndarray, name: str, *, sections: int = 128) -> MeshPart:
    """A closed ring solid: the closed (r, y) polygon ``profile`` revolved about Y (flat shaded along it)."""
    P = np.asarray(profile, float)
    m = len(P)
    t = 2 * np.pi * np.arange(sections) / sections
    V = np.array([[r * math.cos(a), y, r * math.sin(a)] for a in t for r, y in P])
    k, i = np.meshgrid(np.arange(sections), np.arange(m), indexing="ij")
    k, i = k.ravel(), i.ravel()
    a = k * m + i
    b = k * m + (i + 1) % m
    c = ((k + 1) % sections) * m + (i + 1) % m
    d = ((k + 1) % sections) * m + i
    F = np.concatenate([np.stack([a, b, c], 1), np.stack([a, c, d], 1)])
    F = assets.orient_outward(V, F)
    part = MeshPart(name, "metal", V, F)
    return assets.with_face_normals(part)


def _box_part(center, size, rot_y: float, name: str, role: str) -> MeshPart:
    import trimesh

    b = trimesh.creation.box(extents=size)
    M = trimesh.transformations.rotation_matrix(rot_y, [0, 1, 0])
    M[:3, 3] = center
    b.apply_transform(M)
    return assets.with_face_normals(MeshPart(name, role, b.vertices, b.faces))


def _strap_path(fit, lug_x: float, lug_y: float, clearance: float, start_x: float) -> np.ndarray:
    """The strap's mid-line in the XY plane, from under one side of the case around the palm side to the other.

    From ``start_x`` under the case's rim (where the spring bar holds a real strap: no skin shows between
    the lugs) out to the lug's end, straight on to its tangent on the wrist proxy (two circles of
    radius b at x = +-offset and the straight between them below), then along the
    proxy, offset by ``clearance``.
    """
    off, r = fit.forearm_stadium_mm()
    rr = r + clearance
    C = np.array([off, 0.0])
    P = np.array([lug_x, lug_y])
    dvec = P - C
    dist = float(np.linalg.norm(dvec))
    beta = math.atan2(dvec[1], dvec[0])
    alpha = math.acos(min(1.0, rr / max(dist, rr)))
    th = beta - alpha  # the lower tangent point on the +x circle
    tang = C + rr * np.array([math.cos(th), math.sin(th)])
    line = np.vstack([np.linspace([start_x, lug_y], P, 6)[:-1], np.linspace(P, tang, 12)])
    arc_t = np.linspace(th, -math.pi / 2, max(8, int(abs(th + math.pi / 2) / math.radians(3))))
    arc = C + rr * np.column_stack([np.cos(arc_t), np.sin(arc_t)])
    bottom = np.linspace([off, -rr], [-off, -rr], max(3, int(off) + 3))
    right = np.vstack([line, arc[1:]])
    left = right[::-1] * [-1.0, 1.0]
    return np.vstack([right, bottom[1:-1], left])


def _strap(path_xy: np.ndarray, width: float, thickness: float, name: str = "strap") -> MeshPart:
    """A flat strap of ``width`` (along Z) and ``thickness`` swept along ``path_xy`` (its mid-line), closed."""
    p = np.asarray(path_xy, float)
    tng = np.gradient(p, axis=0)
    tng /= np.linalg.norm(tng, axis=1, keepdims=True)
    # the path runs from +x over the palm side (-y) to -x (clockwise seen from +Z): outward is left of travel
    nrm = np.column_stack([-tng[:, 1], tng[:, 0]])
    h, w = thickness / 2, width / 2
    corners = [(+h, +w), (+h, -w), (-h, -w), (-h, +w)]  # (outward, z)
    K = len(p)
    V, N, F = [], [], []
    # each of the 4 faces has its own vertices (sharp edges between faces)
    for fi in range(4):
        (o0, z0), (o1, z1) = corners[fi], corners[(fi + 1) % 4]
        base = sum(len(x) for x in V)
        fn = None
        for (o, z) in ((o0, z0), (o1, z1)):
            xy = p + o * nrm
            V.append(np.column_stack([xy, np.full(K, z)]))
        mid_o, mid_z = (o0 + o1) / 2, (z0 + z1) / 2
        if abs(mid_z) < 1e-9:  # outer or inner face
            fn = np.column_stack([np.sign(mid_o) * nrm, np.zeros(K)])
        else:
            fn = np.tile([0.0, 0.0, math.copysign(1.0, mid_z)], (K, 1))
        N.extend([fn, fn])
        i = np.arange(K - 1)
        a, b = base + i, base + K + i
        F.append(np.stack([a, a + 1, b + 1], 1))
        F.append(np.stack([a, b + 1, b], 1))
    V = np.vstack(V)
    N = np.vstack(N)
    # end caps
    caps_v, caps_f, caps_n = [], [], []
    off = len(V)
    for idx, sgn in ((0, -1.0), (K - 1, 1.0)):
        quad = np.array([[*(p[idx] + o * nrm[idx]), z] for o, z in corners])
        caps_v.append(quad)
        caps_f.append(np.array([[0, 1, 2], [0, 2, 3]]) + off)
        caps_n.append(np.tile([*(sgn * tng[idx]), 0.0], (4, 1)))
        off += 4
    V = np.vstack([V, *caps_v])
    N = np.vstack([N, *caps_n])
    F = np.vstack([*F, *caps_f])
    F = assets.orient_outward(V, F)
    return MeshPart(name, "other", V, F, N)


def parts(piece, fit) -> list[MeshPart]:
    """The watch's meshes (piece frame, mm), on the wrist the site measured."""
    case, strap_w, strap_t = piece.design["case"], piece.band["width_mm"], piece.band["thickness_mm"]
    R, H = case["diameter_mm"] / 2.0, case["thickness_mm"]
    Ri = R - 2.8                     # the bezel's opening
    yb = 0.0                         # local: the case back at y = 0, the dial ~ 4.5 mm below the case's top
    yd = H - 4.5
    local = []
    profile = [(Ri, 1.0), (R - 1.5, 0.0), (R, 1.2), (R, H - 2.6), (R - 0.6, H - 1.6), (Ri + 0.6, H - 1.3),
               (Ri, H - 1.9)]
    local.append(_revolve_y(profile, "case"))
    local.append(_cylinder_y(Ri + 0.4, 0.2, 1.4, "caseback", "metal"))
    dial = _cylinder_y(Ri + 0.3, yd - 0.8, yd, "dial", "other", uv_radius=Ri + 0.3)
    local.append(dial)
    local.append(_cylinder_y(Ri + 0.45, H - 3.2, H - 1.8, "crystal", "other", sections=128))
    # hands at 10:10:30: (length, width, height above the dial)
    hh, mm, ss = DISPLAY_TIME
    hands = []
    for name, ang, length, width, dy in (("hour", 2 * math.pi * ((hh % 12) + mm / 60) / 12, 0.52 * Ri, 1.5, 0.25),
                                         ("minute", 2 * math.pi * (mm + ss / 60) / 60, 0.82 * Ri, 1.0, 0.55),
                                         ("second", 2 * math.pi * ss / 60, 0.9 * Ri, 0.3, 0.85)):
        # a hand from a short tail through the centre to its tip, pointing at 'ang' clockwise from 12 (+x local)
        dirx, dirz = math.cos(ang), math.sin(ang)
        centre = np.array([dirx, 0.0, dirz]) * (length - 0.25 * length) / 2
        hands.append(_box_part(centre + [0, yd + dy, 0], (1.25 * length, 0.18, width), -ang, f"hand_{name}", "other"))
    hands.append(_cylinder_y(1.3, yd, yd + 1.05, "hand_cap", "other", sections=32))
    local.append(assets.merge_parts(hands, "hands"))
    # crown at 3 o'clock (local +z)
    crown_y = 0.45 * H
    crown = _cylinder_y(2.2, 0.0, 2.6, "crown", "metal", sections=24)
    Mc = np.array([[1, 0, 0, 0], [0, 0, -1, crown_y], [0, 1, 0, R - 0.3], [0, 0, 0, 1.0]])  # its Y axis -> local +z
    local.append(assets.transform(crown, Mc))
    # the watch in the piece frame: 12 o'clock across the forearm, the case back on the wrist's top
    twelve, three = dial_axes(fit)
    y_back = fit.wrist_b_mm + 0.3
    z_centre = -(R + 1.0)  # the hand-side edge at the placement's position, the case towards the elbow
    M = np.eye(4)
    M[:3, 0], M[:3, 1], M[:3, 2] = twelve, [0.0, 1.0, 0.0], three
    M[:3, 3] = [0.0, y_back, z_centre]
    out = [assets.transform(p, M) for p in local]
    # lugs: from the case's flank at 12 and 6 down to the strap's ends (piece frame)
    lug_x, lug_y = R + _LUG_REACH_MM, y_back + 1.6
    zl = strap_w / 2 + 1.0
    lugs = []
    for sx in (1.0, -1.0):
        for sz in (1.0, -1.0):
            ctrl = np.array([[sx * (R - 2.0), y_back + 0.55 * H, z_centre + sz * zl],
                             [sx * (R + 1.5), y_back + 0.45 * H, z_centre + sz * zl],
                             [sx * lug_x, lug_y, z_centre + sz * zl]])
            path = assets.rounded_polyline(ctrl, 3.0, max_len=0.5)
            lugs.append(assets.tube(path, 1.1, sides=12, name="lug"))
    out.append(assets.merge_parts(lugs, "lugs"))
    path = _strap_path(fit, lug_x - 0.8, lug_y - 0.3, _STRAP_CLEARANCE_MM + strap_t / 2, start_x=R - 1.0)
    strap = _strap(path, strap_w, strap_t)
    out.append(assets.translate(strap, (0.0, 0.0, z_centre)))
    return out


def materials(piece) -> dict:
    """``{part name: {"bsdf", "interior"}}`` for the non-metal parts (the scene's ``part_materials``)."""
    d = piece.design
    tex = dial_texture(tuple(d["dial"]["colour"]), tuple(d["dial"]["print"]))
    lacquer = {"type": "roughplastic", "distribution": "ggx", "alpha": 0.08, "int_ior": 1.5,
               "diffuse_reflectance": {"type": "bitmap", "data": tex, "filter_type": "bilinear",
                                       "wrap_mode": "clamp"}}
    paint = {"type": "roughplastic", "distribution": "ggx", "alpha": 0.25, "int_ior": 1.5,
             "diffuse_reflectance": {"type": "rgb", "value": list(d["dial"]["hands"])}}
    leather = {"type": "roughplastic", "distribution": "beckmann", "alpha": 0.35, "int_ior": 1.5,
               "diffuse_reflectance": {"type": "rgb", "value": list(d["strap"]["colour"])}}
    crystal = {"type": "dielectric", "int_ior": SAPPHIRE_IOR, "ext_ior": 1.0}
    return {name: {"bsdf": bsdf, "interior": None}
            for name, bsdf in (("dial", lacquer), ("hands", paint), ("strap", leather), ("crystal", crystal))}
