"""The wrist site: bangles and cuffs (later bracelets and watches) on the wrist.

Everything comes from MediaPipe Hands (no pose model): landmark 0 is the wrist,
the palm's landmarks (0, 5, 9, 13, 17) give the hand's 3-D frame through
:func:`jewelrender.sites.hand.hand_points_cam` (canonical bone lengths fix the
metric scale, as for rings).

* **Forearm direction**: in the image, from the palm's centre (mean of
  landmarks 0, 5, 9, 13, 17) through landmark 0 and on; in depth, across the
  line of sight (the arm lies flat under the camera). A bent wrist (radial or
  ulnar deviation) turns the forearm away from this line, the first-order error
  of the model (MediaPipe Pose's elbow would fix it; not used yet).
* **Cross-section**: an ellipse. Its silhouette width is measured in the image
  across the forearm at the piece (edge-to-edge colour profiles,
  :func:`jewelrender.sites.hand.measure_width_px`; the anatomical prior when the
  edges are not found). Its depth follows from the wrist ratio
  :data:`WRIST_DEPTH_TO_WIDTH` (antero-posterior over medio-lateral wrist
  diameter, ~0.70 in adults: Johnson et al. 1983, *Arch Phys Med Rehabil*
  64:556; Radecki 1994, *Am J Phys Med Rehabil* 73:157). Which semi-axis the
  image shows depends on how the wrist is turned to the camera, so the
  semi-axes are solved from the silhouette width and the frame.
* **Gravity**: the photo is taken from above the arm (a phone held over a
  wrist resting on a table), so gravity is the line of sight. A rigid bangle
  hangs on the wrist's top (the side towards the camera).

Sizes reported: the wrist circumference (Ramanujan's ellipse perimeter), a
bracelet length (circumference + :data:`BRACELET_EASE_CM`) and the smallest
bangle the hand passes (:func:`bangle_inner_diameter_mm`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..checks import is_number
from ..errors import InvalidOptionError, JewelrenderError, WristNotVisibleError
from . import hand as hand_model
from .hand import Capsule
from .base import piece_to_cam, refuse_side

__all__ = ["WristSite", "WRIST", "WristPlacement", "WristFit", "place_wrist", "ellipse_perimeter",
           "bangle_inner_diameter_mm", "measure_wrist_px", "WRIST_DEPTH_TO_WIDTH", "HAND_CIRCUMFERENCE_TO_BREADTH",
           "DEFAULT_WRIST_POSITION", "POSITION_SPAN_MM", "BANGLE_DIAMETER_RANGE_MM", "MIN_VISIBLE_FRACTION"]

#: Wrist depth (antero-posterior) over width (medio-lateral): the "wrist ratio", ~0.70 in
#: adults (Johnson et al. 1983; Radecki 1994).
WRIST_DEPTH_TO_WIDTH = 0.70
#: Hand circumference at the metacarpal heads over hand breadth there: ANSUR II adult means
#: (women ~185/80 mm, men ~214/89 mm; Gordon et al. 2014) give 2.3-2.4. Jewellers size a
#: rigid bangle by this circumference measured with the thumb folded in (the hand
#: compresses to it): the bangle's inner circumference must reach it or the hand cannot pass.
HAND_CIRCUMFERENCE_TO_BREADTH = 2.35
#: Prior wrist width (mm, side to side) when the image gives no edges: an adult average.
PRIOR_WRIST_WIDTH_MM = 56.0
#: ``position`` 0 is landmark 0 (the wrist crease); 1 is this far up the forearm.
POSITION_SPAN_MM = 60.0
#: A watch or cuff sits just above the wrist bone (ulnar styloid), ~18 mm up the forearm.
DEFAULT_WRIST_POSITION = 0.3
#: A chain bracelet is made this much longer than the wrist's circumference (comfort fit).
BRACELET_EASE_CM = 1.5
#: Bangle inner diameters that exist (children's 50 mm to men's 75 mm).
BANGLE_DIAMETER_RANGE_MM = (50.0, 75.0)
#: Below this share of the expected front arc showing, the piece is refused (WRIST_NOT_VISIBLE).
MIN_VISIBLE_FRACTION = 0.35
#: The forearm proxy's length from landmark 0 towards the elbow (only its start shows).
FOREARM_PROXY_MM = 160.0
#: Landmark 0 must be at least this far (in hand-size units) inside the frame, and the
#: forearm must show for this many wrist widths beyond it.
_EDGE_MARGIN_FRAC = 0.03
_FOREARM_VISIBLE_WIDTHS = 0.6
#: Gate codes that concern a finger's segment and do not apply at the wrist.
_FINGER_ONLY_CODES = ("HAND_CUT_OFF", "FINGER_COVERED", "HAND_TOO_SMALL", "FINGER_CURLED")
_PALM = (0, 5, 9, 13, 17)
#: A measured wrist width is kept within these multiples of the prior (42-73 mm on the canonical
#: hand, adult wrists); outside it an inner edge (tendon, shadow) or the background was found.
_PLAUSIBLE_WIDTH = (0.75, 1.3)


def ellipse_perimeter(a: float, b: float) -> float:
    """Ramanujan's approximation of an ellipse's perimeter (semi-axes ``a``, ``b``; error < 1e-4 here)."""
    return math.pi * (3 * (a + b) - math.sqrt((3 * a + b) * (a + 3 * b)))


def bangle_inner_diameter_mm(hand_breadth_mm: float, wrist_perimeter_mm: float, wrist_width_mm: float) -> float:
    """The smallest round bangle the hand passes, rounded up to the mm.

    Its inner circumference is the compressed hand's,
    :data:`HAND_CIRCUMFERENCE_TO_BREADTH` x the hand breadth, and never less than
    the wrist's own circumference plus 10 mm nor narrower than the wrist plus 2 mm
    (a rigid bangle must move on the wrist, and go around its widest part).
    """
    need = max(HAND_CIRCUMFERENCE_TO_BREADTH * hand_breadth_mm, wrist_perimeter_mm + 10.0)
    return float(math.ceil(max(need / math.pi, wrist_width_mm + 2.0)))


def _support(a: float, b: float, ux: float, uy: float) -> float:
    """Distance from an ellipse's centre to its tangent line with outward normal (ux, uy)."""
    return math.sqrt((a * ux) ** 2 + (b * uy) ** 2)


