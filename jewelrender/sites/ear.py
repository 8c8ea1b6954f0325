"""The ear site: studs, huggies, hoops and drops on the ear lobes.

Everything comes from MediaPipe Face Mesh (478 points with irises) and, for the
hair, MediaPipe Pose's person mask; no ear model is downloaded.

* **Head frame.** The mesh's own 3-D points (image x, y and MediaPipe's relative
  depth, all in pixels: a scaled-orthographic reconstruction of the face) give
  the head's axes: left-right from the mean of five symmetric pairs (cheek at the
  tragus, cheek at the lobe, jaw angle, outer eye corners, mouth corners),
  down from the forehead (10) to the chin (152), back = left x down. No
  canonical face model ships in the mediapipe wheel, so the pose is read from
  the mesh itself (it is already a 3-D face fitted to the photo).
* **Scale.** The human iris is 11.7 mm across (:data:`IRIS_DIAMETER_MM`); the
  nearer iris's vertical rim span (insensitive to yaw) gives millimetres per
  mesh pixel. The face's distance follows from the camera's focal length.
* **The lobe.** The mesh has no ear points: the piercing is a fixed offset, in
  the head frame, from the cheek point in front of the tragus (234 right, 454
  left), **calibrated** on the dev photos with real earrings and bare lobes
  (``scenes/ear_lobe.toml``, ``scripts/calibrate_ear.py``, docs/ear.md; ~7 mm RMS,
  reported as ``piercing_uncertainty_mm``). A prediction that falls off the person
  settles up onto the lobe (:func:`settle_on_lobe`).
* **Occlusion.** The lobe (three capsules), the skull, the neck and, through the
  mesh's points, each cheek and jaw are proxy capsules: they hide the post and what
  hangs behind the head or jaw (a hoop's far half).
* **Which ears show.** An ear turned away from the camera (its outward axis
  more than :data:`MAX_TURNED_AWAY_DEG` past edge-on), a piercing inside the
  face's own outline (the far ear in a 3/4 view: the cheek hides it), out of the
  frame, or under hair (:mod:`jewelrender.segmentation_hair`) is not visible.
  ``side`` ``auto`` (the default) takes every visible ear; ``left``/``right``
  one (the subject's own); ``both`` needs both.
* **Gravity** is the image's down (an upright photo): drops hang along it,
  whatever the head's tilt.

A pair is two :class:`EarSide` placements in one :class:`EarPlacement`
(``instances``): the pipeline renders each ear in its own small crop.
"""

from __future__ import annotations

import math

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from ..errors import EarNotVisibleError, FaceNotFoundError, InvalidOptionError
from ..resources import resource_path
from .base import piece_to_cam
from .hand import Capsule

__all__ = ["EarSite", "EAR", "EarSide", "EarPlacement", "EarFit", "EarDetection", "HeadFrame", "head_frame",
           "lobe_point_px3d", "lobe_offset_mm", "lobe_uncertainty_mm", "settle_on_lobe", "ear_visibility", "IRIS_DIAMETER_MM", "SIDE_CHOICES",
           "TRAGUS_POINT", "LOBE_THICKNESS_MM", "MAX_TURNED_AWAY_DEG", "MAX_HAIR_COVER"]

