"""The wrist site and the bangle family on the dev wrist photos (real detector, real renderer)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jewelrender.errors import InvalidOptionError, WristNotVisibleError

BANGLE = "bangle-round-6mm-18k-yellow"
#: A round bangle with a channel-set row of round diamonds (the issue's "with stones").
STONE_BANGLE = "bangle-round-channel-diamond-18k-white"
PHOTOS = ("wristtryon_066a7274.jpg", "wristtryon_2c842165.jpg", "wristtryon_e96c44c0.jpg")


def _placed(data_dir, detector, name):
    from jewelrender.camera import camera_from_photo
    from jewelrender.photo import load_photo
    from jewelrender.sites.wrist import WRIST

    ph = load_photo(data_dir / "photos" / "wrists" / name)
    hands = detector.detect(ph)
    gate = WRIST.gate(ph, hands, options={"hand": "auto", "position": 0.3})
    hand = hands[gate.hand_index]
    return ph, hand, WRIST.place(ph, hand, camera_from_photo(ph), options={"hand": "auto", "position": 0.3})


@pytest.fixture(scope="module")
def placements(data_dir, detector):
    return {n: _placed(data_dir, detector, n) for n in PHOTOS}


@pytest.mark.parametrize("name", PHOTOS)
def test_wrist_lies_beyond_landmark_0_away_from_the_hand(placements, name):
    _, hand, pl = placements[name]
    palm_c = hand.image_px[[0, 5, 9, 13, 17]].mean(axis=0)
    to_wrist = hand.image_px[0] - palm_c
    palm_len = float(np.linalg.norm(hand.image_px[9] - hand.image_px[0]))
    along = float((pl.center_px - hand.image_px[0]) @ to_wrist / np.linalg.norm(to_wrist))
    # on the forearm side of landmark 0, within half a palm's length of it
    assert 0.0 < along < 0.5 * palm_len
    # the piece's +Z (axis_px) points back towards the hand
    assert float(np.asarray(pl.axis_px) @ to_wrist) < 0
    rep = pl.to_report()
    assert 35.0 <= rep["wrist_width_mm"] <= 90.0 and rep["wrist_depth_mm"] < rep["wrist_width_mm"]
    assert 11.0 <= rep["wrist_circumference_cm"] <= 24.0
    assert rep["bracelet_length_cm"] >= rep["wrist_circumference_cm"] + 1.0
    assert rep["hand"] in ("left", "right") and rep["palm_facing"] in ("camera", "away")


@pytest.mark.parametrize("name", PHOTOS)
def test_bangle_is_never_smaller_than_the_hand_can_pass(placements, name):
    from jewelrender.library.catalog import get_piece
    from jewelrender.pieces import piece_parts
    from jewelrender.sites.wrist import HAND_CIRCUMFERENCE_TO_BREADTH, WRIST

    _, _, pl = placements[name]
    for pid in (BANGLE, "bangle-oval-8mm-platinum", STONE_BANGLE):
        parts = piece_parts(get_piece(pid), WRIST.piece_size_mm(pl))
        v = np.concatenate([p.vertices for p in parts if p.role == "metal"]).astype(float)
        centre = (v[:, :2].max(axis=0) + v[:, :2].min(axis=0)) / 2
        ang = np.arctan2(v[:, 1] - centre[1], v[:, 0] - centre[0])
        r = np.hypot(v[:, 0] - centre[0], v[:, 1] - centre[1])
        # the inner outline: the smallest radius in each of 90 angular bins
        bins = np.digitize(ang, np.linspace(-np.pi, np.pi, 91))
        inner = np.array([[np.cos(a), np.sin(a)] for a in np.linspace(-np.pi, np.pi, 90, endpoint=False)])
        radii = np.array([r[bins == b].min() for b in range(1, 91)])
        outline = inner * radii[:, None]
        perimeter = float(np.sum(np.linalg.norm(np.diff(np.vstack([outline, outline[:1]]), axis=0), axis=1)))
        # the compressed hand's circumference (ANSUR ratio x breadth), within the outline's sampling error
        assert perimeter >= 0.99 * HAND_CIRCUMFERENCE_TO_BREADTH * pl.hand_breadth_mm, pid
        assert perimeter > pl.wrist_circumference_mm, pid


def test_bangle_back_is_hidden_by_the_wrist(placements):
    from jewelrender.library.catalog import get_piece
    from jewelrender.pieces import piece_parts
    from jewelrender.sites.proxies import raycast_capsules
    from jewelrender.sites.wrist import WRIST

    ph, hand, pl = placements["wristtryon_2c842165.jpg"]
    parts = piece_parts(get_piece(BANGLE), WRIST.piece_size_mm(pl))
    v = np.concatenate([p.vertices for p in parts]).astype(float)
    M = pl.piece_to_cam
    cam = v @ M[:3, :3].T + M[:3, 3]
    view = pl.center_cam / np.linalg.norm(pl.center_cam)
    across = np.cross(pl.axis_cam, view)
    across /= np.linalg.norm(across)
    rel = cam - pl.center_cam
    half_w = pl.fit.wrist_a_mm * 1e-3 * 0.8
    # the bangle's far side, where it passes behind the wrist's silhouette
    back = cam[(rel @ view > 0.5 * pl.fit.wrist_b_mm * 1e-3) & (np.abs(rel @ across) < half_w)]
    assert len(back) > 100
    dirs = back / np.linalg.norm(back, axis=1, keepdims=True)
    t, _, idx = raycast_capsules(np.zeros_like(dirs), dirs, pl.proxies)
    hidden = (idx >= 0) & (t < np.linalg.norm(back, axis=1) - 1e-4)
    assert hidden.mean() > 0.95
    # and the front stays in view: not hidden by the proxies
    front = cam[(rel @ view < -0.9 * pl.fit.wrist_b_mm * 1e-3) & (np.abs(rel @ across) < half_w)]
    fd = front / np.linalg.norm(front, axis=1, keepdims=True)
    t, _, idx = raycast_capsules(np.zeros_like(fd), fd, pl.proxies)
    assert ((idx < 0) | (t >= np.linalg.norm(front, axis=1) - 2e-3)).mean() > 0.9


def _stones_in_camera(pl, parts):
    """Per stone part: its centroid and its table's outermost point, camera frame (m)."""
    M = pl.piece_to_cam
    out = []
    for p in parts:
        if p.role == "stone":
            v = p.vertices.astype(float) @ M[:3, :3].T + M[:3, 3]
            out.append(v.mean(axis=0))
    return np.array(out)


