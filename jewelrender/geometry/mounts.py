"""Settings that hold stones: prong heads for any cut, bezels, halos, pearl cups, pavé and channel bands.

Everything here builds on :mod:`jewelrender.geometry.assets` (the :class:`~jewelrender.geometry.assets.MeshPart`
contract, the band, the round brilliant, tubes and the round prong basket) and works for
any stone given in its *stone frame*: millimetres, axis +Y with the table facing +Y, the
girdle's mid-plane at ``y = 0``, the axis through the origin, and for elongated cuts the
long axis along +Z (the finger's direction once set).  Only the stone's mesh is read, so
the cuts of :mod:`jewelrender.geometry.cuts` (princess, oval, pear, marquise, heart, ...) and a
user's own stone are handled alike.

Outline geometry
----------------
The girdle outline is a closed polygon in the stone's x-z plane (see
:func:`girdle_outline`).  Collars that follow it (the bezel's wall, the halo's rails) are
built from *offset curves*: the set of points at signed distance ``d`` from the outline
(negative inside).  Each offset curve is sampled along rays from the stone's axis at a
common set of polar angles, so a cross-section profile given in ``(d, y)`` lofts into a
closed, non-self-intersecting tube for any star-shaped outline (sharp marquise points and
a heart's cleft included): offset curves are nested, so the profile's points keep their
order along every ray.

Piece frame
-----------
:func:`jewelrender.pieces.ring.ring_assembly` puts these together; frames: :mod:`jewelrender.geometry.assets`
(axis +Z, head towards +Y).  Angles around the band, ``phi``, run from +X towards +Y
(the band's texture ``u``); the top of the ring is ``phi = 90 deg``.

Part names
----------
``"band"``, ``"beads"`` (pavé), ``"head"`` (a prong basket's gallery rails), ``"prong_<i>"``,
``"bezel"``, ``"cup"``, ``"halo_frame"`` (metal, role ``"metal"``, smooth normals); ``"stone"`` (the
centre stone) and ``"accent_<i>"`` (every melee: halo and band alike, role ``"stone"``,
faceted).  Parts may interpenetrate (a prong's seat, a bezel's lip and a bead each cut a
little into the stone they hold); stones never touch each other.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import assets as _A
from .assets import MeshPart, ear_clip, signed_area
from ..checks import bool_option as _bool_opt
from ..checks import int_option as _int_opt
from ..checks import number_option as _opt
from ..errors import InvalidOptionError

__all__ = [
    "ACCENT_STYLES",
    "accent_band",
    "bezel_setting",
    "cup_setting",
    "girdle_outline",
    "halo_setting",
    "check_stone",
    "cup_profile",
    "default_prong_diameter",
    "outline_polygon",
    "prong_head",
]

#: Band accent styles understood by :func:`accent_band` (setting styles: jewelrender.pieces.ring.HEADS).
ACCENT_STYLES = ("pave", "channel")

_Y = np.array([0.0, 1.0, 0.0])


# --------------------------------------------------------------------------- #
# Validation helpers
# --------------------------------------------------------------------------- #


def check_stone(stone: Any, what: str = "stone") -> np.ndarray:
    """The stone's vertices (float64), after checking it is a stone-frame MeshPart."""
    if not isinstance(stone, MeshPart):
        raise InvalidOptionError(f"{what} must be a MeshPart, got {type(stone).__name__}",
                                 details={"option": what})
    v = stone.vertices.astype(np.float64)
    if len(stone.faces) < 4 or not np.all(np.isfinite(v)):
        raise InvalidOptionError(f"{what}: not a closed mesh", details={"option": what})
    if not (v[:, 1].min() < 0.0 < v[:, 1].max()):
        raise InvalidOptionError(f"{what} must be in its stone frame (girdle plane y = 0, table up)",
                                 details={"option": what})
    return v


# --------------------------------------------------------------------------- #
# 2-D outline geometry (stone frame x-z plane; points are (x, z))
# --------------------------------------------------------------------------- #


def _is_convex_solid(v: np.ndarray, f: np.ndarray) -> bool:
    """Whether a closed mesh fills its convex hull (to 0.1 %)."""
    from scipy.spatial import ConvexHull

    vol = abs(_A.signed_volume(v, f.astype(np.int64)))
    return vol >= 0.999 * ConvexHull(v).volume


def _slice_loops(v: np.ndarray, f: np.ndarray, y0: float) -> list[np.ndarray]:
    """Closed loops (x, z) where the plane y = y0 cuts a closed mesh."""
    h = v[:, 1] - y0
    tri = f.astype(np.int64)
    s = h[tri] > 0
    cut = s.any(axis=1) & ~s.all(axis=1)
    edges_of: dict[tuple[int, int], list[int]] = {}
    points: dict[tuple[int, int], np.ndarray] = {}
    links: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for t in tri[cut]:
        ks = []
        for a, b in ((t[0], t[1]), (t[1], t[2]), (t[2], t[0])):
            if (h[a] > 0) != (h[b] > 0):
                key = (min(a, b), max(a, b))
                if key not in points:
                    w = h[a] / (h[a] - h[b])
                    p = v[a] + w * (v[b] - v[a])
                    points[key] = p[[0, 2]]
                ks.append(key)
        if len(ks) == 2:
            links.append((ks[0], ks[1]))
    for i, (a, b) in enumerate(links):
        edges_of.setdefault(a, []).append(i)
        edges_of.setdefault(b, []).append(i)
    used = np.zeros(len(links), dtype=bool)
    loops = []
    for i0 in range(len(links)):
        if used[i0]:
            continue
        used[i0] = True
        start, cur = links[i0]
        loop = [start, cur]
        while cur != start:
            nxt = [j for j in edges_of.get(cur, []) if not used[j]]
            if not nxt:
                break
            j = nxt[0]
            used[j] = True
            a, b = links[j]
            cur = b if a == cur else a
            loop.append(cur)
        if loop[-1] == start and len(loop) > 3:
            loops.append(np.array([points[k] for k in loop[:-1]]))
    return loops


def _clean_poly(poly: np.ndarray, tol: float) -> np.ndarray:
    """Drop repeated and collinear points of a closed polygon."""
    p = np.asarray(poly, dtype=np.float64)
    keep = np.linalg.norm(p - np.roll(p, 1, axis=0), axis=1) > tol
    p = p[keep]
    for _ in range(3):
        a, b = np.roll(p, 1, axis=0) - p, np.roll(p, -1, axis=0) - p
        cr = np.abs(a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0])
        ok = cr > tol * (np.linalg.norm(a, axis=1) + np.linalg.norm(b, axis=1)) * 1e-3
        if ok.all():
            break
        p = p[ok]
    return p


def outline_polygon(stone: MeshPart) -> np.ndarray:
    """The girdle outline as an exact polygon (E, 2) of (x, z), counter-clockwise.

    Convex stones: the convex hull of the vertices seen along the axis (the girdle is
    their widest section).  Other stones (a heart): the section of the mesh at y = 0.
    """
    v = check_stone(stone)
    f = stone.faces
    size = float(np.ptp(v, axis=0).max())
    if _is_convex_solid(v, f):
        poly = _A.hull2d(v[:, [0, 2]])
    else:
        loops = []
        for eps in (0.0, 1e-5, -1e-5, 3e-4, -3e-4):
            y0 = eps * size
            if np.any(np.abs(v[:, 1] - y0) < 1e-9 * size):
                continue  # a vertex on the plane: nudge it
            loops = _slice_loops(v, f, y0)
            if loops:
                break
        if not loops:
            raise InvalidOptionError("stone: its girdle plane y = 0 does not cut the mesh")
        poly = max(loops, key=lambda q: abs(signed_area(q)))
    poly = _clean_poly(poly, 1e-7 * size)
    if signed_area(poly) < 0:
        poly = poly[::-1]
    if len(poly) < 3 or signed_area(poly) <= 1e-6 * size * size:
        raise InvalidOptionError("stone: degenerate girdle outline")
    if _sdist(np.zeros((1, 2)), poly)[0] >= 0:
        raise InvalidOptionError("stone: its axis (x = z = 0) must lie inside the girdle outline")
    return poly


def _sdist(pts: np.ndarray, poly: np.ndarray, chunk: int = 8192) -> np.ndarray:
    """Signed distance (N,) from points (N, 2) to a closed polygon, negative inside."""
    pts = np.asarray(pts, dtype=np.float64)
    ax, az = poly[:, 0], poly[:, 1]
    bx, bz = np.roll(ax, -1), np.roll(az, -1)
    ex, ez = bx - ax, bz - az
    inv_l2 = 1.0 / np.maximum(ex * ex + ez * ez, 1e-300)
    dz = np.where(ez == 0.0, 1e-300, ez)
    slope = ex / dz
    out = np.empty(len(pts))
    for s in range(0, len(pts), chunk):
        px = pts[s:s + chunk, 0:1]
        pz = pts[s:s + chunk, 1:2]
        wx, wz = px - ax, pz - az
        t = np.clip((wx * ex + wz * ez) * inv_l2, 0.0, 1.0)
        wx -= t * ex
        wz -= t * ez
        d2 = np.min(wx * wx + wz * wz, axis=1)
        cross = (az > pz) != (bz > pz)
        xint = ax + (pz - az) * slope
        inside = (np.count_nonzero(cross & (xint > px), axis=1) % 2) == 1
        out[s:s + chunk] = np.where(inside, -np.sqrt(d2), np.sqrt(d2))
    return out