#: The visible iris's diameter in adults, mm (11.7 +- 0.5: Forrester et al., *The Eye*; MediaPipe's own
#: iris-depth model uses the same figure).
IRIS_DIAMETER_MM = 11.7
#: The subject's own ear -> the face-mesh point on the cheek just in front of its tragus.
TRAGUS_POINT = {"right": 234, "left": 454}
#: Symmetric mesh pairs (subject's right, left) whose differences give the head's left-right axis.
_LR_PAIRS = ((234, 454), (93, 323), (132, 361), (33, 263), (61, 291))
_FOREHEAD, _CHIN = 10, 152
#: ``side``: ``auto`` = every visible ear, ``both`` = both or refuse, else one ear (the subject's own).
SIDE_CHOICES = ("auto", "left", "right", "both")
#: An adult ear lobe is 4-6 mm thick where it is pierced.
LOBE_THICKNESS_MM = 5.0
#: The lobe's outer face (and a stud's face) turns this far forward of the head's left-right axis.
#: Measured on the frontal dev portraits with real studs and drop tops (deepface_img2, img50, img6):
#: their faces show nearly round (width/height 0.8-1.0), so they face the camera within ~40 deg and
#: the lobe's normal is turned >= 50 deg forward (the auricle stands out 20-35 deg, the lobe curls
#: further forward along the cheek, and a stud's weight tips its face forward).
LOBE_FORWARD_DEG = 50.0
#: An ear still shows when its outward axis points up to this far past edge-on away from the
#: camera (the auricle stands out of the head by ~20-30 degrees).
MAX_TURNED_AWAY_DEG = 25.0
#: A piercing this far (mm) inside the face mesh's outline is behind the cheek (the far ear in 3/4 views).
HIDDEN_INSIDE_FACE_MM = 4.0
#: Above this share of hair over the ear (between the tragus and the lobe), the ear is under hair.
MAX_HAIR_COVER = 0.55
#: The smallest face the site works on: iris diameter in pixels (1.5 mm per pixel: a 4 mm stud is ~3 px).
MIN_IRIS_PX = 8.0
#: Head proxies in the head frame (mm; origin midway between the tragus points, x left, y down,
#: z back): a skull capsule and a neck capsule, sized from adult head and neck breadths
#: (ANSUR II: head breadth ~150 mm, neck breadth ~110 mm).
_HEAD_RADIUS_FRAC = 0.80   # of half the tragus-to-tragus width: keeps the proxy inside the real cheek
_NECK_TOP = np.array([0.0, 45.0, 10.0])
_NECK_BOTTOM = np.array([0.0, 170.0, 25.0])
_NECK_RADIUS_MM = 52.0
#: The cheek-and-jaw proxies' radius: the jaw's soft tissue over the mandible (~10-15 mm).
_JAW_RADIUS_MM = 12.0


@lru_cache(maxsize=1)
def _calibration() -> dict:
    with open(resource_path("scenes", "ear_lobe.toml"), "rb") as fh:
        return tomllib.load(fh)


def lobe_offset_mm() -> tuple[float, float, float]:
    """The calibrated piercing offset (out, down, back) in mm from the tragus point (``scenes/ear_lobe.toml``)."""
    fit = _calibration()["fit"]
    return float(fit["out_mm"]), float(fit["down_mm"]), float(fit["back_mm"])


def lobe_uncertainty_mm() -> float:
    """How far a new face's piercing may lie from the calibrated one (the fit's leave-one-out RMS, mm)."""
    return float(_calibration()["fit"]["uncertainty_mm"])


def lobe_measurements() -> list[dict]:
    """The hand-measured piercings the offset is fitted to (photo, side, px, what)."""
    return [dict(m) for m in _calibration()["measurement"]]


@dataclass(frozen=True)
class HeadFrame:
    """The head's pose and scale from one face mesh (mesh-pixel space: image x, y and MediaPipe depth).

    ``axes`` rows: left (the subject's), down (forehead to chin), back; ``origin`` midway
    between the tragus points; ``mm_per_px`` from the iris.
    """

    origin: np.ndarray
    axes: np.ndarray
    mm_per_px: float
    iris_px: float
    yaw_deg: float
    pitch_deg: float
    roll_deg: float

    def to_report(self) -> dict:
        return {"yaw_deg": round(self.yaw_deg, 1), "pitch_deg": round(self.pitch_deg, 1),
                "roll_deg": round(self.roll_deg, 1), "mm_per_px": round(self.mm_per_px, 4),
                "iris_px": round(self.iris_px, 2)}


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-12)


