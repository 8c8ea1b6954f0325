"""Rigid wrist pieces: round and oval bangles, open cuffs.

Piece frame (as the wrist site's placement defines it): millimetres, origin on
the forearm's axis at the placement's position, +Z along the forearm towards the
hand, +Y towards the back of the wrist, +X across it. The pieces are made to the
:class:`jewelrender.sites.wrist.WristFit` the site measured, and placed by simple
rigid-body rules:

* a **bangle** (``kind = "bangle"``) is larger than the wrist: its inner
  circumference is the one the hand passes. It *hangs*: under gravity (the
  fit's ``gravity`` direction) it rests on the wrist's top: its centre drops
  along gravity until its inner outline touches the wrist's ellipse,
  and it slides along the forearm towards the hand until its hand-side edge
  meets the hand (the hand's proxy capsules around landmark 0, ``hand_stop_mm``);
* a **cuff** (``kind = "cuff"``) *grips*: its inner outline is the wrist's
  ellipse plus a small clearance, open on the palm side by ``gap_deg``, at the
  placement's position.

A round bangle may carry a row of melee (``accent``): round brilliants set in a
channel or pavé groove along the middle of its outer surface
(:func:`jewelrender.geometry.mounts.accent_band`, the same setting as a ring's
accent row), centred on the side against gravity, the top a wearer turns to
the camera; a rigid bangle turns freely on the wrist, so its stones go where they show.

Catalog schema (``band`` table, optional ``accent`` table)::

    band   = { profile = "court" | "flat", width_mm, thickness_mm,
               shape = "round" | "oval", aspect = 0.85 (oval: inner height / width),
               gap_deg = 40 (cuff only) }
    accent = { style = "channel" | "pave", count, melee_diameter_mm, spacing_mm, gem = "diamond" }
               (round bangles only)
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import CatalogError, InvalidOptionError
from ..geometry import assets, mounts
from ..geometry.assets import MeshPart
from .fields import number

__all__ = ["KINDS", "BAND_KEYS", "ACCENT_KEYS", "parse", "parts", "wrap_band", "CUFF_CLEARANCE_MM"]

KINDS = ("bangle", "cuff")
BAND_KEYS = ("profile", "width_mm", "thickness_mm", "shape", "aspect", "gap_deg")
#: A stone row's keys (as a ring's accent row: :func:`jewelrender.geometry.mounts.accent_band`).
ACCENT_KEYS = ("style", "count", "melee_diameter_mm", "spacing_mm", "gem")
#: A cuff's inner outline stands this far off the wrist's ellipse (skin compresses; it must slip on).
CUFF_CLEARANCE_MM = 1.0
#: Meridians around a bangle: at ~60 mm a 128-gon would show facets in highlights.
_SEGMENTS = 256


def parse(where: str, raw: dict) -> dict:
    """Check a bangle/cuff entry's family fields; returns ``{"band": {...}}`` (validated, with defaults)."""
    band = raw.get("band")
    if not isinstance(band, dict):
        raise CatalogError(f"{where}: 'band' table missing")
    unknown = set(band) - set(BAND_KEYS)
    if unknown:
        raise CatalogError(f"{where}: unknown band key(s) {', '.join(sorted(unknown))}; valid: {', '.join(BAND_KEYS)}")
    out = {"profile": band.get("profile", "court"), "shape": band.get("shape", "round")}
    for key, lo, hi in (("width_mm", 1.0, 60.0), ("thickness_mm", 0.8, 10.0)):
        out[key] = number(where, band, key, lo, hi, what="band ")
    if out["profile"] not in ("court", "flat"):
        raise CatalogError(f"{where}: band profile must be 'court' or 'flat'")
    if out["shape"] not in ("round", "oval"):
        raise CatalogError(f"{where}: band shape must be 'round' or 'oval'")
    aspect = band.get("aspect", 0.85 if out["shape"] == "oval" else 1.0)
    if not isinstance(aspect, (int, float)) or isinstance(aspect, bool) or not 0.6 <= aspect <= 1.0:
        raise CatalogError(f"{where}: band aspect must be a number in [0.6, 1], got {aspect!r}")
    out["aspect"] = float(aspect)
    if raw.get("kind") == "cuff":
        gap = band.get("gap_deg", 40.0)
        if not isinstance(gap, (int, float)) or isinstance(gap, bool) or not 10.0 <= gap <= 120.0:
            raise CatalogError(f"{where}: a cuff's gap_deg must be a number in [10, 120], got {gap!r}")
        out["gap_deg"] = float(gap)
    elif "gap_deg" in band:
        raise CatalogError(f"{where}: gap_deg is for cuffs (kind = \"cuff\")")
    for key in ("stone", "setting"):
        if raw.get(key) is not None:
            raise CatalogError(f"{where}: a {raw.get('kind')} has no {key!r} table (set stones with an accent row)")
    accent = raw.get("accent")
    if accent is None:
        return {"band": out}
    if raw.get("kind") != "bangle" or out["shape"] != "round":
        raise CatalogError(f"{where}: a stone row (accent) is made on round bangles only")
    if not isinstance(accent, dict):
        raise CatalogError(f"{where}: 'accent' must be a table")
    unknown = set(accent) - set(ACCENT_KEYS)
    if unknown:
        raise CatalogError(f"{where}: unknown accent key(s) {', '.join(sorted(unknown))}; valid: {', '.join(ACCENT_KEYS)}")
    if accent.get("style") not in mounts.ACCENT_STYLES:
        raise CatalogError(f"{where}: accent style must be one of {', '.join(mounts.ACCENT_STYLES)}")
    count = accent.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 60:
        raise CatalogError(f"{where}: accent count must be a whole number in [1, 60], got {count!r}")
    gem = accent.get("gem", "diamond")
    if not isinstance(gem, str):
        raise CatalogError(f"{where}: accent 'gem' must be a name")
    acc = {"style": accent["style"], "count": count, "gem": gem,
           "melee_diameter_mm": number(where, accent, "melee_diameter_mm", 0.8, 3.0, 1.5, what="accent ")}
    if "spacing_mm" in accent:
        acc["spacing_mm"] = number(where, accent, "spacing_mm", 0.02, 2.0, what="accent ")
    return {"band": out, "accent": acc}


