"""Tests of the parametric jewelry geometry (jewelrender.geometry.assets)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jewelrender.geometry import assets as A
from jewelrender.errors import InvalidOptionError

# --------------------------------------------------------------------------- #
# helpers
# --------------------------------------------------------------------------- #


def face_normals(part: A.MeshPart) -> np.ndarray:
    tri = part.vertices.astype(np.float64)[part.faces]
    n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    return n / np.linalg.norm(n, axis=1, keepdims=True)


def assert_closed_outward(part: A.MeshPart) -> None:
    """Watertight, consistently wound, outward (positive volume), no slivers."""
    assert part.vertices.dtype == np.float32 and part.vertices.shape[1] == 3
    assert part.faces.dtype == np.uint32 and part.faces.shape[1] == 3
    m = part.to_trimesh()  # welded
    assert m.is_watertight, part.name
    assert m.is_winding_consistent, part.name
    assert m.volume > 0, part.name
    # the raw arrays wind the same way as the welded mesh
    assert A.signed_volume(part.vertices, part.faces.astype(np.int64)) == pytest.approx(m.volume, rel=1e-4)
    assert m.area_faces.min() > 1e-7, f"{part.name}: degenerate triangle"
    assert len(np.unique(np.sort(part.faces, axis=1), axis=0)) == len(part.faces), "duplicate faces"
    # every face is a proper triangle (three distinct welded vertices)
    f = m.faces
    assert np.all((f[:, 0] != f[:, 1]) & (f[:, 1] != f[:, 2]) & (f[:, 0] != f[:, 2]))
    if part.normals is not None:
        assert part.normals.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(part.normals, axis=1), 1.0, atol=1e-5)
        # smooth normals agree with the faces they shade (outward, not smeared
        # across a crease): each corner's normal is within ~25 deg of its face's
        fn = face_normals(part)
        dots = np.einsum("fj,fkj->fk", fn, part.normals.astype(np.float64)[part.faces])
        assert dots.min() > 0.9, f"{part.name}: vertex normal off its face by {math.degrees(math.acos(dots.min())):.1f} deg"


def distinct_planes(part: A.MeshPart, tol: float = 1e-4):
    """Group faces into planes: list of (unit normal, offset, vertex ids)."""
    v = part.vertices.astype(np.float64)
    fn = face_normals(part)
    off = np.einsum("ij,ij->i", fn, v[part.faces[:, 0]])
    planes: list[list] = []
    for n, d, f in zip(fn, off, part.faces):
        for p in planes:
            if np.dot(p[0], n) > 1 - tol and abs(p[1] - d) < tol * 10:
                p[2].update(f.tolist())
                break
        else:
            planes.append([n, d, set(f.tolist())])
    return planes


def tilt_deg(n: np.ndarray) -> float:
    """Angle between a facet normal and the stone axis (+Y or -Y), degrees."""
    return math.degrees(math.acos(min(1.0, abs(n[1]))))


# --------------------------------------------------------------------------- #
# bands
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("width", [2.0, 4.0])
@pytest.mark.parametrize("profile", ["court", "flat"])
def test_band_dimensions_and_frame(width, profile):
    d_in, t = 17.3, 1.7
    band = A.court_band(d_in, width, t, profile=profile)
    assert band.name == "band" and band.role == "metal"
    v = band.vertices.astype(np.float64)
    r = np.hypot(v[:, 0], v[:, 1])  # distance from the ring axis (+Z)
    assert 2 * r.min() == pytest.approx(d_in, abs=1e-3)
    assert r.max() - r.min() == pytest.approx(t, abs=1e-3)
    assert v[:, 2].max() == pytest.approx(width / 2, abs=1e-4)
    assert v[:, 2].min() == pytest.approx(-width / 2, abs=1e-4)
    # a ring of revolution about +Z, centred on the origin (the uv-seam copies
    # at u = 1 / v = 1 excluded: they repeat the first meridian / profile point)
    own = (band.texcoords[:, 0] < 1.0) & (band.texcoords[:, 1] < 1.0)
    assert abs(v[own, 0].mean()) < 1e-3 and abs(v[own, 1].mean()) < 1e-3
    assert_closed_outward(band)
    # volume close to the rectangle-section annulus (less the rounding)
    annulus = math.pi * ((d_in / 2 + t) ** 2 - (d_in / 2) ** 2) * width
    vol = band.to_trimesh().volume
    assert 0.75 * annulus < vol < annulus
    assert 2000 <= band.n_triangles <= 8000


def test_court_profile_is_comfort_fit():
    band = A.court_band(17.3, 4.0, 1.7, profile="court")
    v = band.vertices.astype(np.float64)
    r = np.hypot(v[:, 0], v[:, 1])
    z = v[:, 2]
    inner = r < 17.3 / 2 + 0.85
    # inner surface convex towards the finger: tightest at the middle, opening
    # towards the edges; outer surface domed: highest in the middle.
    mid_in = r[inner & (np.abs(z) < 0.05)].min()
    edge_in = r[inner & (np.abs(z) > 1.5)].min()
    assert edge_in > mid_in + 0.05
    mid_out = r[~inner & (np.abs(z) < 0.05)].max()
    edge_out = r[~inner & (np.abs(z) > 1.5)].max()
    assert mid_out > edge_out + 0.2
    # smooth everywhere: no crease copies, every welded vertex is one raw vertex
    # apart from the uv seams (u = 1 repeats u = 0, v = 1 repeats v = 0)
    own = (band.texcoords[:, 0] < 1.0) & (band.texcoords[:, 1] < 1.0)
    assert len(band.to_trimesh().vertices) == int(own.sum())


def test_flat_band_is_flat_and_court_is_not():
    flat = A.court_band(17.3, 4.0, 1.7, profile="flat")  # 0.1 mm edge fillets
    v = flat.vertices.astype(np.float64)
    r = np.hypot(v[:, 0], v[:, 1])
    mid = np.abs(v[:, 2]) <= 1.9 + 1e-5
    # cylindrical inside and outside between the rounded edges
    np.testing.assert_allclose(np.unique(np.round(r[mid], 4)), [8.65, 10.35], atol=2e-4)
    court = A.court_band(17.3, 4.0, 1.7, profile="court")
    v = court.vertices.astype(np.float64)
    r = np.hypot(v[:, 0], v[:, 1])
    outer = (np.abs(v[:, 2]) <= 1.9) & (r > 9.5)
    assert np.ptp(r[outer]) > 0.05  # domed


def test_sharp_edges_split_vertices():
    band = A.court_band(17.3, 2.0, 1.7, profile="flat", edge_radius_mm=0.0)
    assert_closed_outward(band)  # includes "normals not smeared over the crease"
    welded = band.to_trimesh()
    assert len(welded.vertices) < len(band.vertices)  # crease copies exist
    # at a crease the copies carry perpendicular normals (a flat band's edge)
    v = band.vertices
    key = np.round(v, 5)
    _, inv, cnt = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    dup = np.flatnonzero(cnt[inv.ravel()] == 2)
    assert len(dup) > 0
    first = dup[0]
    twin = [i for i in dup if i != first and np.all(key[i] == key[first])][0]
    assert abs(float(np.dot(band.normals[first], band.normals[twin]))) < 1e-5
    # exact volume of the sharp rectangle-section band (a 128-gon annulus)
    s = 128
    poly = 0.5 * s * math.sin(2 * math.pi / s)
    exact = poly * ((17.3 / 2 + 1.7) ** 2 - (17.3 / 2) ** 2) * 2.0
    assert welded.volume == pytest.approx(exact, rel=1e-5)


def test_court_band_sharp_edges_closed():
    assert_closed_outward(A.court_band(16.0, 3.0, 2.0, profile="court", edge_radius_mm=0.0))


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(inner_diameter_mm=-1, width_mm=2, thickness_mm=1.7),
        dict(inner_diameter_mm=17, width_mm=0, thickness_mm=1.7),
        dict(inner_diameter_mm=17, width_mm=2, thickness_mm=float("nan")),
        dict(inner_diameter_mm=17, width_mm=2, thickness_mm=1.7, profile="knife"),
        dict(inner_diameter_mm=17, width_mm=2, thickness_mm=1.7, edge_radius_mm=5.0),
        dict(inner_diameter_mm=17, width_mm=2, thickness_mm=1.7, segments=4),
        dict(inner_diameter_mm=17, width_mm=2, thickness_mm=1.7, dome_mm=1.0, comfort_mm=0.8),
    ],
)
def test_band_rejects_bad_options(kwargs):
    with pytest.raises(InvalidOptionError):
        A.court_band(**kwargs)


# --------------------------------------------------------------------------- #
# round brilliant
# --------------------------------------------------------------------------- #


def mean_girdle_diameter(stone: A.MeshPart) -> float:
    v = stone.vertices.astype(np.float64)
    corner = np.hypot(v[:, 0], v[:, 2]).max()
    return corner * (1 + math.cos(math.pi / 16))  # (max + min width) / 2 of the 16-gon


def test_round_brilliant_facets_and_proportions():
    D = 6.5
    stone = A.round_brilliant(diameter_mm=D)
    assert stone.role == "stone" and stone.normals is None
    assert_closed_outward(stone)
    v = stone.vertices.astype(np.float64)
    assert mean_girdle_diameter(stone) == pytest.approx(D, rel=1e-5)

    planes = distinct_planes(stone)
    girdle = [p for p in planes if abs(p[0][1]) < 1e-6]
    facets = [p for p in planes if abs(p[0][1]) >= 1e-6]
    assert len(girdle) == 16
    assert len(facets) == 57
    crown = [p for p in facets if p[0][1] > 0]
    pav = [p for p in facets if p[0][1] < 0]
    assert len(crown) == 33 and len(pav) == 24

    # table: one octagon facing +Y, 53 % of the diameter corner to corner
    table = [p for p in crown if p[0][1] > 1 - 1e-9]
    assert len(table) == 1 and len(table[0][2]) == 8
    tv = v[sorted(table[0][2])]
    assert np.all(tv[:, 1] == pytest.approx(v[:, 1].max()))
    assert 2 * np.hypot(tv[:, 0], tv[:, 2]).max() / D == pytest.approx(0.53, abs=1e-5)

    # kites: 8 bezels at the crown angle, 8 pavilion mains at the pavilion angle
    bezels = [p for p in crown if len(p[2]) == 4]
    mains = [p for p in pav if len(p[2]) == 4]
    assert len(bezels) == 8 and len(mains) == 8
    for p in bezels:
        assert tilt_deg(p[0]) == pytest.approx(34.5, abs=0.1)
    for p in mains:
        assert tilt_deg(p[0]) == pytest.approx(40.75, abs=0.1)
    # stars and upper/lower girdle halves are triangles
    assert sorted(len(p[2]) for p in crown if len(p[2]) == 3) == [3] * 24
    assert sorted(len(p[2]) for p in pav if len(p[2]) == 3) == [3] * 16

    # Tolkowsky total depth 59-62 %; girdle plane at y = 0; table up
    depth = np.ptp(v[:, 1]) / D
    assert 0.59 <= depth <= 0.621
    g = v[np.abs(np.hypot(v[:, 0], v[:, 2]) - np.hypot(v[:, 0], v[:, 2]).max()) < 1e-5]
    assert g[:, 1].max() == pytest.approx(0.01 * D, abs=1e-5)
    assert g[:, 1].min() == pytest.approx(-0.01 * D, abs=1e-5)
    assert v[:, 1].max() > -v[:, 1].min() / 3  # the crown is up, the deep pavilion down
    culet = v[np.argmin(v[:, 1])]
    assert abs(culet[0]) < 1e-6 and abs(culet[2]) < 1e-6


def test_round_brilliant_parameters_flow_through():
    stone = A.round_brilliant(diameter_mm=5.0, table=0.57, crown_angle_deg=33.0, pavilion_angle_deg=41.2,
                              girdle_thickness=0.03, culet=0.02)
    assert_closed_outward(stone)
    planes = distinct_planes(stone)
    facets = [p for p in planes if abs(p[0][1]) >= 1e-6]
    assert len(facets) == 58  # with the culet
    culet = [p for p in facets if p[0][1] < -1 + 1e-9]
    assert len(culet) == 1 and len(culet[0][2]) == 8
    bezels = [p for p in facets if p[0][1] > 0 and len(p[2]) == 4]
    mains = [p for p in facets if p[0][1] < 0 and len(p[2]) == 5]  # truncated by the culet
    assert len(bezels) == 8 and len(mains) == 8
    assert all(tilt_deg(p[0]) == pytest.approx(33.0, abs=0.1) for p in bezels)
    assert all(tilt_deg(p[0]) == pytest.approx(41.2, abs=0.1) for p in mains)
    v = stone.vertices.astype(np.float64)
    top = v[v[:, 1] > v[:, 1].max() - 1e-6]
    assert 2 * np.hypot(top[:, 0], top[:, 2]).max() / 5.0 == pytest.approx(0.57, abs=1e-5)
    # the culet octagon's flat-to-flat width is 2 % of the diameter
    bot = v[v[:, 1] < v[:, 1].min() + 1e-6]
    assert len(bot) == 8
    assert 2 * np.hypot(bot[:, 0], bot[:, 2]).max() * math.cos(math.pi / 8) / 5.0 == pytest.approx(0.02, abs=1e-5)


def test_carat_diameter_conversion():
    d1 = A.carat_to_diameter_mm(1.0)
    assert 6.4 <= d1 <= 6.5  # the trade's 1 ct round
    assert A.diameter_mm_to_carat(d1) == pytest.approx(1.0, rel=1e-9)
    # volume scales with D^3
    assert A.carat_to_diameter_mm(2.0) == pytest.approx(d1 * 2 ** (1 / 3), rel=1e-9)
    # consistent with the mesh: volume x 3.52 g/cm^3 / 0.2 g
    stone = A.round_brilliant(carat=1.0)
    vol_mm3 = stone.to_trimesh().volume
    assert vol_mm3 * 1e-3 * 3.52 / 0.2 == pytest.approx(1.0, rel=1e-4)
    assert mean_girdle_diameter(stone) == pytest.approx(d1, rel=1e-5)
    # proportions matter: a deeper pavilion puts the weight below the girdle
    assert A.carat_to_diameter_mm(1.0, pavilion_angle_deg=43.0) < d1
    # other materials: moissanite is lighter, so a 1 ct is larger
    assert A.carat_to_diameter_mm(1.0, density_g_cm3=3.22) > d1
    # a small melee stone: 0.01 ct is about 1.3 mm
    assert 1.25 < A.carat_to_diameter_mm(0.01) < 1.45


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(),  # neither diameter nor carat
        dict(diameter_mm=6.5, carat=1.0),
        dict(carat=-1.0),
        dict(diameter_mm=6.5, crown_angle_deg=80.0),
        dict(diameter_mm=6.5, table=1.2),
        dict(diameter_mm=6.5, culet=0.095, lower_half_ratio=0.9),
    ],
)
def test_round_brilliant_rejects_bad_options(kwargs):
    with pytest.raises(InvalidOptionError):
        A.round_brilliant(**kwargs)


# --------------------------------------------------------------------------- #
# setting and ring
# --------------------------------------------------------------------------- #


def stone_planes(stone: A.MeshPart):
    fn = face_normals(stone)
    off = np.einsum("ij,ij->i", fn, stone.vertices.astype(np.float64)[stone.faces[:, 0]])
    return fn, off


def signed_distance_convex(points, planes) -> np.ndarray:
    """Signed distance-like depth into a convex stone (< 0 inside)."""
    fn, off = planes
    return (points @ fn.T - off).max(axis=1)


@pytest.fixture(scope="module")
def ring():
    return A.solitaire_ring(inner_diameter_mm=17.3)


def test_solitaire_parts_and_budget(ring):
    names = [p.name for p in ring]
    assert names[0] == "band" and names[-1] == "stone"
    assert "head" in names
    assert sorted(n for n in names if n.startswith("prong_")) == [f"prong_{i}" for i in range(4)]
    assert len(set(names)) == len(names)
    roles = {p.name: p.role for p in ring}
    assert roles["stone"] == "stone" and all(r == "metal" for n, r in roles.items() if n != "stone")
    for p in ring:
        assert_closed_outward(p)
    assert sum(p.n_triangles for p in ring) < 30000


def test_solitaire_piece_frame(ring):
    parts = {p.name: p for p in ring}
    band = parts["band"].vertices.astype(np.float64)
    stone = parts["stone"].vertices.astype(np.float64)
    r_band = np.hypot(band[:, 0], band[:, 1])
    r_out = r_band.max()
    # band axis +Z: the band spans z in [-1, 1] (2 mm) and surrounds the Z axis
    assert band[:, 2].min() == pytest.approx(-1.0, abs=1e-4) and band[:, 2].max() == pytest.approx(1.0, abs=1e-4)
    assert 2 * r_band.min() == pytest.approx(17.3, abs=1e-3)
    # stone on +Y, on the axis of symmetry x = z = 0, above the band's top
    c = stone.mean(axis=0)
    assert abs(c[0]) < 1e-3 and abs(c[2]) < 1e-3 and c[1] > r_out
    # table up: the top-most vertices form the table (8 of them), culet down
    top = stone[stone[:, 1] > stone[:, 1].max() - 1e-4]
    assert len(top) == 8
    culet = stone[np.argmin(stone[:, 1])]
    assert abs(culet[0]) < 1e-4 and abs(culet[2]) < 1e-4
    # the culet a little above the band's outer surface
    assert r_out < culet[1] < r_out + 1.5
    # 1 ct round of about 6.45 mm
    assert 2 * np.hypot(stone[:, 0], stone[:, 2]).max() == pytest.approx(6.45 * 1.0097, abs=0.05)


def test_prongs_grip_the_girdle(ring):
    parts = {p.name: p for p in ring}
    stone = parts["stone"]
    sv = stone.vertices.astype(np.float64)
    planes = stone_planes(stone)
    g_rad = np.hypot(sv[:, 0], sv[:, 2]).max()
    on_girdle = np.abs(np.hypot(sv[:, 0], sv[:, 2]) - g_rad) < 1e-4
    y_girdle_top = sv[on_girdle, 1].max()
    y_girdle_bot = sv[on_girdle, 1].min()
    y_table = sv[:, 1].max()
    head = parts["head"].vertices.astype(np.float64)
    angles = []
    for i in range(4):
        pv = parts[f"prong_{i}"].vertices.astype(np.float64)
        rho = np.hypot(pv[:, 0], pv[:, 2])
        # tip above the girdle plane, below the table
        assert pv[:, 1].max() > y_girdle_top + 0.2
        assert pv[:, 1].max() < y_table
        # reaches over the crown edge: metal above the girdle, inside its radius
        over = (pv[:, 1] > y_girdle_top) & (rho < g_rad - 0.2)
        assert over.any()
        # grips the girdle: the prong's seat overlaps the girdle band
        at_girdle = (pv[:, 1] > y_girdle_bot) & (pv[:, 1] < y_girdle_top + 0.05)
        assert rho[at_girdle].min() < g_rad
        # holds without cutting deep into the stone
        depth_in = signed_distance_convex(pv, planes)
        assert depth_in.min() < 0  # touches/overlaps the stone
        assert depth_in.min() > -0.3
        # the gallery touches every prong
        dist = np.linalg.norm(head[:, None, :] - pv[None, ::4, :], axis=2).min()
        assert dist < 0.5
        angles.append(math.degrees(math.atan2(pv[:, 2].mean(), pv[:, 0].mean())) % 360)
    # four prongs on the diagonals, 90 degrees apart
    assert sorted(round(a) for a in angles) == [45, 135, 225, 315]
    assert_feet_in_band(ring, width=2.0)


def assert_feet_in_band(parts, width):
    """Each prong's foot is sunk in the band: inside its section and width."""
    band = next(p for p in parts if p.name == "band").vertices.astype(np.float64)
    rb = np.hypot(band[:, 0], band[:, 1])
    r_in, r_out = rb.min(), rb.max()
    for p in parts:
        if not p.name.startswith("prong_"):
            continue
        pv = p.vertices.astype(np.float64)
        foot = pv[np.argmin(pv[:, 1])]  # the bottom of the foot's round end
        assert r_in + 0.2 < math.hypot(foot[0], foot[1]) < r_out - 0.2, p.name
        assert abs(foot[2]) < width / 2, p.name
        assert foot[1] > 0  # on the +Y (dorsal) side