def _polar_levels(poly: np.ndarray, thetas: np.ndarray, levels: np.ndarray, *,
                  n_scan: int = 400, scan_step: float = 0.03, iters: int = 6) -> np.ndarray:
    """Radii (K, L) where rays from the axis at ``thetas`` last cross each offset level.

    ``levels`` are signed distances from the outline (mm, negative inside).  The
    farthest crossing is taken, so the curves are the outer boundaries of the nested
    sets ``{sdist <= d}``; they keep their order along every ray.
    """
    thetas = np.asarray(thetas, dtype=np.float64)
    levels = np.asarray(levels, dtype=np.float64)
    u = np.stack([np.cos(thetas), np.sin(thetas)], axis=1)
    # Points nearer the axis than r_in + d are inside level d (r_in: the largest circle
    # about the axis inside the outline), so the scan starts there.
    r_in = -float(_sdist(np.zeros((1, 2)), poly)[0])
    r_max = float(np.max(np.linalg.norm(poly, axis=1))) + max(float(levels.max()), 0.0) + 0.05
    r_lo = max(0.0, r_in + float(levels.min()) - 0.05)
    n_scan = int(np.clip(math.ceil((r_max - r_lo) / scan_step), 8, n_scan))
    rs = np.linspace(r_lo, r_max, n_scan)
    sd = _sdist((u[:, None, :] * rs[None, :, None]).reshape(-1, 2), poly).reshape(len(u), n_scan)
    below = sd[:, :, None] <= levels[None, None, :]  # (K, M, L)
    if not below[:, 0, :].all():
        raise InvalidOptionError("setting does not fit: an offset of the girdle outline reaches "
                                 "past the stone's axis (the stone is too small for it)",
                                 details={"levels_mm": levels.tolist()})
    idx = n_scan - 1 - np.argmax(below[:, ::-1, :], axis=1)  # (K, L) last index inside
    idx = np.minimum(idx, n_scan - 2)
    K, L = idx.shape
    kk = np.arange(K)[:, None]
    lo, hi = rs[idx], rs[idx + 1]
    f_lo = sd[kk, idx] - levels[None, :]
    f_hi = sd[kk, idx + 1] - levels[None, :]
    uu = np.broadcast_to(u[:, None, :], (K, L, 2))
    # Regula falsi (Illinois) in the scan's bracket: the distance is smooth along the ray
    # almost everywhere, so a few steps reach ~1e-7 mm.
    for _ in range(iters):
        den = np.where(f_hi - f_lo > 1e-15, f_hi - f_lo, 1e-15)
        r = np.clip(lo - f_lo * (hi - lo) / den, lo, hi)
        f = _sdist((uu * r[..., None]).reshape(-1, 2), poly).reshape(K, L) - levels[None, :]
        inside = f <= 0
        lo, f_lo, hi, f_hi = (np.where(inside, r, lo), np.where(inside, f, 0.5 * f_lo),
                              np.where(inside, hi, r), np.where(inside, 0.5 * f_hi, f))
        if np.max(np.abs(f)) < 1e-7:
            break
    den = np.where(f_hi - f_lo > 1e-15, f_hi - f_lo, 1e-15)
    return np.clip(lo - f_lo * (hi - lo) / den, lo, hi)


def _turning(poly: np.ndarray) -> np.ndarray:
    """Signed turning angle (rad) at each vertex of a CCW polygon (positive: convex)."""
    e_in = poly - np.roll(poly, 1, axis=0)
    e_out = np.roll(poly, -1, axis=0) - poly
    cr = e_in[:, 0] * e_out[:, 1] - e_in[:, 1] * e_out[:, 0]
    dt = np.einsum("ij,ij->i", e_in, e_out)
    return np.arctan2(cr, dt)


def _sample_thetas(poly: np.ndarray, n: int) -> np.ndarray:
    """``n`` even polar angles plus the outline's sharp corners, sorted.

    Around each corner, extra angles at arc distances of 0.01-0.5 mm on both sides, so
    that the small round arcs an offset curve makes there (outside a convex corner) are
    resolved and the smooth normals there do not smear across the turn.
    """
    base = 2 * np.pi * np.arange(n) / n
    sharp = poly[np.abs(_turning(poly)) > math.radians(15.0)]
    if len(sharp) == 0:
        return base
    ca = np.mod(np.arctan2(sharp[:, 1], sharp[:, 0]), 2 * np.pi)
    rho = np.linalg.norm(sharp, axis=1)
    ds = np.array([0.01, 0.025, 0.05, 0.1, 0.2, 0.35, 0.5])
    near = (ca[:, None] + np.concatenate([-ds, ds])[None, :] / rho[:, None]).ravel()
    step = 2 * np.pi / n
    d = np.abs((base[:, None] - ca[None, :] + np.pi) % (2 * np.pi) - np.pi)
    keep = d.min(axis=1) > 0.3 * step
    th = np.sort(np.mod(np.concatenate([base[keep], ca, near]), 2 * np.pi))
    gap = np.diff(np.concatenate([th, th[:1] + 2 * np.pi]))
    return th[gap > 1e-6]


