"""Proxy geometry of the body: capsules, ray-cast in NumPy and meshed for Mitsuba.

Frame and units: camera frame (OpenCV: +x right, +y down, +z forward), metres.
The same capsules are what hides the back of a ring, what catches its shadow and
what lighting estimation reads the skin's shading from, so they are ray-cast
here without the renderer (fast, testable) and meshed for the renderer with
identical shape.
"""

from __future__ import annotations

import functools
from typing import Sequence

import numpy as np

__all__ = ["raycast_capsules", "capsule_mesh", "capsule_meshes"]


def raycast_capsules(origins: np.ndarray, dirs: np.ndarray, capsules: Sequence) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest hit of rays with a set of capsules.

    Parameters
    ----------
    origins, dirs : ndarray, (N, 3)
        Ray origins and unit directions, camera frame, metres.
    capsules : sequence of objects with ``p0``, ``p1`` ((3,) metres) and ``radius``.

    Returns
    -------
    t : ndarray, (N,)
        Hit distance (``inf`` where nothing is hit).
    normal : ndarray, (N, 3)
        Outward unit normal at the hit (zeros where nothing is hit).
    index : ndarray, (N,) int
        Index of the capsule hit, ``-1`` for none.
    """
    ro = np.asarray(origins, dtype=np.float64)
    rd = np.asarray(dirs, dtype=np.float64)
    n = len(rd)
    best_t = np.full(n, np.inf)
    best_i = np.full(n, -1, dtype=np.int64)
    # A ray can only hit a capsule if its line passes within the capsule's bounding sphere;
    # testing that first (one dot product per ray) leaves the full intersection to the few
    # rays near each capsule. From one shared origin (the camera), it is a matrix-vector product.
    one_origin = n > 0 and not np.any(ro != ro[0])
    for ci, cap in enumerate(capsules):
        pa, pb, r = np.asarray(cap.p0, float), np.asarray(cap.p1, float), float(cap.radius)
        centre, bound = 0.5 * (pa + pb), 0.5 * float(np.linalg.norm(pb - pa)) + r
        if one_origin:
            om = centre - ro[0]
            along = rd @ om
            d2 = float(om @ om) - along * along
        else:
            om = centre - ro
            along = np.einsum("ij,ij->i", rd, om)
            d2 = np.einsum("ij,ij->i", om, om) - along * along
        near = np.flatnonzero(d2 <= (1.001 * bound) ** 2 + 1e-12)
        if len(near) == 0:
            continue
        t = _ray_capsule(ro[near], rd[near], pa, pb, r)
        closer = t < best_t[near]
        best_t[near[closer]] = t[closer]
        best_i[near[closer]] = ci
    normal = np.zeros((n, 3))
    hit = best_i >= 0
    if np.any(hit):
        p = ro[hit] + rd[hit] * best_t[hit, None]
        for ci in np.unique(best_i[hit]):
            cap = capsules[ci]
            sel = best_i[hit] == ci
            pa, pb = np.asarray(cap.p0, float), np.asarray(cap.p1, float)
            ba = pb - pa
            h = np.clip(((p[sel] - pa) @ ba) / max(ba @ ba, 1e-30), 0.0, 1.0)
            nn = p[sel] - (pa + h[:, None] * ba)
            idx = np.flatnonzero(hit)[sel]
            normal[idx] = nn / np.maximum(np.linalg.norm(nn, axis=1, keepdims=True), 1e-30)
    return best_t, normal, best_i


def _ray_capsule(ro, rd, pa, pb, r):
    # Analytic ray/capsule intersection (cylinder body, then the two sphere caps).
    ba = pb - pa
    oa = ro - pa
    baba = ba @ ba
    bard = rd @ ba
    baoa = oa @ ba
    rdoa = np.einsum("ij,ij->i", rd, oa)
    oaoa = np.einsum("ij,ij->i", oa, oa)
    a = baba - bard * bard
    b = baba * rdoa - baoa * bard
    c = baba * oaoa - baoa * baoa - r * r * baba
    h = b * b - a * c
    t = np.full(len(rd), np.inf)
    ok = (h >= 0) & (np.abs(a) > 1e-30)
    with np.errstate(invalid="ignore", divide="ignore"):
        tb = (-b - np.sqrt(np.maximum(h, 0))) / np.where(ok, a, 1.0)
        y = baoa + tb * bard
        body = ok & (y > 0) & (y < baba) & (tb > 0)
        t[body] = tb[body]
        for end in (pa, pb):
            oc = ro - end
            bb = np.einsum("ij,ij->i", rd, oc)
            cc = np.einsum("ij,ij->i", oc, oc) - r * r
            hh = bb * bb - cc
            ts = -bb - np.sqrt(np.maximum(hh, 0))
            cap = (hh >= 0) & (ts > 0) & (ts < t)
            t[cap] = ts[cap]
    return t


@functools.lru_cache(maxsize=8)
def _capsule_faces(segments: int, nr: int) -> np.ndarray:
    """The capsule mesh's triangles before orientation: they depend only on the tessellation."""
    south, north = nr * segments, nr * segments + 1
    faces = []
    for j in range(segments):
        j1 = (j + 1) % segments
        faces.append((south, j1, j))
        faces.append((north, (nr - 1) * segments + j, (nr - 1) * segments + j1))
    for i in range(nr - 1):
        a0 = i * segments
        b0 = (i + 1) * segments
        for j in range(segments):
            j1 = (j + 1) % segments
            faces.append((a0 + j, a0 + j1, b0 + j1))
            faces.append((a0 + j, b0 + j1, b0 + j))
    faces = np.asarray(faces, dtype=np.int64)
    faces.setflags(write=False)
    return faces