def test_stone_bangle_sets_its_row_on_the_outer_surface_facing_the_camera(placements):
    """The diamonds sit in the band's outer surface (tables at it, culets inside the metal, not through
    it), across the band's middle, on the side the bangle rests on (against gravity: towards the camera),
    and the camera sees them (no ray to a stone hits the wrist first)."""
    from jewelrender.library.catalog import get_piece
    from jewelrender.pieces import piece_parts
    from jewelrender.sites.proxies import raycast_capsules
    from jewelrender.sites.wrist import WRIST

    _, _, pl = placements["wristtryon_2c842165.jpg"]
    piece = get_piece(STONE_BANGLE)
    parts = piece_parts(piece, WRIST.piece_size_mm(pl))
    stones = [p for p in parts if p.role == "stone"]
    assert len(stones) == piece.accent["count"] and all(p.name.startswith("accent_") for p in stones)
    metal = np.concatenate([p.vertices for p in parts if p.role == "metal"]).astype(float)
    c = (metal[:, :2].max(axis=0) + metal[:, :2].min(axis=0)) / 2
    r_metal = np.hypot(*(metal[:, :2] - c).T)
    r_in, r_out = r_metal.min(), r_metal.max()
    z_mid = (metal[:, 2].max() + metal[:, 2].min()) / 2
    up = -np.array([pl.fit.gravity_x, pl.fit.gravity_y])
    for p in stones:
        v = p.vertices.astype(float)
        r = np.hypot(*(v[:, :2] - c).T)
        assert r_out - 0.6 < r.max() <= r_out + 0.05, p.name   # the table flush with the outer surface
        assert r.min() > r_in + 0.2, p.name                     # the culet inside the metal
        assert abs(v[:, 2].mean() - z_mid) < 0.05, p.name       # on the band's middle line
        d = v[:, :2].mean(axis=0) - c
        assert float(d @ up) / np.linalg.norm(d) > math.cos(math.radians(45)), p.name
    cam = _stones_in_camera(pl, parts)
    dirs = cam / np.linalg.norm(cam, axis=1, keepdims=True)
    t, _, idx = raycast_capsules(np.zeros_like(dirs), dirs, pl.proxies)
    assert ((idx < 0) | (t >= np.linalg.norm(cam, axis=1) - 1e-4)).all()