@pytest.mark.parametrize("d_in,carat,prongs,width", [(15.0, 0.5, 4, 2.0), (20.0, 2.0, 6, 4.0), (16.0, 0.1, 3, 1.5)])
def test_solitaire_variants(d_in, carat, prongs, width):
    parts = A.solitaire_ring(inner_diameter_mm=d_in, stone_carat=carat, prongs=prongs, band_width_mm=width)
    by = {p.name: p for p in parts}
    assert len([n for n in by if n.startswith("prong_")]) == prongs
    for p in parts:
        assert_closed_outward(p)
    band = by["band"].vertices.astype(np.float64)
    stone = by["stone"].vertices.astype(np.float64)
    r_out = np.hypot(band[:, 0], band[:, 1]).max()
    assert 2 * np.hypot(band[:, 0], band[:, 1]).min() == pytest.approx(d_in, abs=1e-3)
    assert r_out < stone[:, 1].min() < r_out + 1.5
    assert mean_girdle_diameter(by["stone"]) == pytest.approx(A.carat_to_diameter_mm(carat), rel=1e-5)
    assert sum(p.n_triangles for p in parts) < 30000
    assert_feet_in_band(parts, width)
    # every prong reaches above the girdle plane
    girdle_y = by["stone"].vertices[:, 1].min() - A.round_brilliant(carat=carat).vertices[:, 1].min()
    for i in range(prongs):
        assert by[f"prong_{i}"].vertices[:, 1].max() > girdle_y + 0.2


