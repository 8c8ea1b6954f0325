"""A metric scale from an ID-1 card (a bank or ID card, 85.60 x 53.98 mm) lying beside the hand.

A photo has no absolute scale (:mod:`jewelrender.ringsize`): the finger's width is
measured in pixels and turned into millimetres through the average hand. A card of
the ISO/IEC 7810 ID-1 format in the photo, at about the hand's depth, gives the
millimetres directly: its sides in pixels over 85.60 and 53.98 mm.

Detection (OpenCV, no learned model): Canny edges of the photo (at most
:data:`_MAX_SIDE` px), closed; every contour simplified to a polygon; kept if it
is a convex quadrilateral with near-right corners whose opposite sides average to
the card's aspect (1.586, within :data:`ASPECT_TOLERANCE`), whose size is plausible
next to the hand (its long side 0.25-1.0 of the hand's wrist-to-fingertip length,
an adult's 85.6 / 180 ~ 0.48) and which lies near the hand. The best such
quadrilateral (closest aspect) wins; none is a normal outcome (``None``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CardDetection", "find_id1_card", "ID1_MM"]

#: ISO/IEC 7810 ID-1: width and height, mm.
ID1_MM = (85.60, 53.98)
#: Accepted relative deviation of the measured aspect from 85.60 / 53.98.
ASPECT_TOLERANCE = 0.06
#: Largest |cos| of a corner's angle (a card seen a little obliquely is not quite rectangular).
MAX_CORNER_COS = 0.2
_MAX_SIDE = 1000


@dataclass(frozen=True)
class CardDetection:
    """An ID-1 card found in the photo.

    Attributes
    ----------
    corners_px : ndarray, (4, 2)
        Its corners, photo pixels, in contour order.
    px_per_mm : float
        Pixels per millimetre at the card (its long sides over 85.60 mm and short sides over
        53.98 mm, averaged).
    aspect : float
        Its measured long/short side ratio (85.60 / 53.98 = 1.586 for a card seen face-on).
    """

    corners_px: np.ndarray
    px_per_mm: float
    aspect: float

    def to_report(self) -> dict:
        return {"corners_px": [[round(float(v), 1) for v in p] for p in self.corners_px],
                "px_per_mm": round(self.px_per_mm, 4), "aspect": round(self.aspect, 4)}


def _sides(q: np.ndarray) -> np.ndarray:
    return np.linalg.norm(np.roll(q, -1, axis=0) - q, axis=1)


def _max_corner_cos(q: np.ndarray) -> float:
    worst = 0.0
    for i in range(4):
        a = q[i - 1] - q[i]
        b = q[(i + 1) % 4] - q[i]
        c = abs(float(a @ b) / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-9))
        worst = max(worst, c)
    return worst


def _sharp_corners(contour: np.ndarray, q: np.ndarray) -> np.ndarray:
    """The card's virtual sharp corners: its four sides fitted as lines and intersected.

    The card's corners are rounded (3.18 mm): the polygon's vertices lie inside the corners that
    85.60 x 53.98 mm are measured to, and would read the card ~2 % small.
    """
    import cv2

    idx = [int(np.argmin(np.linalg.norm(contour - v, axis=1))) for v in q]
    n = len(contour)
    lines = []
    for i in range(4):
        a, b = idx[i], idx[(i + 1) % 4]
        seg = contour[np.arange(a, b + (n if b < a else 0) + 1) % n]
        k = len(seg)
        seg = seg[int(0.15 * k): max(int(0.85 * k), int(0.15 * k) + 2)]
        if len(seg) < 2:
            return q
        vx, vy, x0, y0 = cv2.fitLine(seg.astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        lines.append((np.array([x0, y0], float), np.array([vx, vy], float)))
    out = []
    for i in range(4):
        (p1, d1), (p2, d2) = lines[i - 1], lines[i]
        A = np.array([d1, -d2]).T
        if abs(np.linalg.det(A)) < 1e-6:
            return q
        t = np.linalg.solve(A, p2 - p1)
        out.append(p1 + t[0] * d1)
    return np.asarray(out)


def find_id1_card(srgb: np.ndarray, hand_px: np.ndarray | None = None) -> CardDetection | None:
    """The ID-1 card beside the hand, or None.

    Parameters
    ----------
    srgb : ndarray, (H, W, 3) uint8
        The photo.
    hand_px : ndarray, (21, 2), optional
        The hand's landmarks (photo pixels): the card must be of a plausible size next to this hand
        and lie within one hand length of it. Without them any card-shaped quadrilateral counts.
    """
    import cv2

    img = np.asarray(srgb)
    H, W = img.shape[:2]
    s = min(1.0, _MAX_SIDE / max(H, W))
    small = cv2.resize(img, (max(int(W * s), 8), max(int(H * s), 8)), interpolation=cv2.INTER_AREA) if s < 1 else img
    gray = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), (5, 5), 0)
    med = float(np.median(gray))
    edges = cv2.Canny(gray, max(10.0, 0.5 * med), max(30.0, 1.2 * med))
    edges = cv2.morphologyEx(edges, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(edges, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    target = ID1_MM[0] / ID1_MM[1]
    hand_len = centre = None
    if hand_px is not None:
        hp = np.asarray(hand_px, float)
        hand_len = float(np.linalg.norm(hp[12] - hp[0]))
        centre = hp.mean(axis=0)
    min_area = 0.002 * small.shape[0] * small.shape[1]
    best, best_err = None, None
    for c in contours:
        if cv2.contourArea(c) < min_area:
            continue
        q = cv2.approxPolyDP(c, 0.02 * cv2.arcLength(c, True), True)
        if len(q) != 4 or not cv2.isContourConvex(q):
            continue
        q = _sharp_corners(c.reshape(-1, 2).astype(float), q.reshape(4, 2).astype(float)) / s
        if _max_corner_cos(q) > MAX_CORNER_COS:
            continue
        sd = _sides(q)
        a, b = (sd[0] + sd[2]) / 2.0, (sd[1] + sd[3]) / 2.0
        long_, short = max(a, b), min(a, b)
        aspect = long_ / max(short, 1e-9)
        err = abs(aspect / target - 1.0)
        if err > ASPECT_TOLERANCE:
            continue
        if hand_len is not None:
            if not 0.25 <= long_ / max(hand_len, 1e-9) <= 1.0:
                continue
            if float(np.linalg.norm(q.mean(axis=0) - centre)) > 1.5 * hand_len:
                continue
        if best_err is None or err < best_err:
            best, best_err = (q, 0.5 * (long_ / ID1_MM[0] + short / ID1_MM[1]), aspect), err
    if best is None:
        return None
    return CardDetection(corners_px=best[0], px_per_mm=float(best[1]), aspect=float(best[2]))
