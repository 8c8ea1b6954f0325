"""Tests of the parametric gem cuts (jewelrender.geometry.cuts)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jewelrender.geometry import assets as A
from jewelrender.geometry import cuts as C
from jewelrender.errors import InvalidOptionError

FACETED = [c for c in C.CUTS if c not in ("round-brilliant", "cabochon", "pearl")]
FANCY_BRILLIANTS = ["oval", "cushion", "pear", "marquise", "heart"]
STEP = ["emerald", "asscher", "baguette"]

# A few proportion variations per cut (the defaults are always tested too).
VARIATIONS = {
    "princess": [dict(ratio=1.08, table=0.64), dict(crown_angles_deg=(34.0,), pavilion_angles_deg=(50.0, 40.0),
                                                     chevron_deg=5.0)],
    "emerald": [dict(ratio=1.3, corner=0.08), dict(ratio=1.6, table=0.7, crown_angles_deg=(45.0, 30.0),
                                                   pavilion_angles_deg=(60.0, 50.0, 42.0, 35.0))],
    "asscher": [dict(corner=0.28), dict(ratio=1.05, table=0.66)],
    "oval": [dict(ratio=1.5, culet=0.02), dict(girdle_subdivisions=1, table=0.62)],
    "cushion": [dict(ratio=1.2, squareness=3.0), dict(squareness=6.0, girdle_subdivisions=3)],
    "pear": [dict(ratio=1.35), dict(ratio=1.75, pavilion_angle_deg=43.0)],
    "marquise": [dict(ratio=1.8), dict(ratio=2.2, culet=0.02)],
    "heart": [dict(ratio=0.9, cleft_depth=0.06), dict(ratio=1.15, cleft_depth=0.14)],
    "baguette": [dict(ratio=4.0), dict(taper=0.6, ratio=3.0), dict(pavilion_angles_deg=(45.0,))],
    "cabochon": [dict(ratio=1.4, dome=0.5, base_dome=0.1), dict(dome=0.2, girdle_thickness=0.1)],
    "pearl": [dict(ratio=1.1)],
}
CASES = [(c, {}) for c in C.CUTS if c != "round-brilliant"] + [(c, kw) for c, kws in VARIATIONS.items()
                                                               for kw in kws]


def case_id(case) -> str:
    cut, kw = case
    return cut + ("-" + "-".join(f"{k}={v}" for k, v in kw.items()) if kw else "")


def size_for(cut: str, kw: dict, width: float = 5.0) -> tuple[float, float]:
    ratio = kw.get("ratio", C.default_proportions(cut)["ratio"])
    return ratio * width, width


def _build(cut, kw, width):
    return C.make_stone(cut, size_mm=size_for(cut, kw, width), **{k: v for k, v in kw.items() if k != "ratio"})


def face_normals(part: A.MeshPart) -> np.ndarray:
    tri = part.vertices.astype(np.float64)[part.faces]
    n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    return n / np.linalg.norm(n, axis=1, keepdims=True)


def projected_areas(part: A.MeshPart) -> np.ndarray:
    """Signed area of each triangle projected onto the x-z plane, seen from +Y (positive: faces up)."""
    t = part.vertices.astype(np.float64)[part.faces]
    a, b, c = t[:, 0], t[:, 1], t[:, 2]
    # seen from +Y the (z, x) axes are right-handed
    return 0.5 * ((b[:, 2] - a[:, 2]) * (c[:, 0] - a[:, 0]) - (c[:, 2] - a[:, 2]) * (b[:, 0] - a[:, 0]))


def shoelace(p: np.ndarray) -> float:
    return 0.5 * float(np.sum(p[:, 0] * np.roll(p[:, 1], -1) - np.roll(p[:, 0], -1) * p[:, 1]))


def distinct_planes(part: A.MeshPart, tol: float = 1e-5):
    v = part.vertices.astype(np.float64)
    fn = face_normals(part)
    off = np.einsum("ij,ij->i", fn, v[part.faces[:, 0]])
    size = float(np.ptp(v, axis=0).max())
    planes: list[tuple[np.ndarray, float]] = []
    for n, d in zip(fn, off):
        if not any(np.dot(p, n) > 1 - tol and abs(q - d) < tol * size for p, q in planes):
            planes.append((n, d))
    return planes


def facets(part: A.MeshPart) -> int:
    """Planar facets that are not vertical (the girdle's facets are not counted)."""
    return sum(1 for n, _ in distinct_planes(part) if abs(n[1]) > 1e-6)


# --------------------------------------------------------------------------- #
# Closed, outward, well-formed meshes
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_closed_outward_and_well_formed(case):
    cut, kw = case
    part = _build(cut, kw, 5.0)
    assert part.role == "stone" and part.name == "stone"
    assert part.vertices.dtype == np.float32 and part.faces.dtype == np.uint32
    m = part.to_trimesh()  # welded
    assert m.is_watertight
    assert m.is_winding_consistent
    assert m.volume > 0
    # the raw arrays wind the same way as the welded mesh (outward)
    assert A.signed_volume(part.vertices, part.faces.astype(np.int64)) == pytest.approx(m.volume, rel=1e-5)
    assert m.area_faces.min() > 1e-6, "degenerate triangle"
    f = m.faces
    assert np.all((f[:, 0] != f[:, 1]) & (f[:, 1] != f[:, 2]) & (f[:, 0] != f[:, 2]))
    assert len(np.unique(np.sort(part.faces, axis=1), axis=0)) == len(part.faces), "duplicate faces"
    # every cut but the heart is convex: nothing dents inward
    hull = m.convex_hull.volume
    if cut == "heart":
        assert m.volume < hull * 0.999  # the cleft
    else:
        # step cuts, the princess and the oval (the round stretched) are exactly convex; the
        # other fancy brilliants' warped facets may fold in very slightly
        convex = cut not in FANCY_BRILLIANTS or cut == "oval"
        assert m.volume == pytest.approx(hull, rel=1e-6 if convex else 3e-3)
    if cut in ("cabochon", "pearl"):
        assert part.normals is not None and part.normals.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(part.normals, axis=1), 1.0, atol=1e-5)
        fn = face_normals(part)
        dots = np.einsum("fj,fkj->fk", fn, part.normals.astype(np.float64)[part.faces])
        assert dots.min() > 0.9, "smooth normals disagree with the faces they shade"
    else:
        assert part.normals is None  # faceted: shade flat