def test_solitaire_options():
    parts = A.solitaire_ring(inner_diameter_mm=17.0, stone_diameter_mm=5.0, band_profile="flat",
                             crown_angle_deg=33.0, culet=0.01)
    stone = next(p for p in parts if p.name == "stone")
    assert mean_girdle_diameter(stone) == pytest.approx(5.0, rel=1e-5)
    assert len([p for p in distinct_planes(stone) if abs(p[0][1]) >= 1e-6]) == 58
    with pytest.raises(InvalidOptionError):
        A.solitaire_ring(inner_diameter_mm=17.0, crown_angle=33.0)  # misspelt cut option
    with pytest.raises(InvalidOptionError):
        A.solitaire_ring(inner_diameter_mm=17.0, band_profile="knife")
    with pytest.raises(InvalidOptionError):
        A.solitaire_ring(inner_diameter_mm=2.0)


def test_prong_setting_in_stone_frame():
    stone = A.round_brilliant(diameter_mm=5.0)
    parts = A.prong_setting(stone, prongs=3, prong_diameter_mm=0.7, gallery=False)
    assert [p.name for p in parts] == ["prong_0", "prong_1", "prong_2"]
    for p in parts:
        assert_closed_outward(p)
        pv = p.vertices.astype(np.float64)
        assert pv[:, 1].max() > 0.1  # above the girdle plane y = 0
        assert pv[:, 1].min() < stone.vertices[:, 1].min()  # feet below the culet
    with pytest.raises(InvalidOptionError):
        A.prong_setting(stone, prongs=2)
    lifted = A.translate(stone, (0, 5, 0))
    with pytest.raises(InvalidOptionError):
        A.prong_setting(lifted)  # not in its stone frame


