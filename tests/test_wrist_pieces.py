"""Tennis and chain bracelets, watches and the pose's forearm on the dev wrist photos (real detector and renderer)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from jewelrender.errors import CatalogError

TENNIS = "tennis-3mm-diamond-platinum"
CHAIN = "chain-cable-5mm-18k-yellow"
WATCH = "watch-40mm-steel-black-leather"
GOLD_WATCH = "watch-36mm-18k-yellow-brown-leather"
LEFT = "wristtryon_2c842165.jpg"
#: Right wrists: one close-up (1600 px) and one on a desk.
RIGHT = ("aakashtryon_ring_Test2.jpg", "wristtryon_647f9c6e.jpg")


def _prepared(data_dir, detector, name, pose=None):
    from jewelrender.camera import camera_from_photo
    from jewelrender.photo import load_photo
    from jewelrender.sites.wrist import WRIST

    ph = load_photo(data_dir / "photos" / "wrists" / name)
    hands = detector.detect(ph)
    opts = {"hand": "auto", "position": 0.3}
    gate = WRIST.gate(ph, hands, options=opts)
    hand = hands[gate.hand_index]
    cam = camera_from_photo(ph)
    return ph, hand, cam, WRIST.place(ph, hand, cam, options=opts, pose=pose)


@pytest.fixture(scope="module")
def placed(data_dir, detector):
    return {n: _prepared(data_dir, detector, n) for n in (LEFT, *RIGHT)}


def _fit():
    from jewelrender.sites.wrist import WristFit

    return WristFit(wrist_a_mm=28.0, wrist_b_mm=19.6, gravity_x=0.0, gravity_y=-1.0, bangle_inner_diameter_mm=63.0,
                    hand_stop_mm=10.0, radial_x=-1.0, hand="left")


@pytest.mark.parametrize("pid", [TENNIS, CHAIN])
def test_bracelet_lies_on_the_wrist_under_gravity(placed, pid):
    from jewelrender.library.catalog import get_piece
    from jewelrender.pieces.bracelet import relaxed_chain

    _, _, _, pl = placed[LEFT]
    fit = pl.fit
    design, state = relaxed_chain(get_piece(pid), fit)
    p = state.points * 1e3
    n = len(p)
    # at rest, rigid links, the customer's bracelet length to within one link
    assert state.at_rest and state.max_link_error < 1e-3
    # (its inside length: the joints' line runs the links' stand-off further out)
    inside = n * design.pitch_mm - 2 * math.pi * design.inner_offset_mm
    assert abs(inside - fit.bracelet_length_cm * 10.0) <= design.pitch_mm
    # on the wrist, not in it: no joint inside the wrist proxy inflated by the link's stand-off
    off, r = fit.forearm_stadium_mm()
    core = np.column_stack([np.clip(p[:, 0], -off, off), np.zeros(n)])
    dist = np.linalg.norm(p[:, :2] - core, axis=1)
    assert dist.min() >= r + design.inner_offset_mm - 0.2
    # gravity pulls it down onto the wrist's upper side: the joints touching the wrist are on the side
    # against gravity, and the slack hangs the other way, further from the wrist than any touching joint
    g = np.array([fit.gravity_x, fit.gravity_y])
    along = p[:, :2] @ g
    touching = dist < r + design.inner_offset_mm + 0.3
    assert touching.sum() >= 3 and along[touching].mean() < 0
    assert along.max() > dist[touching].max() + 2.0
    # it stays around the wrist at the placement (no force along the forearm)
    assert np.ptp(p[:, 2]) < 1.0


def test_bracelet_links_are_instances_of_one_mesh(placed):
    from jewelrender.geometry.assets import InstancedPart
    from jewelrender.library.catalog import get_piece
    from jewelrender.pieces import piece_parts
    from jewelrender.pieces.bracelet import link_design

    _, _, _, pl = placed[LEFT]
    parts = piece_parts(get_piece(TENNIS), pl.fit)
    assert [p.name for p in parts] == ["setting", "stone"] and all(isinstance(p, InstancedPart) for p in parts)
    setting, stone = parts
    assert setting.count == stone.count
    design = link_design(get_piece(TENNIS))
    inside = stone.count * design.pitch_mm - 2 * math.pi * design.inner_offset_mm
    assert abs(inside - pl.fit.bracelet_length_cm * 10) < 3.8
    assert len(stone.part.vertices) < 100  # one 57-facet brilliant, drawn count times
    # each instance is a rigid placement of the link whose table faces away from the wrist (+Y out)
    rot = stone.transforms[:, :3, :3]
    assert np.allclose(rot @ rot.transpose(0, 2, 1), np.eye(3), atol=1e-6)
    centre = stone.transforms[:, :3, 3]
    outward = centre[:, :2] / np.linalg.norm(centre[:, :2], axis=1, keepdims=True)
    assert (np.einsum("ki,ki->k", rot[:, :2, 1], outward) > 0.8).mean() > 0.9
    # neighbouring boxes do not overlap (the pitch leaves the hinge gap) and the loop closes
    d = np.linalg.norm(np.diff(np.vstack([centre, centre[:1]]), axis=0), axis=1)
    assert d.min() > 3.0 * 1.2 - 0.05
    assert len(setting.expand().vertices) == setting.count * len(setting.part.vertices)


@pytest.fixture(scope="module")
def chain_render(data_dir):
    from jewelrender.pipeline import Renderer

    with Renderer() as r:
        return r.try_on(data_dir / "photos" / "wrists" / LEFT, CHAIN, quality="preview", refine_lighting=False)


def test_chain_renders_as_instances_around_the_wrist(chain_render, placed):
    """One link mesh drawn once per link (a transform per copy), making a band across the forearm."""
    from jewelrender.library.catalog import get_piece
    from jewelrender.pieces import piece_parts

    _, hand, _, pl = placed[LEFT]
    rep = chain_render.report["render"]
    (link,) = piece_parts(get_piece(CHAIN), pl.fit)
    assert rep["instances"] == link.count and rep["triangles_stored"] == len(link.part.faces)
    assert rep["triangles"] == link.count * len(link.part.faces)
    ys, xs = np.nonzero(chain_render.mask > 0.5)
    fore = -np.asarray(pl.axis_px, float)
    xy = np.column_stack([xs + 0.5, ys + 0.5]) - pl.center_px
    along, across = xy @ fore, xy @ np.array([-fore[1], fore[0]])
    assert np.ptp(np.quantile(across, [0.02, 0.98])) > 0.8 * pl.wrist_width_px
    assert np.ptp(np.quantile(along, [0.02, 0.98])) < 0.3 * pl.wrist_width_px


def _dial_points(pl, cam, pid):
    """The watch's case centre, 12 o'clock (the dial texture's top) and crown, projected (px)."""
    from jewelrender.library.catalog import get_piece
    from jewelrender.pieces import piece_parts

    parts = {p.name: p for p in piece_parts(get_piece(pid), pl.fit)}
    dial = parts["dial"]
    top = dial.vertices[:, 1] > dial.vertices[:, 1].max() - 1e-3
    v, uv = dial.vertices[top].astype(float), dial.texcoords[top]
    centre = v.mean(axis=0)
    twelve = v[np.argmin(uv[:, 1])]                 # v = 0: the printed face's top row, where the 12 is
    crown = parts["crown"].vertices.astype(float).mean(axis=0)
    M = pl.piece_to_cam
    return [cam.project((np.asarray(x)[None] @ M[:3, :3].T + M[:3, 3]))[0] for x in (centre, twelve, crown)]


@pytest.mark.parametrize("name", [LEFT, *RIGHT])
def test_watch_dial_reads_upright_across_the_forearm(placed, name):
    """12 o'clock across the forearm towards the little finger; 3 o'clock (the crown) along it, to the hand on
    a left wrist and to the elbow on a right one: how the wearer reads a watch on either wrist."""
    _, hand, cam, pl = placed[name]
    c, twelve, crown = _dial_points(pl, cam, WATCH)
    fore = -np.asarray(pl.axis_px, float)  # towards the elbow
    fore /= np.linalg.norm(fore)
    u12 = (twelve - c) / np.linalg.norm(twelve - c)
    assert abs(float(u12 @ fore)) < 0.35
    # the little finger's side of the hand: from the index knuckle (5) to the little one (17)
    little = hand.image_px[17] - hand.image_px[5]
    assert float(u12 @ little) > 0
    u3 = (crown - c) / np.linalg.norm(crown - c)
    towards_hand = float(u3 @ -fore)
    assert (towards_hand > 0.7) if hand.handedness == "left" else (towards_hand < -0.7)
    # the case sits on the forearm just above the wrist bone: its centre beyond landmark 0, under a palm away
    palm_len = float(np.linalg.norm(hand.image_px[9] - hand.image_px[0]))
    along = float((c - hand.image_px[0]) @ fore)
    assert 0.15 * palm_len < along < 1.0 * palm_len


@pytest.fixture(scope="module")
def watch_render(data_dir):
    from jewelrender.pipeline import Renderer

    with Renderer() as r:
        return r.try_on(data_dir / "photos" / "wrists" / LEFT, WATCH, quality="preview", refine_lighting=False)


def test_watch_render_shows_a_legible_dial(watch_render, placed):
    """The printed hour batons read dark on the white dial, through the crystal, at preview quality."""
    from jewelrender.color import srgb8_to_linear
    from jewelrender.library.catalog import get_piece
    from jewelrender.pieces import piece_parts

    _, hand, cam, pl = placed[LEFT]
    img = srgb8_to_linear(watch_render.image).mean(axis=2)
    assert watch_render.report["placement"]["site"] == "wrist"
    dial = {p.name: p for p in piece_parts(get_piece(WATCH), pl.fit)}["dial"]
    top = dial.vertices[:, 1] > dial.vertices[:, 1].max() - 1e-3
    # the dial's face is planar in its texture coordinates: fit uv -> 3-D and find where the print lies
    uv1 = np.column_stack([dial.texcoords[top], np.ones(top.sum())]).astype(float)
    A, *_ = np.linalg.lstsq(uv1, dial.vertices[top].astype(float), rcond=None)
    M = pl.piece_to_cam

    def ring(rr, angles):
        uv = np.column_stack([0.5 + rr * np.sin(angles), 0.5 - rr * np.cos(angles), np.ones(len(angles))])
        px = cam.project((uv @ A) @ M[:3, :3].T + M[:3, 3])
        return np.array([img[int(y) - 1:int(y) + 2, int(x) - 1:int(x) + 2].min() for x, y in px])

    hours = 2 * np.pi * np.arange(1, 12) / 12          # the single batons (12's is doubled)
    batons, dial_px = ring(0.385, hours), ring(0.385, hours + np.pi / 12)
    assert np.median(batons) < 0.6 * np.median(dial_px)
    assert np.median(dial_px) > 0.05  # a white dial under the photo's light


def test_watch_shadow_darkens_only_skin_next_to_it(watch_render, placed, data_dir):
    from jewelrender.color import srgb8_to_linear
    from jewelrender.photo import load_photo
    from jewelrender.sites.proxies import raycast_capsules

    ph, hand, cam, pl = placed[LEFT]
    photo = load_photo(data_dir / "photos" / "wrists" / LEFT)
    before = srgb8_to_linear(photo.srgb).mean(axis=2)
    after = srgb8_to_linear(watch_render.image).mean(axis=2)
    mask = watch_render.mask
    darker = (after < 0.9 * before - 0.004) & (mask < 0.02)
    assert darker.sum() > 20  # it casts a shadow at all
    ys, xs = np.nonzero(darker)
    # on the body: the pixel's ray hits the wrist or hand proxy
    K = cam.K
    rays = np.column_stack([(xs + 0.5 - K[0, 2]) / K[0, 0], (ys + 0.5 - K[1, 2]) / K[1, 1], np.ones(len(xs))])
    rays /= np.linalg.norm(rays, axis=1, keepdims=True)
    _, _, idx = raycast_capsules(np.zeros_like(rays), rays, pl.proxies)
    assert (idx >= 0).mean() > 0.97
    # next to the piece: within a fifth of the wrist's width of its coverage
    import cv2

    near = cv2.dilate((mask > 0.02).astype(np.uint8), np.ones((3, 3), np.uint8),
                      iterations=max(1, int(0.2 * pl.wrist_width_px)))
    assert near[ys, xs].mean() > 0.97


#: The arm's outline where the watches' cases sit, read off the photos by hand (2026-12-03): x -> (y of the
#: top edge, y of the bottom edge), px; the forearm runs across both photos, the hand on the right.
ARM_OUTLINE = {
    LEFT: {80: (283, 418), 100: (279, 412), 120: (276, 405), 140: (272, 401)},
    "wristtryon_712a5439.jpg": {80: (185, 272), 100: (182, 268), 120: (179, 264), 140: (177, 262)},
}


@pytest.fixture(scope="module")
def strap_renders(data_dir, watch_render):
    from jewelrender.pipeline import Renderer

    with Renderer() as r:
        gold = r.try_on(data_dir / "photos" / "wrists" / "wristtryon_712a5439.jpg", GOLD_WATCH, quality="preview",
                        refine_lighting=False)
    return {LEFT: (WATCH, watch_render), "wristtryon_712a5439.jpg": (GOLD_WATCH, gold)}


@pytest.mark.parametrize("name", list(ARM_OUTLINE))
def test_watch_strap_wraps_round_the_arm_to_its_outline(strap_renders, data_dir, detector, name):
    """The strap shows on both sides of the case, across the arm, from the case out to the arm's own
    outline (where it turns behind the arm), and not past it into the background. Before the proxy was
    fitted to the measured outline, 712a5439's strap stopped mid-forearm (a 66 px prior wrist on an 86 px
    arm) and lost its upper side, and 2c842165's showed no strap, a lug standing past the arm."""
    from jewelrender.library.catalog import get_piece
    from jewelrender.pieces import piece_parts

    pid, res = strap_renders[name]
    _, _, cam, pl = _prepared(data_dir, detector, name)
    c, twelve, _ = _dial_points(pl, cam, pid)
    u = (twelve - c) / np.linalg.norm(twelve - c)          # across the arm, in the image
    v = np.array([-u[1], u[0]])
    parts = {p.name: p for p in piece_parts(get_piece(pid), pl.fit)}
    M = pl.piece_to_cam
    case = cam.project(parts["case"].vertices.astype(float) @ M[:3, :3].T + M[:3, 3])
    case_reach = np.abs((case - c) @ u).max()
    px_per_mm = pl.wrist_width_px / (2 * pl.fit.wrist_a_mm)
    ys, xs = np.nonzero(res.mask > 0.5)
    d = np.column_stack([xs + 0.5, ys + 0.5]) - c
    du, dv = d @ u, d @ v
    strap = (np.abs(dv) < 0.35 * get_piece(pid).band["width_mm"] * px_per_mm) & (np.abs(du) > case_reach + 1)
    xk = sorted(ARM_OUTLINE[name])
    top = np.interp(c[0], xk, [ARM_OUTLINE[name][x][0] for x in xk])
    bottom = np.interp(c[0], xk, [ARM_OUTLINE[name][x][1] for x in xk])
    # at the outline the strap's own thickness (and its clearance) stands past the skin; 3 mm more for the
    # proxy's fit and the hand-read outline (+-2 px)
    past = (get_piece(pid).band["thickness_mm"] + 0.3 + 3.0) * px_per_mm
    for edge_y in (top, bottom):
        edge = (edge_y - c[1]) / u[1]                       # signed distance along u to the outline
        side = strap & (np.sign(du) == np.sign(edge))
        assert side.sum() >= 5, (name, edge_y)              # the strap shows on this side
        reach = np.abs(du[side]).max()
        assert reach >= abs(edge) - 0.08 * pl.wrist_width_px, (name, edge_y, reach, edge)   # out to the outline
        assert reach <= abs(edge) + past, (name, edge_y, reach, edge)                       # not past it


def test_pose_elbow_steers_the_forearm(data_dir, detector):
    """Where the body shows, the forearm follows the pose's wrist-to-elbow line, not the palm's."""
    from jewelrender.landmarks import PoseDetector, PoseLandmark

    ph_name = "hagrid_rock_0cc7ad09.jpg"
    from jewelrender.photo import load_photo

    ph = load_photo(data_dir / "photos" / "wrists" / ph_name)
    with PoseDetector(segmentation=False) as pd:
        pose = pd.detect(ph).pose
    _, hand, _, with_pose = _prepared(data_dir, detector, ph_name, pose=pose)
    _, _, _, without = _prepared(data_dir, detector, ph_name)
    assert with_pose.details["forearm"]["source"] == "pose"
    assert without.details["forearm"]["source"] in ("hand", "outline")  # the palm's line, or turned by the outline
    arm = with_pose.details["forearm"]["pose_arm"].upper()
    d = pose.image_px[PoseLandmark[f"{arm}_ELBOW"]] - pose.image_px[PoseLandmark[f"{arm}_WRIST"]]
    d /= np.linalg.norm(d)
    fore_with = -np.asarray(with_pose.axis_px, float)
    fore_without = -np.asarray(without.axis_px, float)
    assert float(fore_with @ d) > 0.99
    # on this photo the palm's line is far off the arm (a bent wrist): the pose changes the frame
    assert float(fore_without @ d) < 0.9


@pytest.mark.parametrize("pid", [WATCH, GOLD_WATCH])
def test_watch_meshes_are_closed_and_sit_on_the_wrist(pid):
    from jewelrender.library.catalog import get_piece
    from jewelrender.pieces import piece_materials, piece_parts

    fit = _fit()
    parts = {p.name: p for p in piece_parts(get_piece(pid), fit)}
    assert {"case", "caseback", "crown", "lugs", "dial", "crystal", "hands", "strap"} <= set(parts)
    for p in parts.values():
        assert p.to_trimesh().is_watertight, p.name
    # the case back rests on the wrist's top; the crystal is over the dial, the hands between them
    assert parts["caseback"].bounds[0, 1] == pytest.approx(fit.wrist_b_mm + 0.3, abs=0.5)
    assert parts["dial"].bounds[1, 1] < parts["hands"].bounds[0, 1] + 0.3
    assert parts["hands"].bounds[1, 1] < parts["crystal"].bounds[0, 1]
    # the strap goes around the wrist outside the proxy
    v = parts["strap"].vertices.astype(float)
    off, r = fit.forearm_stadium_mm()
    core = np.column_stack([np.clip(v[:, 0], -off, off), np.zeros(len(v))])
    assert np.linalg.norm(v[:, :2] - core, axis=1).min() >= r
    assert v[:, 1].min() < -r  # under the wrist too
    mats = piece_materials(get_piece(pid))
    assert mats["crystal"]["bsdf"]["type"] == "dielectric" and mats["crystal"]["bsdf"]["int_ior"] > 1.7
    assert mats["strap"]["bsdf"]["type"] == "roughplastic"


def test_bracelet_and_watch_catalog_schemas_are_checked(tmp_path):
    from jewelrender.library.catalog import load_catalog

    def load(body):
        f = tmp_path / "c.toml"
        f.write_text('[pieces.c]\nsite = "wrist"\nmetal = "platinum-950"\n' + body)
        return load_catalog(f)["c"]

    assert load('kind = "tennis"\nstone = { gem = "diamond", size_mm = 2.5 }\n').band["width_mm"] == pytest.approx(3.0)
    assert load('kind = "watch"\ncase = { diameter_mm = 38 }\n').design["case"]["diameter_mm"] == 38.0
    for body in ('kind = "tennis"\nstone = { gem = "diamond", size_mm = 12 }\n',
                 'kind = "tennis"\n',
                 'kind = "chain"\nband = { link = "curb", length_mm = 5, width_mm = 4, wire_mm = 1 }\n',
                 'kind = "chain"\nband = { length_mm = 5, width_mm = 2, wire_mm = 1 }\n',
                 'kind = "watch"\ndial = { colour = [2, 0, 0] }\n',
                 'kind = "watch"\ncase = { diameter_mm = 30 }\nband = { width_mm = 24 }\n',
                 'kind = "watch"\nbezel = { width_mm = 3 }\n'):
        with pytest.raises(CatalogError):
            load(body)


def test_a_watch_already_worn_is_wrist_covered_and_nothing_is_written(data_dir, tmp_path):
    """wilor_test4: the chosen wrist wears a white watch where the piece would go."""
    import subprocess
    import sys

    out = tmp_path / "out.png"
    r = subprocess.run([sys.executable, "-m", "jewelrender", "try-on", str(data_dir / "photos" / "wrists" / "wilor_test4.jpg"),
                        "--piece", CHAIN, "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert r.returncode != 0 and r.stderr.startswith("error: WRIST_COVERED:"), r.stderr[-500:]
    assert "sleeve" in r.stderr and not out.exists() and list(tmp_path.iterdir()) == []


def test_a_sleeve_over_the_wrist_hides_the_piece_there(placed):
    """A sleeve painted over the forearm side of the wrist (a real photo, a fabric-coloured patch with the
    photo's own texture) is cut out of where the piece may show; the bare side is kept."""
    from jewelrender.scene import Crop
    from jewelrender.sites.wrist import wrist_visible_mask

    ph, hand, cam, pl = placed[LEFT]
    srgb = ph.srgb.copy()
    H, W = srgb.shape[:2]
    yy, xx = np.mgrid[0:H, 0:W]
    fore = -np.asarray(pl.axis_px, float)
    along = (xx + 0.5 - pl.center_px[0]) * fore[0] + (yy + 0.5 - pl.center_px[1]) * fore[1]
    sleeve = along > 0.1 * pl.wrist_width_px  # everything towards the elbow from just past the piece's centre
    grey = srgb.mean(axis=2, keepdims=True)
    srgb[sleeve] = np.clip(0.5 * grey[sleeve] + np.array([40, 60, 110]), 0, 255).astype(np.uint8)  # denim blue
    w = int(1.6 * pl.wrist_width_px)
    crop = Crop(int(pl.center_px[0]) - w // 2, int(pl.center_px[1]) - w // 2, w, w)
    vis, info = wrist_visible_mask(srgb, hand, cam, pl, crop)
    s_crop = sleeve[crop.slices]
    # on the wrist itself (the middle of its width), cut under the sleeve and kept on the bare side
    yy, xx = np.mgrid[0:w, 0:w]
    px = np.column_stack([xx.ravel() + crop.x + 0.5, yy.ravel() + crop.y + 0.5]) - pl.center_px
    across = np.abs(px @ np.array([-fore[1], fore[0]])).reshape(w, w)
    mid = across < 0.3 * pl.wrist_width_px
    on_sleeve = mid & s_crop
    bare = mid & ~s_crop & ((px @ fore).reshape(w, w) > -0.2 * pl.wrist_width_px)
    assert vis[on_sleeve].mean() < 0.1
    assert vis[bare].mean() > 0.9
    vis0, _ = wrist_visible_mask(ph.srgb, hand, cam, pl, crop)
    assert vis0[mid].mean() > 0.9  # the bare photo: the hairy wrist is skin
