"""Users' own stones and pieces from mesh files (OBJ, PLY, STL, glTF/GLB).

:func:`load_mesh` reads a file, repairs it (:func:`repair`), checks that it is a
closed 2-manifold (a refracting stone or a metal part must be, for the path
tracer to know inside from outside), scales it to millimetres and puts it into
the stone frame or the piece frame (see :mod:`jewelrender.geometry.assets`), returning a
:class:`~jewelrender.geometry.assets.MeshPart`.  :func:`load_mesh_with_report` also
returns a :class:`LoadReport` that says what was fixed.

Repair, in order (each step counted in :class:`RepairReport`)
-------------------------------------------------------------
1. Drop faces that use a vertex with a NaN/inf coordinate.
2. Weld coincident vertices: vertices closer than ``tol`` x the bounding-box
   diagonal become one (their mean).  Files exported "per facet" (STL always,
   OBJ/glTF with per-corner normals or uvs) and files with hairline cracks
   between facets (the gam0022 ``asscher.obj``: 1.4e-4 units apart on a
   3.2-unit stone) are closed by this step alone.
3. Drop the faces that welding made degenerate (two corners on one vertex) and
   duplicate faces (the same three vertices, in any order; the first is kept).
4. Merge: the objects of a multi-object file were concatenated by the reader;
   after welding, the connected pieces are counted.  A stone must be one solid:
   several disjoint pieces raise :class:`~jewelrender.errors.MeshError`.  Metal
   may be several solids (band and prongs), each closed.
5. Fix the winding: make the orientation consistent across every manifold
   edge (breadth-first over the face adjacency), then flip any connected piece
   whose signed volume is negative, so that normals point out.  (An inner
   cavity shell would be turned outwards too; behind an opaque metal surface it
   is never seen, and a stone has only one shell.)
6. Fill small holes: each boundary loop whose fill (ear-clipped in its
   best-fit plane) has an area of at most ``max_hole_area`` x the mesh's
   surface area.  The criterion is area, not perimeter: a T-junction slit (the
   gam0022 ``barion.obj`` has one: a vertex lying on the far edge) has a long
   boundary and zero area, and closing it with a zero-area triangle leaves the
   surface exactly as it was; a missing box side is 20 % of the rest and is
   refused.  (``trimesh.repair.fill_holes`` needs networkx, which jewelrender
   does not depend on, and fills only triangles and quads; this is our own.)
7. Check: every edge shared by exactly two faces, traversed in opposite
   directions.  If not, :class:`~jewelrender.errors.MeshNotClosedError` with
   ``details = {"open_edges", "nonmanifold_edges", "misoriented_edges",
   "path", ...}``.

OBJ files are read by our own strict reader (trimesh silently accepts face
indices past the end of the vertex list in PLY, needs ``charset_normalizer``
for undecodable text, and reports malformed OBJ as raw ``IndexError``); PLY,
STL and glTF/GLB are read by trimesh, with binary STL lengths and all face
indices checked first.  An OBJ face may reference texture coordinates or
normals (``f v/vt/vn``) that the file does not define (the gam0022
``hexagondiamond.obj``: every ``vt``/``vn`` reference dangles): such references
are stripped and counted in :attr:`LoadReport.stripped_references`.  That is a
sound repair because the geometry depends on the ``v`` indices alone, which are
intact and checked; a stone is shaded flat (it uses neither texture nor
normals) and a metal part whose normals dangle gets computed ones.  A face
referencing a *position* that does not exist is unrepairable and raises
:class:`~jewelrender.errors.MeshError`.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .assets import MeshPart, ear_clip, newell
from ..checks import number_option as _num
from ..errors import InvalidOptionError, MeshError, MeshNotClosedError

__all__ = [
    "SUPPORTED_SUFFIXES",
    "UNITS_MM",
    "LoadReport",
    "RepairReport",
    "load_mesh",
    "load_mesh_with_report",
    "repair",
]

#: Millimetres per file unit for the named units.
UNITS_MM: dict[str, float] = {"mm": 1.0, "cm": 10.0, "m": 1000.0, "in": 25.4}

#: File suffix -> format name.
SUPPORTED_SUFFIXES: dict[str, str] = {".obj": "obj", ".ply": "ply", ".stl": "stl", ".glb": "glb", ".gltf": "gltf"}

_ROLES = ("stone", "metal")
_FRAMES = ("stone", "piece")
#: Proper rotations taking the named file axis to +Y (the stone's table / the piece's head).
_UP_ROTATIONS: dict[str, np.ndarray] = {
    "+Y": np.eye(3),
    "-Y": np.array([[1, 0, 0], [0, -1, 0], [0, 0, -1]], dtype=np.float64),
    "+Z": np.array([[1, 0, 0], [0, 0, 1], [0, -1, 0]], dtype=np.float64),
    "-Z": np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]], dtype=np.float64),
    "+X": np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1]], dtype=np.float64),
    "-X": np.array([[0, 1, 0], [-1, 0, 0], [0, 0, 1]], dtype=np.float64),
}
#: Dihedral angle above which computed metal normals are split (a crease), degrees.
CREASE_ANGLE_DEG = 40.0

# Every record keyword of the OBJ spec (Wavefront "Object Files (.obj)", Appendix B1,
# Advanced Visualizer 3.0 manual); anything else is text garbage, not an OBJ.
_OBJ_KEYWORDS = frozenset([
    "v", "vt", "vn", "vp", "f", "fo", "l", "p", "o", "g", "s", "mg", "usemtl", "mtllib", "cstype", "deg",
    "bmat", "step", "curv", "curv2", "surf", "parm", "trim", "hole", "scrv", "sp", "end", "con", "maplib",
    "usemap", "lod", "shadow_obj", "trace_obj", "ctech", "stech", "bevel", "c_interp", "d_interp", "call",
    "csh",
])


# --------------------------------------------------------------------------- #
# Reports
# --------------------------------------------------------------------------- #


@dataclass
class RepairReport:
    """What :func:`repair` changed, step by step.

    Counts refer to the arrays given to :func:`repair` (file units); a clean
    closed mesh gives all-zero counts except ``output_*`` and ``volume``.
    """

    input_vertices: int = 0
    input_faces: int = 0
    nonfinite_vertices: int = 0  #: vertices with a NaN/inf coordinate
    nonfinite_faces: int = 0  #: faces dropped because they used such a vertex
    weld_tolerance: float = 0.0  #: absolute welding distance, file units
    welded_vertices: int = 0  #: vertices merged into another
    degenerate_faces: int = 0  #: faces with two corners on one (welded) vertex, dropped
    duplicate_faces: int = 0  #: faces repeating another's three vertices, dropped
    components: int = 0  #: connected pieces after welding
    reoriented_faces: int = 0  #: faces whose winding was reversed (net)
    inverted_components: int = 0  #: pieces that were mostly inside-out (most of their faces reversed)
    holes_filled: int = 0
    hole_faces_added: int = 0
    hole_area_filled: float = 0.0  #: file units squared
    output_vertices: int = 0
    output_faces: int = 0
    volume: float = 0.0  #: enclosed volume after repair, file units cubed

    @property
    def fixes(self) -> list[str]:
        """One line per repair that changed something (empty for a clean mesh)."""
        out = []
        if self.nonfinite_faces or self.nonfinite_vertices:
            out.append(f"dropped {self.nonfinite_faces} faces using {self.nonfinite_vertices} non-finite vertices")
        if self.welded_vertices:
            out.append(f"welded {self.welded_vertices} coincident vertices (tolerance {self.weld_tolerance:.3g})")
        if self.degenerate_faces:
            out.append(f"dropped {self.degenerate_faces} degenerate faces")
        if self.duplicate_faces:
            out.append(f"dropped {self.duplicate_faces} duplicate faces")
        if self.reoriented_faces:
            out.append(f"reversed the winding of {self.reoriented_faces} faces")
        if self.inverted_components:
            out.append(f"{self.inverted_components} pieces were inside-out (turned outwards)")
        if self.holes_filled:
            out.append(f"filled {self.holes_filled} holes with {self.hole_faces_added} triangles "
                       f"(area {self.hole_area_filled:.3g})")
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["fixes"] = self.fixes
        return d


@dataclass
class LoadReport:
    """What :func:`load_mesh_with_report` read, repaired and transformed."""

    path: str
    format: str
    objects: int = 1  #: objects/primitives in the file, merged into one mesh
    stripped_references: int = 0  #: OBJ vt/vn references to records that do not exist
    normals: str = "none"  #: "none" (flat, stones), "file" or "computed"
    units: str | float = "auto"
    scale_mm_per_unit: float = 1.0
    matrix: list[list[float]] = field(default_factory=lambda: np.eye(4).tolist())
    """4x4 affine, file coordinates -> output millimetres (acts on column vectors)."""
    size_mm: float = 0.0  #: girdle's largest width (stone frame) or bounding box's largest side, mm
    repair: RepairReport = field(default_factory=RepairReport)
    notes: list[str] = field(default_factory=list)

    @property
    def fixes(self) -> list[str]:
        """Every repair applied, in order (reading, then :attr:`RepairReport.fixes`)."""
        out = list(self.notes)
        if self.stripped_references:
            out.append(f"stripped {self.stripped_references} references to texture coordinates/normals "
                       "that the file does not define")
        if self.objects > 1:
            out.append(f"merged {self.objects} objects into one mesh")
        return out + self.repair.fixes

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "repair"}
        d["repair"] = self.repair.to_dict()
        d["fixes"] = self.fixes
        return d


# --------------------------------------------------------------------------- #
# Repair
# --------------------------------------------------------------------------- #


@dataclass
class _Repaired:
    vertices: np.ndarray  # (N, 3) float64
    faces: np.ndarray  # (M, 3) int64
    corner_src: np.ndarray  # (M, 3) int64: input corner (3 x face + k) of each corner, -1 for hole fills
    report: RepairReport


def _weld_labels(points: np.ndarray, tol_abs: float) -> tuple[np.ndarray, int]:
    """Cluster ids (N,) of points within ``tol_abs`` of each other (transitively)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    uniq, inv = np.unique(points, axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    if tol_abs <= 0 or len(uniq) < 2:
        return inv, len(uniq)
    pairs = cKDTree(uniq).query_pairs(tol_abs, output_type="ndarray")
    if len(pairs) == 0:
        return inv, len(uniq)
    n = len(uniq)
    g = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    k, lab = connected_components(g, directed=False)
    return lab[inv], int(k)


def _half_edges(faces: np.ndarray) -> np.ndarray:
    """Directed edges (3M, 2): face i owns rows 3i..3i+2 as (a, b), (b, c), (c, a)."""
    return faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2)