@pytest.mark.parametrize("case", [c for c in CASES if c[0] in FACETED], ids=case_id)
def test_crown_and_pavilion_do_not_fold(case):
    """Seen from above, the crown covers the outline exactly once (no fold or overlap), and so
    does the pavilion from below: the surfaces are graphs over the girdle outline."""
    cut, kw = case
    part = _build(cut, kw, 5.0)
    area = shoelace(C.outline(part))
    a = projected_areas(part)
    up, down = a[a > 1e-12].sum(), -a[a < -1e-12].sum()
    assert up == pytest.approx(area, rel=2e-3)
    assert down == pytest.approx(area, rel=2e-3)


# --------------------------------------------------------------------------- #
# Frame and size
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bounding_box_is_the_requested_size(case):
    cut, kw = case
    L, W = size_for(cut, kw, 4.3)
    part = _build(cut, kw, 4.3)
    v = part.vertices.astype(np.float64)
    assert np.ptp(v[:, 0]) == pytest.approx(W, rel=1e-6)  # width along X
    assert np.ptp(v[:, 2]) == pytest.approx(L, rel=1e-6)  # length along +Z
    # outline centred on the stone's axis
    assert abs(v[:, 0].max() + v[:, 0].min()) < 1e-5 * W
    assert abs(v[:, 2].max() + v[:, 2].min()) < 1e-5 * L


