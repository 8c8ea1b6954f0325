"""Parametric gem cuts beyond the round brilliant: fancy brilliants, step cuts, cabochons, pearls.

Every generator returns one closed, outward-wound :class:`~jewelrender.geometry.assets.MeshPart`
(role ``"stone"``) in the *stone frame* of :mod:`jewelrender.geometry.assets`: millimetres,
the stone's axis along +Y with the table (or dome) facing +Y, the girdle's
mid-plane at ``y = 0``, the girdle outline centred on the axis (its bounding box
in x-z is centred on the origin).  Elongated stones have their long axis along
+Z (on a ring that is along the finger, the usual "north-south" setting); the
point of a pear or heart is at +Z.

Size
----
``size_mm = (length, width)`` is the bounding box of the girdle outline (the
trade's "measurements", length along Z, width along X), exactly; a single number
means a round or square stone.  ``carat`` instead gives the exact volume of the
mesh times the density (1 ct = 0.2 g), as :func:`jewelrender.geometry.assets.round_brilliant`
does; every proportion is relative to the width (angles are angles), so the
volume scales as ``width**3`` at a fixed length/width ratio and the conversion
is exact.  The round brilliant itself is delegated to
:func:`jewelrender.geometry.assets.round_brilliant` (its size is the mean girdle diameter,
as a lab reports it, not the bounding box).

Families
--------
*Fancy brilliants* (oval, cushion, pear, marquise, heart) use the round
brilliant's 57-facet topology (33 crown + 24 pavilion, 58 with a culet) warped
radially onto the outline: each vertex at radius fraction ``s`` of the round's
girdle and angle ``theta`` goes to ``c + s * (P(theta) - c)``, where ``P`` runs
along the outline and ``c`` is the outline's centre; heights keep the round's
proportions measured on the short axis (the crown and pavilion angles are exact
on the short axis of the oval, which is the round stretched along Z).  The
oval's facets stay planar; the others' are split into triangles where the warp
bends them.  The girdle may be subdivided (``girdle_subdivisions``) so that
curved outlines are smooth enough.

*Step cuts* (emerald, asscher, baguette) are stacked rings of the outline
(a rectangle with cut corners, a square, a rectangle or trapezoid), each ring
the previous one with its sides moved inward (its corners scaled with the
width), joined by planar trapezoids; the pavilion ends in a keel (a ridge along
the long axis, a point on a square).

*Princess*: a square (or slightly oblong) modified brilliant with pointed
corners: a stepped crown with four corner bezels, and a chevron pavilion.  Its
facets are planes (angles and positions) and the solid is their intersection.

*Cabochon* (a dome on a flat or slightly domed base) and *pearl* (a sphere or
near-round spheroid) are smooth: they carry vertex normals; the cabochon's
crease between dome, girdle and base has split vertices (see
:class:`~jewelrender.geometry.assets.MeshPart`).

The defaults are typical trade proportions (the registry ``_SPECS`` notes the
ranges each follows) chosen so that a 1 ct stone measures what the trade's size
tables say, within a few per cent.  Facet counts (see :func:`facet_count`) exclude the girdle's
own facets, as the trade counts "57 facets" for a round.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from typing import Any

import numpy as np

from .assets import (
    GIRDLE_CORNER,
    DIAMOND_DENSITY_G_CM3,
    GRAMS_PER_CARAT,
    MeshPart,
    brilliant_unit,
    check_cut,
    cut_from,
    ear_clip,
    newell,
    signed_volume,
    carat_to_diameter_mm,
    round_brilliant,
)
from ..checks import int_option as _int_opt
from ..checks import is_number
from ..checks import number_option as _opt
from ..errors import InvalidOptionError

__all__ = [
    "CUTS",
    "make_stone",
    "carat_to_size_mm",
    "size_mm_to_carat",
    "default_proportions",
    "facet_count",
    "outline",
]

#: Names accepted by :func:`make_stone`.
CUTS: tuple[str, ...] = ("round-brilliant", "princess", "emerald", "asscher", "oval", "cushion",
                         "pear", "marquise", "heart", "baguette", "cabochon", "pearl")


# --------------------------------------------------------------------------- #
# Option helpers
# --------------------------------------------------------------------------- #


def _angles_opt(name: str, value, *, n_min: int, n_max: int, low: float, high: float) -> tuple[float, ...]:
    """A sequence of angles (degrees), each in (low, high), strictly decreasing.

    Step facets must flatten from the girdle inwards for the stone to be convex.
    """
    if is_number(value):
        value = (value,)
    try:
        seq = tuple(value)
    except TypeError:
        raise InvalidOptionError(f"{name} must be a sequence of angles in degrees, got {value!r}",
                                 details={"option": name, "value": repr(value)}) from None
    if not n_min <= len(seq) <= n_max:
        raise InvalidOptionError(f"{name} must have {n_min}..{n_max} angles, got {len(seq)}",
                                 details={"option": name, "value": repr(value)})
    out = tuple(_opt(f"{name}[{i}]", a, low=low, high=high, high_open=True) for i, a in enumerate(seq))
    if any(b >= a for a, b in zip(out, out[1:])):
        raise InvalidOptionError(
            f"{name} must decrease from the girdle inwards (a convex stone), got {list(out)}",
            details={"option": name, "value": list(out)})
    return out


# --------------------------------------------------------------------------- #
# Polygon triangulation
# --------------------------------------------------------------------------- #


def _cross2(o, a, b) -> float:
    return float((a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]))


def _clip_ears(p2: np.ndarray) -> list[tuple[int, int, int]]:
    """Triangulate a simple counter-clockwise polygon (K, 2); returns index triples.

    Only strictly convex ears with no other vertex inside or on them are cut, so
    collinear vertices (a point in the middle of an edge) never leave a
    zero-area triangle; among the valid ears the best-shaped one goes first.
    """
    scale = float(np.ptp(p2, axis=0).max()) or 1.0
    tris = ear_clip(p2, eps=1e-12 * scale * scale, best=True)
    if tris is None:  # pragma: no cover - a simple polygon always has an ear
        raise InvalidOptionError("cut outline folds over itself; proportions out of range")
    return tris


def _triangulate(vertices: np.ndarray, polys: Sequence[Sequence[int]], *,
                 apex_of: Callable[[Sequence[int]], int | None] | None = None) -> np.ndarray:
    """Triangles (M, 3) of outward-oriented polygons (counter-clockwise seen from outside).

    Triangles stay as they are; quadrilaterals are split along the diagonal that
    folds outward (convex), or the better-shaped one when flat; larger polygons
    are fanned from ``apex_of(poly)`` when given, else ear-clipped in the plane
    of their Newell normal.
    """
    v = np.asarray(vertices, dtype=np.float64)
    out: list[tuple[int, int, int]] = []
    for poly in polys:
        poly = list(poly)
        n = len(poly)
        if n == 3:
            out.append(tuple(poly))
            continue
        if n == 4:
            a, b, c, d = (v[i] for i in poly)
            scale = max(np.linalg.norm(c - a), np.linalg.norm(d - b))

            def fold(p, q, r, s):  # s's height over the plane of (p, q, r), outward positive
                nrm = np.cross(q - p, r - p)
                return float(np.dot(nrm / max(np.linalg.norm(nrm), 1e-300), s - p))

            def minq(tris):
                qs = []
                for p, q, r in tris:
                    ar = np.linalg.norm(np.cross(q - p, r - p))
                    qs.append(ar / (np.sum((p - q) ** 2) + np.sum((q - r) ** 2) + np.sum((r - p) ** 2)))
                return min(qs)

            h1 = fold(a, b, c, d)  # diagonal a-c
            h2 = fold(a, b, d, c)  # diagonal b-d
            flat = 1e-9 * scale
            if abs(h1) <= flat and abs(h2) <= flat:
                use_ac = minq([(a, b, c), (a, c, d)]) >= minq([(a, b, d), (b, c, d)])
            else:
                use_ac = h1 <= h2  # the fourth point below the first triangle: convex fold
            i, j, k, m = poly
            out += [(i, j, k), (i, k, m)] if use_ac else [(i, j, m), (j, k, m)]
            continue
        apex = apex_of(poly) if apex_of is not None else None
        if apex is not None:
            r = poly.index(apex)
            ring = poly[r:] + poly[:r]
            out += [(ring[0], ring[i], ring[i + 1]) for i in range(1, n - 1)]
            continue
        p = v[poly]
        nrm = newell(p)
        nrm /= np.linalg.norm(nrm)
        u = np.cross(nrm, [1.0, 0.0, 0.0] if abs(nrm[0]) < 0.9 else [0.0, 0.0, 1.0])
        u /= np.linalg.norm(u)
        w = np.cross(nrm, u)
        p2 = np.stack([(p - p[0]) @ u, (p - p[0]) @ w], axis=1)  # counter-clockwise about nrm
        out += [(poly[a], poly[b], poly[c]) for a, b, c in _clip_ears(p2)]
    return np.array(out, dtype=np.int64)


# --------------------------------------------------------------------------- #
# A convex solid as the intersection of half-spaces (princess)
# --------------------------------------------------------------------------- #


def _polytope(normals: np.ndarray, offsets: np.ndarray, labels: Sequence[str]):
    """Vertices and facet polygons of ``{x : normals @ x <= offsets}`` (bounded).

    Every vertex is the solution of three plane equations that satisfies all the
    others; vertices where more than three planes meet are merged.  Each plane
    that touches the solid in a polygon of positive area gives one facet, ordered
    counter-clockwise seen from outside.  Sizes are ~1 (unit-width stones).

    Returns
    -------
    vertices : ndarray (V, 3)
    facets : list of (label, list[int])
    missing : list of str
        Labels of planes that do not form a facet (cut away by the others).
    """
    N = np.asarray(normals, dtype=np.float64)
    d = np.asarray(offsets, dtype=np.float64)
    scale = np.linalg.norm(N, axis=1)
    N, d = N / scale[:, None], d / scale
    tri = np.array(list(combinations(range(len(N)), 3)))
    A = N[tri]
    det = np.linalg.det(A)
    ok = np.abs(det) > 1e-9
    tri, A = tri[ok], A[ok]
    X = np.linalg.solve(A, d[tri][..., None])[..., 0]
    inside = (X @ N.T - d).max(axis=1) <= 1e-9
    X = X[inside]
    verts: list[np.ndarray] = []
    for x in X:
        if verts and np.min(np.linalg.norm(np.asarray(verts) - x, axis=1)) <= 1e-7:
            continue
        verts.append(x)
    V = np.asarray(verts)
    facets, missing = [], []
    for k in range(len(N)):
        on = np.flatnonzero(np.abs(V @ N[k] - d[k]) <= 1e-7)
        if len(on) >= 3:
            p = V[on]
            c = p.mean(axis=0)
            u = np.cross(N[k], [1.0, 0.0, 0.0] if abs(N[k][0]) < 0.9 else [0.0, 0.0, 1.0])
            u /= np.linalg.norm(u)
            w = np.cross(N[k], u)
            order = on[np.argsort(np.arctan2((p - c) @ w, (p - c) @ u))]
            if np.linalg.norm(newell(V[order])) > 1e-9:
                facets.append((labels[k], list(order)))
                continue
        missing.append(labels[k])
    return V, facets, missing


# --------------------------------------------------------------------------- #
# Outlines: closed curves in the x-z plane, parametrised by the brilliant's angle
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class _Piece:
    """One piece of an outline: ``f(t)`` for t in [0, 1], covering angles [th0, th1]."""

    f: Callable[[np.ndarray], np.ndarray]
    th0: float
    th1: float


class _Outline:
    """A closed outline ``P(theta)``, counter-clockwise in (x, z), width 1.

    The brilliant's angle ``theta`` (measured from +X towards +Z) is mapped to
    the outline piecewise: between consecutive anchors (the pieces' ends, placed
    at the outline's extreme points, tips and clefts) by arc length, so that the
    girdle points spread evenly along each piece and the anchors land exactly on
    the points that set the bounding box.
    """

    def __init__(self, pieces: Sequence[_Piece], centre=(0.0, 0.0), samples: int = 4001):
        self.pieces = list(pieces)
        self.centre = np.asarray(centre, dtype=np.float64)
        t = np.linspace(0.0, 1.0, samples)
        self._t, self._s = t, []
        for pc in self.pieces:
            p = pc.f(t)
            s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(p, axis=0), axis=1))])
            self._s.append(s / s[-1])

    def __call__(self, theta: np.ndarray) -> np.ndarray:
        th = np.asarray(theta, dtype=np.float64)
        th0 = self.pieces[0].th0
        th = th0 + np.mod(th - th0, 2 * np.pi)
        out = np.empty(th.shape + (2,))
        for k, pc in enumerate(self.pieces):
            last = k == len(self.pieces) - 1
            m = (th >= pc.th0) & ((th <= pc.th1) if last else (th < pc.th1))
            if np.any(m):
                frac = (th[m] - pc.th0) / (pc.th1 - pc.th0)
                out[m] = pc.f(np.interp(frac, self._s[k], self._t))
        return out


def _arc(cx: float, cz: float, r: float, a0: float, a1: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda t: np.stack([cx + r * np.cos(a0 + (a1 - a0) * t), cz + r * np.sin(a0 + (a1 - a0) * t)], -1)


def _line(p0, p1) -> Callable[[np.ndarray], np.ndarray]:
    p0, p1 = np.asarray(p0, dtype=np.float64), np.asarray(p1, dtype=np.float64)
    return lambda t: p0 + np.asarray(t)[..., None] * (p1 - p0)


def _oval_outline(ratio: float) -> Callable[[np.ndarray], np.ndarray]:
    # The round stretched along Z: every facet stays planar.
    return lambda th: np.stack([0.5 * np.cos(th), 0.5 * ratio * np.sin(th)], -1)


def _cushion_outline(ratio: float, n: float) -> _Outline:
    a, b = 0.5, 0.5 * ratio
    pieces = []
    for q in range(4):
        t0 = q * np.pi / 2

        def f(t, t0=t0):
            tau = t0 + (np.pi / 2) * np.asarray(t)
            c, s = np.cos(tau), np.sin(tau)
            # the quadrant ends exactly on the axes (cos(pi/2) is not exactly 0)
            c = np.where(np.isclose(np.abs(c), 0.0, atol=1e-15), 0.0, c)
            s = np.where(np.isclose(np.abs(s), 0.0, atol=1e-15), 0.0, s)
            return np.stack([a * np.sign(c) * np.abs(c) ** (2 / n), b * np.sign(s) * np.abs(s) ** (2 / n)], -1)

        pieces.append(_Piece(f, t0, t0 + np.pi / 2))
    return _Outline(pieces)


def _marquise_outline(ratio: float) -> _Outline:
    # Two circular arcs through the tips (0, +-L/2) and the sides (+-W/2, 0).
    h = ratio / 2
    rho = (0.25 + h * h)  # circle through (0.5, 0) and (0, h), centre on the x axis
    cx = 0.5 - rho
    psi = math.asin(h / rho)
    return _Outline([
        _Piece(_arc(cx, 0.0, rho, 0.0, psi), 0.0, np.pi / 2),
        _Piece(_arc(-cx, 0.0, rho, np.pi - psi, np.pi), np.pi / 2, np.pi),
        _Piece(_arc(-cx, 0.0, rho, np.pi, np.pi + psi), np.pi, 3 * np.pi / 2),
        _Piece(_arc(cx, 0.0, rho, -psi, 0.0), 3 * np.pi / 2, 2 * np.pi),
    ])


def _pear_outline(ratio: float) -> _Outline:
    # A half circle (round end, -Z) and half a marquise (point, +Z), tangent at the widest point.
    h = ratio - 0.5
    z0 = (0.5 - h) / 2  # the circle's centre, so that the bounding box is centred
    rho = 0.25 + h * h
    cx = 0.5 - rho
    psi = math.asin(h / rho)
    return _Outline([
        _Piece(_arc(cx, z0, rho, 0.0, psi), 0.0, np.pi / 2),
        _Piece(_arc(-cx, z0, rho, np.pi - psi, np.pi), np.pi / 2, np.pi),
        _Piece(_arc(0.0, z0, 0.5, np.pi, 1.5 * np.pi), np.pi, 1.5 * np.pi),
        _Piece(_arc(0.0, z0, 0.5, 1.5 * np.pi, 2 * np.pi), 1.5 * np.pi, 2 * np.pi),
    ])


def _heart_geometry(ratio: float, cleft: float):
    """Lobe radius r, lobe centre offset a, lobe centre z, tip z, tangent angle."""
    r = cleft + 0.5 - math.sqrt(cleft)  # lobes of width 1 with a cleft `cleft` deep
    a = 0.5 - r
    z_l = -ratio / 2 + r
    z_t = ratio / 2
    D = math.hypot(a, z_t - z_l)
    u = math.atan2(z_t - z_l, -a)
    q = u - math.acos(r / D)  # outer tangent point, seen from the right lobe's centre
    return r, a, z_l, z_t, q


def _heart_outline(ratio: float, cleft: float) -> _Outline:
    r, a, z_l, z_t, q = _heart_geometry(ratio, cleft)
    k = math.pi + math.atan2(math.sqrt(r * r - a * a), a)  # the cleft, seen from the right lobe
    qr = (a + r * math.cos(q), z_l + r * math.sin(q))
    ql = (-qr[0], qr[1])
    tip = (0.0, z_t)
    # anchors: cleft (-90 deg), lobe bottom (-45), widest (0), tip (90), and mirrored
    return _Outline([
        _Piece(_arc(a, z_l, r, 2 * np.pi, 2 * np.pi + q), 0.0, np.pi / 4),
        _Piece(_line(qr, tip), np.pi / 4, np.pi / 2),
        _Piece(_line(tip, ql), np.pi / 2, 3 * np.pi / 4),
        _Piece(_arc(-a, z_l, r, np.pi - q, np.pi), 3 * np.pi / 4, np.pi),
        _Piece(_arc(-a, z_l, r, np.pi, 1.5 * np.pi), np.pi, 1.25 * np.pi),
        _Piece(_arc(-a, z_l, r, 1.5 * np.pi, 3 * np.pi - k), 1.25 * np.pi, 1.5 * np.pi),
        _Piece(_arc(a, z_l, r, k, 1.5 * np.pi), 1.5 * np.pi, 1.75 * np.pi),
        _Piece(_arc(a, z_l, r, 1.5 * np.pi, 2 * np.pi), 1.75 * np.pi, 2 * np.pi),
    ])


# --------------------------------------------------------------------------- #
# Fancy brilliants: the round's topology warped onto an outline
# --------------------------------------------------------------------------- #


def _oriented_round(cut) -> tuple[np.ndarray, list[tuple[str, list[int]]]]:
    """The unit round brilliant's vertices and facet polygons, outward (CCW from outside)."""
    v, facets = brilliant_unit(cut)
    centre = v.mean(axis=0)
    out = []
    for lab, poly in facets:
        p = v[poly]
        if np.dot(newell(p), p.mean(axis=0) - centre) < 0:
            poly = poly[::-1]
        out.append((lab, list(poly)))
    return v, out


def _fancy_brilliant(P: Callable[[np.ndarray], np.ndarray], centre, cut, subdiv: int):
    """Unit-width fancy brilliant: vertices (V, 3) and triangles, outward."""
    v0, facets = _oriented_round(cut)
    R = 0.5 * GIRDLE_CORNER
    rho = np.hypot(v0[:, 0], v0[:, 2])
    theta = np.mod(np.arctan2(v0[:, 2], v0[:, 0]), 2 * np.pi)
    verts = [np.array([r, y, t]) for r, y, t in zip(rho, v0[:, 1], theta)]  # (rho, y, theta)
    on_girdle = np.abs(rho - R) < 1e-9

    # Subdivide the girdle: new points on the round's circle between neighbours.
    edge_new: dict[tuple[int, int], list[int]] = {}
    if subdiv > 1:
        for top in (True, False):
            ring = np.flatnonzero(on_girdle & ((v0[:, 1] > 0) if top else (v0[:, 1] < 0)))
            ring = ring[np.argsort(theta[ring])]
            for i, a in enumerate(ring):
                b = ring[(i + 1) % len(ring)]
                ta, tb = theta[a], theta[b] + (2 * np.pi if i == len(ring) - 1 else 0.0)
                ids = []
                for j in range(1, subdiv):
                    verts.append(np.array([R, v0[a, 1], ta + (tb - ta) * j / subdiv]))
                    ids.append(len(verts) - 1)
                edge_new[(int(a), int(b))] = ids
    polys: list[list[int]] = []
    labels: list[str] = []
    for lab, poly in facets:
        grown: list[int] = []
        for i, u in enumerate(poly):
            w = poly[(i + 1) % len(poly)]
            grown.append(u)
            if (u, w) in edge_new:
                grown += edge_new[(u, w)]
            elif (w, u) in edge_new:
                grown += edge_new[(w, u)][::-1]
        if lab == "girdle" and len(grown) > 4:
            # a band of vertical quads, one per girdle segment
            ys = np.array([verts[i][1] for i in grown])
            r0 = next(i for i in range(len(grown)) if ys[i] > 0 and ys[(i + 1) % len(grown)] > 0
                      and ys[i - 1] < 0)
            g = grown[r0:] + grown[:r0]
            m = sum(1 for i in g if verts[i][1] > 0)
            top, bot = g[:m], g[m:][::-1]
            for i in range(m - 1):
                polys.append([top[i], top[i + 1], bot[i + 1], bot[i]])
                labels.append("girdle")
        else:
            polys.append(grown)
            labels.append(lab)

    V = np.array(verts)
    s = V[:, 0] / R
    xz = P(V[:, 2])
    c = np.asarray(centre, dtype=np.float64)
    pos = c + s[:, None] * (xz - c)
    # Heights keep the round's proportions on the short axis: the round's
    # girdle radius R becomes the half-width 0.5.
    out = np.stack([pos[:, 0], V[:, 1] * (0.5 / R), pos[:, 1]], axis=1)

    def apex_of(poly):
        # upper/lower-girdle fans: fan from their one vertex off the girdle
        off = [i for i in poly if abs(V[i, 0] - R) > 1e-9]
        return off[0] if len(off) == 1 else None

    F = _triangulate(out, polys, apex_of=apex_of)
    return out, F


_BRILLIANT_KEYS = ("table", "crown_angle_deg", "pavilion_angle_deg", "girdle_thickness", "star_ratio",
                   "lower_half_ratio", "culet")
_BRILLIANT_DEFAULTS = dict(table=0.58, crown_angle_deg=34.0, pavilion_angle_deg=41.0, girdle_thickness=0.025,
                           star_ratio=0.5, lower_half_ratio=0.77, culet=0.0, girdle_subdivisions=2)


def _brilliant_cut(p: dict):
    return check_cut(**{k: p[k] for k in _BRILLIANT_KEYS})


def _build_fancy(P, centre, p: dict):
    cut = _brilliant_cut(p)
    subdiv = _int_opt("girdle_subdivisions", p["girdle_subdivisions"], 1, 8)
    return _fancy_brilliant(P, centre, cut, subdiv)


def _build_oval(ratio: float, p: dict):
    return _build_fancy(_oval_outline(ratio), (0.0, 0.0), p)


def _build_cushion(ratio: float, p: dict):
    n = _opt("squareness", p["squareness"], low=2.0, high=10.0, low_open=False)
    return _build_fancy(_cushion_outline(ratio, n), (0.0, 0.0), p)


def _build_marquise(ratio: float, p: dict):
    return _build_fancy(_marquise_outline(ratio), (0.0, 0.0), p)


def _build_pear(ratio: float, p: dict):
    # the table and culet sit a little towards the round end, as cutters place them
    z0 = (0.5 - (ratio - 0.5)) / 2
    return _build_fancy(_pear_outline(ratio), (0.0, 0.5 * z0), p)


def _build_heart(ratio: float, p: dict):
    cleft = _opt("cleft_depth", p["cleft_depth"], low=0.02, high=0.25)
    q = _heart_geometry(ratio, cleft)[4]
    if not 0.0 < q < math.pi / 2:
        raise InvalidOptionError("heart: the sides do not meet the lobes above their widest point; "
                                 "increase the length/width ratio or the cleft depth",
                                 details={"ratio": ratio, "cleft_depth": cleft})
    P = _heart_outline(ratio, cleft)
    centre = np.array([0.0, 0.0])  # the bounding box's centre
    # The warp needs an outline that the centre sees once round (star-shaped).
    th = np.linspace(0, 2 * np.pi, 2049)[:-1]
    d = P(th) - centre
    ang = np.unwrap(np.arctan2(d[:, 1], d[:, 0]))
    if np.any(np.diff(ang) <= 0):
        raise InvalidOptionError("heart: the outline is too deeply cleft for its length; "
                                 "reduce cleft_depth or increase the ratio",
                                 details={"ratio": ratio, "cleft_depth": cleft})
    return _build_fancy(P, centre, p)


# --------------------------------------------------------------------------- #
# Step cuts: stacked rings of the outline
# --------------------------------------------------------------------------- #


def _step_ring(half_w: float, half_l: float, corner: float, taper: float) -> np.ndarray:
    """Outline ring (K, 2), counter-clockwise in (x, z), starting on the +X side.

    A rectangle ``2 half_w x 2 half_l`` (a trapezoid when ``taper < 1``: the +Z
    end ``taper`` times as wide), with 45-degree corner cuts of leg ``corner``.
    """
    hw_n = half_w * taper
    quad = np.array([[half_w, -half_l], [hw_n, half_l], [-hw_n, half_l], [-half_w, -half_l]])
    if corner <= 0:
        return quad
    pts = []
    for i in range(4):
        p, prev, nxt = quad[i], quad[i - 1], quad[(i + 1) % 4]
        pts.append(p + corner * (prev - p) / np.linalg.norm(prev - p))
        pts.append(p + corner * (nxt - p) / np.linalg.norm(nxt - p))
    return np.array(pts)


def _offset_ring(base: np.ndarray, delta: float) -> np.ndarray:
    """Move every edge of a convex CCW polygon inward by ``delta`` (same edge directions)."""
    n = len(base)
    lines = []
    for i in range(n):
        a, b = base[i], base[(i + 1) % n]
        t = (b - a) / np.linalg.norm(b - a)
        m = np.array([t[1], -t[0]])  # outward normal of a CCW polygon
        lines.append((m, float(m @ a) - delta))
    out = []
    for i in range(n):
        (m1, o1), (m2, o2) = lines[i - 1], lines[i]
        out.append(np.linalg.solve(np.array([m1, m2]), np.array([o1, o2])))
    return np.array(out)


def _build_step(ratio: float, p: dict, *, allow_taper: bool):
    table = _opt("table", p["table"], low=0.2, high=0.9)
    gird = _opt("girdle_thickness", p["girdle_thickness"], low=0.0, high=0.1)
    corner = _opt("corner", p["corner"], low=0.0, high=0.35, low_open=False)
    crown = _angles_opt("crown_angles_deg", p["crown_angles_deg"], n_min=1, n_max=5, low=5.0, high=70.0)
    pav = _angles_opt("pavilion_angles_deg", p["pavilion_angles_deg"], n_min=1, n_max=6, low=20.0, high=75.0)
    taper = _opt("taper", p.get("taper", 1.0), low=0.2, high=1.0) if allow_taper else 1.0
    if taper < 1.0 and corner > 0:
        raise InvalidOptionError("a tapered step cut has square corners: corner must be 0 with taper < 1",
                                 details={"taper": taper, "corner": corner})
    hw, hl = 0.5, 0.5 * ratio
    hg = gird / 2
    c = corner  # leg of the corner cut, in widths
    # Rings shrink by moving the sides inward; corner cuts shrink with the
    # width so that they reach the keel together with the sides.
    if taper < 1.0:
        base = _step_ring(hw, hl, 0.0, taper)
        # distance from the long (slanted) sides to the axis at mid-length
        half = 0.5 * (1 + taper) / 2 * math.cos(math.atan2(0.5 * (1 - taper), 2 * hl))

        def ring(delta):
            return _offset_ring(base, delta)
    else:
        half = hw

        def ring(delta):
            f = (hw - delta) / hw
            return _step_ring(hw - delta, hl - delta, c * f, 1.0)

    crown_run = (1.0 - table) * half
    # crown: from the table down to the girdle top
    dc = crown_run / len(crown)
    ys = [hg]
    for a in crown:
        ys.append(ys[-1] + dc * math.tan(math.radians(a)))
    crown_rings = [(ring(k * dc), ys[k]) for k in range(len(crown) + 1)]
    # pavilion: from the girdle bottom down to the last ring before the keel
    dp = half / len(pav)
    yp = [-hg]
    for b in pav:
        yp.append(yp[-1] - dp * math.tan(math.radians(b)))
    pav_rings = [(ring(k * dp), yp[k]) for k in range(len(pav))]

    verts: list[np.ndarray] = []
    ids: list[list[int]] = []

    def add_ring(r2, y):
        start = len(verts)
        for x, z in r2:
            verts.append(np.array([x, y, z]))
        ids.append(list(range(start, start + len(r2))))

    for r2, y in reversed(crown_rings):  # table first
        add_ring(r2, y)
    for r2, y in pav_rings:
        add_ring(r2, y)
    polys: list[list[int]] = [ids[0]]  # table (counter-clockwise in (x, z) = seen from +Y? see below)
    # In (x, z) counter-clockwise is clockwise seen from +Y (x right, z down when y is
    # towards the viewer), so the table, seen from outside (+Y), runs backwards.
    polys[0] = ids[0][::-1]
    for a, b in zip(ids[:-1], ids[1:]):
        n = len(a)
        for i in range(n):
            j = (i + 1) % n
            polys.append([a[i], a[j], b[j], b[i]])
    # keel: the ridge where the last pavilion facets of the long sides meet
    last, y_last = pav_rings[-1]
    y_keel = y_last - dp * math.tan(math.radians(pav[-1]))
    if taper < 1.0:
        # nodes equidistant from both slanted sides and one end (straight skeleton)
        mL = np.array([2 * hl, 0.5 * (1 - taper)]) / math.hypot(2 * hl, 0.5 * (1 - taper))  # +X side normal
        oL = float(mL @ last[0])
        # distance of (0, z) to the +X side: oL - mL[1] z; to the -Z end: z - last[0,1]; to +Z: last[1,1] - z
        z1 = (oL + last[0, 1]) / (1 + mL[1])
        z2 = (last[1, 1] - oL) / (1 - mL[1])
        if z2 - z1 < 1e-6:
            raise InvalidOptionError("tapered baguette too short for its taper; increase the ratio or taper",
                                     details={"ratio": ratio, "taper": taper})
        t = math.tan(math.radians(pav[-1]))
        k1 = np.array([0.0, y_last - t * (oL - mL[1] * z1), z1])
        k2 = np.array([0.0, y_last - t * (oL - mL[1] * z2), z2])
        keel = [k1, k2]
    else:
        half_keel = (hl - hw)
        keel = [np.array([0.0, y_keel, -half_keel]), np.array([0.0, y_keel, half_keel])]
        if half_keel <= 1e-9:
            keel = [np.array([0.0, y_keel, 0.0])]
    k0 = len(verts)
    verts += keel
    ring_ids = ids[-1]
    n = len(ring_ids)
    if len(keel) == 1:
        for i in range(n):
            polys.append([ring_ids[i], ring_ids[(i + 1) % n], k0])
    else:
        # each ring edge joins the keel end nearer to it; the long sides join both
        for i in range(n):
            j = (i + 1) % n
            pi_, pj = np.array(verts[ring_ids[i]]), np.array(verts[ring_ids[j]])
            ei = k0 if pi_[2] < 0 else k0 + 1
            ej = k0 if pj[2] < 0 else k0 + 1
            if ei == ej:
                polys.append([ring_ids[i], ring_ids[j], ei])
            else:
                polys.append([ring_ids[i], ring_ids[j], ej, ei])
    V = np.array(verts)
    # orient: the rings were listed counter-clockwise in (x, z); facets between
    # rings then face outward with this order when going down; check and flip.
    F = _triangulate(V, polys)
    if signed_volume(V, F) < 0:
        F = F[:, ::-1].copy()
    return V, F


def _build_emerald(ratio: float, p: dict):
    return _build_step(ratio, p, allow_taper=False)


def _build_asscher(ratio: float, p: dict):
    return _build_step(ratio, p, allow_taper=False)


def _build_baguette(ratio: float, p: dict):
    return _build_step(ratio, p, allow_taper=True)


# --------------------------------------------------------------------------- #
# Princess: planes
# --------------------------------------------------------------------------- #


def _build_princess(ratio: float, p: dict):
    table = _opt("table", p["table"], low=0.3, high=0.9)
    gird = _opt("girdle_thickness", p["girdle_thickness"], low=0.0, high=0.1)
    crown = _angles_opt("crown_angles_deg", p["crown_angles_deg"], n_min=1, n_max=4, low=5.0, high=60.0)
    corner_a = _opt("corner_crown_angle_deg", p["corner_crown_angle_deg"], low=5.0, high=60.0)
    pav = _angles_opt("pavilion_angles_deg", p["pavilion_angles_deg"], n_min=1, n_max=5, low=25.0, high=75.0)
    chev = _opt("chevron_deg", p["chevron_deg"], low=0.0, high=30.0, low_open=False)
    A, B = 0.5, 0.5 * ratio
    hg = gird / 2
    sides = [(np.array([1.0, 0.0]), A), (np.array([0.0, 1.0]), B), (np.array([-1.0, 0.0]), A),
             (np.array([0.0, -1.0]), B)]
    N, d, lab = [], [], []

    def plane(nx, ny, nz, off, name):
        N.append([nx, ny, nz])
        d.append(off)
        lab.append(name)

    for m, o in sides:
        plane(m[0], 0.0, m[1], o, "girdle")
    # crown: stepped tiers on the four sides, equal runs from the girdle to the table
    run_c = (1.0 - table) * A / len(crown)
    y = hg
    for k, a in enumerate(crown):
        t = math.tan(math.radians(a))
        for m, o in sides:
            # y <= y_k + t (o - k run - m.p)
            plane(t * m[0], 1.0, t * m[1], y + t * (o - k * run_c), f"crown_{k}")
        y += run_c * t
    plane(0.0, 1.0, 0.0, y, "table")
    # corner bezels through the girdle's top corners, facing the diagonals
    tk = math.tan(math.radians(corner_a))
    for sx, sz in ((1, 1), (-1, 1), (-1, -1), (1, -1)):
        u = np.array([sx * A, sz * B])
        u /= np.linalg.norm(u)
        plane(tk * u[0], 1.0, tk * u[1], hg + tk * float(u @ [sx * A, sz * B]), "corner_bezel")
    # pavilion: tier 0 (mains) through the girdle's bottom edges; inner tiers are
    # chevrons: two planes per side turned +-chevron_deg about the vertical,
    # meeting on the side's centre line, through the tier's point on it.
    # The mains take 45 % of the way to the culet, the chevron tiers share the
    # rest: the chevrons rise towards the corners, and a long first tier keeps
    # them clear of the girdle's corners.
    runs = [A] if len(pav) == 1 else [0.45 * A] + [0.55 * A / (len(pav) - 1)] * (len(pav) - 1)
    y = -hg
    g = math.radians(chev)
    for k, b in enumerate(pav):
        t = math.tan(math.radians(b))
        delta = sum(runs[:k])
        for m, o in sides:
            tangent = np.array([-m[1], m[0]])
            pk = m * (o - delta)  # the tier's point on the side's centre line
            if k == 0 or chev == 0.0:
                dirs = [m]
            else:
                dirs = [math.cos(g) * m + math.sin(g) * tangent, math.cos(g) * m - math.sin(g) * tangent]
            for q in dirs:
                s = t / float(q @ m)  # slope t along the centre line
                # y >= y_k + s q.(p - p_k)   <=>   s q.p - y <= s q.p_k - y_k
                plane(s * q[0], -1.0, s * q[1], s * float(q @ pk) - y,
                      "pavilion_main" if k == 0 else f"chevron_{k}")
        y -= runs[k] * t
    V, facets, missing = _polytope(np.array(N), np.array(d), lab)
    if missing:
        raise InvalidOptionError(
            f"princess: these facets are cut away by the others: {sorted(set(missing))}; "
            "adjust the angles (crown and pavilion angles must flatten towards the centre)",
            details={"missing": sorted(set(missing))})
    # the girdle's corners must survive (no chevron cuts into them)
    for sx, sz in ((1, 1), (-1, 1), (-1, -1), (1, -1)):
        for yy in (hg, -hg):
            if np.min(np.linalg.norm(V - [sx * A, yy, sz * B], axis=1)) > 1e-7:
                raise InvalidOptionError("princess: the pavilion or corner bezels cut into the girdle's "
                                         "corners; reduce chevron_deg or the inner pavilion angles",
                                         details={"chevron_deg": chev, "pavilion_angles_deg": list(pav)})
    F = _triangulate(V, [poly for _, poly in facets])
    return V, F


# --------------------------------------------------------------------------- #
# Smooth stones
# --------------------------------------------------------------------------- #


def _build_cabochon(ratio: float, p: dict):
    dome = _opt("dome", p["dome"], low=0.05, high=1.0)
    base = _opt("base_dome", p["base_dome"], low=0.0, high=0.5, low_open=False)
    gird = _opt("girdle_thickness", p["girdle_thickness"], low=0.0, high=0.3)
    seg = _int_opt("segments", p["segments"], 16, 512)
    rings = _int_opt("rings", p["rings"], 4, 256)
    if seg % 4:
        raise InvalidOptionError(f"segments must be a multiple of 4 (the extremes on the axes), got {seg}",
                                 details={"option": "segments", "value": seg})
    a, b, hg = 0.5, 0.5 * ratio, gird / 2
    phi = 2 * np.pi * np.arange(seg) / seg
    cphi, sphi = np.cos(phi), np.sin(phi)

    def cap(height, sign):
        """Ellipsoidal cap over the girdle ellipse: rings from the edge to the pole.

        Returns positions (rings*seg + 1, 3) and normals; the edge ring is first.
        """
        al = np.linspace(0.0, np.pi / 2, rings + 1)[:-1]  # polar angle from the edge ring
        pos, nrm = [], []
        for t in al:
            x, z = a * np.cos(t) * cphi, b * np.cos(t) * sphi
            yy = sign * (hg + height * np.sin(t)) * np.ones(seg)
            pos.append(np.stack([x, yy, z], 1))
            if height > 0:
                n = np.stack([x / a ** 2, sign * (height * np.sin(t)) / height ** 2 * np.ones(seg), z / b ** 2], 1)
            else:
                n = np.tile([0.0, sign, 0.0], (seg, 1))
            nrm.append(n / np.linalg.norm(n, axis=1, keepdims=True))
        pos.append(np.array([[0.0, sign * (hg + height), 0.0]]))
        nrm.append(np.array([[0.0, sign, 0.0]]))
        return np.concatenate(pos), np.concatenate(nrm)

    top, ntop = cap(dome, 1.0)
    bot, nbot = cap(base, -1.0)
    V = [top, bot]
    Nn = [ntop, nbot]
    F = []
    j = np.arange(seg)
    j2 = (j + 1) % seg

    def cap_faces(off, flip):
        out = []
        for r in range(rings - 1):
            a0, a1 = off + r * seg, off + (r + 1) * seg
            out.append(np.stack([a0 + j, a0 + j2, a1 + j2], 1))
            out.append(np.stack([a0 + j, a1 + j2, a1 + j], 1))
        pole = off + rings * seg
        last = off + (rings - 1) * seg
        out.append(np.stack([last + j, last + j2, np.full(seg, pole)], 1))
        f = np.concatenate(out)
        return f[:, ::-1] if flip else f

    # In (x, z) the rings run counter-clockwise, which is clockwise seen from +Y.
    F.append(cap_faces(0, True))
    nb = len(top)
    F.append(cap_faces(nb, False))
    if gird > 0:
        # the girdle band: its own vertices (a crease with the dome and the base)
        off = nb + len(bot)
        ring_top = top[:seg]
        ring_bot = bot[:seg]
        V += [ring_top, ring_bot]
        radial = np.stack([cphi / a, np.zeros(seg), sphi / b], 1)
        radial /= np.linalg.norm(radial, axis=1, keepdims=True)
        Nn += [radial, radial]
        t0, b0 = off, off + seg
        F.append(np.stack([t0 + j, t0 + j2, b0 + j2], 1))
        F.append(np.stack([t0 + j, b0 + j2, b0 + j], 1))
    V = np.concatenate(V)
    Nn = np.concatenate(Nn)
    F = np.concatenate(F)
    if signed_volume(V, F) < 0:
        F = F[:, ::-1].copy()
    return V, F, Nn


def _build_pearl(ratio: float, p: dict):
    seg = _int_opt("segments", p["segments"], 16, 512)
    rings = _int_opt("rings", p["rings"], 8, 256)
    if seg % 4 or rings % 2:
        raise InvalidOptionError("pearl: segments must be a multiple of 4 and rings even",
                                 details={"segments": seg, "rings": rings})
    a, b = 0.5, 0.5 * ratio
    c = 0.5  # polar (Y) semi-axis: the pearl's height equals its width
    th = np.pi * np.arange(1, rings) / rings  # from the +Y pole
    phi = 2 * np.pi * np.arange(seg) / seg
    st, ct = np.sin(th)[:, None], np.cos(th)[:, None]
    x = a * st * np.cos(phi)[None, :]
    z = b * st * np.sin(phi)[None, :]
    y = c * ct * np.ones_like(x)
    V = np.concatenate([np.stack([x, y, z], -1).reshape(-1, 3), [[0.0, c, 0.0], [0.0, -c, 0.0]]])
    n = V / np.array([a * a, c * c, b * b])
    n /= np.linalg.norm(n, axis=1, keepdims=True)
    j = np.arange(seg)
    j2 = (j + 1) % seg
    F = []
    for r in range(rings - 2):
        a0, a1 = r * seg, (r + 1) * seg
        F.append(np.stack([a0 + j, a1 + j, a1 + j2], 1))
        F.append(np.stack([a0 + j, a1 + j2, a0 + j2], 1))
    top, bot = len(V) - 2, len(V) - 1
    last = (rings - 2) * seg
    F.append(np.stack([np.full(seg, top), j, j2], 1))
    F.append(np.stack([np.full(seg, bot), last + j2, last + j], 1))
    F = np.concatenate(F)
    if signed_volume(V, F) < 0:
        F = F[:, ::-1].copy()
    return V, F, n


# --------------------------------------------------------------------------- #
# The registry
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class _Spec:
    build: Callable[[float, dict], tuple]
    defaults: dict
    ratio: tuple[float, float, float]  # default, low, high (length / width)


_STEP_KEYS = ("table", "girdle_thickness", "corner", "crown_angles_deg", "pavilion_angles_deg")

_SPECS: dict[str, _Spec] = {
    # GIA/trade: oval L/W 1.30-1.50 ("classic" 1.35-1.50); depth 58-62 %.
    "oval": _Spec(_build_oval, dict(_BRILLIANT_DEFAULTS), (1.40, 1.05, 2.0)),
    # Cushion: square 1.00-1.05, "elongated" up to ~1.3; corners rounded (superellipse n=4).
    "cushion": _Spec(_build_cushion, dict(_BRILLIANT_DEFAULTS, squareness=4.0, table=0.62, crown_angle_deg=36.0,
                                          pavilion_angle_deg=43.0, girdle_thickness=0.035), (1.0, 0.9, 1.5)),
    # Pear: L/W 1.45-1.75 typical; the trade's size tables list stouter stones (~1.35).
    "pear": _Spec(_build_pear, dict(_BRILLIANT_DEFAULTS), (1.55, 1.2, 2.2)),
    # Marquise: L/W 1.75-2.25, classic ~2.0.
    "marquise": _Spec(_build_marquise, dict(_BRILLIANT_DEFAULTS, table=0.56), (2.0, 1.5, 3.0)),
    # Heart: L/W 0.90-1.10.
    "heart": _Spec(_build_heart, dict(_BRILLIANT_DEFAULTS, cleft_depth=0.10, girdle_subdivisions=3),
                   (1.0, 0.8, 1.4)),
    # Emerald: L/W 1.30-1.50, table 60-70 %, total depth 60-70 %; 3 crown and 3 pavilion steps.
    "emerald": _Spec(_build_emerald, dict(table=0.64, girdle_thickness=0.025, corner=0.12,
                                          crown_angles_deg=(40.0, 30.0, 20.0),
                                          pavilion_angles_deg=(52.0, 42.0, 34.0)), (1.40, 1.0, 2.5)),
    # Asscher: square (1.00-1.05), high crown, small table (55-65 %), large cut corners, 4 pavilion steps.
    "asscher": _Spec(_build_asscher, dict(table=0.60, girdle_thickness=0.025, corner=0.22,
                                          crown_angles_deg=(45.0, 35.0, 25.0),
                                          pavilion_angles_deg=(55.0, 47.0, 40.0, 33.0)), (1.0, 1.0, 1.1)),
    # Baguette: small rectangular step cut, 1 crown and 2 pavilion steps; optional taper.
    "baguette": _Spec(_build_baguette, dict(table=0.65, girdle_thickness=0.03, corner=0.0, taper=1.0,
                                            crown_angles_deg=(35.0,), pavilion_angles_deg=(50.0, 38.0)),
                      (2.5, 1.2, 6.0)),
    # Princess: square (1.00-1.05), table 64-75 %, total depth 64-75 %.
    "princess": _Spec(_build_princess, dict(table=0.70, girdle_thickness=0.025, crown_angles_deg=(38.0, 26.0),
                                            corner_crown_angle_deg=20.0,
                                            pavilion_angles_deg=(56.0, 46.0, 38.0), chevron_deg=8.0),
                      (1.0, 1.0, 1.15)),
    "cabochon": _Spec(_build_cabochon, dict(dome=0.35, base_dome=0.0, girdle_thickness=0.04, segments=96,
                                            rings=24), (1.0, 1.0, 2.0)),
    "pearl": _Spec(_build_pearl, dict(segments=96, rings=48), (1.0, 1.0, 1.3)),
}
_BRILLIANT_CUTS = ("oval", "cushion", "pear", "marquise", "heart")


def _check_cut_name(cut: str) -> str:
    if cut not in CUTS:
        raise InvalidOptionError(f"unknown cut {cut!r}; valid: {', '.join(CUTS)}",
                                 details={"option": "cut", "value": repr(cut), "valid": list(CUTS)})
    return cut


def default_proportions(cut: str) -> dict[str, Any]:
    """The default proportions of a cut (the keyword options of :func:`make_stone`).

    ``ratio`` is length / width (long axis along +Z).  For ``"round-brilliant"``
    these are :func:`jewelrender.geometry.assets.round_brilliant`'s defaults.
    """
    _check_cut_name(cut)
    if cut == "round-brilliant":
        return dict(table=0.53, crown_angle_deg=34.5, pavilion_angle_deg=40.75, girdle_thickness=0.02,
                    star_ratio=0.5, lower_half_ratio=0.77, culet=0.0)
    spec = _SPECS[cut]
    return dict(spec.defaults, ratio=spec.ratio[0])


def _params(cut: str, proportions: dict) -> tuple[float, tuple]:
    """Validated (ratio, frozen proportions) of a cut, defaults filled in."""
    spec = _SPECS[cut]
    valid = set(spec.defaults) | {"ratio"}
    unknown = sorted(set(proportions) - valid)
    if unknown:
        raise InvalidOptionError(f"unknown option(s) for cut {cut!r}: {', '.join(unknown)}; "
                                 f"valid: {', '.join(sorted(valid))}",
                                 details={"cut": cut, "unknown": unknown, "valid": sorted(valid)})
    r0, lo, hi = spec.ratio
    ratio = _opt("ratio", proportions.get("ratio", r0), low=lo, high=hi, low_open=False)
    p = dict(spec.defaults)
    p.update({k: v for k, v in proportions.items() if k != "ratio"})
    frozen = []
    for k in sorted(p):
        v = p[k]
        if isinstance(v, (list, tuple, np.ndarray)):
            try:
                v = tuple(float(x) for x in v)
            except (TypeError, ValueError):
                raise InvalidOptionError(f"{k} must be numbers, got {v!r}",
                                         details={"option": k, "value": repr(v)}) from None
        elif isinstance(v, np.generic):
            v = v.item()
        elif not is_number(v):
            raise InvalidOptionError(f"{k} must be a number, got {v!r}", details={"option": k, "value": repr(v)})
        frozen.append((k, v))
    return ratio, tuple(frozen)


@lru_cache(maxsize=128)
def _unit(cut: str, ratio: float, frozen: tuple):
    """The stone at width 1 (length = ratio), bounding box exact and centred; with its volume."""
    out = _SPECS[cut].build(ratio, dict(frozen))
    V, F = np.asarray(out[0], dtype=np.float64), np.asarray(out[1], dtype=np.int64)
    N = None if len(out) < 3 else np.asarray(out[2], dtype=np.float64)
    # Exact, centred bounding box: the builders put the extreme points on the
    # axes already; this removes the last rounding (and centres the pear).
    lo, hi = V[:, [0, 2]].min(axis=0), V[:, [0, 2]].max(axis=0)
    sx, sz = 1.0 / (hi[0] - lo[0]), ratio / (hi[1] - lo[1])
    V = np.stack([(V[:, 0] - 0.5 * (lo[0] + hi[0])) * sx, V[:, 1],
                  (V[:, 2] - 0.5 * (lo[1] + hi[1])) * sz], axis=1)
    if N is not None:
        N = N / np.array([sx, 1.0, sz])
        N /= np.linalg.norm(N, axis=1, keepdims=True)
    vol = signed_volume(V, F)
    if not vol > 0:  # pragma: no cover - every builder orients outward
        raise InvalidOptionError(f"{cut}: proportions give an empty or inverted solid")
    for a in (V, F) + ((N,) if N is not None else ()):
        a.setflags(write=False)
    return V, F, N, vol


def _size_from(cut: str, size_mm, ratio_given: bool, ratio: float) -> tuple[float, float]:
    """(length, width) from ``size_mm``; the ratio follows from it."""
    if is_number(size_mm):
        L = W = _opt("size_mm", size_mm, low=0.0, high=100.0)
    else:
        try:
            L, W = size_mm
        except (TypeError, ValueError):
            raise InvalidOptionError(f"size_mm must be a number or (length, width), got {size_mm!r}",
                                     details={"option": "size_mm", "value": repr(size_mm)}) from None
        L = _opt("size_mm[0] (length)", L, low=0.0, high=100.0)
        W = _opt("size_mm[1] (width)", W, low=0.0, high=100.0)
    if ratio_given and abs(L / W - ratio) > 1e-9 * ratio:
        raise InvalidOptionError(f"ratio={ratio:g} contradicts size_mm {L:g} x {W:g} mm; give one of them",
                                 details={"ratio": ratio, "size_mm": [L, W]})
    return L, W


def _volume_to_carat(vol_mm3: float, density: float) -> float:
    return vol_mm3 * density * 1e-3 / GRAMS_PER_CARAT


def carat_to_size_mm(cut: str, carat: float, *, density_g_cm3: float = DIAMOND_DENSITY_G_CM3,
                     **proportions) -> tuple[float, float]:
    """(length, width) in mm of a stone of the given weight.

    Exact for the model: ``carat = V(width) * density / 0.2 g`` with the mesh's
    volume, which scales as ``width**3`` at fixed proportions.

    Parameters
    ----------
    cut : str
        One of :data:`CUTS`.
    carat : float
        Weight, metric carats.
    density_g_cm3 : float
        Material density (diamond 3.52, sapphire/ruby 4.00, emerald 2.72,
        pearl ~2.7).
    **proportions
        As for :func:`make_stone` (``ratio``, ``table``, ...).

    Returns
    -------
    (float, float)
        Length (along Z) and width (along X), mm; for the round brilliant the
        mean girdle diameter twice.
    """
    _check_cut_name(cut)
    ct = _opt("carat", carat, low=0.0, high=1e4)
    dens = _opt("density_g_cm3", density_g_cm3, low=0.0, high=30.0)
    if cut == "round-brilliant":
        d = carat_to_diameter_mm(ct, density_g_cm3=dens, **proportions)
        return d, d
    ratio, frozen = _params(cut, proportions)
    vol1 = _unit(cut, ratio, frozen)[3]
    vol = ct * GRAMS_PER_CARAT / (dens * 1e-3)
    w = (vol / vol1) ** (1.0 / 3.0)
    return ratio * w, w


def size_mm_to_carat(cut: str, size_mm, *, density_g_cm3: float = DIAMOND_DENSITY_G_CM3,
                     **proportions) -> float:
    """Weight (metric carats) of a stone of the given size; inverse of :func:`carat_to_size_mm`.

    ``size_mm`` is ``(length, width)`` or one number (round/square); see
    :func:`make_stone`.
    """
    _check_cut_name(cut)
    dens = _opt("density_g_cm3", density_g_cm3, low=0.0, high=30.0)
    if cut == "round-brilliant":
        L, W = _size_from(cut, size_mm, False, 1.0)
        if abs(L - W) > 1e-9 * W:
            raise InvalidOptionError("a round brilliant has one diameter; give size_mm as one number")
        from .assets import diameter_mm_to_carat

        return diameter_mm_to_carat(W, density_g_cm3=dens, **proportions)
    ratio_given = "ratio" in proportions
    r, _ = _params(cut, proportions)
    L, W = _size_from(cut, size_mm, ratio_given, r)
    ratio, frozen = _params(cut, dict(proportions, ratio=L / W))
    return _volume_to_carat(_unit(cut, ratio, frozen)[3] * W ** 3, dens)


def make_stone(cut: str, *, carat: float | None = None, size_mm: tuple[float, float] | float | None = None,
               density_g_cm3: float = DIAMOND_DENSITY_G_CM3, name: str = "stone", **proportions) -> MeshPart:
    """A cut stone (or cabochon, or pearl) as one closed mesh in the stone frame.

    Parameters
    ----------
    cut : str
        One of :data:`CUTS`: ``"round-brilliant"``, ``"princess"``,
        ``"emerald"``, ``"asscher"``, ``"oval"``, ``"cushion"``, ``"pear"``,
        ``"marquise"``, ``"heart"``, ``"baguette"``, ``"cabochon"``,
        ``"pearl"``.
    carat : float, optional
        Weight in metric carats (exact mesh volume x density, 1 ct = 0.2 g).
    size_mm : (float, float) or float, optional
        ``(length, width)`` of the girdle outline's bounding box, mm (length
        along +Z, width along X); one number means length = width (a round or
        square stone, a round cabochon, a pearl's diameter).  The ratio follows
        from it.  Give exactly one of ``carat`` and ``size_mm``.  For
        ``"round-brilliant"`` the number is the mean girdle diameter.
    density_g_cm3 : float
        Material density for ``carat`` (diamond 3.52).
    name : str
        Part name.
    **proportions
        The cut's options; all are relative to the width, angles in degrees
        (see :func:`default_proportions` for each cut's defaults):

        *every cut but the round*: ``ratio`` (length / width).

        *oval, cushion, pear, marquise, heart* (the round brilliant's
        57-facet pattern on the outline; angles measured on the short axis):
        ``table`` (0.58), ``crown_angle_deg`` (34), ``pavilion_angle_deg``
        (41), ``girdle_thickness`` (0.025), ``star_ratio`` (0.5),
        ``lower_half_ratio`` (0.77), ``culet`` (0), ``girdle_subdivisions``
        (girdle points per round-brilliant girdle facet, 2; 3 for the heart);
        cushion ``squareness`` (superellipse exponent, 4; 2 = ellipse); heart
        ``cleft_depth`` (0.10, depth of the cleft below the lobes, in widths).

        *emerald, asscher, baguette* (step cuts): ``table`` (table width /
        width), ``girdle_thickness``, ``corner`` (leg of the 45-degree corner
        cut / width; 0 = square corners), ``crown_angles_deg`` (one angle per
        crown step, girdle to table, decreasing), ``pavilion_angles_deg`` (one
        per pavilion step, girdle to keel, decreasing); baguette ``taper``
        (width of the +Z end / width, 1 = rectangular).

        *princess*: ``table``, ``girdle_thickness``, ``crown_angles_deg``
        (stepped crown), ``corner_crown_angle_deg`` (the four corner bezels),
        ``pavilion_angles_deg`` (mains, then one chevron tier per further
        angle; measured on the sides' centre lines), ``chevron_deg`` (how far
        the chevron facets turn from the side, degrees).

        *cabochon*: ``dome`` (dome height / width, 0.35), ``base_dome`` (0 =
        flat base), ``girdle_thickness`` (0.04), ``segments``, ``rings``.

        *pearl*: ``ratio`` (1 = round; up to 1.3 for an oval pearl, long axis
        +Z), ``segments``, ``rings``.

        *round-brilliant*: :func:`jewelrender.geometry.assets.round_brilliant`'s options.

    Returns
    -------
    MeshPart
        Role ``"stone"``, stone frame (mm, table/dome facing +Y, girdle
        mid-plane y = 0, outline's bounding box centred on the Y axis), closed
        and outward; ``normals`` None (flat facets) except for the cabochon
        and the pearl (smooth, unit vertex normals).

    Raises
    ------
    InvalidOptionError
        Unknown cut or option, a value out of range, both or neither of
        ``carat`` and ``size_mm``, or proportions that cannot make the cut.
    """
    _check_cut_name(cut)
    if (carat is None) == (size_mm is None):
        raise InvalidOptionError("give exactly one of carat and size_mm",
                                 details={"carat": carat, "size_mm": repr(size_mm)})
    if cut == "round-brilliant":
        cut_from(proportions)  # unknown options -> InvalidOptionError, not TypeError
        if size_mm is not None:
            L, W = _size_from(cut, size_mm, False, 1.0)
            if abs(L - W) > 1e-9 * W:
                raise InvalidOptionError("a round brilliant has one diameter; give size_mm as one number",
                                         details={"size_mm": [L, W]})
            return round_brilliant(diameter_mm=W, density_g_cm3=density_g_cm3, name=name, **proportions)
        return round_brilliant(carat=carat, density_g_cm3=density_g_cm3, name=name, **proportions)
    ratio_given = "ratio" in proportions
    ratio, frozen = _params(cut, proportions)
    if size_mm is not None:
        L, W = _size_from(cut, size_mm, ratio_given, ratio)
        ratio, frozen = _params(cut, dict(proportions, ratio=L / W))
    else:
        L, W = carat_to_size_mm(cut, carat, density_g_cm3=density_g_cm3, **proportions)
    V, F, N, _ = _unit(cut, ratio, frozen)
    # scale x and z to the exact size (the unit's length is `ratio`, equal to L/W up to rounding)
    Vs = V * np.array([W, W, L / ratio])
    return MeshPart(name, "stone", Vs, F, N)


def facet_count(cut: str, **proportions) -> int:
    """Number of facets (planar polish faces, girdle facets excluded) the generator makes.

    Fancy brilliants: 57 (58 with a culet), the round's pattern.  Step cuts:
    table + 8 (4 without corner cuts) per crown step + 8 (4) per pavilion step
    (emerald default 49, "57 with the 8 girdle facets"; asscher 57; baguette
    13).  Princess: table + 4 per crown step + 4 corner bezels + 4 pavilion
    mains + 8 per chevron tier (default 33).  Cabochons and pearls: 0 (smooth).
    """
    _check_cut_name(cut)
    if cut == "round-brilliant":
        return 58 if float(proportions.get("culet", 0.0)) > 0 else 57
    p = dict(_params(cut, proportions)[1])
    if cut in _BRILLIANT_CUTS:
        return 58 if p["culet"] > 0 else 57
    if cut in ("cabochon", "pearl"):
        return 0
    if cut == "princess":
        return 1 + 4 * len(p["crown_angles_deg"]) + 4 + 4 + 8 * (len(p["pavilion_angles_deg"]) - 1)
    sides = 8 if p["corner"] > 0 else 4
    return 1 + sides * (len(p["crown_angles_deg"]) + len(p["pavilion_angles_deg"]))


def outline(stone: MeshPart | str, *, y: float = 0.0, **make_stone_kwargs) -> np.ndarray:
    """The girdle outline: the stone's cross-section at height ``y`` (stone frame).

    Parameters
    ----------
    stone : MeshPart or str
        A stone in its stone frame, or a cut name (then ``make_stone_kwargs``,
        e.g. ``carat=1.0``, build it).
    y : float
        Height of the section, mm; 0 is the girdle's mid-plane (a section
        through a vertex ring is moved by 1e-7 x the stone's size, so it
        always cuts faces).

    Returns
    -------
    ndarray, shape (K, 2), float64
        ``(x, z)`` points in mm, counter-clockwise in the (x, z) plane (positive
        shoelace area with x as the first and z as the second coordinate), not
        repeating the first point.  The true section, not its hull: a heart's
        cleft is kept.
    """
    if isinstance(stone, str):
        stone = make_stone(stone, **make_stone_kwargs)
    elif make_stone_kwargs:
        raise InvalidOptionError("outline: options are only for a cut name, not a MeshPart")
    if not isinstance(stone, MeshPart):
        raise InvalidOptionError(f"outline needs a MeshPart or a cut name, got {type(stone).__name__}")
    v = stone.vertices.astype(np.float64)
    f = stone.faces.astype(np.int64)
    size = float(np.ptp(v, axis=0).max())
    y0 = _opt("y", y, low=-1e4, high=1e4)
    if np.any(np.abs(v[:, 1] - y0) < 1e-9 * size):
        y0 += 1e-7 * size
    h = v[:, 1] - y0
    segs = []
    for tri in f:
        hs = h[tri]
        pts = []
        for i in range(3):
            a, b = tri[i], tri[(i + 1) % 3]
            if (h[a] < 0) != (h[b] < 0):
                t = h[a] / (h[a] - h[b])
                pts.append(v[a] + t * (v[b] - v[a]))
        if len(pts) == 2 and hs.min() < 0 < hs.max():
            segs.append((pts[0][[0, 2]], pts[1][[0, 2]]))
    if not segs:
        raise InvalidOptionError(f"outline: the plane y = {y} does not cut the stone",
                                 details={"y": y, "y_range": [float(v[:, 1].min()), float(v[:, 1].max())]})
    # chain the segments into one loop (endpoints shared between neighbouring faces)
    def key(p):
        return round(p[0] / size, 9), round(p[1] / size, 9)

    nxt: dict[tuple, list] = {}
    for a, b in segs:
        nxt.setdefault(key(a), []).append((key(b), b))
        nxt.setdefault(key(b), []).append((key(a), a))
    start = key(segs[0][0])
    loop = [segs[0][0]]
    prev, cur = None, start
    seen = {start}
    while True:
        options = [(k, p) for k, p in nxt[cur] if k != prev]
        if not options:
            break
        k, p = options[0]
        if k == start:
            break
        if k in seen:
            break
        seen.add(k)
        loop.append(p)
        prev, cur = cur, k
    out = np.array(loop)
    # drop the points where the section crosses a facet's diagonal (collinear with their neighbours)
    keep = np.ones(len(out), dtype=bool)
    for i in range(len(out)):
        a, b, c = out[i - 1], out[i], out[(i + 1) % len(out)]
        if abs(_cross2(a, b, c)) <= 1e-12 * size * size and np.dot(b - a, c - b) > 0:
            keep[i] = False
    out = out[keep]
    if len(out) < 3:
        raise InvalidOptionError("outline: the section is not a closed loop")  # pragma: no cover
    area = 0.5 * np.sum(out[:, 0] * np.roll(out[:, 1], -1) - np.roll(out[:, 0], -1) * out[:, 1])
    return out if area > 0 else out[::-1].copy()