def _edge_table(faces: np.ndarray, n_vertices: int):
    """Undirected edge groups of the half-edges.

    Returns
    -------
    key : (3M,) int64 undirected edge id of each half-edge
    counts : (3M,) number of half-edges sharing each half-edge's undirected edge
    """
    he = _half_edges(faces)
    lo, hi = np.minimum(he[:, 0], he[:, 1]), np.maximum(he[:, 0], he[:, 1])
    key = lo.astype(np.int64) * int(n_vertices) + hi
    _, inv, cnt = np.unique(key, return_inverse=True, return_counts=True)
    return key, cnt[inv.reshape(-1)]


def _edge_stats(faces: np.ndarray, n_vertices: int) -> dict[str, int]:
    """Counts of open, non-manifold and misoriented (same-direction pair) edges."""
    he = _half_edges(faces)
    key, cnt = _edge_table(faces, n_vertices)
    # one count per undirected edge: take the first half-edge of each group
    _, first = np.unique(key, return_index=True)
    c = cnt[first]
    two = np.flatnonzero(cnt == 2)
    mis = 0
    if len(two):
        order = two[np.argsort(key[two], kind="stable")]
        a, b = order[0::2], order[1::2]
        mis = int(np.count_nonzero(he[a, 0] == he[b, 0]))
    return {"open_edges": int(np.count_nonzero(c == 1)), "nonmanifold_edges": int(np.count_nonzero(c > 2)),
            "misoriented_edges": mis}


