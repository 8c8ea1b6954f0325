"""The photo side of the composite: silhouette occlusion, contact shadow, the camera's look.

Real photos for the segmentation and the camera's look (no render: the ring is a
synthetic layer, so these stay cheap); synthetic keys for the shadow's direction.
"""

from __future__ import annotations

import dataclasses
import io

import numpy as np
import pytest

from jewelrender.camera import camera_from_size
from jewelrender.camera_look import (apply_look, halo_overshoot, jpeg_quality_from_tables, measure_look,
                                     noise_profile)
from jewelrender.color import srgb8_to_linear
from jewelrender.camera_look import edge_blur_sigma
from jewelrender.composite import composite
from jewelrender.contact import KeyInImage, contact_shading, key_in_image
from jewelrender.photo import load_photo
from jewelrender.render import RenderLayers
from jewelrender.scene import Crop
from jewelrender.segmentation import segment_hand, visible_mask

PHOTOS = ("11khands_female_dorsal.jpg", "palmistry_hand70.jpg", "ringtryon_target_left.jpg")


@pytest.fixture(scope="module")
def placed(data_dir, detector):
    """{name: (photo, hand, placement)} for a few dev photos (landmarks and placement only, no render)."""
    from jewelrender.camera import camera_from_photo
    from jewelrender.sites.hand import place_ring

    out = {}
    for name in PHOTOS:
        ph = load_photo(data_dir / "photos" / "hands" / name)
        hands = detector.detect(ph)
        assert hands, name
        pl = place_ring(ph, hands[0], camera_from_photo(ph), finger="ring", position=0.35)
        out[name] = (ph, hands[0], pl)
    return out


@pytest.fixture(scope="module")
def at_default(data_dir, detector):
    """``at_default(name)``: (photo, hand, placement, band crop, segmentation, band thickness px) for a dev
    hand photo with the ring at the pipeline's default position and the pipeline's segmentation radius;
    each photo detected, placed and segmented once for the module."""
    from jewelrender.camera import camera_from_photo
    from jewelrender.sites.hand import place_ring

    cache = {}

    def get(name):
        if name not in cache:
            ph = load_photo(data_dir / "photos" / "hands" / name)
            hand = detector.detect(ph)[0]
            pl = place_ring(ph, hand, camera_from_photo(ph), finger="ring")  # the default position, where rings sit
            crop = _band_crop(pl)
            seg = segment_hand(ph, hand, finger="ring", center_px=pl.center_px, finger_width_px=pl.finger_width_px,
                               radius_px=max(0.75 * crop.width, 2.5 * pl.finger_width_px))
            cache[name] = (ph, hand, pl, crop, seg, 1.8 * pl.finger_width_px / pl.inner_diameter_mm)
        return cache[name]

    return get