def head_frame(face) -> HeadFrame:
    """The head's axes, origin and metric scale from the face mesh's own 3-D points."""
    p = face.points3d_px
    lr = _unit(np.mean([_unit(p[b] - p[a]) for a, b in _LR_PAIRS], axis=0))
    down = p[_CHIN] - p[_FOREHEAD]
    down = _unit(down - (down @ lr) * lr)
    back = np.cross(lr, down)
    # The nearer eye's iris (the larger in the image) and its vertical rim span, which a turn of
    # the head does not foreshorten.
    spans = {}
    for side, (a, b, c, d) in (("right", (469, 470, 471, 472)), ("left", (474, 475, 476, 477))):
        spans[side] = (float(np.linalg.norm(p[b] - p[d])), float(np.linalg.norm(p[a, :2] - p[c, :2])))
    near = max(spans, key=lambda s: spans[s][1])
    iris_px = max(spans[near][0], spans[near][1])
    origin = 0.5 * (p[TRAGUS_POINT["right"]] + p[TRAGUS_POINT["left"]])
    # Yaw: the left axis turning away from the camera (+z) is a turn to the subject's right.
    yaw = math.degrees(math.atan2(lr[2], lr[0]))
    pitch = math.degrees(math.atan2(-back[1], back[2]))
    roll = math.degrees(math.atan2(lr[1], lr[0]))
    return HeadFrame(origin=origin, axes=np.stack([lr, down, back]), mm_per_px=IRIS_DIAMETER_MM / max(iris_px, 1e-6),
                     iris_px=iris_px, yaw_deg=yaw, pitch_deg=pitch, roll_deg=roll)


def _outward(frame: HeadFrame, side: str) -> np.ndarray:
    """The ear's outward axis (away from the head's middle) in mesh space."""
    return frame.axes[0] * (1.0 if side == "left" else -1.0)


def lobe_point_px3d(face, frame: HeadFrame, side: str, offset_mm=None) -> np.ndarray:
    """The piercing (mesh-pixel space): the calibrated offset from the side's tragus point."""
    out, down, back = lobe_offset_mm() if offset_mm is None else offset_mm
    d = out * _outward(frame, side) + down * frame.axes[1] + back * frame.axes[2]
    return face.points3d_px[TRAGUS_POINT[side]] + d / frame.mm_per_px


#: A calibrated piercing that falls off the person (on the background below a lobe) slides up the
#: head's vertical at most this far to the lobe's skin, and this far onto it (mm): the piercing is
#: ~6 mm above a lobe's lowest point.
MAX_SETTLE_MM = 10.0
SETTLE_INTO_LOBE_MM = 5.0


def settle_on_lobe(frame: HeadFrame, lobe: np.ndarray, hair) -> tuple[np.ndarray, dict]:
    """The calibrated piercing, moved up onto the lobe when it falls off the person.

    The calibration's error is mostly vertical (docs/ear.md); in a frontal view a piercing
    predicted below a short lobe lands on the background, where an earring would float. There
    the point slides up the head's vertical to the first skin on the person, then
    :data:`SETTLE_INTO_LOBE_MM` onto it. A point on the person (skin, hair, an earring already
    worn) is left where it is.
    """
    if hair is None or bool(hair.in_person(lobe[None, :2])[0]):
        return lobe, {"settled_mm": 0.0}
    up = -frame.axes[1]
    steps = np.arange(0.5, MAX_SETTLE_MM + 0.01, 0.5)
    pts = lobe[None, :] + steps[:, None] * up[None, :] / frame.mm_per_px
    on = hair.on_body(pts[:, :2])
    if not on.any():
        return lobe, {"settled_mm": 0.0, "settle": "no lobe found above"}
    d = float(steps[int(np.argmax(on))]) + SETTLE_INTO_LOBE_MM
    return lobe + up * d / frame.mm_per_px, {"settled_mm": round(d, 1)}