@pytest.mark.parametrize("cut", [c for c in C.CUTS if c not in ("round-brilliant",)])
def test_table_up_and_girdle_at_y0(cut):
    part = C.make_stone(cut, carat=0.7)
    v = part.vertices.astype(np.float64)
    W = np.ptp(v[:, 0])
    # the girdle (widest section) is symmetric about y = 0: the points that set the
    # width sit at +-half the girdle height
    widest = v[np.abs(v[:, 0]) > v[:, 0].max() - 1e-5 * W]
    assert abs(widest[:, 1].max() + widest[:, 1].min()) < 1e-5 * W
    assert widest[:, 1].max() < 0.16 * W  # a girdle, not the whole stone
    # the top faces up: a table (a horizontal facet of real area) or a dome's apex
    top = v[:, 1].max()
    assert top > 0 > v[:, 1].min() or cut == "cabochon"
    fn = face_normals(part)
    at_top = np.all(np.abs(v[part.faces][:, :, 1] - top) < 1e-6 * W, axis=1)
    if cut in ("cabochon", "pearl"):
        apex = v[np.argmax(v[:, 1])]
        assert np.hypot(apex[0], apex[2]) < 1e-6 * W
        assert part.normals[np.argmax(v[:, 1])][1] == pytest.approx(1.0, abs=1e-6)
    else:
        assert at_top.any() and np.all(fn[at_top][:, 1] > 1 - 1e-6)
        t = part.vertices.astype(np.float64)[part.faces[at_top]]
        table_area = 0.5 * np.abs(np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])[:, 1]).sum()
        assert table_area > 0.15 * W * W * (np.ptp(v[:, 2]) / W) * 0.5
        # the culet / keel is the lowest point, under the table
        assert v[:, 1].min() < -0.3 * W


def test_long_axis_and_points_along_plus_z():
    for cut in ("oval", "marquise", "pear", "emerald", "baguette"):
        v = C.make_stone(cut, carat=1.0).vertices.astype(np.float64)
        assert np.ptp(v[:, 2]) > 1.2 * np.ptp(v[:, 0]), cut
    for cut in ("pear", "heart"):
        v = C.make_stone(cut, size_mm=(9.0, 6.0) if cut == "pear" else 6.0).vertices.astype(np.float64)
        g = v[np.abs(v[:, 1]) < 0.1]
        reach = 0.7 * np.ptp(v[:, 2]) / 2
        near_plus = np.ptp(g[g[:, 2] > reach][:, 0])
        near_minus = np.ptp(g[g[:, 2] < -reach][:, 0])
        assert near_plus < 0.6 * near_minus, f"{cut}: the point should be at +Z"
    # the tapered baguette's narrow end is +Z
    v = C.make_stone("baguette", size_mm=(9.0, 3.0), taper=0.6).vertices.astype(np.float64)
    g = v[np.abs(v[:, 1]) < 0.05]
    assert np.ptp(g[g[:, 2] > 4.4][:, 0]) == pytest.approx(1.8, abs=1e-5)
    assert np.ptp(g[g[:, 2] < -4.4][:, 0]) == pytest.approx(3.0, abs=1e-5)


def test_round_brilliant_is_delegated():
    a = C.make_stone("round-brilliant", carat=1.0, crown_angle_deg=33.0)
    b = A.round_brilliant(carat=1.0, crown_angle_deg=33.0)
    np.testing.assert_array_equal(a.vertices, b.vertices)
    np.testing.assert_array_equal(a.faces, b.faces)
    d = A.carat_to_diameter_mm(1.0)
    assert C.carat_to_size_mm("round-brilliant", 1.0) == pytest.approx((d, d), rel=1e-12)
    assert C.size_mm_to_carat("round-brilliant", d) == pytest.approx(1.0, rel=1e-9)
    np.testing.assert_array_equal(C.make_stone("round-brilliant", size_mm=6.0).vertices,
                                  A.round_brilliant(diameter_mm=6.0).vertices)


