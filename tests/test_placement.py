"""Ring placement and proxy geometry (stage 3) on the real dev photos."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from jewelrender.camera import camera_from_photo
from jewelrender.errors import FingerNotVisibleError, InvalidOptionError
from jewelrender.landmarks import FINGERS, HandLandmarks
from jewelrender.photo import load_photo
from jewelrender.sites.hand import (
    Capsule,
    RingPlacement,
    measure_width_px,
    place_ring,
    ring_inner_diameter_mm,
    us_ring_size,
)
from jewelrender.ringsize import equivalent_diameter_mm

DORSAL = ["11khands_female_dorsal.jpg", "ringtryon_target_left.jpg", "ringtryon_assets_4.jpg", "ringtryon_assets_14.jpg"]
#: Refused by the gate with FINGER_CURLED (tests/test_quality.py holds that).
CURLED = {"hagrid_none_0a787971.jpg", "hagrid_rock_1bed937b.jpg", "mediapipe_hand_thumb_up.jpg",
          "mediapipe_thumbs_up.png"}
PALMAR = [
    "11khands_female_palmar.jpg",
    "11khands_male_palmar.jpg",
    "palmistry_IMG_0364.jpg",
    "palmistry_IMG_0367.jpg",
    "palmistry_IMG_0370.jpg",
    "palmistry_hand1.jpg",
    "palmistry_hand6.jpg",
    "palmistry_hand70.jpg",
]


@pytest.fixture(scope="module")
def scenes(hand_photos, detector):
    """name -> (photo, camera, first hand or None): one detection per photo."""
    out = {}
    for p in hand_photos:
        photo = load_photo(p)
        hands = detector.detect(photo)
        out[p.name] = (photo, camera_from_photo(photo), hands[0] if hands else None)
    return out


@pytest.fixture(scope="module")
def placements(scenes):
    """Placements on every photo where the ring finger can carry a ring (hamer_test3 is refused: see below)."""
    out = {}
    for n, (ph, cam, h) in scenes.items():
        if h is None:
            continue
        try:
            out[n] = place_ring(ph, h, cam)
        except FingerNotVisibleError:
            assert n == "hamer_test3.jpg", f"{n}: ring finger unexpectedly refused"
    return out


# ---------------------------------------------------------------- ring sizes
def test_us_ring_size_formula():
    assert ring_inner_diameter_mm(0) == pytest.approx(11.63)
    assert ring_inner_diameter_mm(7) == pytest.approx(17.3196)
    for s in np.arange(3.0, 13.01, 0.5):
        assert us_ring_size(ring_inner_diameter_mm(s)) == s
    assert us_ring_size(17.5) == 7.0  # nearest half size (7.22)
    assert us_ring_size(10.0) == 3.0 and us_ring_size(30.0) == 13.0  # clamped
    for bad in (float("nan"), float("inf"), "x", None):
        with pytest.raises(InvalidOptionError):
            us_ring_size(bad)


# ---------------------------------------------------------------- on every dev photo
def test_every_detected_hand_gets_a_placement(scenes, placements):
    detected = [n for n, (_, _, h) in scenes.items() if h is not None]
    assert len(detected) >= 29
    assert set(detected) - set(placements) == {"hamer_test3.jpg"}  # the finger bent towards the lens


def test_center_on_the_ring_phalanx(scenes, placements):
    for name, pl in placements.items():
        h = scenes[name][2]
        a, b = h.image_px[13], h.image_px[14]
        ab = b - a
        t = float((pl.center_px - a) @ ab / (ab @ ab))
        foot = a + t * ab
        assert 0.0 <= t <= 1.0, name
        assert np.linalg.norm(pl.center_px - foot) < 2.0, name
        np.testing.assert_allclose(pl.axis_px, ab / np.linalg.norm(ab), atol=1e-9)


def test_projections_match_the_image(scenes, placements):
    for name, pl in placements.items():
        _, cam, h = scenes[name]
        assert np.linalg.norm(cam.project(pl.center_cam[None])[0] - pl.center_px) < 0.5, name
        np.testing.assert_allclose(cam.project(pl.points_cam), h.image_px, atol=0.5)


def test_frame_is_orthonormal_and_sizes_consistent(scenes, placements):
    for name, pl in placements.items():
        _, cam, _ = scenes[name]
        assert np.linalg.norm(pl.axis_cam) == pytest.approx(1.0)
        assert np.linalg.norm(pl.up_cam) == pytest.approx(1.0)
        assert abs(pl.axis_cam @ pl.up_cam) < 1e-9
        m = pl.piece_to_cam
        np.testing.assert_allclose(m[:3, :3].T @ m[:3, :3], np.eye(3) * 1e-6, atol=1e-15)
        assert np.linalg.det(m[:3, :3]) > 0
        assert 0.05 < pl.distance_m < 2.0, (name, pl.distance_m)
        assert pl.distance_m == pytest.approx(np.linalg.norm(pl.center_cam))
        # the bore is the equivalent circle of the finger's elliptical section, narrower than the width seen
        breadth_mm = pl.finger_width_px * pl.center_cam[2] / cam.fx * 1e3
        assert pl.inner_diameter_mm == pytest.approx(equivalent_diameter_mm(breadth_mm))
        assert 0.9 < pl.inner_diameter_mm / breadth_mm < 0.95
        assert pl.inner_diameter_mm == pytest.approx(2e3 * pl.finger_radius_m)
        assert pl.px_per_mm == pytest.approx(cam.fx / pl.center_cam[2] / 1e3)
        assert pl.ring_size_us == pl.ring_size.us
        assert pl.ring_size.interval[0] <= pl.ring_size_us <= pl.ring_size.interval[1]
        assert pl.finger_width_source in ("measured", "prior")
        json.dumps(pl.to_report())


def test_width_measurement(placements):
    sources = [pl.finger_width_source for pl in placements.values()]
    measured = [pl for pl in placements.values() if pl.finger_width_source == "measured"]
    sizes = sorted(pl.ring_size_us for pl in measured)
    print(f"width measured on {len(measured)}/{len(sources)}; US sizes {sizes}")
    # Measured on 25 of 30 dev photos.
    assert len(measured) >= 0.7 * len(sources)
    for pl in measured:
        # an adult finger: between a child's size 0 and a US 16
        assert 10.0 < pl.inner_diameter_mm < 25.0, pl.to_report()
    # issue 14's target: the median in US 5-9.5 (the old face-value sizes had a median of US 4, 7 at the 3 clamp)
    # (the curled fingers, which the gate refuses, measured as tubes seen end-on, excluded)
    all_sizes = [pl.ring_size_us for n, pl in placements.items() if n not in CURLED]
    assert 5.0 <= np.median(all_sizes) <= 9.5
    assert sum(s < 5.0 or s > 9.5 for s in all_sizes) <= 2


def test_depth_agrees_with_bone_lengths(placements):
    # Whichever method gave the depths, the palm sits within 1.35x of the depth
    # its bones' image lengths imply (PnP alone was off by 2-3x on some photos).
    methods = set()
    for name, pl in placements.items():
        pose = pl.details["pose"]
        methods.add(pose["method"])
        # before the hand is rescaled to the ring size's estimate
        z_palm = float(np.median(pl.points_cam[[0, 5, 9, 13, 17], 2])) / pl.details["size"]["metric_scale"]
        assert 1 / 1.36 < z_palm / pose["z_ref_m"] < 1.36, (name, pose)
    assert methods <= {"pnp", "weak-perspective"}


def test_dorsal_direction(placements):
    # The back of the hand faces the camera: the dorsal direction points at it (-z).
    for name in DORSAL:
        assert placements[name].up_cam[2] < -0.5, name
    for name in PALMAR:
        assert placements[name].up_cam[2] > 0.5, name


def test_band_overhangs_the_finger_by_less_than_its_thickness(scenes, placements):
    """Issue 14: the ring's silhouette never overhangs the finger's edge by more than its own thickness as seen.

    The bore is the equivalent circle of the finger's elliptical section (0.927 x the width seen), so a band
    of thickness t shows t - 0.037 x width past each edge; at the finger's full width as the bore (the old
    fit) it showed t, and any error in the width all of it.
    """
    from jewelrender.geometry.assets import court_band

    t_mm = 1.7
    over = {}
    for name, pl in placements.items():
        if name in CURLED:
            continue
        cam = scenes[name][1]
        band = court_band(pl.inner_diameter_mm, 4.0, t_mm, segments=96)
        v = np.column_stack([band.vertices, np.ones(len(band.vertices))]) @ pl.piece_to_cam.T
        px = cam.project(v[:, :3])
        rel = px - pl.center_px
        along, across = rel @ pl.axis_px, rel @ np.array([-pl.axis_px[1], pl.axis_px[0]])
        near = np.abs(along) <= 0.25 * pl.finger_width_px
        extent = float(across[near].max() - across[near].min())
        thickness_px = t_mm * pl.px_per_mm
        over[name] = ((extent - pl.finger_width_px) / 2) / thickness_px
    print({k: round(v, 2) for k, v in sorted(over.items())})
    assert all(v <= 1.0 for v in over.values()), over
    assert all(v > 0.3 for v in over.values()), over  # a band still stands proud of the finger


def test_proxies_cover_fingers_and_palm(scenes, placements):
    for name, pl in placements.items():
        caps = pl.proxies
        assert all(isinstance(c, Capsule) for c in caps)
        names = [c.name for c in caps]
        assert len(names) == len(set(names))
        for f in FINGERS:
            assert sum(n.startswith(f + ".") for n in names) == 3, name
        ring = next(c for c in caps if c.name == "ring.proximal")
        assert ring.radius == pl.finger_radius_m
        np.testing.assert_allclose(ring.p0, pl.points_cam[13])
        for c in caps:
            assert 0.003 < c.radius < 0.04, (name, c.name, c.radius)
        # the palm's centre lies inside some capsule
        centre = pl.points_cam[[0, 5, 9, 13, 17]].mean(axis=0)
        assert min(_dist_to_segment(centre, c.p0, c.p1) - c.radius for c in caps) < 0, name


def _dist_to_segment(p, a, b):
    ab = b - a
    t = np.clip((p - a) @ ab / (ab @ ab), 0, 1)
    return float(np.linalg.norm(p - (a + t * ab)))


# ---------------------------------------------------------------- options
def test_every_finger_and_position(scenes):
    photo, cam, hand = scenes["palmistry_IMG_0364.jpg"]
    for finger, idx in FINGERS.items():
        for pos in (0.0, 0.5, 1.0):
            pl = place_ring(photo, hand, cam, finger=finger, position=pos)
            a, b = (idx[1], idx[2]) if finger == "thumb" else (idx[0], idx[1])
            expect = pl.points_cam[a] + pos * (pl.points_cam[b] - pl.points_cam[a])
            np.testing.assert_allclose(pl.center_cam, expect, atol=1e-12)
            assert pl.finger == finger and pl.position == pos


@pytest.mark.parametrize("position", [-0.1, 1.2, float("nan"), "middle", None])
def test_bad_position(scenes, position):
    photo, cam, hand = scenes["ringtryon_target_left.jpg"]
    with pytest.raises(InvalidOptionError):
        place_ring(photo, hand, cam, position=position)


@pytest.mark.parametrize("finger", ["toe", "", None, 3, "pinky", "Pinky", " ring"])
def test_bad_finger(scenes, finger):
    photo, cam, hand = scenes["ringtryon_target_left.jpg"]
    with pytest.raises(InvalidOptionError) as ei:
        place_ring(photo, hand, cam, finger=finger)
    assert "ring" in str(ei.value)


def test_finger_outside_the_frame(scenes):
    photo, cam, hand = scenes["ringtryon_target_left.jpg"]
    moved = HandLandmarks(hand.image_px + [photo.width, 0.0], hand.world_m, hand.handedness, hand.score)
    with pytest.raises(FingerNotVisibleError) as ei:
        place_ring(photo, moved, cam)
    assert ei.value.code == "FINGER_NOT_VISIBLE"


def test_finger_too_small(scenes):
    photo, cam, hand = scenes["ringtryon_target_left.jpg"]
    c = hand.image_px.mean(axis=0)
    tiny = HandLandmarks(c + (hand.image_px - c) * 0.02, hand.world_m, hand.handedness, hand.score)
    with pytest.raises(FingerNotVisibleError):
        place_ring(photo, tiny, cam)


# ---------------------------------------------------------------- width measurement itself
def _synthetic_fingers(width, gap_dark: bool, angle_deg: float):
    """Three parallel 'fingers' of skin colour; the middle one is `width` px wide."""
    H = W = 240
    yy, xx = np.mgrid[0:H, 0:W] + 0.5
    th = math.radians(angle_deg)
    # signed distance across the fingers (perpendicular to their axis)
    s = (xx - W / 2) * math.cos(th) + (yy - H / 2) * math.sin(th)
    img = np.empty((H, W, 3), np.float64)
    img[:] = (60, 70, 80)  # background
    skin = np.array([224, 172, 140], float)
    for centre in (-width - 2, 0.0, width + 2):
        inside = np.abs(s - centre) < width / 2
        # a little shading towards the edges, as on a real finger
        shade = 1.0 - 0.25 * ((s - centre) / (width / 2)) ** 2
        img[inside] = skin * shade[inside, None]
    if gap_dark:
        # neighbours touching: the gap between them is a dark crease, not background
        for edge in (-width / 2 - 1, width / 2 + 1):
            img[np.abs(s - edge) < 1.0] = skin * 0.45
    axis = np.array([-math.sin(th), math.cos(th)])
    centre = np.array([W / 2, H / 2])
    return img.round().clip(0, 255).astype(np.uint8), centre - 60 * axis, centre + 60 * axis


@pytest.mark.parametrize("gap_dark", [False, True])
@pytest.mark.parametrize("angle", [0.0, 33.0])
def test_measure_width_on_synthetic_fingers(gap_dark, angle):
    img, p0, p1 = _synthetic_fingers(40.0, gap_dark, angle)
    w, info = measure_width_px(img, p0, p1, 0.5, prior_px=46.0)
    assert w is not None, info
    assert abs(w - 40.0) < 2.0, info


def test_measure_width_rejects_implausible():
    img, p0, p1 = _synthetic_fingers(40.0, False, 0.0)
    w, info = measure_width_px(img, p0, p1, 0.5, prior_px=120.0)  # the hand says the finger should be 3x wider
    assert w is None and "implausible" in info["reason"]
    uniform = np.full((200, 200, 3), 200, np.uint8)
    w, info = measure_width_px(uniform, np.array([100.0, 40.0]), np.array([100.0, 160.0]), 0.5, prior_px=30.0)
    assert w is None


def test_placement_type(placements):
    pl = next(iter(placements.values()))
    assert isinstance(pl, RingPlacement) and pl.site == "ring"
    rep = pl.to_report()
    for key in ("site", "hand", "finger", "center_px", "axis_px", "inner_diameter_mm", "ring_size_us",
                "distance_m", "finger_width_px", "finger_width_source"):
        assert key in rep


def test_finger_pointing_at_the_camera_is_refused(data_dir):
    """hamer_test3: the ring finger is bent towards the lens; a ring there would be a blob."""
    from jewelrender.camera import camera_from_photo
    from jewelrender.errors import FingerNotVisibleError
    from jewelrender.landmarks import detect_hands
    from jewelrender.photo import load_photo
    from jewelrender.sites.hand import place_ring

    photo = load_photo(data_dir / "photos" / "hands" / "hamer_test3.jpg")
    hands = detect_hands(photo)
    assert hands
    with pytest.raises(FingerNotVisibleError) as e:
        place_ring(photo, hands[0], camera_from_photo(photo), finger="ring")
    assert e.value.details["view_angle_deg"] < 20


def test_ring_site_reports_the_segment_the_ring_is_on(scenes):
    """The report's mcp_px/pip_px bound the ring's segment: the thumb's MCP and IP (not its CMC and MCP)."""
    from jewelrender.landmarks import HandLandmark as L
    from jewelrender.sites import SITES

    photo, cam, hand = scenes["palmistry_IMG_0364.jpg"]
    site = SITES["ring"]
    for finger, (mcp, pip) in {"thumb": (L.THUMB_MCP, L.THUMB_IP), "ring": (L.RING_FINGER_MCP, L.RING_FINGER_PIP)}.items():
        options = site.check_options(finger=finger)
        pl = site.place(photo, hand, cam, options=options)
        rep = site.report(pl, hand)
        np.testing.assert_array_equal(rep["mcp_px"], hand.image_px[mcp])
        np.testing.assert_array_equal(rep["pip_px"], hand.image_px[pip])
        assert rep["finger"] == finger and site.piece_size_mm(pl) == pl.inner_diameter_mm
