"""Per-pixel hand segmentation around the ring: which pixels are the ring finger, which a neighbour.

The capsules of :mod:`jewelrender.proxies` are good enough for light transport but
their outline is not the finger's: a band whose ends follow a capsule sticks out
past the real finger or bridges the gap to the next one. This module finds the
photo's own silhouette so the composite can cut the ring where the real finger
ends (see :func:`jewelrender.composite.composite`, ``segmentation``).

Method (no learned weights beyond MediaPipe's landmarks, nothing downloaded):

1. GrabCut (Rother et al. 2004) on a region around the ring, its colour models
   seeded from the landmarks: thin lines along every bone and the palm polygon
   are sure hand, bone corridors of the finger's measured width probable hand,
   the rest of the region near the hand probable background, far pixels sure
   background.
2. A watershed on the photo's gradients from marker lines along each finger's
   bones splits the hand into fingers, so the dark crease where two fingers touch
   becomes the border between them.

MediaPipe's selfie segmentation (in the 0.10.21 wheel) was tried on three dev
photos and left out: on ``11khands_female_dorsal`` it finds a third of the hand,
on ``palmistry_IMG_0364`` and ``ringtryon_target_left`` the outline is right but
soft (its input is 256 px) and the gaps between touching fingers are filled in,
which is exactly where the band's ends must be decided.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .landmarks import FINGERS

__all__ = ["HandSegmentation", "segment_hand", "visible_mask", "overhang_px", "OVERHANG_FRACTION", "OVERHANG_MAX_PX"]

#: Relative width of each finger to the ring finger (adult hand averages), for the seeds.
_REL_WIDTH = {"thumb": 1.2, "index": 1.05, "middle": 1.1, "ring": 1.0, "little": 0.85}
#: Along the proximal bone (0 = MCP, 1 = PIP), up to where the finger web joins the neighbours:
#: there the finger is its measured width about the bone line; beyond it the watershed's border
#: (the crease between fingers) decides. Up to the PIP, a landmark line off the finger's centre put
#: the gap beside the finger into it (11khands_female_dorsal) and the band overhung it.
WEB_END = 0.3
#: A gap's seed must run at least this many finger widths along the finger (the crease between two
#: fingers does; the wrinkles and folds at the finger's base, which bit into 11khands_female_palmar's
#: ring finger at half a width, do not).
GAP_MIN_LENGTH = 1.0
#: GrabCut runs on at most this many pixels along the region's longer side.
_MAX_SIDE = 256


@dataclass(frozen=True)
class HandSegmentation:
    """The hand's silhouette around the ring, split into fingers.

    Attributes
    ----------
    x, y : int
        Top-left corner of the segmented region in the photo, px.
    hand : ndarray, (h, w) bool
        Pixels that are the hand (any part of it).
    labels : ndarray, (h, w) int8
        Which finger each hand pixel belongs to: the index in
        :data:`jewelrender.landmarks.FINGERS` order (thumb = 0 ... little = 4), -1
        off the hand.
    finger : str
        The finger that wears the ring.
    method : str
        How the silhouette was found.
    """

    x: int
    y: int
    hand: np.ndarray
    labels: np.ndarray
    finger: str
    method: str = "grabcut+watershed"
    axis_px: tuple = ()   # (mcp, pip) of the ring finger's proximal bone, photo pixels

    @property
    def finger_index(self) -> int:
        return list(FINGERS).index(self.finger)

    @property
    def own(self) -> np.ndarray:
        """(h, w) bool: pixels of the finger that wears the ring."""
        return self.labels == self.finger_index

    def window(self, crop) -> tuple[np.ndarray, np.ndarray]:
        """``(hand, own)`` cut to a :class:`~jewelrender.scene.Crop` (False outside the region)."""
        h, w = crop.height, crop.width
        hand = np.zeros((h, w), bool)
        own = np.zeros((h, w), bool)
        x0, y0 = max(crop.x, self.x), max(crop.y, self.y)
        x1 = min(crop.x + w, self.x + self.hand.shape[1])
        y1 = min(crop.y + h, self.y + self.hand.shape[0])
        if x1 > x0 and y1 > y0:
            src = (slice(y0 - self.y, y1 - self.y), slice(x0 - self.x, x1 - self.x))
            dst = (slice(y0 - crop.y, y1 - crop.y), slice(x0 - crop.x, x1 - crop.x))
            hand[dst] = self.hand[src]
            own[dst] = self.own[src]
        return hand, own

    def other_fingers(self, crop) -> np.ndarray:
        """(h, w) bool over ``crop``: pixels labelled as a finger other than the ring's."""
        other = np.zeros((crop.height, crop.width), bool)
        x0, y0 = max(crop.x, self.x), max(crop.y, self.y)
        x1 = min(crop.x + crop.width, self.x + self.hand.shape[1])
        y1 = min(crop.y + crop.height, self.y + self.hand.shape[0])
        if x1 > x0 and y1 > y0:
            lab = self.labels[y0 - self.y:y1 - self.y, x0 - self.x:x1 - self.x]
            other[y0 - crop.y:y1 - crop.y, x0 - crop.x:x1 - crop.x] = (lab >= 0) & (lab != self.finger_index)
        return other

    def to_report(self) -> dict:
        return {"method": self.method, "region": [self.x, self.y, int(self.hand.shape[1]), int(self.hand.shape[0])],
                "hand_fraction": round(float(self.hand.mean()), 4),
                "finger_fraction": round(float(self.own.mean()), 4)}


