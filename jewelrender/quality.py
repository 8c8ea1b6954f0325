"""Quality gate before rendering, quality score after it.

Two functions, one on each side of the render:

* :func:`check_input` (the *gate*) measures the photo and the detected hand in a
  few tens of milliseconds and refuses, with a typed error and a message that
  tells the customer what to do, a photo on which no good try-on is possible:
  too dark, blown out, black-and-white or colour-cast, blurry, a hand too small
  or cut off by the frame, a finger that is not bare skin, several hands when the
  caller asked to refuse them. Every measurement is made on the hand's own
  pixels, not on the whole photo (a dark wall behind a well-lit hand is fine).
* :func:`score_output` rates a finished try-on in [0, 1] from four parts
  (reflections, scale, edges, placement); the caller refuses scores below
  ``min_quality`` with :class:`~jewelrender.errors.LowQualityError`
  (:func:`require_quality`).

The thresholds (:data:`GATE_THRESHOLDS`, :data:`DEFAULT_MIN_QUALITY`) were chosen by
running the measurements over every dev photo and placing each threshold between
the good and the bad populations; ``benchmarks/gate_distributions.py`` prints the
distributions and ``docs/quality.md`` records the reasoning and every photo's
outcome.

Colour spaces: measurements read the photo's sRGB-encoded pixels (what the
camera produced); CIELAB is computed from them with a D65 white (OpenCV's
``COLOR_RGB2Lab`` on float input), so L* runs 0..100.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._json import jsonable
from .handpose import finger_direction, finger_straightness
from .errors import (
    FingerCoveredError,
    FingerCurledError,
    HandCutOffError,
    HandNotFoundError,
    HandTooSmallError,
    ImageTooSmallError,
    InvalidOptionError,
    JewelrenderError,
    LowQualityError,
    PhotoBlurryError,
    PhotoColorCastError,
    PhotoOverexposedError,
    PhotoTooDarkError,
    TooManyHandsError,
)
from .sites.hand import (
    MIN_VISIBLE_FRACTION,
    PRIOR_FINGER_WIDTH_MM,
    RING_DIAMETER_RANGE_MM,
    check_finger,
    check_hand,
    segment_joints,
    visible_fraction,
)

__all__ = [
    "DEFAULT_MIN_QUALITY",
    "GATE_THRESHOLDS",
    "GateCheck",
    "GateReport",
    "ScoreInputs",
    "check_input",
    "highlight_side",
    "require_quality",
    "score_output",
]

#: Thresholds of the input gate. Values and the distributions they were chosen
#: from: ``docs/quality.md``. Units: px = pixels of the photo; L* = CIELAB
#: lightness 0..100; fractions 0..1; finger widths = multiples of the ring
#: finger's estimated width in the image.
GATE_THRESHOLDS: dict[str, Any] = {
    # no hand found: the photo is called too dark (rather than handless) when
    # its median L* is below this
    "min_photo_lstar": 12.0,
    # fewer pixels than this is a thumbnail, not a photo (256 x 256)
    "min_photo_pixels": 65_536,
    # MediaPipe's handedness confidence; the ring's head side depends on it
    "min_confidence": 0.6,
    # the ring finger's estimated width in the image, px
    "min_finger_width_px": 10.0,
    # the ring finger's knuckle and middle joint must lie this far inside the frame, finger widths
    "min_edge_margin": 0.5,
    # median L* of the hand's pixels
    "min_skin_lstar": 10.0,
    # fraction of the ring finger's segment whose pixels are clipped white
    "max_clipped_fraction": 0.25,
    # CIELAB hue angle of the hand's median colour, degrees (skin is orange-red to yellow)
    "skin_hue_deg": (5.0, 90.0),
    # CIELAB chroma of the hand's median colour (below: black-and-white)
    "min_skin_chroma": 5.0,
    # normalised Laplacian sharpness of the hand region (see _sharpness); sharp dev
    # photos score >= 0.25, blurred by 0.25 finger widths (~4 mm) <= 0.155
    # (benchmarks/blur_gate.py, docs/quality.md)
    "min_sharpness": 0.16,
    # fraction of the ring finger's segment that is skin-coloured
    "min_finger_skin_fraction": 0.5,
    # the ring finger's chord over path, base joint to tip, in the image (jewelrender.handpose): curled below
    "min_finger_straightness": 0.6,
    # cosine between wrist -> the finger's base and base -> tip, in the image (jewelrender.handpose):
    # below, the finger points back over the hand (a fist seen from the back)
    "min_finger_direction": 0.0,
    # with refuse_multiple_hands, another hand counts when at least this fraction of the chosen one's size
    "other_hand_ratio": 0.5,
}

#: Default ``min_quality`` for :func:`require_quality` (chosen from the scores of
#: every rendered dev photo: ``docs/quality.md``).
DEFAULT_MIN_QUALITY = 0.55

# The blur measurement resamples the hand so that the ring finger is this wide (px).
_SHARPNESS_FINGER_PX = 12.0
# Chai & Ngan (1999) skin cluster in YCrCb (8-bit codes), widened a little on
# the red side for warm light: Cr 133..180, Cb 70..130.
_SKIN_CR = (133, 180)
_SKIN_CB = (70, 130)


# ---------------------------------------------------------------------------
# report types
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class GateCheck:
    """One measurement of the gate against its threshold.

    Attributes
    ----------
    name : str
        What was measured (``"finger_width_px"``, ``"sharpness"``, ...).
    code : str
        The error code raised when this check fails.
    value : float or None
        The measurement; None when it could not be made (no hand).
    threshold : float or tuple of float
        The limit (a ``(lo, hi)`` range for ``rule == "in"``).
    rule : str
        ``">="``, ``"<="`` or ``"in"``: how ``value`` must compare to ``threshold`` to pass.
    passed : bool or None
        None when not measured.
    unit : str
    """

    name: str
    code: str
    value: float | None
    threshold: Any
    rule: str
    passed: bool | None
    unit: str = ""

    def to_report(self) -> dict:
        thr = list(self.threshold) if isinstance(self.threshold, tuple) else self.threshold
        val = None if self.value is None else round(float(self.value), 4)
        return {"name": self.name, "code": self.code, "value": val, "threshold": thr, "rule": self.rule,
                "passed": self.passed, "unit": self.unit}


@dataclass
class GateReport:
    """What the input gate measured and decided.

    Attributes
    ----------
    passed : bool
    code : str or None
        The first failing check's error code (checks run in the order of :attr:`checks`).
    message : str or None
        What the customer should do (the raised error's message).
    hand_index : int or None
        Index into the ``hands`` list given to :func:`check_input` of the hand the
        try-on should use (the clearest one matching ``hand``); None when no hand.
    hands_found : int
    checks : list of GateCheck
        In the order they are applied.
    measurements : dict
        Further JSON-able facts (pixel scale, skin colour, ...).
    seconds : float
        Time spent in the gate (excluding hand detection).
    """

    passed: bool
    code: str | None
    message: str | None
    hand_index: int | None
    hands_found: int
    checks: list[GateCheck] = field(default_factory=list)
    measurements: dict = field(default_factory=dict)
    seconds: float = 0.0
    _error: JewelrenderError | None = field(default=None, repr=False)

    def to_report(self) -> dict:
        """JSON-able form (goes into the try-on report as ``"gate"``)."""
        return {
            "passed": self.passed,
            "code": self.code,
            "message": self.message,
            "hand_index": self.hand_index,
            "hands_found": self.hands_found,
            "checks": [c.to_report() for c in self.checks],
            "measurements": _jsonable(self.measurements),
            "seconds": round(self.seconds, 4),
        }

    def error(self) -> JewelrenderError | None:
        """The typed error for the first failing check (its ``details`` hold this report), or None."""
        return self._error

    def raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error


# ---------------------------------------------------------------------------
# measurements
# ---------------------------------------------------------------------------
def _bones_mm():
    from .sites.hand import CANONICAL_BONES_MM

    return CANONICAL_BONES_MM


def hand_px_per_mm(hand) -> float:
    """The hand's image scale, px per mm: 80th percentile over bones of image length / canonical length.

    Bones seen obliquely (a curled finger, a palm seen edge-on) look short, so a
    high quantile over the 23 bones reads the scale from those seen side-on.
    """
    px = np.asarray(hand.image_px, float)
    r = [np.linalg.norm(px[a] - px[b]) / mm for (a, b), mm in _bones_mm().items()]
    return float(np.quantile(r, 0.8))


def _lab(srgb8: np.ndarray) -> np.ndarray:
    """(..., 3) uint8 sRGB -> float32 CIELAB (L* 0..100), D65."""
    import cv2

    a = np.ascontiguousarray(srgb8.reshape(-1, 1, 3)).astype(np.float32) / 255.0
    return cv2.cvtColor(a, cv2.COLOR_RGB2Lab).reshape(srgb8.shape)


def _is_skin(srgb8: np.ndarray) -> np.ndarray:
    """Boolean skin-colour test (YCrCb cluster) of (..., 3) uint8 sRGB pixels."""
    import cv2

    ycc = cv2.cvtColor(np.ascontiguousarray(srgb8.reshape(-1, 1, 3)), cv2.COLOR_RGB2YCrCb).reshape(srgb8.shape)
    cr = ycc[..., 1]
    cb = ycc[..., 2]
    return (cr >= _SKIN_CR[0]) & (cr <= _SKIN_CR[1]) & (cb >= _SKIN_CB[0]) & (cb <= _SKIN_CB[1])


def photo_median_lstar(srgb8: np.ndarray) -> float:
    """Median CIELAB L* of the whole photo (measured on a <= 256 px copy)."""
    import cv2

    H, W = srgb8.shape[:2]
    s = min(1.0, 256.0 / max(H, W))
    small = cv2.resize(srgb8, (max(1, round(W * s)), max(1, round(H * s))), interpolation=cv2.INTER_AREA) if s < 1 else srgb8
    return float(np.median(_lab(small)[..., 0]))


def _hand_mask(shape, pts: np.ndarray, width_px: float) -> np.ndarray:
    """uint8 mask of the hand's interior: the palm polygon and every bone drawn ``width_px`` thick.

    ``pts`` are (21, 2) continuous pixel coordinates in the mask's frame. The bones
    are drawn at 0.6 of the finger's width so that the mask stays on skin.
    """
    import cv2

    m = np.zeros(shape, np.uint8)
    sh = 4  # fixed-point sub-pixel bits
    q = lambda p: tuple(int(v) for v in np.round((np.asarray(p) - 0.5) * (1 << sh)))
    palm = np.array([q(pts[i]) for i in (0, 1, 5, 9, 13, 17)], np.int32)
    cv2.fillPoly(m, [palm], 255, lineType=cv2.LINE_8, shift=sh)
    th = max(1, round(width_px))
    chains = [(0, 1, 2, 3, 4), (0, 5, 6, 7, 8), (0, 9, 10, 11, 12), (0, 13, 14, 15, 16), (0, 17, 18, 19, 20)]
    for ch in chains:
        for u, v in itertools.pairwise(ch):
            cv2.line(m, q(pts[u]), q(pts[v]), 255, th, lineType=cv2.LINE_8, shift=sh)
    return m


def _finger_strip(srgb8: np.ndarray, a: np.ndarray, b: np.ndarray, width_px: float) -> np.ndarray:
    """Pixels (N, 3) uint8 sampled over the ring's segment a -> b: t in 0.15..0.85, +-0.3 finger widths across."""
    H, W = srgb8.shape[:2]
    seg = b - a
    L = float(np.linalg.norm(seg))
    if L < 1e-6:
        return np.zeros((0, 3), np.uint8)
    nrm = np.array([-seg[1], seg[0]]) / L
    ts = np.linspace(0.15, 0.85, 15)
    off = np.linspace(-0.3, 0.3, 7) * width_px
    p = a[None, None] + ts[:, None, None] * seg[None, None] + off[None, :, None] * nrm[None, None]
    p = p.reshape(-1, 2)
    ij = np.floor(p).astype(np.int64)
    ok = (ij[:, 0] >= 0) & (ij[:, 1] >= 0) & (ij[:, 0] < W) & (ij[:, 1] < H)
    ij = ij[ok]
    return srgb8[ij[:, 1], ij[:, 0]]


def _sharpness(crop8: np.ndarray, mask: np.ndarray, scale: float) -> float:
    """Normalised Laplacian sharpness of the hand region.

    The crop is resampled by ``scale`` (so the ring finger is
    ``_SHARPNESS_FINGER_PX`` wide: the measure is then about detail *relative to
    the hand*, whatever the photo's resolution), converted to grey, and the
    standard deviation of its 3x3 Laplacian over the (dilated) hand mask is
    divided by the grey level's standard deviation there (contrast). A sharp
    hand scores ~0.25-1.2 (the dev photos), one blurred by a quarter of a finger
    width (~4 mm) 0.05-0.155.
    """
    import cv2

    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    h, w = crop8.shape[:2]
    size = (max(3, round(w * scale)), max(3, round(h * scale)))
    g = cv2.cvtColor(cv2.resize(crop8, size, interpolation=interp), cv2.COLOR_RGB2GRAY).astype(np.float32)
    m = cv2.resize(mask, size, interpolation=cv2.INTER_NEAREST)
    m = cv2.dilate(m, np.ones((5, 5), np.uint8)) > 0
    lap = cv2.Laplacian(g, cv2.CV_32F, ksize=1)
    if m.sum() < 16:
        return 0.0
    return float(lap[m].std() / (g[m].std() + 2.0))


def _measure_hand(srgb8: np.ndarray, hand, finger: str) -> dict:
    """Every per-hand measurement of the gate (see :data:`GATE_THRESHOLDS`)."""
    from .landmarks import FINGERS

    H, W = srgb8.shape[:2]
    px = np.asarray(hand.image_px, float)
    ppm = hand_px_per_mm(hand)
    # the finger's anatomical prior width (the placement's) at the hand's image scale
    fw = PRIOR_FINGER_WIDTH_MM[finger] * ppm
    ia, ib = segment_joints(finger)
    a, b = px[ia], px[ib]
    margin = min(min(p[0], p[1], W - p[0], H - p[1]) for p in (a, b)) / max(fw, 1e-6)
    outside = int(np.sum((px[:, 0] < 0) | (px[:, 1] < 0) | (px[:, 0] > W) | (px[:, 1] > H)))

    # A crop around the hand, worked on at <= 4 px/mm (plenty for colour statistics).
    x0, y0 = px.min(axis=0) - fw
    x1, y1 = px.max(axis=0) + fw
    X0, Y0 = int(max(0, math.floor(x0))), int(max(0, math.floor(y0)))
    X1, Y1 = int(min(W, math.ceil(x1))), int(min(H, math.ceil(y1)))
    out: dict = {"px_per_mm": ppm, "finger_width_px": fw, "edge_margin": margin, "landmarks_outside": outside,
                 "segment_px": float(np.linalg.norm(b - a)), "confidence": float(hand.score)}
    if X1 - X0 < 3 or Y1 - Y0 < 3:
        return out
    import cv2

    crop = srgb8[Y0:Y1, X0:X1]
    s = min(1.0, 4.0 / max(ppm, 1e-6))
    if s < 1.0:
        work = cv2.resize(crop, (max(3, round(crop.shape[1] * s)), max(3, round(crop.shape[0] * s))),
                          interpolation=cv2.INTER_AREA)
        s_x, s_y = work.shape[1] / crop.shape[1], work.shape[0] / crop.shape[0]
    else:
        work, s_x, s_y = crop, 1.0, 1.0
    pts = (px - [X0, Y0]) * [s_x, s_y]
    mask = _hand_mask(work.shape[:2], pts, 0.6 * fw * s_x)
    inside = work[mask > 0]
    if len(inside) < 16:
        return out
    lab = _lab(inside)
    med = np.median(lab, axis=0)
    out["skin_lstar"] = float(med[0])
    out["skin_lab"] = [float(v) for v in med]
    out["skin_chroma"] = float(np.hypot(med[1], med[2]))
    out["skin_hue_deg"] = float(np.degrees(np.arctan2(med[2], med[1])))
    strip = _finger_strip(srgb8, a, b, fw)
    if len(strip):
        out["clipped_fraction"] = float(np.mean(np.median(strip, axis=1) >= 250))
        out["finger_skin_fraction"] = float(np.mean(_is_skin(strip)))
    full_mask = cv2.resize(mask, (crop.shape[1], crop.shape[0]), interpolation=cv2.INTER_NEAREST) if s < 1 else mask
    out["sharpness"] = _sharpness(crop, full_mask, _SHARPNESS_FINGER_PX / max(fw, 1e-6))
    return out


# ---------------------------------------------------------------------------
# the gate
# ---------------------------------------------------------------------------
def check_input(photo, hands=None, *, finger: str = "ring", hand: str = "auto", refuse_multiple_hands: bool = False,
                thresholds: dict | None = None, raise_on_failure: bool = True) -> GateReport:
    """The input quality gate: is this photo good enough to render a ring on?

    Runs before any rendering (tens of milliseconds on a 1600 px photo, after
    hand detection). Checks, in this order, the first failure deciding the code:

    ===================  ====================================================  ===================
    check                measured on                                          code
    ===================  ====================================================  ===================
    a hand at all        detector output; if none, the photo's brightness      ``HAND_NOT_FOUND`` /
                                                                               ``PHOTO_TOO_DARK``
    ``hand`` option      handedness of the hands found                         ``HAND_NOT_FOUND``
    photo_pixels         width x height                                        ``IMAGE_TOO_SMALL``
    other_hands          hands >= half the chosen one's size (only when        ``TOO_MANY_HANDS``
                         ``refuse_multiple_hands``)
    confidence           the chosen hand's landmark (handedness) confidence     ``HAND_NOT_FOUND``
    finger_width_px      the finger's estimated width in the image             ``HAND_TOO_SMALL``
    edge_margin          knuckle and middle joint distance to the frame        ``HAND_CUT_OFF``
    finger_straightness  the finger's chord over path, base to tip (curled)    ``FINGER_CURLED``
    finger_direction     wrist->base vs base->tip cosine (folded: a fist)      ``FINGER_CURLED``
    skin_lstar           median L* of the hand's pixels                        ``PHOTO_TOO_DARK``
    clipped_fraction     clipped-white share of the finger's segment           ``PHOTO_OVEREXPOSED``
    skin_chroma / hue    the hand's median CIELAB colour                       ``PHOTO_COLOR_CAST``
    sharpness            normalised Laplacian of the hand region               ``PHOTO_BLURRY``
    finger_skin_fraction skin-coloured share of the finger's segment           ``FINGER_COVERED``
    ===================  ====================================================  ===================

    Which hand: among the hands matching ``hand``, the clearest one: the
    detector's order, largest ``size_px * score`` first
    (:func:`jewelrender.landmarks.sort_hands`); the gate re-sorts to be sure.

    Parameters
    ----------
    photo : Photo, or anything :func:`jewelrender.photo.load_photo` accepts
        The decoded, upright photo (sRGB uint8).
    hands : list of HandLandmarks, optional
        The detector's output for ``photo``; detected here (a fresh
        :class:`~jewelrender.landmarks.HandDetector`) when None.
    finger : str
        The finger the ring goes on.
    hand : {"auto", "left", "right"}
    refuse_multiple_hands : bool
        Refuse photos showing more than one substantial hand (``TOO_MANY_HANDS``)
        instead of picking the clearest.
    thresholds : dict, optional
        Overrides of :data:`GATE_THRESHOLDS` entries.
    raise_on_failure : bool
        Raise the first failure's typed error (default); otherwise return the
        report with ``passed=False`` (:meth:`GateReport.raise_if_failed` raises later).

    Returns
    -------
    GateReport

    Raises
    ------
    HandNotFoundError, ImageTooSmallError, TooManyHandsError, HandTooSmallError,
    HandCutOffError, PhotoTooDarkError, PhotoOverexposedError, PhotoColorCastError,
    PhotoBlurryError, FingerCoveredError, FingerCurledError
        With ``raise_on_failure``; ``details`` holds :meth:`GateReport.to_report`.
    InvalidOptionError
        Unknown finger, hand or threshold name.
    """
    from .photo import Photo, load_photo

    check_finger(finger)
    check_hand(hand)
    thr = dict(GATE_THRESHOLDS)
    for k, v in (thresholds or {}).items():
        if k not in thr:
            raise InvalidOptionError(f"unknown gate threshold {k!r}; valid: {', '.join(thr)}")
        thr[k] = v
    ph = photo if isinstance(photo, Photo) else load_photo(photo)
    if hands is None:
        from .landmarks import HandDetector

        with HandDetector() as det:
            hands = det.detect(ph)
    hands = list(hands)

    t0 = time.perf_counter()
    srgb = ph.srgb
    H, W = srgb.shape[:2]
    checks: list[GateCheck] = []
    meas: dict = {"photo_px": [W, H], "hands_found": len(hands)}
    failure: tuple[type, str] | None = None

    def add(name, code, value, threshold, rule, unit=""):
        nonlocal failure
        if value is None:
            checks.append(GateCheck(name, code, None, threshold, rule, None, unit))
            return True
        if rule == ">=":
            ok = value >= threshold
        elif rule == "<=":
            ok = value <= threshold
        else:
            ok = threshold[0] <= value <= threshold[1]
        checks.append(GateCheck(name, code, float(value), threshold, rule, bool(ok), unit))
        return ok

    def fail(cls, message):
        nonlocal failure
        if failure is None:
            failure = (cls, message)

    # -- a hand at all -----------------------------------------------------
    order = sorted(range(len(hands)), key=lambda i: -(hands[i].size_px * hands[i].score))
    hand_index = None
    if not hands:
        lum = photo_median_lstar(srgb)
        meas["photo_lstar"] = lum
        if not add("photo_lstar", "PHOTO_TOO_DARK", lum, thr["min_photo_lstar"], ">=", "L*"):
            fail(PhotoTooDarkError, "the photo is too dark to find a hand in it; take it in good light "
                 "(daylight by a window is best), with the hand close to the camera")
        else:
            fail(HandNotFoundError, "no hand found in the photo; photograph your bare hand (no gloves), whole and "
                 "close up, fingers apart, in good light")
    else:
        matching = [i for i in order if hand == "auto" or hands[i].handedness == hand]
        if not matching:
            fail(HandNotFoundError, f"no {hand} hand found (found: {', '.join(h.handedness for h in hands)}); "
                 "use hand='auto' or photograph the other hand")
        else:
            hand_index = matching[0]
    chosen = hands[hand_index] if hand_index is not None else None

    # -- the photo and the chosen hand -------------------------------------
    if not add("photo_pixels", "IMAGE_TOO_SMALL", float(W * H), float(thr["min_photo_pixels"]), ">=", "px"):
        fail(ImageTooSmallError, f"the photo is only {W} x {H} pixels, a thumbnail; send the original photo from "
             f"the camera (at least {int(thr['min_photo_pixels']):,} pixels, e.g. 256 x 256)")
    if chosen is not None:
        m = _measure_hand(srgb, chosen, finger)
        meas.update({k: v for k, v in m.items()})
        if refuse_multiple_hands:
            others = [i for i in range(len(hands)) if i != hand_index
                      and hands[i].size_px >= thr["other_hand_ratio"] * chosen.size_px]
            if not add("other_hands", "TOO_MANY_HANDS", float(len(others)), 0.0, "<=", "hands"):
                fail(TooManyHandsError, f"the photo shows {len(others) + 1} hands; photograph only the hand that "
                     "will wear the ring, on its own")
        if not add("confidence", "HAND_NOT_FOUND", m["confidence"], thr["min_confidence"], ">="):
            fail(HandNotFoundError, f"the hand is not clearly recognisable (confidence {m['confidence']:.2f}); "
                 "photograph the back of one hand, fingers apart, against a plain background")
        fw = m["finger_width_px"]
        if not add("finger_width_px", "HAND_TOO_SMALL", fw, thr["min_finger_width_px"], ">=", "px"):
            fail(HandTooSmallError, f"the hand is too small in the photo (the {finger} finger is about {fw:.0f} px "
                 f"wide, at least {thr['min_finger_width_px']:.0f} px needed); move the camera closer so that the "
                 "hand fills most of the picture")
        if not add("edge_margin", "HAND_CUT_OFF", m["edge_margin"], thr["min_edge_margin"], ">=", "finger widths"):
            fail(HandCutOffError, f"the base of the {finger} finger is at or beyond the edge of the photo; "
                 "frame the photo so that the whole hand is in the picture")
        # Two ways a finger is not straight out (both FINGER_CURLED): bent along its length, or folded back
        # over the hand (MediaPipe draws a fist seen from the back with straight fingers pointing at the wrist).
        for name, measure, why in (("finger_straightness", finger_straightness, "is curled (a fist or a thumbs gesture)"),
                                   ("finger_direction", finger_direction, "is folded back over the hand (a fist)")):
            got = measure(chosen, finger)
            meas[name] = got["image"]
            meas[f"{name}_world"] = got["world"]
            if not add(name, "FINGER_CURLED", got["image"], thr[f"min_{name}"], ">="):
                fail(FingerCurledError, f"the {finger} finger {why}, so a ring would float beside it; photograph "
                     "the back of the hand with the fingers straight and slightly apart")
        v = m.get("skin_lstar")
        if not add("skin_lstar", "PHOTO_TOO_DARK", v, thr["min_skin_lstar"], ">=", "L*"):
            fail(PhotoTooDarkError, f"the hand is too dark (skin lightness L* {v:.0f}); take the photo in brighter "
                 "light, facing a window or a lamp")
        v = m.get("clipped_fraction")
        if not add("clipped_fraction", "PHOTO_OVEREXPOSED", v, thr["max_clipped_fraction"], "<="):
            fail(PhotoOverexposedError, f"the hand is overexposed ({100 * v:.0f} % of the {finger} finger is pure "
                 "white); avoid flash or direct sun on the hand, or tap the hand on the screen to set the exposure")
        c, hue = m.get("skin_chroma"), m.get("skin_hue_deg")
        ok_c = add("skin_chroma", "PHOTO_COLOR_CAST", c, thr["min_skin_chroma"], ">=")
        ok_h = add("skin_hue_deg", "PHOTO_COLOR_CAST", hue, tuple(thr["skin_hue_deg"]), "in", "deg")
        if not (ok_c and ok_h):
            what = "a black-and-white photo" if not ok_c else "a strong colour cast"
            fail(PhotoColorCastError, f"the skin's colour is off ({what}); take a colour photo without filters, in "
                 "daylight or under white light")
        v = m.get("sharpness")
        if not add("sharpness", "PHOTO_BLURRY", v, thr["min_sharpness"], ">="):
            fail(PhotoBlurryError, f"the hand is blurry (sharpness {v:.2f}, at least {thr['min_sharpness']:.2f} "
                 "needed); hold the camera still, tap the hand on the screen to focus, and use more light")
        v = m.get("finger_skin_fraction")
        if not add("finger_skin_fraction", "FINGER_COVERED", v, thr["min_finger_skin_fraction"], ">="):
            fail(FingerCoveredError, f"the {finger} finger does not show bare skin where the ring goes "
                 f"(only {100 * v:.0f} % skin-coloured); take off gloves and anything covering the finger")

    report = GateReport(passed=failure is None, code=None, message=None, hand_index=hand_index,
                        hands_found=len(hands), checks=checks, measurements=meas,
                        seconds=time.perf_counter() - t0)
    if failure is not None:
        cls, message = failure
        report.code, report.message = cls.code, message
        report._error = cls(message, details={"gate": report.to_report()})
        if raise_on_failure:
            raise report._error
    return report


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def _jsonable(x):
    return jsonable(x, ndigits=4)


# ---------------------------------------------------------------------------
# output score
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ScoreInputs:
    """What :func:`score_output` needs besides pixels, from the stages' typed outputs.

    Built by the body site from its placement and the piece
    (:meth:`jewelrender.sites.ring.RingSite.score_inputs`), so the score reads
    no report. Lengths in pixels unless named otherwise.
    """

    #: The rendered crop (x, y, width, height); ``None``: the mask's padded bounding box.
    crop: tuple[int, int, int, int] | None = None
    #: The piece's centre and the limb's image direction there (for the across-limb extent).
    center_px: tuple[float, float] | None = None
    axis_px: tuple[float, float] | None = None
    #: The limb's width at the piece, and whether it was ``"measured"`` or from the ``"prior"``.
    across_px: float | None = None
    across_source: str = "measured"
    #: The piece's size (a ring's inner diameter, mm) and the human range for it.
    size_mm: float | None = None
    size_range_mm: tuple[float, float] = RING_DIAMETER_RANGE_MM
    #: Landmark confidence and how the pose was found (``"weak-perspective"`` scores 0.85).
    landmark_score: float = 1.0
    pose_method: str | None = None
    #: Share of the piece that shows (see the site's visible fraction) and the refusal floor.
    visible_fraction: float | None = None
    min_visible_fraction: float = MIN_VISIBLE_FRACTION
    #: The metal's luminance spread (stops, p90/p10) that scores 0 and 1: a band shows its reflections'
    #: range; a fine chain's wire is a pixel or two wide, each pixel averaging its highlight and its
    #: dark flanks, so its range is narrower (the neck site's own).
    reflection_spread_stops: tuple[float, float] = (0.5, 1.5)
    #: Advice per weakest part for :func:`require_quality`'s message, replacing the hand's wording
    #: (a site whose photos are not of a hand: the neck).
    advice: dict | None = None

    def placement_view(self) -> dict:
        """The keys :func:`highlight_side` reads."""
        return {"center_px": self.center_px, "axis_px": self.axis_px, "finger_width_px": self.across_px}

    @classmethod
    def from_report(cls, report: dict, mask: np.ndarray) -> "ScoreInputs":
        """For a saved report (tools, tests): the same inputs, from its JSON."""
        pl = report.get("placement") or {}
        crop = (report.get("render") or {}).get("crop")
        fw, r_m = pl.get("finger_width_px"), pl.get("finger_radius_m")
        band_w = ((report.get("piece") or {}).get("band") or {}).get("width_mm")
        px_per_mm = pl.get("px_per_mm") or (fw / (2000.0 * r_m) if fw and r_m else None)
        vis = (visible_fraction(float(np.asarray(mask, np.float32).sum()), fw, px_per_mm, band_w)
               if fw and band_w and px_per_mm else None)
        return cls(crop=tuple(int(v) for v in crop) if crop and len(crop) == 4 else None,
                   center_px=pl.get("center_px"), axis_px=pl.get("axis_px"), across_px=fw,
                   across_source=pl.get("finger_width_source") or "measured",
                   size_mm=pl.get("inner_diameter_mm"), landmark_score=float(pl.get("hand_score", 1.0)),
                   pose_method=((pl.get("details") or {}).get("pose") or {}).get("method"), visible_fraction=vis)


def _ramp(x: float, lo: float, hi: float) -> float:
    """0 at ``lo``, 1 at ``hi``, linear between, clamped (``lo > hi`` ramps downwards)."""
    if hi == lo:
        return float(x >= hi)
    return float(np.clip((x - lo) / (hi - lo), 0.0, 1.0))


def _crop_of(crop, mask: np.ndarray) -> tuple[slice, slice]:
    """The rendered crop ([x, y, w, h]), else the mask's bounding box, padded."""
    H, W = mask.shape
    if crop and len(crop) == 4:
        x, y, w, h = (int(v) for v in crop)
    else:
        ys, xs = np.nonzero(mask > 0.01)
        if len(xs) == 0:
            return slice(0, 0), slice(0, 0)
        pad = max(8, int(0.5 * max(xs.ptp(), ys.ptp())))
        x, y = xs.min() - pad, ys.min() - pad
        w, h = xs.ptp() + 1 + 2 * pad, ys.ptp() + 1 + 2 * pad
    x0, y0 = max(0, x), max(0, y)
    return slice(y0, min(H, y + h)), slice(x0, min(W, x + w))


def _edge_sigma(gray_lin: np.ndarray, where: np.ndarray, quantile: float) -> float | None:
    """Gaussian blur (px) of the edges above the ``quantile`` of gradient among the ``where`` pixels."""
    from .camera_look import edge_blur_sigma

    return edge_blur_sigma(gray_lin, where, quantile, max_sigma=6.0)


#: Measured, not scored: the highlight is the brightest share of the metal.
HIGHLIGHT_SHARE = 0.02
#: The skin's two flanks differ by at least this factor: it has a clear lit side.
CLEAR_LIT_SIDE = 1.3


def highlight_side(photo8: np.ndarray, xy: np.ndarray, y_metal: np.ndarray, pl: dict, *,
                   share: float = HIGHLIGHT_SHARE) -> dict:
    """Which flank of the finger the photo lights, and which flank of the ring its highlight sits on.

    ``photo8`` is the photo ((H, W, 3) uint8 sRGB), ``xy`` (N, 2) the metal's pixel
    centres, ``y_metal`` (N,) their linear luminance, ``pl`` the report's placement
    (``center_px``, ``axis_px``, ``finger_width_px``). Returns ``{}`` without them
    or with fewer than 20 metal pixels.

    A polished ring lit by a distant source shows the source's mirror image at the
    normal half-way between the view and the light: on the flank the light comes
    from, the one the skin beside the ring shows brighter. ``skin_side_ratio`` is
    the photo's median linear luminance 0.3 finger widths to the ``+`` side of the
    axis over the ``-`` side (``skin_side_luminance``: the two), 0.9-1.2 widths
    before and after the ring (off it; ``+`` is the axis turned 90 degrees
    clockwise in the image). ``highlight_offset`` is
    the mean across-finger position of the metal's brightest ``share`` (default
    :data:`HIGHLIGHT_SHARE`) minus that of all its pixels, in half finger widths.
    The brightest 2 %, not 10 %: a 5 degree key's mirror image covers a few per
    cent of a band, and the next-brightest pixels are the grazing rims, which
    reflect whatever is behind the hand on either side.
    ``highlight_on_lit_side`` (None unless the flanks differ by :data:`CLEAR_LIT_SIDE`):
    the two agree.
    """
    from .color import luminance, srgb8_to_linear

    c, ax, w = pl.get("center_px"), pl.get("axis_px"), pl.get("finger_width_px")
    if c is None or ax is None or not w or len(y_metal) < 20:
        return {}
    c = np.asarray(c, float)
    ax = np.asarray(ax, float) / (np.linalg.norm(ax) + 1e-12)
    across_dir = np.array([-ax[1], ax[0]])
    H, W = photo8.shape[:2]
    r = max(1, int(0.08 * w))

    def patch(pt):
        x, y = int(pt[0]), int(pt[1])
        if not (0 <= x < W and 0 <= y < H):
            return None
        lin = srgb8_to_linear(photo8[max(0, y - r):y + r + 1, max(0, x - r):x + r + 1])
        return float(np.median(luminance(lin)))

    sides = []
    for s in (1, -1):
        vals = [patch(c + t * w * ax + s * 0.3 * w * across_dir) for t in (-1.2, -0.9, 0.9, 1.2)]
        vals = [v for v in vals if v is not None]
        if not vals:
            return {}
        sides.append(float(np.median(vals)))
    ratio = sides[0] / max(sides[1], 1e-6)
    across = ((xy - c) @ across_dir) / (w / 2.0)
    top = y_metal >= np.quantile(y_metal, 1.0 - share)
    offset = float(across[top].mean() - across.mean())
    clear = max(ratio, 1.0 / max(ratio, 1e-6)) >= CLEAR_LIT_SIDE
    return {"skin_side_ratio": ratio, "skin_side_luminance": sides, "highlight_offset": offset,
            "highlight_on_lit_side": bool(np.sign(offset) == np.sign(math.log(max(ratio, 1e-6)))) if clear else None}


#: The surround luminance (linear) below which the halo is judged against this instead (sRGB ~64).
HALO_FLOOR_LUMINANCE = 0.05


def score_output(photo, result_image, mask, inputs, *, min_quality: float | None = None,
                 metal_mask=None) -> dict:
    """Rate a finished try-on in [0, 1]: would a customer believe the ring is really there?

    Four parts, each in [0, 1]; the score is their geometric mean (one bad part
    pulls the whole score down):

    * ``reflection``: the metal shows a range of the environment's radiance,
      neither flat nor blown out: the spread of its linear luminance (stops
      between the 10th and 90th percentiles; 0 at <= 0.5 stop, 1 at >= 1.5),
      times the share not clipped white, times its brightness relative to
      the photo around it (0 when 30x darker, 1 from 6x darker up).
    * ``scale``: the inner diameter lies within human ring sizes (US 3-13,
      14.1-22.2 mm; Gaussian fall-off with 2 mm scale outside), and the piece
      spans the finger as seen: its extent across the finger at the ring over
      the measured finger width is 0.9-1.6 (a band is a little wider than the
      finger), falling to 0 at 0.6 and 2.2. A width from the anatomical prior
      (not measured) scores 0.8.
    * ``edges``: no halo (the pixels just outside the piece are not brighter
      than in the photo: 0 at +10 % luminance) and the piece's silhouette is as
      sharp as the photo's own edges (blur ratio within 2x scores >= 0.6).
    * ``placement``: the landmark confidence, times 0.85 when the hand's pose
      came from the weak-perspective fallback, times the share of the ring that
      shows (0 at 35 % of a band's expected area, the pipeline's refusal limit,
      1 from 80 %).

    Parameters
    ----------
    photo : Photo or numpy.ndarray
        The original photo ((H, W, 3) uint8 sRGB).
    result_image : numpy.ndarray
        (H, W, 3) uint8 sRGB composite.
    mask : numpy.ndarray
        (H, W) float coverage of the piece in [0, 1].
    inputs : ScoreInputs or dict
        What the body site knows about the piece's place (:class:`ScoreInputs`); a
        saved try-on report is accepted too (read by :meth:`ScoreInputs.from_report`).
    min_quality : float, optional
        Recorded with ``passed``; default :data:`DEFAULT_MIN_QUALITY`.
    metal_mask : numpy.ndarray, optional
        (H, W) coverage of the piece's metal (:attr:`jewelrender.render.RenderLayers.metal`).
        The ``reflection`` part is then measured on the metal alone: a diamond's
        white sparkle is not a blown-out reflection. Without it, or when fewer
        than 20 pixels are metal, on the whole piece.

    Returns
    -------
    dict
        ``{"score", "parts": {reflection, scale, edges, placement}, "measurements",
        "min_quality", "passed"}``, JSON-able. Among the measurements, and not
        scored: ``skin_side_ratio``, ``highlight_offset`` and
        ``highlight_on_lit_side``, whether the metal's highlight sits on the flank
        the photo lights (:func:`highlight_side`).
    """
    import cv2

    from .color import luminance, srgb8_to_linear

    photo8 = np.asarray(getattr(photo, "srgb", photo))
    img8 = np.asarray(result_image)
    alpha = np.asarray(mask, dtype=np.float32)
    if photo8.shape != img8.shape or img8.shape[:2] != alpha.shape or img8.ndim != 3:
        raise InvalidOptionError(
            f"photo {photo8.shape}, result {img8.shape} and mask {alpha.shape} must be (H, W, 3), (H, W, 3), (H, W)")
    mq = DEFAULT_MIN_QUALITY if min_quality is None else float(min_quality)
    inp = inputs if isinstance(inputs, ScoreInputs) else ScoreInputs.from_report(inputs, alpha)
    pl = inp.placement_view()
    meas: dict = {}
    sy, sx = _crop_of(inp.crop, alpha)
    a = alpha[sy, sx]
    res_lin = srgb8_to_linear(img8[sy, sx]).astype(np.float32)
    ph_lin = srgb8_to_linear(photo8[sy, sx]).astype(np.float32)
    y_res = luminance(res_lin)
    y_ph = luminance(ph_lin)

    # -- reflection ---------------------------------------------------------
    # The piece's own radiance, unmixed from the photo behind partly covered
    # pixels (out = photo * (1 - a) + jewel, the shadow ignored): small rings
    # have few fully covered pixels.
    refl = None
    piece = a >= 0.5
    cover, over = piece, "piece"
    if metal_mask is not None:
        metal = np.asarray(metal_mask, dtype=np.float32)
        if metal.shape != alpha.shape:
            raise InvalidOptionError(f"metal_mask {metal.shape} must have the mask's shape {alpha.shape}")
        metal_cover = cover & (metal[sy, sx] >= 0.5)
        if metal_cover.sum() >= 20:
            cover, over = metal_cover, "metal"
    if cover.sum() >= 20:  # fewer pixels than that give no meaningful spread
        jewel = np.maximum(res_lin[cover] - ph_lin[cover] * (1.0 - a[cover, None]), 0.0) / a[cover, None]
        yp = luminance(jewel)
        p10, p50, p90 = np.quantile(yp, [0.1, 0.5, 0.9])
        spread = float(np.log2(max(p90, 1e-6) / max(p10, 1e-6)))
        blown = float(np.mean(np.median(img8[sy, sx][cover], axis=1) >= 250))
        around = (a < 0.02) & (cv2.dilate((a > 0.02).astype(np.uint8), np.ones((15, 15), np.uint8)) > 0)
        y_around = float(np.median(y_ph[around])) if around.sum() >= 10 else float(np.median(y_ph))
        rel = float(p50 / max(y_around, 1e-6))
        refl = _ramp(spread, *inp.reflection_spread_stops) * (1.0 - _ramp(blown, 0.0, 0.5)) * _ramp(math.log2(max(rel, 1e-6)),
                                                                              math.log2(1 / 30), math.log2(1 / 6))
        meas.update(metal_spread_stops=spread, metal_clipped_fraction=blown, metal_to_surround=rel,
                    piece_pixels=int(piece.sum()), reflection_pixels=int(cover.sum()), reflection_over=over)
        # As the customer sees it: the composite's fully covered pixels, where clipped
        # pixels tie (unmixing would break the ties by the photo behind them).
        ys, xs = np.nonzero(cover & (a >= 0.9))
        meas.update(highlight_side(photo8, np.column_stack([xs + sx.start + 0.5, ys + sy.start + 0.5]),
                                    y_res[ys, xs], pl))
    # -- scale --------------------------------------------------------------
    d = inp.size_mm
    lo, hi = inp.size_range_mm
    size_ok = 1.0 if d is None else (1.0 if lo <= d <= hi else math.exp(-0.5 * ((min(abs(d - lo), abs(d - hi))) / 2.0) ** 2))
    fw, c, ax = inp.across_px, inp.center_px, inp.axis_px
    across_ok = 1.0
    if fw and c is not None and ax is not None and (alpha > 0.5).sum() >= 10:
        ys, xs = np.nonzero(alpha > 0.5)
        rel_xy = np.column_stack([xs + 0.5 - c[0], ys + 0.5 - c[1]])
        axv = np.asarray(ax, float) / (np.linalg.norm(ax) + 1e-12)
        along = rel_xy @ axv
        across = rel_xy @ np.array([-axv[1], axv[0]])
        near = np.abs(along) <= 0.25 * fw  # the band's cross-section, not the head beside it
        if near.sum() >= 5:
            ext = float(np.quantile(across[near], 0.98) - np.quantile(across[near], 0.02) + 1.0)
            ratio = ext / fw
            meas["extent_to_finger_width"] = ratio
            # the band ends at the segmented outline, which may lie inside the measured width's edges
            across_ok = min(_ramp(ratio, 0.5, 0.8), _ramp(ratio, 2.2, 1.6))
    prior = 0.8 if inp.across_source == "prior" else 1.0
    scale = size_ok * across_ok * prior
    meas["inner_diameter_mm"] = d
    # -- edges --------------------------------------------------------------
    grown = cv2.dilate((a > 0.02).astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    ring = grown & (a <= 0.02)
    halo = 0.0
    if ring.sum() >= 10:
        # Relative to the surround, but not below a dim grey's luminance: over black hair or a night
        # background any blur of a bright piece is a large share of almost nothing.
        halo = float(np.mean(np.maximum(y_res[ring] - y_ph[ring], 0.0)) / max(float(np.mean(y_ph[ring])),
                                                                           HALO_FLOOR_LUMINANCE))
    edge_band = (cv2.dilate((a > 0.5).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0) & \
                (cv2.erode((a > 0.5).astype(np.uint8), np.ones((5, 5), np.uint8)) == 0)
    s_piece = _edge_sigma(y_res, edge_band, 0.5)
    s_photo = _edge_sigma(y_ph, ~grown, 0.98)
    sharp_ok = 1.0
    if s_piece is not None and s_photo is not None:
        q = max(s_piece, 0.5) / max(s_photo, 0.5)
        sharp_ok = math.exp(-0.5 * (math.log(q) / math.log(2.0)) ** 2 / 1.0)
        meas.update(edge_sigma_piece_px=s_piece, edge_sigma_photo_px=s_photo)
    meas["halo"] = halo
    edges = (1.0 - _ramp(halo, 0.0, 0.1)) * sharp_ok
    # -- placement ----------------------------------------------------------
    conf = float(inp.landmark_score)
    pose_f = 0.85 if inp.pose_method == "weak-perspective" else 1.0
    vis_f = 1.0
    if inp.visible_fraction is not None:
        meas["visible_fraction"] = inp.visible_fraction
        vis_f = _ramp(inp.visible_fraction, inp.min_visible_fraction, 1.0)
    placement = conf * pose_f * vis_f

    parts = {"reflection": refl, "scale": scale, "edges": edges, "placement": placement}
    vals = np.clip(np.array([v for v in parts.values() if v is not None], float), 0.0, 1.0)
    score = float(np.exp(np.mean(np.log(np.maximum(vals, 1e-6))))) if np.all(vals > 0) else 0.0
    out = {"score": score, "parts": parts, "measurements": meas, "min_quality": mq, "passed": bool(score >= mq)}
    if inp.advice:
        out["advice"] = dict(inp.advice)
    return _jsonable(out)


def require_quality(quality: dict, min_quality: float | None = None) -> None:
    """Raise :class:`~jewelrender.errors.LowQualityError` when ``quality["score"] < min_quality``.

    Parameters
    ----------
    quality : dict
        What :func:`score_output` returned.
    min_quality : float, optional
        In [0, 1]; default :data:`DEFAULT_MIN_QUALITY`. 0 accepts everything.
    """
    mq = DEFAULT_MIN_QUALITY if min_quality is None else min_quality
    if isinstance(mq, bool) or not isinstance(mq, (int, float)) or not 0.0 <= float(mq) <= 1.0:
        raise InvalidOptionError(f"min_quality must be a number in [0, 1], got {min_quality!r}")
    score = float(quality["score"])
    if score < float(mq):
        parts = quality.get("parts", {})
        known = {k: v for k, v in parts.items() if v is not None}  # a part can be unmeasurable (None)
        weakest = min(known, key=known.get) if known else "score"
        advice = {
            "reflection": "take the photo in even light, away from direct sun or a single bright lamp",
            "scale": "photograph the back of the hand flat, fingers straight and apart",
            "edges": "take a sharper photo: hold the camera still and tap the hand to focus",
            "placement": "photograph the back of the hand flat, fingers straight and apart, the whole hand in view",
        }.get(weakest, "try another photo")
        advice = (quality.get("advice") or {}).get(weakest, advice)
        raise LowQualityError(
            f"the try-on's quality score is {score:.2f}, below the minimum {float(mq):.2f} "
            f"(weakest part: {weakest} {parts.get(weakest, score):.2f}); {advice}",
            details={"quality": quality, "min_quality": float(mq)},
        )