def _face_components(faces: np.ndarray, n_vertices: int) -> tuple[int, np.ndarray]:
    """Connected pieces (faces sharing a vertex), as (count, label per face)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    m = len(faces)
    rows = np.repeat(np.arange(m), 3)
    g = coo_matrix((np.ones(3 * m), (rows, faces.reshape(-1) + m)), shape=(m + n_vertices, m + n_vertices))
    _, lab = connected_components(g, directed=False)
    _, lab_f = np.unique(lab[:m], return_inverse=True)
    lab_f = lab_f.reshape(-1)
    return int(lab_f.max()) + 1 if m else 0, lab_f


def _orient_consistently(faces: np.ndarray, n_vertices: int) -> np.ndarray:
    """Boolean (M,) faces to flip so that every manifold edge is traversed both ways.

    A breadth-first walk over faces sharing a manifold edge (exactly two
    faces) propagates the orientation of each piece's first face; a
    non-orientable piece keeps its conflicts (counted later as misoriented).
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import breadth_first_order, connected_components

    m = len(faces)
    he = _half_edges(faces)
    key, cnt = _edge_table(faces, n_vertices)
    two = np.flatnonzero(cnt == 2)
    flip = np.zeros(m, dtype=bool)
    if len(two) == 0:
        return flip
    order = two[np.argsort(key[two], kind="stable")]
    h1, h2 = order[0::2], order[1::2]
    f1, f2 = h1 // 3, h2 // 3
    same = he[h1, 0] == he[h2, 0]  # same direction: the two faces disagree
    ok = f1 != f2
    f1, f2, same = f1[ok], f2[ok], same[ok]
    # weight 1 = agree, 2 = disagree (0 would be dropped by the sparse matrix)
    w = np.where(same, 2, 1)
    g = csr_matrix((np.concatenate([w, w]), (np.concatenate([f1, f2]), np.concatenate([f2, f1]))), shape=(m, m))
    g.sum_duplicates()
    _, lab = connected_components(g, directed=False)
    roots = np.unique(lab, return_index=True)[1]
    for root in roots:
        bfo, pred = breadth_first_order(g, int(root), directed=False, return_predecessors=True)
        if len(bfo) < 2:
            continue
        nodes = bfo[1:]
        rel = np.asarray(g[pred[nodes], nodes]).reshape(-1) == 2
        for node, r in zip(nodes.tolist(), rel.tolist(), strict=True):
            flip[node] = flip[pred[node]] ^ r
    return flip


def _triangulate_polygon(pts: np.ndarray) -> list[tuple[int, int, int]]:
    """Ear-clip a simple polygon (k, 3) in its best-fit plane, keeping its orientation.

    Falls back to a fan from vertex 0 when the projected polygon is degenerate
    (a zero-area slit) or no ear can be found (self-intersecting outline).
    """
    k = len(pts)
    if k == 3:
        return [(0, 1, 2)]
    n = newell(pts - pts.mean(axis=0))
    nn = np.linalg.norm(n)
    fan = [(0, i, i + 1) for i in range(1, k - 1)]
    if not np.isfinite(nn) or nn <= 1e-300:
        return fan
    n = n / nn
    a = np.cross(n, [1.0, 0.0, 0.0] if abs(n[0]) < 0.9 else [0.0, 1.0, 0.0])
    a /= np.linalg.norm(a)
    b = np.cross(n, a)  # (a, b, n) right-handed: the polygon is counter-clockwise in (a, b)
    xy = np.stack([(pts - pts[0]) @ a, (pts - pts[0]) @ b], axis=1)
    scale = float(np.abs(xy).max()) or 1.0
    tris = ear_clip(xy, eps=1e-12 * scale * scale)
    return tris if tris is not None and len(tris) == k - 2 else fan


def _boundary_loops(faces: np.ndarray, n_vertices: int) -> list[list[int]]:
    """Closed loops of boundary half-edges, each in the boundary's direction.

    Loops through a vertex with several outgoing boundary edges (a pinched
    boundary) are ambiguous and left out; they stay open and are reported.
    """
    he = _half_edges(faces)
    _, cnt = _edge_table(faces, n_vertices)
    bnd = he[cnt == 1]
    if len(bnd) == 0:
        return []
    starts, nout = np.unique(bnd[:, 0], return_counts=True)
    ambiguous = set(starts[nout > 1].tolist())
    nxt = {int(a): int(b) for a, b in bnd.tolist() if a not in ambiguous}
    loops, seen = [], set()
    for s in list(nxt):
        if s in seen:
            continue
        loop, v = [], s
        while v in nxt and v not in seen:
            seen.add(v)
            loop.append(v)
            v = nxt[v]
        if v == s and len(loop) >= 3:
            loops.append(loop)
    return loops


def _signed_volume(v: np.ndarray, f: np.ndarray) -> float:
    """Signed enclosed volume about the vertices' centroid (less cancellation)."""
    if len(f) == 0:
        return 0.0
    c = v[np.unique(f)].mean(axis=0)
    a, b, d = v[f[:, 0]] - c, v[f[:, 1]] - c, v[f[:, 2]] - c
    return float(np.einsum("ij,ij->i", a, np.cross(b, d)).sum() / 6.0)


def _surface_area(v: np.ndarray, f: np.ndarray) -> float:
    return float(0.5 * np.linalg.norm(np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]]), axis=1).sum())


