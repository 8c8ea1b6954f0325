"""Parametric, watertight jewelry geometry: bands, cut stones and settings.

Every mesh here is built procedurally from a handful of jeweller's parameters
(sizes in millimetres, angles in degrees) so that a catalog entry is a few
numbers, not a file.

Frames
------
*Piece frame* (what :func:`solitaire_ring` and :func:`court_band` return):
millimetres, the ring's axis along +Z (the finger's direction, knuckle towards
fingertip), +Y towards the back (dorsal side) of the finger where the head and
stone sit, origin at the band's centre.

*Stone frame* (what :func:`round_brilliant` returns and :func:`prong_setting`
reads and returns): millimetres, the stone's axis along +Y with the table facing
+Y, the girdle's mid-plane at ``y = 0`` and the axis through the origin.  A
stone is put into the piece frame by a pure translation along +Y, so a setting
built in the stone frame is moved with the same :func:`transform`.

Mesh conventions
----------------
Triangles are counter-clockwise seen from outside (right-hand normals point out
of the solid).  Every :class:`MeshPart` is a closed 2-manifold once coincident
vertices are welded: parts with smooth shading (``normals`` given) duplicate
the vertices along sharp creases so that each copy carries the normal of its
own side, which is what a renderer wants and what makes the raw vertex array
*not* topologically closed; :meth:`MeshPart.to_trimesh` welds them by default.
Parts with ``normals=None`` (cut stones) are meant to be shaded flat (one
normal per triangle; Mitsuba: ``face_normals=True``, or pass the part through
:func:`with_face_normals`).

Parts may interpenetrate (a prong's seat cuts into the girdle, a prong's foot
sits inside the band); each part alone is closed, which is what a path tracer
needs for dielectrics and conductors alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..checks import number_option as _opt
from ..errors import InvalidOptionError

if TYPE_CHECKING:  # pragma: no cover
    import trimesh

__all__ = [
    "MeshPart",
    "DIAMOND_DENSITY_G_CM3",
    "GRAMS_PER_CARAT",
    "court_band",
    "round_brilliant",
    "carat_to_diameter_mm",
    "diameter_mm_to_carat",
    "prong_setting",
    "solitaire_ring",
    "transform",
    "translate",
    "merge_parts",
    "with_face_normals",
    "InstancedPart",
]

#: Density of diamond, g/cm^3 (natural diamond 3.51-3.53; GIA Gem Reference Guide).
DIAMOND_DENSITY_G_CM3 = 3.52
#: The metric carat (since 1907): 200 mg.
GRAMS_PER_CARAT = 0.2

#: "other": a part whose material its piece family names (a watch's crystal, dial, hands, strap).
_ROLES = ("metal", "stone", "other")


# --------------------------------------------------------------------------- #
# The mesh container
# --------------------------------------------------------------------------- #


@dataclass(frozen=True, eq=False)
class MeshPart:
    """One closed triangle mesh of a piece, with its material role.

    Parameters
    ----------
    name : str
        Part name, unique within a piece: ``"band"``, ``"head"``,
        ``"prong_0"``, ``"stone"``, ...
    role : str
        ``"metal"`` or ``"stone"``: which material slot the renderer binds.
    vertices : ndarray, shape (N, 3), float32
        Positions in millimetres (piece or stone frame, see the module doc).
    faces : ndarray, shape (M, 3), uint32
        Vertex indices, counter-clockwise seen from outside.
    normals : ndarray, shape (N, 3), float32, or None
        Unit vertex normals for smooth shading; ``None`` means flat/faceted
        shading (one normal per triangle, from the winding).
    texcoords : ndarray, shape (N, 2), float32, or None
        Per-vertex texture coordinates (u, v).  Bands carry them with ``u``
        running once around the circumference (``u = theta / 2 pi``, theta
        measured from +X towards +Y about +Z) and ``v`` along the cross-section
        profile; the renderer's tangent ``dp/du`` then points along the band,
        which orients brushed (anisotropic) finishes and normal maps.  The
        seams (u = 0/1, v = 0/1) are duplicated vertices, so uv never jumps
        inside a triangle.
    """

    name: str
    role: str
    vertices: np.ndarray
    faces: np.ndarray
    normals: np.ndarray | None = None
    texcoords: np.ndarray | None = None

    def __post_init__(self) -> None:
        v = np.ascontiguousarray(self.vertices, dtype=np.float32)
        f = np.ascontiguousarray(self.faces, dtype=np.uint32)
        if v.ndim != 2 or v.shape[1] != 3:
            raise InvalidOptionError(f"MeshPart {self.name!r}: vertices must be (N, 3), got {v.shape}")
        if f.ndim != 2 or f.shape[1] != 3:
            raise InvalidOptionError(f"MeshPart {self.name!r}: faces must be (M, 3), got {f.shape}")
        if f.size and int(f.max()) >= len(v):
            raise InvalidOptionError(f"MeshPart {self.name!r}: face index out of range")
        if self.role not in _ROLES:
            raise InvalidOptionError(
                f"MeshPart {self.name!r}: role must be one of {_ROLES}, got {self.role!r}",
                details={"role": self.role, "valid": list(_ROLES)},
            )
        n = self.normals
        if n is not None:
            n = np.ascontiguousarray(n, dtype=np.float32)
            if n.shape != v.shape:
                raise InvalidOptionError(
                    f"MeshPart {self.name!r}: normals must match vertices {v.shape}, got {n.shape}"
                )
        uv = self.texcoords
        if uv is not None:
            uv = np.ascontiguousarray(uv, dtype=np.float32)
            if uv.shape != (len(v), 2) or not np.all(np.isfinite(uv)):
                raise InvalidOptionError(
                    f"MeshPart {self.name!r}: texcoords must be finite ({len(v)}, 2), got {uv.shape}"
                )
        v.setflags(write=False)
        f.setflags(write=False)
        if n is not None:
            n.setflags(write=False)
        if uv is not None:
            uv.setflags(write=False)
        object.__setattr__(self, "vertices", v)
        object.__setattr__(self, "faces", f)
        object.__setattr__(self, "normals", n)
        object.__setattr__(self, "texcoords", uv)

    @property
    def n_triangles(self) -> int:
        """Number of triangles."""
        return int(len(self.faces))

    @property
    def bounds(self) -> np.ndarray:
        """Axis-aligned bounds, shape (2, 3): ``[min_xyz, max_xyz]`` in mm."""
        return np.stack([self.vertices.min(axis=0), self.vertices.max(axis=0)])

    def to_trimesh(self, *, weld: bool = True) -> "trimesh.Trimesh":
        """This part as a :class:`trimesh.Trimesh` (float64).

        Parameters
        ----------
        weld : bool
            ``True`` (default): merge coincident vertices (the crease copies)
            and drop the vertex normals, giving the closed topology used for
            checks (``is_watertight``, ``volume``).  ``False``: keep the arrays
            verbatim, with the vertex normals attached when present.
        """
        import trimesh

        v = self.vertices.astype(np.float64)
        f = self.faces.astype(np.int64)
        if weld:
            return trimesh.Trimesh(v, f, process=True, validate=False)
        kw = {}
        if self.normals is not None:
            kw["vertex_normals"] = self.normals.astype(np.float64)
        return trimesh.Trimesh(v, f, process=False, **kw)


@dataclass(frozen=True, eq=False)
class InstancedPart:
    """One mesh drawn at many places: the links of a chain, the settings of a tennis bracelet.

    The piece and the scene carry the mesh once with its transforms; the renderer
    bakes the copies into one Mitsuba mesh (:func:`jewelrender.render.merged_meshes`:
    a Mitsuba ``instance`` per copy made every copy a callable of the render kernel).

    Parameters
    ----------
    part : MeshPart
        The mesh in its own frame (millimetres).
    transforms : ndarray, shape (K, 4, 4)
        Rigid transforms (rotation + translation, no scale) from the part's frame to
        the piece frame, one per copy.
    """

    part: MeshPart
    transforms: np.ndarray

    def __post_init__(self) -> None:
        t = np.ascontiguousarray(self.transforms, dtype=np.float64)
        if t.ndim != 3 or t.shape[1:] != (4, 4) or len(t) == 0 or not np.all(np.isfinite(t)):
            raise InvalidOptionError(f"InstancedPart {self.part.name!r}: transforms must be finite (K, 4, 4), "
                                     f"got {t.shape}")
        rot = t[:, :3, :3]
        if np.abs(rot @ rot.transpose(0, 2, 1) - np.eye(3)).max() > 1e-6 or (np.linalg.det(rot) < 0).any():
            raise InvalidOptionError(f"InstancedPart {self.part.name!r}: transforms must be rotations (no scale, "
                                     "no mirror)")
        t.setflags(write=False)
        object.__setattr__(self, "transforms", t)

    @property
    def name(self) -> str:
        return self.part.name

    @property
    def role(self) -> str:
        return self.part.role

    @property
    def count(self) -> int:
        return int(len(self.transforms))

    @property
    def vertices(self) -> np.ndarray:
        """Every copy's vertices in the piece frame, (K * N, 3) float64 (for bounds and checks)."""
        v = self.part.vertices.astype(np.float64)
        return (np.einsum("kij,nj->kni", self.transforms[:, :3, :3], v) + self.transforms[:, None, :3, 3]).reshape(-1, 3)

    def expand(self) -> MeshPart:
        """All copies merged into one :class:`MeshPart` (exports and checks; the renderer instances)."""
        return merge_parts([transform(self.part, m, name=f"{self.name}_{i}") for i, m in enumerate(self.transforms)],
                           self.name)