def _to_cam(px3d: np.ndarray, frame: HeadFrame, K: np.ndarray) -> np.ndarray:
    """Mesh-pixel points to the camera frame (metres): each keeps its pixel; depth from the iris scale.

    MediaPipe's depth is relative to the face's centre; the centre's distance is
    where the iris's metric size projects to its pixel size, ``f * mm_per_px``.
    """
    fx = float(K[0, 0])
    pts = np.atleast_2d(px3d)
    z0 = fx * frame.mm_per_px * 1e-3
    z = z0 + (pts[:, 2] - frame.origin[2]) * frame.mm_per_px * 1e-3
    x = (pts[:, 0] - K[0, 2]) * z / fx
    y = (pts[:, 1] - K[1, 2]) * z / float(K[1, 1])
    return np.column_stack([x, y, z])


def _hull_signed_distance_px(hull: np.ndarray, pt: np.ndarray) -> float:
    import cv2

    return float(cv2.pointPolygonTest(hull.astype(np.float32), (float(pt[0]), float(pt[1])), True))


def ear_visibility(photo, face, frame: HeadFrame, side: str, hair=None, lobe=None) -> dict:
    """Whether ``side``'s lobe (default: the calibrated piercing) shows: ``{"visible": bool, "reason": ...,
    measurements}``."""
    import cv2

    lobe = lobe_point_px3d(face, frame, side) if lobe is None else lobe
    out = _outward(frame, side)
    # how far the ear's outward axis points away from the camera past edge-on (deg)
    away_deg = math.degrees(math.asin(float(np.clip(out[2], -1.0, 1.0))))
    hull = cv2.convexHull(face.image_px[:468].astype(np.float32)).reshape(-1, 2)
    inside_mm = _hull_signed_distance_px(hull, lobe[:2]) * frame.mm_per_px
    info = {"lobe_px": [round(float(v), 1) for v in lobe[:2]], "turned_away_deg": round(away_deg, 1),
            "inside_face_mm": round(inside_mm, 1)}
    H, W = photo.height, photo.width
    margin = 6.0 / frame.mm_per_px
    if away_deg > MAX_TURNED_AWAY_DEG:
        return dict(info, visible=False, reason="turned away")
    if inside_mm > HIDDEN_INSIDE_FACE_MM:
        return dict(info, visible=False, reason="behind the face")
    if not (margin <= lobe[0] <= W - margin and margin <= lobe[1] <= H - margin):
        return dict(info, visible=False, reason="out of the frame")
    if hair is not None:
        cover = hair.ear_cover(face.image_px[TRAGUS_POINT[side]], lobe[:2], frame.mm_per_px)
        info["hair_cover"] = round(cover, 3)
        if cover > MAX_HAIR_COVER:
            return dict(info, visible=False, reason="under hair")
    return dict(info, visible=True, reason=None)


@dataclass(frozen=True)
class EarFit:
    """What an earring is made to, in its piece frame (mm; origin at the piercing on the lobe's
    outer face, +Z out of the lobe, +Y the head's up, +X = Y x Z).

    Hashable: the pipeline caches meshes by it.
    """

    side: str
    #: Gravity (unit) in the piece frame: the image's down.
    gravity: tuple[float, float, float]
    #: The lobe's thickness: a post goes through it to the back (-Z).
    lobe_thickness_mm: float
    #: Body colliders a drop or hoop must stay out of: (name, p0, p1, radius) capsules, piece frame.
    colliders: tuple = ()
    #: Millimetres per image pixel at the ear (the report's px sizes).
    mm_per_px: float = 0.0


@dataclass(frozen=True, eq=False)
class EarSide:
    """One ear's placement (camera frame, metres): the :class:`jewelrender.sites.base.Placement` fields."""

    site: str
    side: str
    center_cam: np.ndarray
    axis_cam: np.ndarray
    up_cam: np.ndarray
    center_px: np.ndarray
    points_cam: np.ndarray
    proxies: tuple
    fit: EarFit
    distance_m: float
    visibility: dict
    details: dict = field(default_factory=dict)

    @property
    def piece_to_cam(self) -> np.ndarray:
        return piece_to_cam(self.up_cam, self.axis_cam, self.center_cam)

    @property
    def px_per_mm(self) -> float:
        return 1.0 / self.fit.mm_per_px

    def to_report(self) -> dict:
        r = lambda v, n=2: [round(float(x), n) for x in v]  # noqa: E731
        return {"side": self.side, "piercing_px": r(self.center_px),
                "piercing_uncertainty_mm": lobe_uncertainty_mm(),
                "piercing_uncertainty_px": round(lobe_uncertainty_mm() / self.fit.mm_per_px, 1),
                "center_cam_m": r(self.center_cam, 5),
                "axis_cam": r(self.axis_cam, 4), "up_cam": r(self.up_cam, 4),
                "gravity_piece": r(self.fit.gravity, 4), "lobe_thickness_mm": self.fit.lobe_thickness_mm,
                "mm_per_px": round(self.fit.mm_per_px, 4), "distance_m": round(self.distance_m, 4),
                "visibility": self.visibility}