def _repair(vertices, faces, *, tol: float, role: str | None, max_hole_area: float, source: str) -> _Repaired:
    where = f"{source}: " if source else ""
    try:
        v = np.array(vertices, dtype=np.float64)
        f_in = np.asarray(faces)
    except (TypeError, ValueError) as e:
        raise MeshError(f"{where}vertices/faces are not numeric arrays ({e})", details={"path": source}) from None
    if v.ndim != 2 or v.shape[1] != 3:
        raise MeshError(f"{where}vertices must have shape (N, 3), got {v.shape}", details={"path": source})
    if f_in.ndim != 2 or f_in.shape[1] != 3:
        raise MeshError(f"{where}faces must be triangles, shape (M, 3), got {f_in.shape}", details={"path": source})
    if f_in.dtype.kind not in "iu" and (
            f_in.dtype.kind != "f" or not np.all(np.isfinite(f_in)) or np.any(f_in != np.round(f_in))):
        raise MeshError(f"{where}face indices must be integers", details={"path": source})
    f = f_in.astype(np.int64)
    rep = RepairReport(input_vertices=len(v), input_faces=len(f))
    if len(f) and (f.min() < 0 or f.max() >= len(v)):
        raise MeshError(f"{where}face indices out of range: they must lie in [0, {len(v) - 1}], "
                        f"found {int(f.min())}..{int(f.max())}",
                        details={"path": source, "n_vertices": len(v), "min_index": int(f.min()),
                                 "max_index": int(f.max())})
    corner = np.arange(3 * len(f), dtype=np.int64).reshape(-1, 3)  # follows every filter and flip

    # 1. non-finite vertices
    finite = np.all(np.isfinite(v), axis=1)
    keep = finite[f].all(axis=1) if len(f) else np.zeros(0, bool)
    rep.nonfinite_vertices = int(np.count_nonzero(~finite))
    rep.nonfinite_faces = int(np.count_nonzero(~keep))
    f, corner = f[keep], corner[keep]
    if len(f) == 0:
        raise MeshError(f"{where}no triangles with finite vertices", details={"path": source})

    # 2. weld, relative to the bounding diagonal of the vertices in use
    used = np.unique(f)
    pts = v[used]
    diag = float(np.linalg.norm(pts.max(axis=0) - pts.min(axis=0)))
    if not math.isfinite(diag) or diag <= 0:
        raise MeshError(f"{where}all vertices coincide: the mesh has no extent", details={"path": source})
    rep.weld_tolerance = float(tol) * diag
    lab, k = _weld_labels(pts, rep.weld_tolerance)
    rep.welded_vertices = len(used) - k
    nv = np.stack([np.bincount(lab, weights=pts[:, j], minlength=k) for j in range(3)], axis=1)
    nv /= np.bincount(lab, minlength=k)[:, None]
    remap = np.empty(len(v), dtype=np.int64)
    remap[used] = lab
    f = remap[f]
    v = nv

    # 3. degenerate and duplicate faces
    deg = (f[:, 0] == f[:, 1]) | (f[:, 1] == f[:, 2]) | (f[:, 2] == f[:, 0])
    rep.degenerate_faces = int(np.count_nonzero(deg))
    f, corner = f[~deg], corner[~deg]
    if len(f) == 0:
        raise MeshError(f"{where}every triangle is degenerate (zero area after welding)", details={"path": source})
    _, first = np.unique(np.sort(f, axis=1), axis=0, return_index=True)
    first = np.sort(first)
    rep.duplicate_faces = len(f) - len(first)
    f, corner = f[first], corner[first]

    # 4. pieces
    rep.components, comp = _face_components(f, len(v))
    if role == "stone" and rep.components > 1:
        sizes = np.bincount(comp).tolist()
        raise MeshError(f"{where}a stone must be one solid, but the mesh holds {rep.components} separate pieces "
                        f"(triangles per piece: {sizes[:8]}{'...' if len(sizes) > 8 else ''}); "
                        "load each stone from its own file",
                        details={"path": source, "components": rep.components, "faces_per_component": sizes})

    # 5a. consistent orientation
    flip = _orient_consistently(f, len(v))
    f[flip] = f[flip][:, ::-1]
    corner[flip] = corner[flip][:, ::-1]

    # 6. small holes
    area = _surface_area(v, f)
    new_faces = []
    too_large = 0
    for loop in _boundary_loops(f, len(v)):
        poly = np.array(loop[::-1], dtype=np.int64)  # reversed: the fill traverses each boundary edge backwards
        tris = np.array(_triangulate_polygon(v[poly]), dtype=np.int64)
        tri = poly[tris]
        a = _surface_area(v, tri)
        if a <= max_hole_area * area:
            new_faces.append(tri)
            rep.holes_filled += 1
            rep.hole_faces_added += len(tri)
            rep.hole_area_filled += a
        else:
            too_large += 1
    if new_faces:
        nf = np.concatenate(new_faces)
        f = np.concatenate([f, nf])
        corner = np.concatenate([corner, np.full_like(nf, -1)])
        flip = np.concatenate([flip, np.zeros(len(nf), bool)])

    # 5b. outward: every piece encloses positive volume
    ncomp, comp = _face_components(f, len(v))
    for c in range(ncomp):
        sel = comp == c
        if _signed_volume(v, f[sel]) < 0:
            f[sel] = f[sel][:, ::-1]
            corner[sel] = corner[sel][:, ::-1]
            flip[sel] = ~flip[sel]
    # net changes against the input (the walk's start face may itself have been the odd one)
    is_input = corner[:, 0] >= 0
    rep.reoriented_faces = int(np.count_nonzero(flip & is_input))
    for c in range(ncomp):
        sel = (comp == c) & is_input
        if 2 * np.count_nonzero(flip[sel]) > np.count_nonzero(sel):
            rep.inverted_components += 1

    # 7. closed 2-manifold?
    stats = _edge_stats(f, len(v))
    if any(stats.values()):
        parts = [f"{n} {k.replace('_', ' ')}" for k, n in stats.items() if n]
        msg = (f"{where}the mesh is not closed after repair ({', '.join(parts)}"
               + (f"; {too_large} holes too large to fill" if too_large else "") + "); "
               "a stone or metal part must be a closed surface: close it in your modelling tool")
        raise MeshNotClosedError(msg, details={**stats, "holes_too_large": too_large, "path": source,
                                               "repair": rep.to_dict()})

    # compact the vertex list
    used = np.unique(f)
    remap = np.full(len(v), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    v, f = v[used], remap[f]
    rep.output_vertices, rep.output_faces = len(v), len(f)
    rep.volume = _signed_volume(v, f)
    if not rep.volume > 0:
        raise MeshError(f"{where}the closed mesh encloses no volume", details={"path": source})
    return _Repaired(v, f, corner, rep)


def repair(vertices, faces, *, tol: float = 1e-4, role: str | None = None, max_hole_area: float = 0.05,
           source: str = "") -> tuple[np.ndarray, np.ndarray, RepairReport]:
    """Make a triangle soup a closed, outward-wound 2-manifold, or raise.

    The steps (module doc) only remove defects; they never move a vertex by
    more than ``tol`` x the bounding diagonal, so the enclosed volume is that
    of the welded input.

    Parameters
    ----------
    vertices : array_like, shape (N, 3)
        Positions, any unit (the result is in the same unit and frame).
    faces : array_like, shape (M, 3), int
        Vertex indices of triangles.
    tol : float
        Welding distance as a fraction of the bounding-box diagonal; 0 welds
        only exactly coincident vertices.
    role : {"stone", "metal", None}
        ``"stone"`` also refuses several disjoint pieces (a stone is one solid).
    max_hole_area : float
        Largest hole filled, as a fraction of the mesh's surface area.
    source : str
        File name used in error messages and details.

    Returns
    -------
    vertices : ndarray, shape (N', 3), float64
    faces : ndarray, shape (M', 3), int64
        Counter-clockwise seen from outside.
    report : RepairReport

    Raises
    ------
    MeshError
        Malformed arrays, out-of-range indices, nothing left, several pieces
        for a stone, zero volume.
    MeshNotClosedError
        Open or non-manifold edges remain.
    """
    tol = _num("tol", tol, low=0.0, low_open=False, high=0.1)
    max_hole_area = _num("max_hole_area", max_hole_area, low=0.0, low_open=False, high=1.0)
    if role not in (None, *_ROLES):
        raise InvalidOptionError(f"role must be one of {_ROLES}, got {role!r}",
                                 details={"option": "role", "value": repr(role), "valid": list(_ROLES)})
    r = _repair(vertices, faces, tol=tol, role=role, max_hole_area=max_hole_area, source=str(source))
    return r.vertices, r.faces, r.report


# --------------------------------------------------------------------------- #
# Normals for metal
# --------------------------------------------------------------------------- #


def _face_normals(v: np.ndarray, f: np.ndarray) -> np.ndarray:
    n = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-300)