# --------------------------------------------------------------------------- #
# Small geometric helpers
# --------------------------------------------------------------------------- #


def signed_volume(vertices: np.ndarray, faces: np.ndarray) -> float:
    """Signed enclosed volume (positive for outward winding), vertex units cubed."""
    v = np.asarray(vertices, dtype=np.float64)
    a, b, c = v[faces[:, 0]], v[faces[:, 1]], v[faces[:, 2]]
    return float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6.0)


def orient_outward(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Flip all faces if the (consistently wound) mesh encloses negative volume."""
    if signed_volume(vertices, faces) < 0:
        return faces[:, ::-1].copy()
    return faces


def newell(p: np.ndarray) -> np.ndarray:
    """Area vector of a closed polygon (K, 3): along its normal, length twice its area."""
    return np.cross(p, np.roll(p, -1, axis=0)).sum(axis=0)


def signed_area(poly: np.ndarray) -> float:
    """Signed area of a polygon (K, 2): positive when counter-clockwise."""
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


def ear_clip(xy: np.ndarray, *, eps: float = 0.0, inside_eps: float | None = None,
              best: bool = False) -> list[tuple[int, int, int]] | None:
    """Triangulate a simple polygon (K, 2), either orientation, by ear clipping.

    A corner is an ear when its doubled area, signed in the polygon's own
    orientation, exceeds ``eps`` and no other remaining vertex lies inside it
    or within ``inside_eps`` (default ``eps``) of its edges. ``best`` cuts the
    best-shaped ear (area / sum of squared edges) first rather than the first
    one found. Returns index triples in the polygon's orientation, or ``None``
    when no ear is left (a self-intersecting outline): the caller decides what
    that means.
    """
    sgn = 1.0 if signed_area(xy) >= 0 else -1.0
    tol = eps if inside_eps is None else inside_eps

    def cross(o, a, b):
        return sgn * float((a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]))

    idx = list(range(len(xy)))
    tris: list[tuple[int, int, int]] = []
    while len(idx) > 3:
        n = len(idx)
        pick, pick_q = None, -1.0
        for i in range(n):
            a, b, c = idx[i - 1], idx[i], idx[(i + 1) % n]
            pa, pb, pc = xy[a], xy[b], xy[c]
            area2 = cross(pa, pb, pc)
            if area2 <= eps:  # reflex or flat corner: not an ear
                continue
            if any(cross(pa, pb, xy[j]) >= -tol and cross(pb, pc, xy[j]) >= -tol and cross(pc, pa, xy[j]) >= -tol
                   for j in idx if j not in (a, b, c)):
                continue
            if not best:
                pick = i
                break
            q = area2 / float(np.sum((pa - pb) ** 2) + np.sum((pb - pc) ** 2) + np.sum((pc - pa) ** 2))
            if q > pick_q:
                pick, pick_q = i, q
        if pick is None:
            return None
        tris.append((idx[pick - 1], idx[pick], idx[(pick + 1) % n]))
        del idx[pick]
    tris.append((idx[0], idx[1], idx[2]))
    return tris


def vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Angle-weighted vertex normals (N, 3) of a smooth surface, unit length."""
    v = np.asarray(vertices, dtype=np.float64)
    tri = v[faces]
    fn = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    fn /= np.maximum(np.linalg.norm(fn, axis=1, keepdims=True), 1e-300)
    out = np.zeros_like(v)
    for i in range(3):
        e1 = tri[:, (i + 1) % 3] - tri[:, i]
        e2 = tri[:, (i + 2) % 3] - tri[:, i]
        cosang = np.einsum("ij,ij->i", e1, e2) / np.maximum(
            np.linalg.norm(e1, axis=1) * np.linalg.norm(e2, axis=1), 1e-300)
        ang = np.arccos(np.clip(cosang, -1.0, 1.0))
        np.add.at(out, faces[:, i], fn * ang[:, None])
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-300)
    return out


def transform(part: MeshPart, matrix: np.ndarray, *, name: str | None = None) -> MeshPart:
    """Apply a 4x4 affine transform to a part.

    Parameters
    ----------
    part : MeshPart
    matrix : array_like, shape (4, 4)
        Homogeneous transform acting on column vectors (``p' = M @ [p, 1]``),
        millimetres.  Normals are transformed by the inverse transpose and
        renormalised; a mirroring transform (negative determinant) reverses the
        winding so that faces stay outward.
    name : str, optional
        New name; default keeps the part's name.

    Returns
    -------
    MeshPart
    """
    m = np.asarray(matrix, dtype=np.float64)
    if m.shape != (4, 4) or not np.all(np.isfinite(m)):
        raise InvalidOptionError(f"transform matrix must be a finite 4x4 array, got shape {m.shape}")
    lin, t = m[:3, :3], m[:3, 3]
    det = float(np.linalg.det(lin))
    if abs(det) < 1e-12:
        raise InvalidOptionError("transform matrix is singular")
    v = part.vertices.astype(np.float64) @ lin.T + t
    n = None
    if part.normals is not None:
        n = part.normals.astype(np.float64) @ np.linalg.inv(lin)  # == (inv(lin).T @ n.T).T
        n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-300)
    f = part.faces if det > 0 else part.faces[:, ::-1]
    return MeshPart(name or part.name, part.role, v, f, n, part.texcoords)


def translate(part: MeshPart, offset: Sequence[float], *, name: str | None = None) -> MeshPart:
    """Translate a part by ``offset`` (3,) millimetres."""
    m = np.eye(4)
    m[:3, 3] = np.asarray(offset, dtype=np.float64)
    return transform(part, m, name=name)


def merge_parts(parts: Sequence[MeshPart], name: str, role: str | None = None) -> MeshPart:
    """Concatenate parts of one role into a single part (e.g. one mesh per material).

    All parts must share the role and either all carry normals or none.
    Texture coordinates are kept only when every part carries them.
    """
    parts = list(parts)
    if not parts:
        raise InvalidOptionError("merge_parts needs at least one part")
    role = role or parts[0].role
    if any(p.role != role for p in parts):
        raise InvalidOptionError("merge_parts: parts have different roles")
    has_n = [p.normals is not None for p in parts]
    if any(has_n) and not all(has_n):
        raise InvalidOptionError("merge_parts: cannot mix smooth (normals) and faceted parts")
    offs = np.cumsum([0] + [len(p.vertices) for p in parts[:-1]])
    v = np.concatenate([p.vertices for p in parts])
    f = np.concatenate([p.faces.astype(np.int64) + o for p, o in zip(parts, offs)])
    n = np.concatenate([p.normals for p in parts]) if all(has_n) else None
    uv = np.concatenate([p.texcoords for p in parts]) if all(p.texcoords is not None for p in parts) else None
    return MeshPart(name, role, v, f, n, uv)