def _band_crop(pl, scale=1.6):
    side = int(np.ceil(scale * 2.0 * pl.finger_width_px / 16.0) * 16)
    c = np.round(pl.center_px).astype(int)
    return Crop(int(c[0] - side // 2), int(c[1] - side // 2), side, side)


def _overhanging_band(pl, crop, thickness_px):
    """A band drawn across the finger twice as long as the finger is wide: what a misfit capsule gives."""
    import cv2

    m = np.zeros((crop.height, crop.width), np.float32)
    ax = np.asarray(pl.axis_px, float)
    ax = ax / np.linalg.norm(ax)
    perp = np.array([-ax[1], ax[0]])
    c = np.asarray(pl.center_px, float) - [crop.x, crop.y]
    half_len, half_w = pl.finger_width_px, max(2.0 * thickness_px, 2.0)
    corners = np.array([c + s * half_len * perp + u * half_w * ax for s, u in ((-1, -1), (1, -1), (1, 1), (-1, 1))])
    cv2.fillConvexPoly(m, np.round(corners).astype(np.int32), 1.0)
    return m


def test_segmented_ring_finger_is_as_wide_as_measured_and_apart_from_its_neighbours(placed):
    for name, (ph, hand, pl) in placed.items():
        seg = segment_hand(ph, hand, finger="ring", center_px=pl.center_px, finger_width_px=pl.finger_width_px)
        own = seg.own
        # Width of the segmented finger across its axis, a third of the way to the PIP (clear of the web).
        mcp, pip = np.asarray(seg.axis_px[0]), np.asarray(seg.axis_px[1])
        p = mcp + 0.6 * (pip - mcp) - [seg.x, seg.y]
        ax = (pip - mcp) / np.linalg.norm(pip - mcp)
        perp = np.array([-ax[1], ax[0]])
        ts = np.arange(-2.0 * pl.finger_width_px, 2.0 * pl.finger_width_px, 0.5)
        q = np.round(p[None] + ts[:, None] * perp[None]).astype(int)
        inside = (q[:, 0] >= 0) & (q[:, 0] < own.shape[1]) & (q[:, 1] >= 0) & (q[:, 1] < own.shape[0])
        hit = np.zeros(len(ts), bool)
        hit[inside] = own[q[inside, 1], q[inside, 0]]
        width = hit.sum() * 0.5
        assert 0.6 * pl.finger_width_px <= width <= 1.5 * pl.finger_width_px, \
            f"{name}: segmented finger {width:.0f}px wide where {pl.finger_width_px:.0f}px was measured"
        # The middle finger's own middle joint is not the ring finger's.
        mid_pip = np.round(hand.image_px[10] - [seg.x, seg.y]).astype(int)
        if 0 <= mid_pip[0] < own.shape[1] and 0 <= mid_pip[1] < own.shape[0]:
            assert seg.labels[mid_pip[1], mid_pip[0]] == 2, f"{name}: the middle finger's PIP is not labelled middle"


def test_ring_mask_does_not_overhang_the_segmented_finger_by_more_than_its_thickness(placed):
    import cv2

    for name, (ph, hand, pl) in placed.items():
        crop = _band_crop(pl)
        seg = segment_hand(ph, hand, finger="ring", center_px=pl.center_px, finger_width_px=pl.finger_width_px)
        thick = 1.8 * pl.finger_width_px / pl.inner_diameter_mm
        band = _overhanging_band(pl, crop, thick)
        _, own = seg.window(crop)
        dist = cv2.distanceTransform((~own).astype(np.uint8), cv2.DIST_L2, 5)
        assert dist[band > 0.5].max() > 1.5 * thick, f"{name}: the synthetic band should overhang"
        cut = band * visible_mask(seg, crop, thick)
        over = dist[cut > 0.5]
        assert over.size > 0.3 * (band > 0.5).sum(), f"{name}: the band was cut away"
        assert over.max() <= thick + 1.5, f"{name}: band overhangs the finger by {over.max():.1f}px (> {thick:.1f})"


def test_contact_shadow_falls_away_from_the_key_light():
    h, w = 80, 80
    alpha = np.zeros((h, w), np.float32)
    alpha[30:50, 20:60] = 1.0
    skin = np.ones((h, w), bool)
    for toward, near_side, far_side in (((1.0, 0.0), np.s_[30:50, 8:20], np.s_[30:50, 60:72]),
                                        ((0.0, -1.0), np.s_[50:62, 20:60], np.s_[18:30, 20:60])):
        key = KeyInImage(np.array(toward), slant=1.0, share=0.6)
        mult, info = contact_shading(alpha, skin, key, thickness_px=6.0)
        away, lit = 1.0 - mult[near_side].mean(), 1.0 - mult[far_side].mean()
        assert away > 2.0 * lit, f"light towards {toward}: shadow {away:.3f} away vs {lit:.3f} towards it"
        assert mult[alpha > 0.5].min() >= 0.0 and mult.max() <= 1.0
    # Sharper at contact: the darkening falls off with the distance from the band.
    mult, _ = contact_shading(alpha, skin, KeyInImage(np.array([1.0, 0.0]), 1.0, 0.6), 6.0)
    row = 1.0 - mult[40, 8:20][::-1]
    assert row[0] > row[5] > row[11]


def test_thin_band_sits_in_a_crease_between_ridges_of_pressed_skin():
    """Blind round 3: "no contact shadow, no skin bulge" on 3-4 px bands. Both long edges get a dark
    crease a pixel out, and the pressed skin's ridge beyond it: brighter on the edge facing the key,
    darker on the other; at least as wide as the camera's blur, so the ring's blurred edge cannot hide it."""
    from jewelrender.contact import BULGE_STRENGTH

    h, w = 60, 60
    alpha = np.zeros((h, w), np.float32)
    alpha[29:32, 10:50] = 1.0  # a 3 px band, horizontal
    skin = np.ones((h, w), bool)
    key = KeyInImage(np.array([0.0, -1.0]), slant=0.5, share=0.5)  # light from above
    mult, info = contact_shading(alpha, skin, key, 3.0, bulge_strength=BULGE_STRENGTH, blur_px=1.5)
    above, below = mult[18:29, 30], mult[32:43, 30]  # columns through the band's middle, outward from it
    assert above[-1] < 0.85 and below[0] < 0.85, (above[-1], below[0])  # the crease, 1 px out, both edges
    assert above.max() > 1.03, f"no lit ridge on the key's side: {above.max():.3f}"
    assert below.max() <= 1.0 and below[1:6].mean() < above[-6:-1].mean()
    assert info["line_width_px"] >= 1.5  # as wide as the blur
    # Without the bulge the skin never brightens (the neck's pendant).
    plain, _ = contact_shading(alpha, skin, key, 3.0)
    assert plain.max() <= 1.0


def test_key_direction_projects_to_the_image_side_of_the_light():
    cam = camera_from_size(800, 600)
    center = np.array([0.0, 0.0, 0.4])
    k = key_in_image(cam, center, [0.7, 0.0, -0.7], 0.5)  # right of the hand, towards the camera
    assert k.toward_px[0] > 0.99 and abs(k.slant - 1.0) < 0.05
    up = key_in_image(cam, center, [0.0, -0.6, -0.8], 0.5)  # above (-y)
    assert up.toward_px[1] < -0.99


def test_jpeg_quality_is_read_from_the_files_tables(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    img = (rng.random((64, 64, 3)) * 255).astype(np.uint8)
    for q in (60, 85, 95):
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, format="JPEG", quality=q)
        ph = load_photo(buf.getvalue())
        assert ph.jpeg_qtables is not None
        assert abs(jpeg_quality_from_tables(ph.jpeg_qtables) - q) <= 1.5
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    assert load_photo(buf.getvalue()).jpeg_qtables is None


def test_noise_profile_recovers_signal_dependent_noise():
    rng = np.random.default_rng(1)
    ramp = np.tile(np.linspace(30, 220, 256, dtype=np.float32), (256, 1))
    clean = np.stack([ramp] * 3, -1)
    a_true = np.array([0.02, 0.05, 0.1])
    noisy = clean + rng.standard_normal(clean.shape) * np.sqrt(a_true * clean)
    a, b = noise_profile(np.clip(np.round(noisy), 0, 255).astype(np.uint8))
    for c in range(3):
        s_true = np.sqrt(a_true[c] * 128)
        s_est = np.sqrt(a[c] * 128 + b[c])
        assert abs(s_est - s_true) < 0.2 * s_true, (c, s_est, s_true)
    assert a[2] > a[0]


def test_halo_is_measured_on_a_sharpened_edge():
    import cv2

    step = np.zeros((64, 64), np.float32)
    step[:, 32:] = 200
    step += 20
    soft = cv2.GaussianBlur(step, (0, 0), 1.0)
    sharp = soft + 2.0 * (soft - cv2.GaussianBlur(soft, (0, 0), 1.0))
    assert halo_overshoot(np.clip(soft, 0, 255).astype(np.uint8)) < 0.01
    measured = halo_overshoot(np.clip(sharp, 0, 255).astype(np.uint8))
    assert measured > 0.03
    # The unsharp mask that re-creates it is the one that made it.
    from jewelrender.camera_look import usm_amount_for

    assert abs(usm_amount_for(measured, 1.0, 1.0) - 2.0) < 0.4


def _gray_noise(rgb8, where):
    """Immerkær's noise sigma of the grey image over ``where`` (strongest 10 % of responses left out)."""
    import cv2

    g = cv2.cvtColor(np.ascontiguousarray(rgb8), cv2.COLOR_RGB2GRAY).astype(np.float32)
    k = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)
    r = np.abs(cv2.filter2D(g, -1, k, borderType=cv2.BORDER_REFLECT))[where]
    r = r[r <= np.quantile(r, 0.9)]
    return float(np.sqrt(np.pi / 2.0) * r.mean() / 6.0)


def test_ring_on_a_real_photo_is_as_noisy_and_as_soft_as_its_surroundings(placed):
    """A clean synthetic ring layer composited with the measured look matches the photo around it."""
    import cv2

    for name in ("palmistry_hand70.jpg", "ringtryon_target_left.jpg"):
        ph, hand, pl = placed[name]
        crop = _band_crop(pl, scale=2.4)
        look = measure_look(ph, crop.x, crop.y, crop.width, crop.height)
        h, w = crop.height, crop.width
        alpha = np.zeros((h, w), np.float32)
        alpha[h // 2 - h // 6:h // 2 + h // 6, w // 4:3 * w // 4] = 1.0
        # A smooth metal-like gradient, noise-free, with hard (render-sharp) edges.
        jewel = np.zeros((h, w, 3), np.float32)
        shade = np.linspace(0.15, 0.45, w, dtype=np.float32)[None, :, None]
        jewel[:] = shade * np.array([1.0, 0.8, 0.45], np.float32)
        jewel *= alpha[..., None]
        layers = RenderLayers(jewel=jewel, alpha=alpha, lit_with=np.zeros((h, w), np.float32),
                              lit_without=np.zeros((h, w), np.float32), proxy=np.zeros((h, w), np.float32),
                              stone=np.zeros((h, w), np.float32))
        img, _, _ = composite(ph, layers, crop, look=look)
        plain, _, _ = composite(ph, layers, crop, match_camera=False)
        sy, sx = crop.slices
        inner = cv2.erode((alpha > 0.5).astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
        around = cv2.dilate((alpha > 0).astype(np.uint8), np.ones((25, 25), np.uint8)) == 0
        gray0 = cv2.cvtColor(np.ascontiguousarray(ph.srgb[crop.slices]), cv2.COLOR_RGB2GRAY)
        around &= (gray0 > 20) & (gray0 < 240)  # clipped pixels carry no noise to compare with
        ring_noise = _gray_noise(img[sy, sx], inner)
        photo_noise = _gray_noise(img[sy, sx], around)
        clean_noise = _gray_noise(plain[sy, sx], inner)
        assert clean_noise < 0.5 * photo_noise, f"{name}: the clean ring is already noisy?"
        assert 0.6 * photo_noise <= ring_noise <= 1.6 * photo_noise, \
            f"{name}: ring noise {ring_noise:.2f} vs photo {photo_noise:.2f}"
        # Sharpness: the ring's own edges are as soft as the hand's around it.
        edge = cv2.morphologyEx((alpha > 0.5).astype(np.uint8), cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) > 0
        ring_blur = edge_blur_sigma(srgb8_to_linear(img[sy, sx]).mean(axis=2), where=edge)
        assert ring_blur is not None
        assert abs(ring_blur - look.blur_sigma_px) <= 0.5, \
            f"{name}: ring edges blur {ring_blur:.2f}px vs the photo's {look.blur_sigma_px:.2f}px"


def test_jpeg_roundtrip_touches_only_the_ring_neighbourhood(placed):
    ph, hand, pl = placed["palmistry_hand70.jpg"]
    crop = _band_crop(pl)
    look = measure_look(ph, crop.x, crop.y, crop.width, crop.height)
    h, w = crop.height, crop.width
    alpha = np.zeros((h, w), np.float32)
    alpha[h // 2 - 4:h // 2 + 4, w // 3:2 * w // 3] = 1.0
    out8 = np.ascontiguousarray(ph.srgb[crop.slices]).copy()
    out8[alpha > 0] = (200, 160, 90)
    res, applied = apply_look(ph, out8, crop, alpha, look)
    assert "jpeg" in applied
    far = np.ones((h, w), bool)
    far[h // 2 - 20:h // 2 + 20, w // 3 - 20:2 * w // 3 + 20] = False
    assert np.array_equal(res[far], out8[far])


def test_look_does_not_sharpen_the_photos_own_edges_twice(placed, detector):
    """Around the piece the photo was sharpened by its camera already: only the piece's change gets the look.

    A piece that adds nothing (its pixels equal the photo's) must leave the neighbourhood as it was, up to
    the JPEG re-encode. Before the fix the unsharp mask and the fringe ran over the photo there: on the
    bundled sample a dark outline next to the ring got a bright line (up to 30 levels here), the score's
    halo read 0.11 and the README's demo was refused.
    """
    from jewelrender import samples
    from jewelrender.camera import camera_from_photo
    from jewelrender.sites.hand import place_ring

    sample = load_photo(samples.path("hand"))
    pl_sample = place_ring(sample, detector.detect(sample)[0], camera_from_photo(sample), finger="ring",
                           position=0.35)
    for ph, pl in ((sample, pl_sample), placed["palmistry_hand70.jpg"][::2]):
        crop = _band_crop(pl, scale=2.4)
        look = measure_look(ph, crop.x, crop.y, crop.width, crop.height)
        h, w = crop.height, crop.width
        alpha = np.zeros((h, w), np.float32)
        alpha[h // 2 - 4:h // 2 + 4, w // 3:2 * w // 3] = 1.0
        out8 = np.ascontiguousarray(ph.srgb[crop.slices]).copy()
        # A strongly sharpening, fringing camera, so that a second pass over the photo would show.
        # The grain (tested on its own) is left out: the JPEG spreads the piece's blotches within its blocks
        # by up to 6 levels on the webcam sample, which would hide what the halo and fringe do here.
        forced = dataclasses.replace(look, halo=0.08, fringe_px=(0.8, -0.8), grain=None)
        res, applied = apply_look(ph, out8, crop, alpha, forced)
        assert applied["usm_amount"] > 0.5
        outside = np.ones((h, w), bool)
        outside[h // 2 - 5:h // 2 + 5, w // 3 - 1:2 * w // 3 + 1] = False  # the piece itself gets the noise
        diff = np.abs(res.astype(np.int16) - out8.astype(np.int16))[outside]
        # Re-encoding already-encoded pixels moves them by a few levels, never an edge's worth.
        assert diff.max() <= 5, (ph.source, int(diff.max()))


def _seg_width_across(seg, pl) -> float:
    """Width (px) of the segmented ring finger along the line across the finger through the ring's centre."""
    ax = np.asarray(pl.axis_px, float)
    ax = ax / np.linalg.norm(ax)
    perp = np.array([-ax[1], ax[0]])
    c = np.asarray(pl.center_px, float) - [seg.x, seg.y]
    ts = np.arange(-2.0 * pl.finger_width_px, 2.0 * pl.finger_width_px, 0.5)
    q = np.round(c[None] + ts[:, None] * perp[None]).astype(int)
    own = seg.own
    ok = (q[:, 0] >= 0) & (q[:, 0] < own.shape[1]) & (q[:, 1] >= 0) & (q[:, 1] < own.shape[0])
    hit = np.zeros(len(ts), bool)
    hit[ok] = own[q[ok, 1], q[ok, 0]]
    return float(hit.sum() * 0.5)


def test_dorsal_ring_finger_stops_at_the_gap_and_the_band_at_its_outline(at_default):
    """Blind test 2026-12-02: on the dorsal 11K photo the band overhung the dark gap between fingers.

    With the pipeline's own segmentation radius (no background for GrabCut to learn from there), the
    ring finger at the default position must be about as wide as measured (it took in the gap and a
    strip of the little finger: 1.29 x), and the band may pass its outline only by a sliver.
    """
    import cv2

    from jewelrender.segmentation import overhang_px

    _, _, pl, crop, seg, thick = at_default("11khands_female_dorsal.jpg")
    width = _seg_width_across(seg, pl)
    assert 0.8 * pl.finger_width_px <= width <= 1.15 * pl.finger_width_px, \
        f"segmented ring finger {width:.0f}px wide at the ring where {pl.finger_width_px:.0f}px was measured"
    band = _overhanging_band(pl, crop, thick)
    _, own = seg.window(crop)
    dist = cv2.distanceTransform((~own).astype(np.uint8), cv2.DIST_L2, 5)
    cut = band * visible_mask(seg, crop, thick)
    assert dist[cut > 0.5].max() <= overhang_px(thick) + 1.0 < thick


def _band_between(pl, crop, thickness_px, lo_px, hi_px):
    """A band across the finger from ``lo_px`` to ``hi_px`` (across the finger, from the ring's centre)."""
    import cv2

    m = np.zeros((crop.height, crop.width), np.float32)
    ax = np.asarray(pl.axis_px, float)
    ax = ax / np.linalg.norm(ax)
    perp = np.array([-ax[1], ax[0]])
    c = np.asarray(pl.center_px, float) - [crop.x, crop.y]
    half_w = max(1.5 * thickness_px, 2.0)
    corners = np.array([c + s * perp + u * half_w * ax for s, u in ((lo_px, -1), (hi_px, -1), (hi_px, 1), (lo_px, 1))])
    cv2.fillConvexPoly(m, np.round(corners * 16).astype(np.int32), 1.0, cv2.LINE_AA, 4)
    return m, perp


@pytest.mark.parametrize("name", ["11khands_female_dorsal.jpg", "palmistry_hand70.jpg"])
def test_band_ends_are_carried_to_the_segmented_fingers_outline(at_default, name):
    """Blind round four: "the shank stops about 7 px short of the finger's right silhouette". A band whose
    render stops short of the finger on both sides (one more than the other) reaches the outline (where the
    ring may show) on both after :func:`band_reach_maps` and the mask's cut, within 1.5 px (row by row, the
    median); without it, the ends stay short."""
    import cv2

    from jewelrender.integration import band_reach_maps

    _, _, pl, crop, seg, thick = at_default(name)
    allowed = visible_mask(seg, crop, thick, finger_width_px=pl.finger_width_px) > 0.5
    ys, xs = np.mgrid[0:crop.height, 0:crop.width]
    c = np.asarray(pl.center_px, float) - [crop.x, crop.y]
    ax = np.asarray(pl.axis_px, float) / np.linalg.norm(pl.axis_px)
    perp = np.array([-ax[1], ax[0]])
    across = (xs - c[0]) * perp[0] + (ys - c[1]) * perp[1]
    # Where the ring may show on the line through the ring's centre; the render's band stops 0.12 and 0.05
    # of the finger's width short of it (the round-four band stopped ~7 px, 0.1 x, short on one side).
    line = allowed & (np.abs((xs - c[0]) * ax[0] + (ys - c[1]) * ax[1]) < 1.0)
    lo, hi = across[line].min(), across[line].max()
    w = pl.finger_width_px
    band, _ = _band_between(pl, crop, thick, lo + 0.05 * w, hi - 0.12 * w)

    along = (xs - c[0]) * -perp[1] + (ys - c[1]) * perp[0]

    def gaps(m):
        """How far (px) each end of the band stops short of where the ring may show: row by row along the
        finger (the rows the band covers), the median."""
        out = []
        solid = m > 0.5
        bins = np.round(along).astype(int)
        for sign in (1.0, -1.0):
            s = sign * across
            short = []
            for b in np.unique(bins[solid]):
                band_row, row = solid & (bins == b), allowed & (bins == b) & (s > 0)
                if band_row.sum() > 2 and row.any():
                    short.append(s[row].max() - s[band_row].max())
            out.append(float(np.median(short)))
        return out

    before = gaps(band)
    assert max(before) > 0.1 * pl.finger_width_px, f"{name}: the synthetic band should stop short ({before})"
    maps = band_reach_maps(band, allowed, seg.axis_px, pl.center_px, crop, pl.finger_width_px, has_head=False)
    assert maps is not None
    # as in the pipeline: the stretched band, cut where the ring may not show
    moved = cv2.remap(band, maps[0], maps[1], interpolation=cv2.INTER_LINEAR) * allowed
    after = gaps(moved)
    assert max(after) <= 1.5, f"{name}: the band's ends stop {after} px short of the finger's outline (before {before})"
    # never past where the ring may show (the mask's sliver), and still one band (no hole in the middle)
    assert (moved > 0.5).sum() > (band > 0.5).sum()


def test_head_behind_the_finger_is_not_exempt_from_the_cut(placed, data_dir, detector):
    """A palm seen from the front hides the head behind the finger: nothing may show past its outline."""
    from jewelrender.camera import camera_from_photo
    from jewelrender.integration import setting_footprint

    for name, expect in (("palmistry_hand70.jpg", False), ("11khands_female_dorsal.jpg", True)):
        ph, hand, pl = placed[name]
        fp = setting_footprint(camera_from_photo(ph), pl, _band_crop(pl))
        assert bool(fp.any()) == expect, name


def test_render_map_carries_the_photos_detail_and_colour(placed):
    """What the metal mirrors: the photo's own structure at the fitted energy, its colours behind the camera."""
    import cv2

    from jewelrender.camera import camera_from_photo
    from jewelrender.color import luminance
    from jewelrender.lighting import estimate_lighting
    from jewelrender.lighting.envmap import texel_directions

    maps = {}
    for name in ("palmistry_hand70.jpg", "11khands_female_dorsal.jpg"):
        ph, hand, pl = placed[name]
        light = estimate_lighting(ph, camera_from_photo(ph), pl, env_height=64, refine=False)
        fit, ren = light.env, light.render_env
        assert ren is not None and ren.shape[0] >= 4 * fit.shape[0]
        up = cv2.resize(fit.radiance, (ren.shape[1], ren.shape[0]), interpolation=cv2.INTER_LINEAR)
        # the fitted light's energy is kept (within 15 %)...
        assert np.allclose(ren.mean_radiance(), fit.mean_radiance(), rtol=0.15)
        # ... with much more fine structure than the smooth fit
        d = texel_directions(*ren.shape)
        band = np.abs(d[..., 1]) < 0.5
        lap_r = np.abs(cv2.Laplacian(luminance(ren.radiance).astype(np.float32), cv2.CV_32F))[band].mean()
        lap_f = np.abs(cv2.Laplacian(luminance(up).astype(np.float32), cv2.CV_32F))[band].mean()
        assert lap_r > 1.5 * lap_f, f"{name}: detail {lap_r:.4g} vs the fit's {lap_f:.4g}"
        # behind the camera its colour is the photo's (a warm hand close-up), not the fit's desaturated mirror
        back = (d[..., 2] < -0.3) & band
        rb = lambda img: float(img[back][:, 0].sum() / max(img[back][:, 2].sum(), 1e-9))  # noqa: E731
        photo_rb = float(ph.linear[..., 0].mean() / ph.linear[..., 2].mean())
        assert abs(np.log(rb(ren.radiance) / photo_rb)) < abs(np.log(rb(up) / photo_rb)), name
        maps[name] = ren
    assert len(maps) == 2


def test_render_map_spreads_the_key_keeping_its_energy():
    """A 5 deg key mirrored in polished metal is a crisp white spot; the render map spreads it, energy kept."""
    from jewelrender.lighting.envmap import EnvMap, texel_directions, texel_solid_angles
    from jewelrender.lighting.photo_fit import KEY_RENDER_DEG, spread_key, key_lobe

    d = texel_directions(128, 256)
    key = np.array([0.6, -0.5, -0.62])
    key /= np.linalg.norm(key)
    room = 0.2 + 0.05 * (-d[..., 1:2])
    base = (room + key_lobe(d, key, 5.0)[..., None] * np.array([3.0, 2.8, 2.5])).astype(np.float32)
    out = spread_key(base, d, key, KEY_RENDER_DEG)
    omega = texel_solid_angles(128, 256)[..., None]
    assert np.allclose((out * omega).sum((0, 1)), (base * omega).sum((0, 1)), rtol=0.02)
    assert out.max() < 0.2 * base.max()
    assert np.all(out >= 0)
    EnvMap(out)  # still a valid map


def _quantisation_misfit(img8: np.ndarray, where: np.ndarray, qtable, x0: int, y0: int) -> float:
    """Mean distance of luma DCT coefficients from the table's multiples, over 8 x 8 blocks of the file's grid.

    ~0.25 for content never compressed with ``qtable``; near 0 for content that was (the JPEG ghost).
    """
    import cv2

    y = cv2.cvtColor(img8, cv2.COLOR_RGB2YCrCb)[..., 0].astype(np.float32) - 128.0
    q = np.asarray(qtable, np.float32).reshape(8, 8)
    sel = q >= 6
    sel[0, 0] = False
    vals = []
    oy, ox = (-y0) % 8, (-x0) % 8
    for by in range(oy, y.shape[0] - 7, 8):
        for bx in range(ox, y.shape[1] - 7, 8):
            if where[by:by + 8, bx:bx + 8].all():
                c = cv2.dct(np.ascontiguousarray(y[by:by + 8, bx:bx + 8])) / q
                vals.append(float(np.abs(c[sel] - np.round(c[sel])).mean()))
    assert len(vals) >= 4, "too few blocks on the ring"
    return float(np.mean(vals))


def test_ring_carries_the_photos_own_jpeg_quantisation(placed):
    """Blind test 2026-12-02 cue: "no compression on the ring". The ring's blocks must be quantised by the
    photo's own tables on the file's grid, as its skin is (a blockiness ratio does not show it on metal)."""
    ph, hand, pl = placed["11khands_female_dorsal.jpg"]  # a q75 file: compression is visible
    crop = _band_crop(pl, scale=2.4)
    look = measure_look(ph, crop.x, crop.y, crop.width, crop.height)
    h, w = crop.height, crop.width
    alpha = np.zeros((h, w), np.float32)
    alpha[h // 2 - h // 6:h // 2 + h // 6, w // 4:3 * w // 4] = 1.0
    out8 = np.ascontiguousarray(ph.srgb[crop.slices]).copy()
    # a rendered metal's fine structure (reflections, sampling noise), never compressed
    shade = np.linspace(120, 220, w)[None, :, None] * np.array([1.0, 0.8, 0.45])
    texture = np.random.default_rng(1).normal(0.0, 8.0, (h, w, 1))
    ring_px = np.clip(np.broadcast_to(shade, (h, w, 3)) + texture, 0, 255)
    out8[alpha > 0] = ring_px[alpha > 0].astype(np.uint8)
    res, applied = apply_look(ph, out8, crop, alpha, look)
    ring = alpha > 0.5
    qt = ph.jpeg_qtables[0]
    clean = _quantisation_misfit(out8, ring, qt, crop.x, crop.y)
    after = _quantisation_misfit(res, ring, qt, crop.x, crop.y)
    skin = _quantisation_misfit(np.ascontiguousarray(ph.srgb[crop.slices]), ~ring, qt, crop.x, crop.y)
    assert clean > 0.15 and skin < 0.08
    assert after < 0.08, f"ring blocks misfit the photo's tables by {after:.3f} (skin {skin:.3f}, clean {clean:.3f})"


def test_render_map_never_mirrors_the_pixels_under_the_ring(placed):
    """A band facing the lens mirrors the way back to the camera: that must not be the skin it covers.

    The photo's ring footprint is painted green; the map the piece is rendered in must not turn green
    anywhere (the second round's judges saw "skin showing through the metal": the map mirrored the
    photo pixel for pixel behind the camera). Fails with the pixel-for-pixel mirror.
    """
    import dataclasses

    import cv2

    from jewelrender.camera import camera_from_photo
    from jewelrender.lighting.envmap import EnvMap
    from jewelrender.lighting.photo_fit import photo_detail_env

    ph, hand, pl = placed["palmistry_hand70.jpg"]
    cam = camera_from_photo(ph)
    painted = ph.srgb.copy()
    c = tuple(int(round(v)) for v in pl.center_px)
    cv2.circle(painted, c, int(round(0.5 * pl.finger_width_px)), (0, 255, 0), -1)
    green = dataclasses.replace(ph, srgb=painted)
    fit = EnvMap(np.full((64, 128, 3), 0.3, np.float32))

    def greenness(p):
        r = photo_detail_env(fit, p, cam, pl, height=128).radiance
        return float((r[..., 1] / np.maximum(r[..., [0, 2]].max(axis=-1), 1e-6)).max())

    assert greenness(green) < greenness(ph) + 0.1


def test_photographer_is_on_the_rings_line_of_sight_and_warm():
    """The dark silhouette behind the lens, as seen from an off-centre ring, and the skin's colour on the head."""
    from jewelrender.lighting.envmap import texel_directions
    from jewelrender.lighting.photo_fit import PHOTOGRAPHER_GAIN, photographer

    d = texel_directions(128, 256)
    ring = np.array([0.25, 0.1, 1.0])
    toward = -ring / np.linalg.norm(ring)
    gain, head = photographer(d, toward)
    darkest = d[np.unravel_index(np.argmin(gain + 0.01 * (1 - d @ toward)), gain.shape)]
    assert float(darkest @ toward) > np.cos(np.radians(3.0))
    assert gain.min() <= PHOTOGRAPHER_GAIN + 0.02
    # the torso is below the head (+y), not above it
    below, above = toward + [0, 0.4, 0], toward - [0, 0.4, 0]
    g = lambda v: float(gain.ravel()[np.argmax(d.reshape(-1, 3) @ (v / np.linalg.norm(v)))])  # noqa: E731
    assert g(below) < 0.5 < g(above)
    assert head.max() > 0.9 and head.min() < 0.01


def test_crease_darkens_the_skin_the_band_reflects_only_near_it(placed):
    """The photo the body emits is darker over the band's footprint and beside it, untouched a finger away."""
    from jewelrender.library.catalog import load_catalog
    from jewelrender.scene import CREASE_DEPTH, crease_gain

    ph, hand, pl = placed["palmistry_hand70.jpg"]
    piece = load_catalog()["band-court-4mm-18k-yellow"]
    g = crease_gain((ph.height, ph.width), pl, piece)
    cx, cy = (int(round(v)) for v in pl.center_px)
    assert abs(g[cy, cx] - (1.0 - CREASE_DEPTH)) < 0.02
    ax = np.asarray(pl.axis_px, float) / np.linalg.norm(pl.axis_px)
    far = np.round(np.asarray(pl.center_px) + 1.5 * pl.finger_width_px * ax).astype(int)
    side = np.round(np.asarray(pl.center_px) + 1.5 * pl.finger_width_px * np.array([-ax[1], ax[0]])).astype(int)
    assert g[far[1], far[0]] > 0.97 and g[side[1], side[0]] > 0.97
    assert crease_gain((ph.height, ph.width), pl, load_catalog()["solitaire-round-1ct-18k-yellow"]) is not None


def test_applied_fringe_is_a_share_of_the_measured_and_capped():
    from jewelrender.camera_look import FRINGE_MAX_PX, FRINGE_SHARE, applied_fringe_px

    assert FRINGE_SHARE < 1.0
    assert np.allclose(applied_fringe_px((0.2, -0.1)), (0.2 * FRINGE_SHARE, -0.1 * FRINGE_SHARE))
    r, b = applied_fringe_px((2.0, -2.0))
    assert r == FRINGE_MAX_PX and b == -FRINGE_MAX_PX


@pytest.fixture(scope="module")
def noisy_plates(data_dir, detector):
    """{name: (photo, placement)}: a webcam frame (q95), a small phone photo (q90), a q75 dataset photo."""
    from jewelrender.camera import camera_from_photo
    from jewelrender.samples import __file__ as samples_init
    from jewelrender.sites.hand import place_ring
    from pathlib import Path

    paths = (Path(samples_init).parent / "hand_shu-fingercount_set1-five-22.jpg",
             data_dir / "photos" / "hands" / "palmistry_hand1.jpg",
             data_dir / "photos" / "hands" / "11khands_female_dorsal.jpg")
    out = {}
    for p in paths:
        ph = load_photo(p)
        hands = detector.detect(ph)
        assert hands, p.name
        out[p.name] = (ph, place_ring(ph, hands[0], camera_from_photo(ph), finger="ring", position=0.6))
    return out


#: Tolerances of the grain test, from the estimator's own spread: over 8 noise seeds the grained ring's
#: sigma ranged 0.67-1.33 x the skin's per channel and its low-frequency share differed by <= 0.133 (the
#: webcam crop's ring holds only 10 flat tiles; 0.03 with 136 on the q75 plate). White noise is off by
#: 0.17-0.61 in the luma's low share on all three (docs/realism.md, section 2).
GRAIN_SIGMA_RATIO = (0.6, 1.5)
GRAIN_LOW_SHARE_DIFF = 0.15


def _grain_stats(img8, where):
    from jewelrender.camera_look import grain_spectrum

    got = grain_spectrum(img8, where)
    assert got is not None, "too few flat tiles"
    psd, var, _, _ = got
    f = np.fft.fftfreq(psd.shape[-1])
    low = np.hypot(f[:, None], f[None, :]) < 0.25
    return np.sqrt(var), np.array([p[low].sum() / p.sum() for p in psd])


def test_ring_has_the_grain_of_its_plate(noisy_plates):
    """Blind round 3's strongest cue: the ring was cleaner than the noisy plate ("grain-free", no chroma
    blotches). A flat, clean ring composited with the measured look carries the skin's grain: per JPEG
    channel (Y, Cb, Cr) the same sigma, and as much of it at low frequencies (blotches, not per-pixel
    noise). White per-pixel noise (the look without the grain) fails: its luma power sits at high
    frequencies and the re-encode leaves almost no chroma noise on the q75 plate."""
    import cv2

    for name, (ph, pl) in noisy_plates.items():
        crop = _band_crop(pl, scale=2.4)
        look = measure_look(ph, crop.x, crop.y, crop.width, crop.height)
        assert look.grain is not None, name
        h, w = crop.height, crop.width
        alpha = np.zeros((h, w), np.float32)
        alpha[h // 2 - h // 6:h // 2 + h // 6, w // 4:3 * w // 4] = 1.0
        base = np.ascontiguousarray(ph.srgb[crop.slices])
        out8 = base.copy()
        out8[alpha > 0] = np.clip(0.9 * np.median(base.reshape(-1, 3), axis=0), 0, 255).astype(np.uint8)
        inner = cv2.erode((alpha > 0.5).astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
        around = cv2.dilate((alpha > 0).astype(np.uint8), np.ones((25, 25), np.uint8)) == 0
        skin_s, skin_low = _grain_stats(base, around)
        for label, lk in (("grain", look), ("white", dataclasses.replace(look, grain=None))):
            res, _ = apply_look(ph, out8, crop, alpha, lk)
            ring_s, ring_low = _grain_stats(res, inner)
            ok = (np.all((ring_s >= GRAIN_SIGMA_RATIO[0] * skin_s) & (ring_s <= GRAIN_SIGMA_RATIO[1] * skin_s))
                  and np.all(np.abs(ring_low - skin_low) <= GRAIN_LOW_SHARE_DIFF))
            msg = (f"{name} ({label}): ring sigma YCbCr {np.round(ring_s, 2)} low share {np.round(ring_low, 2)}; "
                   f"skin {np.round(skin_s, 2)} / {np.round(skin_low, 2)}")
            if label == "grain":
                assert ok, msg
            else:
                assert not ok, "white noise passes the grain test: " + msg


def test_piece_is_never_brighter_than_what_the_dim_webcam_wrote(detector):
    """Blind round 3: "stone and halo brighter and whiter than the dim scene allows" on the SHU webcam
    frames, which never reach 255 (the camera rolls its highlights off below ~190). A piece composited
    there stays at or under the photo's own white; on a photo that reaches 200 or clips, nothing changes."""
    from jewelrender import samples
    from jewelrender.composite import photo_white8
    from pathlib import Path

    ph = load_photo(Path(samples.__file__).parent / "hand_shu-fingercount_set1-five-195.jpg")
    white = photo_white8(ph)
    assert white is not None and white < 200
    pl_center = np.array([ph.width / 2, ph.height / 2])
    crop = Crop(int(pl_center[0]) - 32, int(pl_center[1]) - 32, 64, 64)
    alpha = np.zeros((64, 64), np.float32)
    alpha[24:40, 24:40] = 1.0
    jewel = np.zeros((64, 64, 3), np.float32)
    jewel[24:40, 24:40] = (3.0, 3.0, 3.2)  # a stone's sparkle, far above any diffuse white
    zeros = np.zeros((64, 64), np.float32)
    layers = RenderLayers(jewel=jewel, alpha=alpha, lit_with=zeros, lit_without=zeros, proxy=zeros, stone=alpha)
    img, _, info = composite(ph, layers, crop)
    sy, sx = crop.slices
    top = img[sy, sx][alpha > 0].max(axis=1)
    # The photo's grain rides on top, as it does on the photo's own brightest pixels.
    assert np.median(top) <= white + 1 and np.percentile(top, 90) <= white + 6, (np.median(top), white)
    assert info["white_8bit"] == pytest.approx(white)
    few = ph.srgb.copy()
    few[:4, :4] = 255  # a few clipped pixels are not the camera's white: the percentile ignores them
    assert photo_white8(dataclasses.replace(ph, srgb=few)) is not None
    many = ph.srgb.copy()
    many[: ph.height // 8] = 255
    assert photo_white8(dataclasses.replace(ph, srgb=many)) is None


def _block_misfits(img8, qtable, x0, y0):
    """Per 8 x 8 block of the file's grid: the luma DCT coefficients' mean distance from the table's multiples."""
    import cv2

    y = cv2.cvtColor(img8, cv2.COLOR_RGB2YCrCb)[..., 0].astype(np.float32) - 128.0
    q = np.asarray(qtable, np.float32).reshape(8, 8)
    sel = q >= 6
    sel[0, 0] = False
    oy, ox = (-y0) % 8, (-x0) % 8
    return np.array([float(np.abs((c := cv2.dct(np.ascontiguousarray(y[by:by + 8, bx:bx + 8])) / q)[sel]
                                  - np.round(c[sel])).mean())
                     for by in range(oy, y.shape[0] - 7, 8) for bx in range(ox, y.shape[1] - 7, 8)])


def test_no_block_round_the_ring_breaks_the_photos_jpeg_grid(placed):
    """Blind round 4 (compositor, the q75 photos): "blocks around the ring break the 8 x 8 quantisation grid
    that holds everywhere else". With a shadow reaching beyond the piece (as the contact's and the render's
    do), every block of the crop on the file's grid must fit the photo's tables as well as the photo's own
    worst block: each is either the photo's or re-encoded whole. (Re-encoding only the piece and a soft
    ~5 px round it left 19 blocks misfitting worse than any of the photo's.)"""
    ph, hand, pl = placed["11khands_female_dorsal.jpg"]
    c = _band_crop(pl, scale=2.4)
    crop = Crop(c.x + 3, c.y + 5, c.width, c.height)  # off the 16 px grid on purpose
    look = measure_look(ph, crop.x, crop.y, crop.width, crop.height)
    h, w = crop.height, crop.width
    alpha = np.zeros((h, w), np.float32)
    alpha[h // 2 - h // 10:h // 2 + h // 10, w // 4:3 * w // 4] = 1.0
    base = np.ascontiguousarray(ph.srgb[crop.slices])
    below = np.arange(h)[:, None] - (h // 2 + h // 10)
    shade = 1.0 - 0.3 * np.exp(-np.maximum(below, 0) / 12.0) * (below > 0)  # a shadow under the band
    out8 = np.clip(base * shade[..., None], 0, 255).astype(np.uint8)
    out8[alpha > 0] = (200, 170, 110)
    res, _ = apply_look(ph, out8, crop, alpha, look)
    qt = ph.jpeg_qtables[0]
    own = _block_misfits(base, qt, crop.x, crop.y)
    after = _block_misfits(res, qt, crop.x, crop.y)
    assert own.max() < 0.08
    assert (after > own.max()).sum() == 0, f"{(after > own.max()).sum()} blocks misfit more than the photo's worst"


def test_skin_beside_a_snug_band_bulges_at_the_fingers_outline(at_default):
    """Blind round four: "no skin compression" beside the bands. The finger's outline is pushed out either
    side of the band (along the finger), by about the bulge's amplitude one thickness from the band's edge,
    and not beyond the band's end, nor far along the finger, nor inside the finger."""
    import cv2

    from jewelrender.contact import skin_bulge_maps

    _, _, pl, crop, seg, thick = at_default("11khands_female_dorsal.jpg")
    _, own = seg.window(crop)
    band = _overhanging_band(pl, crop, thick) * visible_mask(seg, crop, thick, finger_width_px=pl.finger_width_px)
    axis = np.asarray(seg.axis_px[1], float) - np.asarray(seg.axis_px[0], float)
    c = np.asarray(pl.center_px, float) - [crop.x, crop.y]
    maps = skin_bulge_maps(band, own, thick, axis, c)
    assert maps is not None
    mx, my, info = maps
    ys, xs = np.mgrid[0:crop.height, 0:crop.width].astype(np.float32)
    moved = np.hypot(mx - xs, my - ys)
    amp = info["bulge_px"]
    assert amp >= 0.6
    # the outline, remapped: the finger's mask after the warp
    own_after = cv2.remap(own.astype(np.float32), mx, my, interpolation=cv2.INTER_LINEAR) > 0.5
    ax = axis / np.linalg.norm(axis)
    along = (xs - c[0]) * ax[0] + (ys - c[1]) * ax[1]
    across = -(xs - c[0]) * ax[1] + (ys - c[1]) * ax[0]
    solid = band > 0.5
    half = 0.5 * (along[solid].max() - along[solid].min())
    mid = 0.5 * (along[solid].max() + along[solid].min())
    w0 = max(thick, 1.5)

    def width_at(mask, a):
        row = np.abs(along - a) < 0.5
        return float(across[row & mask].max() - across[row & mask].min())

    for sgn in (-1.0, 1.0):  # either side of the band along the finger
        a = mid + sgn * (half + w0)
        gain = width_at(own_after, a) - width_at(own, a)
        assert gain >= 0.8 * amp, f"the outline {w0:.1f} px beside the band widened by {gain:.2f} px (bulge {amp})"
        far = mid + sgn * (half + 8 * w0)
        assert abs(width_at(own_after, far) - width_at(own, far)) <= 1.0
    # nothing moves under the band's middle rows (beyond its ends the band wraps round), nor deep in the finger
    assert moved[(np.abs(along - mid) < 0.5 * half)].max() < 0.05
    dist_in = cv2.distanceTransform(own.astype(np.uint8), cv2.DIST_L2, 5)
    assert moved[dist_in > amp + 6].max() < 0.1


@pytest.mark.parametrize("name", ["palmistry_IMG_0364.jpg", "palmistry_hand70.jpg"])
def test_room_behind_the_camera_has_the_backgrounds_colour_not_the_skins(data_dir, detector, name):
    """Blind round four: every gold band wore one copper look. Behind the camera the render map took the
    colour of the whole photo, on a hand close-up mostly skin, so a band mirrored skin-coloured light from
    every side. The room is lit like the hand but is not made of skin: away from the photographer's head,
    its red/blue is the photo's background's (the pixels unlike the skin), not the whole frame's."""
    from jewelrender.camera import camera_from_photo
    from jewelrender.lighting import estimate_lighting
    from jewelrender.lighting.envmap import texel_directions
    from jewelrender.lighting.photo_fit import photo_detail
    from jewelrender.sites.hand import place_ring

    ph = load_photo(data_dir / "photos" / "hands" / name)
    hand = detector.detect(ph)[0]
    cam = camera_from_photo(ph)
    pl = place_ring(ph, hand, cam, finger="ring")
    light = estimate_lighting(ph, cam, pl, env_height=64, refine=False)
    ren = light.render_env.radiance
    d = texel_directions(*ren.shape[:2])
    head = photo_detail(ph, cam, pl, height=ren.shape[0]).photographer[1]
    back = (d[..., 2] < -0.3) & (np.abs(d[..., 1]) < 0.5) & (head < 0.05)
    rb_back = float(ren[back][:, 0].sum() / ren[back][:, 2].sum())
    lin = ph.linear.reshape(-1, 3).astype(np.float64)
    skin = np.asarray(light.info["skin_reference_rgb"], float)
    chroma = lin / (lin.sum(axis=1, keepdims=True) + 1e-6)
    unlike = np.linalg.norm(chroma - skin / skin.sum(), axis=1) > 0.06
    assert 0.05 < unlike.mean() < 0.95, name
    rb_bg = float(lin[unlike, 0].sum() / lin[unlike, 2].sum())
    rb_photo = float(lin[:, 0].sum() / lin[:, 2].sum())
    assert abs(np.log(rb_photo / rb_bg)) > 0.05, f"{name}: the skin should warm the whole frame"
    assert abs(np.log(rb_back / rb_bg)) < 0.5 * abs(np.log(rb_back / rb_photo)), \
        f"{name}: red/blue behind the camera {rb_back:.3f}; background {rb_bg:.3f}, whole frame {rb_photo:.3f}"