@dataclass(frozen=True)
class WristFit:
    """What a wrist piece is made to, in the piece frame (mm; X across, Y dorsal, Z towards the hand).

    Hashable: the pipeline caches pieces' meshes by it (see :meth:`WristSite.piece_size_mm`).
    """

    #: Semi-axes of the wrist's cross-section at the piece (across X, dorsal-palmar Y).
    wrist_a_mm: float
    wrist_b_mm: float
    #: Gravity's direction perpendicular to the forearm, in the piece's XY plane (unit).
    gravity_x: float
    gravity_y: float
    #: The smallest round bangle the hand passes (inner diameter).
    bangle_inner_diameter_mm: float
    #: From the piece's centre along +Z to where the hand starts (its proxies' reach towards the elbow).
    hand_stop_mm: float

    def wrist_support_mm(self, ux: float, uy: float) -> float:
        """How far the wrist's surface reaches from its axis in the direction (ux, uy)."""
        return _support(self.wrist_a_mm, self.wrist_b_mm, ux, uy)


@dataclass(frozen=True, eq=False)
class WristPlacement:
    """Where a wrist piece sits (camera frame, metres); the :class:`jewelrender.sites.base.Placement` fields.

    ``center_cam`` is on the forearm's axis at ``position``; ``axis_cam`` runs along the
    forearm towards the hand (the piece's +Z); ``up_cam`` towards the back of the wrist
    (dorsal, the piece's +Y).
    """

    site: str
    hand: str
    position: float
    palm_facing: str
    center_cam: np.ndarray
    axis_cam: np.ndarray
    up_cam: np.ndarray
    center_px: np.ndarray
    axis_px: np.ndarray
    wrist_px: np.ndarray
    wrist_width_px: float
    wrist_width_source: str
    fit: WristFit
    wrist_circumference_mm: float
    hand_breadth_mm: float
    distance_m: float
    points_cam: np.ndarray
    proxies: tuple[Capsule, ...]
    details: dict = field(default_factory=dict)

    @property
    def right_cam(self) -> np.ndarray:
        return np.cross(self.up_cam, self.axis_cam)

    @property
    def piece_to_cam(self) -> np.ndarray:
        """(4, 4) transform from the piece frame (millimetres) to the camera frame (metres)."""
        return piece_to_cam(self.up_cam, self.axis_cam, self.center_cam)

    @property
    def bracelet_length_cm(self) -> float:
        """Wrist circumference + ease, rounded up to the half centimetre (how chain bracelets are sold)."""
        return math.ceil((self.wrist_circumference_mm / 10.0 + BRACELET_EASE_CM) * 2.0) / 2.0

    def to_report(self) -> dict:
        r = lambda v, n=2: [round(float(x), n) for x in v]  # noqa: E731
        return {
            "site": self.site,
            "hand": self.hand,
            "position": round(self.position, 3),
            "palm_facing": self.palm_facing,
            "center_px": r(self.center_px),
            "axis_px": r(self.axis_px, 4),
            "wrist_px": r(self.wrist_px),
            "center_cam_m": r(self.center_cam, 5),
            "axis_cam": r(self.axis_cam, 4),
            "up_cam": r(self.up_cam, 4),
            "wrist_width_px": round(self.wrist_width_px, 2),
            "wrist_width_source": self.wrist_width_source,
            "wrist_width_mm": round(2 * self.fit.wrist_a_mm, 1),
            "wrist_depth_mm": round(2 * self.fit.wrist_b_mm, 1),
            "wrist_circumference_cm": round(self.wrist_circumference_mm / 10.0, 1),
            "bracelet_length_cm": self.bracelet_length_cm,
            "hand_breadth_mm": round(self.hand_breadth_mm, 1),
            "bangle_inner_diameter_mm": self.fit.bangle_inner_diameter_mm,
            "distance_m": round(self.distance_m, 4),
            "details": self.details,
        }