def with_face_normals(part: MeshPart) -> MeshPart:
    """A faceted part with explicit normals, for renderers that cannot shade flat.

    Every triangle gets its own three vertices carrying the face's normal, so
    smooth-normal interpolation reproduces flat facets.  Geometry and winding
    are unchanged (the welded mesh is identical); vertex count becomes 3 x M.
    """
    v = part.vertices.astype(np.float64)[part.faces].reshape(-1, 3)
    f = np.arange(len(v), dtype=np.int64).reshape(-1, 3)
    tri = v.reshape(-1, 3, 3)
    fn = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    fn /= np.maximum(np.linalg.norm(fn, axis=1, keepdims=True), 1e-300)
    uv = None if part.texcoords is None else part.texcoords[part.faces].reshape(-1, 2)
    return MeshPart(part.name, part.role, v, f, np.repeat(fn, 3, axis=0), uv)


# --------------------------------------------------------------------------- #
# Bands: a closed (z, r) profile revolved about +Z
# --------------------------------------------------------------------------- #


def _arc(center, radius, a0, a1, max_step_rad, *, even=False):
    """Points and outward normals of a circular arc in the (z, r) plane.

    Angles are measured from +z towards +r.  Returns (P, 2) points and normals.
    """
    n = max(1, int(math.ceil(abs(a1 - a0) / max_step_rad)))
    if even and n % 2:
        n += 1
    a = np.linspace(a0, a1, n + 1)
    nrm = np.stack([np.cos(a), np.sin(a)], axis=1)
    return np.asarray(center, dtype=np.float64) + radius * nrm, nrm


def _segment(p0, p1):
    """A straight profile piece: its two end points and their shared normal."""
    p = np.array([p0, p1], dtype=np.float64)
    d = p[1] - p[0]
    # The band loop runs clockwise in the (z, r) plane (outer surface towards
    # +z first), so the outward normal is the direction turned by +90 deg.
    nrm = np.array([-d[1], d[0]]) / np.linalg.norm(d)
    return p, np.array([nrm, nrm])