# --------------------------------------------------------------------------- #
# transforms and the container
# --------------------------------------------------------------------------- #


def test_transform_rotation_and_mirror():
    band = A.court_band(17.0, 2.0, 1.5, segments=32)
    vol = band.to_trimesh().volume
    c, s = math.cos(0.7), math.sin(0.7)
    rot = np.array([[c, -s, 0, 1], [s, c, 0, 2], [0, 0, 1, 3], [0, 0, 0, 1]], dtype=float)
    moved = A.transform(band, rot)
    assert moved.to_trimesh().volume == pytest.approx(vol, rel=1e-5)
    np.testing.assert_allclose(moved.normals, band.normals @ rot[:3, :3].T, atol=1e-5)
    mirror = np.diag([-1.0, 1.0, 1.0, 1.0])
    flipped = A.transform(band, mirror)
    assert_closed_outward(flipped)  # winding reversed so faces stay outward
    assert flipped.to_trimesh().volume == pytest.approx(vol, rel=1e-5)
    merged = A.merge_parts([band, moved], "two")
    assert merged.n_triangles == 2 * band.n_triangles
    assert merged.to_trimesh().volume == pytest.approx(2 * vol, rel=1e-5)


def test_meshpart_validation_and_immutability():
    band = A.court_band(17.0, 2.0, 1.5, segments=32)
    with pytest.raises(ValueError):
        band.vertices[0, 0] = 1.0  # read-only arrays: parts can be shared safely
    with pytest.raises(InvalidOptionError):
        A.MeshPart("x", "wood", band.vertices, band.faces)
    with pytest.raises(InvalidOptionError):
        A.MeshPart("x", "metal", band.vertices, band.faces + len(band.vertices))
    with pytest.raises(InvalidOptionError):
        A.MeshPart("x", "metal", band.vertices, band.faces, band.normals[:-1])
    stone = A.round_brilliant(diameter_mm=4.0)
    flat = A.with_face_normals(stone)
    assert len(flat.vertices) == 3 * stone.n_triangles
    assert flat.to_trimesh().volume == pytest.approx(stone.to_trimesh().volume, rel=1e-5)
    np.testing.assert_allclose(flat.normals[::3], face_normals(stone), atol=1e-5)
    raw = band.to_trimesh(weld=False)
    assert len(raw.vertices) == len(band.vertices)
    np.testing.assert_allclose(raw.vertex_normals, band.normals, atol=1e-5)