@pytest.fixture(scope="module")
def bangle_render(data_dir):
    """The bangle with stones on a dev photo (preview): the render tests below hold for any bangle."""
    from jewelrender.pipeline import Renderer

    with Renderer() as r:
        return r.try_on(data_dir / "photos" / "wrists" / "wristtryon_2c842165.jpg", STONE_BANGLE,
                        quality="preview", refine_lighting=False)


def test_stone_bangle_renders_its_stones_on_the_wrist(bangle_render, placements):
    """Every diamond shows in the composite where its 3-D position projects, over the arm's skin."""
    from jewelrender.camera import camera_from_photo
    from jewelrender.library.catalog import get_piece
    from jewelrender.pieces import piece_parts
    from jewelrender.sites.wrist import WRIST

    ph, _, pl = placements["wristtryon_2c842165.jpg"]
    assert bangle_render.report["piece"]["id"] == STONE_BANGLE
    cam = camera_from_photo(ph)
    px = cam.project(_stones_in_camera(pl, piece_parts(get_piece(STONE_BANGLE), WRIST.piece_size_mm(pl))))
    m = bangle_render.mask
    shown = [m[int(y), int(x)] > 0.5 for x, y in px]
    assert np.mean(shown) >= 0.9
    # the row lies across the arm, within its measured width around the placement's centre
    fore = -np.asarray(pl.axis_px, float)
    across = (px - pl.center_px) @ np.array([-fore[1], fore[0]])
    assert np.abs(across).max() < 0.5 * pl.wrist_width_px


def test_bangle_render_sits_on_the_wrist(bangle_render, placements):
    _, hand, pl = placements["wristtryon_2c842165.jpg"]
    res = bangle_render
    rep = res.report["placement"]
    assert rep["site"] == "wrist" and res.report["piece"]["site"] == "wrist"
    ys, xs = np.nonzero(res.mask > 0.5)
    assert len(xs) > 500
    p0 = hand.image_px[0]
    fore = p0 - hand.image_px[[0, 5, 9, 13, 17]].mean(axis=0)
    fore /= np.linalg.norm(fore)
    palm_len = float(np.linalg.norm(hand.image_px[9] - p0))
    xy = np.column_stack([xs + 0.5, ys + 0.5]) - p0
    along = xy @ fore
    across = xy @ np.array([-fore[1], fore[0]])
    # between the hand and the forearm: within a quarter palm length of landmark 0 on the hand's
    # side, and no further than half a palm up the forearm
    assert np.quantile(along, 0.02) > -0.25 * palm_len and np.quantile(along, 0.98) < 0.5 * palm_len
    # a bangle is a band around the wrist, narrow along the forearm, spanning it across
    extent_along = np.quantile(along, 0.98) - np.quantile(along, 0.02)
    extent_across = np.quantile(across, 0.98) - np.quantile(across, 0.02)
    assert extent_across > 0.9 * rep["wrist_width_px"] and extent_across > 3 * extent_along
    # the pixels outside the piece are the photo's, untouched far from it
    assert res.report["score"]["score"] > 0.5


def test_finger_on_a_wrist_piece_is_invalid(tmp_path):
    from jewelrender.pipeline import try_on

    with pytest.raises(InvalidOptionError, match="finger"):
        try_on(tmp_path / "not-read.jpg", BANGLE, finger="ring")


def test_cli_refuses_finger_on_a_wrist_piece(data_dir):
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "jewelrender", "try-on",
                        str(data_dir / "photos" / "wrists" / "wristtryon_2c842165.jpg"), "--piece", BANGLE,
                        "--finger", "index"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.startswith("error: INVALID_OPTION:")