def _band_profile(r_in: float, width: float, thickness: float, dome: float, comfort: float,
                  edge_r: float, max_step_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Closed (z, r) profile loop of a band and its outward 2-D normals.

    The loop runs over the outer surface from -z to +z, down the +z side wall,
    back along the inner surface and up the -z wall.  Consecutive coincident
    points mark a sharp crease (the two copies carry the normals of their own
    sides); everywhere else the normals are continuous.

    Returns
    -------
    points, normals : ndarray, shape (P, 2)
        ``(z, r)`` in mm and unit outward normals ``(n_z, n_r)``.
    """
    a = width / 2.0
    r_out = r_in + thickness
    step = math.radians(max_step_deg)

    # Outer and inner surfaces: circle (centre on z=0, through the apex) or a line.
    def outer_r_at(z):
        if dome <= 0:
            return r_out
        R = (a * a + dome * dome) / (2 * dome)
        return (r_out - R) + math.sqrt(R * R - z * z)

    def inner_r_at(z):
        if comfort <= 0:
            return r_in
        R = (a * a + comfort * comfort) / (2 * comfort)
        return (r_in + R) - math.sqrt(R * R - z * z)

    if edge_r <= 0:
        top, bot = outer_r_at(a), inner_r_at(a)
        if top - bot <= 1e-6:
            raise InvalidOptionError("band profile: dome + comfort leave no side wall; reduce them")
        pieces = []
        if dome > 0:
            R = (a * a + dome * dome) / (2 * dome)
            c = (0.0, r_out - R)
            half = math.asin(a / R)
            pieces.append(_arc(c, R, math.pi / 2 + half, math.pi / 2 - half, step, even=True))
        else:
            pieces.append(_segment((-a, r_out), (a, r_out)))
        pieces.append(_segment((a, top), (a, bot)))
        if comfort > 0:
            R = (a * a + comfort * comfort) / (2 * comfort)
            c = (0.0, r_in + R)
            half = math.asin(a / R)
            pieces.append(_arc(c, R, -math.pi / 2 + half, -math.pi / 2 - half, step, even=True))
        else:
            pieces.append(_segment((a, r_in), (-a, r_in)))
        pieces.append(_segment((-a, bot), (-a, top)))
    else:
        if edge_r >= a:
            raise InvalidOptionError("band profile: edge radius must be less than half the width")
        # Outer fillet (right side): tangent to the wall z=a and to the outer surface.
        if dome > 0:
            Ro = (a * a + dome * dome) / (2 * dome)
            co = np.array([0.0, r_out - Ro])
            fo = np.array([a - edge_r, co[1] + math.sqrt((Ro - edge_r) ** 2 - (a - edge_r) ** 2)])
            ang_o = math.atan2(fo[1] - co[1], fo[0] - co[0])  # tangent direction on the dome
        else:
            fo = np.array([a - edge_r, r_out - edge_r])
            ang_o = math.pi / 2
        if comfort > 0:
            Ri = (a * a + comfort * comfort) / (2 * comfort)
            ci = np.array([0.0, r_in + Ri])
            fi = np.array([a - edge_r, ci[1] - math.sqrt((Ri - edge_r) ** 2 - (a - edge_r) ** 2)])
            ang_i = math.atan2(fi[1] - ci[1], fi[0] - ci[0])
        else:
            fi = np.array([a - edge_r, r_in + edge_r])
            ang_i = -math.pi / 2
        if fo[1] - fi[1] < -1e-9:
            raise InvalidOptionError(
                "band profile: edge radius too large for this width/thickness/dome",
                details={"edge_radius_mm": edge_r})
        mirror = np.array([-1.0, 1.0])
        pieces = []
        # left outer fillet, outer surface, right outer fillet, wall, inner fillet,
        # inner surface, left inner fillet, left wall.
        pts, nrm = _arc(fo, edge_r, 0.0, ang_o, step)
        pieces.append((pts * mirror, nrm * mirror))
        if dome > 0:
            pieces.append(_arc(co, Ro, math.pi - ang_o, ang_o, step, even=True))
        else:
            pieces.append(_segment((-(a - edge_r), r_out), (a - edge_r, r_out)))
        pieces.append(_arc(fo, edge_r, ang_o, 0.0, step))
        if fo[1] - fi[1] > 1e-9:
            pieces.append(_segment((a, fo[1]), (a, fi[1])))
        pieces.append(_arc(fi, edge_r, 0.0, ang_i, step))
        if comfort > 0:
            pieces.append(_arc(ci, Ri, ang_i, -math.pi - ang_i, step, even=True))
        else:
            pieces.append(_segment((a - edge_r, r_in), (-(a - edge_r), r_in)))
        pts, nrm = _arc(fi, edge_r, ang_i, 0.0, step)
        pieces.append((pts * mirror, nrm * mirror))
        if fo[1] - fi[1] > 1e-9:
            pieces.append(_segment((-a, fi[1]), (-a, fo[1])))

    # Join pieces: drop the duplicated junction point where the normals agree
    # (smooth), keep both copies where they do not (a crease).
    P, N = [], []
    for pts, nrm in pieces:
        for p, n in zip(pts, nrm):
            if P and np.allclose(P[-1], p, atol=1e-9) and np.dot(N[-1], n) > 1 - 1e-9:
                continue
            P.append(np.asarray(p, dtype=np.float64))
            N.append(np.asarray(n, dtype=np.float64))
    if np.allclose(P[-1], P[0], atol=1e-9) and np.dot(N[-1], N[0]) > 1 - 1e-9:
        P.pop()
        N.pop()
    return np.array(P), np.array(N)


def _revolve_uv(points: np.ndarray, normals: np.ndarray, segments: int):
    """Revolve a closed (z, r) profile about +Z, with texture coordinates.

    The first profile point and the first meridian are repeated at the end
    (u = 1, v = 1) so that uv is continuous inside every triangle.  Consecutive
    coincident profile points (crease copies) are not bridged.  ``u = theta / 2 pi``; ``v`` is the arc length along the
    profile (closing segment included) divided by the profile's perimeter.

    Returns vertices ((S+1)*(P+1), 3), faces (F, 3) outward, vertex normals,
    texcoords ((S+1)*(P+1), 2).
    """
    pts = np.concatenate([points, points[:1]])
    nrm = np.concatenate([normals, normals[:1]])
    P = len(pts)
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    arc = np.r_[0.0, np.cumsum(seg)]
    vcoord = arc / arc[-1]
    S = segments + 1
    th = 2 * np.pi * np.arange(S) / segments
    th[-1] = 0.0  # the seam meridian sits exactly on the first one
    c, s = np.cos(th)[:, None], np.sin(th)[:, None]
    z, r = pts[:, 0][None, :], pts[:, 1][None, :]
    nz, nr = nrm[:, 0][None, :], nrm[:, 1][None, :]
    V = np.stack([r * c, r * s, np.broadcast_to(z, (S, P))], axis=-1).reshape(-1, 3)
    N = np.stack([nr * c, nr * s, np.broadcast_to(nz, (S, P))], axis=-1).reshape(-1, 3)
    U = np.broadcast_to((np.arange(S) / segments)[:, None], (S, P))
    UV = np.stack([U, np.broadcast_to(vcoord[None, :], (S, P))], axis=-1).reshape(-1, 2)
    k = np.arange(P - 1)
    k = k[seg > 1e-9]  # crease copies are not bridged
    k2 = k + 1
    si = np.arange(segments)[:, None]
    s2 = si + 1
    a = si * P + k
    b = si * P + k2
    cc = s2 * P + k2
    d = s2 * P + k
    F = np.concatenate([np.stack([a, b, cc], -1).reshape(-1, 3),
                        np.stack([a, cc, d], -1).reshape(-1, 3)])
    F = orient_outward(V, F)
    return V, F, N, UV


_PROFILES = ("court", "flat")


def court_band(inner_diameter_mm: float, width_mm: float, thickness_mm: float, *,
               segments: int = 128, profile: str = "court", dome_mm: float | None = None,
               comfort_mm: float | None = None, edge_radius_mm: float | None = None,
               max_step_deg: float = 20.0, name: str = "band") -> MeshPart:
    """A plain band: a rounded-rectangle cross-section revolved about +Z.

    Parameters
    ----------
    inner_diameter_mm : float
        Inner diameter at the tightest point (the comfort-fit apex), mm; this
        is the ring size (e.g. 17.3 mm for US 7 / EU 54.5).
    width_mm : float
        Width along the finger (Z), mm.
    thickness_mm : float
        Radial thickness at the thickest point (outer apex minus inner apex), mm.
    segments : int
        Subdivisions around the axis (>= 16).
    profile : {"court", "flat"}
        ``"court"``: comfort fit, convex outside (dome) and slightly convex
        inside, with rounded edges.  ``"flat"``: cylindrical outside and inside
        with softly rounded edges (0.1 mm by default).
    dome_mm, comfort_mm : float, optional
        Sagitta of the outer / inner surface over the band's width, mm
        (defaults: court 0.30 / 0.12 x thickness, flat 0 / 0).
    edge_radius_mm : float, optional
        Fillet radius of the four edges, mm; 0 gives sharp edges (creases with
        split vertices).  Default: court 0.35 x thickness (limited by the
        width), flat min(0.1, ...).
    max_step_deg : float
        Largest turn of the profile's normal between neighbouring profile
        points, degrees (profile resolution).
    name : str
        Part name.

    Returns
    -------
    MeshPart
        Role ``"metal"``, piece frame (axis +Z, centred at the origin, width
        symmetric about z = 0), smooth vertex normals, and texture
        coordinates with ``u`` around the circumference and ``v`` along the
        profile (see :class:`MeshPart`; seam vertices are duplicated).
    """
    if profile not in _PROFILES:
        raise InvalidOptionError(f"unknown band profile {profile!r}; valid: {', '.join(_PROFILES)}",
                                 details={"option": "profile", "value": profile, "valid": list(_PROFILES)})
    d_in = _opt("inner_diameter_mm", inner_diameter_mm, low=0.0)
    w = _opt("width_mm", width_mm, low=0.0)
    t = _opt("thickness_mm", thickness_mm, low=0.0)
    if not isinstance(segments, (int, np.integer)) or segments < 16:
        raise InvalidOptionError(f"segments must be an integer >= 16, got {segments!r}")
    step = _opt("max_step_deg", max_step_deg, low=0.5, high=45.0)
    if profile == "court":
        dome = 0.30 * t if dome_mm is None else _opt("dome_mm", dome_mm, low=0.0, low_open=False)
        comfort = 0.12 * t if comfort_mm is None else _opt("comfort_mm", comfort_mm, low=0.0, low_open=False)
    else:
        dome = 0.0 if dome_mm is None else _opt("dome_mm", dome_mm, low=0.0, low_open=False)
        comfort = 0.0 if comfort_mm is None else _opt("comfort_mm", comfort_mm, low=0.0, low_open=False)
    a = w / 2
    if dome >= a or comfort >= a:
        raise InvalidOptionError("band profile: dome/comfort sagitta must be less than half the width")
    if dome + comfort >= 0.9 * t:
        raise InvalidOptionError("band profile: dome + comfort must be well under the thickness")

    if edge_radius_mm is None:
        # Default fillet: as round as the section allows, shrunk until it fits.
        er = min(0.35 * t, 0.4 * a) if profile == "court" else min(0.1, 0.2 * a, 0.2 * t)
        for _ in range(40):
            try:
                pts, nrm = _band_profile(d_in / 2, w, t, dome, comfort, er, step)
                break
            except InvalidOptionError:
                er *= 0.8
        else:  # pragma: no cover - the fillet shrinks to ~0 long before
            raise InvalidOptionError("band profile: cannot fit rounded edges")
    else:
        er = _opt("edge_radius_mm", edge_radius_mm, low=0.0, low_open=False)
        pts, nrm = _band_profile(d_in / 2, w, t, dome, comfort, er, step)

    V, F, N, UV = _revolve_uv(pts, nrm, int(segments))
    return MeshPart(name, "metal", V, F, N, UV)


# --------------------------------------------------------------------------- #
# Round brilliant
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class Cut:
    table: float
    crown_angle_deg: float
    pavilion_angle_deg: float
    girdle_thickness: float
    star_ratio: float
    lower_half_ratio: float
    culet: float


_CUT_KEYS = ("table", "crown_angle_deg", "pavilion_angle_deg", "girdle_thickness", "star_ratio",
             "lower_half_ratio", "culet")


def cut_from(kwargs: dict) -> "Cut":
    """Validate round-brilliant proportions passed as ``**cut`` keywords."""
    unknown = sorted(set(kwargs) - set(_CUT_KEYS))
    if unknown:
        raise InvalidOptionError(f"unknown cut option(s) {', '.join(unknown)}; valid: {', '.join(_CUT_KEYS)}",
                                 details={"unknown": unknown, "valid": list(_CUT_KEYS)})
    return check_cut(**kwargs)


def check_cut(table=0.53, crown_angle_deg=34.5, pavilion_angle_deg=40.75, girdle_thickness=0.02,
               star_ratio=0.5, lower_half_ratio=0.77, culet=0.0) -> Cut:
    cut = Cut(
        table=_opt("table", table, low=0.2, high=0.85),
        crown_angle_deg=_opt("crown_angle_deg", crown_angle_deg, low=10.0, high=50.0),
        pavilion_angle_deg=_opt("pavilion_angle_deg", pavilion_angle_deg, low=30.0, high=55.0),
        girdle_thickness=_opt("girdle_thickness", girdle_thickness, low=0.0, high=0.1),
        star_ratio=_opt("star_ratio", star_ratio, low=0.05, high=0.95),
        lower_half_ratio=_opt("lower_half_ratio", lower_half_ratio, low=0.3, high=0.95),
        culet=_opt("culet", culet, low=0.0, high=0.1, low_open=False),
    )
    rl = 0.5 * GIRDLE_CORNER * (1 - cut.lower_half_ratio) * math.cos(math.pi / 8)
    if cut.culet / 2 >= rl:
        raise InvalidOptionError("round brilliant: the culet reaches the lower-girdle facets; "
                                 "reduce culet or lower_half_ratio")
    return cut


#: Corner radius of the 16-gon girdle / half its mean diameter.
GIRDLE_CORNER = 2.0 / (1.0 + math.cos(math.pi / 16))


def brilliant_unit(cut: Cut):
    """Vertices (stone frame, diameter 1) and facet polygons of a round brilliant.

    Returns
    -------
    vertices : ndarray (V, 3) float64
    facets : list of (label, list[int])
        Each facet polygon (convex, planar), not yet oriented.
    """
    # The girdle outline is a regular 16-gon whose mean width (average of the
    # corner-to-corner maximum and flat-to-flat minimum, what a lab reports
    # as the average diameter) is 1.
    R = 0.5 * GIRDLE_CORNER
    hg = cut.girdle_thickness / 2
    tb, tp = math.tan(math.radians(cut.crown_angle_deg)), math.tan(math.radians(cut.pavilion_angle_deg))
    c8 = math.cos(math.pi / 8)
    rt = cut.table / 2
    phi = np.arange(8) * (np.pi / 4)  # bezel / pavilion-main centres
    phi_h = phi + np.pi / 8  # star tips, lower-girdle tips, girdle "H" points

    verts: list[np.ndarray] = []

    def add(rho, ang, y):
        verts.append(np.array([rho * math.cos(ang), y, rho * math.sin(ang)]))
        return len(verts) - 1

    # The bezel plane k: y = hg + (R - x_k) tan(crown), x_k = component along phi_k.
    # The pavilion main plane k: y = -hg - (R - x_k) tan(pavilion).
    T = [add(rt, a, hg + (R - rt) * tb) for a in phi]
    rs = rt * c8 + cut.star_ratio * (R - rt * c8)
    S = [add(rs, a, hg + (R - rs * c8) * tb) for a in phi_h]
    Gt = [add(R, a, hg) for a in phi]
    Ht = [add(R, a, hg) for a in phi_h]
    Gb = [add(R, a, -hg) for a in phi]
    Hb = [add(R, a, -hg) for a in phi_h]
    rl = R * (1 - cut.lower_half_ratio)
    L = [add(rl, a, -hg - (R - rl * c8) * tp) for a in phi_h]
    if cut.culet > 0:
        rc = cut.culet / 2  # half the culet octagon's flat-to-flat width
        C = [add(rc / c8, a, -hg - (R - rc) * tp) for a in phi_h]
    else:
        apex = add(0.0, 0.0, -hg - R * tp)

    facets: list[tuple[str, list[int]]] = [("table", T)]
    for k in range(8):
        k1, km = (k + 1) % 8, (k - 1) % 8
        facets.append(("star", [T[k], T[k1], S[k]]))
        facets.append(("bezel", [T[k], S[km], Gt[k], S[k]]))
        facets.append(("upper_girdle", [S[k], Gt[k], Ht[k]]))
        facets.append(("upper_girdle", [S[k], Ht[k], Gt[k1]]))
        facets.append(("girdle", [Gt[k], Ht[k], Hb[k], Gb[k]]))
        facets.append(("girdle", [Ht[k], Gt[k1], Gb[k1], Hb[k]]))
        facets.append(("lower_girdle", [L[k], Gb[k], Hb[k]]))
        facets.append(("lower_girdle", [L[k], Hb[k], Gb[k1]]))
        if cut.culet > 0:
            facets.append(("pavilion_main", [Gb[k], L[k], C[k], C[km], L[km]]))
        else:
            facets.append(("pavilion_main", [Gb[k], L[k], apex, L[km]]))
    if cut.culet > 0:
        facets.append(("culet", C))
    return np.array(verts), facets


def _triangulate_convex(vertices: np.ndarray, facets) -> tuple[np.ndarray, np.ndarray]:
    """Fan-triangulate convex facets of a convex solid, oriented outward.

    Returns faces (M, 3) int64 and the facet index of each triangle (M,).
    """
    centre = vertices.mean(axis=0)
    faces, owner = [], []
    for fi, (_, poly) in enumerate(facets):
        p = vertices[poly]
        nrm = newell(p)
        if np.dot(nrm, p.mean(axis=0) - centre) < 0:
            poly = poly[::-1]
        for i in range(1, len(poly) - 1):
            faces.append((poly[0], poly[i], poly[i + 1]))
            owner.append(fi)
    return np.array(faces, dtype=np.int64), np.array(owner)


@lru_cache(maxsize=64)
def _unit_brilliant_cached(cut: Cut):
    v, facets = brilliant_unit(cut)
    f, _ = _triangulate_convex(v, facets)
    return v, f, signed_volume(v, f)


def _diameter_from(diameter_mm, carat, cut: Cut, density: float) -> float:
    if (diameter_mm is None) == (carat is None):
        raise InvalidOptionError("give exactly one of diameter_mm and carat",
                                 details={"diameter_mm": diameter_mm, "carat": carat})
    if diameter_mm is not None:
        return _opt("diameter_mm", diameter_mm, low=0.0, high=100.0)
    return _carat_to_d(_opt("carat", carat, low=0.0, high=1e4), cut, density)


def _carat_to_d(carat: float, cut: Cut, density: float) -> float:
    vol_unit = _unit_brilliant_cached(cut)[2]  # mm^3 for a 1 mm stone
    vol_mm3 = carat * GRAMS_PER_CARAT / (density * 1e-3)
    return (vol_mm3 / vol_unit) ** (1.0 / 3.0)


def carat_to_diameter_mm(carat: float, *, density_g_cm3: float = DIAMOND_DENSITY_G_CM3, **cut) -> float:
    """Girdle diameter (mm) of a round brilliant of the given weight.

    The weight is the exact volume of the faceted model (:func:`round_brilliant`
    with the same ``cut`` proportions) times the density, with 1 ct = 0.2 g:
    ``carat = V(D) * density / 0.2``; the volume scales as ``D**3``, so any
    proportions (deep, shallow, thick girdle) are handled.  A 1.00 ct Tolkowsky
    round (table 53 %, crown 34.5 deg, pavilion 40.75 deg, 2 % girdle) comes out
    at 6.45 mm, as the trade's tables say (6.4-6.5 mm).

    Parameters
    ----------
    carat : float
        Weight, metric carats.
    density_g_cm3 : float
        Material density, g/cm^3 (diamond 3.52; moissanite 3.22; CZ ~5.7).
    **cut
        Proportions as for :func:`round_brilliant` (table, crown_angle_deg, ...).

    Returns
    -------
    float
        Mean girdle diameter, mm (see :func:`round_brilliant`).
    """
    c = cut_from(cut)
    dens = _opt("density_g_cm3", density_g_cm3, low=0.0, high=30.0)
    return _carat_to_d(_opt("carat", carat, low=0.0, high=1e4), c, dens)


def diameter_mm_to_carat(diameter_mm: float, *, density_g_cm3: float = DIAMOND_DENSITY_G_CM3, **cut) -> float:
    """Weight (metric carats) of a round brilliant of the given girdle diameter (mm).

    Inverse of :func:`carat_to_diameter_mm` (same model and parameters).
    """
    c = cut_from(cut)
    dens = _opt("density_g_cm3", density_g_cm3, low=0.0, high=30.0)
    d = _opt("diameter_mm", diameter_mm, low=0.0, high=100.0)
    vol = _unit_brilliant_cached(c)[2] * d ** 3
    return vol * dens * 1e-3 / GRAMS_PER_CARAT


def round_brilliant(*, diameter_mm: float | None = None, carat: float | None = None, table: float = 0.53,
                    crown_angle_deg: float = 34.5, pavilion_angle_deg: float = 40.75,
                    girdle_thickness: float = 0.02, star_ratio: float = 0.5, lower_half_ratio: float = 0.77,
                    culet: float = 0.0, density_g_cm3: float = DIAMOND_DENSITY_G_CM3,
                    name: str = "stone") -> MeshPart:
    """A round brilliant cut stone (57 facets, 58 with a culet), flat shaded.

    Facets: 1 table, 8 stars, 8 bezels (kites), 16 upper-girdle halves (crown,
    33); 16 lower-girdle halves, 8 pavilion mains (pavilion, 24); plus the
    optional culet.  The girdle is a thin band of 16 vertical facets (not
    counted); its outline is a regular 16-gon.  The diameter is the girdle's
    mean diameter, the average of its largest (corner-to-corner) and smallest
    (flat-to-flat) widths, as a grading lab reports it and divides the depth
    and table by; the corners lie 0.97 % outside it.  Defaults are
    Tolkowsky's ideal (1919) with a thin 2 % girdle: total depth 62.0 %.

    Parameters
    ----------
    diameter_mm, carat : float
        Give exactly one: the mean girdle diameter (mm), or the weight,
        converted with :func:`carat_to_diameter_mm`.
    table : float
        Table width (corner to corner of the octagon) / diameter.
    crown_angle_deg, pavilion_angle_deg : float
        Angles of the bezel and pavilion-main facets to the girdle plane.
    girdle_thickness : float
        Girdle height / diameter.
    star_ratio : float
        Star facet length: the star tip's radial reach from the table edge
        towards the girdle, as a fraction of that distance.
    lower_half_ratio : float
        Lower-girdle facet length: the facet tip's radial reach from the girdle
        towards the culet, as a fraction of that distance.
    culet : float
        Culet size (flat-to-flat width of its octagon) / diameter; 0 = pointed.
    density_g_cm3 : float
        Used only with ``carat``.
    name : str
        Part name.

    Returns
    -------
    MeshPart
        Role ``"stone"``, stone frame: axis +Y, table facing +Y, girdle
        mid-plane at y = 0; vertices shared between facets (closed), normals
        None (shade flat).  The first bezel and pavilion main face +X.
    """
    cut = check_cut(table, crown_angle_deg, pavilion_angle_deg, girdle_thickness,
                     star_ratio, lower_half_ratio, culet)
    dens = _opt("density_g_cm3", density_g_cm3, low=0.0, high=30.0)
    d = _diameter_from(diameter_mm, carat, cut, dens)
    v, f, _ = _unit_brilliant_cached(cut)
    return MeshPart(name, "stone", v * d, f, None)


# --------------------------------------------------------------------------- #
# Tubes (prongs, gallery rails)
# --------------------------------------------------------------------------- #


def rounded_polyline(ctrl: np.ndarray, bend_radius: float, *, max_step_deg: float = 10.0,
                      max_len: float = 0.5) -> np.ndarray:
    """A path through ``ctrl`` (K, 3) with every corner replaced by a circular arc.

    Each arc has radius ``bend_radius`` unless the neighbouring legs are too
    short (then it shrinks to fit).  A tube swept along it cannot fold as long
    as its radius stays under the bend radius.  Each corner is first pushed
    out along its bisector so that the arc's apex lands on the control point
    (a prong's grip point stays where it was designed).  Straight legs are
    split into pieces no longer than ``max_len``; arcs into steps of at most
    ``max_step_deg``.  Returns (P, 3) points from ``ctrl[0]`` to ``ctrl[-1]``.
    """
    p = np.asarray(ctrl, dtype=np.float64).copy()
    # pass 1: push the corners out so the fillet's apex lands on the control point
    q = p.copy()
    for i in range(1, len(p) - 1):
        a = p[i] - p[i - 1]
        b = p[i + 1] - p[i]
        a /= np.linalg.norm(a)
        b /= np.linalg.norm(b)
        th = math.acos(max(-1.0, min(1.0, float(np.dot(a, b)))))
        if th < 1e-6:
            continue
        bis = a - b  # points away from the inside of the turn
        bis /= np.linalg.norm(bis)
        q[i] = p[i] + bis * bend_radius * (1 / math.cos(th / 2) - 1)
    p = q
    out = [p[0]]
    start = p[0]
    for i in range(1, len(p)):
        if i == len(p) - 1:
            leg_end, arc = p[i], None
        else:
            a = p[i] - p[i - 1]
            b = p[i + 1] - p[i]
            la, lb = np.linalg.norm(a), np.linalg.norm(b)
            a, b = a / la, b / lb
            th = math.acos(max(-1.0, min(1.0, float(np.dot(a, b)))))
            if th < 1e-6:
                leg_end, arc = p[i], None
            else:
                # the first and last legs may be used up to 90 %, inner ones half
                room_a = 0.9 * la if i == 1 else 0.5 * la
                room_b = 0.9 * lb if i == len(p) - 2 else 0.5 * lb
                L = min(bend_radius * math.tan(th / 2), room_a, room_b)
                rad = L / math.tan(th / 2)
                leg_end = p[i] - a * L
                arc = (leg_end, a, b, th, rad)
        n = max(1, int(math.ceil(np.linalg.norm(leg_end - start) / max_len)))
        for t in np.linspace(0.0, 1.0, n + 1)[1:]:
            out.append(start + t * (leg_end - start))
        if arc is not None:
            p0, a, b, th, rad = arc
            nrm = b - np.dot(b, a) * a  # towards the centre of the bend
            nrm /= np.linalg.norm(nrm)
            centre = p0 + nrm * rad
            m = max(1, int(math.ceil(math.degrees(th) / max_step_deg)))
            for phi in np.linspace(0.0, th, m + 1)[1:]:
                out.append(centre - nrm * rad * math.cos(phi) + a * rad * math.sin(phi))
            start = out[-1]
    return np.array(out)


def _frames(path: np.ndarray, closed: bool):
    """Tangents and parallel-transported normals/binormals along a path."""
    if closed:
        t = np.roll(path, -1, axis=0) - np.roll(path, 1, axis=0)
    else:
        t = np.gradient(path, axis=0)
    t /= np.linalg.norm(t, axis=1, keepdims=True)
    helper = np.eye(3)[np.argmin(np.abs(t[0]))]
    n = np.empty_like(t)
    n[0] = np.cross(t[0], helper)
    n[0] /= np.linalg.norm(n[0])
    for i in range(1, len(t)):
        v = n[i - 1] - np.dot(n[i - 1], t[i]) * t[i]
        n[i] = v / np.linalg.norm(v)
    if closed:
        # Parallel transport around a loop comes back twisted; spread the
        # correction evenly so the seam does not shear the tube.
        v = n[-1] - np.dot(n[-1], t[0]) * t[0]
        v /= np.linalg.norm(v)
        b0 = np.cross(t[0], n[0])
        twist = math.atan2(np.dot(v, b0), np.dot(v, n[0]))
        m = len(t)
        for i in range(len(t)):
            ang = -twist * i / m
            b = np.cross(t[i], n[i])
            n[i] = math.cos(ang) * n[i] + math.sin(ang) * b
    b = np.cross(t, n)
    return t, n, b


def tube(path: np.ndarray, radii, *, sides: int = 12, closed: bool = False,
          cap_rings: int = 4, name: str = "tube", role: str = "metal") -> MeshPart:
    """A closed tube swept along ``path`` (K, 3) with circular sections.

    Open paths get hemispherical caps (``cap_rings`` rings each), so the tube
    is closed and smooth everywhere; closed paths make a torus-like loop.
    Vertex normals are angle-weighted face normals (the surface has no creases).
    """
    path = np.asarray(path, dtype=np.float64)
    radii = np.broadcast_to(np.asarray(radii, dtype=np.float64), (len(path),)).copy()
    t, n, b = _frames(path, closed)
    centres, rads, ns, bs = [path], [radii], [n], [b]
    poles = []
    if not closed:
        # Caps: rings at angle a along the tangent, radius r cos(a), then a pole.
        angs = np.arange(1, cap_rings) * (np.pi / 2) / cap_rings
        start_c = path[0] - np.outer(np.sin(angs[::-1]), t[0]) * radii[0]
        end_c = path[-1] + np.outer(np.sin(angs), t[-1]) * radii[-1]
        centres = [start_c, path, end_c]
        rads = [radii[0] * np.cos(angs[::-1]), radii, radii[-1] * np.cos(angs)]
        ns = [np.repeat(n[:1], len(angs), 0), n, np.repeat(n[-1:], len(angs), 0)]
        bs = [np.repeat(b[:1], len(angs), 0), b, np.repeat(b[-1:], len(angs), 0)]
        poles = [path[0] - t[0] * radii[0], path[-1] + t[-1] * radii[-1]]
    C = np.concatenate(centres)
    Rr = np.concatenate(rads)
    Nn = np.concatenate(ns)
    Bb = np.concatenate(bs)
    ang = 2 * np.pi * np.arange(sides) / sides
    ring = (np.cos(ang)[None, :, None] * Nn[:, None, :] + np.sin(ang)[None, :, None] * Bb[:, None, :])
    V = (C[:, None, :] + Rr[:, None, None] * ring).reshape(-1, 3)
    K = len(C)
    j = np.arange(sides)
    j2 = (j + 1) % sides
    rows = np.arange(K if closed else K - 1)
    r2 = (rows + 1) % K
    a = rows[:, None] * sides + j[None, :]
    bq = rows[:, None] * sides + j2[None, :]
    c = r2[:, None] * sides + j2[None, :]
    d = r2[:, None] * sides + j[None, :]
    F = [np.stack([a, bq, c], -1).reshape(-1, 3), np.stack([a, c, d], -1).reshape(-1, 3)]
    if not closed:
        p0 = len(V)
        p1 = p0 + 1
        V = np.vstack([V, poles])
        F.append(np.stack([np.full(sides, p0), j2, j], -1))
        last = (K - 1) * sides
        F.append(np.stack([np.full(sides, p1), last + j, last + j2], -1))
    F = np.concatenate(F)
    F = orient_outward(V, F)
    return MeshPart(name, role, V, F, vertex_normals(V, F))


# --------------------------------------------------------------------------- #
# Settings
# --------------------------------------------------------------------------- #


def hull2d(pts: np.ndarray) -> np.ndarray:
    """Convex hull (counter-clockwise) of 2-D points (Andrew's monotone chain)."""
    p = np.unique(np.round(pts, 9), axis=0)
    p = p[np.lexsort((p[:, 1], p[:, 0]))]

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower, upper = [], []
    for q in p:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], q) <= 0:
            lower.pop()
        lower.append(tuple(q))
    for q in p[::-1]:
        while len(upper) >= 2 and cross(upper[-2], upper[-1], q) <= 0:
            upper.pop()
        upper.append(tuple(q))
    return np.array(lower[:-1] + upper[:-1])


class Silhouette:
    """The stone's outline seen side-on, in the vertical half-plane of direction ``u``.

    ``s`` is the horizontal distance from the stone's axis along ``u`` and
    ``y`` the height (stone frame).  For a convex stone, ``s_at(y)`` is the
    farthest the stone reaches towards ``u`` at height ``y``: where a prong
    coming from that side touches it.
    """

    def __init__(self, vertices: np.ndarray, u: np.ndarray):
        s = vertices @ u
        y = vertices[:, 1]
        h = hull2d(np.stack([s, y], axis=1))
        i_bot, i_top = int(np.argmin(h[:, 1])), int(np.argmax(h[:, 1]))
        # Counter-clockwise from the bottom to the top runs up the +s side.
        idx = [i_bot]
        while idx[-1] != i_top:
            idx.append((idx[-1] + 1) % len(h))
        chain = h[idx]
        self.y_min, self.y_max = float(chain[0, 1]), float(chain[-1, 1])
        self._y, self._s = chain[:, 1], chain[:, 0]
        # the highest of the widest points (the top of a vertical girdle)
        k = int(np.flatnonzero(self._s >= self._s.max() - 1e-12)[-1])
        self.s_max = float(self._s[k])
        # Above the widest point the outline narrows: y as a function of s.
        self._up_s = self._s[k:][::-1]
        self._up_y = self._y[k:][::-1]

    def s_at(self, y: float) -> float:
        return float(np.interp(y, self._y, self._s))

    def crown_y_at(self, s: float) -> float:
        """Height of the upper outline where it reaches ``s`` (s < s_max)."""
        return float(np.interp(s, self._up_s, self._up_y))


def prong_setting(stone: MeshPart, *, prongs: int = 4, prong_diameter_mm: float = 0.9,
                  angle_offset_deg: float | None = None, base_y_mm: float | None = None,
                  base_radius_mm: float | None = None, seat_depth: float = 0.3,
                  tip_reach_mm: float | None = None, gallery: bool = True,
                  rail_diameter_mm: float | None = None, sides: int = 12) -> list[MeshPart]:
    """A claw (prong) basket head for a stone, in the stone's frame.

    Each prong is a round wire that flares out from a foot below the stone,
    clear of the pavilion, rises nearly vertically to the girdle, grips it (a seat
    ``seat_depth`` x its radius deep, as a jeweller notches it) and leans in
    over the crown edge, ending in a rounded claw tip that rests on the crown.
    With ``gallery`` two rails join the prongs (a basket): one under the
    girdle, inside its outline, one lower down.

    Parameters
    ----------
    stone : MeshPart
        The stone in its stone frame (axis +Y, table up, girdle plane y = 0).
        Only its vertices are read, so any convex cut works.
    prongs : int
        Number of prongs (3-8).
    prong_diameter_mm : float
        Wire diameter at the girdle, mm (the claw tip tapers to 85 %).
    angle_offset_deg : float, optional
        Angle of the first prong from +X towards +Z, degrees; default
        ``180 / prongs`` (4 prongs sit on the diagonals, as usual).
    base_y_mm : float, optional
        Height of the prongs' feet (stone frame), mm; default 1.2 mm below the
        culet.  :func:`solitaire_ring` puts them inside the band.
    base_radius_mm : float, optional
        Distance of the feet from the stone's axis, mm; default 0.3 x girdle
        radius.
    seat_depth : float
        How far the girdle cuts into the prong, as a fraction of its radius.
    tip_reach_mm : float, optional
        How far inside the girdle edge the claw tip's centre sits, mm; default
        a quarter of the prong radius (the rounded tip then covers about
        0.5 mm of the crown for a 0.9 mm prong).
    gallery : bool
        Add the two rails (part ``"head"``).
    rail_diameter_mm : float, optional
        Rail wire diameter, mm; default 0.75 x prong diameter.
    sides : int
        Tube subdivisions around the wire.

    Returns
    -------
    list of MeshPart
        ``"head"`` (the rails, when ``gallery``) then ``"prong_0"`` ...,
        all role ``"metal"``, stone frame, smooth normals.
    """
    if not isinstance(prongs, (int, np.integer)) or not 3 <= prongs <= 8:
        raise InvalidOptionError(f"prongs must be an integer in 3..8, got {prongs!r}",
                                 details={"option": "prongs", "value": repr(prongs)})
    if not isinstance(sides, (int, np.integer)) or sides < 6:
        raise InvalidOptionError(f"sides must be an integer >= 6, got {sides!r}")
    d = _opt("prong_diameter_mm", prong_diameter_mm, low=0.05, high=5.0)
    r = d / 2
    seat = _opt("seat_depth", seat_depth, low=0.0, high=0.9, low_open=False)
    off = math.radians(180.0 / prongs if angle_offset_deg is None
                       else _opt("angle_offset_deg", angle_offset_deg, low=-360, high=360))
    v = stone.vertices.astype(np.float64)
    y_bot, y_top = float(v[:, 1].min()), float(v[:, 1].max())
    if not (y_bot < 0 < y_top):
        raise InvalidOptionError("prong_setting: the stone must be in its stone frame "
                                 "(girdle plane y = 0, table up)")
    g_rad = float(np.max(np.hypot(v[:, 0], v[:, 2])))
    base_y = y_bot - 1.2 if base_y_mm is None else _opt("base_y_mm", base_y_mm, low=-1e3, high=y_bot)
    base_rho = 0.3 * g_rad if base_radius_mm is None else _opt(
        "base_radius_mm", base_radius_mm, low=0.0, high=g_rad, low_open=False)
    reach = 0.25 * r if tip_reach_mm is None else _opt("tip_reach_mm", tip_reach_mm, low=-d, high=g_rad / 2)
    rail_r = (0.75 * d if rail_diameter_mm is None else _opt(
        "rail_diameter_mm", rail_diameter_mm, low=0.05, high=5.0)) / 2
    depth = -y_bot
    tip_r = 0.85 * r

    # The basket: each prong runs straight out from its foot, past the lower
    # rail (kept clear of the pavilion), to the upper rail under the girdle,
    # rises almost vertically to the girdle (the seat grips it) and leans in
    # over the crown.  The rails are loops joining the prongs at two heights;
    # the upper one stays inside the girdle's outline so that, seen from
    # above, only the claws show beside the stone.
    y_up = -0.3 * depth
    y_low = -0.72 * depth
    lean = math.tan(math.radians(12.0))  # of the prong below the girdle

    def radial_path(u: np.ndarray):
        """Prong control points (s, y) in the half-plane of direction u, and
        the (s, y) of the upper and lower rails there."""
        sil = Silhouette(v, u)
        Rg = sil.s_at(0.0)
        s_grip = Rg + r * (1 - seat)  # the girdle cuts `seat` x r into the prong
        s_up = s_grip + y_up * lean
        t = (y_low - base_y) / (y_up - base_y)
        s_low = max(base_rho + t * (s_up - base_rho), sil.s_at(y_low) + r)
        s_tip = Rg - reach
        # The claw ends in a ball (the tube's round cap) resting on the crown,
        # sunk 20 % of its radius into it; the lean from the girdle to it bends
        # more gently than the wire is thick, so the tube never folds.
        y_c = sil.crown_y_at(s_tip)
        slope = (sil.crown_y_at(s_tip - 0.05 * r) - y_c) / (0.05 * r)
        y_tip = y_c + 0.8 * tip_r * math.sqrt(1.0 + slope * slope)
        rail_up = min(max(Rg - rail_r, sil.s_at(y_up) + rail_r), s_up)
        ctrl = [(base_rho, base_y), (s_low, y_low), (s_up, y_up), (s_grip, 0.0), (s_tip, y_tip)]
        return ctrl, (rail_up, y_up), (s_low, y_low)

    parts: list[MeshPart] = []
    prong_parts: list[MeshPart] = []
    for i in range(int(prongs)):
        a = off + 2 * math.pi * i / prongs
        u = np.array([math.cos(a), 0.0, math.sin(a)])
        ctrl = np.array([[s * u[0], y, s * u[2]] for s, y in radial_path(u)[0]])
        path = rounded_polyline(ctrl, 1.4 * r, max_len=max(0.6 * r, 0.15))
        # Full radius up to the girdle, then tapering to the claw tip.
        s_arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))])
        above = np.flatnonzero(path[:, 1] >= 0.0)
        s_girdle = s_arc[above[0]] if len(above) else s_arc[-1]
        frac = np.clip((s_arc - s_girdle) / max(s_arc[-1] - s_girdle, 1e-9), 0.0, 1.0)
        radii = r + (tip_r - r) * frac
        prong_parts.append(tube(path, radii, sides=sides, name=f"prong_{i}"))

    if gallery:
        rails = []
        for k, n_seg in ((1, max(40, 8 * prongs)), (2, max(28, 6 * prongs))):
            ang = 2 * np.pi * np.arange(n_seg) / n_seg
            loop = []
            for a in ang:
                u = np.array([math.cos(a), 0.0, math.sin(a)])
                s, y = radial_path(u)[k]
                loop.append([s * u[0], y, s * u[2]])
            rails.append(tube(np.array(loop), rail_r, sides=sides, closed=True))
        parts.append(merge_parts(rails, "head"))
    return parts + prong_parts