def _crease_corner_normals(v: np.ndarray, f: np.ndarray, crease_deg: float) -> np.ndarray:
    """Per-corner normals (M, 3): angle-weighted over the faces at the corner's
    vertex whose normal is within ``crease_deg`` of the corner's own face."""
    m = len(f)
    fn = _face_normals(v, f)
    tri = v[f]
    ang = np.empty((m, 3))
    for i in range(3):
        e1 = tri[:, (i + 1) % 3] - tri[:, i]
        e2 = tri[:, (i + 2) % 3] - tri[:, i]
        c = np.einsum("ij,ij->i", e1, e2) / np.maximum(np.linalg.norm(e1, axis=1) * np.linalg.norm(e2, axis=1),
                                                       1e-300)
        ang[:, i] = np.arccos(np.clip(c, -1.0, 1.0))
    cv = f.reshape(-1)  # corner -> vertex
    cf = np.repeat(np.arange(m), 3)  # corner -> face
    cw = ang.reshape(-1)
    order = np.argsort(cv, kind="stable")
    counts = np.bincount(cv, minlength=len(v))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    # all ordered pairs (corner i, corner j) at the same vertex: sum of deg^2 pairs
    deg_i = counts[cv[order]]
    ii = np.repeat(order, deg_i)
    base = np.repeat(starts[cv[order]], deg_i)
    off = np.arange(len(ii)) - np.repeat(np.cumsum(deg_i) - deg_i, deg_i)
    jj = order[base + off]
    cos_lim = math.cos(math.radians(crease_deg))
    smooth = np.einsum("ij,ij->i", fn[cf[ii]], fn[cf[jj]]) >= cos_lim
    wn = fn[cf[jj[smooth]]] * cw[jj[smooth], None]
    acc = np.stack([np.bincount(ii[smooth], weights=wn[:, k], minlength=3 * m) for k in range(3)], axis=1)
    nrm = np.linalg.norm(acc, axis=1, keepdims=True)
    out = np.where(nrm > 1e-300, acc / np.maximum(nrm, 1e-300), fn[cf])
    return out.reshape(m, 3, 3)


def _split_by_normals(v: np.ndarray, f: np.ndarray, cn: np.ndarray):
    """Duplicate vertices so that each (vertex, normal) pair is one output vertex."""
    q = np.round(cn.reshape(-1, 3) * 1e5).astype(np.int64)
    keys = np.concatenate([f.reshape(-1, 1), q], axis=1)
    uniq, first, inv = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    inv = inv.reshape(-1)
    nv = v[uniq[:, 0]]
    nn = cn.reshape(-1, 3)[first]
    return nv, inv.reshape(-1, 3), nn


# --------------------------------------------------------------------------- #
# Readers
# --------------------------------------------------------------------------- #


@dataclass
class _Raw:
    vertices: np.ndarray  # (N, 3)
    faces: np.ndarray  # (M, 3)
    corner_normals: np.ndarray | None  # (M, 3, 3) with NaN where the file gives none
    objects: int = 1
    stripped: int = 0
    notes: list[str] = field(default_factory=list)


def _parse_obj(data: bytes, name: str, max_triangles: int) -> _Raw:
    """A strict Wavefront OBJ reader: positions, faces (any polygon), normals."""
    if b"\x00" in data[:65536]:
        raise MeshError(f"{name}: binary data, not a text OBJ file", details={"path": name})
    text = data.decode("utf-8", errors="replace").replace("\\\r\n", " ").replace("\\\n", " ")
    pos: list[list[float]] = []
    nrm: list[list[float]] = []
    n_vt = 0
    tris: list[tuple[int, int, int]] = []
    tri_n: list[tuple[int, int, int]] = []
    groups: set[str] = set()
    group = ""
    stripped = 0
    has_normals = False

    def bad(lineno: int, what: str):
        return MeshError(f"{name}: line {lineno}: {what}", details={"path": name, "line": lineno})

    def index(tok: str, count: int, lineno: int, kind: str) -> int | None:
        try:
            i = int(tok)
        except ValueError:
            raise bad(lineno, f"{kind} index {tok[:20]!r} is not an integer") from None
        j = i - 1 if i > 0 else count + i  # negative: relative to the end so far
        if i == 0 or not 0 <= j < count:
            return None
        return j

    for lineno, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s or s[0] == "#":
            continue
        parts = s.split()
        key = parts[0]
        if key not in _OBJ_KEYWORDS:
            raise bad(lineno, f"unknown record {key[:20]!r}: not an OBJ file")
        if key == "v" or key == "vn":
            if len(parts) < 4:
                raise bad(lineno, f"'{key}' needs three coordinates")
            try:
                xyz = [float(parts[1]), float(parts[2]), float(parts[3])]
            except ValueError:
                raise bad(lineno, f"'{key}' coordinates are not numbers: {s[:60]!r}") from None
            (pos if key == "v" else nrm).append(xyz)
        elif key == "vt":
            n_vt += 1
        elif key in ("o", "g"):
            group = s
        elif key in ("f", "fo"):
            corners = parts[1:]
            if len(corners) < 3:
                raise bad(lineno, "a face needs at least three vertices")
            vi, ni = [], []
            for c in corners:
                sub = c.split("/")
                if len(sub) > 3 or sub[0] == "":
                    raise bad(lineno, f"malformed face corner {c[:30]!r}")
                j = index(sub[0], len(pos), lineno, "vertex")
                if j is None:
                    raise MeshError(
                        f"{name}: line {lineno}: face references vertex {sub[0]} but only {len(pos)} vertices are "
                        "defined before it; the positions are missing and cannot be repaired",
                        details={"path": name, "line": lineno, "index": sub[0], "n_vertices": len(pos)})
                vi.append(j)
                if len(sub) > 1 and sub[1] != "" and index(sub[1], n_vt, lineno, "texture") is None:
                    stripped += 1
                nj = -1
                if len(sub) > 2 and sub[2] != "":
                    jn = index(sub[2], len(nrm), lineno, "normal")
                    if jn is None:
                        stripped += 1
                    else:
                        nj = jn
                        has_normals = True
                ni.append(nj)
            if len(vi) == 3:
                tt = [(0, 1, 2)]
            else:
                p = np.asarray([pos[j] for j in vi])
                tt = _triangulate_polygon(p) if len(vi) > 4 else [(0, 1, 2), (0, 2, 3)]
            for a, b, c in tt:
                tris.append((vi[a], vi[b], vi[c]))
                tri_n.append((ni[a], ni[b], ni[c]))
            groups.add(group)
            if len(tris) > max_triangles:
                raise MeshError(f"{name}: more than {max_triangles} triangles (max_triangles)",
                                details={"path": name, "max_triangles": max_triangles})
    if not tris:
        raise MeshError(f"{name}: the OBJ file holds no faces", details={"path": name})
    v = np.asarray(pos, dtype=np.float64)
    f = np.asarray(tris, dtype=np.int64)
    cn = None
    if has_normals:
        nr = np.asarray(nrm, dtype=np.float64)
        tn = np.asarray(tri_n, dtype=np.int64)
        cn = np.where((tn >= 0)[..., None], nr[np.maximum(tn, 0)], np.nan)
    return _Raw(v, f, cn, objects=max(1, len(groups)), stripped=stripped)