@pytest.mark.parametrize("name, what", [("palmistry_IMG_0364.jpg", "forearm"), ("ringtryon_assets_14.jpg", "wrist")])
def test_photo_without_a_visible_wrist_is_refused(data_dir, detector, name, what):
    from jewelrender.photo import load_photo
    from jewelrender.sites.wrist import WRIST

    ph = load_photo(data_dir / "photos" / "hands" / name)
    with pytest.raises(WristNotVisibleError) as e:
        WRIST.gate(ph, detector.detect(ph), options={"hand": "auto", "position": 0.3})
    assert e.value.code == "WRIST_NOT_VISIBLE" and e.value.details["what"] == what
    assert "forearm" in e.value.message  # it says what to photograph


def test_photo_without_any_hand_is_wrist_not_visible(detector):
    from jewelrender.photo import Photo, load_photo
    from jewelrender.sites.wrist import WRIST

    rng = np.random.default_rng(0)
    img = np.clip(150 + rng.normal(0, 20, (480, 480, 3)), 0, 255).astype(np.uint8)
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    ph = load_photo(buf.getvalue())
    assert isinstance(ph, Photo)
    with pytest.raises(WristNotVisibleError):
        WRIST.gate(ph, detector.detect(ph), options={"hand": "auto", "position": 0.3})


def test_wrist_options_are_checked():
    from jewelrender.sites.wrist import DEFAULT_WRIST_POSITION, WRIST

    assert WRIST.check_options() == {"hand": "auto", "position": DEFAULT_WRIST_POSITION}
    for bad in ({"position": 1.5}, {"position": True}, {"hand": "both"}, {"finger": "ring"}):
        with pytest.raises(InvalidOptionError):
            WRIST.check_options(**bad)


def test_bangle_catalog_schema_is_checked(tmp_path):
    from jewelrender.errors import CatalogError
    from jewelrender.library.catalog import load_catalog

    def load(band, site="wrist", kind="cuff"):
        f = tmp_path / "c.toml"
        f.write_text(f'[pieces.c]\nsite = "{site}"\nkind = "{kind}"\nmetal = "silver-925"\nband = {band}\n')
        return load_catalog(f)["c"]

    assert load("{ width_mm = 12.0, thickness_mm = 2.0, gap_deg = 30 }").band["gap_deg"] == 30.0
    for band, site, kind in (("{ width_mm = 12.0, thickness_mm = 2.0, colour = 1 }", "wrist", "cuff"),
                             ("{ width_mm = 12.0, thickness_mm = 2.0 }", "ring", "cuff"),
                             ("{ width_mm = 12.0, thickness_mm = 2.0, gap_deg = 30 }", "wrist", "bangle"),
                             ("{ width_mm = 0, thickness_mm = 2.0 }", "wrist", "cuff")):
        with pytest.raises(CatalogError):
            load(band, site, kind)
    # a stone row: round bangles only, a known setting style, a whole count, melee a ring's row takes
    row = '\naccent = { style = "channel", count = 12, melee_diameter_mm = 2.0, gem = "diamond" }'
    assert load("{ width_mm = 4.0, thickness_mm = 2.6 }" + row, kind="bangle").accent["count"] == 12
    for band, kind in (("{ width_mm = 4.0, thickness_mm = 2.6 }" + row, "cuff"),
                       ('{ width_mm = 4.0, thickness_mm = 2.6, shape = "oval" }' + row, "bangle"),
                       ("{ width_mm = 4.0, thickness_mm = 2.6 }" + row.replace("channel", "bezel"), "bangle"),
                       ("{ width_mm = 4.0, thickness_mm = 2.6 }" + row.replace("12", "12.5"), "bangle"),
                       ("{ width_mm = 4.0, thickness_mm = 2.6 }" + row.replace("2.0", "5.0"), "bangle")):
        with pytest.raises(CatalogError):
            load(band, "wrist", kind)


def test_ellipse_perimeter_is_ramanujans():
    from jewelrender.sites.wrist import ellipse_perimeter

    assert ellipse_perimeter(10, 10) == pytest.approx(2 * math.pi * 10)
    # numerical integral for a = 30, b = 21
    t = np.linspace(0, 2 * np.pi, 200001)
    exact = np.trapz(np.hypot(30 * np.sin(t), 21 * np.cos(t)), t)
    assert ellipse_perimeter(30, 21) == pytest.approx(exact, rel=1e-5)