def _bones(hand_px: np.ndarray) -> dict[str, list[tuple[np.ndarray, np.ndarray]]]:
    out = {}
    for name, (a, b, c, d) in FINGERS.items():
        base = 0 if name == "thumb" else a  # the thumb's metacarpal is part of its silhouette
        chain = [base, a, b, c, d] if name == "thumb" else [a, b, c, d]
        pts = [hand_px[i] for i in chain]
        segs = list(zip(pts[:-1], pts[1:]))
        # Stop short of the tip landmark: it sits on the nail's edge, often past the skin.
        p, q = segs[-1]
        segs[-1] = (p, p + 0.8 * (q - p))
        out[name] = segs
    return out


def _finger_gaps(region: np.ndarray, hand_mask: np.ndarray, pts: np.ndarray, finger: str, wpx: float) -> np.ndarray:
    """(h, w) uint8: thin dark valleys running along the ring finger (the gaps and creases between fingers).

    A morphological black-hat (the image's closing minus itself) at a third of the finger's
    width finds thin dark lines; only components longer than GAP_MIN_LENGTH finger widths and running
    within 25 deg of the finger's axis are kept (the wrinkles at the joints run across it).
    """
    import cv2

    gray = cv2.cvtColor(region, cv2.COLOR_RGB2GRAY)
    k = max(int(round(wpx / 3.0)) | 1, 3)
    bh = cv2.morphologyEx(gray, cv2.MORPH_BLACKHAT, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    inside = hand_mask > 0
    if not inside.any():
        return np.zeros_like(hand_mask)
    thr = max(12.0, 4.0 * float(np.median(bh[inside])))
    cand = ((bh > thr) & inside).astype(np.uint8)
    a, b = FINGERS[finger][0], FINGERS[finger][1]
    ax = pts[b] - pts[a]
    ax = ax / max(float(np.hypot(*ax)), 1e-6)
    n, lab, stats, _ = cv2.connectedComponentsWithStats(cand, connectivity=8)
    out = np.zeros_like(hand_mask)
    for i in range(1, n):
        if stats[i, cv2.CC_STAT_AREA] < 0.25 * wpx:
            continue
        ys, xs = np.nonzero(lab == i)
        xy = np.stack([xs, ys], 1).astype(float)
        xy -= xy.mean(0)
        ev, evec = np.linalg.eigh(xy.T @ xy)
        length = 4.0 * np.sqrt(max(ev[-1], 0.0) / len(xy))
        if length < GAP_MIN_LENGTH * wpx or abs(float(evec[:, -1] @ ax)) < np.cos(np.radians(25.0)):
            continue
        out[lab == i] = 1
    return out


def segment_hand(photo, hand, *, finger: str, center_px, finger_width_px: float, radius_px: float | None = None
                 ) -> HandSegmentation:
    """Segment the hand in a square region around ``center_px``.

    Parameters
    ----------
    photo : Photo
    hand : HandLandmarks
    finger : str
        The finger wearing the ring (a key of :data:`FINGERS`).
    center_px : (2,) pixels
        Where the ring is.
    finger_width_px : float
        The finger's measured width there (seeds' thickness).
    radius_px : float, optional
        Half the region's side; default 2.5 finger widths.
    """
    import cv2

    img = photo.srgb
    H, W = img.shape[:2]
    wpx = max(float(finger_width_px), 4.0)
    r = float(radius_px) if radius_px is not None else 2.5 * wpx
    cx, cy = float(center_px[0]), float(center_px[1])
    x0, y0 = max(int(cx - r), 0), max(int(cy - r), 0)
    x1, y1 = min(int(np.ceil(cx + r)), W), min(int(np.ceil(cy + r)), H)
    region = np.ascontiguousarray(img[y0:y1, x0:x1])
    h, w = region.shape[:2]
    s = min(1.0, _MAX_SIDE / max(h, w))
    small = cv2.resize(region, (max(int(w * s), 8), max(int(h * s), 8)), interpolation=cv2.INTER_AREA) if s < 1 else region
    sh, sw = small.shape[:2]
    pts = (np.asarray(hand.image_px, float) - [x0, y0]) * [sw / w, sh / h]
    ws = wpx * sw / w
    bones = _bones(pts)

    def draw(thick_of, value, canvas):
        for name, segs in bones.items():
            t = max(int(round(thick_of(name))), 1)
            for p, q in segs:
                cv2.line(canvas, tuple(int(round(v)) for v in p), tuple(int(round(v)) for v in q), value, t, cv2.LINE_8)
        return canvas

    palm = np.round(pts[[0, 1, 5, 9, 13, 17]]).astype(np.int32)
    near = np.zeros((sh, sw), np.uint8)
    draw(lambda n: 3.6 * ws * _REL_WIDTH[n], 1, near)
    cv2.fillConvexPoly(near, cv2.convexHull(palm), 1)
    mask = np.where(near > 0, cv2.GC_PR_BGD, cv2.GC_BGD).astype(np.uint8)
    prob = np.zeros((sh, sw), np.uint8)
    draw(lambda n: 0.9 * ws * _REL_WIDTH[n], 1, prob)
    mask[prob > 0] = cv2.GC_PR_FGD
    sure = np.zeros((sh, sw), np.uint8)
    draw(lambda n: 0.3 * ws * _REL_WIDTH[n], 1, sure)
    hull = np.zeros((sh, sw), np.uint8)
    cv2.fillConvexPoly(hull, cv2.convexHull(palm), 1)
    hull = cv2.erode(hull, np.ones((3, 3), np.uint8), iterations=max(int(0.5 * ws), 1))
    sure |= hull
    mask[sure > 0] = cv2.GC_FGD
    method = "grabcut+watershed"
    bgr = cv2.cvtColor(small, cv2.COLOR_RGB2BGR)
    if (mask == cv2.GC_BGD).sum() > 20 and (mask == cv2.GC_FGD).sum() > 20 and \
            ((mask == cv2.GC_BGD) | (mask == cv2.GC_PR_BGD)).sum() > 20:
        bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
        # GrabCut's k-means draws from OpenCV's per-thread RNG: seed it, so the same photo gives
        # the same silhouette (and bytes) from any thread and any call order.
        cv2.setRNGSeed(0)
        cv2.grabCut(bgr, mask, None, bgd, fgd, 4, cv2.GC_INIT_WITH_MASK)
        fg = ((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)).astype(np.uint8)
    else:
        # The hand fills the region: nothing to learn a background from.
        fg = (mask != cv2.GC_BGD).astype(np.uint8)
        method = "landmark corridors"
    # Back to full resolution, then clean specks and pinholes.
    fgf = cv2.resize(fg.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR) if s < 1 else fg.astype(np.float32)
    hand_mask = (cv2.GaussianBlur(fgf, (0, 0), 0.7) > 0.5).astype(np.uint8)
    k = np.ones((3, 3), np.uint8)
    hand_mask = cv2.morphologyEx(hand_mask, cv2.MORPH_OPEN, k)
    hand_mask = cv2.morphologyEx(hand_mask, cv2.MORPH_CLOSE, k)

    # Watershed from each finger's bone line, at full resolution, inside the hand.
    ptsf = np.asarray(hand.image_px, float) - [x0, y0]
    markers = np.zeros((h, w), np.int32)
    for i, (name, segs) in enumerate(_bones(ptsf).items()):
        t = max(int(round(0.2 * wpx * _REL_WIDTH[name])), 1)
        for p, q in segs:
            cv2.line(markers, tuple(int(round(v)) for v in p), tuple(int(round(v)) for v in q), i + 1, t)
    markers[(hand_mask == 0) & (cv2.dilate(hand_mask, k, iterations=2) == 0)] = 6
    # The dark gaps and creases between fingers, seeded as a label of their own so that no finger's
    # flood crosses them (without them a finger took in the shadowed gap beside it, and the band
    # overhung it: 11khands_female_dorsal, where GrabCut has no background to learn from).
    # Only beside the ring's own segment, past the web (0.3 .. 1.2 of MCP -> PIP, within 1.5 finger
    # widths of its bone): elsewhere a gap's flood would run into the back of the hand.
    fa, fb = ptsf[FINGERS[finger][0]], ptsf[FINGERS[finger][1]]
    fax = fb - fa
    fL = max(float(np.hypot(*fax)), 1e-6)
    fax = fax / fL
    gy, gx = np.mgrid[0:h, 0:w]
    f_along = (gx - fa[0]) * fax[0] + (gy - fa[1]) * fax[1]
    f_across = np.abs(-(gx - fa[0]) * fax[1] + (gy - fa[1]) * fax[0])
    beside = (f_along >= WEB_END * fL) & (f_along <= 1.2 * fL) & (f_across <= 1.5 * wpx)
    gaps = _finger_gaps(region, hand_mask, ptsf, finger, wpx)
    markers[(gaps > 0) & (markers == 0) & beside] = 7
    cv2.watershed(cv2.cvtColor(region, cv2.COLOR_RGB2BGR), markers)
    # The gap is the dark valley itself (and a couple of pixels round it); the rest of its flood is
    # the shaded flank of a finger and goes back to the nearest finger below.
    r_gap = max(int(round(0.08 * wpx)), 2)
    near_gap = cv2.dilate(gaps, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r_gap + 1,) * 2)) > 0
    gap_lab = (markers == 7) & beside & near_gap
    hand_mask = np.where(gap_lab, 0, hand_mask).astype(np.uint8)
    # Watershed lines (-1) and stray background go to the nearest finger label.
    lab = markers.copy()
    lab[(lab < 1) | (lab > 5)] = 0
    if np.any(lab == 0) and np.any(lab > 0):
        _, idx = cv2.distanceTransformWithLabels((lab == 0).astype(np.uint8), cv2.DIST_L2, 3,
                                                 labelType=cv2.DIST_LABEL_PIXEL)
        seeds = lab[lab > 0]
        # distanceTransformWithLabels numbers the zero pixels of its input in scan order.
        lab = seeds[np.clip(idx - 1, 0, len(seeds) - 1)].reshape(h, w) if len(seeds) else lab
    labels = np.where(hand_mask > 0, lab - 1, -1).astype(np.int8)
    # Near the knuckle the finger runs into the back of the hand (or the palm) with no
    # crease between them, and the watershed's border there is arbitrary. There (up to
    # WEB_END) the finger is what lies within its measured half-width of the proximal bone.
    mcp, pip = ptsf[FINGERS[finger][0]], ptsf[FINGERS[finger][1]]
    ax = pip - mcp
    L = max(float(np.hypot(*ax)), 1e-6)
    ax = ax / L
    gy, gx = np.mgrid[0:h, 0:w]
    rel = np.stack([gx - mcp[0], gy - mcp[1]], -1)
    along = rel @ ax
    across = np.abs(rel @ np.array([-ax[1], ax[0]]))
    corridor = (across <= 0.5 * wpx + 1.0) & (along >= -0.3 * L) & (along <= WEB_END * L)
    labels[(hand_mask > 0) & corridor] = list(FINGERS).index(finger)
    return HandSegmentation(x=x0, y=y0, hand=hand_mask > 0, labels=labels, finger=finger, method=method,
                            axis_px=(tuple(mcp + [x0, y0]), tuple(pip + [x0, y0])))


