"""The wrist site: bangles, cuffs, bracelets and watches on the wrist.

From MediaPipe Hands (and MediaPipe Pose where the photo shows the elbow):
landmark 0 is the wrist, the palm's landmarks (0, 5, 9, 13, 17) give the hand's
3-D frame through :func:`jewelrender.sites.hand.hand_points_cam` (canonical bone
lengths fix the metric scale, as for rings). docs/wrist.md has the whole model.

* **Forearm direction**: in the image, the pose's wrist-to-elbow line
  (:func:`forearm_from_pose`) or, without it, from the palm's centre (mean of
  landmarks 0, 5, 9, 13, 17) through landmark 0, turned along the middle of the
  arm's measured outline when that drifts off it (a fist, a bent wrist); in
  depth, across the line of sight (the arm lies flat under the camera).
* **Cross-section**: an ellipse. Its silhouette width is measured in the image
  across the forearm at the piece (:func:`measure_wrist_px`: the strongest colour
  edges with skin inside; the anatomical prior when the edges are not found). Its depth follows from the wrist ratio
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
from ..errors import InvalidOptionError, JewelrenderError, WristCoveredError, WristNotVisibleError
from . import hand as hand_model
from .hand import Capsule
from .base import piece_to_cam

__all__ = ["WristSite", "WRIST", "WristPlacement", "WristFit", "place_wrist", "ellipse_perimeter", "forearm_from_pose",
           "skin_across_wrist", "wrist_visible_mask", "other_hands_mask", "MIN_SKIN_ACROSS",
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
#: The body pose's wrist must lie within this many palm lengths of the hand's landmark 0 to be its arm.
POSE_WRIST_MATCH_PALMS = 0.6
#: A pose forearm more than this far from the palm's line (image plane) is taken for a mismatch.
POSE_MAX_TURN_DEG = 60.0
#: Below this share of skin-coloured pixels across the wrist's middle, something covers it (WRIST_COVERED).
MIN_SKIN_ACROSS = 0.5
#: A wrist pixel's CIELAB chroma within this many of the hand's spreads is skin.
SKIN_CHROMA_SIGMAS = 3.5
#: Skin in deep shadow (darker than a third of the hand's L*, its chroma shrunk with it) keeps the hand's hue
#: within this (deg); a black, grey or blue sleeve does not.
SHADOW_HUE_DEG = 20.0
#: How far (mm) past the body proxies a piece may stand (a strap's thickness): within it, a pixel that is not
#: skin hides the piece too (the silhouette cut).
STANDOUT_MM = 4.5
#: ... where the wrist's outline was measured (the proxy is fitted to it): a strap's edge.
STANDOUT_MEASURED_MM = 1.5
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
#: The measured outline's midline turns the forearm when it runs more than this off the palm's line (deg),
#: by at most _MAX_TURN_DEG.
_MIN_TURN_DEG = 3.0
_MAX_TURN_DEG = 25.0
#: ... or these multiples of the knuckles' span in the image (index to little finger MCP), for an outline
#: nearly all profiles agree on.
_PLAUSIBLE_TO_KNUCKLES = (0.8, 1.2)
#: Profiles across the wrist agree when their widths are within this fraction of each other.
_PROFILE_AGREEMENT = 0.08


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
    #: Which way along X the thumb (radial) side lies: +1 or -1. A watch's 12 o'clock points there.
    radial_x: float = 1.0
    #: The side the wrist is on ("left"/"right"): a watch's crown (3 o'clock) faces the hand on the left wrist.
    hand: str = "left"

    def wrist_support_mm(self, ux: float, uy: float) -> float:
        """How far the wrist's surface reaches from its axis in the direction (ux, uy)."""
        return _support(self.wrist_a_mm, self.wrist_b_mm, ux, uy)

    @property
    def circumference_mm(self) -> float:
        return ellipse_perimeter(self.wrist_a_mm, self.wrist_b_mm)

    @property
    def bracelet_length_cm(self) -> float:
        """Wrist circumference + ease, rounded up to the half centimetre (how chain bracelets are sold)."""
        return math.ceil((self.circumference_mm / 10.0 + BRACELET_EASE_CM) * 2.0) / 2.0

    def forearm_stadium_mm(self) -> tuple[float, float]:
        """The wrist proxy's cross-section: two capsules of radius ``b`` whose axes sit at x = +-offset.

        Returns ``(offset, radius)``: a stadium of width 2a and depth 2b, what
        hides the piece, catches its shadow and stops a chain (one home for its shape).
        """
        return max(self.wrist_a_mm - self.wrist_b_mm, 0.0), self.wrist_b_mm


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

    #: The render's crop may be oblong down to this aspect: a bracelet is a band across the arm.
    crop_min_aspect = 0.4

    @property
    def right_cam(self) -> np.ndarray:
        return np.cross(self.up_cam, self.axis_cam)

    @property
    def piece_to_cam(self) -> np.ndarray:
        """(4, 4) transform from the piece frame (millimetres) to the camera frame (metres)."""
        return piece_to_cam(self.up_cam, self.axis_cam, self.center_cam)

    @property
    def bracelet_length_cm(self) -> float:
        """The chain bracelet made to this wrist (:attr:`WristFit.bracelet_length_cm`)."""
        return self.fit.bracelet_length_cm

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


