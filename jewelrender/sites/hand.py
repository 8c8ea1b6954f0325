"""Stage 3 of the pipeline: where a ring sits on the hand, in 3D, and the hand's proxy geometry.

Frames and units: camera frame (OpenCV: +x right, +y down, +z forward),
metres; pixel coordinates are continuous (image top-left corner at (0, 0)).

How the 3D hand is obtained
---------------------------
MediaPipe's world landmarks are metric but their scale wanders from photo to
photo (0.5x to 1.2x of its own median on the dev photos; a wrongly small hand
would read as a tiny ring size). They are therefore first rescaled so that
their bone lengths match :data:`CANONICAL_BONES_MM` (robust median of the
ratios), then ``cv2.solvePnP`` (SQPnP, no distortion) fits them to the 2D
landmarks with the camera's intrinsics. Where that fit disagrees with the
image (residual over 6 % of the hand's size, or a depth more than 1.35x off
the depth implied by the least foreshortened bones' image lengths), the
world landmarks' relative depths are used around that bone-length depth
instead (``details["pose"]["method"] == "weak-perspective"``; 8 of the 30
dev photos, mostly tight crops of ring adverts). The pose only supplies *depth*: each
2D landmark is back-projected along its own pixel ray to the depth the pose
gives it, so ``points_cam`` projects exactly onto the detected landmarks.

Absolute scale first comes from the average hand; the ring size
(:mod:`jewelrender.ringsize`) combines the finger's width measured at that
scale with a prior from adult ring sizes, and the whole hand is then rescaled
about the camera centre to the size estimate (``details["size"]["metric_scale"]``),
so ``distance_m`` is an estimate too. The hand's projection does not depend on
that scale; the piece's size relative to the finger does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import DetectionError, FingerNotVisibleError, InvalidOptionError
from ..landmarks.types import FINGERS, HandLandmarks
from ..card import find_id1_card
from ..ringsize import RingSize, equivalent_diameter_mm, estimate_ring_size
from .base import piece_to_cam

__all__ = [
    "Capsule",
    "RingPlacement",
    "place_ring",
    "hand_points_cam",
    "measure_width_px",
    "us_ring_size",
    "ring_inner_diameter_mm",
    "CANONICAL_BONES_MM",
    "PRIOR_FINGER_WIDTH_MM",
    "US_SIZE_RANGE",
    "DEFAULT_POSITION",
    "RING_DIAMETER_RANGE_MM",
    "MIN_VISIBLE_FRACTION",
    "check_finger",
    "check_hand",
    "HAND_CHOICES",
    "segment_joints",
    "visible_fraction",
    "dorsal_normal",
    "hand_proxies",
    "lab_profiles",
]

#: Canonical lengths (mm) of the hand's bones between MediaPipe landmarks:
#: the median MediaPipe world-landmark lengths over the 25 detections of the
#: dev photos (hands/, wrists/) whose overall scale was within 10 % of the
#: median. Wrist to middle fingertip sums to ~178 mm, an average adult hand.
CANONICAL_BONES_MM: dict[tuple[int, int], float] = {
    (0, 1): 37.7, (0, 5): 92.3, (0, 9): 91.1, (0, 13): 88.5, (0, 17): 76.4,
    (5, 9): 22.7, (9, 13): 20.8, (13, 17): 23.0,
    (1, 2): 30.1, (2, 3): 30.3, (3, 4): 27.2,
    (5, 6): 25.3, (6, 7): 23.2, (7, 8): 24.0,
    (9, 10): 32.8, (10, 11): 28.5, (11, 12): 27.9,
    (13, 14): 27.2, (14, 15): 26.1, (15, 16): 25.9,
    (17, 18): 21.8, (18, 19): 21.7, (19, 20): 20.0,
}  # fmt: skip

#: Prior width (mm, side to side) of each digit's proximal segment, used when
#: the width cannot be measured in the image. Rough adult averages: a ring
#: finger of 17.3 mm is US size 7; index/middle run about a size larger and
#: the little finger about two sizes smaller.
PRIOR_FINGER_WIDTH_MM: dict[str, float] = {
    "thumb": 20.5, "index": 18.0, "middle": 18.0, "ring": 17.3, "little": 15.5,
}  # fmt: skip

#: Which hand a try-on may ask for; ``auto`` takes the clearest one found.
HAND_CHOICES = ("auto", "left", "right")

#: Taper of the middle and distal segments relative to the proximal one.
_SEGMENT_TAPER = (1.0, 0.9, 0.82)

#: Smallest and largest US ring size reported.
US_SIZE_RANGE = (3.0, 13.0)

#: Default ring position along the proximal phalanx (0 = MCP, 1 = PIP): where the real rings in the
#: dev photos sit (median 0.5 of 11, range 0.5-0.82; docs/pipeline.md).
DEFAULT_POSITION = 0.5

# A measured width is accepted only within this factor range of the prior.
_PLAUSIBLE = (0.6, 1.6)
# PnP depth is trusted within this factor of the bone-length depth.
_PNP_AGREE = 1.35
# Shortest usable phalanx in the image, pixels.
_MIN_PHALANX_PX = 8.0
#: Smallest angle between the ring's phalanx and the line of sight that still shows a band.
_MIN_VIEW_ANGLE_DEG = 20.0
# Where along MCP -> PIP the finger's width is measured (the centre of 0.3..0.8).
_WIDTH_AT = 0.55
# Palm capsule radius relative to the ring finger's (a palm ~25 mm thick).
_PALM_RADIUS_FACTOR = 1.45


# ---------------------------------------------------------------------------
# ring sizes
# ---------------------------------------------------------------------------
def ring_inner_diameter_mm(us_size: float) -> float:
    """Inner diameter (mm) of a US/Canada ring size.

    US sizes are linear in diameter: ``d = 11.63 mm + 0.8128 mm * size``
    (0.032 in per whole size; size 0 = 0.458 in), as in ISO 8653's US/Canada
    conversion tables and e.g. https://en.wikipedia.org/wiki/Ring_size.
    """
    s = _finite(us_size, "us_size")
    return 11.63 + 0.8128 * s


def us_ring_size(inner_diameter_mm: float) -> float:
    """Nearest US ring size (half sizes) for an inner diameter (mm), clamped to 3..13."""
    d = _finite(inner_diameter_mm, "inner_diameter_mm")
    size = (d - 11.63) / 0.8128
    size = round(size * 2.0) / 2.0
    return float(min(max(size, US_SIZE_RANGE[0]), US_SIZE_RANGE[1]))


def _finite(x, name: str) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        v = float("nan")
    if not math.isfinite(v) or isinstance(x, bool):
        raise InvalidOptionError(f"{name} must be a finite number, got {x!r}", details={name: repr(x)})
    return v


#: Human ring sizes: the inner diameters (mm) of :data:`US_SIZE_RANGE`'s ends.
RING_DIAMETER_RANGE_MM = (ring_inner_diameter_mm(US_SIZE_RANGE[0]), ring_inner_diameter_mm(US_SIZE_RANGE[1]))

#: A try-on showing less of the ring than this (see :func:`visible_fraction`) is refused.
MIN_VISIBLE_FRACTION = 0.35


def visible_fraction(coverage_px: float, finger_width_px: float, px_per_mm: float, band_width_mm: float) -> float:
    """Ring pixels seen, over those a band of this width covers across a straight finger seen from above.

    A band of width w across a finger of width W (pixels) covers about
    ``W * w`` pixels (it turns out of sight at the finger's outline: segmentation's
    ``overhang_px``); heads and oblique views only add to that, so the ratio is a
    lower bound on visibility.
    """
    expected = finger_width_px * band_width_mm * px_per_mm
    return float(coverage_px) / max(expected, 1.0)


# ---------------------------------------------------------------------------
# data classes
# ---------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Capsule:
    """A segment with a radius: proxy geometry of one part of the body.

    Attributes
    ----------
    name : str
        E.g. ``"ring.proximal"`` or ``"palm.wrist-index"``.
    p0, p1 : numpy.ndarray
        (3,) end points on the axis, camera frame, metres.
    radius : float
        Metres.
    """

    name: str
    p0: np.ndarray
    p1: np.ndarray
    radius: float

    def to_report(self) -> dict:
        return {
            "name": self.name,
            "p0": np.round(self.p0, 5).tolist(),
            "p1": np.round(self.p1, 5).tolist(),
            "radius": round(float(self.radius), 5),
        }


@dataclass(frozen=True, eq=False)
class RingPlacement:
    """Where and how a ring sits on a finger.

    Attributes
    ----------
    site : str
        ``"ring"``.
    hand : str
        ``"left"`` or ``"right"`` (anatomical).
    finger : str
        A key of :data:`jewelrender.landmarks.FINGERS`.
    position : float
        Along the proximal phalanx: 0 at the MCP (knuckle), 1 at the PIP.
    center_cam : numpy.ndarray
        (3,) metres, camera frame: the ring's centre, on the finger's axis.
    axis_cam : numpy.ndarray
        (3,) unit: along the proximal phalanx, MCP -> PIP (the piece's +Z).
    up_cam : numpy.ndarray
        (3,) unit, perpendicular to ``axis_cam``: towards the back (dorsal
        side) of the finger (the piece's +Y).
    center_px : numpy.ndarray
        (2,) pixels: projection of ``center_cam``.
    axis_px : numpy.ndarray
        (2,) unit image direction of the phalanx, MCP -> PIP.
    finger_width_px : float
        Side-to-side width of the finger at the ring, pixels.
    finger_width_source : str
        ``"measured"`` (from the image) or ``"prior"`` (anatomical prior).
    finger_radius_m : float
        The ring's inner radius: half the equivalent circle of the finger's
        elliptical cross-section (:func:`jewelrender.ringsize.equivalent_diameter_mm`
        of ``finger_width_px * z / fx``), at the size estimate's scale.
    inner_diameter_mm : float
        ``2 * finger_radius_m`` in mm: the size estimate's posterior median.
    ring_size_us : float
        ``ring_size.us``: the estimate's median, half sizes, not clamped.
    ring_size : RingSize
        The size with its 90 % interval and ``size_source`` (:mod:`jewelrender.ringsize`).
    distance_m : float
        Camera centre to ring centre.
    points_cam : numpy.ndarray
        (21, 3) the hand's landmarks in the camera frame, metres.
    proxies : tuple of Capsule
        Every digit segment and the palm: occluders, shadow catchers and the
        skin lighting estimation reads. The ring finger's proximal capsule
        has radius ``finger_radius_m``.
    details : dict
        Diagnostics (JSON-able): PnP residual, scale factor, width samples.
    """

    site: str
    hand: str
    finger: str
    position: float
    center_cam: np.ndarray
    axis_cam: np.ndarray
    up_cam: np.ndarray
    center_px: np.ndarray
    axis_px: np.ndarray
    finger_width_px: float
    finger_width_source: str
    finger_radius_m: float
    inner_diameter_mm: float
    ring_size_us: float
    distance_m: float
    points_cam: np.ndarray
    proxies: tuple[Capsule, ...]
    details: dict = field(default_factory=dict)
    ring_size: RingSize | None = None

    @property
    def breadth_mm(self) -> float:
        """The finger's side-to-side width at the ring: the bore is its elliptical section's equivalent circle."""
        return self.inner_diameter_mm / equivalent_diameter_mm(1.0)

    @property
    def px_per_mm(self) -> float:
        """Image pixels per millimetre at the ring's centre."""
        return self.finger_width_px / self.breadth_mm

    @property
    def right_cam(self) -> np.ndarray:
        """(3,) unit ``up_cam x axis_cam``: the piece's +X, completing a right-handed frame."""
        return np.cross(self.up_cam, self.axis_cam)

    @property
    def piece_to_cam(self) -> np.ndarray:
        """(4, 4) transform from the piece frame (millimetres) to the camera frame (metres)."""
        return piece_to_cam(self.up_cam, self.axis_cam, self.center_cam)

    def to_report(self) -> dict:
        """JSON-able summary."""
        r = lambda v, n=2: [round(float(x), n) for x in v]  # noqa: E731
        return {
            "site": self.site,
            "hand": self.hand,
            "finger": self.finger,
            "position": round(self.position, 3),
            "center_px": r(self.center_px),
            "axis_px": r(self.axis_px, 4),
            "center_cam_m": r(self.center_cam, 5),
            "axis_cam": r(self.axis_cam, 4),
            "up_cam": r(self.up_cam, 4),
            "inner_diameter_mm": round(self.inner_diameter_mm, 2),
            "ring_size_us": self.ring_size_us,
            "ring_size": None if self.ring_size is None else self.ring_size.to_report(),
            "px_per_mm": round(self.px_per_mm, 4),
            "distance_m": round(self.distance_m, 4),
            "finger_width_px": round(self.finger_width_px, 2),
            "finger_width_source": self.finger_width_source,
            "finger_radius_m": round(self.finger_radius_m, 6),
            "details": self.details,
        }


# ---------------------------------------------------------------------------
# 3D hand
# ---------------------------------------------------------------------------
def _normalised_world(world_m: np.ndarray) -> tuple[np.ndarray, float]:
    """Rescale MediaPipe world landmarks to the canonical bone lengths."""
    ratios = []
    for (a, b), mm in CANONICAL_BONES_MM.items():
        d = float(np.linalg.norm(world_m[a] - world_m[b]))
        if d > 1e-6:
            ratios.append(mm * 1e-3 / d)
    if len(ratios) < 5:
        raise DetectionError("the hand's 3D landmarks are degenerate; try a clearer photo of the hand")
    s = float(np.median(ratios))
    return world_m * s, s


def hand_points_cam(hand: HandLandmarks, K: np.ndarray) -> tuple[np.ndarray, dict]:
    """The hand's 21 landmarks in the camera frame.

    Parameters
    ----------
    hand : HandLandmarks
    K : numpy.ndarray
        (3, 3) camera intrinsics, pixels.

    Returns
    -------
    points_cam : numpy.ndarray
        (21, 3) metres; ``K @ p`` projects exactly onto ``hand.image_px``.
    info : dict
        ``scale`` applied to the world landmarks, PnP ``reproj_px`` (median),
        ``rvec``, and the ``method`` that gave the depths (``"pnp"``, or
        ``"weak-perspective"`` when the PnP fit disagrees with the image).
    """
    import cv2  # lazy

    world, scale = _normalised_world(hand.world_m)
    img = np.ascontiguousarray(hand.image_px, dtype=np.float64)
    K = np.asarray(K, dtype=np.float64)
    try:
        ok, rvec, tvec = cv2.solvePnP(world, img, K, None, flags=cv2.SOLVEPNP_SQPNP)
    except cv2.error as exc:
        raise DetectionError(f"could not fit the hand's 3D pose: {exc}") from exc
    if not ok:
        raise DetectionError("could not fit the hand's 3D pose; try a clearer photo of the hand")
    R, _ = cv2.Rodrigues(rvec)
    fitted = world @ R.T + tvec.reshape(1, 3)
    proj = fitted @ K.T
    with np.errstate(divide="ignore", invalid="ignore"):
        reproj = np.linalg.norm(proj[:, :2] / proj[:, 2:] - img, axis=1)
    reproj_med = float(np.median(reproj))

    # Independent depth of the hand: the least foreshortened bones (75th
    # percentile of image length / canonical length) are taken to lie parallel
    # to the image plane.
    px_per_m = [np.linalg.norm(img[a] - img[b]) / (mm * 1e-3) for (a, b), mm in CANONICAL_BONES_MM.items()]
    z_ref = float(K[0, 0] / max(np.quantile(px_per_m, 0.75), 1e-9))
    palm = [0, 5, 9, 13, 17]
    z = fitted[:, 2]
    z_pnp = float(np.median(z[palm]))
    method = "pnp"
    if (
        not np.all(np.isfinite(z))
        or np.any(z <= 0.01)
        or not 1 / _PNP_AGREE <= z_pnp / z_ref <= _PNP_AGREE
        or reproj_med > 0.06 * hand.size_px
    ):
        # The world landmarks disagree with the image (a bad fit, or a
        # collapsed 3D shape): keep their relative depths, which are already
        # in the camera's orientation, around the independent depth.
        method = "weak-perspective"
        z = z_ref + (world[:, 2] - np.median(world[palm, 2]))
        if np.any(z <= 0.01):
            raise DetectionError("the hand's 3D pose puts it behind or at the camera; try another photo")
    rays = np.column_stack([img, np.ones(21)]) @ np.linalg.inv(K).T  # (21, 3), z = 1
    pts = rays * z[:, None]
    info = {
        "method": method,
        "scale": round(scale, 4),
        "reproj_px": round(reproj_med, 2),
        "z_pnp_m": round(z_pnp, 4),
        "z_ref_m": round(z_ref, 4),
        "rvec": np.round(rvec.ravel(), 4).tolist(),
    }
    return pts, info


def dorsal_normal(pts: np.ndarray, handedness: str) -> np.ndarray:
    """Unit normal of the palm plane (wrist, index MCP, little MCP) towards the back of the hand.

    For a right hand, ``(index - wrist) x (little - wrist)`` points out of the
    palm; mirror-image for a left hand.
    """
    n = np.cross(pts[5] - pts[0], pts[17] - pts[0])
    if handedness == "right":
        n = -n
    norm = np.linalg.norm(n)
    if norm < 1e-12:
        raise DetectionError("the palm is seen exactly edge-on; try a photo of the back or the palm of the hand")
    return n / norm


# ---------------------------------------------------------------------------
# finger width in the image
# ---------------------------------------------------------------------------
def lab_profiles(srgb: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Sample the sRGB image (bilinear) at continuous pixel points (..., 2) -> CIELAB (..., 3)."""
    import cv2

    shp = pts.shape[:-1]
    flat = pts.reshape(-1, 2).astype(np.float32)
    # cv2.remap addresses pixel centres at integers; ours are at i + 0.5.
    mx = (flat[:, 0] - 0.5).reshape(1, -1)
    my = (flat[:, 1] - 0.5).reshape(1, -1)
    samp = cv2.remap(srgb, mx, my, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    lab = cv2.cvtColor(samp.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    return lab.reshape(*shp, 3)


def measure_width_px(
    srgb: np.ndarray,
    p0: np.ndarray,
    p1: np.ndarray,
    t: float,
    prior_px: float,
    *,
    n_profiles: int = 9,
    spread: float = 0.3,
) -> tuple[float | None, dict]:
    """Measure a finger's width in the image around a point of its segment.

    Profiles perpendicular to the segment ``p0 -> p1`` are sampled at
    ``n_profiles`` points spread over ``t +- spread/2`` (fractions of the
    segment). A skin colour model (CIELAB mean and spread) is taken from the
    middle of all profiles; walking outwards from the centre line, the edge on
    each side is the first place where the colour leaves that model: a
    different colour (background, sleeve, a ring) or a darker shade (the
    crease where two fingers touch). Each crossing is refined to the steepest
    colour change just before it. The width is the median over profiles.

    Parameters
    ----------
    srgb : numpy.ndarray
        (H, W, 3) uint8 sRGB photo.
    p0, p1 : numpy.ndarray
        (2,) segment end points, pixels (e.g. MCP and PIP).
    t : float
        Centre of the sampled stretch, fraction of the segment.
    prior_px : float
        Expected width, pixels: sets the profiles' length and the plausibility test.

    Returns
    -------
    width_px : float or None
        None when the measurement is implausible (too few consistent
        profiles, or outside 0.6..1.6 times the prior).
    info : dict
        Per-profile widths and the reason for a rejection.
    """
    p0 = np.asarray(p0, float)
    p1 = np.asarray(p1, float)
    seg = p1 - p0
    L = float(np.linalg.norm(seg))
    info: dict = {}
    if L < 1e-6 or not prior_px > 1.0:
        info["reason"] = "degenerate segment"
        return None, info
    a = seg / L
    nrm = np.array([-a[1], a[0]])
    ts = t + np.linspace(-spread / 2, spread / 2, n_profiles)
    half = 1.4 * prior_px
    step = max(0.35, prior_px / 60.0)
    s = np.arange(-half, half + step / 2, step)  # (S,)
    centres = p0[None, :] + ts[:, None] * seg[None, :]  # (P, 2)
    pts = centres[:, None, :] + s[None, :, None] * nrm[None, None, :]  # (P, S, 2)
    lab = lab_profiles(srgb, pts)  # (P, S, 3)

    core = np.abs(s) <= 0.18 * prior_px
    ref = lab[:, core, :].reshape(-1, 3)
    mu = np.median(ref, axis=0)
    mad = np.median(np.abs(ref - mu), axis=0) * 1.4826
    # Floors: skin shading across a finger changes L a lot more than chroma.
    sig = np.maximum(mad, [max(6.0, 0.08 * mu[0]), 3.0, 3.0])
    dev = (lab - mu) / sig
    # Brighter than the centre is fine up to a point (specular sheen on top).
    dl = np.where(dev[..., 0] > 0, dev[..., 0] * 0.6, dev[..., 0])
    dist = np.sqrt(dl**2 + dev[..., 1] ** 2 + dev[..., 2] ** 2)
    out = dist > 3.0
    # Colour change per step, for refinement.
    grad = np.zeros(lab.shape[:2])
    grad[:, 1:-1] = np.linalg.norm(lab[:, 2:] - lab[:, :-2], axis=-1) / 2.0

    ic = int(np.argmin(np.abs(s)))
    win = max(1, int(round(0.12 * prior_px / step)))
    # past the crossing, look no further than an edge's blur (~2 px): beyond
    # it may lie the neighbour's edge
    after = max(2, int(math.ceil(2.0 / step)))
    widths = []
    for k in range(len(ts)):
        edges = []
        for direction in (1, -1):
            j = ic
            found = None
            while 0 < j < len(s) - 1:
                j += direction
                # two outside samples in a row: ignore single-sample noise
                nxt = j + direction
                if out[k, j] and (0 <= nxt < len(s)) and out[k, nxt]:
                    found = j
                    break
            if found is None:
                break
            # the steepest change lies on the ramp around the crossing
            lo, hi = sorted((found - direction * win, found + direction * after))
            lo, hi = max(lo, 1), min(hi, len(s) - 2)
            jj = lo + int(np.argmax(grad[k, lo : hi + 1]))
            edges.append(s[jj])
        if len(edges) == 2:
            widths.append(abs(edges[0] - edges[1]))
    info["profile_widths_px"] = [round(w, 2) for w in widths]
    if len(widths) < max(3, n_profiles // 2):
        info["reason"] = "edges not found on enough profiles"
        return None, info
    w = np.asarray(widths)
    # The densest cluster of widths: profiles crossing a ring, a shadow or a
    # neighbour's edge scatter, the finger's own edges agree.
    support = [(np.abs(w - wi) <= 0.15 * wi).sum() for wi in w]
    best = w[int(np.argmax(support))]
    consistent = np.abs(w - best) <= 0.15 * best
    if consistent.sum() < max(3, int(0.4 * n_profiles)):
        info["reason"] = "profiles disagree"
        return None, info
    width = float(np.median(w[consistent]))
    ratio = width / prior_px
    info["ratio_to_prior"] = round(ratio, 3)
    if not _PLAUSIBLE[0] <= ratio <= _PLAUSIBLE[1]:
        info["reason"] = "implausible relative to the hand's size"
        return None, info
    return width, info


# ---------------------------------------------------------------------------
# placement
# ---------------------------------------------------------------------------
def check_finger(finger) -> str:
    """``finger`` if it names a digit (:data:`jewelrender.landmarks.FINGER_NAMES`), else InvalidOptionError.

    The one rule for a finger option, used by the pipeline, the gate and the placement.
    """
    if not isinstance(finger, str) or finger not in FINGERS:
        valid = list(FINGERS)
        raise InvalidOptionError(
            f"unknown finger {finger!r}; valid: {', '.join(valid)}",
            details={"option": "finger", "finger": repr(finger), "valid": valid})
    return finger


def check_hand(hand) -> str:
    """``hand`` if it is one of :data:`HAND_CHOICES`, else InvalidOptionError."""
    if not isinstance(hand, str) or hand not in HAND_CHOICES:
        raise InvalidOptionError(f"unknown hand {hand!r}; valid: {', '.join(HAND_CHOICES)}",
                                 details={"option": "hand", "valid": list(HAND_CHOICES)})
    return hand


def segment_joints(finger: str) -> tuple[int, int]:
    """Landmarks bounding the segment a ring is worn on (the proximal phalanx)."""
    idx = FINGERS[finger]
    # thumb: MCP -> IP (its landmarks start at the CMC); fingers: MCP -> PIP
    return (idx[1], idx[2]) if finger == "thumb" else (idx[0], idx[1])


def _prior_width_px(finger: str, segment: int, z: float, fx: float) -> float:
    return PRIOR_FINGER_WIDTH_MM[finger] * 1e-3 * _SEGMENT_TAPER[segment] * fx / z


def place_ring(photo, hand: HandLandmarks, camera, *, finger: str = "ring",
               position: float = DEFAULT_POSITION) -> RingPlacement:
    """Place a ring on a finger of a detected hand.

    Parameters
    ----------
    photo : Photo
        The oriented photo (``srgb``: (H, W, 3) uint8 sRGB).
    hand : HandLandmarks
        One detected hand of ``photo``.
    camera : Camera
        Pinhole camera of ``photo`` (``K``, ``width``, ``height``).
    finger : str
        ``"thumb"``, ``"index"``, ``"middle"``, ``"ring"`` or ``"little"`` (:func:`check_finger`).
    position : float
        Along the proximal phalanx, 0 = knuckle (MCP), 1 = middle joint (PIP).

    Returns
    -------
    RingPlacement

    Raises
    ------
    InvalidOptionError
        Unknown finger or position outside [0, 1].
    FingerNotVisibleError
        The finger's segment is outside the photo or too short to use.
    DetectionError
        The hand's 3D pose cannot be fitted.
    """
    finger = check_finger(finger)
    pos = _finite(position, "position")
    if not 0.0 <= pos <= 1.0:
        raise InvalidOptionError(f"position must be in [0, 1] (0 = knuckle, 1 = middle joint), got {position!r}",
                                 details={"position": pos, "valid": [0.0, 1.0]})
    srgb = np.asarray(getattr(photo, "srgb", photo))
    H, W = srgb.shape[:2]
    K = np.asarray(camera.K, dtype=np.float64)
    fx = float(K[0, 0])

    ia, ib = segment_joints(finger)
    a_px, b_px = hand.image_px[ia], hand.image_px[ib]
    seg_len = float(np.linalg.norm(b_px - a_px))
    margin = 0.0
    outside = [n for n, p in (("knuckle", a_px), ("middle joint", b_px))
               if not (-margin <= p[0] <= W + margin and -margin <= p[1] <= H + margin)]
    if outside:
        raise FingerNotVisibleError(
            f"the {finger} finger's {' and '.join(outside)} {'is' if len(outside) == 1 else 'are'} outside the photo; "
            "take a photo that shows the whole finger",
            details={"finger": finger, "outside": outside},
        )
    if seg_len < _MIN_PHALANX_PX:
        raise FingerNotVisibleError(
            f"the {finger} finger is too small or foreshortened in the photo ({seg_len:.1f} px); "
            "take a closer photo with the back of the hand facing the camera",
            details={"finger": finger, "segment_px": round(seg_len, 2)},
        )

    pts, pose_info = hand_points_cam(hand, K)
    A, B = pts[ia], pts[ib]
    center = A + pos * (B - A)
    axis = B - A
    axis /= np.linalg.norm(axis)
    dorsal = dorsal_normal(pts, hand.handedness)
    up = dorsal - (dorsal @ axis) * axis
    if np.linalg.norm(up) < 1e-6:  # finger pointing along the palm normal: should not happen
        raise FingerNotVisibleError(f"the {finger} finger points straight along the palm's normal; try another photo")
    up /= np.linalg.norm(up)
    # A phalanx seen end-on (finger bent or pointing at the lens) leaves no band to
    # show: the ring would render as a blob. Dev photos that work are >= 28 deg.
    view_angle = float(np.degrees(np.arccos(min(1.0, abs(axis @ center) / np.linalg.norm(center)))))
    if view_angle < _MIN_VIEW_ANGLE_DEG:
        raise FingerNotVisibleError(
            f"the {finger} finger points towards the camera ({view_angle:.0f} deg from the line of sight); "
            "photograph the hand flat, fingers straight, back of the hand towards the camera",
            details={"finger": finger, "view_angle_deg": round(view_angle, 1)},
        )
    c_h = K @ center
    center_px = c_h[:2] / c_h[2]
    axis_px = (b_px - a_px) / seg_len
    z = float(center[2])

    # Width of the ring's segment: measured, or the prior. The width changes little
    # along the proximal phalanx, but its first third is joined to the neighbours by
    # the finger web: measure over 0.3..0.8, always there and at that point's depth,
    # so that the size does not depend on where the ring is put (with the ring's
    # depth, moving it from 0.35 to 0.5 flipped assets_5 from US 6 to 9).
    z_w = float(A[2] + _WIDTH_AT * (B[2] - A[2]))
    prior_px = _prior_width_px(finger, 0, z_w, fx)
    width_px, winfo = measure_width_px(srgb, a_px, b_px, _WIDTH_AT, prior_px, n_profiles=11, spread=0.5)
    source = "measured" if width_px is not None else "prior"
    if width_px is None:
        width_px = prior_px
    width_px *= z_w / z  # the same finger, as wide in the image as it is at the ring's depth
    # The size: the finger's elliptical cross-section at the average hand's scale,
    # combined with the adult prior (ringsize.py). The whole hand is then rescaled
    # about the camera centre to the posterior's size: every landmark still projects
    # where it did, and the piece (fixed millimetres) is drawn at the right size
    # relative to the finger.
    seen_d_mm = equivalent_diameter_mm(width_px * z / fx * 1e3)
    # An ID-1 card beside the hand replaces the average hand's scale by a metric one.
    card = find_id1_card(srgb, hand.image_px) if source == "measured" else None
    if card is not None:
        size = estimate_ring_size(equivalent_diameter_mm(width_px / card.px_per_mm), width_px=width_px, card=True)
    else:
        size = estimate_ring_size(seen_d_mm if source == "measured" else None, width_px=width_px)
    scale = size.inner_diameter_mm / seen_d_mm
    pts = pts * scale
    center = center * scale
    z *= scale
    radius_m = size.inner_diameter_mm / 2e3
    inner_d_mm = size.inner_diameter_mm

    proxies = _proxies(srgb, hand, pts, K, finger, radius_m, half_breadth_m=width_px / 2.0 * z / fx)

    details = {"pose": pose_info, "width": {**winfo, "prior_px": round(prior_px, 2)},
               "size": {**size.to_report(), "metric_scale": round(scale, 4),
                        "card": None if card is None else card.to_report()}}
    return RingPlacement(
        site="ring",
        hand=hand.handedness,
        finger=finger,
        position=pos,
        center_cam=center,
        axis_cam=axis,
        up_cam=up,
        center_px=center_px,
        axis_px=axis_px,
        finger_width_px=float(width_px),
        finger_width_source=source,
        finger_radius_m=float(radius_m),
        inner_diameter_mm=float(inner_d_mm),
        ring_size_us=size.us,
        ring_size=size,
        distance_m=float(np.linalg.norm(center)),
        points_cam=pts,
        proxies=proxies,
        details=details,
    )


_SEGMENT_NAMES = ("proximal", "middle", "distal")


def hand_proxies(srgb, hand, pts, K, *, finger: str, finger_radius_m: float) -> tuple[Capsule, ...]:
    """The hand's capsules (every digit segment and the palm), for any site that needs the hand as a proxy.

    ``finger``'s proximal segment gets ``finger_radius_m`` and the others scale from
    it (see :func:`_proxies`); a wrist site passes the ring finger's prior radius.
    """
    return _proxies(srgb, hand, pts, K, finger, finger_radius_m)


def _proxies(srgb, hand, pts, K, ring_finger: str, ring_radius_m: float,
             half_breadth_m: float | None = None) -> tuple[Capsule, ...]:
    """Capsules for every digit segment and the palm.

    Each segment's radius is measured in the image where that works (at the
    segment's middle), else the ring finger's half width (``half_breadth_m``,
    default ``ring_radius_m``) scaled by the ratio of the anatomical priors;
    the ring's own segment uses ``ring_radius_m`` exactly, since the ring's
    inner surface sits on it (the finger pressed round by the band).
    """
    half_breadth_m = ring_radius_m if half_breadth_m is None else half_breadth_m
    fx = float(K[0, 0])
    H, W = srgb.shape[:2]
    caps: list[Capsule] = []
    ring_prior = PRIOR_FINGER_WIDTH_MM[ring_finger]
    ring_seg = segment_joints(ring_finger)
    for name, idx in FINGERS.items():
        for k in range(3):
            i, j = idx[k], idx[k + 1]
            # the thumb's segments are metacarpal, proximal, distal
            taper = (1.15, 1.0, 0.9)[k] if name == "thumb" else _SEGMENT_TAPER[k]
            fallback = half_breadth_m * PRIOR_FINGER_WIDTH_MM[name] / ring_prior * taper
            if (i, j) == ring_seg and name == ring_finger:
                r = ring_radius_m
            elif name == "thumb" and k == 0:
                # the thumb's metacarpal sits inside the thenar eminence: no edges to measure
                r = fallback
            else:
                r = fallback
                a, b = hand.image_px[i], hand.image_px[j]
                inside = all(0 <= p[0] < W and 0 <= p[1] < H for p in (a, b))
                if inside and np.linalg.norm(b - a) >= _MIN_PHALANX_PX:
                    zc = 0.5 * (pts[i, 2] + pts[j, 2])
                    prior_px = fallback * 2.0 * fx / zc
                    w, _ = measure_width_px(srgb, a, b, 0.5, prior_px, n_profiles=5, spread=0.4)
                    if w is not None:
                        r = w / 2.0 * zc / fx
            seg_name = ("metacarpal", "proximal", "distal")[k] if name == "thumb" else _SEGMENT_NAMES[k]
            caps.append(Capsule(f"{name}.{seg_name}", pts[i].copy(), pts[j].copy(), float(r)))
    palm_r = half_breadth_m * _PALM_RADIUS_FACTOR
    for tip, label in ((1, "thumb"), (5, "index"), (9, "middle"), (13, "ring"), (17, "little")):
        r = palm_r * (1.2 if tip == 1 else 1.0)
        caps.append(Capsule(f"palm.wrist-{label}", pts[0].copy(), pts[tip].copy(), float(r)))
    for i, j, label in ((5, 9, "index-middle"), (9, 13, "middle-ring"), (13, 17, "ring-little"), (1, 5, "thumb-index")):
        caps.append(Capsule(f"palm.{label}", pts[i].copy(), pts[j].copy(), float(palm_r)))
    # across the middle of the palm, so no gap opens between the wrist rays
    mid = lambda i: 0.5 * (pts[0] + pts[i])  # noqa: E731
    caps.append(Capsule("palm.mid", mid(5), mid(17), float(palm_r)))
    return tuple(caps)