#: How far past the segmented finger's outline the band may show, as a fraction of its thickness as
#: seen, and at most OVERHANG_MAX_PX. Geometrically the band's outer surface stands its thickness
#: proud of the skin at the silhouette; in the photos the finger's outline there is soft and the band's
#: flank is a grazing, edge-on sliver. Shown at full thickness it read as a bar overhanging the gap
#: between fingers (blind test 2026-12-02, both judges): the band now turns out of sight at the outline.
OVERHANG_FRACTION = 0.25
OVERHANG_MAX_PX = 1.5


def overhang_px(thickness_px: float) -> float:
    """How far (px) the ring may show past its finger's segmented outline."""
    return float(min(OVERHANG_FRACTION * max(float(thickness_px), 1.0), OVERHANG_MAX_PX))


#: Along the ring finger's axis, the band may always show this share of the measured finger width
#: (centred on the landmarks' axis) unless another finger covers it: a finger's own shaded flank can
#: read as the gap beside it (on ``11khands_female_palmar`` a band spanned 0.70 x the measured width
#: and visibly stopped short of the finger's edge; on ``palmistry_hand6`` a third of it was cut).
MEASURED_SPAN = 0.9
NARROW_SHARE = 0.8   # ... where the segmented finger spans less than this share of the measured width