def capsule_mesh(p0, p1, radius: float, *, segments: int = 24, rings: int = 6) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Closed triangle mesh of a capsule with smooth normals.

    Returns ``(vertices (N, 3) float32, faces (M, 3) uint32, normals (N, 3) float32)``
    in the frame and units of ``p0``/``p1``. The vertex and face counts depend only
    on ``segments`` and ``rings``, so a renderer can update positions in place.
    """
    return capsule_meshes([p0], [p1], [radius], segments=segments, rings=rings)


def capsule_meshes(p0, p1, radius, *, segments: int = 24, rings: int = 6) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`capsule_mesh` of ``K`` capsules at once (``p0``, ``p1`` (K, 3), ``radius`` (K,)), as one mesh.

    The vertices of capsule ``k`` come ``k``-th, each capsule's exactly as :func:`capsule_mesh` makes
    it, and the faces index the merged vertex array.
    """
    p0 = np.asarray(p0, dtype=np.float64).reshape(-1, 3)
    p1 = np.asarray(p1, dtype=np.float64).reshape(-1, 3)
    radius = np.asarray(radius, dtype=np.float64).reshape(-1)[:, None, None]
    axis = p1 - p0
    length = np.sqrt(np.einsum("ij,ij->i", axis, axis))[:, None]
    w = np.where(length > 1e-12, axis / np.where(length > 1e-12, length, 1.0), np.array([0.0, 0.0, 1.0]))
    tmp = np.where((np.abs(w[:, 0]) < 0.9)[:, None], np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]))
    u = np.cross(w, tmp)
    u /= np.sqrt(np.einsum("ij,ij->i", u, u))[:, None]
    v = np.cross(w, u)
    # Latitude rings (poles excluded): a hemisphere at p0 (pointing -w), then one
    # at p1 (+w); a single vertex closes each pole so the mesh is watertight.
    lats = np.concatenate([
        np.linspace(-np.pi / 2, 0.0, rings + 1)[1:],
        np.linspace(0.0, np.pi / 2, rings + 1)[:-1],
    ])
    ang = np.linspace(0.0, 2 * np.pi, segments, endpoint=False)
    # (K, rings, segments, 3): the same products, in the same order, as one ring at a time.
    around = np.cos(ang)[None, :, None] * u[:, None, :] + np.sin(ang)[None, :, None] * v[:, None, :]
    ring_n = np.cos(lats)[None, :, None, None] * around[:, None] + np.sin(lats)[None, :, None, None] * w[:, None, None]
    centres = np.where((np.arange(len(lats)) < rings)[None, :, None, None], p0[:, None, None], p1[:, None, None])
    verts = centres + radius[..., None] * ring_n
    k = len(p0)
    r = radius[:, 0]
    verts = np.concatenate([verts.reshape(k, -1, 3), (p0 - r * w)[:, None], (p1 + r * w)[:, None]], axis=1)
    norms = np.concatenate([ring_n.reshape(k, -1, 3), -w[:, None], w[:, None]], axis=1)
    nv = verts.shape[1]
    faces = np.broadcast_to(_capsule_faces(segments, len(lats)), (k,) + _capsule_faces(segments, len(lats)).shape).copy()
    # Orient outward, per face: each triangle's normal must agree with its vertex normals.
    tri = np.take_along_axis(verts[:, :, None, :], faces.reshape(k, -1, 1, 1), axis=1).reshape(k, -1, 3, 3)
    fn = np.cross(tri[:, :, 1] - tri[:, :, 0], tri[:, :, 2] - tri[:, :, 0])
    nf = np.take_along_axis(norms[:, :, None, :], faces.reshape(k, -1, 1, 1), axis=1).reshape(k, -1, 3, 3)
    flip = np.einsum("kij,kij->ki", fn, nf.mean(axis=2)) < 0
    faces[flip] = faces[flip][:, ::-1]
    faces = faces + (np.arange(k) * nv)[:, None, None]
    return (verts.reshape(-1, 3).astype(np.float32), faces.reshape(-1, 3).astype(np.uint32),
            norms.reshape(-1, 3).astype(np.float32))