@dataclass(frozen=True, eq=False)
class EarPlacement:
    """The ears a try-on dresses (one or a pair): each is rendered in its own crop (``instances``).

    The Placement fields are the first ear's; ``points_cam`` and ``proxies`` cover the whole head
    (the lighting reads the face's skin).
    """

    site: str
    ears: tuple
    frame: HeadFrame
    points_cam: np.ndarray
    proxies: tuple
    hidden: dict
    details: dict = field(default_factory=dict)

    @property
    def instances(self) -> tuple:
        return self.ears

    @property
    def center_cam(self):
        return self.ears[0].center_cam

    @property
    def axis_cam(self):
        return self.ears[0].axis_cam

    @property
    def up_cam(self):
        return self.ears[0].up_cam

    @property
    def center_px(self):
        return self.ears[0].center_px

    @property
    def piece_to_cam(self) -> np.ndarray:
        return self.ears[0].piece_to_cam

    @property
    def skin_reference_px(self) -> np.ndarray:
        """Pixels on the cheeks and forehead: the lighting's reference skin."""
        return self.details["skin_px"]

    def to_report(self) -> dict:
        return {"site": self.site, "ears": [e.to_report() for e in self.ears],
                "sides": [e.side for e in self.ears], "hidden_ears": self.hidden, "head": self.frame.to_report()}


@dataclass(frozen=True, eq=False)
class EarDetection:
    """One face and what the pose model saw of the person (the hair's mask needs it)."""

    face: object
    person_mask: np.ndarray | None
    score: float = 1.0


def _head_proxies(face, frame: HeadFrame, K: np.ndarray) -> list[Capsule]:
    """A skull and a neck capsule in the head frame's proportions, and the cheeks and jaw (camera frame)."""
    p = face.points3d_px
    half_w_mm = 0.5 * float(np.linalg.norm(p[454] - p[234])) * frame.mm_per_px
    r_head = _HEAD_RADIUS_FRAC * half_w_mm

    def at(v_mm):
        return _to_cam(frame.origin + np.asarray(v_mm) @ frame.axes / frame.mm_per_px, frame, K)[0]

    # the skull: along the head's vertical through its centre, ~a head radius behind the cheek line
    top, bottom = at([0.0, -60.0, 20.0]), at([0.0, 20.0, 20.0])
    caps = [Capsule("head.skull", top, bottom, r_head * 1e-3),
            Capsule("head.neck", at(_NECK_TOP), at(_NECK_BOTTOM), _NECK_RADIUS_MM * 1e-3)]
    # The cheek and jaw on each side, through the mesh's own points (tragus -> jaw angle -> chin), set in
    # by their radius so that their surface is the skin: what hangs behind the jaw (a hoop's far half,
    # seen from the front) is hidden by the real face's shape, not by the skull's round proxy.
    r = _JAW_RADIUS_MM / frame.mm_per_px
    for side, (tragus, jaw) in (("right", (234, 132)), ("left", (454, 361))):
        inward = -_outward(frame, side)
        a, b, c = (p[i] + inward * r for i in (tragus, jaw, _CHIN))
        cam = _to_cam(np.stack([a, b, c]), frame, K)
        caps += [Capsule(f"face.{side}.cheek", cam[0], cam[1], _JAW_RADIUS_MM * 1e-3),
                 Capsule(f"face.{side}.jaw", cam[1], cam[2], _JAW_RADIUS_MM * 1e-3)]
    return caps