def _check_stl(data: bytes, name: str) -> bytes:
    """Tell binary from ASCII STL; refuse truncated binary files before parsing."""
    n = int.from_bytes(data[80:84], "little") if len(data) >= 84 else -1
    if n >= 0 and len(data) == 84 + 50 * n:
        return data
    if data.lstrip()[:5].lower() == b"solid":
        try:
            data.decode("ascii")
            return data
        except UnicodeDecodeError:
            pass
    if n < 0:
        raise MeshError(f"{name}: too short for an STL file ({len(data)} bytes)", details={"path": name})
    if len(data) < 84 + 50 * n:
        raise MeshError(f"{name}: truncated binary STL: the header announces {n} triangles "
                        f"({84 + 50 * n} bytes) but the file has {len(data)} bytes",
                        details={"path": name, "triangles": n, "bytes": len(data)})
    return data[: 84 + 50 * n]  # trailing bytes after the declared triangles: ignored


def _read_with_trimesh(path: Path, fmt: str, data: bytes, name: str) -> _Raw:
    try:
        import trimesh
    except ImportError:
        raise MeshError(f"{name}: reading {fmt.upper()} files needs the 'trimesh' package "
                        "(pip install trimesh)", details={"path": name, "missing": "trimesh"}) from None
    try:
        if fmt == "gltf":  # external buffers are resolved next to the file
            loaded = trimesh.load(str(path), file_type="gltf", process=False)
        else:
            loaded = trimesh.load(io.BytesIO(data), file_type=fmt, process=False)
        geoms = loaded.dump(concatenate=False) if isinstance(loaded, trimesh.Scene) else [loaded]
    except ImportError as e:  # an optional dependency of one trimesh reader
        raise MeshError(f"{name}: reading this {fmt.upper()} file needs the optional package "
                        f"{getattr(e, 'name', None) or e!s}", details={"path": name, "missing": str(e)}) from None
    except MeshError:
        raise
    except Exception as e:  # noqa: BLE001 - any reader failure is a malformed file
        raise MeshError(f"{name}: not a readable {fmt.upper()} file ({type(e).__name__}: {str(e)[:200]})",
                        details={"path": name, "format": fmt}) from None
    meshes = [g for g in geoms if isinstance(g, trimesh.Trimesh) and len(g.faces)]
    notes = []
    if len(meshes) < len(geoms):
        notes.append(f"ignored {len(geoms) - len(meshes)} objects without triangles (points, lines)")
    if not meshes:
        raise MeshError(f"{name}: the file holds no triangles", details={"path": name, "format": fmt})
    vs, fs, cns = [], [], []
    off = 0
    any_n = False
    for g in meshes:
        gv = np.asarray(g.vertices, dtype=np.float64)
        gf = np.asarray(g.faces, dtype=np.int64)
        if gf.size and (gf.min() < 0 or gf.max() >= len(gv)):
            raise MeshError(f"{name}: face indices out of range: they must lie in [0, {len(gv) - 1}], "
                            f"found {int(gf.min())}..{int(gf.max())}",
                            details={"path": name, "n_vertices": len(gv), "max_index": int(gf.max())})
        if "vertex_normals" in g._cache:  # normals stored in the file (not computed by trimesh)
            any_n = True
            cns.append(np.asarray(g.vertex_normals, dtype=np.float64)[gf])
        else:
            cns.append(np.full((len(gf), 3, 3), np.nan))
        vs.append(gv)
        fs.append(gf + off)
        off += len(gv)
    return _Raw(np.concatenate(vs), np.concatenate(fs), np.concatenate(cns) if any_n else None,
                objects=len(meshes), notes=notes)


# --------------------------------------------------------------------------- #
# Frames
# --------------------------------------------------------------------------- #


