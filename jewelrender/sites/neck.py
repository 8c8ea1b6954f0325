"""The neck site: necklaces, chains and pendants draped around the neck.

Detectors: MediaPipe Face Mesh (478 points with irises) and MediaPipe Pose (33
points and a person mask), through :class:`jewelrender.landmarks.FaceDetector`
and :class:`jewelrender.landmarks.PoseDetector`. See ``docs/neck.md``.

* **Head pose.** No canonical face model ships inside the mediapipe wheel, so the
  pose is read from the mesh's own 3-D points (pixels and MediaPipe's relative
  depth, in the same units): yaw from the depth difference across the face
  outline at the ears (landmarks 234/454), pitch from the forehead-chin line's
  depth, roll from the eye line in the image. Only yaw is gated
  (:data:`MAX_YAW_DEG`, measured on the dev portraits: see docs/neck.md).
* **Metric scale.** The iris is 11.7 mm across in adults (±0.5 mm; Caroline &
  Andre 2002); the camera's focal length turns its diameter in pixels into the
  eyes' distance. The neck's axis is :data:`NECK_BEHIND_EYES_M` behind them.
* **The neck.** No landmark marks it. Its centre line runs from the chin (mesh
  152) to the middle of the shoulders (pose 11/12); the body's outline on each
  side of it, row by row (:func:`body_outline`: the person's skin, not hair,
  clothes or the face), gives the neck's width (its narrowest rows) and where the
  neck turns into the trapezius. Its base, the jugular notch, is
  :data:`NOTCH_ABOVE_SHOULDERS` x the shoulder width above the shoulder line (the
  shoulder landmarks are the joints' centres, below the clavicles' outer ends),
  never above :data:`NOTCH_MIN_FROM_CHIN` of the way down from the chin, and no
  more than :data:`NOTCH_BELOW_BASE_MM` below the neck's turn into the trapezius
  (a jumper holds the pose's shoulders low). The outline, in mm, travels with the
  fit (:attr:`NeckFit.outline`): a chain's sides are brought to it.
* **Proxies.** The neck is a capsule of the measured width; the back of its
  base, the trapezius on each side, the collarbones and the upper chest are
  capsules placed by adult proportions around the notch, scaled by the measured
  shoulder width (:func:`neck_colliders`). They stop the chain in
  :func:`jewelrender.physics.chain.relax_chain` and hide and shadow it in the render.
* **Occlusion.** Hair (non-skin person pixels of the colour found around the top
  of the face), clothes (other non-skin person pixels below the chin: the chain
  goes *under* a neckline) and the face above the chin hide the chain
  (:func:`tissue_masks`); the proxies hide its back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..checks import is_number
from ..errors import (FaceNotFoundError, HeadTurnedError, InvalidOptionError, NeckCoveredError,
                      NeckNotVisibleError)
from ..physics.chain import Capsule as ChainCapsule
from ..physics.chain import Ellipsoid
from .base import piece_to_cam
from .hand import Capsule

__all__ = ["NeckSite", "NECK", "NeckDetection", "NeckPlacement", "NeckFit", "TissueMasks", "head_pose",
           "tissue_masks", "neck_colliders", "render_capsules", "IRIS_DIAMETER_MM", "MAX_YAW_DEG", "LENGTH_RANGE_IN",
           "DEFAULT_LENGTH_IN", "MIN_VISIBLE_FRACTION", "INCH_MM", "body_outline", "necklace_contact", "metal_cap",
           "diffuse_body_albedo"]

INCH_MM = 25.4
#: Adult human iris diameter (horizontal visible iris), mm.
IRIS_DIAMETER_MM = 11.7
#: The neck's axis lies this far behind the eyes (the head's mid-depth: ear canals sit ~8-9 cm
#: behind the corneas, and the cervical column under them).
NECK_BEHIND_EYES_M = 0.08
#: Necklace lengths sold (inches) and the default (18": "princess", on the collarbone).
LENGTH_RANGE_IN = (14.0, 30.0)
DEFAULT_LENGTH_IN = 18.0
#: |yaw| above this is HEAD_TURNED (measured on the dev portraits, docs/neck.md).
MAX_YAW_DEG = 30.0
#: The jugular notch above the shoulder joints' line, in shoulder widths (see the module doc).
NOTCH_ABOVE_SHOULDERS = 0.06
#: The neck's base seen from the front (where its outline turns out into the trapezius: wider than this
#: many neck widths) and the most the notch lies below it (mm; ~35-40 mm on the bundled sample and
#: frl-london_113-03, read by eye where the notch shows).
BASE_X_NECK_WIDTH = 1.35
NOTCH_BELOW_BASE_MM = 38.0
#: ... and never above this share of the way from chin to shoulder line.
NOTCH_MIN_FROM_CHIN = 0.5
#: Prior neck width over the distance between the shoulder joints (pose 11-12) when the photo gives no
#: edges: ANSUR II adult means, neck circumference 33 cm (women) / 38.5 cm (men) over ~3.2 (an
#: almost round section) against biacromial breadth 36 / 41 cm less ~2.5 cm a side to the joints'
#: centres: ~0.33 for both.
PRIOR_NECK_TO_SHOULDERS = 0.33
#: A measured width outside this share of the shoulders' is a wrong edge (hair, jaw, collar, background, the
#: trapezius): the prior's own spread (neck circumference and biacromial breadth each ~6 % SD in ANSUR II,
#: their ratio ~9 %: 0.33 +- 0.03) gives 0.26-0.40 as about +-2.3 SD. (0.45 let frl-london_113-03's
#: flare, 0.43, through: a 131 mm neck at its iris scale, and an 18" chain resting above the notch.)
_PLAUSIBLE_NECK_TO_SHOULDERS = (0.26, 0.40)
#: Below this share of the necklace's front that can show (skin, not hair or clothes), NECK_COVERED.
MIN_VISIBLE_FRACTION = 0.25
#: A fine chain's metal spread (stops) scoring 0 and 1 (quality.ScoreInputs): at 2-3 px/mm its wire is a
#: pixel or two wide, each pixel averaging the wire's highlight and its dark flanks (0.5 stops measured
#: on compreface_002_A's cable chain, where a band scores from 0.5 to 1.5).
FINE_CHAIN_SPREAD_STOPS = (0.1, 0.6)
#: Long hair over the shoulders hides the chain's sides on most portraits: from this share showing,
#: the score counts the necklace as fully visible.
FULLY_VISIBLE_FRACTION = 0.6
#: The rows of the body's outline that measure the neck's width: this share of the way from chin to shoulders.
NECK_ROWS = (0.05, 0.55)
#: Below this share of skin in the neck's column, the neck is covered (turtleneck, scarf).
MIN_NECK_SKIN = 0.35
#: The preview's sub-pixels per side and the crop's margin for necklaces (see NeckSite.render_quality).
NECK_PREVIEW_SUPERSAMPLE = 3
NECK_CROP_MARGIN = 1.15
#: A cable, box or rope chain's top stands this share of its link's length off the skin (its edge-on
#: links: a link is ~0.6 as wide as long), the height its contact shadow is cast from.
CHAIN_STANDOFF_X_LINK = 0.6
#: A fine chain's coverage times this is what casts its contact shadow (see necklace_contact).
CHAIN_SHADOW_GAIN = 2.5
#: A necklace's median radiance is at most this many times the skin's around it (metal_cap; 1.4 at first,
#: the evenly lit room alone, left the white-gold chain on frl-london_113-03 brighter than the skin).
METAL_X_SKIN = 1.0
#: The share of the skin in the pixels a fine chain crosses (between its wires, inside its links) that shows
#: instead the links' mirror of it, in their shade (see _chain_own_shade). A wire of radius r lying on skin
#: hides from a point x beside its contact line the sky up to an elevation of 2 atan(r / x): half the room's
#: (cosine-weighted) light at x = r, 80 % at r / 2, 20 % at 2 r; at 2-3 px/mm every pixel a 0.45 mm wire
#: crosses lies within ~2 r of it.
CHAIN_OWN_SHADE = 0.8
#: ... the light of the skin the links mirror there, as a share of the open skin's (it lies in their shade).
CHAIN_SHADE_LIGHT = 0.55
#: Over this last stretch inside the body's outline (mm) a chain turning behind the neck fades out (integration).
OUTLINE_ROUND_MM = 1.5
#: A visible piece of chain shorter than this many links, near the clothes or the outline, is a speck through a
#: gap in the mask (NeckSite.integration).
SLIVER_LINKS = 4.0
#: A pendant is what survives an opening by a disc this wide (mm): the chain is thinner.
PENDANT_MIN_MM = 2.0
#: Hair narrower than this share of the face's width (~8 mm) below the chin is the skin's shade, not a lock.
HAIR_MIN_X_FACE = 0.057
#: Skin-hued pixels this much lighter (L*) than the sampled hair, with this share of the skin's chroma, are
#: skin in shade or sheen, not hair, below the chin (tissue_masks).
_SHADE_ABOVE_HAIR_L = 25.0
_SHADE_CHROMA_X_SKIN = 0.6
#: White or light-grey clothes: lighter than the face's skin by this much L* and with under this share of
#: its chroma (a white T-shirt: L* 87, C* 4-8 on earmeasure_2_front / aflw_image04476, against skin's 15-45).
_PALE_CLOTH_DL = 10.0
_PALE_CLOTH_CHROMA = 0.45
#: A necklace the photo already wears (worn_necklace): a line over the skin at least this many 8-bit levels
#: darker or brighter than its surroundings, no wider than WORN_MAX_WIDTH_MM, running at least WORN_MIN_LENGTH_MM.
WORN_CONTRAST = 14
WORN_MAX_WIDTH_MM = 2.6
WORN_MIN_LENGTH_MM = 35.0
#: Working resolution of the colour masks (longest side, px).
_MASK_SIDE = 640
#: The neck base's cone (NeckBase): its lowest and highest section (mm from the notch, along the
#: tilted axis) and their (half-width, half-depth) / r. Calibrated so that on an average neck
#: (r = 52 mm) 16" rests at the neck's base, 18" on the collarbones, 24" mid-chest (docs/neck.md).
BASE_CONE = (-25.0, 45.0, (1.0, 1.0), (1.35, 1.45))
#: The least and most a chain's side is widened to reach the photo's outline (NeckFit.side_scales): past
#: these the outline found is not the neck's (a collar, a lock of hair, the shoulders).
OUTLINE_SCALE = (0.8, 1.5)
#: A chain's side goes behind the neck where the photo's outline is this much wider than the neck above it
#: (the flare's top; NeckFit.side_targets), at most CLIMB_MAX_MM above where the model's loop ends it.
FLARE_X_NECK = 1.2
CLIMB_MAX_MM = 45.0
#: The neck's base slopes from the back (C7) down to the front (the notch, ~6 cm lower: T2's level).
BASE_TILT_DEG = 22.0
#: Colour distance (in the skin model's spreads) beyond which a non-hair person pixel is clothing: the
#: neck's shaded flanks fall between 3.5 (skin) and this; a neckline's fabric beyond it.
_MAYBE_SKIN_SIGMAS = 7.0
#: ... or within this many degrees of the skin's CIELAB hue (a highlight pales skin, keeps its hue).
_SKIN_HUE_DEG = 15.0
#: Skin is smooth: local L* contrast (band-pass, 640 px scale) below this many times the cheeks'
#: and at least _MIN_TEXTURE (cheeks ~0.3-0.5, hair strands 1-6 on the dev portraits).
_TEXTURE_X_FACE = 2.5
_MIN_TEXTURE = 0.9
#: Face-mesh points on the cheeks, chin and nose bridge: the skin colour model's samples.
_SKIN_POINTS = (50, 280, 101, 330, 205, 425, 187, 411, 199, 6, 195, 36, 266)
#: The face oval (mesh silhouette), in order.
_FACE_OVAL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152,
              148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109)


@dataclass(frozen=True, eq=False)
class NeckDetection:
    """What the neck site detects: the largest face, the body pose and the person mask."""

    face: Any
    pose: Any
    person_mask: np.ndarray | None
    faces_found: int

    @property
    def score(self) -> float:
        if self.pose is None:
            return 0.0
        return float(np.mean(self.pose.visibility[[11, 12]]))


def head_pose(face) -> dict:
    """Yaw, pitch and roll (degrees) from the face mesh's own 3-D points.

    Yaw: positive when the face turns towards the image's right. The mesh's
    depth is in the same pixel units as its x, y; across the face outline at the
    ears (234, 454) the depth difference over the x distance is tan(yaw).
    """
    p = face.points3d_px
    r, l = p[234], p[454]
    d = l - r
    yaw = math.degrees(math.atan2(-d[2], d[0]))
    top, chin = p[10], p[152]
    v = chin - top
    pitch = math.degrees(math.atan2(-v[2], v[1]))
    e = p[263] - p[33]
    roll = math.degrees(math.atan2(e[1], e[0]))
    return {"yaw_deg": yaw, "pitch_deg": pitch, "roll_deg": roll}


@dataclass
class TissueMasks:
    """Full-resolution bool masks of the photo (skin, hair, clothes, the face, the person) and what the
    colour models were."""

    skin: np.ndarray
    hair: np.ndarray
    cloth: np.ndarray
    face: np.ndarray
    #: The person mask (the body, hair and clothes against the background).
    person: np.ndarray
    info: dict = field(default_factory=dict)

    @property
    def covering(self) -> np.ndarray:
        """What hides a necklace: hair, clothes, the face above the chin."""
        return self.hair | self.cloth | self.face


def _lab(srgb8: np.ndarray) -> np.ndarray:
    import cv2

    lab = cv2.cvtColor(srgb8, cv2.COLOR_RGB2LAB).astype(np.float32)
    lab[..., 0] *= 100.0 / 255.0
    lab[..., 1:] -= 128.0
    return lab


def tissue_masks(photo, det: NeckDetection) -> TissueMasks:
    """Skin, hair and clothes from the person mask, the face mesh and colour (no model download).

    * skin: a CIELAB model from the cheeks, chin and nose bridge (median and spread
      of a*, b*; L* from half to 1.3 times the face's, so the neck's shade passes);
    * hair: person pixels unlike the skin and like the colour found just above
      and beside the face (the hairline), or touching the face's top;
    * clothes: the other person pixels unlike skin, below the chin;
    * face: the mesh's outline (the chin hides a chain under it when the head bows).
    """
    import cv2

    srgb = np.asarray(photo.srgb)
    H, W = srgb.shape[:2]
    s = min(1.0, _MASK_SIDE / max(H, W))
    w, h = max(1, round(W * s)), max(1, round(H * s))
    small = cv2.resize(srgb, (w, h), interpolation=cv2.INTER_AREA) if s < 1 else srgb
    lab = _lab(cv2.GaussianBlur(small, (0, 0), 1.0))
    pts = det.face.image_px * s
    face_w = float(np.linalg.norm(pts[454] - pts[234]))
    rad = max(1, int(round(face_w * 0.025)))
    samples = []
    for i in _SKIN_POINTS:
        x, y = np.round(pts[i]).astype(int)
        patch = lab[max(0, y - rad):y + rad + 1, max(0, x - rad):x + rad + 1].reshape(-1, 3)
        samples.append(patch)
    sk = np.concatenate(samples) if samples else np.zeros((0, 3), np.float32)
    if len(sk) < 10:
        sk = lab.reshape(-1, 3)[:10]
    L = lab[..., 0]
    # Chroma scales with light: compare a*, b* brought to the face's lightness, so the shaded
    # neck and the lit shoulders match the face's skin.
    med_L = float(np.median(sk[:, 0]))
    ab = lab[..., 1:] * ((med_L + 10.0) / (L + 10.0))[..., None]

    def model(samples_lab):
        sn = samples_lab[:, 1:] * ((med_L + 10.0) / (samples_lab[:, :1] + 10.0))
        m = np.median(sn, axis=0)
        sp = np.maximum(1.4826 * np.median(np.abs(sn - m), axis=0), 3.0)
        return m, sp

    def classify(m, sp, k):
        d = np.sqrt((((ab - m) / sp) ** 2).sum(axis=-1))
        return (d < k) & (L > 0.3 * med_L) & (L < 99.0)

    m, sp = model(sk)
    skin = classify(m, sp, 4.0)
    # Second pass: the model refitted on the skin it found around the face's lower half and below
    # the chin (the neck and chest are lit unlike the face).
    ys, xs = np.nonzero(skin)
    chin_y = pts[152][1]
    near = (ys > chin_y - 0.3 * face_w) & (ys < chin_y + 1.5 * face_w) & (np.abs(xs - pts[152][0]) < 1.2 * face_w)
    if near.sum() > 50:
        pick = np.random.default_rng(0).choice(np.nonzero(near)[0], size=min(4000, int(near.sum())), replace=False)
        m, sp = model(lab[ys[pick], xs[pick]])
        skin = classify(m, sp, 3.5)
    # Skin-like but not sure (a shaded flank, a highlight that pales it: it keeps the skin's hue):
    # neither skin nor cloth.
    hue = np.degrees(np.arctan2(lab[..., 2], lab[..., 1]))
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    skin_hue = math.degrees(math.atan2(m[1], m[0]))
    same_hue = (np.abs((hue - skin_hue + 180.0) % 360.0 - 180.0) < _SKIN_HUE_DEG) & (chroma > 4.0) & (L > 0.3 * med_L)
    maybe_skin = classify(m, sp, _MAYBE_SKIN_SIGMAS) | same_hue
    med = np.array([med_L, *m])
    spread = np.array([0.0, *sp])
    # Hair of a skin-like colour (light brown, blond ends) differs by texture: strands give fine
    # contrast where skin is smooth at this scale. Local contrast of L* in a band-pass.
    hp = cv2.GaussianBlur(L, (0, 0), 0.8) - cv2.GaussianBlur(L, (0, 0), 2.5)
    tex = np.sqrt(cv2.GaussianBlur(hp * hp, (0, 0), 1.5))
    face_tex = [float(tex[int(round(pts[i][1])) % h, int(round(pts[i][0])) % w]) for i in (50, 280, 101, 330, 205, 425)]
    tex_limit = max(_MIN_TEXTURE, _TEXTURE_X_FACE * float(np.median(face_tex)))
    skin &= tex < tex_limit
    person = (np.ones((h, w), bool) if det.person_mask is None else
              cv2.resize(det.person_mask.astype(np.float32), (w, h), interpolation=cv2.INTER_AREA) > 0.5)
    face = np.zeros((h, w), np.uint8)
    cv2.fillPoly(face, [np.round(pts[list(_FACE_OVAL)]).astype(np.int32)], 1)
    face = face.astype(bool)
    skin &= person
    k = np.ones((3, 3), np.uint8)
    skin = cv2.morphologyEx(skin.astype(np.uint8), cv2.MORPH_OPEN, k)
    skin = cv2.morphologyEx(skin, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8)).astype(bool)
    other = person & ~skin & ~face
    # Hair colour: just outside the face's outline at the forehead and temples.
    top, chin = pts[10], pts[152]
    up = (top - chin) / max(np.linalg.norm(top - chin), 1e-6)
    hair_s = []
    for i in (10, 109, 338, 67, 297, 54, 284, 162, 389, 127, 356, 234, 454):
        c = pts[i] + (pts[i] - pts[1]) / max(np.linalg.norm(pts[i] - pts[1]), 1e-6) * 0.12 * face_w
        for t in (0.0, 0.08):
            q = np.round(c + up * t * face_w).astype(int)
            if 0 <= q[0] < w and 0 <= q[1] < h and other[q[1], q[0]]:
                hair_s.append(lab[max(0, q[1] - rad):q[1] + rad + 1, max(0, q[0] - rad):q[0] + rad + 1].reshape(-1, 3))
    info = {"skin_lab": [round(float(v), 1) for v in med], "skin_spread": [round(float(v), 1) for v in spread],
            "texture_limit": round(tex_limit, 2),
            "mask_scale": round(s, 4)}
    hair = np.zeros((h, w), bool)
    if hair_s:
        hs = np.concatenate(hair_s)
        hmed = np.median(hs, axis=0)
        hspread = np.maximum(1.4826 * np.median(np.abs(hs - hmed), axis=0), [6.0, 3.0, 3.0])
        dh = np.sqrt((((lab - hmed) / hspread) ** 2).sum(axis=-1))
        hair = other & (dh < 3.5)
        info["hair_lab"] = [round(float(v), 1) for v in hmed]
        info["hair_samples"] = int(len(hs))
    # Hair that hides a chain is a lock at least ~a centimetre wide; the thin bands this colour test
    # leaves along the neck's shaded flanks and in a neckline's shadow (the neck sample: 6-7 px at this
    # scale on both sides of its neck) are the skin's shade, and they hid the chain's sides there.
    k = max(3, int(round(HAIR_MIN_X_FACE * face_w)) | 1)
    locks = cv2.morphologyEx(hair.astype(np.uint8), cv2.MORPH_OPEN,
                             cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))).astype(bool)
    below = np.arange(h)[:, None] > chin[1]
    shade = hair & ~locks & below
    # ... and so is hair-coloured skin below the chin that is as smooth as the cheeks and keeps the skin's
    # hue: a neck in shadow under a raised chin (deepface_img1: the whole front of its neck was "hair"
    # and cut the chain's side). Hair has strands: its band-pass contrast is 1-6 x the cheeks'.
    shade |= hair & below & same_hue & (tex < tex_limit)
    # ... and skin far lighter than the hair that was sampled, of the skin's hue and most of its chroma, is skin
    # whatever its texture (a glossy chest's sheen: on deepface_img1 the skin beside the black dress, L* 66-78
    # against the hair's 27, band-pass contrast 1.5 x the limit, cut the chain's side in two).
    if hair_s:
        shade |= (hair & below & same_hue & (L > hmed[0] + _SHADE_ABOVE_HAIR_L)
                  & (chroma > _SHADE_CHROMA_X_SKIN * float(np.hypot(m[0], m[1]))))
    hair &= ~shade
    # Clothes: what is neither skin nor hair, below the chin's level.
    rows = np.arange(h)[:, None]
    cloth = other & ~hair & ~shade & ~maybe_skin & (rows > chin[1])
    # White and light-grey fabric (a T-shirt, a shirt): much paler and greyer than the skin, over an area
    # wider than a lock (a highlight on the skin is small). Under a warm white balance its faint yellow has
    # the skin's hue and passed as skin: chains were drawn over the T-shirts of earmeasure_2_front and
    # aflw_image04476 (rounds 1-2).
    skin_chroma = float(np.hypot(m[0], m[1]))
    pale = (person & ~face & (rows > chin[1]) & (L > med_L + _PALE_CLOTH_DL)
            & (chroma < _PALE_CLOTH_CHROMA * skin_chroma))
    pale = cv2.morphologyEx(pale.astype(np.uint8), cv2.MORPH_OPEN,
                            cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))).astype(bool)
    cloth |= pale
    skin &= ~pale
    info["pale_cloth_px"] = int(pale.sum())
    # Specks of "hair" or "clothes" below the chin smaller than ~(12 mm)^2 (1.5 x a lock's width, squared) are
    # the skin's own shadows (the jugular notch's, a fold's) or moles: they cut the chain there
    # (inspireface_rise_face's notch, round 2: "segments start and end in the middle of the skin"). Locks and
    # fabric are larger.
    speck = max(4, int(round((1.5 * HAIR_MIN_X_FACE * face_w) ** 2)))
    for m_ in (hair, cloth):
        n_, lab_, st_, _ = cv2.connectedComponentsWithStats((m_ & below).astype(np.uint8), connectivity=8)
        small = np.nonzero(st_[1:, cv2.CC_STAT_AREA] < speck)[0] + 1
        if len(small):
            m_[np.isin(lab_, small)] = False
    # The face above the jaw line hides a chain behind the chin; the skin of the neck below it does not.
    full = lambda m: cv2.resize(m.astype(np.uint8), (W, H), interpolation=cv2.INTER_NEAREST).astype(bool)  # noqa: E731
    return TissueMasks(skin=full(skin), hair=full(hair), cloth=full(cloth), face=full(face), person=full(person),
                       info=info)


@dataclass(frozen=True)
class NeckFit:
    """What a necklace is made to, in the piece frame (mm: +X the subject's left, +Y up, +Z forward).

    Hashable: the pipeline caches meshes by it. ``colliders`` are the body's shapes the
    chain rests on: ``("capsule", x0, y0, z0, x1, y1, z1, radius)`` or
    ``("ellipsoid", cx, cy, cz, rx, ry, rz, tilt_deg)`` (its depth axis tilted by ``tilt_deg`` about
    +X, the back up); ``gravity`` a direction.
    """

    length_mm: float
    colliders: tuple[tuple, ...]
    gravity: tuple[float, float, float]
    neck_radius_mm: float
    shoulder_half_mm: float
    #: Where a necklace starts falling from (mm above the notch): around the neck, above its base.
    start_height_mm: float = 50.0
    #: The body's outline seen in the photo, rows ``(height above the notch, half-width to the subject's
    #: left, to the right)`` (mm; -1: no edge found on that side): where the chain's sides go behind the
    #: neck (:meth:`side_scales`). Empty: the model's own widths.
    outline: tuple = ()

    def side_scales(self, ends) -> tuple[float, float]:
        """How much to widen each side of a rested chain (subject's left, right) so that its side's widest
        point ``ends[i]`` (x, y, z; piece frame) lies on the photo's outline at its height: the body
        model is one shape for every neck (its base's flare is calibrated on an average one), the photo
        shows where this neck's outline is. 1 where no outline was found; within OUTLINE_SCALE."""
        out = []
        o = np.asarray(self.outline, float).reshape(-1, 3)
        o = o[np.argsort(o[:, 0])] if len(o) else o
        for col, end in zip((1, 2), ends):
            k = 1.0
            if end is not None and len(o):
                w = o[:, col]
                ok = w > 0
                if ok.sum() >= 2 and o[ok, 0].min() <= end[1] <= o[ok, 0].max():
                    seen = float(np.interp(end[1], o[ok, 0], w[ok]))
                    k = float(np.clip(seen / max(abs(end[0]), 1e-6), *OUTLINE_SCALE))
            out.append(k)
        return out[0], out[1]

    def side_targets(self, ends) -> list:
        """Where each side of a rested chain (subject's left, right; its widest point ``ends[i]``, piece frame)
        goes behind the neck in the photo, ``(x, height)`` mm, or None where the outline does not tell.

        A real chain climbs the neck's side over the trapezius and goes behind the neck where its outline
        starts to flare into the shoulders (the dev photos' own chains: ``compreface_002_A``,
        ``facerec_rose_leslie_img1``): going down the outline from the neck's rows above the end, the first
        height where it is wider than :data:`FLARE_X_NECK` x the neck's own half-width there (the
        20th percentile), no more than :data:`CLIMB_MAX_MM` above the end. Where the end already lies at or
        above that height, or the outline at its height is no flare (a neckline's edge coming in, under which
        the chain goes), its own height (as round 2: on the outline there). The x is the outline's there,
        within OUTLINE_SCALE of the end's."""
        out = []
        o = np.asarray(self.outline, float).reshape(-1, 3)
        o = o[np.argsort(o[:, 0])] if len(o) else o
        for col, end in zip((1, 2), ends):
            tgt = None
            if end is not None and len(o):
                h, w = o[:, 0], o[:, col]
                ok = w > 0
                h, w = h[ok], w[ok]
                if len(h) >= 2 and h.min() <= end[1] <= h.max():
                    y = float(end[1])
                    above = h > y
                    if above.sum() >= 3:
                        neck = float(np.percentile(w[above], 20))
                        limit = FLARE_X_NECK * neck
                        # Only where the outline at the end is the flare: narrower, it is a neckline's edge
                        # coming in, under which the chain goes (earmeasure_2_front's T-shirt).
                        if float(np.interp(y, h, w)) > limit:
                            # from the top down: the first row wider than the limit is the flare's top
                            top = min(y + CLIMB_MAX_MM, float(h.max()))
                            rows = np.nonzero(above & (h <= top))[0][::-1]
                            flare = next((i for i in rows if w[i] > limit), None)
                            if flare is not None and h[flare] > y:
                                y = float(h[flare])
                    seen = float(np.interp(y, h, w))
                    x = float(np.clip(seen, OUTLINE_SCALE[0] * abs(end[0]), OUTLINE_SCALE[1] * abs(end[0])))
                    tgt = (math.copysign(x, end[0]), y)
            out.append(tgt)
        return out

    def chain_colliders(self, scale: float = 1.0):
        """The colliders as :mod:`jewelrender.physics.chain` shapes (units: mm x ``scale``)."""
        out = []
        for c in self.colliders:
            v = np.asarray(c[1:], float) * scale
            if c[0] == "capsule":
                out.append(ChainCapsule(v[:3], v[3:6], float(v[6])))
            elif c[0] == "cone":
                out.append(NeckBase(*(float(x) for x in c[1:]), scale=scale))
            else:
                out.append(Ellipsoid(v[:3], _tilt_axes(float(c[7]) if len(c) > 7 else 0.0), v[3:6]))
        return out


class NeckBase:
    """The neck's base: a tilted elliptic cone, a physics collider (``push_out``, ``distance``).

    In its own frame (turned ``tilt_deg`` about +X from the piece frame, so that its
    cross-sections slope from the back, high, down to the front), the section at height h
    (``h_bot`` .. ``h_top``, mm, 0 at the notch) is an ellipse of half-width a(h) and
    half-depth b(h), interpolated from ``(a_top, b_top)`` to ``(a_bot, b_bot)``, whose front
    stays at ``front`` (the neck's front, z = r): it widens backwards and sideways as it goes
    down, as the neck flares into the trapezius. A loop on it slides down (pushed out within
    the section, pulled down by gravity) to the section whose girth matches its own.
    """

    def __init__(self, front, h_bot, h_top, a_top, b_top, a_bot, b_bot, tilt_deg, *, scale=1.0):
        self.front, self.h_bot, self.h_top = front * scale, h_bot * scale, h_top * scale
        self.a_top, self.b_top, self.a_bot, self.b_bot = a_top * scale, b_top * scale, a_bot * scale, b_bot * scale
        self.R = _tilt_axes(tilt_deg)  # rows: local x, up, depth (towards the front) in the piece frame

    def _section(self, h):
        t = np.clip((self.h_top - h) / (self.h_top - self.h_bot), 0.0, 1.0)
        a = self.a_top + (self.a_bot - self.a_top) * t
        b = self.b_top + (self.b_bot - self.b_top) * t
        return a, b, self.front - b

    def _local(self, points):
        return np.asarray(points, float) @ self.R.T

    def distance(self, points):
        q = self._local(points)
        a, b, dc = self._section(q[:, 1])
        u, v = q[:, 0] / a, (q[:, 2] - dc) / b
        rho = np.hypot(u, v)
        n_loc = np.stack([u / a, np.zeros_like(u), v / b], 1)
        n_loc /= np.maximum(np.linalg.norm(n_loc, axis=1, keepdims=True), 1e-12)
        sd = (rho - 1.0) * np.minimum(a, b)
        above = (q[:, 1] > self.h_top) | (q[:, 1] < self.h_bot)
        sd = np.where(above, np.maximum(sd, np.abs(q[:, 1] - np.clip(q[:, 1], self.h_bot, self.h_top))), sd)
        return sd, n_loc @ self.R

    def in_front(self, points) -> np.ndarray:
        """Whether each point (piece frame) lies in front of its section's widest line, the section's
        centre depth: the side of a loop round the body a frontal camera sees; behind that line the
        body's outline hides it (above the cone, the neck's: nearly its axis)."""
        q = self._local(points)
        _, _, dc = self._section(q[:, 1])
        return q[:, 2] > dc

    def push_out(self, points):
        q = self._local(points)
        a, b, dc = self._section(q[:, 1])
        u, v = q[:, 0] / a, (q[:, 2] - dc) / b
        rho = np.hypot(u, v)
        inside = (rho < 1.0) & (q[:, 1] >= self.h_bot) & (q[:, 1] <= self.h_top)
        out = np.array(points, float, copy=True)
        if inside.any():
            k = np.maximum(rho[inside], 1e-9)
            qi = q[inside].copy()
            qi[:, 0] = u[inside] / k * a[inside]
            qi[:, 2] = dc[inside] + v[inside] / k * b[inside]
            out[inside] = qi @ self.R
        return out, inside


def _tilt_axes(tilt_deg: float) -> np.ndarray:
    """Rows: +X, and the y and z axes turned by ``tilt_deg`` about +X (the back, -Z, rises)."""
    t = math.radians(tilt_deg)
    return np.array([[1.0, 0.0, 0.0], [0.0, math.cos(t), math.sin(t)], [0.0, -math.sin(t), math.cos(t)]])


def neck_colliders(neck_r: float, shoulder_half: float, neck_len: float) -> list[tuple[str, tuple]]:
    """The body around the neck's base as named shapes, piece frame (mm; origin on the neck's axis
    at the jugular notch's height, +Y up, +Z forward, +X the subject's left).

    Adult proportions (mm) around the measured neck radius ``r`` and half shoulder
    width ``S``: the neck a capsule of radius r; its base's flare a tilted cone
    (:class:`NeckBase`, :data:`BASE_CONE`); the trapezius falling from beside the neck's base to the
    shoulders; the collarbones from beside the notch out and slightly up; the upper
    chest an ellipsoid whose front is 36 mm behind the neck's at the notch (a dip)
    and 17 mm ahead of it 90 mm lower (the sternum leans forward). See docs/neck.md.
    """
    r, S = float(neck_r), float(shoulder_half)
    side = max(S - 25.0, r + 20.0)
    shapes = [("neck", ("capsule", 0.0, -40.0, 0.0, 0.0, neck_len, 10.0, r))]
    # The base's flare (see NeckBase), sloping BASE_TILT_DEG from C7 at the back down to the notch.
    h_bot, h_top, (a_top, b_top), (a_bot, b_bot) = BASE_CONE
    t = math.radians(BASE_TILT_DEG)
    front = r * math.cos(t)  # the neck's front (z = r at the notch) in the cone's tilted frame
    shapes.append(("neck.base", ("cone", front, h_bot, h_top, a_top * r, b_top * r, a_bot * r, b_bot * r, BASE_TILT_DEG)))
    for name, sx in (("left", 1.0), ("right", -1.0)):
        shapes.append((f"trapezius.{name}", ("capsule", sx * 0.35 * r, -15.0, -0.3 * r, sx * side, -45.0, -25.0, 35.0)))
        shapes.append((f"collarbone.{name}", ("capsule", sx * 18.0, -6.0, 0.8 * r, sx * side, 6.0, 0.1 * r, 8.0)))
    # The upper back between the trapezius' tops, behind the neck's base (C7): without it a loop's back slid
    # below the cone (whose back ends ~2 cm above the notch) and took the slack a pendant should pull
    # into the front's V.
    shapes.append(("back", ("capsule", -r, -20.0, -r - 15.0, r, -20.0, -r - 15.0, 40.0)))
    shapes.append(("chest", ("ellipsoid", 0.0, -200.0, r - 55.0, max(S - 10.0, 2 * r), 205.0, 85.0)))
    return shapes


def render_capsules(shapes) -> list[tuple[str, tuple]]:
    """The render's body proxies (capsules: the scene meshes and ray-casts only those) from the
    colliders: the neck's capsule (an ellipsoid would be a capsule inside it along its longest axis,
    2 mm in, so it never hides a chain resting on it)."""
    out = []
    for name, c in shapes:
        if name != "neck":
            # Only the neck, which hides the chain's back; the rest of the body is in the photo itself. A
            # trapezius capsule hid the chain where it rises along the neck's side (which photos show),
            # the collarbones where it crosses them, and a chest capsule inside its ellipsoid lies up
            # to ~2 cm behind the chain, so its rendered shadow fell that far off, a detached smudge;
            # the chain's shadow on the body is the image-space contact shadow (integration).
            continue
        v = np.asarray(c[1:], float)
        if c[0] == "capsule":
            # The chain rests on the base's tilted cone too, whose front lies inside the capsule (r cos tilt):
            # a render capsule of the full radius hid every link lying there (the whole 16" chain on the
            # neck sample). 2 mm inside the smaller of the two, as for an ellipsoid.
            # And a chain's side narrowed to a slimmer outline than the model's (NeckFit.side_scales) comes in
            # by up to OUTLINE_SCALE[0].
            rad = OUTLINE_SCALE[0] * float(v[6]) * math.cos(math.radians(BASE_TILT_DEG)) - 2.0
            out.append((name, (v[:3], v[3:6], rad)))
            continue
        centre, radii = v[:3], v[3:6]
        axes = _tilt_axes(float(c[7]) if len(c) > 7 else 0.0)
        k = int(np.argmax(radii))
        # radius 0.8 of the narrow cross-section, reaching 0.6 of the long axis: there the
        # ellipsoid's section is still 0.8 wide, and the caps stay inside it
        rad = 0.8 * float(np.min(np.delete(radii, k))) - 2.0
        e = axes[k] * 0.6 * radii[k]
        out.append((name, (centre - e, centre + e, rad)))
    return out


@dataclass(frozen=True, eq=False)
class NeckPlacement:
    """Where a necklace sits (camera frame, metres); the :class:`jewelrender.sites.base.Placement` fields.

    ``center_cam`` is on the neck's axis at the jugular notch's height; ``up_cam``
    is the body's up, ``axis_cam`` its forward (towards the camera for a front view).
    """

    site: str
    length_in: float
    center_cam: np.ndarray
    axis_cam: np.ndarray
    up_cam: np.ndarray
    center_px: np.ndarray
    chin_px: np.ndarray
    shoulders_px: np.ndarray
    notch_px: np.ndarray
    neck_width_px: float
    neck_width_source: str
    neck_width_mm: float
    shoulder_width_mm: float
    distance_m: float
    head: dict
    fit: NeckFit
    points_cam: np.ndarray
    proxies: tuple
    tissue: TissueMasks
    details: dict = field(default_factory=dict)
    #: Pairs of ``points_cam`` rows along which the photo shows skin (the lighting's reference colour).
    skin_segments: tuple = ((0, 1), (0, 2), (0, 3))
    #: A necklace is a thin curve across a crop that spans the chest: render only its footprint and where
    #: its shadow falls on the neck's proxy (scene.footprint), not the whole crop.
    sparse_render = True
    #: The render's coverage of the piece before hair and clothes cut it (set by the site's
    #: integration, read by its visibility check; not reported).
    render_coverage: dict = field(default_factory=dict)

    @property
    def piece_to_cam(self) -> np.ndarray:
        return piece_to_cam(self.up_cam, self.axis_cam, self.center_cam)

    @property
    def px_per_mm(self) -> float:
        return self.neck_width_px / self.neck_width_mm

    def skin_under(self, piece):
        """The skin under the necklace's visible run (piece frame, mm; :func:`jewelrender.pieces.necklace.skin_under`):
        the render's body there, which the chain mirrors and its shadow falls on. None for another piece."""
        from ..pieces.necklace import skin_under

        return skin_under(piece, self.fit)

    def to_report(self) -> dict:
        r = lambda v, n=2: [round(float(x), n) for x in np.ravel(v)]  # noqa: E731
        return {
            "site": self.site,
            "length_in": self.length_in,
            "length_mm": round(self.fit.length_mm, 1),
            "center_px": r(self.center_px),
            "notch_px": r(self.notch_px),
            "chin_px": r(self.chin_px),
            "shoulders_px": r(self.shoulders_px),
            "center_cam_m": r(self.center_cam, 5),
            "up_cam": r(self.up_cam, 4),
            "axis_cam": r(self.axis_cam, 4),
            "neck_width_px": round(self.neck_width_px, 2),
            "neck_width_source": self.neck_width_source,
            "neck_width_mm": round(self.neck_width_mm, 1),
            "shoulder_width_mm": round(self.shoulder_width_mm, 1),
            "distance_m": round(self.distance_m, 4),
            "head_pose_deg": {k: round(v, 1) for k, v in self.head.items()},
            "tissue": self.tissue.info,
            "details": self.details,
            "warnings": [w for w in (self.details.get("worn_necklace", {}).get("warning"),) if w],
        }


def body_outline(tissue: TissueMasks, chin: np.ndarray, mid: np.ndarray, left: np.ndarray, sw_px: float,
                 fractions=None) -> dict:
    """The body's outline on each side of the neck's centre line, row by row (px).

    For each row (a share ``f`` of the way from the chin to the shoulders' midpoint, on lines across the
    centre line) the run of the body's skin (person, not hair, clothes or the face) around the centre line is followed
    out to where it ends on each side (``left``: the image direction of the subject's left): the neck's outline on the upper rows, then the curve into the
    trapezius and the shoulders, or a neckline's edge (where a chain goes under it). A side that reaches the window (+-1.2 shoulder-joint distances) or the
    photo's edge without an edge is NaN. Returns ``{"f", "left", "right"}``: ``left`` the distance to the
    subject's left (the image direction from the right shoulder to the left), ``right`` to the other side.
    """
    import cv2

    body = tissue.person & ~tissue.hair & ~tissue.face & ~tissue.cloth
    # Holes of a few pixels (a chain, a mole, a strap's edge) are not the outline.
    body = cv2.morphologyEx(body.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8)).astype(bool)
    H, W = body.shape
    across = np.asarray(left, float)
    if fractions is None:
        fractions = np.linspace(0.02, 1.1, 55)
    step = max(0.5, sw_px / 600)
    s = np.arange(0.0, 1.2 * sw_px, step)
    out = {"f": np.asarray(fractions, float), "left": [], "right": []}
    for f in fractions:
        c = chin + (mid - chin) * f
        for side, sign in (("left", 1.0), ("right", -1.0)):
            p = c[None] + (sign * s)[:, None] * across[None]
            ix, iy = np.round(p[:, 0]).astype(int), np.round(p[:, 1]).astype(int)
            ok = (ix >= 0) & (ix < W) & (iy >= 0) & (iy < H)
            on = np.zeros(len(s), bool)
            on[ok] = body[iy[ok], ix[ok]]
            first_off = np.nonzero(~on)[0]
            if not on[:max(1, int(round(0.04 * sw_px / step)))].any() or not len(first_off):
                out[side].append(np.nan)  # not on the body at the centre line, or no edge in the window
                continue
            j = int(first_off[0])
            out[side].append(float(s[j]) if ok[j] else np.nan)
    out["left"], out["right"] = np.asarray(out["left"]), np.asarray(out["right"])
    return out


def worn_necklace(photo, tissue: TissueMasks, chin: np.ndarray, mid: np.ndarray, sw_px: float,
                  px_per_mm: float) -> dict:
    """Whether the photo already wears a necklace: a thin line (darker or brighter than the skin around it, no
    wider than :data:`WORN_MAX_WIDTH_MM`) running at least :data:`WORN_MIN_LENGTH_MM` over the bare skin of the
    neck and chest. Ours would be drawn beside it (compreface_002_A, rounds 1-2): the report says so. Lines on
    the skin's own edges (a neckline, a strap, hair) are left out by keeping ~1.5 mm inside the skin; hair
    strands over the skin can pass for one (a warning, nothing refused)."""
    import cv2

    H, W = tissue.skin.shape
    g = float(np.linalg.norm(mid - chin))
    y0, y1 = int(max(0, chin[1] + 0.1 * g)), int(min(H, mid[1] + 0.6 * sw_px))
    x0, x1 = int(max(0, mid[0] - 0.6 * sw_px)), int(min(W, mid[0] + 0.6 * sw_px))
    out = {"found": False}
    if y1 - y0 < 8 or x1 - x0 < 8:
        return out
    gray = cv2.cvtColor(np.ascontiguousarray(photo.srgb[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY)
    k = max(3, int(round(2.5 * px_per_mm)) | 1)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    line = np.maximum(cv2.morphologyEx(gray, cv2.MORPH_BLACKHAT, disc), cv2.morphologyEx(gray, cv2.MORPH_TOPHAT, disc))
    # the skin with its holes filled (a necklace's own pixels are holes in the colour mask), then ~1.5 mm in from
    # its outline (the skin's edges against clothes and hair are lines too)
    c = max(3, int(round(6.0 * px_per_mm)) | 1)
    skin = cv2.morphologyEx(tissue.skin[y0:y1, x0:x1].astype(np.uint8), cv2.MORPH_CLOSE,
                            cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (c, c)))
    e = max(1, int(round(1.5 * px_per_mm)))
    skin = cv2.erode(skin, np.ones((2 * e + 1, 2 * e + 1), np.uint8)).astype(bool)
    cand = ((line > WORN_CONTRAST) & skin).astype(np.uint8)
    # bridge the gaps of a chain whose links catch the light in turn (a silver chain: bright, then dark)
    cand = cv2.dilate(cand, np.ones((5, 5), np.uint8))
    n, lab, stats, _ = cv2.connectedComponentsWithStats(cand, connectivity=8)
    best = 0.0
    for i in range(1, n):
        wd, ht, area = stats[i, cv2.CC_STAT_WIDTH], stats[i, cv2.CC_STAT_HEIGHT], stats[i, cv2.CC_STAT_AREA]
        length = float(np.hypot(wd, ht))
        # the dilation adds ~4 px to a line's width
        width_mm = max(area / max(length, 1.0) - 4.0, 0.0) / px_per_mm
        if width_mm <= WORN_MAX_WIDTH_MM:
            best = max(best, length / px_per_mm)
    out["longest_line_mm"] = round(best, 1)
    if best >= WORN_MIN_LENGTH_MM:
        out.update(found=True, warning="the photo already wears a necklace; the new one is drawn beside it (take "
                                       "the photo without it for a true try-on)")
    return out


def _measure_neck(outline: dict) -> tuple[float | None, dict]:
    """The neck's width (px): on the rows of the body's outline (:func:`body_outline`) between a fifth and
    :data:`NECK_ROWS` of the way from chin to shoulders, where both sides found an edge, the median of
    those within 1.1 x the narrowest (its tenth percentile: the neck, not its flare into the trapezius
    below; the window is wide, so the lower rows reach the shoulders' outline)."""
    f = outline["f"]
    sel = (f >= NECK_ROWS[0]) & (f <= NECK_ROWS[1])
    L, R = outline["left"][sel], outline["right"][sel]
    both = np.isfinite(L) & np.isfinite(R)
    w = (L + R)[both]
    info = {"rows": [round(float(v), 3) for v in f[sel][both]], "row_widths_px": [round(float(v), 1) for v in w],
            "rows_without_edges": int((~both).sum())}
    if len(w):
        keep = w <= 1.1 * np.percentile(w, 10)
        # how far the neck's middle lies off the chin-to-shoulders line, in neck widths (a turned head
        # moves the chin sideways off the neck)
        info["centre_offset"] = round(float(np.median(((L - R) / 2)[both][keep]) / max(np.median(w[keep]), 1e-6)), 3)
        w = w[keep]
    if len(w) < 4:
        info["reason"] = "too few rows with the neck's outline on both sides"
        return None, info
    return float(np.median(w)), info


def place_neck(photo, det: NeckDetection, camera, *, length_in: float = DEFAULT_LENGTH_IN,
               tissue: TissueMasks | None = None) -> NeckPlacement:
    """The neck's frame, width, proxies and the necklace's fit from one face and pose."""
    K = np.asarray(camera.K, dtype=np.float64)
    fx = float(K[0, 0])
    face, pose = det.face, det.pose
    if tissue is None:
        tissue = tissue_masks(photo, det)
    chin = np.asarray(face.image_px[152], float)
    rs, ls = np.asarray(pose.image_px[12], float), np.asarray(pose.image_px[11], float)
    mid = (ls + rs) / 2
    sw_px = float(np.linalg.norm(ls - rs))
    ex2 = (ls - rs) / max(sw_px, 1e-9)  # image direction of the subject's left
    down2 = np.array([-ex2[1], ex2[0]])
    if down2 @ (mid - chin) < 0:
        down2 = -down2
    iris = max(face.iris_diameter_px("left"), face.iris_diameter_px("right"))
    z_eyes = fx * IRIS_DIAMETER_MM * 1e-3 / max(iris, 1e-6)
    z = z_eyes + NECK_BEHIND_EYES_M
    m_per_px = z / fx
    g = float((mid - chin) @ down2)
    # The notch: above the shoulder line by a share of the shoulder width, not above mid-way from the chin.
    notch_off = max(g - NOTCH_ABOVE_SHOULDERS * sw_px, NOTCH_MIN_FROM_CHIN * g)
    # The neck's centre line: from the chin towards the shoulders' midpoint.
    centre_at = lambda off: chin + (mid - chin) * (off / g)  # noqa: E731
    outline = body_outline(tissue, chin, mid, ex2, sw_px)
    width_px, winfo = _measure_neck(outline)
    prior_px = PRIOR_NECK_TO_SHOULDERS * sw_px
    source = "measured"
    if width_px is None or not (_PLAUSIBLE_NECK_TO_SHOULDERS[0] <= width_px / sw_px <= _PLAUSIBLE_NECK_TO_SHOULDERS[1]):
        if width_px is not None:
            winfo["reason"] = f"implausible: {width_px / sw_px:.2f} of the shoulder width"
        width_px, source = prior_px, "prior"
    # The neck's base seen from the front: the first rows where the outline has turned out into the
    # trapezius. The notch lies no further below it than NOTCH_BELOW_BASE_MM: a loose top or a jumper
    # holds the pose's shoulder points low (the neck sample's by ~90 px, which put its chain on the
    # jumper's neckline).
    wide = (outline["left"] + outline["right"]) > BASE_X_NECK_WIDTH * width_px
    turn = np.nonzero(wide[:-1] & wide[1:])[0]
    if len(turn):
        base_off = float(outline["f"][turn[0]]) * g
        by_base = base_off + NOTCH_BELOW_BASE_MM * 1e-3 / m_per_px
        if by_base < notch_off:
            notch_off = max(by_base, NOTCH_MIN_FROM_CHIN * g)
        winfo["base_px"] = [round(float(v), 1) for v in chin + (mid - chin) * (base_off / g)]
    notch_px = centre_at(notch_off)
    neck_r_mm = width_px / 2 * m_per_px * 1e3
    S_mm = sw_px / 2 * m_per_px * 1e3 + 20.0  # the shoulders' outline lies ~20 mm beyond the joints
    neck_len_mm = float(notch_off * m_per_px * 1e3) + 10.0
    center = np.asarray(camera.backproject(notch_px, z), float).reshape(3)
    ex = np.array([ex2[0], ex2[1], 0.0])
    ey = np.array([down2[0], down2[1], 0.0])
    up = -ey
    axis = -np.cross(ex, ey)  # the body's forward: towards the camera
    caps_mm = neck_colliders(neck_r_mm, S_mm, neck_len_mm)
    mm = m_per_px * 1e3
    rows = tuple((round(float((notch_off - f * g) * mm), 2),
                  *(round(float(v * mm), 2) if np.isfinite(v) else -1.0 for v in (a, b)))
                 for f, a, b in zip(outline["f"], outline["left"], outline["right"]) if np.isfinite(a) or np.isfinite(b))
    M = piece_to_cam(up, axis, center)
    to_cam = lambda p: M[:3, :3] @ np.asarray(p, float) + M[:3, 3]  # noqa: E731
    proxies = tuple(Capsule(name, to_cam(p0), to_cam(p1), rad * 1e-3) for name, (p0, p1, rad) in render_capsules(caps_mm))
    g_cam = np.array([0.0, 1.0, 0.0])  # the photo's down (phones hold the horizon level)
    R = M[:3, :3] * 1e3
    g_piece = R.T @ g_cam
    fit = NeckFit(length_mm=round(float(length_in) * INCH_MM, 3),
                  colliders=tuple((c[0], *(round(float(v), 3) for v in c[1:])) for _, c in caps_mm),
                  gravity=tuple(round(float(v), 5) for v in g_piece / np.linalg.norm(g_piece)),
                  neck_radius_mm=round(neck_r_mm, 2), shoulder_half_mm=round(S_mm, 2), outline=rows)
    # Points whose pixels are skin for the lighting's reference: on the neck's axis below the chin.
    pts = np.array([to_cam((0.0, neck_len_mm * f, neck_r_mm)) for f in (0.45, 0.75, 0.3, 0.6)])
    head = head_pose(face)
    return NeckPlacement(
        site="neck", length_in=float(length_in), center_cam=center, axis_cam=axis, up_cam=up,
        center_px=notch_px, chin_px=chin, shoulders_px=np.stack([rs, ls]), notch_px=notch_px,
        neck_width_px=float(width_px), neck_width_source=source, neck_width_mm=2 * neck_r_mm,
        shoulder_width_mm=sw_px * m_per_px * 1e3, distance_m=float(z), head=head, fit=fit,
        points_cam=pts, proxies=proxies, tissue=tissue,
        details={"width": {**winfo, "prior_px": round(prior_px, 1)}, "iris_px": round(iris, 2),
                 "eyes_distance_m": round(z_eyes, 4), "chin_to_shoulders_px": round(g, 1),
                 "worn_necklace": worn_necklace(photo, tissue, chin, mid, sw_px, width_px / (2 * neck_r_mm))})


class NeckSite:
    """Necklaces on the neck: :class:`jewelrender.sites.base.Site` for chains and pendants."""

    name = "neck"
    detectors = ("face", "pose")
    piece_families = ("necklace",)

    def detect(self, photo, detector) -> list[NeckDetection]:
        """One detection: the largest face with the body's pose and person mask (``detector(name)``
        gives a warm detector by name)."""
        faces = detector("face").detect(photo)
        if not faces:
            return []
        res = detector("pose").detect(photo)
        return [NeckDetection(face=faces[0], pose=res.pose, person_mask=res.person_mask, faces_found=len(faces))]

    def check_options(self, *, finger: str | None = None, hand: str | None = "auto", position: float | None = None,
                      length_in: float | None = None) -> dict:
        if finger is not None:
            raise InvalidOptionError(
                f"finger={finger!r} does not apply to a necklace; leave it out (choose the length with "
                "length_in / --length-in)", details={"option": "finger"})
        if hand not in (None, "auto"):
            raise InvalidOptionError(f"hand={hand!r} does not apply to a necklace; leave it out",
                                     details={"option": "hand"})
        if position is not None:
            raise InvalidOptionError("position does not apply to a necklace; choose its length with length_in "
                                     "(--length-in)", details={"option": "position"})
        if length_in is None:
            length_in = DEFAULT_LENGTH_IN
        lo, hi = LENGTH_RANGE_IN
        if not is_number(length_in) or not lo <= float(length_in) <= hi:
            raise InvalidOptionError(f"length_in must be a necklace length in inches in [{lo:g}, {hi:g}] "
                                     f"(16 = base of the neck, 18 = collarbone, 24 = mid-bust), got {length_in!r}",
                                     details={"option": "length_in"})
        return {"length_in": float(length_in)}

    def gate(self, photo, detections, *, options: dict, refuse_multiple: bool = False):
        """The face found, head not turned, shoulders and neck in the photo, the neck not covered."""
        from ..quality import GateCheck, GateReport

        checks: list = []

        def report(passed, code=None, message=None):
            return GateReport(passed=passed, code=code, message=message, hand_index=0 if passed else None,
                              hands_found=len(detections), checks=checks)

        if not detections:
            raise FaceNotFoundError("no face found; take a front-facing photo of your head, neck and shoulders "
                                    "in good light", details={"gate": report(False, "FACE_NOT_FOUND").to_report()})
        det = detections[0]
        head = head_pose(det.face)
        yaw = head["yaw_deg"]
        ok = abs(yaw) <= MAX_YAW_DEG
        checks.append(GateCheck("head_yaw", "HEAD_TURNED", abs(yaw), MAX_YAW_DEG, "<=", ok, "deg"))
        if not ok:
            raise HeadTurnedError(
                f"the head is turned {abs(yaw):.0f}° from the camera (at most {MAX_YAW_DEG:.0f}° works); face the "
                "camera with the neck and both shoulders in the photo",
                details={"gate": report(False, "HEAD_TURNED").to_report(), "head_pose_deg": head})
        pose = det.pose
        H, W = photo.height, photo.width
        vis = 0.0 if pose is None else float(min(pose.visibility[11], pose.visibility[12]))
        inside = pose is not None and all(-0.02 * W <= pose.image_px[i][0] <= 1.02 * W and
                                          0 <= pose.image_px[i][1] <= 1.02 * H for i in (11, 12))
        ok = pose is not None and vis >= 0.5 and inside
        checks.append(GateCheck("shoulders_visible", "NECK_NOT_VISIBLE", vis, 0.5, ">=", ok))
        if ok:
            chin = det.face.image_px[152]
            mid = (pose.image_px[11] + pose.image_px[12]) / 2
            sw = float(np.linalg.norm(pose.image_px[11] - pose.image_px[12]))
            ok = mid[1] - chin[1] > 0.15 * sw
        if not ok:
            raise NeckNotVisibleError(
                "the neck and both shoulders must be in the photo; step back or hold the camera lower so that "
                "the photo shows your face, neck and shoulders", details={"gate": report(False, "NECK_NOT_VISIBLE").to_report()})
        tissue = tissue_masks(photo, det)
        skin_share = _neck_skin_share(tissue, det)
        ok = skin_share >= MIN_NECK_SKIN
        checks.append(GateCheck("neck_skin_share", "NECK_COVERED", skin_share, MIN_NECK_SKIN, ">=", ok))
        if not ok:
            raise NeckCoveredError(
                f"the neck is covered (only {100 * skin_share:.0f} % of it shows skin: a high collar, turtleneck, "
                "scarf or hair); photograph a bare neck, hair behind the shoulders",
                details={"gate": report(False, "NECK_COVERED").to_report()})
        rep = report(True)
        rep.measurements.update({"head_pose_deg": {k: round(v, 1) for k, v in head.items()},
                                 "neck_skin_share": round(skin_share, 3)})
        return rep

    def place(self, photo, detection, camera, *, options: dict):
        return place_neck(photo, detection, camera, length_in=options["length_in"])

    def render_quality(self, q):
        """The preset for a necklace: its crop spans the chest (~10x a ring's area), so the preview
        takes 3x3 sub-pixels (9 spp: a thin chain stays anti-aliased) and every preset a tight
        margin (a chain's shadow reaches a few pixels, not a ring's head height)."""
        import dataclasses

        ss = min(q.supersample, NECK_PREVIEW_SUPERSAMPLE) if q.name == "preview" else q.supersample
        return dataclasses.replace(q, supersample=ss, crop_margin=min(q.crop_margin, NECK_CROP_MARGIN))

    def piece_size_mm(self, placement) -> NeckFit:
        """A necklace is made to the body around the neck and its length: the :class:`NeckFit`."""
        return placement.fit

    def integration(self, photo, detection, camera, placement, piece, light, crop, alpha, *, others=()):
        """Hair, clothes and the chin hide the chain; the key light's contact shadow on the skin."""
        import cv2

        from ..camera_look import measure_look
        from ..contact import key_in_image
        from ..integration import Integration

        sy, sx = crop.slices
        t = placement.tissue
        cover = t.covering[sy, sx].astype(np.float32)
        # Soft edges, about the photo's own blur: hair strands and fabric edges are not hard cuts.
        visible = 1.0 - cv2.GaussianBlur(cover, (0, 0), 0.8)
        # Beyond the body's outline a chain lying on the body is behind it, and over the last ~1.5 mm inside the
        # outline it turns round the neck's rounded edge, foreshortened and hidden by it: links drawn there
        # floated in the background (frl-london_113-03, round 3: "both chain ends rise past the neck/shoulder
        # silhouette into the grey background") or stopped in a hard cut.
        person = t.person[sy, sx].astype(np.uint8)
        inside = cv2.distanceTransform(person, cv2.DIST_L2, 3)
        visible = visible * np.clip(inside / max(OUTLINE_ROUND_MM * placement.px_per_mm, 1.0), 0.0, 1.0)
        visible, dropped = _drop_slivers(np.clip(alpha, 0, 1), visible, (t.cloth | ~t.person)[sy, sx], piece,
                                         placement.px_per_mm)
        a = np.clip(alpha, 0, 1) * visible
        skin = t.skin[sy, sx].astype(np.float32)
        info = light.info
        key = key_in_image(camera, placement.center_cam, info.get("key_direction"), float(info.get("key_share") or 0.0))
        contact, cinfo = necklace_contact(a, skin, key, piece, placement.px_per_mm)
        placement.render_coverage["before_occlusion_px"] = float(np.clip(alpha, 0, 1).sum())
        cap, capinfo = metal_cap(photo, crop, t.skin[sy, sx], a, body_albedo=diffuse_body_albedo(piece),
                                 skin_albedo=info.get("albedo_luminance"))
        # The camera's look over the crop, its grain read on the skin: the chain gets the photo's sharpening,
        # grain and JPEG blocks (round 2's judges: "crisp, too clean for the soft, noisy plate"; until round 3
        # a necklace got plain grey noise).
        # (Its blur read on the person mask's outline instead, as a ring's on the finger's, was tried after round 3:
        # the mask's edge lies off the real one by a few pixels and gave 3.4 px on the bundled sample, against 0.6
        # over the crop, and blurred the chain into a smear.)
        look = measure_look(photo, crop.x, crop.y, crop.width, crop.height, skin=t.skin[sy, sx])
        # The crop's sharpest edges (a strap's, a neckline's, a sharpened backdrop's) can be crisper than the
        # skin the chain lies on; the eyes' and lips' edges, at the neck's distance, tell the lens's softness
        # (round 3: the curb on the soft webcam sample read crisper than its plate; 0.6 px over the crop, 1.35
        # at the eyes and lips).
        face_blur = face_edge_blur(photo, detection.face)
        if face_blur is not None and face_blur > look.blur_sigma_px:
            look = replace(look, blur_sigma_px=float(face_blur))
        return Integration(visible=visible, contact=contact, look=look, segmentation=None, median_cap=cap,
                           report={"occluded_share_of_crop": round(float(cover.mean()), 3), "contact": cinfo,
                                   "slivers_dropped": dropped, "metal_cap": capinfo,
                                   "camera_look": look.to_report()})

    def check_visible(self, mask: np.ndarray, placement, piece, crop_report) -> float:
        """The share of the chain's rendered coverage left after hair and clothes."""
        total = float(placement.render_coverage.get("before_occlusion_px", 0.0))
        frac = min(1.0, float(mask.sum()) / total) if total > 0 else 0.0
        if frac < MIN_VISIBLE_FRACTION:
            raise NeckCoveredError(
                f"clothes or hair cover where the necklace lies (only {100 * frac:.0f} % of it would show); wear "
                "an open neckline with the hair behind the shoulders, or choose another length",
                details={"visible_fraction": round(frac, 3), "crop": crop_report})
        return frac

    def score_inputs(self, placement, piece, detection, crop, visible: float):
        from ..quality import ScoreInputs

        # No limb axis: a ring's "spans the finger" and "highlight on the lit flank" terms do not
        # apply to a chain lying across the chest (axis_px None skips them).
        return ScoreInputs(
            crop=tuple(crop), center_px=tuple(float(v) for v in placement.center_px), axis_px=None,
            across_px=float(placement.neck_width_px), across_source=placement.neck_width_source,
            size_mm=float(placement.neck_width_mm), size_range_mm=(80.0, 160.0),
            landmark_score=float(detection.score), pose_method="iris-scale",
            visible_fraction=min(1.0, visible / FULLY_VISIBLE_FRACTION), min_visible_fraction=MIN_VISIBLE_FRACTION,
            advice=_ADVICE, reflection_spread_stops=FINE_CHAIN_SPREAD_STOPS)

    def report(self, placement, detection) -> dict[str, Any]:
        return dict(placement.to_report(), faces_found=detection.faces_found, pose_score=round(detection.score, 3))


#: What to do when a neck try-on scores low, by its weakest part (quality.require_quality).
_ADVICE = {
    "reflection": "take the photo in even light, away from direct sun or a single bright lamp",
    "scale": "face the camera with the neck and both shoulders in the photo, hair behind the shoulders",
    "edges": "take a sharper photo: hold the camera still and tap the neck to focus",
    "placement": "face the camera in good light with a bare neck and both shoulders in the photo, hair behind "
                 "the shoulders",
}


def _drop_slivers(alpha: np.ndarray, visible: np.ndarray, cloth: np.ndarray, piece, px_per_mm: float):
    """``visible`` with the chain's specks at a neckline hidden: pieces of the visible chain shorter than
    :data:`SLIVER_LINKS` links long, apart from the chain's main run, within ~2 mm of the clothes or the
    body's outline (``cloth``), are a link peeking
    through a gap in the masks at the fabric's edge (one showed beside the bundled sample's jumper, off the rest of the chain),
    not chain the photo would show. Specks between locks of hair are kept: a chain shows between strands."""
    import cv2

    shows = (alpha * visible > 0.15).astype(np.uint8)
    n, lab, stats, _ = cv2.connectedComponentsWithStats(shows, connectivity=8)
    if n <= 2 or not cloth.any():
        return visible, 0
    link_px = max(float(piece.band.get("link_mm", piece.band.get("wire_mm", 1.0))) * px_per_mm, 1.0)
    small = SLIVER_LINKS * link_px
    # within ~2 mm of the fabric or the outline: the masks' own resolution (2-3 photo px a pixel) and blur
    k = 2 * max(2, int(round(2.0 * px_per_mm))) + 1
    near = cv2.dilate(cloth.astype(np.uint8), np.ones((k, k), np.uint8)).astype(bool)
    out = visible.copy()
    dropped = 0
    main = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    for i in range(1, n):
        if i != main and max(stats[i, cv2.CC_STAT_WIDTH], stats[i, cv2.CC_STAT_HEIGHT]) < small:
            part = lab == i
            if near[part].any():
                out[cv2.dilate(part.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)] = 0.0
                dropped += 1
    return out, dropped


def _standoff_mm(piece) -> tuple[float, float]:
    """How far a necklace's chain and its pendant stand off the skin they lie on (mm): a cable or box
    chain's edge-on links stand a link's width high, a curb lies nearly flat, a strand's pearls and a
    tennis necklace's boxes their own height; a solitaire's head stands ~0.7 of its size off the chest, a
    heart or a bar plate its thickness and its bail."""
    band = piece.band
    style = band["style"]
    if style in ("cable", "box", "rope"):
        chain = max(band["wire_mm"], CHAIN_STANDOFF_X_LINK * band["link_mm"])
    else:
        chain = band["wire_mm"]
    pend = 0.0
    if piece.setting:
        pend = {"solitaire": 0.7, "heart": 0.12, "bar": 0.08}[piece.setting["style"]] * piece.setting["size_mm"]
    return chain, pend


def necklace_contact(alpha: np.ndarray, skin: np.ndarray, key, piece, px_per_mm: float) -> tuple[np.ndarray, dict]:
    """The (h, w, 3) multiplier of the photo under a necklace (:func:`jewelrender.contact.contact_shading`): the
    chain's contact line and its short cast away from the key light, and the pendant's, which stands
    further off the chest and casts further.

    A fine chain covers a fraction of each pixel it crosses (a 0.45 mm wire at 2-3 px/mm): thresholded at
    half coverage, as for a ring's band, it cast nothing and no judge saw a shadow. Its coverage is taken
    :data:`CHAIN_SHADOW_GAIN` times (a wire's shadow on skin a link's width below it is as wide as the
    wire plus its penumbra). The pendant is the part of the coverage a disc of
    :data:`PENDANT_MIN_MM` survives (the chain is thinner)."""
    import cv2

    from ..contact import contact_shading

    a = np.clip(np.asarray(alpha, np.float32), 0.0, 1.0)
    chain_mm, pend_mm = _standoff_mm(piece)
    pend = np.zeros_like(a)
    if pend_mm > 0:
        k = max(3, int(round(PENDANT_MIN_MM * px_per_mm)) | 1)
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
        core = cv2.morphologyEx((a > 0.5).astype(np.uint8), cv2.MORPH_OPEN, disc)
        pend = cv2.dilate(core, np.ones((3, 3), np.uint8)).astype(np.float32) * a
    chain = np.clip((a - pend) * CHAIN_SHADOW_GAIN, 0.0, 1.0)
    mult, info = contact_shading(chain, skin, key, chain_mm * px_per_mm)
    mult = mult[..., None] * _chain_own_shade(a - pend, skin, piece, px_per_mm)
    info = {"chain": info, "chain_standoff_px": round(chain_mm * px_per_mm, 2)}
    if pend.any():
        m2, info2 = contact_shading(pend, skin, key, pend_mm * px_per_mm)
        mult = mult * m2[..., None]
        info.update(pendant=info2, pendant_px=int((pend > 0.5).sum()))
    return mult, info


#: The face mesh's contours whose edges are sharp in focus: the lips' outline and the eyes' lid lines.
_FACE_EDGE_CONTOURS = ((61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185),
                       (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246),
                       (263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466))
#: Among the edges along those contours, the sharpest 5 % tell the camera's blur (a lip's border is soft
#: itself; an eyelid's line and the iris's edge are the sharpest).
FACE_EDGE_QUANTILE = 0.95


def face_edge_blur(photo, face) -> float | None:
    """The photo's Gaussian blur (px) read on the eyes' and lips' edges (bands a fiftieth of the face's width
    along the face mesh's contours), which lie at about the neck's distance: on a soft webcam plate (the
    bundled neck sample) 1.35 px, against 0.6 over the neck's crop, whose strongest edges are a strap's and
    the jumper's; 0.5 on the sharp red-carpet deepface_img8. None where no edge tells."""
    import cv2

    from ..camera_look import edge_blur_sigma
    from ..color import luminance, srgb8_to_linear

    pts = np.asarray(face.image_px)[:, :2]
    width = float(np.linalg.norm(pts[234] - pts[454]))
    x0, y0 = np.floor(pts.min(0) - 10).astype(int)
    x1, y1 = np.ceil(pts.max(0) + 10).astype(int)
    x0, y0 = max(x0, 0), max(y0, 0)
    x1, y1 = min(x1, photo.width), min(y1, photo.height)
    if x1 - x0 < 16 or y1 - y0 < 16:
        return None
    band = np.zeros((y1 - y0, x1 - x0), np.uint8)
    for c in _FACE_EDGE_CONTOURS:
        cv2.polylines(band, [np.round(pts[list(c)] - (x0, y0)).astype(np.int32)], True, 1,
                      max(3, int(round(0.02 * width))))
    g = luminance(srgb8_to_linear(photo.srgb[y0:y1, x0:x1]))
    return edge_blur_sigma(g, where=band.astype(bool), quantile=FACE_EDGE_QUANTILE)


def metal_cap(photo, crop, skin: np.ndarray, alpha: np.ndarray, *, body_albedo: float | None = None,
              skin_albedo: float | None = None) -> tuple[float | None, dict]:
    """The most a necklace's median radiance may be (linear luminance): :data:`METAL_X_SKIN` x the skin's
    around it (its median where the chain lies, within ~40 px of it); for a strand of diffuse stones
    (``body_albedo``, their luminance albedo, and ``skin_albedo``, the lighting fit's) the stones' albedo over
    the skin's x the skin's, when that is more. Polished metal (F0's luminance
    0.6-0.9) in a room lit evenly from every side shows F0 / albedo ~ 1.4-1.6 x the skin beside it; less the
    key light's share of the skin's light (a small source the metal mirrors only at glints, which the median
    leaves out: 20-50 % on the dev portraits) and less what the half of a link's normals facing the body
    mirror (the skin beside and under it, in its shade, not the room: ~0.7 of it), about 1. On a clipped
    studio backdrop the lighting fit extrapolates the
    white above the clip (up to 8 x), which a chain facing the camera mostly does not see: it came out a
    flat, glowing white line (frl-london_113-03, inspireface_rise_face; round 2). None where no skin tells."""
    import cv2

    from ..color import luminance, srgb8_to_linear

    near = cv2.dilate((np.asarray(alpha) > 0.1).astype(np.uint8), np.ones((81, 81), np.uint8)).astype(bool)
    where = near & np.asarray(skin, bool)
    if where.sum() < 50:
        return None, {"skin_px": int(where.sum())}
    sy, sx = crop.slices
    lum = luminance(srgb8_to_linear(photo.srgb[sy, sx][where]))
    ref = float(np.median(lum))
    x = METAL_X_SKIN
    if body_albedo and skin_albedo:
        # A pearl is not a mirror: lit as the skin beside it (its lower half faces that skin, its upper the room
        # the skin faces), a diffuse body shows its albedo over the skin's. Held to the skin's level (the metal's
        # rule), the strand on deepface_img8 read grey beside the real pearls of the earring in the same photo
        # (their median 1.7 x the skin's; nacre's albedo 0.79 over the fitted skin's 0.47: 1.7).
        x = max(x, float(body_albedo) / float(skin_albedo))
    return x * ref, {"skin_luminance": round(ref, 4), "cap": round(x * ref, 4), "x_skin": round(x, 3)}


def diffuse_body_albedo(piece) -> float | None:
    """The luminance albedo (under D65) of a necklace's optically thick scattering stones (a strand's pearls),
    None for a chain, a pendant or a tennis line."""
    from ..library import media, optics

    gem = (getattr(piece, "stone", None) or {}).get("gem")
    if piece.band.get("style") != "pearl" or gem not in media.list_medium_stones() or not media.is_optically_thick(gem):
        return None
    wl = np.arange(optics.COLOR_RANGE_NM[0], optics.COLOR_RANGE_NM[1] + 0.5, 5.0)
    return float(optics.reflectance_to_xyz(wl, media.diffuse_albedo(media.medium_stone_data(gem), wl), "D65")[1])


def _chain_own_shade(chain: np.ndarray, skin: np.ndarray, piece, px_per_mm: float) -> np.ndarray:
    """The (h, w, 3) multiplier of the skin that shows in the pixels a fine chain crosses (between its
    wires, inside its links). That skin lies within a wire's width or two of the metal, which hides about
    half the room from it, and the links' undersides mirror it: a share :data:`CHAIN_OWN_SHADE` of it shows
    as the metal's mirror (its normal reflectance F0, per channel) of skin lit :data:`CHAIN_SHADE_LIGHT` as
    much, ``1 - D (1 - s F0)``: darker, and, for gold, more saturated (real fine gold chains on skin read as
    an orange-brown line with glints: ``facerec_rose_leslie_img1``, ``deca_aflw2000_image00408``). Without it
    a sub-pixel chain was its metal's colour averaged with the lit skin's, which the lighting fit makes
    nearly the same: a pale, semi-transparent ghost (round 2's judges on deepface_img1). Over the chain's
    footprint closed across a link's hole; weaker where the wire is wider than a pixel or two (there the
    shade is the contact line's, beside a resolved wire)."""
    import cv2

    c = np.clip(np.asarray(chain, np.float32), 0.0, 1.0)
    if not (c > 0.02).any():
        return np.ones(c.shape + (3,), np.float32)
    band = piece.band
    wire_px = float(band.get("wire_mm", 1.0)) * px_per_mm
    # the link's hole (its inner width: ~0.6 x the link's length less two wires) is inside the chain too
    hole_px = max(0.0, 0.6 * float(band.get("link_mm", 0.0)) - 2.0 * float(band.get("wire_mm", 0.0))) * px_per_mm
    k = 2 * int(np.ceil(max(hole_px, 1.0) / 2.0)) + 1
    touched = np.clip(c / 0.15, 0.0, 1.0)
    touched = cv2.morphologyEx(touched, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    depth = CHAIN_OWN_SHADE * float(np.clip(2.0 / max(wire_px, 1e-3) - 0.5, 0.0, 1.0))
    skin_w = np.clip(cv2.GaussianBlur(np.asarray(skin, np.float32), (0, 0), 0.7), 0.0, 1.0)
    f0 = np.asarray(_metal_f0(piece), np.float32)
    return (1.0 - (depth * touched * skin_w)[..., None] * (1.0 - CHAIN_SHADE_LIGHT * f0)).astype(np.float32)


def _metal_f0(piece) -> tuple:
    """The piece's metal's normal reflectance (linear sRGB); a neutral 0.8 for a metal the library does not
    name (a presets file)."""
    from ..errors import JewelrenderError
    from ..library import materials, optics

    try:
        data = materials.metal(piece.metal).data
    except (JewelrenderError, AttributeError, KeyError):
        return (0.8, 0.8, 0.8)
    # under D65 over the visible range, as the glTF export's base colour (gltf.metal_base_color)
    wl = np.arange(optics.COLOR_RANGE_NM[0], optics.COLOR_RANGE_NM[1] + 0.5, 5.0)
    xyz = optics.reflectance_to_xyz(wl, data.normal_reflectance(wl), "D65")
    return tuple(float(c) for c in np.clip(optics.xyz_to_linear_srgb(xyz), 0.0, 1.0))


def _neck_skin_share(tissue: TissueMasks, det: NeckDetection) -> float:
    """Share of skin in the neck's column: a band a fifth of the shoulder width across, from just below
    the chin to the shoulder line (a turtleneck, a scarf or a high collar leaves little)."""
    pose = det.pose
    chin = det.face.image_px[152]
    mid = (pose.image_px[11] + pose.image_px[12]) / 2
    sw = float(np.linalg.norm(pose.image_px[11] - pose.image_px[12]))
    H, W = tissue.skin.shape
    n = 0
    hit = 0
    for f in np.linspace(0.2, 0.8, 13):
        c = chin + (mid - chin) * f
        for s in np.linspace(-0.1, 0.1, 9) * sw:
            x, y = int(round(c[0] + s)), int(round(c[1]))
            if 0 <= x < W and 0 <= y < H:
                n += 1
                hit += bool(tissue.skin[y, x])
    return hit / n if n else 0.0


NECK = NeckSite()