# --------------------------------------------------------------------------- #
# Weight
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_carat_round_trip(case):
    cut, kw = case
    carat, dens = 1.37, 3.52
    L, W = C.carat_to_size_mm(cut, carat, density_g_cm3=dens, **kw)
    assert L / W == pytest.approx(kw.get("ratio", C.default_proportions(cut)["ratio"]), rel=1e-12)
    # the inverse, from the size (model volume in float64)
    rest = {k: v for k, v in kw.items() if k != "ratio"}
    assert C.size_mm_to_carat(cut, (L, W), density_g_cm3=dens, **rest) == pytest.approx(carat, rel=1e-9)
    # the mesh itself weighs that (its float32 vertices round the volume by ~1e-7)
    part = C.make_stone(cut, carat=carat, density_g_cm3=dens, **kw)
    vol = part.to_trimesh().volume
    assert vol * 1e-3 * dens / 0.2 == pytest.approx(carat, rel=1e-6)
    v = part.vertices.astype(np.float64)
    assert (np.ptp(v[:, 2]), np.ptp(v[:, 0])) == pytest.approx((L, W), rel=1e-6)
    # volume scales with size^3 at a fixed ratio
    assert C.size_mm_to_carat(cut, (2 * L, 2 * W), density_g_cm3=dens, **rest) == pytest.approx(8 * carat,
                                                                                              rel=1e-9)
    # a lighter material is larger at the same weight
    assert C.carat_to_size_mm(cut, carat, density_g_cm3=2.7, **kw)[1] > W


# One-carat sizes from trade tables, each built at the table's own length/width
# ratio and compared within 8 % (the tables themselves differ by ~5-10 %):
#   oval 7.75 x 5.50 mm: phioro.com, "How do you read an oval diamond size?" ("a well cut
#       oval diamond should measure close to 7.75 x 5.50 mm" for 1 ct);
#   pear 7.7 x 5.7 mm: Kobelli, "Pear diamond stone sizing chart" (7.7x5.7 mm = 1.00 ct);
#   marquise 10.0 x 5.0 mm: jewelrynotes.com, "Determine carat weight of marquise and pear
#       cut diamonds by measurements" (10.0 x 5.0 mm - 1.00 ct);
#   emerald 7 x 5 mm and heart 6.5 x 6.5 mm: gottrocks.com "Stone size conversion" chart
#       (1.00 ct row);
#   princess 5.5 mm: kanjimull.com "Diamond carat weight guide" ("a 1ct Princess diamond
#       ... ~5.50 mm");
#   cushion 5.6 mm, asscher 5.4 mm: StoneAlgo "Diamond size chart" (average 1 ct sizes).
TRADE_1CT = {
    "oval": (7.75, 5.50),
    "pear": (7.7, 5.7),
    "marquise": (10.0, 5.0),
    "emerald": (7.0, 5.0),
    "heart": (6.5, 6.5),
    "princess": (5.5, 5.5),
    "cushion": (5.6, 5.6),
    "asscher": (5.4, 5.4),
}


@pytest.mark.parametrize("cut", sorted(TRADE_1CT))
def test_one_carat_matches_trade_tables(cut):
    L_t, W_t = TRADE_1CT[cut]
    L, W = C.carat_to_size_mm(cut, 1.0, ratio=L_t / W_t)
    assert L == pytest.approx(L_t, rel=0.08)
    assert W == pytest.approx(W_t, rel=0.08)


# --------------------------------------------------------------------------- #
# Facets
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("cut,kw,expected", [
    ("princess", {}, 33),  # table + 2 x 4 crown steps + 4 corner bezels + 4 mains + 2 x 8 chevrons
    ("princess", dict(pavilion_angles_deg=(56.0, 46.0, 40.0, 34.0)), 41),
    ("emerald", {}, 49),  # 25 crown + 24 pavilion (57 counting the 8 girdle facets)
    ("emerald", dict(pavilion_angles_deg=(55.0, 46.0, 40.0, 34.0)), 57),
    ("asscher", {}, 57),  # 25 crown + 32 pavilion
    ("baguette", {}, 13),  # table + 4 crown + 8 pavilion
    ("baguette", dict(taper=0.7), 13),
    ("oval", dict(girdle_subdivisions=1), 57),  # the round stretched: every facet planar
    ("oval", dict(girdle_subdivisions=1, culet=0.02), 58),
])
def test_planar_facet_counts(cut, kw, expected):
    assert C.facet_count(cut, **kw) == expected
    part = C.make_stone(cut, carat=1.0, **kw)
    assert facets(part) == expected
    girdle = [n for n, _ in distinct_planes(part) if abs(n[1]) <= 1e-6]
    if cut in STEP or cut == "princess":
        # step facets are planar polygons: each plane is one facet, triangulated
        sides = 8 if C.default_proportions(cut).get("corner", 0.0) > 0 else 4
        assert len(girdle) == sides
    else:
        assert len(girdle) == 16