def forearm_from_pose(pose, image_px: np.ndarray) -> tuple[np.ndarray | None, dict]:
    """The forearm's image direction (unit, towards the elbow) from a body pose, or None, and why.

    The pose's wrist nearest to the hand's landmark 0 picks the arm; it must lie
    within :data:`POSE_WRIST_MATCH_PALMS` palm lengths of landmark 0 (else the
    pose found another arm or person), and that arm's elbow must be visible
    (MediaPipe visibility >= 0.5). A direction more than :data:`POSE_MAX_TURN_DEG`
    from the palm's line is a mismatch too (a wrist does not bend that far in the image plane).
    """
    from ..landmarks import PoseLandmark

    if pose is None:
        return None, {"source": "hand", "reason": "no body pose found"}
    palm_len = float(np.linalg.norm(image_px[9] - image_px[0]))
    palm_dir = image_px[0] - image_px[list(_PALM)].mean(axis=0)
    palm_dir = palm_dir / np.linalg.norm(palm_dir)
    best = None
    for wrist, elbow in ((PoseLandmark.LEFT_WRIST, PoseLandmark.LEFT_ELBOW),
                         (PoseLandmark.RIGHT_WRIST, PoseLandmark.RIGHT_ELBOW)):
        dist = float(np.linalg.norm(pose.image_px[wrist] - image_px[0]))
        if best is None or dist < best[0]:
            best = (dist, wrist, elbow)
    dist, wrist, elbow = best
    info = {"source": "hand", "pose_wrist_px_from_landmark_0": round(dist, 1), "pose_arm": wrist.name.split("_")[0].lower()}
    if dist > POSE_WRIST_MATCH_PALMS * palm_len:
        info["reason"] = "the pose's wrists are not at this hand"
        return None, info
    if not pose.visible(elbow):
        info["reason"] = "the elbow is not visible"
        return None, info
    d = pose.image_px[elbow] - pose.image_px[wrist]
    if float(np.linalg.norm(d)) < 0.5 * palm_len:
        info["reason"] = "the forearm is foreshortened (seen end-on)"
        return None, info
    d = d / np.linalg.norm(d)
    turn = math.degrees(math.acos(float(np.clip(d @ palm_dir, -1.0, 1.0))))
    info["turn_from_palm_line_deg"] = round(turn, 1)
    if turn > POSE_MAX_TURN_DEG:
        info["reason"] = "the pose's forearm disagrees with the hand"
        return None, info
    info["source"] = "pose"
    return d, info


def _forearm_direction(pts: np.ndarray, image_px: np.ndarray, K: np.ndarray, d_px: np.ndarray | None = None) -> np.ndarray:
    """Unit forearm direction (towards the elbow), camera frame.

    In the image: ``d_px`` (the pose's wrist-to-elbow line, :func:`forearm_from_pose`)
    or, without it, from the palm's centre through landmark 0. In depth the hand's
    3-D landmarks say little about the forearm (the palm tilts on the wrist), so
    the forearm is taken to lie across the line of sight at landmark 0, the
    same "camera above the arm" assumption as gravity's: the 3-D direction in
    the plane through landmark 0 perpendicular to its ray that projects onto
    the image direction.
    """
    p0 = pts[0]
    if d_px is None:
        d_px = image_px[0] - image_px[list(_PALM)].mean(axis=0)
    d_px = np.asarray(d_px, float) / np.linalg.norm(d_px)
    ray = np.linalg.inv(K) @ np.array([*(image_px[0] + 10.0 * d_px), 1.0])
    n = p0 / np.linalg.norm(p0)
    q = ray * (p0 @ n) / (ray @ n)  # the ray's point on the plane through p0 perpendicular to n
    d = q - p0
    return d / np.linalg.norm(d)


