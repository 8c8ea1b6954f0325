"""Hair around the ear, and the photo's side of an earring's composite (hair in front, contact, camera look).

No hair model is downloaded. The hair is what is part of the person (MediaPipe Pose's
person mask) but is not skin, and is coloured like the hair on top of the head:

* the **skin** model: CIELAB mean and spread of patches at cheek and forehead points of the
  face mesh (:data:`SKIN_POINTS`);
* the **hair** model: the same for person-mask pixels 15-40 mm above the forehead's top
  point that are unlike the skin (none when the head is bald or the hair is out of frame:
  then nothing is called hair);
* a pixel is hair when it is in the person and nearer the hair model than the skin model
  (distances in each model's own spread), and within 3.5 spreads of the hair.

The ear site asks how much of the ear (a disc above the lobe, towards the tragus) is hair
(:meth:`HairModel.ear_cover`) to decide whether the ear shows at all, and in the composite
hair in front of the ear hides the earring where the hair is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["HairModel", "hair_model", "ear_integration", "ear_integration_before_render", "SKIN_POINTS"]

#: Cheek and forehead mesh points: skin (no lips, brows, eyes, nostrils).
SKIN_POINTS = (50, 280, 205, 425, 187, 411, 117, 346, 101, 330, 151, 9, 108, 337, 36, 266)
_FOREHEAD_TOP = 10
#: The ear's hair is judged above the lobe, in a disc of this radius (mm).
_EAR_DISC_MM = 6.0
#: With this much of the ear under hair the hair is taken to lie over the ear (in front of an earring).
HAIR_IN_FRONT_COVER = 0.3
_HAIR_MAX_DIST = 3.5


def _lab(srgb8: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(np.ascontiguousarray(srgb8), cv2.COLOR_RGB2LAB).astype(np.float32)


def _model(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    med = np.median(samples, axis=0)
    mad = np.median(np.abs(samples - med), axis=0) * 1.4826
    # skin in shade and light differs mostly in lightness: the spread in L* is kept wide
    return med, np.maximum(mad, [20.0, 3.0, 3.0])


def _dist(lab: np.ndarray, model) -> np.ndarray:
    mean, spread = model
    return np.sqrt((((lab - mean) / spread) ** 2).sum(axis=-1) / 3.0)


@dataclass
class HairModel:
    """Colour models of the face's skin and the head's hair, and the photo's person mask."""

    srgb: np.ndarray
    person: np.ndarray | None
    skin: tuple
    hair: tuple | None

    def hair_mask(self, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        """(y1 - y0, x1 - x0) float in [0, 1]: hair in this window of the photo."""
        h, w = y1 - y0, x1 - x0
        if self.hair is None or self.person is None or h <= 0 or w <= 0:
            return np.zeros((max(h, 0), max(w, 0)), np.float32)
        lab = _lab(self.srgb[y0:y1, x0:x1])
        dh, ds = _dist(lab, self.hair), _dist(lab, self.skin)
        person = self.person[y0:y1, x0:x1] > 0.5
        return (person & (dh < ds) & (dh < _HAIR_MAX_DIST)).astype(np.float32)

    def on_body(self, pts_px: np.ndarray) -> np.ndarray:
        """(N,) bool: the points are on the person (the pose model's mask) and skin-coloured."""
        pts = np.asarray(pts_px, float).reshape(-1, 2)
        H, W = self.srgb.shape[:2]
        x = np.clip(np.round(pts[:, 0]).astype(int), 0, W - 1)
        y = np.clip(np.round(pts[:, 1]).astype(int), 0, H - 1)
        inside = (pts[:, 0] >= 0) & (pts[:, 0] < W) & (pts[:, 1] >= 0) & (pts[:, 1] < H)
        skin = _dist(_lab(self.srgb[y, x][None]).reshape(-1, 3), self.skin) < 2.5
        person = self.person[y, x] > 0.5 if self.person is not None else np.ones(len(pts), bool)
        return inside & skin & person

    def in_person(self, pts_px: np.ndarray) -> np.ndarray:
        """(N,) bool: the points are on the person (True everywhere without a mask)."""
        pts = np.asarray(pts_px, float).reshape(-1, 2)
        if self.person is None:
            return np.ones(len(pts), bool)
        H, W = self.person.shape
        x = np.clip(np.round(pts[:, 0]).astype(int), 0, W - 1)
        y = np.clip(np.round(pts[:, 1]).astype(int), 0, H - 1)
        return self.person[y, x] > 0.5

    def ear_cover(self, tragus_px, lobe_px, mm_per_px: float) -> float:
        """Share of a disc over the ear just above the lobe (towards the tragus point) under hair.

        The smaller of two readings, each of which alone errs towards "covered": the share that
        is hair-coloured (shaded ear skin can be as dark as the hair) and the share that is not
        skin-coloured (a piercing predicted a few mm off the ear lands on the hair beside it).
        """
        lobe = np.asarray(lobe_px, float)
        d = np.asarray(tragus_px, float) - lobe
        n = float(np.linalg.norm(d))
        r = _EAR_DISC_MM / mm_per_px
        c = lobe + d / max(n, 1e-9) * min(0.5 * n, r)
        H, W = self.srgb.shape[:2]
        x0, y0 = int(max(0, c[0] - r)), int(max(0, c[1] - r))
        x1, y1 = int(min(W, c[0] + r + 1)), int(min(H, c[1] + r + 1))
        if x1 <= x0 or y1 <= y0:
            return 0.0
        yy, xx = np.mgrid[y0:y1, x0:x1]
        disc = (xx - c[0]) ** 2 + (yy - c[1]) ** 2 <= r * r
        if not disc.any():
            return 0.0
        skin = self.on_body(np.column_stack([xx[disc], yy[disc]]).astype(float))
        hair = self.hair_mask(x0, y0, x1, y1)[disc]
        return float(min(1.0 - skin.mean(), hair.mean()))


def hair_model(photo, face, person_mask, mm_per_px: float) -> HairModel:
    """Skin and hair colour models of this face (see the module's docstring)."""
    srgb = np.asarray(photo.srgb)
    H, W = srgb.shape[:2]
    r = max(1, int(round(2.0 / mm_per_px)))
    patches = []
    for i in SKIN_POINTS:
        x, y = (int(round(v)) for v in face.image_px[i])
        if r <= x < W - r and r <= y < H - r:
            patches.append(srgb[y - r:y + r + 1, x - r:x + r + 1].reshape(-1, 3))
    skin = _model(_lab(np.concatenate(patches)[None]).reshape(-1, 3)) if patches else \
        (np.array([60.0, 15.0, 15.0]), np.array([15.0, 6.0, 6.0]))
    hair = None
    if person_mask is not None:
        top = face.image_px[_FOREHEAD_TOP]
        up = face.image_px[_FOREHEAD_TOP] - face.image_px[152]
        up /= max(float(np.linalg.norm(up)), 1e-9)
        side = np.array([-up[1], up[0]])
        pts = [top + up * (s / mm_per_px) + side * (k / mm_per_px)
               for s in np.arange(15.0, 41.0, 2.5) for k in np.arange(-30.0, 31.0, 5.0)]
        pts = np.asarray(pts)
        ok = (pts[:, 0] >= 0) & (pts[:, 0] < W) & (pts[:, 1] >= 0) & (pts[:, 1] < H)
        pts = pts[ok].astype(int)
        if len(pts):
            inside = person_mask[pts[:, 1], pts[:, 0]] > 0.5
            lab = _lab(srgb[pts[:, 1], pts[:, 0]][None]).reshape(-1, 3)
            cand = lab[inside & (_dist(lab, skin) > 3.0)]
            if len(cand) >= 12:
                hair = _model(cand)
    return HairModel(srgb=srgb, person=person_mask, skin=skin, hair=hair)


def ear_integration(photo, detection, camera, placement, piece, light, crop, alpha):
    """The photo's side of one ear's composite: hair in front, the contact shadow, the camera's look.

    ``placement`` is one ear's (:class:`jewelrender.sites.ear.EarSide`); the hair mask of the
    try-on's head comes from the whole placement's model via the ear's visibility record.
    """
    return ear_integration_before_render(photo, detection, camera, placement, piece, light, crop)(alpha)


def ear_integration_before_render(photo, detection, camera, placement, piece, light, crop):
    """:func:`ear_integration` in two steps: the hair, the skin and the camera's look, which need no render,
    now; ``finish(alpha)`` adds the contact shadow once the piece's coverage is known (the pipeline runs
    the first step beside the render)."""
    import cv2

    from .camera_look import measure_look
    from .contact import key_in_image

    model = hair_model(photo, detection.face, detection.person_mask, placement.fit.mm_per_px)
    x0, y0 = crop.x, crop.y
    hair = model.hair_mask(x0, y0, x0 + crop.width, y0 + crop.height)
    cover = float(placement.visibility.get("hair_cover") or 0.0)
    in_front = cover >= HAIR_IN_FRONT_COVER
    # Hair over the ear is in front of the earring; hair below a bare ear hangs behind it.
    visible = 1.0 - cv2.GaussianBlur(hair, (0, 0), 0.8) if in_front else np.ones_like(hair)
    skin = (model.person[y0:y0 + crop.height, x0:x0 + crop.width] > 0.5) & (hair < 0.5) \
        if model.person is not None else np.ones_like(hair, bool)
    info = light.info if light is not None else {}
    key = key_in_image(camera, placement.center_cam, info.get("key_direction"), float(info.get("key_share") or 0.0))
    thick_px = 1.5 / placement.fit.mm_per_px
    look = measure_look(photo, crop.x, crop.y, crop.width, crop.height, edges=None, skin=skin)

    def finish(alpha):
        from .contact import contact_shading
        from .integration import Integration

        a = np.clip(alpha, 0, 1) * visible
        contact, cinfo = contact_shading(a, skin, key, thick_px)
        hidden = float((np.clip(alpha, 0, 1) * (1.0 - visible)).sum() / max(float(np.clip(alpha, 0, 1).sum()), 1e-6))
        report = {"hair": {"model": model.hair is not None, "ear_cover": round(cover, 3), "in_front": in_front,
                           "coverage_hidden": round(hidden, 4)},
                  "contact": cinfo, "camera_look": look.to_report()}
        return Integration(visible=visible.astype(np.float32), contact=contact, look=look, segmentation=None,
                           report=report)

    return finish