@pytest.mark.parametrize("cut", FANCY_BRILLIANTS)
@pytest.mark.parametrize("subdiv", [1, 2, 3])
def test_fancy_brilliant_topology(cut, subdiv):
    """The round's 57 facets on the outline: 6 table + 8 star + 16 bezel + 16 m upper-girdle +
    32 m girdle + 16 m lower-girdle + 16 pavilion-main triangles, m girdle points per round girdle facet."""
    part = C.make_stone(cut, carat=1.0, girdle_subdivisions=subdiv)
    assert part.n_triangles == 46 + 64 * subdiv
    assert C.facet_count(cut, girdle_subdivisions=subdiv) == 57
    v = part.vertices.astype(np.float64)
    # the table is one horizontal octagon
    top = np.flatnonzero(v[:, 1] > v[:, 1].max() - 1e-6)
    assert len(top) == 8
    # the girdle outline has 16 m points
    assert len(C.outline(part)) == 16 * subdiv


def test_princess_corners_are_pointed_and_asscher_corners_cut():
    v = C.make_stone("princess", size_mm=5.0).vertices.astype(np.float64)
    for sx in (-2.5, 2.5):
        for sz in (-2.5, 2.5):
            assert np.min(np.hypot(v[:, 0] - sx, v[:, 2] - sz)) < 1e-5
    o = C.outline("asscher", size_mm=5.0)
    assert len(o) == 8
    corner = 0.22 * 5.0  # default corner leg
    assert shoelace(o) == pytest.approx(25.0 - 2 * corner ** 2, rel=1e-5)
    # pavilion of a square step cut meets in a point; of an emerald in a keel along Z
    for cut, keel in (("asscher", 0.0), ("emerald", 5.0 * 1.4 - 5.0)):
        v = C.make_stone(cut, size_mm=(5.0 * (1.4 if cut == "emerald" else 1.0), 5.0)).vertices.astype(np.float64)
        low = v[v[:, 1] < v[:, 1].min() + 1e-5]
        assert np.ptp(low[:, 0]) < 1e-5
        assert np.ptp(low[:, 2]) == pytest.approx(keel, abs=1e-5)


def test_step_cut_steps_follow_the_angles():
    """Each crown step rises at its angle on the long sides (the facet normals' tilt)."""
    angles = (44.0, 33.0, 21.0)
    part = C.make_stone("emerald", size_mm=(7.0, 5.0), crown_angles_deg=angles, corner=0.1)
    n = face_normals(part)
    c = part.vertices.astype(np.float64)[part.faces].mean(axis=1)
    # +X long side, crown facets (normal +y, pointing +x)
    side = (n[:, 1] > 1e-6) & (n[:, 1] < 1 - 1e-6) & (np.abs(n[:, 2]) < 1e-6) & (n[:, 0] > 0)
    tilts = sorted({round(math.degrees(math.acos(n[i, 1])), 6) for i in np.flatnonzero(side)}, reverse=True)
    assert tilts == pytest.approx(list(angles), abs=1e-3)
    assert np.all(c[side][:, 0] > 0)
    # the table: table x width
    top = part.vertices.astype(np.float64)
    tv = top[top[:, 1] > top[:, 1].max() - 1e-6]
    assert np.ptp(tv[:, 0]) == pytest.approx(C.default_proportions("emerald")["table"] * 5.0, rel=1e-5)