def _ellipse_with_perimeter(perimeter: float, aspect: float) -> tuple[float, float]:
    """Semi-axes (a, a * aspect) of the ellipse with this perimeter (Ramanujan)."""
    unit = math.pi * (3 * (1 + aspect) - math.sqrt((3 + aspect) * (1 + 3 * aspect)))
    a = perimeter / unit
    return a, a * aspect


def wrap_band(band: MeshPart, r0: float, a: float, b: float, gap_rad: float = 0.0, *, name: str = "band") -> MeshPart:
    """Bend a revolved band (inner radius ``r0``) onto an ellipse with semi-axes ``a`` (X), ``b`` (Y).

    Each vertex keeps its radial offset from the inner surface along the ellipse's
    normal (so the thickness stays even), and its meridian ``u`` maps to the
    ellipse's parameter angle; with ``gap_rad`` > 0 the band is opened by that angle
    centred on -Y (the palm side): the seam meridians become the two ends.
    """
    v = band.vertices.astype(np.float64)
    n = band.normals.astype(np.float64)
    u = band.texcoords[:, 0].astype(np.float64)
    th = np.arctan2(v[:, 1], v[:, 0])
    r = np.hypot(v[:, 0], v[:, 1])
    if gap_rad > 0:
        t = -np.pi / 2 + gap_rad / 2 + u * (2 * np.pi - gap_rad)
    else:
        t = 2 * np.pi * u
    c, s = np.cos(t), np.sin(t)
    en = np.stack([b * c, a * s], axis=1)
    en /= np.linalg.norm(en, axis=1, keepdims=True)  # outward normal of the ellipse
    et = np.stack([-en[:, 1], en[:, 0]], axis=1)      # its tangent, counter-clockwise
    delta = r - r0
    xy = np.stack([a * c, b * s], axis=1) + delta[:, None] * en
    nr = n[:, 0] * np.cos(th) + n[:, 1] * np.sin(th)
    nt = -n[:, 0] * np.sin(th) + n[:, 1] * np.cos(th)
    nxy = nr[:, None] * en + nt[:, None] * et
    V = np.column_stack([xy, v[:, 2]])
    N = np.column_stack([nxy, n[:, 2]])
    N /= np.linalg.norm(N, axis=1, keepdims=True)
    return MeshPart(name, "metal", V.astype(np.float32), band.faces, N.astype(np.float32), band.texcoords)


def _end_caps(part: MeshPart) -> MeshPart:
    """Flat caps closing the two ends (u = 0 and u = 1) of an opened band."""
    v = part.vertices.astype(np.float64)
    u = part.texcoords[:, 0]
    vs, fs, ns = [], [], []
    off = 0
    for end in (0.0, 1.0):
        ring = np.nonzero(np.abs(u - end) < 1e-9)[0]
        ring = ring[np.argsort(part.texcoords[ring, 1], kind="stable")]
        loop = v[ring]
        keep = np.r_[True, np.linalg.norm(np.diff(loop, axis=0), axis=1) > 1e-7]
        loop = loop[keep]
        if np.linalg.norm(loop[0] - loop[-1]) < 1e-7:
            loop = loop[:-1]
        centre = loop.mean(axis=0)
        m = len(loop)
        # outward: away from the band's body (its meridians just inside this end)
        inner_u = np.nonzero(np.abs(u - (0.02 if end == 0.0 else 0.98)) < 0.01)[0]
        away = centre - v[inner_u].mean(axis=0)
        normal = away / np.linalg.norm(away)
        f = np.array([[m, i, (i + 1) % m] for i in range(m)])
        tri = np.concatenate([loop, centre[None]])
        fn = np.cross(tri[f[:, 1]] - tri[f[:, 0]], tri[f[:, 2]] - tri[f[:, 0]])
        if float(np.sum(fn @ normal)) < 0:
            f = f[:, ::-1]
        # a flat cap shades flat: one normal for all its vertices
        vs.append(tri)
        fs.append(f + off)
        ns.append(np.repeat(normal[None], len(tri), axis=0))
        off += len(tri)
    return MeshPart("band_ends", "metal", np.concatenate(vs).astype(np.float32), np.concatenate(fs).astype(np.uint32),
                    np.concatenate(ns).astype(np.float32), None)