def _forearm_direction(pts: np.ndarray, image_px: np.ndarray, K: np.ndarray) -> np.ndarray:
    """Unit forearm direction (towards the elbow), camera frame.

    In the image: from the palm's centre through landmark 0. In depth the hand's
    3-D landmarks say little about the forearm (the palm tilts on the wrist), so
    the forearm is taken to lie across the line of sight at landmark 0, the
    same "camera above the arm" assumption as gravity's: the 3-D direction in
    the plane through landmark 0 perpendicular to its ray that projects onto
    the image direction.
    """
    p0 = pts[0]
    d_px = image_px[0] - image_px[list(_PALM)].mean(axis=0)
    d_px /= np.linalg.norm(d_px)
    ray = np.linalg.inv(K) @ np.array([*(image_px[0] + 10.0 * d_px), 1.0])
    n = p0 / np.linalg.norm(p0)
    q = ray * (p0 @ n) / (ray @ n)  # the ray's point on the plane through p0 perpendicular to n
    d = q - p0
    return d / np.linalg.norm(d)


def measure_wrist_px(srgb: np.ndarray, c_px: np.ndarray, fore_px: np.ndarray, prior_px: float,
                     *, n_profiles: int = 11) -> tuple[float | None, dict]:
    """The forearm's silhouette width (pixels) across ``c_px``, or None.

    The finger rule (:func:`jewelrender.sites.hand.measure_width_px`: walk out
    until the colour leaves the centre's skin model) stops early on a wrist,
    whose flanks are much darker than its lit top. Here each profile across the
    forearm takes, on each side, the strongest CIELAB change between 0.3 and 0.9
    prior widths from the centre line (the skin's outline against the
    background or its shadow); the width is the median of the profiles that
    agree within 15 %. Profiles leaving the photo count as the photo's edge.
    """
    c = np.asarray(c_px, float)
    a = np.asarray(fore_px, float) / np.linalg.norm(fore_px)
    nrm = np.array([-a[1], a[0]])
    step = max(0.5, prior_px / 120.0)
    s = np.arange(-0.95 * prior_px, 0.95 * prior_px + step / 2, step)
    offs = np.linspace(-0.25, 0.25, n_profiles) * prior_px
    pts = c[None, None, :] + offs[:, None, None] * a[None, None, :] + s[None, :, None] * nrm[None, None, :]
    lab = hand_model.lab_profiles(srgb, pts)
    grad = np.zeros(lab.shape[:2])
    k = max(1, int(round(2.0 / step)))
    grad[:, k:-k] = np.linalg.norm(lab[:, 2 * k:] - lab[:, :-2 * k], axis=-1)
    H, W = srgb.shape[:2]
    inside = (pts[..., 0] >= 0) & (pts[..., 0] < W) & (pts[..., 1] >= 0) & (pts[..., 1] < H)
    widths = []
    for i in range(n_profiles):
        edges = []
        for sign in (1, -1):
            band = (sign * s >= 0.3 * prior_px) & (sign * s <= 0.9 * prior_px)
            out = band & ~inside[i]
            if out.any():  # the forearm runs out of the photo on this side: the photo's edge bounds it
                edges.append(float(np.min(np.abs(s[out]))))
                continue
            j = np.nonzero(band)[0]
            edges.append(float(abs(s[j[int(np.argmax(grad[i, j]))]])))
        widths.append(edges[0] + edges[1])
    w = np.asarray(widths)
    support = [(np.abs(w - wi) <= 0.15 * wi).sum() for wi in w]
    best = w[int(np.argmax(support))]
    ok = np.abs(w - best) <= 0.15 * best
    info = {"profile_widths_px": [round(float(x), 1) for x in w], "method": "max-gradient"}
    if ok.sum() < max(3, n_profiles // 2):
        info["reason"] = "profiles disagree"
        return None, info
    width = float(np.median(w[ok]))
    info["ratio_to_prior"] = round(width / prior_px, 3)
    if not _PLAUSIBLE_WIDTH[0] <= width / prior_px <= _PLAUSIBLE_WIDTH[1]:
        info["reason"] = "implausible relative to the hand's size"
        return None, info
    return width, info


def _wrist_frame(pts: np.ndarray, handedness: str, image_px: np.ndarray, K: np.ndarray):
    """Forearm direction (towards the elbow), dorsal normal across it, palm centre (camera frame)."""
    palm_c = pts[list(_PALM)].mean(axis=0)
    fore = _forearm_direction(pts, image_px, K)
    dorsal = hand_model.dorsal_normal(pts, handedness)
    up = dorsal - (dorsal @ fore) * fore
    if np.linalg.norm(up) < 1e-6:
        raise WristNotVisibleError("the hand is seen edge-on along the forearm; photograph the back of the wrist "
                                   "with the forearm lying flat")
    return fore, up / np.linalg.norm(up), palm_c


def place_wrist(photo, hand, camera, *, position: float = DEFAULT_WRIST_POSITION) -> WristPlacement:
    """The wrist's frame, cross-section, sizes and proxies from one detected hand."""
    srgb = np.asarray(getattr(photo, "srgb", photo))
    K = np.asarray(camera.K, dtype=np.float64)
    fx = float(K[0, 0])
    pts, pose_info = hand_model.hand_points_cam(hand, K)
    fore, up, palm_c = _wrist_frame(pts, hand.handedness, hand.image_px, K)
    axis = -fore  # the piece's +Z runs towards the hand, as a ring's towards the fingertip
    center = pts[0] + fore * (position * POSITION_SPAN_MM * 1e-3)
    right = np.cross(up, axis)

    def project(p):
        h = K @ p
        return h[:2] / h[2]

    c_px, w_px = project(center), project(pts[0])
    fore_px = project(pts[0] + fore * 0.03) - w_px
    fore_px /= np.linalg.norm(fore_px)
    z = float(center[2])
    prior_px = PRIOR_WRIST_WIDTH_MM * 1e-3 * fx / z
    # Profiles across the forearm, centred on the piece, spread over +-0.25 wrist widths along it.
    width_px, winfo = measure_wrist_px(srgb, c_px, fore_px, prior_px)
    source = "measured" if width_px is not None else "prior"
    if width_px is None:
        width_px = prior_px
    half_m = width_px / 2.0 * z / fx
    # The silhouette's half-width is the ellipse's support along the image's across direction.
    across = np.cross(axis, center)
    across /= np.linalg.norm(across)
    k = WRIST_DEPTH_TO_WIDTH
    a_m = half_m / math.sqrt((across @ right) ** 2 + (k * (across @ up)) ** 2)
    b_m = k * a_m
    a_mm, b_mm = a_m * 1e3, b_m * 1e3
    perim = ellipse_perimeter(a_mm, b_mm)

    # Hand breadth over the skin: MCP centres (index to little) plus half of each finger's width.
    breadth = float(np.linalg.norm(pts[5] - pts[17]) * 1e3
                    + 0.5 * (hand_model.PRIOR_FINGER_WIDTH_MM["index"] + hand_model.PRIOR_FINGER_WIDTH_MM["little"]))
    g = center / np.linalg.norm(center)  # gravity: the line of sight (camera above the arm)
    g = g - (g @ axis) * axis
    gn = float(np.linalg.norm(g))
    gx, gy = (float(g @ right / gn), float(g @ up / gn)) if gn > 1e-9 else (0.0, -1.0)
    # Proxies: the wrist and forearm as an elliptic cylinder, approximated by two capsules of
    # radius b side by side (a stadium of width 2a, depth 2b); the hand's capsules as for rings.
    start = pts[0] - fore * 0.005
    end = pts[0] + fore * (FOREARM_PROXY_MM * 1e-3)
    off = right * max(a_m - b_m, 0.0)
    hand_caps = hand_model.hand_proxies(srgb, hand, pts, K, finger="ring",
                                        finger_radius_m=hand_model.PRIOR_FINGER_WIDTH_MM["ring"] / 2e3)
    caps = [Capsule("forearm.radial", start + off, end + off, float(b_m)),
            Capsule("forearm.ulnar", start - off, end - off, float(b_m)), *hand_caps]
    # Where the hand begins, seen from the piece: the hand's proxies' nearest reach along -Z.
    hand_start_m = min(min((c.p0 - center) @ axis, (c.p1 - center) @ axis) - c.radius for c in hand_caps)
    fit = WristFit(wrist_a_mm=round(a_mm, 2), wrist_b_mm=round(b_mm, 2), gravity_x=round(gx, 4),
                   gravity_y=round(gy, 4), bangle_inner_diameter_mm=bangle_inner_diameter_mm(breadth, perim, 2 * a_mm),
                   hand_stop_mm=round(hand_start_m * 1e3, 2))
    facing = "away" if float(up @ (-center)) > 0 else "camera"  # which way the palm faces
    details = {"pose": pose_info, "width": {**winfo, "prior_px": round(prior_px, 2)},
               "gravity_piece_xy": [fit.gravity_x, fit.gravity_y]}
    return WristPlacement(
        site="wrist", hand=hand.handedness, position=float(position), palm_facing=facing,
        center_cam=center, axis_cam=axis, up_cam=up, center_px=c_px, axis_px=-fore_px, wrist_px=w_px,
        wrist_width_px=float(width_px), wrist_width_source=source, fit=fit, wrist_circumference_mm=float(perim),
        hand_breadth_mm=breadth, distance_m=float(np.linalg.norm(center)), points_cam=pts, proxies=tuple(caps),
        details=details)


def _wrist_visible(photo, hand) -> dict:
    """Landmark 0 inside the frame, and the forearm beyond it; ``{}`` when fine, else what failed."""
    H, W = photo.height, photo.width
    p0 = hand.image_px[0]
    palm_c = hand.image_px[list(_PALM)].mean(axis=0)
    d = p0 - palm_c
    n = float(np.linalg.norm(d))
    margin = _EDGE_MARGIN_FRAC * hand.size_px
    inside = lambda p: margin <= p[0] <= W - margin and margin <= p[1] <= H - margin  # noqa: E731
    if not inside(p0):
        return {"what": "wrist", "wrist_px": p0.round(1).tolist()}
    # the forearm must show for a good part of a wrist width (about the palm's own length) beyond landmark 0
    beyond = p0 + d / max(n, 1e-9) * _FOREARM_VISIBLE_WIDTHS * float(np.linalg.norm(hand.image_px[9] - p0))
    if not (0 <= beyond[0] < W and 0 <= beyond[1] < H):
        return {"what": "forearm", "wrist_px": p0.round(1).tolist(), "forearm_px": beyond.round(1).tolist()}
    return {}


class WristSite:
    """Pieces on the wrist: :class:`jewelrender.sites.base.Site` for bangles and cuffs."""

    name = "wrist"
    detectors = ("hand",)
    piece_families = ("bangle",)

    def check_options(self, *, finger: str | None = None, hand: str = "auto", position: float | None = None,
                      side: str | None = None) -> dict:
        refuse_side(side, "a wrist piece")
        if finger is not None:
            raise InvalidOptionError(
                f"finger={finger!r} does not apply to a wrist piece; leave it out (choose the arm with "
                "hand/--wrist left|right|auto and the place with --position along the forearm)",
                details={"option": "finger"})
        hand_model.check_hand(hand)
        if position is None:
            position = DEFAULT_WRIST_POSITION
        if not is_number(position) or not (0.0 <= float(position) <= 1.0):
            raise InvalidOptionError(
                f"position must be a number in [0, 1] (0 = the wrist crease, 1 = {POSITION_SPAN_MM:.0f} mm up the "
                f"forearm), got {position!r}")
        return {"hand": hand, "position": float(position)}

    def gate(self, photo, detections, *, options: dict, refuse_multiple: bool = False):
        """The hand gate's photo checks (light, focus, colour, the hand found), then the wrist's own.

        The gate is run on the middle finger for its photo measurements; its
        finger-only checks (the finger's base cut off, covered or too thin) do not
        apply here: a wrist photo may crop the fingers.
        """
        from ..quality import GateCheck, check_input

        report = check_input(photo, detections, finger="middle", hand=options["hand"],
                             refuse_multiple_hands=refuse_multiple, raise_on_failure=False)
        failed = [c for c in report.checks if c.passed is False and c.code not in _FINGER_ONLY_CODES]
        if report.hand_index is None and report.code == "HAND_NOT_FOUND" and not detections:
            raise WristNotVisibleError("no hand or wrist found in the photo; photograph your bare wrist from above, "
                                       "with the hand and a hand's length of the forearm in the picture",
                                       details={"gate": report.to_report()})
        if report.hand_index is None or failed:
            err = report.error()
            if err is not None and err.code not in _FINGER_ONLY_CODES:
                raise err
            raise _error_for(failed[0].code, report) if failed else err
        hand = detections[report.hand_index]
        problem = _wrist_visible(photo, hand)
        report.checks.append(GateCheck("wrist_in_frame", "WRIST_NOT_VISIBLE", 0.0 if problem else 1.0, 1.0, ">=", not problem))
        if problem:
            if problem["what"] == "wrist":
                msg = ("the wrist is at or beyond the edge of the photo; take the photo so that the wrist and a "
                       "hand's length of the forearm are in the picture")
            else:
                msg = ("only the hand is in the photo, not the forearm behind the wrist; step back or turn the "
                       "phone so that the wrist and the forearm above it show, sleeve pushed back")
            raise WristNotVisibleError(msg, details={"gate": report.to_report(), **problem})
        report.passed, report.code, report.message = True, None, None
        return report

    def place(self, photo, detection, camera, *, options: dict):
        return place_wrist(photo, detection, camera, position=options["position"])

    def reference_size(self) -> WristFit:
        """What a wrist piece is made to without a photo (an export): the prior wrist, gravity across it."""
        a = PRIOR_WRIST_WIDTH_MM / 2
        b = WRIST_DEPTH_TO_WIDTH * a
        breadth = PRIOR_WRIST_WIDTH_MM * 1.5  # an adult hand's breadth over the skin (~84 mm)
        return WristFit(wrist_a_mm=a, wrist_b_mm=b, gravity_x=0.0, gravity_y=-1.0,
                        bangle_inner_diameter_mm=bangle_inner_diameter_mm(breadth, ellipse_perimeter(a, b), 2 * a),
                        hand_stop_mm=30.0)

    def piece_size_mm(self, placement) -> WristFit:
        """A wrist piece is made to the whole cross-section, not one number: the :class:`WristFit`."""
        return placement.fit

    def integration(self, photo, detection, camera, placement, piece, light, crop, alpha):
        # The ring's silhouette cut, contact line and camera look are finger-specific (jewelrender.integration);
        # a wrist piece is composited with the proxies' occlusion and the render's own shadow for now.
        return None

    def check_visible(self, mask: np.ndarray, placement, piece, crop_report) -> float:
        ppm = placement.wrist_width_px / (2 * placement.fit.wrist_a_mm)  # px per mm at the wrist
        expected = placement.wrist_width_px * float(piece.band["width_mm"]) * ppm
        visible = float(min(1.0, mask.sum() / max(expected, 1.0)))
        if visible < MIN_VISIBLE_FRACTION:
            raise WristNotVisibleError(
                f"the wrist is hidden where the piece goes (only {100 * visible:.0f} % of it would show); push "
                "the sleeve back and photograph the back of the wrist",
                details={"visible_fraction": round(visible, 3), "crop": crop_report})
        return visible

    def score_inputs(self, placement, piece, detection, crop, visible: float):
        from ..quality import ScoreInputs

        return ScoreInputs(
            crop=tuple(crop), center_px=tuple(float(v) for v in placement.center_px),
            axis_px=tuple(float(v) for v in placement.axis_px), across_px=float(placement.wrist_width_px),
            across_source=placement.wrist_width_source, size_mm=float(placement.fit.bangle_inner_diameter_mm),
            size_range_mm=BANGLE_DIAMETER_RANGE_MM, landmark_score=float(detection.score),
            pose_method=(placement.details.get("pose") or {}).get("method"), visible_fraction=visible,
            min_visible_fraction=MIN_VISIBLE_FRACTION)

    def report(self, placement, detection) -> dict[str, Any]:
        return dict(placement.to_report(), hand_score=float(detection.score))


def _error_for(code: str, report) -> JewelrenderError:
    """The typed error of a failed gate check, with the gate's report in its details."""
    from .. import errors

    classes = {getattr(errors, n).code: getattr(errors, n) for n in errors.__all__}
    cls = classes.get(code, errors.PhotoQualityError)
    msg = {"PHOTO_TOO_DARK": "the wrist is too dark; take the photo in brighter light",
           "PHOTO_OVEREXPOSED": "the wrist is overexposed; avoid flash or direct sun",
           "PHOTO_BLURRY": "the wrist is blurry; hold the camera still and tap the wrist to focus",
           "PHOTO_COLOR_CAST": "the skin's colour is off; take a colour photo without filters in white light",
           }.get(code, "the photo cannot be used for a wrist try-on; photograph the bare wrist in good light")
    return cls(msg, details={"gate": report.to_report()})


WRIST = WristSite()