def test_oval_angles_on_the_short_axis():
    """The oval is the round stretched along Z: on the short axis the crown and pavilion
    mains keep the round's angles."""
    part = C.make_stone("oval", size_mm=(8.0, 5.5), crown_angle_deg=35.0, pavilion_angle_deg=41.5,
                        girdle_subdivisions=1)
    n = face_normals(part)
    on_x = (np.abs(n[:, 2]) < 1e-6) & (n[:, 0] > 0.1)
    tilts = {round(math.degrees(math.acos(abs(n[i, 1]))), 4) for i in np.flatnonzero(on_x) if abs(n[i, 1]) > 1e-6}
    assert tilts == {35.0, 41.5}


def test_heart_keeps_its_cleft():
    o = C.outline("heart", size_mm=6.0)
    v = C.make_stone("heart", size_mm=6.0).vertices.astype(np.float64)
    assert shoelace(o) > 0  # counter-clockwise
    # on the axis, the outline's -Z end is the cleft: it lies inside the lobes' reach
    on_axis = o[np.abs(o[:, 0]) < 1e-6]
    cleft = on_axis[:, 1].min()
    assert cleft > v[:, 2].min() + 0.5  # default cleft 0.10 x width = 0.6 mm deep
    assert cleft == pytest.approx(v[:, 2].min() + 0.6, abs=1e-3)
    deeper = C.outline("heart", size_mm=6.0, cleft_depth=0.15)
    assert deeper[np.abs(deeper[:, 0]) < 1e-6][:, 1].min() > cleft


def test_outline_is_the_girdle_section():
    o = C.outline("emerald", size_mm=(7.0, 5.0), corner=0.1)
    assert o.shape == (8, 2)
    assert shoelace(o) == pytest.approx(35.0 - 2 * 0.5 ** 2, rel=1e-5)
    assert np.ptp(o[:, 0]) == pytest.approx(5.0, rel=1e-6) and np.ptp(o[:, 1]) == pytest.approx(7.0, rel=1e-6)
    p = C.outline("pearl", size_mm=4.0)
    r = np.hypot(p[:, 0], p[:, 1])
    assert r.max() == pytest.approx(2.0, rel=1e-4) and r.min() > 1.99
    # above the girdle the section shrinks (a crown), and a plane that misses raises
    o_up = C.outline("oval", size_mm=(8.0, 6.0), y=0.5)
    assert shoelace(o_up) < shoelace(C.outline("oval", size_mm=(8.0, 6.0)))
    with pytest.raises(InvalidOptionError):
        C.outline("oval", size_mm=(8.0, 6.0), y=50.0)


# --------------------------------------------------------------------------- #
# Smooth stones
# --------------------------------------------------------------------------- #


def test_cabochon_profile():
    W = 8.0
    cab = C.make_stone("cabochon", size_mm=(10.0, W), dome=0.4, girdle_thickness=0.05)
    v = cab.vertices.astype(np.float64)
    hg = 0.025 * W
    assert v[:, 1].max() == pytest.approx(hg + 0.4 * W, rel=1e-6)
    assert v[:, 1].min() == pytest.approx(-hg, rel=1e-6)  # flat base
    base = C.make_stone("cabochon", size_mm=W, base_dome=0.1)
    assert base.vertices[:, 1].min() == pytest.approx(-(0.02 + 0.1) * W, rel=1e-5)
    # the volume is close to a half-ellipsoid on a thin elliptic cylinder
    exact = 2 / 3 * math.pi * 5.0 * 4.0 * 0.4 * W + math.pi * 5.0 * 4.0 * 2 * hg
    assert cab.to_trimesh().volume == pytest.approx(exact, rel=5e-3)


def test_pearl_is_a_sphere():
    p = C.make_stone("pearl", size_mm=7.0)
    v = p.vertices.astype(np.float64)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 3.5, rtol=1e-6)
    np.testing.assert_allclose(p.normals, v / 3.5, atol=1e-5)
    assert p.to_trimesh().volume == pytest.approx(4 / 3 * math.pi * 3.5 ** 3, rel=2e-3)
    # nacre ~2.7 g/cm^3: a 7 mm pearl is 179.6 mm^3, 0.485 g = 2.42 ct (9.7 pearl grains of 50 mg)
    assert C.size_mm_to_carat("pearl", 7.0, density_g_cm3=2.7) == pytest.approx(2.42, rel=0.01)