def _lobe_proxies(center: np.ndarray, axis: np.ndarray, up: np.ndarray, fwd: np.ndarray, side: str) -> list[Capsule]:
    """The lobe as a flap :data:`LOBE_THICKNESS_MM` thick behind the piercing's outer face: three capsules in
    its plane, ~7 mm of lobe below the piercing, 9 mm across it and the ear's concha above (adult lobes are
    ~18 mm high and ~16 mm wide, the piercing about half-way down)."""
    r = LOBE_THICKNESS_MM / 2e3
    c = center - axis * r  # the lobe's mid-plane
    f = _unit(fwd - (fwd @ axis) * axis)
    return [Capsule(f"ear.{side}.lobe", c - f * 0.006, c + f * 0.003, r),
            Capsule(f"ear.{side}.lobe_low", c - up * 0.0045 - f * 0.004, c - up * 0.0045 + f * 0.002, r),
            Capsule(f"ear.{side}.concha", c + up * 0.003, c + up * 0.012 - f * 0.002, r * 1.2)]


def place_ear(face, frame: HeadFrame, K: np.ndarray, side: str, lobe: np.ndarray, visibility: dict,
              head_caps: list[Capsule]) -> EarSide:
    """One ear's frame, fit and proxies, the piercing at ``lobe`` (mesh-pixel space)."""
    cam = _to_cam(lobe, frame, K)[0]
    # the head's axes in the camera frame: differences of mapped points
    o = _to_cam(frame.origin, frame, K)[0]
    ax = [_unit(_to_cam(frame.origin + a * 10.0, frame, K)[0] - o) for a in frame.axes]
    left, down, back = ax
    out = left if side == "left" else -left
    fwd = -back
    a = math.radians(LOBE_FORWARD_DEG)
    axis = _unit(math.cos(a) * out + math.sin(a) * fwd)
    up = -down
    up = _unit(up - (up @ axis) * axis)
    center = cam + axis * (LOBE_THICKNESS_MM / 2e3)  # the piercing's mouth on the lobe's outer face
    right = np.cross(up, axis)
    R = np.stack([right, up, axis])  # camera -> piece rows
    g = R @ np.array([0.0, 1.0, 0.0])  # the image's down

    def piece(pt):
        return tuple(round(float(v), 2) for v in (R @ (pt - center)) * 1e3)

    colliders = tuple((c.name, piece(c.p0), piece(c.p1), round(c.radius * 1e3, 2)) for c in head_caps)
    fit = EarFit(side=side, gravity=tuple(round(float(v), 4) for v in g), lobe_thickness_mm=LOBE_THICKNESS_MM,
                 colliders=colliders, mm_per_px=round(frame.mm_per_px, 5))
    h = K @ center
    center_px = h[:2] / h[2]
    caps = tuple(_lobe_proxies(center, axis, up, fwd, side)) + tuple(head_caps)
    return EarSide(site="ear", side=side, center_cam=center, axis_cam=axis, up_cam=up, center_px=center_px,
                   points_cam=_to_cam(face.points3d_px, frame, K), proxies=caps, fit=fit,
                   distance_m=float(np.linalg.norm(center)), visibility=visibility)