def solitaire_ring(*, inner_diameter_mm: float, band_width_mm: float = 2.0, band_thickness_mm: float = 1.7,
                   stone_carat: float | None = 1.0, prongs: int = 4, stone_diameter_mm: float | None = None,
                   band_profile: str = "court", prong_diameter_mm: float | None = None,
                   culet_clearance_mm: float = 0.5, band_segments: int = 128, **cut) -> list[MeshPart]:
    """A round-brilliant solitaire on a plain band, in the piece frame.

    The band is :func:`court_band` (axis +Z); the stone sits above the band's
    top (+Y), table up, its culet ``culet_clearance_mm`` above the band's
    outer surface; a :func:`prong_setting` basket holds it, the prongs' feet
    sunk into the band.

    Parameters
    ----------
    inner_diameter_mm : float
        Ring size as inner diameter, mm.
    band_width_mm, band_thickness_mm : float
        Band dimensions, mm.
    stone_carat : float or None
        Stone weight (ignored when ``stone_diameter_mm`` is given).
    prongs : int
        Number of prongs.
    stone_diameter_mm : float, optional
        Girdle diameter instead of a weight.
    band_profile : {"court", "flat"}
    prong_diameter_mm : float, optional
        Default 0.14 x stone diameter, clipped to [0.5, 1.2] mm (0.9 mm for 1 ct).
    culet_clearance_mm : float
        Gap between the culet and the band's outer surface, mm.
    band_segments : int
        Band subdivisions around the axis.
    **cut
        Round-brilliant proportions (see :func:`round_brilliant`).

    Returns
    -------
    list of MeshPart
        ``band``, ``head`` (gallery rails), ``prong_0..``, ``stone``; piece frame.
    """
    c = cut_from(cut)
    ring_in = _opt("inner_diameter_mm", inner_diameter_mm, low=5.0, high=40.0)
    w = _opt("band_width_mm", band_width_mm, low=0.5, high=20.0)
    t = _opt("band_thickness_mm", band_thickness_mm, low=0.3, high=10.0)
    clear = _opt("culet_clearance_mm", culet_clearance_mm, low=0.0, high=10.0, low_open=False)
    if stone_diameter_mm is not None:
        stone = round_brilliant(diameter_mm=stone_diameter_mm, **vars(c))
    else:
        if stone_carat is None:
            raise InvalidOptionError("give stone_carat or stone_diameter_mm")
        stone = round_brilliant(carat=stone_carat, **vars(c))
    D = 2 * float(np.max(np.hypot(stone.vertices[:, 0], stone.vertices[:, 2])))
    pd = float(np.clip(0.14 * D, 0.5, 1.2)) if prong_diameter_mm is None else _opt(
        "prong_diameter_mm", prong_diameter_mm, low=0.05, high=5.0)

    band = court_band(ring_in, w, t, profile=band_profile, segments=band_segments)
    r_out = ring_in / 2 + t
    y_bot = float(stone.vertices[:, 1].min())
    y_girdle = r_out + clear - y_bot  # piece-frame height of the girdle plane
    # Feet: half-way into the band, close enough to the axis to stay inside
    # the band's width.
    base_y = (r_out - 0.5 * t) - y_girdle
    # With four prongs on the diagonals a foot at radius rho sits at
    # |z| = rho / sqrt(2); with other counts some foot may lie on the z axis.
    z_room = max(0.1, w / 2 - pd / 2 - 0.1)
    base_rho = min(0.3 * D / 2, z_room * (math.sqrt(2) if prongs == 4 else 1.0))
    head = prong_setting(stone, prongs=prongs, prong_diameter_mm=pd, base_y_mm=base_y,
                         base_radius_mm=base_rho)
    off = np.array([0.0, y_girdle, 0.0])
    return [band] + [translate(p, off) for p in head] + [translate(stone, off)]