@pytest.mark.parametrize("pid", ["bangle-round-6mm-18k-yellow", "bangle-oval-8mm-platinum", "cuff-open-14mm-sterling"])
def test_wrist_pieces_build_closed_meshes(pid):
    import trimesh

    from jewelrender.library import catalog, materials
    from jewelrender.pieces import piece_parts
    from jewelrender.sites.wrist import WristFit

    p = catalog.get_piece(pid)
    materials.metal(p.metal)
    fit = WristFit(wrist_a_mm=28.0, wrist_b_mm=19.6, gravity_x=0.0, gravity_y=-1.0,
                   bangle_inner_diameter_mm=63.0, hand_stop_mm=10.0)
    parts = piece_parts(p, fit)
    merged = trimesh.util.concatenate([part.to_trimesh() for part in parts])
    merged.merge_vertices(digits_vertex=4)
    assert merged.is_watertight
    v = np.concatenate([part.vertices for part in parts]).astype(float)
    assert np.ptp(v[:, 2]) == pytest.approx(p.band["width_mm"], abs=0.05)
    if p.kind == "cuff":  # grips: its inner outline is the wrist's ellipse + the clearance
        from jewelrender.pieces.bangle import CUFF_CLEARANCE_MM

        assert v[:, 0].min() == pytest.approx(-(28.0 + CUFF_CLEARANCE_MM + p.band["thickness_mm"]), abs=0.1)
        assert v[:, 1].max() == pytest.approx(19.6 + CUFF_CLEARANCE_MM + p.band["thickness_mm"], abs=0.2)
        assert v[:, 1].min() > -(19.6 + CUFF_CLEARANCE_MM + p.band["thickness_mm"])  # open on the palm side
    else:  # hangs: fallen along gravity (-Y) until its inner outline touches the wrist's ellipse
        cx, cy = (v[:, 0].max() + v[:, 0].min()) / 2, (v[:, 1].max() + v[:, 1].min()) / 2
        assert cy < -1.0  # it dropped
        A = np.abs(v[np.abs(v[:, 1] - cy) < 0.5, 0] - cx).min()
        B = np.abs(v[np.abs(v[:, 0] - cx) < 0.5, 1] - cy).min()
        t = np.linspace(0, 2 * np.pi, 720, endpoint=False)
        reach = (((28.0 * np.cos(t) - cx) / A) ** 2 + ((19.6 * np.sin(t) - cy) / B) ** 2).max()
        assert reach == pytest.approx(1.0, abs=0.02)  # touching, not cutting into the wrist nor floating


def test_another_hand_over_the_wrist_hides_the_piece_there(data_dir, detector):
    """wilor_test3: interlocked hands gripping each other's wrists. The other hand is skin-coloured, so the
    colour cut cannot see it; its landmarks mark where it covers the crop, not the chosen wrist itself, and a
    second detection of the same hand is not another hand."""
    from jewelrender.camera import camera_from_photo
    from jewelrender.photo import load_photo
    from jewelrender.scene import Crop
    from jewelrender.sites.wrist import WRIST, other_hands_mask

    ph = load_photo(data_dir / "photos" / "wrists" / "wilor_test3.jpg")
    hands = detector.detect(ph)
    hand = hands[WRIST.gate(ph, hands, options={"hand": "auto", "position": 0.3}).hand_index]
    cam = camera_from_photo(ph)
    pl = WRIST.place(ph, hand, cam, options={"hand": "auto", "position": 0.3})
    others = [h for h in hands if h is not hand]
    assert len(others) == 1
    whole = Crop(0, 0, ph.width, ph.height)
    over, info = other_hands_mask(hand, others, cam, pl, whole)
    assert info["other_hands_over_crop"] == 1
    at = lambda p: bool(over[int(round(p[1])), int(round(p[0]))])  # noqa: E731
    other = others[0].image_px
    assert all(at(other[i]) for i in (0, 5, 9, 13, 17, 8, 12))          # its palm and fingertips
    assert not at(pl.center_px) and not at(hand.image_px[9])            # the wrist wearing the piece is not
    assert over.mean() < 0.25                                           # a hand, not the frame
    same, info = other_hands_mask(hand, [hand], cam, pl, whole)
    assert not same.any() and info["other_hands_over_crop"] == 0