def test_band_texcoords_run_around_the_circumference():
    band = A.court_band(17.3, 3.0, 1.7, segments=64)
    uv = band.texcoords.astype(np.float64)
    v = band.vertices.astype(np.float64)
    assert uv.shape == (len(v), 2) and uv.min() >= 0.0 and uv.max() <= 1.0
    # u is the angle about +Z measured from +X towards +Y (seam copies carry u = 1)
    theta = np.arctan2(v[:, 1], v[:, 0]) % (2 * np.pi)
    u = uv[:, 0] % 1.0
    assert np.allclose(np.exp(1j * 2 * np.pi * u), np.exp(1j * theta), atol=1e-5)
    # inside every triangle uv moves by less than one segment / one profile step: no seam jump
    tri = uv[band.faces]
    assert np.abs(tri[:, :, 0] - tri[:, :1, 0]).max() <= 1.0 / 64 + 1e-6
    assert np.abs(tri[:, :, 1] - tri[:, :1, 1]).max() < 0.5
    # dp/du of every triangle points along the band's tangent (about +Z, counter-clockwise)
    p0, p1, p2 = (v[band.faces[:, i]] for i in range(3))
    du1, dv1 = (tri[:, 1] - tri[:, 0]).T
    du2, dv2 = (tri[:, 2] - tri[:, 0]).T
    det = du1 * dv2 - du2 * dv1
    ok = np.abs(det) > 1e-12
    dpdu = ((p1 - p0) * dv2[:, None] - (p2 - p0) * dv1[:, None])[ok] / det[ok, None]
    c = (p0 + p1 + p2)[ok] / 3
    tangent = np.stack([-c[:, 1], c[:, 0], np.zeros(len(c))], axis=1)
    cos = np.einsum("ij,ij->i", dpdu, tangent) / (np.linalg.norm(dpdu, axis=1) * np.linalg.norm(tangent, axis=1))
    assert cos.min() > 0.99
    # transforms, merges and flat-shading keep the coordinates with their vertices
    moved = A.translate(band, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(moved.texcoords, band.texcoords)
    merged = A.merge_parts([band, moved], "two")
    assert merged.texcoords.shape == (2 * len(v), 2)
    flat = A.with_face_normals(band)
    np.testing.assert_array_equal(flat.texcoords, band.texcoords[band.faces].reshape(-1, 2))
    with pytest.raises(InvalidOptionError):
        A.MeshPart("x", "metal", band.vertices, band.faces, band.normals, band.texcoords[:-1])