def _resample_closed(poly: np.ndarray, n: int, start: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points equally spaced by arc length along a closed polyline, and their tangents.

    ``start`` is the arc-length fraction of the first point.
    """
    p = np.concatenate([poly, poly[:1]])
    seg = np.linalg.norm(np.diff(p, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    total = s[-1]
    q = (start + np.arange(n) / n) % 1.0 * total
    return _at_arclength(p, s, q), total


def _at_arclength(p: np.ndarray, s: np.ndarray, q: np.ndarray) -> np.ndarray:
    q = np.mod(q, s[-1])
    i = np.clip(np.searchsorted(s, q, side="right") - 1, 0, len(p) - 2)
    w = (q - s[i]) / np.maximum(s[i + 1] - s[i], 1e-300)
    return p[i] + w[:, None] * (p[i + 1] - p[i])


def girdle_outline(stone: MeshPart, samples: int = 256) -> np.ndarray:
    """The stone's girdle outline in the stone frame's x-z plane.

    For each of ``samples`` polar angles ``theta = 2 pi k / samples`` (measured from +X
    towards +Z) the point of the outline farthest from the axis along that direction: the
    stone's maximum extent at the girdle.  Convex stones use the hull of their vertices
    seen along the axis; a non-convex stone (a heart) is sliced at ``y = 0`` so that its
    cleft is kept.

    Parameters
    ----------
    stone : MeshPart
        Stone in its stone frame (axis +Y, girdle plane y = 0, axis inside the outline).
    samples : int
        Number of points, 8..16384.

    Returns
    -------
    ndarray, shape (samples, 2), float64
        ``(x, z)`` in millimetres, counter-clockwise in the (x, z) plane (turning from +X
        towards +Z; positive signed area), starting on the +X axis.

    Raises
    ------
    InvalidOptionError
        Not a stone-frame mesh, or a bad ``samples``.
    """
    n = _int_opt("samples", samples, 8, 16384)
    poly = outline_polygon(stone)
    th = 2 * np.pi * np.arange(n) / n
    r = _polar_levels(poly, th, np.array([0.0]))[:, 0]
    return np.stack([r * np.cos(th), r * np.sin(th)], axis=1)


# --------------------------------------------------------------------------- #
# Small mesh builders
# --------------------------------------------------------------------------- #


def _fillet(points: np.ndarray, radii, *, closed: bool, step_deg: float = 12.0) -> np.ndarray:
    """A polyline (2-D or 3-D) with each corner cut by a tangent circular arc.

    Unlike :func:`jewelrender.geometry.assets._rounded_polyline` the arcs lie *inside* the
    corners (the legs stay where they are).  ``radii`` is one radius or one per point
    (ignored at the ends of an open line); each arc shrinks to fit in 45 % of its legs.
    """
    p = np.asarray(points, dtype=np.float64)
    n = len(p)
    rad = np.broadcast_to(np.asarray(radii, dtype=np.float64), (n,))
    out = []
    for i in range(n):
        if not closed and (i == 0 or i == n - 1):
            out.append(p[i])
            continue
        a = p[i] - p[i - 1]
        b = p[(i + 1) % n] - p[i]
        la, lb = np.linalg.norm(a), np.linalg.norm(b)
        a, b = a / la, b / lb
        th = math.acos(max(-1.0, min(1.0, float(np.dot(a, b)))))
        if th < 1e-6 or rad[i] <= 0:
            out.append(p[i])
            continue
        L = min(rad[i] * math.tan(th / 2), 0.45 * la, 0.45 * lb)
        r = L / math.tan(th / 2)
        m = b - np.dot(b, a) * a
        m /= np.linalg.norm(m)
        p0 = p[i] - a * L
        centre = p0 + m * r
        k = max(2, math.ceil(math.degrees(th) / step_deg))
        for phi in np.linspace(0.0, th, k + 1):
            out.append(centre - m * r * math.cos(phi) + a * r * math.sin(phi))
    return np.array(out)


def _loft(poly: np.ndarray, thetas: np.ndarray, profile: np.ndarray, name: str) -> MeshPart:
    """A closed collar following the outline: the (d, y) profile loop swept around it."""
    prof = np.asarray(profile, dtype=np.float64)
    R = _polar_levels(poly, thetas, prof[:, 0])  # (K, P)
    K, P = R.shape
    c, s = np.cos(thetas)[:, None], np.sin(thetas)[:, None]
    V = np.stack([R * c, np.broadcast_to(prof[:, 1][None, :], (K, P)), R * s], axis=-1).reshape(-1, 3)
    k = np.arange(K)[:, None]
    j = np.arange(P)[None, :]
    k2, j2 = (k + 1) % K, (j + 1) % P
    a, b, cc, d = k * P + j, k * P + j2, k2 * P + j2, k2 * P + j
    F = np.concatenate([np.stack([a, b, cc], -1).reshape(-1, 3), np.stack([a, cc, d], -1).reshape(-1, 3)])
    F = _A.orient_outward(V, F)
    return MeshPart(name, "metal", V, F, _A.vertex_normals(V, F))


def _polar_strip_faces(rings: int, n: int) -> np.ndarray:
    """Faces (int64) of a closed surface: vertex 0 a pole, ``rings`` rings of ``n``, then the other pole.

    Fans at both poles and two triangles per quad between neighbouring rings.
    """
    j = np.arange(n)
    j2 = (j + 1) % n
    F = [np.stack([np.zeros(n, np.int64), 1 + j2, 1 + j], -1)]
    for i in range(rings - 1):
        a, b = 1 + i * n + j, 1 + i * n + j2
        c, d = 1 + (i + 1) * n + j2, 1 + (i + 1) * n + j
        F += [np.stack([a, b, c], -1), np.stack([a, c, d], -1)]
    last = 1 + rings * n
    F.append(np.stack([np.full(n, last), 1 + (rings - 1) * n + j, 1 + (rings - 1) * n + j2], -1))
    return np.concatenate(F).astype(np.int64)


def _sphere(centre, radius: float, *, n_lat: int = 6, n_lon: int = 12, name: str = "bead") -> MeshPart:
    """A closed UV sphere with radial normals."""
    th = np.linspace(0.0, np.pi, n_lat + 1)[1:-1]
    ph = 2 * np.pi * np.arange(n_lon) / n_lon
    ring = np.stack([np.sin(th)[:, None] * np.cos(ph)[None], np.cos(th)[:, None] * np.ones_like(ph)[None],
                     np.sin(th)[:, None] * np.sin(ph)[None]], axis=-1).reshape(-1, 3)
    N = np.vstack([[0, 1, 0], ring, [0, -1, 0]])
    F = _polar_strip_faces(len(th), n_lon)
    V = np.asarray(centre, dtype=np.float64) + radius * N
    F = _A.orient_outward(V, F)
    return MeshPart(name, "metal", V, F, N)


def _merge(parts: Sequence[MeshPart], name: str) -> MeshPart:
    """Merge smooth metal parts (dropping texture coordinates unless all have them)."""
    return _A.merge_parts(list(parts), name, "metal")


def _horiz(v2: np.ndarray, y: float = 0.0) -> np.ndarray:
    """(x, z) -> (x, y, z)."""
    return np.array([v2[0], y, v2[1]], dtype=np.float64)


def _surface_heights(stone: MeshPart, xz: np.ndarray, *, top: bool) -> np.ndarray:
    """Height of the stone's upper (``top``) or lower surface above points (N, 2); NaN off it."""
    v = stone.vertices.astype(np.float64)
    tri = v[stone.faces.astype(np.int64)]
    # Vertical rays: a 2-D point-in-triangle test in (x, z), then the plane's height.
    p = np.asarray(xz, dtype=np.float64)
    a, b, c = tri[:, 0, [0, 2]], tri[:, 1, [0, 2]], tri[:, 2, [0, 2]]
    out = np.full(len(p), np.nan)
    for s in range(0, len(p), 256):
        q = p[s:s + 256, None, :]
        d1 = (b - a)[None]
        d2 = (c - a)[None]
        w = q - a[None]
        den = d1[..., 0] * d2[..., 1] - d1[..., 1] * d2[..., 0]
        ok = np.abs(den) > 1e-14
        den = np.where(ok, den, 1.0)
        l1 = (w[..., 0] * d2[..., 1] - w[..., 1] * d2[..., 0]) / den
        l2 = (d1[..., 0] * w[..., 1] - d1[..., 1] * w[..., 0]) / den
        hit = ok & (l1 >= -1e-9) & (l2 >= -1e-9) & (l1 + l2 <= 1 + 1e-9)
        y = tri[None, :, 0, 1] + l1 * (tri[None, :, 1, 1] - tri[None, :, 0, 1]) + \
            l2 * (tri[None, :, 2, 1] - tri[None, :, 0, 1])
        y = np.where(hit, y, -np.inf if top else np.inf)
        r = y.max(axis=1) if top else y.min(axis=1)
        out[s:s + 256] = np.where(np.isfinite(r), r, np.nan)
    return out


# --------------------------------------------------------------------------- #
# Prong heads
# --------------------------------------------------------------------------- #


def _section_points(v: np.ndarray, f: np.ndarray, p3: np.ndarray, n3: np.ndarray) -> np.ndarray:
    """Points (s, y, 0) of the stone's section by the vertical plane through ``p3`` along ``n3``.

    ``s`` is the coordinate along ``n3`` measured from the axis (``x . n``).
    """
    t = np.cross(_Y, n3)  # horizontal, across the plane
    h = (v - p3) @ t
    pts = [v[np.abs(h) < 1e-12]]
    tri = f.astype(np.int64)
    for a, b in ((0, 1), (1, 2), (2, 0)):
        ia, ib = tri[:, a], tri[:, b]
        m = (h[ia] > 0) != (h[ib] > 0)
        w = h[ia[m]] / (h[ia[m]] - h[ib[m]])
        pts.append(v[ia[m]] + w[:, None] * (v[ib[m]] - v[ia[m]]))
    q = np.concatenate(pts)
    return np.stack([q @ n3, q[:, 1], np.zeros(len(q))], axis=1)


def _claw(v: np.ndarray, f: np.ndarray, p2: np.ndarray, n2: np.ndarray, *, r: float, seat: float,
          reach: float, base_y: float, foot_room: tuple[float, float] | None, y_up: float, y_low: float,
          sides: int, name: str) -> MeshPart:
    """One claw prong gripping the girdle at outline point ``p2`` with outward normal ``n2``.

    The same path as :func:`jewelrender.geometry.assets.prong_setting` (foot, clear of the
    pavilion, up to the girdle, a seat, a lean over the crown, a ball tip), but in the
    vertical plane through ``p2`` along ``n2`` rather than through the axis, with the
    stone's own section in that plane, and with the foot brought towards the axis.
    """
    n3 = _horiz(n2 / np.linalg.norm(n2))
    p3 = _horiz(p2)
    sil = _A.Silhouette(_section_points(v, f, p3, n3), np.array([1.0, 0.0, 0.0]))
    lat = p3 - np.dot(p3, n3) * n3  # the plane's offset from the axis
    tip_r = 0.85 * r
    lean = math.tan(math.radians(12.0))
    Rg = sil.s_at(0.0)
    s_grip = Rg + r * (1 - seat)
    s_up = s_grip + y_up * lean
    s_tip = Rg - reach
    y_c = sil.crown_y_at(s_tip)
    slope = (sil.crown_y_at(s_tip - 0.05 * r) - y_c) / (0.05 * r)
    y_tip = y_c + 0.8 * tip_r * math.sqrt(1.0 + slope * slope)

    def at(s, y):
        return lat + s * n3 + y * _Y

    up = at(s_up, y_up)
    foot = 0.3 * np.array([up[0], 0.0, up[2]])
    if foot_room is not None:
        foot[0] = np.clip(foot[0], -foot_room[0], foot_room[0])
        foot[2] = np.clip(foot[2], -foot_room[1], foot_room[1])
    foot[1] = base_y
    t = (y_low - base_y) / (y_up - base_y)
    low = foot + t * (up - foot)
    low[1] = y_low
    need = sil.s_at(y_low) + r - float(np.dot(low, n3))
    if need > 0:
        low = low + need * n3
    ctrl = np.array([foot, low, up, at(s_grip, 0.0), at(s_tip, y_tip)])
    path = _A.rounded_polyline(ctrl, 1.4 * r, max_len=max(0.6 * r, 0.15))
    s_arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))])
    above = np.flatnonzero(path[:, 1] >= 0.0)
    s_g = s_arc[above[0]] if len(above) else s_arc[-1]
    frac = np.clip((s_arc - s_g) / max(s_arc[-1] - s_g, 1e-9), 0.0, 1.0)
    return _A.tube(path, r + (tip_r - r) * frac, sides=sides, name=name)


def _v_guard(poly: np.ndarray, i: int, *, r: float, sides: int) -> MeshPart:
    """The chevron of a V-prong: a wire hugging the girdle on both sides of corner ``i``."""
    p = poly[i]
    a = p - poly[i - 1]
    b = poly[(i + 1) % len(poly)] - p
    la, lb = np.linalg.norm(a), np.linalg.norm(b)
    a, b = a / la, b / lb
    na = np.array([a[1], -a[0]])  # outward normals of the two edges (CCW polygon)
    nb = np.array([b[1], -b[0]])
    arm = min(max(2.6 * r, 0.6), 0.45 * la, 0.45 * lb)
    off = 0.55 * r  # the wire's centre sits just outside the girdle: it covers the crown's edge
    y = 0.2 * r
    bis = na + nb
    bis /= np.linalg.norm(bis)
    half = 0.5 * (math.pi - math.acos(max(-1.0, min(1.0, float(np.dot(a, b))))))  # half the corner's angle
    corner = p + bis * off / max(math.sin(half), 0.2)
    ctrl = np.array([_horiz(p - a * arm + na * off, y), _horiz(corner, y), _horiz(p + b * arm + nb * off, y)])
    path = _fillet(ctrl, 1.2 * r, closed=False, step_deg=10.0)
    # split the long legs so the tube's sections stay short
    fine = [path[0]]
    for q0, q1 in itertools.pairwise(path):
        k = max(1, math.ceil(np.linalg.norm(q1 - q0) / max(0.6 * r, 0.15)))
        fine += [q0 + (q1 - q0) * t for t in np.linspace(0, 1, k + 1)[1:]]
    return _A.tube(np.array(fine), r, sides=sides, name="v")


