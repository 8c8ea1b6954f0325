"""Tests of the settings that hold stones (jewelrender.geometry.mounts).

Geometry checks only, on real meshes: the round brilliant of :mod:`jewelrender.geometry.assets`
and simple stand-ins for other cuts built here (a table, a crown, a girdle and a pointed
pavilion lofted from a princess, emerald, oval, marquise, pear or heart outline).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import linprog
from scipy.spatial import ConvexHull

from jewelrender.geometry import assets as A
from jewelrender.geometry import mounts as M
from jewelrender.pieces.ring import SETTING_STYLES, ring_assembly
from jewelrender.errors import InvalidOptionError

RING = {"inner_diameter_mm": 17.3, "band_width_mm": 2.6, "band_thickness_mm": 1.8}
R_OUT = 17.3 / 2 + 1.8

# --------------------------------------------------------------------------- #
# stand-in stones
# --------------------------------------------------------------------------- #


def loft_stone(outline, crown=0.16, pav=0.43, table=0.55, girdle=0.02) -> A.MeshPart:
    """A stone in its stone frame from a star-shaped (x, z) outline.

    Table = the outline scaled by ``table`` at the crown's height, a thin vertical girdle
    at y = +-girdle/2, a pointed culet under the axis; heights are fractions of the
    outline's mean width.
    """
    o = np.asarray(outline, float)
    if np.sum(o[:, 0] * np.roll(o[:, 1], -1) - np.roll(o[:, 0], -1) * o[:, 1]) < 0:
        o = o[::-1]
    w = 2 * np.mean(np.linalg.norm(o, axis=1))
    n = len(o)
    hg = girdle * w / 2
    rings = [np.c_[o[:, 0] * table, np.full(n, hg + crown * w), o[:, 1] * table],
             np.c_[o[:, 0], np.full(n, hg), o[:, 1]], np.c_[o[:, 0], np.full(n, -hg), o[:, 1]]]
    V = np.vstack(rings + [[[0, hg + crown * w, 0], [0, -hg - pav * w, 0]]])
    j = np.arange(n)
    j2 = (j + 1) % n
    F = [np.c_[np.full(n, 3 * n), j2, j]]
    for r in range(2):
        a, b, c, d = r * n + j, r * n + j2, (r + 1) * n + j2, (r + 1) * n + j
        F += [np.c_[a, b, c], np.c_[a, c, d]]
    F.append(np.c_[np.full(n, 3 * n + 1), 2 * n + j, 2 * n + j2])
    F = np.vstack(F)
    if A.signed_volume(V, F) < 0:
        F = F[:, ::-1]
    return A.MeshPart("stone", "stone", V, F, None)


def princess(s=5.5):
    h = s / 2
    return loft_stone([(h, -h), (h, h), (-h, h), (-h, -h)], table=0.7, pav=0.5)


def emerald(wx=5.0, lz=7.0, cut=0.9):
    x, z = wx / 2, lz / 2
    return loft_stone([(x, -z + cut), (x, z - cut), (x - cut, z), (-x + cut, z), (-x, z - cut),
                       (-x, -z + cut), (-x + cut, -z), (x - cut, -z)], table=0.65, pav=0.45)


def oval(ax=3.0, az=4.0, n=64):
    t = 2 * np.pi * np.arange(n) / n
    return loft_stone(np.c_[ax * np.cos(t), az * np.sin(t)])


def marquise(half_w=2.5, half_l=5.0, n=24):
    R = (half_l ** 2 + half_w ** 2) / (2 * half_w)
    c = R - half_w
    a = math.asin(half_l / R)
    t = np.linspace(-a, a, n + 1)[:-1]
    return loft_stone(np.vstack([np.c_[-c + R * np.cos(t), R * np.sin(t)], np.c_[c - R * np.cos(t), -R * np.sin(t)]]))


def pear(r=3.0, tip=5.0, off=-1.0, n=48):
    t = 2 * np.pi * np.arange(n) / n
    pts = np.vstack([np.c_[r * np.cos(t), off + r * np.sin(t)], [[0, tip]]])
    return loft_stone(pts[ConvexHull(pts).vertices])


def heart_outline(size=7.0, n=96):
    t = 2 * np.pi * np.arange(n) / n
    x = 16 * np.sin(t) ** 3
    z = 13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t)
    pts = np.c_[x, z] * (size / 34.0)
    pts[:, 1] -= 0.5 * (pts[:, 1].max() + pts[:, 1].min())
    return pts[np.linalg.norm(pts - np.roll(pts, 1, 0), axis=1) > 1e-9]


def heart():
    return loft_stone(heart_outline())


# --------------------------------------------------------------------------- #
# geometric checks (independent of the module's own helpers)
# --------------------------------------------------------------------------- #


def assert_closed(part: A.MeshPart) -> None:
    m = part.to_trimesh()
    assert m.is_watertight, part.name
    assert m.is_winding_consistent, part.name
    assert m.volume > 0, part.name
    assert A.signed_volume(part.vertices, part.faces.astype(np.int64)) > 0, part.name
    assert m.area_faces.min() > 1e-8, f"{part.name}: degenerate triangle"


def face_normals(part):
    tri = part.vertices.astype(np.float64)[part.faces]
    n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    return n / np.linalg.norm(n, axis=1, keepdims=True)


def separation(a: np.ndarray, b: np.ndarray) -> float:
    """Margin t of the best separating plane between two convex point sets (> 0: disjoint).

    Maximises t subject to w.a - c >= t, c - w.b >= t, |w_i| <= 1; the Euclidean gap is
    at least 2 t / |w| >= 2 t / sqrt(3).
    """
    na, nb = len(a), len(b)
    A_ub = np.vstack([np.c_[-a, np.ones(na), np.ones(na)], np.c_[b, -np.ones(nb), np.ones(nb)]])
    res = linprog(c=[0, 0, 0, 0, -1], A_ub=A_ub, b_ub=np.zeros(na + nb),
                  bounds=[(-1, 1)] * 3 + [(None, None), (None, 1.0)], method="highs")
    assert res.status == 0
    return float(res.x[4])


def assert_stones_apart(parts, min_gap=1e-3):
    stones = [p for p in parts if p.role == "stone"]
    pts = [p.vertices.astype(np.float64) for p in stones]
    cen = [q.mean(axis=0) for q in pts]
    rad = [np.linalg.norm(q - c, axis=1).max() for q, c in zip(pts, cen)]
    checked = 0
    for i in range(len(stones)):
        for j in range(i + 1, len(stones)):
            if np.linalg.norm(cen[i] - cen[j]) > rad[i] + rad[j] + 0.5:
                continue  # far apart: bounding spheres more than 0.5 mm apart
            t = separation(pts[i], pts[j])
            assert 2 * t / math.sqrt(3) > min_gap, f"{stones[i].name} touches {stones[j].name}"
            checked += 1
    return checked


def covers_from_above(part: A.MeshPart, xz: np.ndarray) -> np.ndarray:
    """Highest y (or -inf) at which ``part`` is hit by a vertical line through each (x, z)."""
    tri = part.vertices.astype(np.float64)[part.faces]
    a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
    out = np.full(len(xz), -np.inf)
    for k, (x, z) in enumerate(xz):
        d1, d2 = b - a, c - a
        w = np.array([x, 0, z]) - a
        den = d1[:, 0] * d2[:, 2] - d1[:, 2] * d2[:, 0]
        ok = np.abs(den) > 1e-14
        den = np.where(ok, den, 1)
        l1 = (w[:, 0] * d2[:, 2] - w[:, 2] * d2[:, 0]) / den
        l2 = (d1[:, 0] * w[:, 2] - d1[:, 2] * w[:, 0]) / den
        hit = ok & (l1 >= 0) & (l2 >= 0) & (l1 + l2 <= 1)
        if hit.any():
            y = a[:, 1] + l1 * d1[:, 1] + l2 * d2[:, 1]
            out[k] = y[hit].max()
    return out


def ray_hits(part: A.MeshPart, origin, direction) -> np.ndarray:
    """Distances along a ray to every triangle of ``part`` it crosses (Moller-Trumbore)."""
    tri = part.vertices.astype(np.float64)[part.faces]
    o, d = np.asarray(origin, float), np.asarray(direction, float)
    e1, e2 = tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
    p = np.cross(d, e2)
    det = np.einsum("ij,ij->i", e1, p)
    ok = np.abs(det) > 1e-12
    inv = 1 / np.where(ok, det, 1)
    s = o - tri[:, 0]
    u = np.einsum("ij,ij->i", s, p) * inv
    q = np.cross(s, e1)
    v = (q @ d) * inv
    t = np.einsum("ij,ij->i", e2, q) * inv
    hit = ok & (u >= 0) & (v >= 0) & (u + v <= 1) & (t > 0)
    return t[hit]


def signed_dist_2d(pts, poly):
    """Signed distance of (N, 2) points to a closed polygon, negative inside (brute force)."""
    pts = np.asarray(pts, float)
    a, b = poly, np.roll(poly, -1, 0)
    out = []
    for p in pts:
        ab, ap = b - a, p - a
        t = np.clip(np.einsum("ij,ij->i", ap, ab) / np.einsum("ij,ij->i", ab, ab), 0, 1)
        d = np.linalg.norm(ap - t[:, None] * ab, axis=1).min()
        crossing = ((a[:, 1] > p[1]) != (b[:, 1] > p[1]))
        with np.errstate(divide="ignore", invalid="ignore"):
            xint = a[:, 0] + (p[1] - a[:, 1]) * (b[:, 0] - a[:, 0]) / (b[:, 1] - a[:, 1])
        inside = np.count_nonzero(crossing & (xint > p[0])) % 2 == 1
        out.append(-d if inside else d)
    return np.array(out)


def by_name(parts):
    return {p.name: p for p in parts}


# --------------------------------------------------------------------------- #
# fixtures
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module")
def brilliant():
    return A.round_brilliant(carat=1.0)


@pytest.fixture(scope="module")
def rings(brilliant):
    s = brilliant
    return {
        "prong6": ring_assembly(**RING, stone=s, setting={"style": "prong", "prongs": 6}),
        "bezel": ring_assembly(**RING, stone=s, setting={"style": "bezel", "lip_mm": 0.4}),
        "halo": ring_assembly(**RING, stone=s, setting={"style": "halo", "melee_diameter_mm": 1.3},
                                accent={"style": "pave", "melee_diameter_mm": 1.3, "gem": "diamond"}),
        "pave": ring_assembly(**RING, stone=s, setting={"style": "prong", "prongs": 4},
                                accent={"style": "pave", "melee_diameter_mm": 1.3}),
        "channel": ring_assembly(**RING, accent={"style": "channel", "melee_diameter_mm": 1.5}),
    }


# --------------------------------------------------------------------------- #
# girdle outline
# --------------------------------------------------------------------------- #


def test_girdle_outline_round(brilliant):
    o = M.girdle_outline(brilliant, samples=160)
    assert o.shape == (160, 2)
    v = brilliant.vertices.astype(np.float64)
    r_corner = np.hypot(v[:, 0], v[:, 2]).max()
    r = np.linalg.norm(o, axis=1)
    # a regular 16-gon: between its flats' and its corners' radii
    assert r.max() == pytest.approx(r_corner, abs=1e-4)
    assert r.min() == pytest.approx(r_corner * math.cos(math.pi / 16), abs=1e-4)
    # counter-clockwise from +X towards +Z, starting on +X, one point per angle
    area = 0.5 * np.sum(o[:, 0] * np.roll(o[:, 1], -1) - np.roll(o[:, 0], -1) * o[:, 1])
    assert area > 0
    th = np.mod(np.arctan2(o[:, 1], o[:, 0]), 2 * np.pi)
    np.testing.assert_allclose(th, 2 * np.pi * np.arange(160) / 160, atol=1e-9)
    # every point on the outline: on the stone's girdle hull
    hull = v[:, [0, 2]][ConvexHull(v[:, [0, 2]]).vertices]
    assert np.abs(signed_dist_2d(o[::8], hull)).max() < 1e-4


def test_girdle_outline_elongated_and_heart(brilliant):
    # an elongated stand-in: the brilliant squeezed across the finger (x)
    m = np.diag([0.6, 1.0, 1.0, 1.0])
    long_stone = A.transform(brilliant, m)
    o = M.girdle_outline(long_stone, samples=256)
    v = long_stone.vertices
    assert np.abs(o[:, 0]).max() == pytest.approx(np.abs(v[:, 0]).max(), abs=1e-4)
    assert np.abs(o[:, 1]).max() == pytest.approx(np.abs(v[:, 2]).max(), abs=1e-4)
    # a heart is not convex: the cleft (on +Z) must be kept, not bridged by the hull
    h = heart()
    ho = heart_outline()
    o = M.girdle_outline(h, samples=512)
    assert np.abs(signed_dist_2d(o[::4], ho)).max() < 1e-3
    cleft = ho[np.argmax(np.where(np.abs(ho[:, 0]) < 1e-9, ho[:, 1], -np.inf))]
    on_z = o[128]  # theta = 90 deg: +Z
    assert on_z[1] == pytest.approx(cleft[1], abs=1e-3)
    assert on_z[1] < 0.7 * ho[:, 1].max()


def test_girdle_outline_rejects_bad_input(brilliant):
    with pytest.raises(InvalidOptionError):
        M.girdle_outline(A.translate(brilliant, (0, 5, 0)))  # not in the stone frame
    with pytest.raises(InvalidOptionError):
        M.girdle_outline(A.translate(brilliant, (9, 0, 0)))  # axis outside the outline
    with pytest.raises(InvalidOptionError):
        M.girdle_outline(brilliant, samples=3)
    with pytest.raises(InvalidOptionError):
        M.girdle_outline("not a mesh")


# --------------------------------------------------------------------------- #
# whole rings
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("key", ["prong6", "bezel", "halo", "pave", "channel"])
def test_parts_closed_named_and_within_budget(rings, key):
    parts = rings[key]
    names = [p.name for p in parts]
    assert len(set(names)) == len(names)
    assert names[0] == "band"
    metal = {"band", "beads", "head", "bezel", "halo_frame"}
    for p in parts:
        assert_closed(p)
        if p.name in metal or p.name.startswith("prong_"):
            assert p.role == "metal"
            assert p.normals is not None
            np.testing.assert_allclose(np.linalg.norm(p.normals, axis=1), 1.0, atol=1e-5)
            # smooth normals shade their own faces (no inward or smeared normals)
            dots = np.einsum("fj,fkj->fk", face_normals(p), p.normals.astype(np.float64)[p.faces])
            assert dots.min() > 0.65, p.name
        else:
            assert p.name == "stone" or p.name.startswith("accent_"), p.name
            assert p.role == "stone" and p.normals is None
    assert sum(p.n_triangles for p in parts) < 200_000
    accents = [n for n in names if n.startswith("accent_")]
    assert accents == [f"accent_{i}" for i in range(len(accents))]
    expected = {"prong6": {"prong_5", "head", "stone"}, "bezel": {"bezel", "stone"},
                "halo": {"halo_frame", "prong_3", "stone", "beads"}, "pave": {"beads", "prong_3", "stone"},
                "channel": set()}[key]
    assert expected <= set(names)
    if key in ("halo", "pave", "channel"):
        assert len(accents) >= 8
    else:
        assert not accents


@pytest.mark.parametrize("key", ["prong6", "bezel", "halo", "pave"])
def test_centre_stone_sits_clear_of_the_band(rings, brilliant, key):
    p = by_name(rings[key])
    band_top = p["band"].vertices[:, 1].max()
    assert band_top == pytest.approx(R_OUT, abs=5e-3)  # (a vertex may not fall on the apex)
    culet = p["stone"].vertices[:, 1].min()
    clearance = 0.3 if key == "bezel" else 0.5
    assert culet == pytest.approx(R_OUT + clearance, abs=1e-4)
    # lifted straight up: the same stone, translated along +Y only
    d = p["stone"].vertices.astype(np.float64) - brilliant.vertices
    np.testing.assert_allclose(d[:, [0, 2]], 0, atol=1e-5)
    assert np.ptp(d[:, 1]) < 1e-4


@pytest.mark.parametrize("key", ["halo", "pave", "channel"])
def test_stones_never_touch(rings, key):
    n = assert_stones_apart(rings[key])
    assert n >= 5  # neighbouring melee really were compared


def test_halo_melee_fill_the_outline(brilliant):
    parts = M.halo_setting(brilliant, melee_diameter_mm=1.3, gap_mm=0.8, spacing_mm=0.1)
    frame, melee = parts[0], parts[1:]
    assert frame.name == "halo_frame" and frame.role == "metal"
    assert_closed(frame)
    cen = np.array([m.vertices.astype(np.float64).mean(axis=0) for m in melee])  # symmetric stones
    v = brilliant.vertices.astype(np.float64)
    R = np.hypot(v[:, 0], v[:, 2]).max()
    r_corner = 1.3 / 2 * A.GIRDLE_CORNER
    # on a circle around the round stone (the circle through its 16-gon's corners), their
    # girdles 0.8 mm from the centre's
    np.testing.assert_allclose(np.hypot(cen[:, 0], cen[:, 2]), R + 0.8 + r_corner, atol=0.01)
    assert np.ptp(cen[:, 1]) < 1e-6
    # tables just under the centre's girdle plane
    tops = np.array([m.vertices[:, 1].max() for m in melee])
    np.testing.assert_allclose(tops, -0.1, atol=1e-4)
    # neighbours do not overlap, and the row is full: one more would not fit
    ring = np.concatenate([cen[:, [0, 2]], cen[:1, [0, 2]]])
    perim = np.linalg.norm(np.diff(ring, axis=0), axis=1).sum()
    gaps = np.linalg.norm(np.diff(ring, axis=0), axis=1) - 2 * r_corner
    assert gaps.min() >= 0.05
    assert perim / len(melee) < 2 * r_corner + 0.1 + (2 * r_corner + 0.1) / len(melee) + 0.02
    assert_stones_apart([A.MeshPart("stone", "stone", brilliant.vertices, brilliant.faces)] + melee)


@pytest.mark.parametrize("maker", [heart, oval, pear])
def test_halo_follows_any_outline(maker):
    st = maker()
    parts = M.halo_setting(st, melee_diameter_mm=1.2)
    assert_closed(parts[0])
    poly = M.outline_polygon(st)
    cen = np.array([m.vertices.astype(np.float64).mean(axis=0) for m in parts[1:]])
    d = signed_dist_2d(cen[:, [0, 2]], poly)
    assert np.ptp(d) < 0.02 and d.min() > 0.6
    assert_stones_apart([st] + parts[1:])


def test_bezel_lip_covers_girdle_but_not_table(brilliant):
    bz = M.bezel_setting(brilliant, lip_mm=0.4, wall_mm=0.5)
    assert bz.name == "bezel" and bz.role == "metal"
    assert_closed(bz)
    v = bz.vertices.astype(np.float64)
    outline = M.girdle_outline(brilliant, samples=256)
    sd = signed_dist_2d(v[:, [0, 2]][::7], outline)
    R = np.linalg.norm(outline, axis=1).max()
    vy = v[::7, 1]
    # the lip's top inner edge: inside the outline, above the girdle
    inner = np.argmin(np.where(vy > 0, sd, np.inf))
    assert sd[inner] < -0.2 and vy[inner] > 0.1
    # the wall: about 0.5 mm outside the outline, its top 0.4 mm above the girdle's top edge
    # (round stones get a round collar: the circle through the girdle's 16-gon corners)
    assert np.hypot(v[:, 0], v[:, 2]).max() == pytest.approx(R + 0.5, abs=0.01)
    s = brilliant.vertices.astype(np.float64)
    girdle_top = s[np.hypot(s[:, 0], s[:, 2]) > 0.99 * np.hypot(s[:, 0], s[:, 2]).max(), 1].max()
    assert v[:, 1].max() == pytest.approx(girdle_top + 0.4, abs=0.02)
    # seen from above the metal covers the girdle's edge all round ...
    th = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    edge = outline[(np.arange(48) * 256) // 48] * (1 - 0.05 / np.linalg.norm(outline[0]))
    assert np.all(covers_from_above(bz, edge) > girdle_top)
    # ... but not the table: no bezel triangle over any point of it
    table = s[s[:, 1] > s[:, 1].max() - 1e-6][:, [0, 2]]
    pts = np.concatenate([table * 0.999, table * 0.5, [[0.0, 0.0]]])
    assert np.all(covers_from_above(bz, pts) < s[:, 1].min())  # (the collar's foot, under the stone)
    assert len(th) == 48


@pytest.mark.parametrize("maker", [princess, emerald, marquise, heart])
def test_bezel_any_cut(maker):
    st = maker()
    bz = M.bezel_setting(st)
    assert_closed(bz)
    poly = M.outline_polygon(st)
    v = bz.vertices.astype(np.float64)
    sd = signed_dist_2d(v[::11, [0, 2]], poly)
    assert sd.max() == pytest.approx(0.5, abs=0.03)
    s = st.vertices.astype(np.float64)
    table = s[s[:, 1] > s[:, 1].max() - 1e-6][:, [0, 2]]
    # nothing over the table (a collar's tapered foot may lie under the stone)
    assert np.all(covers_from_above(bz, np.concatenate([table * 0.98, [[0.0, 0.0]]])) < s[:, 1].max() - 0.1)


@pytest.mark.parametrize("key", ["pave", "channel", "halo"])
def test_band_melee_flush_with_the_band(rings, key):
    p = by_name(rings[key])
    band = p["band"]
    n_band = 0
    for m in (q for q in rings[key] if q.name.startswith("accent_")):
        v = m.vertices.astype(np.float64)
        if np.hypot(v[:, 0], v[:, 1]).max() > R_OUT + 0.5:
            continue  # a halo melee
        n_band += 1
        c = v.mean(axis=0)
        phi = math.atan2(c[1], c[0])
        u = np.array([math.cos(phi), math.sin(phi), 0.0])
        assert abs(c[2]) < 1e-4 and c[1] > 0  # on the band's centre line, on its top half
        # the table faces straight out (its plane normal is radial)
        out = v @ u
        table = v[out > out.max() - 1e-4]
        assert len(table) == 8
        n = np.cross(table[1] - table[0], table[2] - table[0])
        assert abs(abs(np.dot(n / np.linalg.norm(n), u))) > math.cos(math.radians(0.5))
        # the band's outer surface right beside the stone: where the groove it sits in ends
        half = np.abs(v[:, 2]).max()
        girdle = v[np.linalg.norm(np.cross(v - c, u), axis=1) > 0.98 * half]
        for sgn in (1.0, -1.0):
            zs = sgn * np.arange(0.0, half + 0.6, 0.02)
            r_hit = np.array([max(ray_hits(band, (0, 0, z), u), default=0.0) for z in zs])
            edge = np.flatnonzero(r_hit > (girdle @ u).max())[0]
            r_s = r_hit[edge + 1]
            assert abs(out.max() - r_s) <= 0.1, (m.name, out.max(), r_s)
            # the girdle below the surface
            assert np.all(girdle @ u < r_s - 0.1)
    assert n_band >= 8


def test_pave_and_channel_details(rings):
    pave = by_name(rings["pave"])
    chan = by_name(rings["channel"])
    assert "beads" in pave and "beads" not in chan
    # channel: the walls overlap the girdles (hold them); pavé: the groove clears them
    for parts, covered in ((rings["channel"], True), (rings["pave"], False)):
        band = by_name(parts)["band"]
        m = next(q for q in parts if q.name.startswith("accent_"))
        v = m.vertices.astype(np.float64)
        c = v.mean(axis=0)
        phi = math.atan2(c[1], c[0])
        u = np.array([math.cos(phi), math.sin(phi), 0.0])
        half = np.abs(v[:, 2]).max()
        hits = ray_hits(band, (0, 0, 0.97 * half), u)
        top = np.hypot(v[:, 0], v[:, 1]).max()
        assert (hits.max() > top - 0.3) == covered
    # with a head the melee run down both shoulders, symmetric, clear of the head
    acc = [q for q in rings["pave"] if q.name.startswith("accent_")]
    xs = np.sort([q.vertices[:, 0].mean() for q in acc])
    np.testing.assert_allclose(xs, -xs[::-1], atol=1e-4)
    head_feet = np.concatenate([q.vertices for q in rings["pave"] if q.name.startswith("prong_")])
    near = head_feet[head_feet[:, 1] < R_OUT + 1.0]
    assert np.abs(xs).min() - 1.3 / 2 > np.abs(near[:, 0]).max()
    # without a head, a count is centred on the top
    parts = ring_assembly(**RING, accent={"style": "pave", "count": 5, "melee_diameter_mm": 1.5})
    acc = [q for q in parts if q.name.startswith("accent_")]
    assert len(acc) == 5
    mid = acc[2].vertices.astype(np.float64).mean(axis=0)
    assert abs(mid[0]) < 1e-4 and mid[1] > 0


# --------------------------------------------------------------------------- #
# prong heads for any cut
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("maker, n_prongs, points", [
    (princess, 4, 4), (emerald, 4, 0), (marquise, 6, 2), (pear, 5, 1), (heart, 4, 1), (oval, 4, 0)])
def test_prong_heads_for_fancy_cuts(maker, n_prongs, points):
    st = maker()
    parts = ring_assembly(**RING, stone=st, setting={"style": "prong"})
    names = [p.name for p in parts]
    prongs = [p for p in parts if p.name.startswith("prong_")]
    assert len(prongs) == n_prongs
    assert "head" in names
    for p in parts:
        assert_closed(p)
    d = by_name(parts)["stone"].vertices.astype(np.float64)
    lift = d[0, 1] - st.vertices[0, 1]
    assert d[:, 1].min() == pytest.approx(R_OUT + 0.5, abs=1e-4)
    poly = M.outline_polygon(st)
    pd = 2 * np.min([np.linalg.norm(p.vertices - p.vertices.mean(0), axis=1).min() for p in prongs])
    for p in prongs:
        v = p.vertices.astype(np.float64)
        v[:, 1] -= lift
        # each prong grips the girdle: metal right at the outline at girdle height
        near = v[np.abs(v[:, 1]) < 0.2]
        assert len(near)
        assert np.abs(signed_dist_2d(near[::3, [0, 2]], poly)).min() < 0.15, p.name
        # its feet sink into the band
        assert v[:, 1].min() + lift < R_OUT - 0.3
    # every sharp corner or point is guarded: metal within 0.2 mm of it, around girdle height
    turn = np.degrees(M._turning(poly))
    corners = poly[turn >= 60.0]
    assert len(corners) == points
    metal = np.concatenate([p.vertices.astype(np.float64) for p in prongs])
    metal[:, 1] -= lift
    metal = metal[np.abs(metal[:, 1]) < 0.5]
    for c in corners:
        assert np.linalg.norm(metal[:, [0, 2]] - c, axis=1).min() < 0.2
    assert pd > 0


def test_prong_counts_and_round_stones(brilliant):
    for n in (4, 6):
        parts = M.prong_head(brilliant, prongs=n)
        assert [p.name for p in parts] == ["head"] + [f"prong_{i}" for i in range(n)]
    # marquise with 4 prongs: just the two points and two side claws
    assert len([p for p in M.prong_head(marquise(), prongs=4) if p.name.startswith("prong_")]) == 4
    with pytest.raises(InvalidOptionError):
        M.prong_head(princess(), prongs=3)  # four corners need four prongs
    with pytest.raises(InvalidOptionError):
        M.prong_head(brilliant, prongs=9)


# --------------------------------------------------------------------------- #
# validation
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("kwargs", [
    {"setting": {"style": "claw"}},
    {"setting": {"style": "prong", "prongs": 2}},
    {"setting": {"style": "prong", "prongs": 4.0}},
    {"setting": {"style": "prong", "lip_mm": 0.4}},  # a bezel option on prongs
    {"setting": {"style": "bezel", "lip_mm": -1}},
    {"setting": {"style": "bezel", "wall_mm": "thick"}},
    {"setting": {"style": "bezel", "cover_mm": 2.0}},  # would hide the table
    {"setting": {"style": "halo", "melee_diameter_mm": 0.1}},
    {"setting": {"style": "halo", "melee_diameter_mm": float("nan")}},
    {"setting": {"style": "prong", "gallery": "yes"}},
    {"setting": "prong"},
    {"accent": {"style": "micro"}},
    {"accent": {"style": "pave", "count": 1000}},
    {"accent": {"style": "pave", "count": 7}},  # odd with a head
    {"accent": {"style": "pave", "rows": 2}},
    {"accent": {"style": "pave", "gem": 3}},
    {"accent": {"style": "channel", "melee_diameter_mm": 2.5}},  # wider than the band allows
    {"band_thickness_mm": 0.9, "accent": {"style": "pave", "melee_diameter_mm": 1.8}},  # culets through
    {"stone": None, "setting": {"style": "prong"}},
    {"inner_diameter_mm": -3},
])
def test_invalid_options(brilliant, kwargs):
    kw = dict(RING, stone=brilliant)
    kw.update(kwargs)
    with pytest.raises(InvalidOptionError):
        ring_assembly(**kw)


def test_invalid_stone_inputs(brilliant):
    metal = A.MeshPart("x", "metal", brilliant.vertices, brilliant.faces)
    with pytest.raises(InvalidOptionError):
        ring_assembly(**RING, stone=metal)
    with pytest.raises(InvalidOptionError):
        ring_assembly(**RING, stone=A.translate(brilliant, (0, 3, 0)))
    with pytest.raises(InvalidOptionError):
        M.halo_setting(brilliant, gap_mm=-0.1)
    with pytest.raises(InvalidOptionError):
        M.accent_band(inner_diameter_mm=17, band_width_mm=3, band_thickness_mm=2, style="eternity")


# --------------------------------------------------------------------------- #
# pearl cup
# --------------------------------------------------------------------------- #

PEARL_RING = {"inner_diameter_mm": 17.3, "band_width_mm": 2.0, "band_thickness_mm": 1.7}


@pytest.fixture(scope="module")
def pearl():
    from jewelrender.geometry.cuts import make_stone

    return make_stone("pearl", size_mm=7.0)


@pytest.fixture(scope="module")
def pearl_rings(pearl):
    return {cd: by_name(ring_assembly(**PEARL_RING, stone=pearl,
                                        setting={"style": "cup"} if cd is None
                                        else {"style": "cup", "cup_diameter_mm": cd}))
            for cd in (None, 2.8, 3.85)}


def test_cup_is_a_closed_smooth_solid(pearl):
    cup = M.cup_setting(pearl)
    assert cup.name == "cup" and cup.role == "metal"
    assert_closed(cup)
    np.testing.assert_allclose(np.linalg.norm(cup.normals, axis=1), 1.0, atol=1e-5)
    dots = np.einsum("fj,fkj->fk", face_normals(cup), cup.normals.astype(np.float64)[cup.faces])
    assert dots.min() > 0.65
    # a round bowl about the stone's axis, 0.5 x the pearl's diameter by default
    v = cup.vertices.astype(np.float64)
    assert 2 * np.hypot(v[:, 0], v[:, 2]).max() == pytest.approx(3.5, abs=0.02)
    assert np.abs(v[:, [0, 2]].mean(axis=0)).max() < 1e-3
    assert "cup" in SETTING_STYLES


@pytest.mark.parametrize("cd", [None, 2.8, 3.85])
def test_pearl_rests_on_the_cup_rim(pearl_rings, cd):
    p = pearl_rings[cd]
    assert {"band", "cup", "stone"} == set(p)
    for part in p.values():
        assert_closed(part)
    s = p["stone"].vertices.astype(np.float64)
    c = 0.5 * (s.min(axis=0) + s.max(axis=0))
    R = 0.5 * float(np.ptp(s[:, 1]))
    assert R == pytest.approx(3.5, abs=1e-3)
    cup = p["cup"].vertices.astype(np.float64)
    d = np.linalg.norm(cup - c, axis=1) - R  # < 0: inside the pearl
    assert d.min() > -0.05  # no more than a small seat cuts into the pearl
    touch = cup[d < 0.05]
    assert len(touch) > 0
    # it touches on the rim (far from the axis, at the cup's top), all the way round
    rho = np.hypot(touch[:, 0] - c[0], touch[:, 2] - c[2])
    rim_r = np.hypot(cup[:, 0] - c[0], cup[:, 2] - c[2]).max()
    assert rho.min() > 0.6 * rim_r
    assert touch[:, 1].min() > cup[:, 1].max() - 0.2
    az = np.arctan2(touch[:, 2] - c[2], touch[:, 0] - c[0])
    hist, _ = np.histogram(az, bins=12, range=(-np.pi, np.pi))
    assert hist.min() > 0
    # the pearl stands mostly above the rim, and the rim really holds it (not a flat plate)
    rim_top = cup[:, 1].max()
    above = (s[:, 1].max() - rim_top) / np.ptp(s[:, 1])
    assert 0.65 <= above < 0.99
    # it is lifted straight up: the same pearl
    assert np.abs(c[[0, 2]]).max() < 1e-4


@pytest.mark.parametrize("cd", [None, 2.8, 3.85])
def test_cup_stands_on_the_band(pearl_rings, cd):
    p = pearl_rings[cd]
    r_in, r_out = 17.3 / 2, 17.3 / 2 + 1.7
    band_top = p["band"].vertices[:, 1].max()
    assert band_top == pytest.approx(r_out, abs=5e-3)
    s, cup = p["stone"].vertices, p["cup"].vertices.astype(np.float64)
    assert s[:, 1].min() > band_top + 0.3  # the pearl clear of the band
    foot = cup[cup[:, 1] < cup[:, 1].min() + 1e-6]
    assert cup[:, 1].min() < r_out - 0.3  # the foot sunk into the band ...
    assert cup[:, 1].min() > r_in + 0.2   # ... not through it
    for q in foot[:: max(1, len(foot) // 8)]:
        # a point just above the foot's bottom is inside the band (odd number of crossings)
        o = q + np.array([0.0, 0.02, 0.0]) - 0.9 * np.array([q[0], 0.0, q[2]])
        assert len(ray_hits(p["band"], o, (0.0, 1.0, 0.0))) % 2 == 1
    # the stem fits across the band's width
    stem = cup[cup[:, 1] < band_top + 0.2]
    assert len(stem) > 10
    assert np.abs(stem[:, 2]).max() < PEARL_RING["band_width_mm"] / 2


def test_cup_options_and_refusals(pearl):
    from jewelrender.geometry.cuts import make_stone

    lo = M.cup_setting(pearl, cup_diameter_mm=2.8, cup_depth_mm=1.5).vertices
    hi = M.cup_setting(pearl, cup_diameter_mm=3.85).vertices
    assert hi[:, 1].max() > lo[:, 1].max() + 0.05  # a wider cup reaches higher up the pearl
    assert np.ptp(lo[:, 1]) > 1.5  # depth (+ stem) honoured
    oval_pearl = make_stone("pearl", size_mm=[8.4, 7.0])
    for kw in (dict(stone=oval_pearl), dict(stone=princess()),
               dict(stone=pearl, cup_diameter_mm=6.5), dict(stone=pearl, cup_diameter_mm=1.0),
               dict(stone=pearl, wall_mm=0.9), dict(stone=pearl, cup_depth_mm=0.3),
               dict(stone=pearl, base_y_mm=-3.0), dict(stone=pearl, samples=8)):
        with pytest.raises(InvalidOptionError):
            M.cup_setting(**kw)
    for setting in ({"style": "cup", "prongs": 4}, {"style": "cup", "lip_mm": 0.3},
                    {"style": "cup", "culet_clearance_mm": -1}):
        with pytest.raises(InvalidOptionError):
            ring_assembly(**PEARL_RING, stone=pearl, setting=setting)
    with pytest.raises(InvalidOptionError):
        ring_assembly(**PEARL_RING, stone=make_stone("pearl", size_mm=[8.4, 7.0]), setting={"style": "cup"})
