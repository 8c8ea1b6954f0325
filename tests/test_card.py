"""A metric scale from an ID-1 card (jewelrender.card) and the ring size it gives.

No dev photo shows a card, so the card is rendered honestly into a real hand photo: a
card-sized image (rounded corners, gradient, chip, text lines) warped by a mild
perspective beside the hand, with a soft shadow, blurred like the photo and saved as
JPEG. The true scale is the one the card was drawn at.
"""

from __future__ import annotations

import io

import numpy as np
import pytest

from jewelrender.card import ID1_MM, find_id1_card
from jewelrender.ringsize import equivalent_diameter_mm, estimate_ring_size, us_size_of_diameter


def _card_image(px_per_mm_card: float = 10.0) -> np.ndarray:
    import cv2

    w, h = int(round(ID1_MM[0] * px_per_mm_card)), int(round(ID1_MM[1] * px_per_mm_card))
    img = np.zeros((h, w, 4), np.uint8)
    gx = np.linspace(0, 1, w)[None, :, None]
    img[..., :3] = (np.array([30, 70, 160]) * (1 - gx) + np.array([60, 140, 210]) * gx).astype(np.uint8)
    r = int(3.18 * px_per_mm_card)
    a = np.zeros((h, w), np.uint8)
    cv2.rectangle(a, (r, 0), (w - r, h), 255, -1)
    cv2.rectangle(a, (0, r), (w, h - r), 255, -1)
    for c in ((r, r), (w - r, r), (r, h - r), (w - r, h - r)):
        cv2.circle(a, c, r, 255, -1)
    img[..., 3] = a
    cv2.rectangle(img, (int(0.12 * w), int(0.35 * h)), (int(0.25 * w), int(0.55 * h)), (200, 170, 80, 255), -1)
    for i in range(3):
        y = int((0.68 + 0.09 * i) * h)
        cv2.line(img, (int(0.12 * w), y), (int((0.7 - 0.15 * i) * w), y), (235, 235, 240, 255), max(2, h // 60))
    return img


def _photo_with_card(photo, hand_px, px_per_mm: float, angle_deg: float = 14.0) -> bytes:
    """``photo`` with a card at ``px_per_mm`` beside the hand (in free space), as JPEG bytes."""
    import cv2
    from PIL import Image

    src = photo.srgb.astype(np.float32)
    H, W = src.shape[:2]
    card = _card_image()
    ch, cw = card.shape[:2]
    cw_px, chh_px = ID1_MM[0] * px_per_mm, ID1_MM[1] * px_per_mm
    th = np.radians(angle_deg)
    R = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    local = np.array([[-cw_px / 2, -chh_px / 2], [cw_px / 2, -chh_px / 2], [cw_px / 2, chh_px / 2],
                      [-cw_px / 2, chh_px / 2]])
    # mild perspective: the far side 3 % shorter than the near one (the scale at the centre unchanged)
    local[1:3, 1] *= 0.985
    local[[0, 3], 1] *= 1.015
    hp = np.asarray(hand_px, np.float32)
    forearm = [hp[0] + k * (hp[0] - hp[9]) for k in (1.0, 2.0, 3.0)]  # the arm runs on past the wrist
    hull = cv2.convexHull(np.vstack([hp, forearm]).astype(np.float32))
    best = None
    for cy in np.linspace(chh_px, H - chh_px, 24):
        for cx in np.linspace(cw_px, W - cw_px, 24):
            q = local @ R.T + [cx, cy]
            if q.min() < 4 or q[:, 0].max() > W - 4 or q[:, 1].max() > H - 4:
                continue
            d = max(cv2.pointPolygonTest(hull, (float(x), float(y)), True) for x, y in
                    np.vstack([q, q.mean(0)]))
            if d < -0.3 * cw_px and (best is None or d > best[0]):  # outside the hand, but close to it
                best = (d, q)
    assert best is not None, "no free space beside the hand for the card"
    q = best[1]
    M = cv2.getPerspectiveTransform(np.float32([[0, 0], [cw, 0], [cw, ch], [0, ch]]), np.float32(q))
    warped = cv2.warpPerspective(card.astype(np.float32), M, (W, H), flags=cv2.INTER_AREA)
    alpha = warped[..., 3:] / 255.0
    shadow = cv2.GaussianBlur(np.roll(alpha[..., 0], (3, 3), (0, 1)), (0, 0), 3.0)[..., None]
    out = src * (1 - 0.35 * shadow)
    out = out * (1 - alpha) + warped[..., :3] * alpha
    out = cv2.GaussianBlur(out, (0, 0), 0.7)
    buf = io.BytesIO()
    Image.fromarray(np.clip(out, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=90)
    return buf.getvalue(), q


@pytest.fixture(scope="module")
def target_left(data_dir, detector):
    from jewelrender.photo import load_photo

    ph = load_photo(data_dir / "photos" / "hands" / "ringtryon_target_left.jpg")
    return ph, detector.detect(ph)[0]


@pytest.mark.parametrize("breadth_mm", [17.5, 20.5])
def test_card_beside_a_real_hand_sets_the_ring_size(target_left, detector, breadth_mm):
    """Drawn at the scale that makes this finger ``breadth_mm`` wide, the card decides the size."""
    from jewelrender.camera import camera_from_photo
    from jewelrender.photo import load_photo
    from jewelrender.sites.hand import place_ring

    ph, hand = target_left
    base = place_ring(ph, hand, camera_from_photo(ph))
    assert base.ring_size.size_source != "card"
    px_per_mm = base.finger_width_px / breadth_mm
    jpeg, corners = _photo_with_card(ph, hand.image_px, px_per_mm)
    ph2 = load_photo(jpeg)
    card = find_id1_card(ph2.srgb, hand.image_px)
    assert card is not None
    assert card.px_per_mm == pytest.approx(px_per_mm, rel=0.03)
    h2 = detector.detect(ph2)[0]
    pl = place_ring(ph2, h2, camera_from_photo(ph2))
    rs = pl.ring_size
    assert rs.size_source == "card"
    truth = us_size_of_diameter(equivalent_diameter_mm(pl.finger_width_px / px_per_mm))
    assert abs(rs.details["us_continuous"] - truth) < 0.6
    assert pl.details["size"]["card"]["px_per_mm"] == pytest.approx(px_per_mm, rel=0.03)
    # a card is a measurement: its interval is narrower than the hand's proportions give
    assert rs.interval[1] - rs.interval[0] <= base.ring_size.interval[1] - base.ring_size.interval[0] - 1.0


def test_no_card_found_on_dev_photos_without_one(data_dir, detector):
    from jewelrender.photo import load_photo

    for name in ("11khands_female_dorsal.jpg", "ringtryon_assets_14.jpg", "palmistry_hand70.jpg"):
        ph = load_photo(data_dir / "photos" / "hands" / name)
        assert find_id1_card(ph.srgb, detector.detect(ph)[0].image_px) is None, name


def test_narrow_fingers_lean_on_the_prior_and_card_drops_the_bias():
    # the same measured diameter on a 19 px finger is less certain than on an 80 px one
    wide, narrow = estimate_ring_size(16.5, width_px=80.0), estimate_ring_size(16.5, width_px=19.0)
    prior = estimate_ring_size(None)
    assert narrow.details["scale_sigma"] > wide.details["scale_sigma"]
    assert abs(narrow.details["us_continuous"] - prior.details["us_continuous"]) < \
        abs(wide.details["us_continuous"] - prior.details["us_continuous"])
    card = estimate_ring_size(16.5, width_px=80.0, card=True)
    assert card.size_source == "card" and card.details["scale_bias"] == 0.0
    assert card.us == pytest.approx(us_size_of_diameter(16.5), abs=0.5)
    assert card.interval[1] - card.interval[0] <= 3.5