def _anchors(poly: np.ndarray, convex: bool) -> list[dict]:
    """Where a cut's outline dictates a prong: corners, points and a heart's cleft.

    Returns dicts with ``kind`` (``"v"`` for a sharp corner or point, ``"claw"`` for a
    cut corner or the cleft), ``index`` (the polygon vertex, or the middle of a cluster),
    ``p`` (x, z) and ``n`` (outward unit direction).
    """
    turn = _turning(poly)
    E = len(poly)
    edge = np.linalg.norm(np.roll(poly, -1, axis=0) - poly, axis=1)  # edge i: i -> i+1
    mean_r = float(np.mean(np.linalg.norm(poly, axis=1)))
    big = turn > math.radians(30.0)
    # vertex i is joined to i + 1 when both are sharp and the edge between is short
    link = big & np.roll(big, -1) & (edge < 0.35 * mean_r)
    clusters: list[list[int]] = []
    if big.any() and not link.all():
        start = int(np.flatnonzero(~link)[0]) + 1  # the vertex after an unlinked one begins a cluster
        cur: list[int] = []
        for step in range(E):
            i = (start + step) % E
            if big[i]:
                cur.append(i)
                if not link[i]:
                    clusters.append(cur)
                    cur = []
            elif cur:  # pragma: no cover - a link implies the next vertex is sharp
                clusters.append(cur)
                cur = []
        if cur:
            clusters.append(cur)
    out: list[dict] = []
    for cl in clusters:
        if float(turn[cl].sum()) < math.radians(60.0):
            continue
        kind = "v" if float(turn[cl].max()) >= math.radians(60.0) else "claw"
        if len(cl) == 1:
            k = cl[0]
            na = poly[k] - poly[k - 1]
            nb = poly[(k + 1) % E] - poly[k]
            n = np.array([na[1], -na[0]]) / np.linalg.norm(na) + np.array([nb[1], -nb[0]]) / np.linalg.norm(nb)
            p = poly[k]
        else:
            # the middle of the cluster's chain (an emerald's cut corner)
            chain = poly[cl]
            seg = np.linalg.norm(np.diff(chain, axis=0), axis=1)
            sarc = np.concatenate([[0.0], np.cumsum(seg)])
            p = _at_arclength(chain, sarc, np.array([0.5 * sarc[-1]]))[0]
            e = np.diff(chain, axis=0)
            n = np.sum(np.stack([e[:, 1], -e[:, 0]], 1) / seg[:, None], axis=0)
            k = cl[len(cl) // 2]
        out.append({"kind": kind, "index": k, "p": p, "n": n / np.linalg.norm(n), "cluster": cl})
    if not convex:
        k = int(np.argmin(turn))
        if turn[k] < -math.radians(30.0):
            # a heart's cleft: the claw stands in the notch, facing out of it
            p = poly[k]
            out.append({"kind": "claw", "index": k, "p": p, "n": p / np.linalg.norm(p), "cluster": [k]})
    out.sort(key=lambda d: d["index"])
    return out


def _outline_param(poly: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Closed polyline from the outline point on +X, with its cumulative arc length."""
    r0 = _polar_levels(poly, np.array([0.0]), np.array([0.0]))[0, 0]
    p0 = np.array([r0, 0.0])
    # insert p0 on the edge it lies on, and start there
    a, b = poly, np.roll(poly, -1, axis=0)
    ab = b - a
    t = np.clip(np.einsum("ij,ij->i", p0 - a, ab) / np.einsum("ij,ij->i", ab, ab), 0, 1)
    e = int(np.argmin(np.linalg.norm(a + t[:, None] * ab - p0, axis=1)))
    ring = np.concatenate([[p0], poly[e + 1:], poly[:e + 1], [p0]])
    seg = np.linalg.norm(np.diff(ring, axis=0), axis=1)
    ring = np.concatenate([ring[:1], ring[1:][seg > 1e-12]])
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(ring, axis=0), axis=1))])
    return ring, s, float(s[-1])


def _normal_at(ring: np.ndarray, s: np.ndarray, q: float, h: float) -> np.ndarray:
    """Outward normal of the (CCW) outline at arc length q, from the chord over +-h."""
    a, b = _at_arclength(ring, s, np.array([q - h, q + h]))
    d = b - a
    n = np.array([d[1], -d[0]])
    return n / np.linalg.norm(n)


def _gallery(v: np.ndarray, f: np.ndarray, heights: Sequence[float], rail_r: float,
             convex: bool) -> MeshPart | None:
    """Gallery rails (part ``"head"``) hugging the pavilion's sections at the given heights.

    Each rail is a round wire just outside the stone's horizontal section at its height
    (the section's outline offset by the wire's radius), so it follows any cut's shape and
    meets the prongs, which run the same distance outside the pavilion.
    """
    rails = []
    for y in heights:
        loops = _slice_loops(v, f, float(y))
        if not loops:
            continue
        sec = max(loops, key=lambda q: abs(signed_area(q)))
        if convex:
            sec = _A.hull2d(sec)
        sec = _clean_poly(sec, 1e-9)
        if signed_area(sec) < 0:
            sec = sec[::-1]
        if len(sec) < 3 or _sdist(np.zeros((1, 2)), sec)[0] >= 0:
            continue  # the axis is not inside this section: no rail there
        a = 2 * np.pi * np.arange(12) / 12
        prof = np.stack([rail_r + 0.03 + rail_r * np.cos(a), y + rail_r * np.sin(a)], axis=1)
        rails.append(_loft(sec, _sample_thetas(sec, 96), prof, "rail"))
    return _merge(rails, "head") if rails else None


def default_prong_diameter(poly: np.ndarray) -> float:
    """0.14 x the equivalent round diameter, clipped to [0.5, 1.2] mm (as solitaire_ring)."""
    d_eq = 2.0 * math.sqrt(signed_area(poly) / math.pi)
    return float(np.clip(0.14 * d_eq, 0.5, 1.2))


def _is_round(poly: np.ndarray) -> bool:
    r = np.linalg.norm(poly, axis=1)
    return bool(r.max() / r.min() < 1.03 and np.all(np.abs(_turning(poly)) < math.radians(30.0)))


def _collar_outline(stone: MeshPart) -> np.ndarray:
    """The outline a collar (bezel, halo) follows: a round stone's 16-gon girdle is taken
    as the circle through its corners, so that the metal comes out round, not 16-sided."""
    poly = outline_polygon(stone)
    if _is_round(poly):
        r = float(np.max(np.linalg.norm(poly, axis=1)))
        t = 2 * np.pi * np.arange(96) / 96
        return np.stack([r * np.cos(t), r * np.sin(t)], axis=1)
    return poly


def prong_head(stone: MeshPart, *, prongs: int | None = None, prong_diameter_mm: float | None = None,
               base_y_mm: float | None = None, foot_room_mm: tuple[float, float] | None = None,
               gallery: bool = True, seat_depth: float = 0.3, sides: int = 12) -> list[MeshPart]:
    """A prong head for a stone of any cut, in the stone frame.

    Round stones get :func:`jewelrender.geometry.assets.prong_setting` (prongs evenly spaced,
    four on the diagonals).  Other outlines get prongs where their shape asks for them:
    a *V-prong* (a claw plus a wire chevron hugging both edges) on every sharp corner or
    point (a princess's or baguette's corners, a pear's point, a marquise's two points,
    a heart's point); a claw on every cut corner (emerald, asscher) and in a heart's
    cleft; the remaining claws spread evenly along the outline between them.  Defaults:
    4 prongs, a pear 5 (V + 4), a marquise 6 (2 V + 4), a heart 4 (V, cleft, two lobes),
    a princess/emerald one per corner.

    Parameters
    ----------
    stone : MeshPart
        The stone in its stone frame.
    prongs : int, optional
        Total number of prongs, 3..8, at least the number of corners/points.
    prong_diameter_mm : float, optional
        Wire diameter; default 0.14 x the stone's equivalent round diameter, clipped to
        [0.5, 1.2] mm.
    base_y_mm : float, optional
        Height of the prongs' feet (stone frame); default 1.2 mm below the culet.
    foot_room_mm : (float, float), optional
        Half-extents ``(x, z)`` the feet must stay within (a band's width, mm).
    gallery : bool
        Add the two gallery rails (part ``"head"``; convex stones only).
    seat_depth : float
        How far the girdle cuts into each prong, as a fraction of its radius.
    sides : int
        Tube subdivisions.

    Returns
    -------
    list of MeshPart
        ``"head"`` (when a gallery is built) then ``"prong_0"``, ...; role ``"metal"``,
        stone frame, smooth normals.
    """
    v = check_stone(stone)
    f = stone.faces
    poly = outline_polygon(stone)
    if prongs is not None:
        prongs = _int_opt("prongs", prongs, 3, 8)
    pd = default_prong_diameter(poly) if prong_diameter_mm is None else _opt(
        "prong_diameter_mm", prong_diameter_mm, 0.05, 5.0)
    r = pd / 2
    seat = _opt("seat_depth", seat_depth, 0.0, 0.9, low_open=False)
    gallery = _bool_opt("gallery", gallery)
    if not isinstance(sides, (int, np.integer)) or sides < 6:
        raise InvalidOptionError(f"sides must be an integer >= 6, got {sides!r}")
    y_bot = float(v[:, 1].min())
    base_y = y_bot - 1.2 if base_y_mm is None else _opt("base_y_mm", base_y_mm, -1e3, y_bot)
    if foot_room_mm is not None:
        try:
            fx, fz = (float(x) for x in foot_room_mm)
        except (TypeError, ValueError):
            raise InvalidOptionError("foot_room_mm must be two numbers (x, z)") from None
        foot_room = (_opt("foot_room_mm[0]", fx, 0.0), _opt("foot_room_mm[1]", fz, 0.0))
    else:
        foot_room = None
    g_rad = float(np.max(np.linalg.norm(poly, axis=1)))

    if _is_round(poly):
        n = 4 if prongs is None else prongs
        rho = 0.3 * g_rad
        if foot_room is not None:
            rho = min(rho, min(foot_room) * (math.sqrt(2) if n == 4 else 1.0))
        return _A.prong_setting(stone, prongs=n, prong_diameter_mm=pd, base_y_mm=base_y,
                                base_radius_mm=rho, seat_depth=seat, gallery=gallery, sides=sides)

    convex = _is_convex_solid(v, f)
    anchors = _anchors(poly, convex)
    if prongs is None:
        if not anchors:
            prongs = 4
        elif convex and len(anchors) == 1:
            prongs = 5  # pear: V + 4
        elif convex and len(anchors) == 2:
            prongs = 6  # marquise: 2 V + 4
        elif not convex:
            prongs = len(anchors) + 2  # heart: V, cleft, two lobes
        else:
            prongs = max(3, len(anchors))
        prongs = min(max(prongs, 3), 8)
    if prongs < len(anchors):
        raise InvalidOptionError(
            f"this stone's outline has {len(anchors)} corners/points that each need a prong; "
            f"prongs={prongs} is too few", details={"option": "prongs", "value": prongs,
                                                    "minimum": len(anchors)})

    ring, s, total = _outline_param(poly)
    depth = -y_bot
    y_up, y_low = -0.3 * depth, -0.72 * depth
    reach = 0.25 * r
    extra = prongs - len(anchors)
    sites: list[tuple[np.ndarray, np.ndarray, int | None]] = []  # (p, n, v-corner index)
    for a in anchors:
        sites.append((a["p"], a["n"], a["index"] if a["kind"] == "v" and len(a["cluster"]) == 1 else None))
    if anchors:
        # arc-length positions of the anchors, then the extra claws spread over the gaps
        pos = []
        for a in anchors:
            pos.append(float(s[np.argmin(np.linalg.norm(ring - a["p"], axis=1))]))
        order = np.argsort(pos)
        pos = np.array(pos)[order]
        gaps = np.diff(np.concatenate([pos, pos[:1] + total]))
        share = gaps / gaps.sum() * extra
        m = np.floor(share).astype(int)
        for k in np.argsort(-(share - m))[: extra - int(m.sum())]:
            m[k] += 1
        for k, (p0, gap) in enumerate(zip(pos, gaps)):
            for j in range(m[k]):
                q = p0 + gap * (j + 1) / (m[k] + 1)
                sites.append((_at_arclength(ring, s, np.array([q]))[0], _normal_at(ring, s, q, 0.2 * r), None))
    else:
        for j in range(extra):
            q = (j + 0.5) / extra * total
            sites.append((_at_arclength(ring, s, np.array([q]))[0], _normal_at(ring, s, q, 0.2 * r), None))

    # order the prongs by angle around the axis, from +X towards +Z
    sites.sort(key=lambda t: math.atan2(t[0][1], t[0][0]) % (2 * math.pi))
    parts: list[MeshPart] = []
    if gallery:
        head = _gallery(v, f, (y_up, y_low), 0.375 * pd, convex)
        if head is not None:
            parts.append(head)
    for i, (p, n, vi) in enumerate(sites):
        claw = _claw(v, f, np.asarray(p), np.asarray(n), r=r, seat=seat, reach=reach, base_y=base_y,
                     foot_room=foot_room, y_up=y_up, y_low=y_low, sides=sides, name=f"prong_{i}")
        if vi is not None:
            claw = _merge([claw, _v_guard(poly, vi, r=0.9 * r, sides=sides)], f"prong_{i}")
        parts.append(claw)
    return parts


# --------------------------------------------------------------------------- #
# Bezel
# --------------------------------------------------------------------------- #


def _table_inset(stone: MeshPart, poly: np.ndarray) -> float | None:
    """Smallest distance from the table's edge to the girdle outline (the crown's width), mm."""
    v = stone.vertices.astype(np.float64)
    top = v[:, 1].max()
    size = float(np.ptp(v, axis=0).max())
    tab = v[v[:, 1] >= top - 1e-5 * size]
    if len(tab) < 3:
        return None
    return float(-_sdist(tab[:, [0, 2]], poly).max())


def bezel_setting(stone: MeshPart, *, lip_mm: float = 0.4, wall_mm: float = 0.5, cover_mm: float | None = None,
                  base_y_mm: float | None = None, taper_mm: float | None = None,
                  samples: int = 192) -> MeshPart:
    """A bezel: a metal collar around the girdle whose lip is burnished over the crown.

    The collar follows the girdle outline (any cut).  Its cross-section, the same all
    round, runs: a knife-edge lip resting on the crown ``cover_mm`` inside the outline,
    a rounded top ``lip_mm`` above the girdle's top edge, an outer wall ``wall_mm``
    outside the outline, tapering by ``taper_mm`` towards the bottom at ``base_y_mm``;
    inside, a wall just clear of the girdle (the girdle sits at the top of the wall) and
    a conical bearing seat under the pavilion's edge.  Closed and smooth (a torus-like
    sweep); the table stays clear.

    Parameters
    ----------
    stone : MeshPart
        The stone in its stone frame.
    lip_mm : float
        Height of the lip's top above the girdle's top edge, (0.05, 2] mm.
    wall_mm : float
        Wall thickness, (0.15, 2] mm.
    cover_mm : float, optional
        How far inside the outline the lip reaches over the crown; default
        ``min(0.35, 0.35 x crown width)`` (the crown width being the table-to-girdle
        distance).  Must leave the table uncovered.
    base_y_mm : float, optional
        Height of the collar's bottom (stone frame); default the culet's height.
    taper_mm : float, optional
        How much narrower the collar is at the bottom than at the girdle; default
        0.25 x the outline's smallest radius, at most 1 mm.
    samples : int
        Polar subdivisions around the outline (corners are added).

    Returns
    -------
    MeshPart
        ``"bezel"``, role ``"metal"``, stone frame, smooth normals.
    """
    v = check_stone(stone)
    poly = _collar_outline(stone)
    lip = _opt("lip_mm", lip_mm, 0.05, 2.0)
    wall = _opt("wall_mm", wall_mm, 0.15, 2.0)
    n = _int_opt("samples", samples, 32, 4096)
    y_bot, y_top_stone = float(v[:, 1].min()), float(v[:, 1].max())
    r_min = float(np.min(_polar_levels(poly, np.linspace(0, 2 * np.pi, 90, endpoint=False), np.array([0.0]))))
    crown_w = _table_inset(stone, poly)
    if crown_w is None:
        crown_w = 0.3 * r_min
    if cover_mm is None:
        cover = min(0.35, 0.35 * crown_w)
    else:
        cover = _opt("cover_mm", cover_mm, 0.0, 3.0)
        if cover >= 0.9 * crown_w:
            raise InvalidOptionError(f"cover_mm={cover:g} would hide the table (crown width {crown_w:.2f} mm)",
                                     details={"option": "cover_mm", "value": cover, "crown_width_mm": crown_w})
    base_y = y_bot if base_y_mm is None else _opt("base_y_mm", base_y_mm, -1e3, -0.2)
    taper = min(0.25 * r_min, 1.0) if taper_mm is None else _opt("taper_mm", taper_mm, 0.0, 0.6 * r_min,
                                                                  low_open=False)
    th = _sample_thetas(poly, n)
    # The stone's surface at the lip's edge and at the girdle, measured on the same rays.
    r_lv = _polar_levels(poly, th, np.array([-cover, -0.01, -0.25 * wall - 0.01]))
    def pts(k):
        return np.stack([r_lv[:, k] * np.cos(th), r_lv[:, k] * np.sin(th)], 1)
    crown_at_cover = np.nanmax(_surface_heights(stone, pts(0), top=True))
    girdle_top = np.nanmax(_surface_heights(stone, pts(1), top=True))
    girdle_bot = np.nanmin(_surface_heights(stone, pts(1), top=False))
    ledge = 0.25 * wall
    pav_at_ledge = np.nanmin(_surface_heights(stone, pts(2), top=False))
    if not np.all(np.isfinite([crown_at_cover, girdle_top, girdle_bot, pav_at_ledge])):
        raise InvalidOptionError("bezel: cannot find the stone's crown and girdle")
    y_in = min(crown_at_cover + 0.01, y_top_stone - 0.01)
    y_top = max(girdle_top + lip, y_in + 0.08)
    y_seat = min(pav_at_ledge - 0.02, girdle_bot - 0.03)
    y_taper = min(girdle_bot - 0.3, y_seat - 0.1)
    if base_y > y_taper - 0.2:
        raise InvalidOptionError("bezel: base_y_mm must be well below the girdle",
                                 details={"option": "base_y_mm", "value": base_y})
    gap = 0.01
    # (d, y) loop: lip edge, top, outer wall, taper, bottom, inner wall, seat, girdle wall
    prof = np.array([
        (-cover, y_in),
        (0.3 * wall, y_top),
        (wall, y_top - min(0.2, 0.4 * lip)),
        (wall, y_taper),
        (wall - taper, base_y),
        (-taper, base_y),
        (min(-ledge, -taper), y_seat - 0.05 - 0.5 * wall),  # the inner wall rises to the seat
        (-ledge, y_seat),
        (gap, girdle_bot - 0.02),
        (gap, girdle_top),
    ])
    radii = np.array([0.03, 0.35 * wall, 0.35 * wall, 1.0, 0.12, 0.12, 0.3, 0.05, 0.03, 0.03])
    loop = _fillet(prof, radii, closed=True, step_deg=15.0)
    return _loft(poly, th, loop, "bezel")


# --------------------------------------------------------------------------- #
# Pearl cup
# --------------------------------------------------------------------------- #

# The rim presses this far (mm) into the stone: a glue line's seat, not a gap.
_CUP_SEAT = 0.02
# Clearance (mm) between the bowl's inside and the stone: room for the glue.
_CUP_GLUE = 0.08


def _revolve_y(prof: np.ndarray, n: int, name: str) -> MeshPart:
    """A closed solid of revolution about +Y from an open (r, y) profile.

    The profile runs from a point on the axis (r = 0, the bottom pole) to another (the
    top pole) with r > 0 in between; ``n`` meridians, theta from +X towards +Z.
    """
    p = np.asarray(prof, dtype=np.float64)
    mid = p[1:-1]
    th = 2 * np.pi * np.arange(n) / n
    ring = np.stack([mid[:, None, 0] * np.cos(th)[None], np.broadcast_to(mid[:, None, 1], (len(mid), n)),
                     mid[:, None, 0] * np.sin(th)[None]], axis=-1).reshape(-1, 3)
    V = np.vstack([[0.0, p[0, 1], 0.0], ring, [0.0, p[-1, 1], 0.0]])
    # The opposite winding to the sphere's (theta runs the other way); oriented outward anyway.
    F = _A.orient_outward(V, _polar_strip_faces(len(mid), n)[:, [0, 2, 1]])
    return MeshPart(name, "metal", V, F, _A.vertex_normals(V, F))


def _lower_surface(stone: MeshPart, radii: np.ndarray, n_theta: int = 24) -> np.ndarray:
    """The lowest height (K,) of the stone's lower surface on circles of ``radii`` about the axis."""
    th = 2 * np.pi * (np.arange(n_theta) + 0.5) / n_theta
    xz = (radii[:, None, None] * np.stack([np.cos(th), np.sin(th)], -1)[None]).reshape(-1, 2)
    h = _surface_heights(stone, xz, top=False).reshape(len(radii), n_theta)
    if not np.all(np.isfinite(h)):
        raise InvalidOptionError("cup: the stone's lower surface does not cover the cup",
                                 details={"option": "cup_diameter_mm"})
    return h.min(axis=1)


def cup_profile(stone: MeshPart, *, cup_diameter_mm: float | None, cup_depth_mm: float | None,
                 wall_mm: float, stem_diameter_mm: float | None,
                 base_y_mm: float | None) -> tuple[np.ndarray, dict]:
    """The cup's (r, y) profile (bottom pole to top pole, stone frame) and its key heights."""
    check_stone(stone)
    poly = outline_polygon(stone)
    if not _is_round(poly):
        raise InvalidOptionError("a cup holds a round stone (a round pearl); use a bezel or prongs for "
                                 "other shapes", details={"option": "setting.style", "value": "cup"})
    D = 2 * float(np.max(np.linalg.norm(poly, axis=1)))
    cup_d = 0.5 * D if cup_diameter_mm is None else _opt("cup_diameter_mm", cup_diameter_mm, 0.25 * D, 0.8 * D,
                                                         low_open=False)
    ro = cup_d / 2
    w = _opt("wall_mm", wall_mm, 0.15, min(1.0, 0.45 * ro))
    stem_d = 0.35 * cup_d if stem_diameter_mm is None else _opt("stem_diameter_mm", stem_diameter_mm, 0.3,
                                                                   2 * (ro - w) - 0.2)
    rs = stem_d / 2
    rm = ro - w / 2  # the rim's round top: a half circle of radius w / 2 about (rm, ym)
    # The rim's height: as high as it goes without cutting more than the seat into the stone.
    rr = np.linspace(rm - w / 2, rm + w / 2, 41)
    h = _lower_surface(stone, rr)
    ym = float(np.min(h - np.sqrt(np.maximum((w / 2) ** 2 - (rr - rm) ** 2, 0.0)))) + _CUP_SEAT
    # the stone's nearest point to the rim's centre: where the rim touches
    k = int(np.argmin(h - np.sqrt(np.maximum((w / 2) ** 2 - (rr - rm) ** 2, 0.0))))
    a_touch = math.atan2(h[k] - ym, rr[k] - rm)
    y_top = ym + w / 2
    # Inside the bowl: the stone's underside, a glue line lower, never above the rim's inner foot.
    ri = np.linspace(rm - w / 2 - 0.05, 0.0, 16)
    y_in = np.minimum(_lower_surface(stone, np.maximum(ri, 1e-3)) - _CUP_GLUE, ym)
    # The outside: a quarter ellipse from the rim's outer side down to the stem.
    def outside(depth: float) -> tuple[np.ndarray, float]:
        yb = y_top - depth
        t = np.linspace(0.0, np.pi / 2, 13)
        return np.stack([rs + (ro - rs) * np.cos(t), ym - (ym - yb) * np.sin(t)], 1), yb

    def thin(depth: float) -> float:
        """The bowl's thinnest wall (vertical) below the inside, mm."""
        out, yb = outside(depth)
        r_out, y_out = out[::-1, 0], out[::-1, 1]  # increasing r
        y_o = np.where(ri <= rs, yb, np.interp(ri, r_out, y_out))
        return float(np.min(y_in - y_o))

    floor = 0.75 * w
    if cup_depth_mm is None:
        depth = max(0.3 * cup_d, y_top - float(y_in.min()) + floor)
        while thin(depth) < floor and depth < 10.0:
            depth += 0.05
    else:
        depth = _opt("cup_depth_mm", cup_depth_mm, 0.1, 10.0)
        if thin(depth) < floor:
            raise InvalidOptionError(f"cup_depth_mm={depth:g} leaves the bowl's floor under the stone thinner "
                                     f"than {floor:.2f} mm", details={"option": "cup_depth_mm", "value": depth})
    out, yb = outside(depth)
    foot = yb - 0.5 if base_y_mm is None else _opt("base_y_mm", base_y_mm, -1e3, 1e3)
    if foot > yb - 0.1:
        raise InvalidOptionError("cup: base_y_mm must be below the cup's bottom",
                                 details={"option": "base_y_mm", "value": foot, "cup_bottom_mm": yb})
    arc = np.linspace(0.0, np.pi, 13)[1:]
    if 0.05 < a_touch < np.pi - 0.05 and np.min(np.abs(arc - a_touch)) > 0.02:
        arc = np.sort(np.concatenate([arc, [a_touch]]))  # a vertex where the stone touches
    pts = ([(0.0, foot), (rs, foot), (rs, yb)] + [tuple(q) for q in out[::-1][1:]]
           + [(rm + w / 2 * math.cos(a), ym + w / 2 * math.sin(a)) for a in arc]
           + list(zip(ri[:-1], y_in[:-1])) + [(0.0, float(y_in[-1]))])
    prof = np.array(pts)
    radii = np.zeros(len(prof))
    radii[1], radii[2] = 0.1, 0.15  # the foot's edge, the stem meeting the bowl
    radii[3 + len(out) - 1 + len(arc) - 1] = 0.05  # the rim's inner foot meeting the floor
    prof = _fillet(prof, radii, closed=False, step_deg=12.0)
    info = dict(rim_top_y=y_top, cup_bottom_y=yb, foot_y=foot, cup_diameter=cup_d, depth=depth,
                stem_radius=rs)
    return prof, info


def cup_setting(stone: MeshPart, *, cup_diameter_mm: float | None = None, cup_depth_mm: float | None = None,
                wall_mm: float = 0.4, stem_diameter_mm: float | None = None, base_y_mm: float | None = None,
                samples: int = 96) -> MeshPart:
    """A pearl cup: a shallow bowl on a short stem, the stone resting on its rim.

    The way pearls are set in rings: a small cup, about half the pearl's diameter, whose
    rim carries it, the pearl standing mostly above (a 7 mm pearl in the default 3.5 mm
    cup keeps about 95 % of its height above the rim).  The peg that jewellers glue into
    a half-drilled pearl is left out: it would sit inside the pearl, where it cannot be
    seen and would only cut into the pearl's scattering medium.

    The cup is a solid of revolution about the stone's axis (stone frame, mm): a round
    rim of thickness ``wall_mm`` whose top is lowered onto the stone's underside until it
    presses 0.02 mm in (a seat); inside, the bowl follows the underside 0.08 mm lower (the
    glue line); outside, a quarter-ellipse flank ``cup_depth_mm`` high down to a stem of
    ``stem_diameter_mm`` that goes on down to ``base_y_mm`` (to be sunk into the band).

    Parameters
    ----------
    stone : MeshPart
        A round stone in its stone frame (a pearl from ``jewelrender.geometry.cuts.make_stone``;
        any stone with a round outline and an underside over the cup works).
    cup_diameter_mm : float, optional
        The rim's outer diameter, [0.25, 0.8] x the stone's diameter; default 0.5 x.
    cup_depth_mm : float, optional
        Height of the cup from the stem to the rim's top; default 0.3 x the cup's
        diameter, or more where the floor under the stone needs it (floor at least
        0.75 x ``wall_mm``).
    wall_mm : float
        Thickness of the rim, (0.15, min(1, 0.225 x cup diameter)] mm.
    stem_diameter_mm : float, optional
        Default 0.35 x the cup's diameter.
    base_y_mm : float, optional
        Height of the stem's bottom (stone frame); default 0.5 mm below the cup.
    samples : int
        Meridians around the axis, 24..1024.

    Returns
    -------
    MeshPart
        ``"cup"``, role ``"metal"``, stone frame, closed, smooth normals.

    Raises
    ------
    InvalidOptionError
        A stone whose outline is not round (an oval pearl, a fancy cut), options out of
        range, or a depth that leaves no floor under the stone.
    """
    n = _int_opt("samples", samples, 24, 1024)
    prof, _ = cup_profile(stone, cup_diameter_mm=cup_diameter_mm, cup_depth_mm=cup_depth_mm, wall_mm=wall_mm,
                           stem_diameter_mm=stem_diameter_mm, base_y_mm=base_y_mm)
    return _revolve_y(prof, n, "cup")


# --------------------------------------------------------------------------- #
# Halo
# --------------------------------------------------------------------------- #


def _melee(diameter_mm: float) -> MeshPart:
    return _A.round_brilliant(diameter_mm=diameter_mm, name="accent")


def _melee_dims(D: float) -> tuple[float, float, float]:
    """(corner radius, crown height, pavilion depth) of a melee round brilliant, mm."""
    m = _melee(D)
    v = m.vertices
    return float(np.max(np.hypot(v[:, 0], v[:, 2]))), float(v[:, 1].max()), float(-v[:, 1].min())


def halo_setting(stone: MeshPart, *, melee_diameter_mm: float = 1.3, gap_mm: float | None = None,
                 spacing_mm: float = 0.1, table_drop_mm: float = 0.1, wall_mm: float = 0.3,
                 samples: int = 192) -> list[MeshPart]:
    """A halo: a ring of melee round brilliants around the stone's outline, on a metal frame.

    The melee's centres lie on the offset of the girdle outline at ``gap + R`` (``R`` the
    melee's corner radius), equally spaced by arc length, as many as fit with at least
    ``spacing_mm`` between girdles; their tables sit ``table_drop_mm`` below the centre
    stone's girdle plane.  The frame (part ``"halo_frame"``) is two thin rails following
    the outline, inside and outside the row, into which the melee's girdles are seated,
    and shared beads on top between neighbouring melee (two per gap, one on each rail).

    Parameters
    ----------
    stone : MeshPart
        The centre stone, stone frame.
    melee_diameter_mm : float
        Melee girdle diameter, [0.7, 3] mm (1.3 mm is about 0.01 ct).
    gap_mm : float, optional
        Gap between the centre's girdle outline and the melee's girdles; default room
        for the centre's default prongs (0.85 x prong diameter + 0.05 mm).
    spacing_mm : float
        Smallest gap between neighbouring melee girdles, [0.03, 1] mm.
    table_drop_mm : float
        How far the melee's tables sit below the centre's girdle plane, [-1, 3] mm.
    wall_mm : float
        Rail thickness, [0.1, 1] mm.
    samples : int
        Polar subdivisions of the rails.

    Returns
    -------
    list of MeshPart
        ``"halo_frame"`` (metal, smooth) then ``"accent_0"``, ... (role ``"stone"``,
        faceted), counter-clockwise in the (x, z) plane from +X; stone frame.
    """
    check_stone(stone)
    poly = _collar_outline(stone)
    D = _opt("melee_diameter_mm", melee_diameter_mm, 0.7, 3.0, low_open=False)
    sp = _opt("spacing_mm", spacing_mm, 0.03, 1.0, low_open=False)
    drop = _opt("table_drop_mm", table_drop_mm, -1.0, 3.0, low_open=False)
    w = _opt("wall_mm", wall_mm, 0.1, 1.0, low_open=False)
    n = _int_opt("samples", samples, 32, 4096)
    gap = (0.85 * default_prong_diameter(poly) + 0.05) if gap_mm is None else _opt("gap_mm", gap_mm, 0.0, 5.0,
                                                                                     low_open=False)
    Rc, crown_h, pav = _melee_dims(D)
    dc = gap + Rc
    th = _sample_thetas(poly, 4 * n)
    rc = _polar_levels(poly, th, np.array([dc]))[:, 0]
    curve = np.stack([rc * np.cos(th), rc * np.sin(th)], 1)
    perim = float(np.sum(np.linalg.norm(np.roll(curve, -1, 0) - curve, axis=1)))
    count = int(perim // (2 * Rc + sp))
    while count >= 3:
        centres, _ = _resample_closed(curve, count, start=0.0)
        dd = np.linalg.norm(centres[:, None] - centres[None], axis=-1) + np.eye(count) * 1e9
        if dd.min() >= 2 * Rc + 0.5 * sp:
            break
        count -= 1
    if count < 3:
        raise InvalidOptionError("halo: the melee are too large for this stone",
                                 details={"option": "melee_diameter_mm", "value": D})
    y_h = -drop - crown_h  # melee girdle plane
    melee = []
    for i, c in enumerate(centres):
        melee.append(_A.translate(_melee(D), (c[0], y_h, c[1]), name=f"accent_{i}"))

    # Rails: thin walls seated a little into the melee's girdles, reaching below their culets.
    seat = min(0.08, 0.06 * D)
    y0, y1 = y_h - pav - 0.15, y_h + 0.04
    rr = min(0.08, 0.3 * w)
    inner_w = min(w, max(0.05, dc - Rc + seat - 0.05))
    rails = []
    for d_a, d_b in ((dc - Rc - inner_w + seat, dc - Rc + seat), (dc + Rc - seat, dc + Rc - seat + w)):
        prof = np.array([(d_a, y0), (d_b, y0), (d_b, y1), (d_a, y1)])
        rails.append(_loft(poly, _sample_thetas(poly, n), _fillet(prof, rr, closed=True, step_deg=22.5), "rail"))
    # Shared beads: between each pair of neighbours, on both rails' tops.
    mids, _ = _resample_closed(curve, count, start=0.5 / count)
    mth = np.arctan2(mids[:, 1], mids[:, 0])
    rb = 0.2 * D
    rad = _polar_levels(poly, mth, np.array([dc - Rc + 0.3 * seat, dc + Rc - 0.3 * seat]))
    beads = []
    for k in range(count):
        for j in range(2):
            c = (rad[k, j] * math.cos(mth[k]), y_h + 0.5 * rb, rad[k, j] * math.sin(mth[k]))
            beads.append(_sphere(c, rb, n_lat=5, n_lon=10))
    frame = _merge(rails + beads, "halo_frame")
    return [frame] + melee


# --------------------------------------------------------------------------- #
# Pavé and channel bands
# --------------------------------------------------------------------------- #


def _band_profile_of(band: MeshPart, segments: int) -> tuple[np.ndarray, np.ndarray]:
    """The (z, r) profile loop and its normals from a :func:`court_band` mesh (first meridian)."""
    P = len(band.vertices) // (segments + 1)
    V = band.vertices[:P].astype(np.float64)
    N = band.normals[:P].astype(np.float64)
    # drop the repeated closing point
    return np.stack([V[:-1, 2], V[:-1, 0]], 1), np.stack([N[:-1, 2], N[:-1, 0]], 1)


def _outer_r_at(pts: np.ndarray, nrm: np.ndarray, z: float) -> float:
    """Outer-surface radius of a band profile at axial position z."""
    outer = nrm[:, 1] > 0.2
    zz, rr = pts[outer, 0], pts[outer, 1]
    o = np.argsort(zz)
    return float(np.interp(z, zz[o], rr[o]))


def _inner_r_max(pts: np.ndarray, nrm: np.ndarray, g: float) -> float:
    """Largest inner-surface radius of a band profile over |z| <= g (a comfort fit rises to the edges)."""
    inner = nrm[:, 1] < -0.2
    zz, rr = pts[inner, 0], pts[inner, 1]
    o = np.argsort(zz)
    vals = np.interp([-g, g], zz[o], rr[o])
    mid = rr[np.abs(zz) <= g]
    return float(max(vals.max(), mid.max() if len(mid) else -np.inf))


def _grooved_profile(pts: np.ndarray, nrm: np.ndarray, g: float, r_floor: float):
    """The band profile with a flat-bottomed groove |z| < g down to radius r_floor.

    Crease points are doubled (one copy per side) as in the band's own profile.
    """
    outer = (nrm[:, 1] > 0.2) & (np.abs(pts[:, 0]) < g)
    idx = np.flatnonzero(outer)
    if len(idx) == 0 or np.any(np.diff(idx) != 1):
        raise InvalidOptionError("band profile: cannot cut the groove")  # pragma: no cover
    i0, i1 = idx[0], idx[-1]
    # normals of the outer surface at the groove's edges
    def outer_n(z):
        o = nrm[:, 1] > 0.2
        zz = pts[o, 0]
        k = np.argsort(zz)
        nz = np.interp(z, zz[k], nrm[o, 0][k])
        nr = np.interp(z, zz[k], nrm[o, 1][k])
        v = np.array([nz, nr])
        return v / np.linalg.norm(v)
    ra, rb = _outer_r_at(pts, nrm, -g), _outer_r_at(pts, nrm, g)
    newp = [(-g, ra), (-g, ra), (-g, r_floor), (-g, r_floor), (g, r_floor), (g, r_floor), (g, rb), (g, rb)]
    newn = [outer_n(-g), (1.0, 0.0), (1.0, 0.0), (0.0, 1.0), (0.0, 1.0), (-1.0, 0.0), (-1.0, 0.0), outer_n(g)]
    P = np.concatenate([pts[:i0], np.array(newp), pts[i1 + 1:]])
    N = np.concatenate([nrm[:i0], np.array(newn), nrm[i1 + 1:]])
    return P, N


def _triangulate_section(poly: np.ndarray) -> np.ndarray:
    """Triangles (T, 3) of a simple polygon (CCW or CW), by ear clipping."""
    tris = ear_clip(poly, eps=1e-14, inside_eps=0.0)
    if tris is None:  # pragma: no cover - only for self-intersecting input
        raise InvalidOptionError("cannot triangulate the band's cross-section")
    return np.array(tris, dtype=np.int64)


def _revolve_range(pts: np.ndarray, nrm: np.ndarray, phi0: float, phi1: float, step: float,
                   name: str) -> MeshPart:
    """Revolve a closed (z, r) profile about +Z from phi0 to phi1 (rad), with flat end caps.

    Crease copies (coincident consecutive profile points) are not bridged.  Texture
    coordinates: ``u = phi / 2 pi`` (unwrapped), ``v`` the profile's arc-length fraction.
    """
    P = len(pts)
    loop = np.concatenate([pts, pts[:1]])
    lnrm = np.concatenate([nrm, nrm[:1]])
    seg = np.linalg.norm(np.diff(loop, axis=0), axis=1)
    vcoord = np.concatenate([[0.0], np.cumsum(seg)]) / seg.sum()
    S = max(2, math.ceil((phi1 - phi0) / step)) + 1
    ph = np.linspace(phi0, phi1, S)
    c, s = np.cos(ph)[:, None], np.sin(ph)[:, None]
    z, r = loop[:, 0][None], loop[:, 1][None]
    Pl = P + 1
    V = np.stack([r * c, r * s, np.broadcast_to(z, (S, Pl))], -1).reshape(-1, 3)
    N = np.stack([lnrm[:, 1][None] * c, lnrm[:, 1][None] * s, np.broadcast_to(lnrm[:, 0][None], (S, Pl))],
                 -1).reshape(-1, 3)
    UV = np.stack([np.broadcast_to((ph / (2 * np.pi))[:, None], (S, Pl)),
                   np.broadcast_to(vcoord[None], (S, Pl))], -1).reshape(-1, 2)
    k = np.flatnonzero(seg > 1e-9)
    si = np.arange(S - 1)[:, None]
    a, b = si * Pl + k, si * Pl + k + 1
    cc, d = (si + 1) * Pl + k + 1, (si + 1) * Pl + k
    side = np.concatenate([np.stack([a, b, cc], -1).reshape(-1, 3), np.stack([a, cc, d], -1).reshape(-1, 3)])
    # wind the side to agree with the profile's outward normals (the loop may run either way)
    tri = V[side[:len(side) // 2]]
    fn = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    if np.sum(np.einsum("ij,ij->i", fn, N[side[:len(side) // 2, 0]])) < 0:
        side = side[:, ::-1]
    F = [side]
    Vs, Ns, UVs = [V], [N], [UV]
    # caps: the profile without its crease copies, triangulated
    uniq = np.flatnonzero(np.linalg.norm(pts - np.roll(pts, 1, axis=0), axis=1) > 1e-9)
    cap_tris = _triangulate_section(pts[uniq])
    off = len(V)
    for phi, sign in ((phi0, -1.0), (phi1, 1.0)):
        tang = np.array([-math.sin(phi), math.cos(phi), 0.0]) * sign
        cv = np.stack([pts[uniq, 1] * math.cos(phi), pts[uniq, 1] * math.sin(phi), pts[uniq, 0]], -1)
        tri = cap_tris + off
        # wind each cap to face along its outward tangent
        t0 = cv[cap_tris[0]]
        if np.dot(np.cross(t0[1] - t0[0], t0[2] - t0[0]), tang) < 0:
            tri = tri[:, ::-1]
        F.append(tri)
        Vs.append(cv)
        Ns.append(np.broadcast_to(tang, cv.shape))
        UVs.append(np.stack([np.full(len(cv), phi / (2 * np.pi)), np.zeros(len(cv))], -1))
        off += len(cv)
    V = np.concatenate(Vs)
    return MeshPart(name, "metal", V, np.concatenate(F), np.concatenate(Ns), np.concatenate(UVs))


def accent_band(*, inner_diameter_mm: float, band_width_mm: float, band_thickness_mm: float,
                band_profile: str = "court", style: str = "pave", count: int | None = None,
                melee_diameter_mm: float = 1.5, spacing_mm: float | None = None, exclude_x_mm: float = 0.0,
                band_segments: int = 128, count_at_most: bool = False) -> list[MeshPart]:
    """A band with a row of melee set along its top half: pavé or channel.

    The melee (round brilliants) sit in a groove cut along the middle of the band's
    outer surface, axes pointing away from the ring's axis, tables flush with the band's
    outer surface at the groove's edges, girdles below it.  *Channel*: the groove is a
    little narrower than the melee, so its two walls overlap the girdles and hold the
    row.  *Pavé*: the groove clears the melee and shared beads (short posts with round
    heads) rise between neighbours on both sides, their heads over the crowns' edges.

    The groove runs only where the melee are; the rest of the band is a plain
    :func:`jewelrender.geometry.assets.court_band` section (the band is two or more closed
    shells, overlapping slightly at the groove's ends, which close it).

    Parameters
    ----------
    inner_diameter_mm, band_width_mm, band_thickness_mm : float
        Band size, mm (as :func:`jewelrender.geometry.assets.court_band`).
    band_profile : {"court", "flat"}
    style : {"pave", "channel"}
    count : int, optional
        Number of melee; default as many as fit.  With a head (``exclude_x_mm > 0``) the
        melee run down both shoulders and ``count`` must be even.
    melee_diameter_mm : float
        Melee diameter, [0.8, 3] mm.
    spacing_mm : float, optional
        Gap between neighbouring girdles; default pavé 0.15 mm, channel 0.05 mm.
    exclude_x_mm : float
        Keep every melee's girdle at least this far from the plane x = 0 (room for a
        head); 0 centres the row on the top of the ring.
    band_segments : int
        Angular resolution of the band (segments per full turn).
    count_at_most : bool
        Treat ``count`` as an upper bound: on a finger too small for that many, set as many
        as fit (at least one per shoulder) instead of raising. A catalog piece's count is
        its design on an average finger; the piece adapts to the customer's.

    Returns
    -------
    list of MeshPart
        ``"band"``, ``"beads"`` (pavé only) and ``"accent_0"``, ...; piece frame.
        The melee run along the band in increasing ``phi`` (from +X towards +Y).
    """
    if style not in ACCENT_STYLES:
        raise InvalidOptionError(f"unknown accent style {style!r}; valid: {', '.join(ACCENT_STYLES)}",
                                 details={"option": "style", "value": repr(style), "valid": list(ACCENT_STYLES)})
    D = _opt("melee_diameter_mm", melee_diameter_mm, 0.8, 3.0, low_open=False)
    sp = (0.15 if style == "pave" else 0.05) if spacing_mm is None else _opt("spacing_mm", spacing_mm, 0.02, 2.0,
                                                                              low_open=False)
    excl = _opt("exclude_x_mm", exclude_x_mm, 0.0, 50.0, low_open=False)
    segs = _int_opt("band_segments", band_segments, 16, 4096)
    band = _A.court_band(inner_diameter_mm, band_width_mm, band_thickness_mm, profile=band_profile,
                         segments=segs)
    pts, nrm = _band_profile_of(band, segs)
    a = float(band_width_mm) / 2
    Rc, crown_h, pav = _melee_dims(D)
    if style == "pave":
        g = Rc + 0.06
    else:
        g = Rc - min(0.15, 0.1 * D)
    if a - g < 0.25 or not np.any((nrm[:, 1] > 0.2) & (np.abs(pts[:, 0]) > g)):
        raise InvalidOptionError(
            f"band too narrow ({2 * a:g} mm) for {D:g} mm melee: needs at least {2 * (g + 0.25):.2f} mm",
            details={"option": "melee_diameter_mm", "value": D, "band_width_mm": 2 * a})
    r_edge = min(_outer_r_at(pts, nrm, -g), _outer_r_at(pts, nrm, g))
    r_c = r_edge - crown_h  # girdle plane: the table flush with the surface at the groove's edges
    r_in_max = _inner_r_max(pts, nrm, g)
    if r_c - pav < r_in_max + 0.05:
        raise InvalidOptionError(
            f"band too thin ({float(band_thickness_mm):g} mm) for {D:g} mm melee: their culets would "
            f"pierce the inside", details={"option": "band_thickness_mm", "value": float(band_thickness_mm)})
    r_floor = max(r_c - pav - 0.08, r_in_max + 0.3)
    r_floor = min(r_floor, r_edge - 0.2)
    pitch = 2 * math.asin(min(1.0, (2 * Rc + sp) / (2 * r_c)))
    half_w = math.asin(min(1.0, Rc / r_c))  # a stone's angular half-footprint
    # angles psi from the top (phi = 90 deg)
    max_psi = math.pi / 2 - half_w  # keep every stone in the top half
    if excl > 0:
        psi0 = math.asin(min(1.0, (excl + Rc) / r_c))
        per_side_max = math.floor((max_psi - psi0) / pitch) + 1 if max_psi >= psi0 else 0
        if count is None:
            per_side = per_side_max
        else:
            c = _int_opt("count", count, 2, 400)
            if c % 2:
                raise InvalidOptionError(f"count must be even with a head (one row down each shoulder), got {c}",
                                         details={"option": "count", "value": c})
            per_side = c // 2
            if count_at_most:
                per_side = min(per_side, per_side_max)
                if per_side < 1:  # shoulders too short for even one: plain shoulders
                    return [band]
        if per_side < 1 or per_side > per_side_max:
            raise InvalidOptionError(
                f"{2 * per_side} melee of {D:g} mm do not fit on the shoulders (at most {2 * per_side_max})",
                details={"option": "count", "value": 2 * per_side, "max": 2 * per_side_max})
        k = np.arange(per_side)
        psis = np.concatenate([-(psi0 + k[::-1] * pitch), psi0 + k * pitch])
        runs = [(-(psi0 + (per_side - 1) * pitch), -psi0), (psi0, psi0 + (per_side - 1) * pitch)]
    else:
        n_max = math.floor(2 * max_psi / pitch) + 1
        if count is None:
            n = n_max
        else:
            n = _int_opt("count", count, 1, 400)
            if count_at_most:
                n = min(n, n_max)
            if n > n_max:
                raise InvalidOptionError(f"{n} melee of {D:g} mm do not fit on the top half (at most {n_max})",
                                         details={"option": "count", "value": n, "max": n_max})
        psis = (np.arange(n) - (n - 1) / 2) * pitch
        runs = [(float(psis[0]), float(psis[-1]))]
    phis = np.pi / 2 - psis
    order = np.argsort(phis)
    phis = phis[order]

    # The band: grooved sections under the runs, plain sections between them.
    gp, gn = _grooved_profile(pts, nrm, g, r_floor)
    step = 2 * np.pi / segs
    end_pad = (Rc + (0.1 + 0.2 * D if style == "pave" else 0.12)) / r_edge
    groove = sorted((math.pi / 2 - hi - end_pad, math.pi / 2 - lo + end_pad) for lo, hi in runs)
    eps = 0.37 * step  # plain sections overlap the grooved ones (not a multiple of the step)
    sections = []
    for i, (p0, p1) in enumerate(groove):
        sections.append(_revolve_range(gp, gn, p0, p1, step, "band"))
        q0 = p1 - eps
        q1 = groove[(i + 1) % len(groove)][0] + eps + (2 * np.pi if i == len(groove) - 1 else 0.0)
        sections.append(_revolve_range(pts, nrm, q0, q1, step, "band"))
    band = _A.merge_parts(sections, "band", "metal")

    melee = []
    stone = _melee(D)
    for i, phi in enumerate(phis):
        y = np.array([math.cos(phi), math.sin(phi), 0.0])
        zax = np.array([0.0, 0.0, 1.0])
        x = np.cross(y, zax)
        M = np.eye(4)
        M[:3, 0], M[:3, 1], M[:3, 2] = x, y, zax
        M[:3, 3] = y * r_c
        melee.append(_A.transform(stone, M, name=f"accent_{i}"))
    parts = [band]
    if style == "pave":
        rb = 0.2 * D
        h = Rc + sp / 2
        zb = math.sqrt(max((Rc + rb - 0.1) ** 2 - h * h, 0.0))
        zb = min(zb, g - 0.5 * rb)
        # posts between neighbours and just beyond each run's ends
        between = list(0.5 * (phis[1:] + phis[:-1])[np.diff(phis) < 1.5 * pitch])
        ends = []
        for lo, hi in runs:
            for psi, sgn in ((lo, -1.0), (hi, 1.0)):
                ends.append(math.pi / 2 - (psi + sgn * (Rc + 0.5 * rb + 0.02) / r_c))
        posts = []
        r_top = r_edge - 0.35 * rb
        for phi in between + ends:
            u = np.array([math.cos(phi), math.sin(phi), 0.0])
            for zs in (-zb, zb):
                path = np.array([u * (r_floor - 0.05) + [0, 0, zs], u * r_top + [0, 0, zs]])
                path = np.linspace(path[0], path[1], 4)
                posts.append(_A.tube(path, rb, sides=10, cap_rings=3, name="post"))
        parts.append(_merge(posts, "beads"))
    return parts + melee