def visible_mask(seg: HandSegmentation, crop, thickness_px: float, exempt: np.ndarray | None = None,
                 finger_width_px: float | None = None) -> np.ndarray:
    """Where in ``crop`` the ring may show, (h, w) float32 in [0, 1].

    The ring's own finger and a sliver of :func:`overhang_px` around it (the band
    turns out of sight at the finger's outline: its back is hidden inside it), less
    the other fingers (they cover it, or it would bridge the gap to them).
    ``exempt`` pixels (a setting that rises above the finger) are always allowed.
    With ``finger_width_px`` (the measured width), :data:`MEASURED_SPAN` of it about the
    finger's axis is allowed wherever no other finger is.
    """
    import cv2

    hand, own = seg.window(crop)
    t = max(float(thickness_px), 1.0)
    m = overhang_px(t)
    h, w = own.shape
    dist = cv2.distanceTransform((~own).astype(np.uint8), cv2.DIST_L2, 5)
    floor = None
    if len(seg.axis_px) == 2:
        # Along each line across the finger, the band may reach the finger's own edges plus its
        # thickness: the cut runs along the finger's outline, smoothed along the finger, so the
        # band's ends follow the real finger without steps where the border wavers.
        mcp = np.asarray(seg.axis_px[0], float) - [crop.x, crop.y]
        pip = np.asarray(seg.axis_px[1], float) - [crop.x, crop.y]
        ax = (pip - mcp) / max(float(np.hypot(*(pip - mcp))), 1e-6)
        gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
        along = (gx - mcp[0]) * ax[0] + (gy - mcp[1]) * ax[1]
        across = -(gx - mcp[0]) * ax[1] + (gy - mcp[1]) * ax[0]
        b = np.round(along - along.min()).astype(np.int64)
        nb = int(b.max()) + 1
        lo = np.full(nb, np.inf)
        hi = np.full(nb, -np.inf)
        np.minimum.at(lo, b[own], across[own])
        np.maximum.at(hi, b[own], across[own])
        have = np.isfinite(lo)
        if have.sum() >= 3:
            idx = np.arange(nb)
            lo = np.interp(idx, idx[have], lo[have])
            hi = np.interp(idx, idx[have], hi[have])
            from scipy.ndimage import median_filter

            k = max(int(round(t)) | 1, 3)
            lo, hi = median_filter(lo, k, mode="nearest"), median_filter(hi, k, mode="nearest")
            allowed = (across >= lo[b] - m) & (across <= hi[b] + m)
            if finger_width_px is not None and np.isfinite(finger_width_px) and finger_width_px > 0:
                # Only where the segmented finger is much narrower than measured: where it is about
                # right the landmarks' axis may be off-centre, and the floor would overhang a real gap.
                half = 0.5 * MEASURED_SPAN * float(finger_width_px)
                narrow = (hi - lo) < NARROW_SHARE * float(finger_width_px)
                lo = np.where(narrow, np.minimum(lo, -half), lo)
                hi = np.where(narrow, np.maximum(hi, half), hi)
                allowed = (across >= lo[b] - m) & (across <= hi[b] + m)
                floor = narrow[b] & (np.abs(across) <= half)
        else:
            allowed = dist <= m
    else:
        allowed = dist <= m
    # Never further than the sliver from the finger; inside another finger the ring is covered
    # by it (or would bridge the gap to it).
    near_own = (dist <= m) & ~(hand & ~own & (dist > m))
    allowed &= near_own if floor is None else near_own | (floor & ~seg.other_fingers(crop))
    allowed = allowed.astype(np.uint8)
    r = max(int(round(t / 3.0)), 1)
    allowed = cv2.morphologyEx(allowed, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1,) * 2))
    allowed = allowed > 0
    if exempt is not None:
        allowed |= np.asarray(exempt, bool)
    # Anti-alias the cut as the renderer would its own silhouette.
    return np.clip(cv2.GaussianBlur(allowed.astype(np.float32), (0, 0), 0.6), 0.0, 1.0)