# --------------------------------------------------------------------------- #
# Options
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("cut,kwargs", [
    ("trillion", dict(carat=1.0)),  # unknown cut
    ("oval", dict()),  # neither carat nor size
    ("oval", dict(carat=1.0, size_mm=(7.0, 5.0))),  # both
    ("oval", dict(carat=-1.0)),
    ("oval", dict(carat=1.0, table=1.3)),
    ("oval", dict(carat=1.0, crown_angle_deg=80.0)),
    ("oval", dict(carat=1.0, ratio=5.0)),
    ("oval", dict(size_mm=(8.0, 5.0), ratio=1.4)),  # the ratio contradicts the size
    ("oval", dict(carat=1.0, facets=64)),  # unknown option
    ("oval", dict(carat=1.0, girdle_subdivisions=2.5)),
    ("oval", dict(carat=1.0, girdle_subdivisions=True)),
    ("oval", dict(size_mm="7x5")),
    ("oval", dict(size_mm=(7.0, float("nan")))),
    ("marquise", dict(size_mm=6.0)),  # a marquise is not round: ratio 1 out of range
    ("cushion", dict(carat=1.0, squareness=1.0)),
    ("heart", dict(carat=1.0, cleft_depth=0.5)),
    ("emerald", dict(carat=1.0, crown_angles_deg=(30.0, 40.0, 20.0))),  # not decreasing: concave
    ("emerald", dict(carat=1.0, pavilion_angles_deg=())),
    ("emerald", dict(carat=1.0, pavilion_angles_deg="steep")),
    ("emerald", dict(carat=1.0, corner=0.6)),
    ("emerald", dict(carat=1.0, taper=0.5)),  # only baguettes taper
    ("baguette", dict(carat=1.0, taper=0.5, corner=0.1)),
    ("baguette", dict(carat=1.0, taper=0.2, ratio=1.2)),  # too short for its taper
    ("princess", dict(carat=1.0, chevron_deg=25.0)),  # chevrons would cut the corners
    ("princess", dict(carat=1.0, corner_crown_angle_deg=45.0)),  # corner bezels cut away
    ("cabochon", dict(carat=1.0, segments=30)),
    ("cabochon", dict(carat=1.0, dome=0.0)),
    ("pearl", dict(carat=1.0, rings=7)),
    ("round-brilliant", dict(size_mm=(7.0, 5.0))),
    ("round-brilliant", dict(carat=1.0, ratio=1.2)),
])
def test_invalid_options_raise(cut, kwargs):
    with pytest.raises(InvalidOptionError) as e:
        C.make_stone(cut, **kwargs)
    assert e.value.code == "INVALID_OPTION"


def test_errors_list_the_valid_choices():
    with pytest.raises(InvalidOptionError) as e:
        C.make_stone("trillion", carat=1.0)
    assert e.value.details["valid"] == list(C.CUTS)
    with pytest.raises(InvalidOptionError) as e:
        C.make_stone("emerald", carat=1.0, squareness=3)
    assert "crown_angles_deg" in e.value.details["valid"]
    with pytest.raises(InvalidOptionError):
        C.carat_to_size_mm("pear", 0.0)
    with pytest.raises(InvalidOptionError):
        C.default_proportions("rose")
    with pytest.raises(InvalidOptionError):
        C.outline(C.make_stone("oval", carat=1.0), carat=1.0)


def test_defaults_are_listed_for_every_cut():
    for cut in C.CUTS:
        d = C.default_proportions(cut)
        assert d
        if cut != "round-brilliant":
            # the defaults build (explicitly passed, they change nothing)
            a = C.make_stone(cut, carat=0.5)
            b = C.make_stone(cut, carat=0.5, **d)
            np.testing.assert_array_equal(a.vertices, b.vertices)