class EarSite:
    """Pieces on the ear lobes: :class:`jewelrender.sites.base.Site` for studs, hoops and drops."""

    name = "ear"
    detectors = ("face", "pose")
    piece_families = ("earring",)

    def check_options(self, *, finger: str | None = None, hand: str | None = "auto", position: float | None = None,
                      side: str | None = None) -> dict:
        if finger is not None:
            raise InvalidOptionError(
                f"finger={finger!r} does not apply to an ear piece; leave it out (choose the ear with "
                "side/--side left|right|both, default: every visible ear)", details={"option": "finger"})
        if position is not None:
            raise InvalidOptionError(f"position={position!r} does not apply to an ear piece (it hangs from the "
                                     "lobe's piercing); leave it out", details={"option": "position"})
        if hand not in (None, "auto"):
            raise InvalidOptionError(f"hand={hand!r} does not apply to an ear piece; choose the ear with "
                                     "side/--side left|right|both", details={"option": "hand"})
        side = "auto" if side is None else side
        if side not in SIDE_CHOICES:
            raise InvalidOptionError(f"side must be one of {', '.join(SIDE_CHOICES)} (the subject's own ear; auto: "
                                     f"every visible ear), got {side!r}", details={"option": "side",
                                                                                   "valid": list(SIDE_CHOICES)})
        return {"side": side}

    def detections(self, found: dict) -> list:
        """The faces found, each with the photo's person mask (for the hair)."""
        pose = found.get("pose")
        mask = getattr(pose, "person_mask", None)
        return [EarDetection(face=f, person_mask=mask) for f in found.get("face", [])]

    def _ears(self, photo, det, options):
        from ..segmentation_hair import hair_model

        face = det.face
        frame = head_frame(face)
        hair = hair_model(photo, face, det.person_mask, frame.mm_per_px)
        lobes, vis = {}, {}
        for s in ("right", "left"):
            lobes[s], settle = settle_on_lobe(frame, lobe_point_px3d(face, frame, s), hair)
            vis[s] = dict(ear_visibility(photo, face, frame, s, hair, lobes[s]), **settle)
        return frame, hair, vis, lobes

    def gate(self, photo, detections, *, options: dict, refuse_multiple: bool = False):
        from ..quality import GateCheck, GateReport

        if not detections:
            raise FaceNotFoundError("no face found in the photo; an earring is placed from the face: take the photo "
                                    "with the whole face and the ear in the picture, in good light (in a strict side "
                                    "view turn the face a little towards the camera)")
        if refuse_multiple and len(detections) > 1:
            from ..errors import TooManyHandsError

            raise TooManyHandsError("several faces are in the photo; take a photo of one person")
        det = detections[0]
        frame, hair, vis, _ = self._ears(photo, det, options)
        checks = [GateCheck("iris_px", "EAR_NOT_VISIBLE", frame.iris_px, MIN_IRIS_PX, ">=",
                            frame.iris_px >= MIN_IRIS_PX, "px")]
        report = GateReport(passed=True, code=None, message=None, hand_index=0, hands_found=len(detections),
                            checks=checks, measurements={"head": frame.to_report(), "ears": vis})
        if frame.iris_px < MIN_IRIS_PX:
            raise EarNotVisibleError("the face is too small in the photo to place an earring; come closer or crop the "
                                     "photo around the head", details={"gate": report.to_report()})
        chosen = _chosen_sides(options["side"], vis)
        for s in ("right", "left"):
            report.checks.append(GateCheck(f"{s}_ear_visible", "EAR_NOT_VISIBLE", 1.0 if vis[s]["visible"] else 0.0,
                                           1.0, ">=", vis[s]["visible"]))
        if not chosen:
            raise EarNotVisibleError(_not_visible_message(options["side"], vis),
                                     details={"gate": report.to_report(), "ears": vis})
        report.measurements["sides"] = chosen
        return report

    def place(self, photo, detection, camera, *, options: dict) -> EarPlacement:
        K = np.asarray(camera.K, dtype=np.float64)
        face = detection.face
        frame, hair, vis, lobes = self._ears(photo, detection, options)
        sides = _chosen_sides(options["side"], vis)
        if not sides:
            raise EarNotVisibleError(_not_visible_message(options["side"], vis), details={"ears": vis})
        head_caps = _head_proxies(face, frame, K)
        ears = tuple(place_ear(face, frame, K, s, lobes[s], vis[s], head_caps) for s in sides)
        lobe_caps = tuple(c for e in ears for c in e.proxies if c.name.startswith("ear."))
        hidden = {s: vis[s]["reason"] for s in ("right", "left") if s not in sides}
        from ..segmentation_hair import SKIN_POINTS

        skin_px = face.image_px[list(SKIN_POINTS)]
        return EarPlacement(site="ear", ears=ears, frame=frame, points_cam=_to_cam(face.points3d_px, frame, K),
                            proxies=lobe_caps + tuple(head_caps), hidden=hidden,
                            details={"skin_px": skin_px, "hair": hair})

    def reference_size(self) -> EarFit:
        """What an earring is made to without a photo (an export): an upright head, gravity straight
        down, no body around it."""
        return EarFit(side="left", gravity=(0.0, -1.0, 0.0), lobe_thickness_mm=LOBE_THICKNESS_MM, colliders=(),
                      mm_per_px=0.1)

    def piece_size_mm(self, placement) -> EarFit:
        """An earring is made to its ear's :class:`EarFit` (gravity, the lobe, the neck it must miss)."""
        return placement.fit

    def integration(self, photo, detection, camera, placement, piece, light, crop, alpha, *, others=()):
        from ..segmentation_hair import ear_integration

        return ear_integration(photo, detection, camera, placement, piece, light, crop, alpha)

    def integration_before_render(self, photo, detection, camera, placement, piece, light, crop, *, others=()):
        """:meth:`integration` in two steps: the hair, the skin and the camera's look (no render needed) now,
        the contact shadow when the coverage is known: ``finish(alpha)``."""
        from ..segmentation_hair import ear_integration_before_render

        return ear_integration_before_render(photo, detection, camera, placement, piece, light, crop)

    def check_visible(self, mask: np.ndarray, placement, piece, crop_report) -> float:
        from ..pieces.earring import front_area_mm2

        # every ear dressed: the coverage expected from the piece's front, in px
        expected = sum(front_area_mm2(piece) / e.fit.mm_per_px ** 2 for e in placement.instances)
        visible = float(min(1.0, mask.sum() / max(expected, 1.0)))
        if visible < 0.2:
            raise EarNotVisibleError(
                f"the earring would hardly show (only {100 * visible:.0f} % of it); move the hair behind the ear "
                "and photograph the ear from the side", details={"visible_fraction": round(visible, 3),
                                                                "crop": crop_report})
        return visible

    def score_inputs(self, placement, piece, detection, crop, visible: float):
        from ..quality import ScoreInputs

        ear = placement.instances[0]
        return ScoreInputs(
            # no limb runs through an earring: the across-the-limb extent term does not apply
            crop=tuple(crop), center_px=tuple(float(v) for v in ear.center_px), axis_px=None,
            across_px=None, across_source="measured", size_mm=None,
            landmark_score=float(detection.score), pose_method="face-mesh", visible_fraction=visible,
            min_visible_fraction=0.2)

    def report(self, placement, detection) -> dict[str, Any]:
        return dict(placement.to_report(), face=detection.face.to_report())


def _chosen_sides(side: str, vis: dict) -> list[str]:
    shown = [s for s in ("right", "left") if vis[s]["visible"]]
    if side == "auto":
        return shown
    if side == "both":
        return shown if len(shown) == 2 else []
    return [side] if side in shown else []


def _not_visible_message(side: str, vis: dict) -> str:
    why = {"turned away": "the head is turned so that it faces away from the camera",
           "behind the face": "the head is turned so that the face hides it",
           "out of the frame": "it is at or beyond the edge of the photo",
           "under hair": "hair covers it"}
    if side in ("left", "right"):
        head = f"the {side} ear is not visible: {why.get(vis[side]['reason'], vis[side]['reason'])}"
    else:
        parts = [f"the {s} ear: {why.get(vis[s]['reason'], vis[s]['reason'])}" for s in ("right", "left")
                 if not vis[s]["visible"]]
        ask = "no ear is visible" if side == "auto" else "both ears were asked for but not both are visible"
        head = f"{ask} ({'; '.join(parts)})"
    return (f"{head}; photograph the ear from the side or in a 3/4 view with the hair tucked behind it"
            + ("" if side in ("auto", "both") else ", or choose the other ear with --side"))


EAR = EarSite()