def _hanging_drop(a: float, b: float, wa: float, wb: float, gx: float, gy: float) -> float:
    """How far (mm) a rigid ring with inner ellipse (a, b) falls along gravity (gx, gy) from the wrist's axis.

    It falls until its inner outline touches the wrist's ellipse (wa, wb): the largest
    drop for which every point of the wrist's outline stays inside the ring's
    (bisection; the contact is at the top for a ring much larger than the wrist,
    at two points either side of it for one that is only a little larger).
    """
    t = np.linspace(0.0, 2 * np.pi, 720, endpoint=False)
    px, py = wa * np.cos(t), wb * np.sin(t)

    def inside(d):
        return bool(np.all(((px - gx * d) / a) ** 2 + ((py - gy * d) / b) ** 2 <= 1.0))

    if not inside(0.0):
        return 0.0  # does not go around the wrist (never for the sizes the site picks)
    lo, hi = 0.0, max(a, b)
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if inside(mid) else (lo, mid)
    return lo


def parts(piece, fit) -> list[MeshPart]:
    """A bangle's or cuff's meshes (piece frame, mm), made to the wrist's ``fit``."""
    band = piece.band
    w, t = band["width_mm"], band["thickness_mm"]
    r0 = 30.0
    base = assets.court_band(2 * r0, w, t, profile=band.get("profile", "court"), segments=_SEGMENTS)
    if piece.kind == "cuff":
        a = fit.wrist_a_mm + CUFF_CLEARANCE_MM
        b = fit.wrist_b_mm + CUFF_CLEARANCE_MM
        body = wrap_band(base, r0, a, b, math.radians(band["gap_deg"]))
        return [body, _end_caps(body)]
    # A bangle: inner perimeter = that of the round bangle the hand passes, whatever its shape.
    d = float(fit.bangle_inner_diameter_mm)
    a, b = _ellipse_with_perimeter(math.pi * d, band.get("aspect", 1.0))
    # it must also go around the wrist (an oval of that perimeter may be too narrow for it)
    grow = max(1.0, (fit.wrist_a_mm + 1.0) / a, (fit.wrist_b_mm + 1.0) / b)
    a, b = a * grow, b * grow
    gx, gy = fit.gravity_x, fit.gravity_y
    drop = _hanging_drop(a, b, fit.wrist_a_mm, fit.wrist_b_mm, gx, gy)
    # Sliding towards the hand until the hand-side edge meets the hand.
    slide = fit.hand_stop_mm - w / 2
    if piece.accent:
        body = _turn_to(_set_row(piece, 2 * a), -gx, -gy)
    else:
        body = [wrap_band(base, r0, a, b)]
    return [assets.translate(p, (gx * drop, gy * drop, slide)) for p in body]


def _set_row(piece, inner_diameter_mm: float) -> list[MeshPart]:
    """A round bangle with its stone row (band, [beads], ``accent_<i>``), the row turned against gravity.

    The row is built on the band's +Y (:func:`jewelrender.geometry.mounts.accent_band`) and the
    whole bangle turned about +Z so that +Y points against gravity: where it rests on the wrist,
    facing the camera (a round bangle turns freely; its stones are worn on top).
    """
    band, acc = piece.band, piece.accent
    try:
        made = mounts.accent_band(inner_diameter_mm=inner_diameter_mm, band_width_mm=band["width_mm"],
                                  band_thickness_mm=band["thickness_mm"], band_profile=band.get("profile", "court"),
                                  style=acc["style"], count=acc["count"], melee_diameter_mm=acc["melee_diameter_mm"],
                                  spacing_mm=acc.get("spacing_mm"), band_segments=_SEGMENTS, count_at_most=True)
    except InvalidOptionError as exc:
        raise CatalogError(f"catalog entry {piece.id!r}: {exc.message}", details=exc.details) from None
    return [p if p.role != "stone" else MeshPart(p.name, "stone", p.vertices, p.faces, None) for p in made]


def _turn_to(parts_: list[MeshPart], ux: float, uy: float) -> list[MeshPart]:
    """The parts turned about +Z so that +Y points along the unit (ux, uy)."""
    M = np.eye(4)
    M[:2, :2] = [[uy, ux], [-ux, uy]]
    return [assets.transform(p, M) for p in parts_]