def measure_wrist_px(srgb: np.ndarray, c_px: np.ndarray, fore_px: np.ndarray, prior_px: float,
                     *, n_profiles: int = 11, skin_model=None, knuckles_px: float | None = None
                     ) -> tuple[float | None, dict]:
    """The forearm's silhouette width (pixels) across ``c_px``, or None.

    ``info["centre_offset_px"]`` is how far the outline's middle lies from
    ``c_px`` across the forearm (along the forearm direction turned +90 deg).

    The finger rule (:func:`jewelrender.sites.hand.measure_width_px`: walk out
    until the colour leaves the centre's skin model) stops early on a wrist,
    whose flanks are much darker than its lit top. Here each profile across the
    forearm takes, on each side, the strongest CIELAB change between 0.3 and 0.9
    prior widths from the centre line (the skin's outline against the
    background or its shadow) whose inner side is skin (``skin_model``, the back of
    the hand's colour, :func:`_skin_model`; without one, any change): an edge
    between two background colours (a plant's leaves against the room) is not the
    arm's. The width is the median of the largest group of profiles that agree
    within :data:`_PROFILE_AGREEMENT` (the tightest group on a tie). Profiles
    leaving the photo count as the photo's edge.

    A width is kept within :data:`_PLAUSIBLE_WIDTH` of ``prior_px`` (the prior
    wrist at the hand's 3-D scale) or, when nearly all profiles agree (an
    outline, not scattered background edges), within :data:`_PLAUSIBLE_TO_KNUCKLES`
    of ``knuckles_px``, the image distance between the index and little
    fingers' knuckles (landmarks 5 and 17): on the 20 dev photos with a found
    outline the wrist is 0.92-1.06 of it, while the 3-D scale of a clenched fist
    (canonical bone lengths on curled fingers) is off by up to 1.33.
    """
    c = np.asarray(c_px, float)
    a = np.asarray(fore_px, float) / np.linalg.norm(fore_px)
    nrm = np.array([-a[1], a[0]])
    step = max(0.5, prior_px / 120.0)
    s = np.arange(-0.95 * prior_px, 0.95 * prior_px + step / 2, step)
    k = max(1, int(round(2.0 / step)))
    H, W = srgb.shape[:2]

    def profiles(offs):
        """Per profile across the forearm at ``offs`` px along it: the outline's width and middle."""
        pts = c[None, None, :] + offs[:, None, None] * a[None, None, :] + s[None, :, None] * nrm[None, None, :]
        lab = hand_model.lab_profiles(srgb, pts)
        grad = np.zeros(lab.shape[:2])
        grad[:, k:-k] = np.linalg.norm(lab[:, 2 * k:] - lab[:, :-2 * k], axis=-1)
        inside = (pts[..., 0] >= 0) & (pts[..., 0] < W) & (pts[..., 1] >= 0) & (pts[..., 1] < H)
        skin = _is_skin(lab, skin_model) if skin_model is not None else np.ones(lab.shape[:2], bool)
        widths, centres = [], []
        for i in range(len(offs)):
            edges = []
            for sign in (1, -1):
                band = (sign * s >= 0.3 * prior_px) & (sign * s <= 0.9 * prior_px)
                out = band & ~inside[i]
                if out.any():  # the forearm runs out of the photo on this side: the photo's edge bounds it
                    edges.append(float(np.min(np.abs(s[out]))))
                    continue
                j = np.nonzero(band)[0]
                inner = np.clip(j - sign * 2 * k, 0, len(s) - 1)  # a few pixels towards the arm's middle
                g = grad[i, j] * np.where(skin[i, inner], 1.0, 0.25)  # skin inside: the arm's outline
                edges.append(float(abs(s[j[int(np.argmax(g))]])))
            widths.append(edges[0] + edges[1])
            centres.append((edges[0] - edges[1]) / 2.0)  # the outline's middle, off the centre line along +nrm
        return np.asarray(widths), np.asarray(centres)

    offs = np.linspace(-0.25, 0.25, n_profiles) * prior_px
    widths, centres = profiles(offs)
    w = np.asarray(widths)
    groups = [np.abs(w - wi) <= _PROFILE_AGREEMENT * wi for wi in w]
    # the largest group; on a tie the tightest (a real outline is smooth, background edges scatter)
    best = min(range(len(w)), key=lambda i: (-int(groups[i].sum()), float(np.ptp(w[groups[i]]))))
    ok = groups[best]
    info = {"profile_widths_px": [round(float(x), 1) for x in w], "method": "max-gradient"}
    if ok.sum() < max(3, n_profiles // 2):
        info["reason"] = "profiles disagree"
        return None, info
    width = float(np.median(w[ok]))
    info["ratio_to_prior"] = round(width / prior_px, 3)
    info["centre_offset_px"] = round(float(np.median(np.asarray(centres)[ok])), 2)
    # How the outline's middle drifts across per pixel along the forearm, over 0.6 wrist widths up the
    # forearm from the piece (where a watch's case sits; by the hand the outline bends into the palm, and
    # further up the forearm widens towards the elbow):
    # the arm's own direction. Profiles far off the width (a background edge) are left out.
    along = np.linspace(0.0, 0.6, 7) * prior_px
    wd, cd = profiles(along)
    near = np.abs(wd - width) <= 0.2 * width
    if near.sum() >= 4:
        info["centre_slope"] = round(float(np.polyfit(along[near], cd[near], 1)[0]), 4)
    if _PLAUSIBLE_WIDTH[0] <= width / prior_px <= _PLAUSIBLE_WIDTH[1]:
        return width, info
    if knuckles_px and ok.sum() >= n_profiles - 2:
        info["ratio_to_knuckles"] = round(width / knuckles_px, 3)
        if _PLAUSIBLE_TO_KNUCKLES[0] <= width / knuckles_px <= _PLAUSIBLE_TO_KNUCKLES[1]:
            return width, info
    info["reason"] = "implausible relative to the hand's size"
    return None, info


def _skin_model(srgb: np.ndarray, hand) -> tuple[np.ndarray, np.ndarray] | None:
    """The back of the hand's CIELAB median and spread (pixels inside landmarks 0, 1, 5, 9, 13, 17, shrunk
    towards their centre, away from the outline), or None when there are too few."""
    import cv2

    H, W = srgb.shape[:2]
    poly = hand.image_px[[0, 1, 5, 9, 13, 17]]
    centre = poly.mean(axis=0)
    poly = centre + 0.7 * (poly - centre)
    m = np.zeros((H, W), np.uint8)
    cv2.fillPoly(m, [np.round(poly).astype(np.int32)], 1)
    ys, xs = np.nonzero(m)
    if len(xs) < 20:
        return None
    step = max(1, len(xs) // 4000)
    ref = cv2.cvtColor(srgb[ys[::step], xs[::step]][None].astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)[0]
    med = np.median(ref, axis=0)
    return med, np.maximum(1.4826 * np.median(np.abs(ref - med), axis=0), [6.0, 3.0, 3.0])


def _is_skin(lab: np.ndarray, model) -> np.ndarray:
    """Skin by the hand's colour: lit skin within the hand's chroma spread; skin in deep shadow (the
    forearm's underside) by its hue (within :data:`SHADOW_HUE_DEG`) and a chroma a black or grey
    sleeve does not have."""
    med, spread = model
    chroma = np.hypot((lab[..., 1] - med[1]) / spread[1], (lab[..., 2] - med[2]) / spread[2])
    lit = (chroma < SKIN_CHROMA_SIGMAS) & (lab[..., 0] > med[0] / 3.0)
    c = np.hypot(lab[..., 1], lab[..., 2])
    mc = float(np.hypot(med[1], med[2]))
    dhue = np.angle(np.exp(1j * (np.arctan2(lab[..., 2], lab[..., 1]) - math.atan2(med[2], med[1]))))
    shade = ((lab[..., 0] <= med[0]) & (c >= max(4.0, 0.3 * mc)) & (c <= 1.5 * mc)
             & (np.abs(dhue) < math.radians(SHADOW_HUE_DEG)))
    return lit | shade


def skin_across_wrist(srgb: np.ndarray, hand, c_px: np.ndarray, fore_px: np.ndarray, width_px: float,
                      *, n_profiles: int = 7) -> tuple[float, dict]:
    """The share of the wrist's middle, across the forearm at ``c_px``, that has the hand's skin colour.

    The skin model is the back of the hand's own colour: its median CIELAB
    chroma and spread. A wrist pixel is skin when its chroma lies within
    :data:`SKIN_CHROMA_SIGMAS` spreads of the hand's and it is not much darker than
    a shadowed flank (L* above a third of the hand's). The profiles cover the
    middle 80 % of the wrist's width, where the forearm's own outline and the
    background do not reach; a sleeve, a glove, a watch or a cuff there is not skin.
    """
    H, W = srgb.shape[:2]
    model = _skin_model(srgb, hand)
    if model is None:
        return 1.0, {"reason": "the back of the hand is too small to sample"}
    a = np.asarray(fore_px, float) / np.linalg.norm(fore_px)
    nrm = np.array([-a[1], a[0]])
    s = np.linspace(-0.4, 0.4, 41) * width_px
    offs = np.linspace(-0.15, 0.15, n_profiles) * width_px
    pts = np.asarray(c_px, float)[None, None] + offs[:, None, None] * a + s[None, :, None] * nrm
    inside = (pts[..., 0] >= 0) & (pts[..., 0] < W) & (pts[..., 1] >= 0) & (pts[..., 1] < H)
    skin = _is_skin(hand_model.lab_profiles(srgb, pts), model)
    frac = float(skin[inside].mean()) if inside.any() else 0.0
    return frac, {"skin_fraction": round(frac, 3), "hand_lab": [round(float(v), 1) for v in model[0]]}


#: Another hand is taken to lie over the wrist unless its landmarks are this much further from the camera
#: than the wrist (m): both depths come from adult bone lengths (a few cm of error), and a hand that grips
#: or rests on the wrist is at its depth.
OTHER_HAND_BEHIND_M = 0.04
#: A finger drawn as a band this share of the palm's width (index to little knuckle) across: an adult
#: finger is ~18 mm wide on a ~75 mm knuckle span.
FINGER_WIDTH_OF_PALM = 0.24


def other_hands_mask(hand, others, camera, placement, crop) -> tuple[np.ndarray, dict]:
    """(h, w) bool over ``crop``: where another hand in the photo covers it.

    A second hand is skin-coloured like the arm, so the colour cut of :func:`wrist_visible_mask` cannot
    see it over the wrist; its landmarks can. Each other hand's silhouette is its palm (wrist and
    knuckles) and its fingers drawn as bands :data:`FINGER_WIDTH_OF_PALM` of the palm wide; a hand more
    than :data:`OTHER_HAND_BEHIND_M` behind the wrist is left out (the arm hides it, not it the arm), and
    so is a second detection of ``hand`` itself (landmarks within a third of its palm's width).
    """
    import cv2

    from ..landmarks import FINGERS

    h, w = crop.height, crop.width
    out = np.zeros((h, w), np.uint8)
    used = 0
    K = np.asarray(camera.K, float)
    origin = np.array([crop.x, crop.y], float)
    own = np.asarray(hand.image_px, float)
    own_palm = float(np.linalg.norm(own[5] - own[17]))
    for other in others:
        px = np.asarray(getattr(other, "image_px", np.empty((0, 2))), float)
        if px.shape != (21, 2) or not np.all(np.isfinite(px)):
            continue
        if float(np.mean(np.linalg.norm(px - own, axis=1))) < own_palm / 3.0:
            continue
        pts_cam, _ = hand_model.hand_points_cam(other, K)
        if float(np.median(np.linalg.norm(pts_cam, axis=1))) > placement.distance_m + OTHER_HAND_BEHIND_M:
            continue
        palm_w = float(np.linalg.norm(px[5] - px[17]))
        width = max(2, int(round(FINGER_WIDTH_OF_PALM * palm_w)))
        local = np.round(px - origin).astype(np.int32)
        palm = local[[0, 1, 5, 9, 13, 17]]
        cv2.fillConvexPoly(out, cv2.convexHull(palm), 1)
        for chain in FINGERS.values():
            ids = (0,) + tuple(chain) if chain[0] == 1 else tuple(chain)
            for a, b in zip(ids[:-1], ids[1:]):
                cv2.line(out, tuple(map(int, local[a])), tuple(map(int, local[b])), 1, width)
                cv2.circle(out, tuple(map(int, local[b])), width // 2, 1, -1)  # a round fingertip
        used += 1
    return out.astype(bool), {"other_hands_over_crop": used}


def wrist_visible_mask(srgb: np.ndarray, hand, camera, placement, crop) -> tuple[np.ndarray, dict]:
    """(h, w) in [0, 1] over ``crop``: where the photo lets the piece show.

    The piece is hidden where the body proxies say the wrist or hand is (a ray
    through the pixel hits them) but the photo shows something that is not the
    hand's skin: a sleeve, a cuff, a watch already worn. Thin dark strands (arm
    hair) are closed over first (a closing a twentieth of the wrist's width
    across), and specks smaller than that are not cuts. The body reaches
    :data:`STANDOUT_MM` past the proxies' outline (a strap wrapping a proxy wider
    than the real arm would stand out over the background); further off it
    nothing is cut.
    """
    import cv2

    from .proxies import raycast_capsules

    sy, sx = crop.slices
    sub = srgb[sy, sx]
    h, w = sub.shape[:2]
    model = _skin_model(srgb, hand)
    if model is None:
        return np.ones((h, w), np.float32), {"reason": "no skin model"}
    lab = cv2.cvtColor(sub.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    skin = _is_skin(lab, model).astype(np.uint8)
    k = max(3, int(round(placement.wrist_width_px / 20.0)) | 1)
    ker = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    skin = cv2.morphologyEx(skin, cv2.MORPH_CLOSE, ker)
    K = np.asarray(camera.K, float)
    yy, xx = np.mgrid[0:h, 0:w]
    rays = np.column_stack([(xx.ravel() + crop.x + 0.5 - K[0, 2]) / K[0, 0],
                            (yy.ravel() + crop.y + 0.5 - K[1, 2]) / K[1, 1], np.ones(h * w)])
    rays /= np.linalg.norm(rays, axis=1, keepdims=True)
    _, _, idx = raycast_capsules(np.zeros_like(rays), rays, placement.proxies)
    body = (idx >= 0).reshape(h, w).astype(np.uint8)
    # Within a piece's thickness of the proxies' outline too: where the real arm is narrower than the
    # proxy, a strap or chain wrapping the proxy's flank would stand out over the background.
    # A proxy fitted to the measured outline is the arm: only a strap's edge stands past it (a strap's own
    # thickness showing at the silhouette is real); a prior width may be the arm's or not.
    standout = STANDOUT_MM if placement.wrist_width_source == "prior" else STANDOUT_MEASURED_MM
    reach = max(1, int(round(standout * placement.wrist_width_px / (2.0 * placement.fit.wrist_a_mm))))
    body = cv2.dilate(body, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1))) > 0
    covered = (body & (skin == 0)).astype(np.uint8)
    covered = cv2.morphologyEx(covered, cv2.MORPH_OPEN, ker)
    vis = 1.0 - cv2.GaussianBlur(covered.astype(np.float32), (0, 0), 0.7)
    return np.clip(vis, 0.0, 1.0).astype(np.float32), {"covered_fraction_of_crop": round(float(covered.mean()), 4)}


def _wrist_frame(pts: np.ndarray, handedness: str, image_px: np.ndarray, K: np.ndarray, d_px=None):
    """Forearm direction (towards the elbow), dorsal normal across it, palm centre (camera frame)."""
    palm_c = pts[list(_PALM)].mean(axis=0)
    fore = _forearm_direction(pts, image_px, K, d_px)
    dorsal = hand_model.dorsal_normal(pts, handedness)
    up = dorsal - (dorsal @ fore) * fore
    if np.linalg.norm(up) < 1e-6:
        raise WristNotVisibleError("the hand is seen edge-on along the forearm; photograph the back of the wrist "
                                   "with the forearm lying flat")
    return fore, up / np.linalg.norm(up), palm_c


def place_wrist(photo, hand, camera, *, position: float = DEFAULT_WRIST_POSITION, pose=None) -> WristPlacement:
    """The wrist's frame, cross-section, sizes and proxies from one detected hand (and the body pose, if given)."""
    srgb = np.asarray(getattr(photo, "srgb", photo))
    K = np.asarray(camera.K, dtype=np.float64)
    fx = float(K[0, 0])
    pts, pose_info = hand_model.hand_points_cam(hand, K)
    d_px, fore_info = forearm_from_pose(pose, hand.image_px)
    skin_model = _skin_model(srgb, hand)
    knuckles_px = float(np.linalg.norm(hand.image_px[5] - hand.image_px[17]))

    def project(p):
        h = K @ p
        return h[:2] / h[2]

    first = None
    for attempt in range(2):
        fore, up, palm_c = _wrist_frame(pts, hand.handedness, hand.image_px, K, d_px)
        axis = -fore  # the piece's +Z runs towards the hand, as a ring's towards the fingertip
        center = pts[0] + fore * (position * POSITION_SPAN_MM * 1e-3)
        right = np.cross(up, axis)
        c_px, w_px = project(center), project(pts[0])
        fore_px = project(pts[0] + fore * 0.03) - w_px
        fore_px /= np.linalg.norm(fore_px)
        z = float(center[2])
        prior_px = PRIOR_WRIST_WIDTH_MM * 1e-3 * fx / z
        # Profiles across the forearm, centred on the piece, spread over +-0.25 wrist widths along it.
        width_px, winfo = measure_wrist_px(srgb, c_px, fore_px, prior_px, skin_model=skin_model,
                                           knuckles_px=knuckles_px)
        if attempt and width_px is None:  # the turned forearm shows no outline: keep the first measurement
            fore, up, axis, center, right, c_px, w_px, fore_px, z, prior_px, width_px, winfo, fore_info = first
            break
        slope = float(winfo.get("centre_slope", 0.0)) if width_px is not None else 0.0
        if attempt or fore_info["source"] == "pose" or abs(slope) < math.tan(math.radians(_MIN_TURN_DEG)):
            break
        first = (fore, up, axis, center, right, c_px, w_px, fore_px, z, prior_px, width_px, winfo, fore_info)
        # The palm's line is off the arm (a fist, a bent wrist): the measured outline's midline turns the
        # forearm (at most _MAX_TURN_DEG), and the outline is measured again across the turned forearm.
        slope = float(np.clip(slope, -math.tan(math.radians(_MAX_TURN_DEG)), math.tan(math.radians(_MAX_TURN_DEG))))
        d_px = fore_px + slope * np.array([-fore_px[1], fore_px[0]])
        fore_info = {**fore_info, "source": "outline", "turn_deg": round(math.degrees(math.atan(slope)), 1)}
    source = "measured" if width_px is not None else "prior"
    if width_px is not None and not _PLAUSIBLE_WIDTH[0] <= width_px / prior_px <= _PLAUSIBLE_WIDTH[1]:
        # Kept by the knuckles' span: the hand's 3-D scale is what is off (a fist), not the arm. The hand is
        # brought nearer (or further) along the camera's rays, which changes no pixel, until the wrist is at
        # the nearest plausible width: the sizes (mm) stay adult, the piece's size in the photo follows.
        scale = float(np.clip(width_px / prior_px, *_PLAUSIBLE_WIDTH)) / (width_px / prior_px)
        pts, center, winfo = pts * scale, center * scale, {**winfo, "hand_scale": round(scale, 3)}
        z, prior_px = z * scale, prior_px / scale
    if width_px is None:
        width_px = prior_px
    if source == "measured":
        # The forearm's axis through the middle of its measured outline: the palm's line (or the pose's)
        # fixes the direction, not where across the arm the axis runs (a hand turned on the wrist shifts it).
        nrm_px = np.array([-fore_px[1], fore_px[0]])
        off_px = float(winfo.get("centre_offset_px", 0.0))
        ray = np.linalg.inv(K) @ np.array([*(c_px + off_px * nrm_px), 1.0])
        shift = ray * (center @ center) / (ray @ center) - center  # on the plane through center facing the camera
        shift -= (shift @ fore) * fore
        center = center + shift
        c_px = project(center)
    else:
        shift = np.zeros(3)
    skin_frac, skin_info = skin_across_wrist(srgb, hand, c_px, fore_px, width_px)
    if skin_frac < MIN_SKIN_ACROSS:
        raise WristCoveredError(
            "something covers the wrist where the piece goes (a sleeve, a watch or bracelet you wear, or the other "
            "hand); push the sleeve back, take off what you wear there and photograph the bare wrist",
            details={"skin": skin_info, "center_px": [round(float(v), 1) for v in c_px]})
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
    hand_caps = hand_model.hand_proxies(srgb, hand, pts, K, finger="ring",
                                        finger_radius_m=hand_model.PRIOR_FINGER_WIDTH_MM["ring"] / 2e3)
    # Where the hand begins, seen from the piece: the hand's proxies' nearest reach along -Z.
    hand_start_m = min(min((c.p0 - center) @ axis, (c.p1 - center) @ axis) - c.radius for c in hand_caps)
    # The thumb's (radial) side: from the little finger's knuckle to the index's.
    radial_x = 1.0 if float((pts[5] - pts[17]) @ right) >= 0 else -1.0
    fit = WristFit(wrist_a_mm=round(a_mm, 2), wrist_b_mm=round(b_mm, 2), gravity_x=round(gx, 4),
                   gravity_y=round(gy, 4), bangle_inner_diameter_mm=bangle_inner_diameter_mm(breadth, perim, 2 * a_mm),
                   hand_stop_mm=round(hand_start_m * 1e3, 2), radial_x=radial_x, hand=hand.handedness)
    # Proxies: the wrist and forearm as an elliptic cylinder, approximated by two capsules side by
    # side (WristFit.forearm_stadium_mm); the hand's capsules as for rings.
    start = pts[0] + shift - fore * 0.005
    end = pts[0] + shift + fore * (FOREARM_PROXY_MM * 1e-3)
    off_mm, r_mm = fit.forearm_stadium_mm()
    off = right * off_mm * 1e-3
    caps = [Capsule("forearm.right", start + off, end + off, r_mm * 1e-3),
            Capsule("forearm.left", start - off, end - off, r_mm * 1e-3), *hand_caps]
    facing = "away" if float(up @ (-center)) > 0 else "camera"  # which way the palm faces
    details = {"pose": pose_info, "forearm": fore_info, "skin": skin_info, "width": {**winfo, "prior_px": round(prior_px, 2)},
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
    #: The body pose (its elbow) steers the forearm's direction where the photo shows it.
    detectors = ("hand", "pose")
    piece_families = ("bangle", "bracelet", "watch")

    def check_options(self, *, finger: str | None = None, hand: str = "auto", position: float | None = None) -> dict:
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

    def place(self, photo, detection, camera, *, options: dict, pose=None):
        return place_wrist(photo, detection, camera, position=options["position"], pose=pose)

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

    def integration(self, photo, detection, camera, placement, piece, light, crop, alpha, *, others=()):
        """The photo's own silhouette: what covers the wrist (a sleeve, a cuff) hides the piece
        (:func:`wrist_visible_mask`), and so does another hand over it (:func:`other_hands_mask`). The
        ring's contact line and camera look are finger-specific (:mod:`jewelrender.integration`); a wrist
        piece keeps the render's own shadow."""
        return self.integration_before_render(photo, detection, camera, placement, piece, light, crop,
                                              others=others)(alpha)

    def integration_before_render(self, photo, detection, camera, placement, piece, light, crop, *, others=()):
        """:meth:`integration` in two steps: the silhouette (no render needed) now, the share of the piece
        it hides when the coverage is known: ``finish(alpha)``."""
        import cv2

        from ..integration import Integration

        vis, info = wrist_visible_mask(np.asarray(photo.srgb), detection, camera, placement, crop)
        over, other_info = other_hands_mask(detection, others, camera, placement, crop)
        info.update(other_info)
        if over.any():
            vis = np.minimum(vis, 1.0 - cv2.GaussianBlur(over.astype(np.float32), (0, 0), 0.7))

        def finish(alpha):
            a = np.asarray(alpha, np.float32)
            report = dict(info, piece_hidden_fraction=round(float((a * (1.0 - vis)).sum() / max(float(a.sum()), 1e-6)), 4))
            return Integration(visible=vis, contact=None, look=None, segmentation=None, report=report)

        return finish

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