def _section_areas(v: np.ndarray, f: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Area of the horizontal cross-section y = c for each level (closed, outward mesh).

    A vertex exactly on a level counts as above it (the plane at ``c - 0``),
    which keeps every crossing triangle at exactly two crossing edges.
    """
    tri = v[f]
    fn = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    d_ref = np.stack([-fn[:, 2], fn[:, 0]], axis=1)  # (n x e_y) in (x, z): direction of the section curve
    out = np.zeros(len(levels))
    ymin, ymax = tri[:, :, 1].min(axis=1), tri[:, :, 1].max(axis=1)
    for li, c in enumerate(levels):
        sel = np.flatnonzero((ymin < c) & (ymax >= c))
        if len(sel) == 0:
            continue
        t = tri[sel]
        s = t[:, :, 1] - c
        above = s >= 0
        pts = []
        for i in range(3):
            j = (i + 1) % 3
            cross_ij = above[:, i] != above[:, j]
            denom = np.where(cross_ij, s[:, i] - s[:, j], 1.0)
            w = np.where(cross_ij, s[:, i] / denom, 0.0)
            p = t[:, i] + w[:, None] * (t[:, j] - t[:, i])
            pts.append((cross_ij, p[:, [0, 2]]))
        # exactly two of the three edges cross: pick them in edge order
        m = np.stack([p[0] for p in pts], axis=1)
        P = np.stack([p[1] for p in pts], axis=1)
        k1 = np.argmax(m, axis=1)
        k2 = 2 - np.argmax(m[:, ::-1], axis=1)
        r = np.arange(len(sel))
        a, b = P[r, k1], P[r, k2]
        dref = d_ref[sel]
        swap = np.einsum("ij,ij->i", b - a, dref) < 0
        a2 = np.where(swap[:, None], b, a)
        b2 = np.where(swap[:, None], a, b)
        out[li] = 0.5 * (a2[:, 0] * b2[:, 1] - a2[:, 1] * b2[:, 0]).sum()
    return np.abs(out)


def _girdle_level(v: np.ndarray, f: np.ndarray) -> float:
    """Height of the girdle's mid-plane: the middle of the widest horizontal cross-sections."""
    ys = np.unique(v[:, 1])
    lo, hi = float(ys[0]), float(ys[-1])
    if len(ys) > 400 or len(f) > 50_000:
        ys = np.linspace(lo, hi, 201 if len(f) > 50_000 else 401)
    levels = np.unique(np.concatenate([ys, 0.5 * (ys[1:] + ys[:-1])]))
    levels = levels[(levels > lo) & (levels <= hi)]
    if len(levels) == 0:
        return 0.5 * (lo + hi)
    areas = _section_areas(v, f, levels)
    k = int(np.argmax(areas))
    # widest plateau around the maximum (a vertical girdle band has constant area)
    flat = areas >= areas[k] * (1.0 - 1e-3)
    i0 = k
    while i0 > 0 and flat[i0 - 1]:
        i0 -= 1
    i1 = k
    while i1 < len(levels) - 1 and flat[i1 + 1]:
        i1 += 1
    return 0.5 * (float(levels[i0]) + float(levels[i1]))


# --------------------------------------------------------------------------- #
# Option checks
# --------------------------------------------------------------------------- #


# --------------------------------------------------------------------------- #
# Public loader
# --------------------------------------------------------------------------- #


def load_mesh(path, *, role: str = "stone", name: str | None = None, units: str | float = "auto",
              frame: str = "stone", size_mm: float | None = None, up_axis: str = "+Y",
              max_triangles: int = 500_000, max_file_bytes: int = 200 * 2**20) -> MeshPart:
    """Read a user's stone or metal part from a mesh file; see :func:`load_mesh_with_report`."""
    return load_mesh_with_report(path, role=role, name=name, units=units, frame=frame, size_mm=size_mm,
                                 up_axis=up_axis, max_triangles=max_triangles, max_file_bytes=max_file_bytes)[0]


def load_mesh_with_report(path, *, role: str = "stone", name: str | None = None, units: str | float = "auto",
                          frame: str = "stone", size_mm: float | None = None, up_axis: str = "+Y",
                          max_triangles: int = 500_000, max_file_bytes: int = 200 * 2**20,
                          tol: float = 1e-4, max_hole_area: float = 0.05) -> tuple[MeshPart, LoadReport]:
    """Read, repair, scale and place a mesh file as a :class:`~jewelrender.geometry.assets.MeshPart`.

    Parameters
    ----------
    path : str or Path
        An ``.obj``, ``.ply``, ``.stl`` (binary or ASCII), ``.glb`` or ``.gltf`` file.
    role : {"stone", "metal"}
        ``"stone"``: one closed solid, shaded flat (``normals=None``).
        ``"metal"``: one or more closed solids with smooth vertex normals: the
        file's own (``vn``, PLY ``nx ny nz``, glTF ``NORMAL``) when it has them,
        else angle-weighted normals split at creases sharper than
        :data:`CREASE_ANGLE_DEG` (40 degrees).
    name : str, optional
        Part name; default the role (``"stone"``/``"metal"``).
    units : {"auto", "mm", "cm", "m", "in"} or float
        The file's length unit, or millimetres per file unit.  ``"auto"``:
        the unit is unknown and ``size_mm`` is required, except for glTF/GLB,
        whose specification fixes metres (glTF 2.0, section 3.5.1 "Coordinate
        System and Units").
    frame : {"stone", "piece"}
        ``"stone"``: recentre so that the stone's axis (+Y after ``up_axis``)
        runs through the origin (centre of the bounding box in x and z) and the
        girdle's mid-plane, the middle of the widest horizontal cross-sections
        (found by slicing), lies at y = 0.  ``"piece"``: the file is authored
        in the piece frame (ring axis +Z, head +Y, origin at the band's
        centre); only the axis rotation and the scale are applied.
    size_mm : float, optional
        Scale the result so that the stone's largest girdle width (the larger
        of its x and z extents: a round's corner-to-corner diameter, a fancy
        shape's length) or, for frame ``"piece"``, the bounding box's largest
        side measures this many millimetres.  Give either ``size_mm`` or
        explicit ``units``, not both.
    up_axis : {"+Y", "-Y", "+Z", "-Z", "+X", "-X"}
        The file's axis that points to the table (stone) or the head (piece);
        it is rotated onto +Y.  CAD exports (STL) are usually ``"+Z"``.
    max_triangles : int
        Refuse files with more triangles (after triangulating polygons).
    max_file_bytes : int
        Refuse larger files before reading them.
    tol, max_hole_area : float
        Passed to :func:`repair`.

    Returns
    -------
    part : MeshPart
        Millimetres, in the requested frame, closed, counter-clockwise seen
        from outside.
    report : LoadReport
        What was read, fixed and transformed.

    Raises
    ------
    InvalidOptionError
        A bad option, or ``units="auto"`` without ``size_mm`` for a format
        without units.
    MeshError
        Missing, empty, too large, unsupported or malformed file; too many
        triangles; several disjoint pieces for a stone.
    MeshNotClosedError
        Holes or non-manifold edges that repair cannot close.
    """
    # ---- options
    if role not in _ROLES:
        raise InvalidOptionError(f"role must be one of {_ROLES}, got {role!r}",
                                 details={"option": "role", "value": repr(role), "valid": list(_ROLES)})
    if frame not in _FRAMES:
        raise InvalidOptionError(f"frame must be one of {_FRAMES}, got {frame!r}",
                                 details={"option": "frame", "value": repr(frame), "valid": list(_FRAMES)})
    up = str(up_axis).upper() if isinstance(up_axis, str) else up_axis
    if isinstance(up, str) and len(up) == 1:
        up = "+" + up
    if up not in _UP_ROTATIONS:
        raise InvalidOptionError(f"up_axis must be one of {list(_UP_ROTATIONS)}, got {up_axis!r}",
                                 details={"option": "up_axis", "value": repr(up_axis), "valid": list(_UP_ROTATIONS)})
    if isinstance(units, str):
        if units != "auto" and units not in UNITS_MM:
            raise InvalidOptionError(f"units must be 'auto', one of {list(UNITS_MM)} or a number, got {units!r}",
                                     details={"option": "units", "value": units,
                                              "valid": ["auto", *UNITS_MM]})
        unit_mm = None if units == "auto" else UNITS_MM[units]
    else:
        unit_mm = _num("units", units, low=0.0)
    if size_mm is not None:
        size_mm = _num("size_mm", size_mm, low=0.0, high=1000.0)
        if unit_mm is not None:
            raise InvalidOptionError("give either units or size_mm, not both (size_mm sets the scale)",
                                     details={"option": "size_mm", "units": repr(units)})
    if isinstance(max_triangles, bool) or not isinstance(max_triangles, (int, np.integer)) or max_triangles < 1:
        raise InvalidOptionError(f"max_triangles must be a positive integer, got {max_triangles!r}",
                                 details={"option": "max_triangles", "value": repr(max_triangles)})
    if isinstance(max_file_bytes, bool) or not isinstance(max_file_bytes, (int, np.integer)) or max_file_bytes < 1:
        raise InvalidOptionError(f"max_file_bytes must be a positive integer, got {max_file_bytes!r}",
                                 details={"option": "max_file_bytes", "value": repr(max_file_bytes)})
    if name is not None and (not isinstance(name, str) or not name):
        raise InvalidOptionError(f"name must be a non-empty string, got {name!r}",
                                 details={"option": "name", "value": repr(name)})

    # ---- the file
    try:
        p = Path(path)
    except TypeError:
        raise InvalidOptionError(f"path must be a file path, got {path!r}",
                                 details={"option": "path", "value": repr(path)}) from None
    label = str(p)
    if not p.is_file():
        raise MeshError(f"mesh file not found: {label}" + (" (it is a directory)" if p.is_dir() else ""),
                        details={"path": label, "reason": "not_found"})
    fmt = SUPPORTED_SUFFIXES.get(p.suffix.lower())
    if fmt is None:
        raise MeshError(f"{label}: unsupported mesh format {p.suffix or '(no suffix)'!r}; "
                        f"use one of {', '.join(SUPPORTED_SUFFIXES)}",
                        details={"path": label, "suffix": p.suffix, "valid": list(SUPPORTED_SUFFIXES)})
    try:
        nbytes = p.stat().st_size
    except OSError as e:
        raise MeshError(f"{label}: cannot read the file ({e.strerror})", details={"path": label}) from None
    if nbytes == 0:
        raise MeshError(f"{label}: the file is empty", details={"path": label, "bytes": 0})
    if nbytes > max_file_bytes:
        raise MeshError(f"{label}: the file is {nbytes} bytes, over the limit of {max_file_bytes}",
                        details={"path": label, "bytes": nbytes, "max_file_bytes": int(max_file_bytes)})
    if unit_mm is None and size_mm is None:
        if fmt in ("glb", "gltf"):
            unit_mm = UNITS_MM["m"]
        else:
            raise InvalidOptionError(
                f"{label}: {fmt.upper()} files carry no unit: give units ('mm', 'cm', 'm', 'in') or size_mm "
                "(the stone's largest girdle width / the piece's largest side, in millimetres)",
                details={"option": "size_mm", "path": label})
    try:
        data = p.read_bytes()
    except OSError as e:
        raise MeshError(f"{label}: cannot read the file ({e.strerror})", details={"path": label}) from None

    # ---- parse
    if fmt == "obj":
        raw = _parse_obj(data, label, int(max_triangles))
    else:
        if fmt == "stl":
            data = _check_stl(data, label)
        raw = _read_with_trimesh(p, fmt, data, label)
    if len(raw.faces) > max_triangles:
        raise MeshError(f"{label}: {len(raw.faces)} triangles, over the limit of {max_triangles}",
                        details={"path": label, "triangles": len(raw.faces), "max_triangles": int(max_triangles)})

    # ---- repair (file units)
    tol = _num("tol", tol, low=0.0, low_open=False, high=0.1)
    max_hole_area = _num("max_hole_area", max_hole_area, low=0.0, low_open=False, high=1.0)
    r = _repair(raw.vertices, raw.faces, tol=tol, role=role, max_hole_area=max_hole_area, source=label)

    # ---- frame: rotate, measure, scale, recentre
    rot = _UP_ROTATIONS[up]
    v = r.vertices @ rot.T
    ext = v.max(axis=0) - v.min(axis=0)
    if frame == "stone":
        width = float(max(ext[0], ext[2]))
        y0 = _girdle_level(v, r.faces)
        centre = np.array([0.5 * (v[:, 0].max() + v[:, 0].min()), y0, 0.5 * (v[:, 2].max() + v[:, 2].min())])
    else:
        width = float(ext.max())
        centre = np.zeros(3)
    if width <= 0:
        raise MeshError(f"{label}: the mesh has no horizontal extent", details={"path": label})
    scale = size_mm / width if size_mm is not None else float(unit_mm)
    m = np.eye(4)
    m[:3, :3] = scale * rot
    m[:3, 3] = -scale * centre
    out_v = (v - centre) * scale

    # ---- normals
    nm = name or role
    normals_src = "none"
    if role == "stone":
        part = MeshPart(nm, "stone", out_v, r.faces, None)
    else:
        cn = _crease_corner_normals(out_v, r.faces, CREASE_ANGLE_DEG)
        if raw.corner_normals is not None:
            src = r.corner_src
            have = src >= 0
            fnorm = np.full(src.shape + (3,), np.nan)
            fnorm[have] = raw.corner_normals.reshape(-1, 3)[src[have]]
            fnorm = fnorm @ rot.T  # a rotation and a uniform scale: normals rotate only
            ln = np.linalg.norm(fnorm, axis=2, keepdims=True)
            ok = np.isfinite(ln[..., 0]) & (ln[..., 0] > 1e-12)
            fnorm = np.where(ok[..., None], fnorm / np.where(ok[..., None], ln, 1.0), cn)
            # face the same side as the (outward) face: files disagree on winding, not on normals' meaning
            fn = _face_normals(out_v, r.faces)
            s = np.sign(np.einsum("mkj,mj->mk", fnorm, fn))
            fnorm = np.where((s < 0)[..., None], -fnorm, fnorm)
            if np.count_nonzero(ok) > 0:
                cn, normals_src = fnorm, "file"
            else:
                normals_src = "computed"
        else:
            normals_src = "computed"
        sv, sf, sn = _split_by_normals(out_v, r.faces, cn)
        part = MeshPart(nm, "metal", sv, sf, sn)

    rep = LoadReport(path=label, format=fmt, objects=raw.objects, stripped_references=raw.stripped,
                     normals=normals_src, units=units, scale_mm_per_unit=float(scale), matrix=m.tolist(),
                     size_mm=float(width * scale), repair=r.report, notes=list(raw.notes))
    return part, rep

