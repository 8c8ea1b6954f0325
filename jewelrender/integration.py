"""What the composite needs to make the ring look photographed: silhouette, contact, camera look.

Gathers, for one try-on, the three photo-side inputs of
:func:`jewelrender.composite.composite` (see ``docs/realism.md``):

- ``visible``: where the photo's own finger lets the ring show
  (:mod:`jewelrender.segmentation`);
- ``contact``: the key light's cast shadow and the contact line on the finger
  (:mod:`jewelrender.contact`);
- ``look``: the camera's noise, blur, halo, fringe and JPEG measured around the
  ring (:mod:`jewelrender.camera_look`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Integration", "PhotoSide", "prepare_integration", "photo_side", "finish_integration", "band_thickness_px",
           "setting_footprint", "band_back_mask"]

#: A head (stone and setting) rises at most this far above the band, and is at most this wide, mm.
HEAD_HEIGHT_MM = 10.0
HEAD_RADIUS_MM = 6.0
#: The head faces away from the camera (cosine of its direction with the way to the camera below
#: minus this): the finger hides it, and it rises above no outline.
HEAD_HIDDEN_COS = 0.3


@dataclass
class Integration:
    """Inputs of the composite that come from the photo rather than the render."""

    visible: np.ndarray | None
    contact: np.ndarray | None
    look: object | None
    segmentation: object | None
    report: dict = field(default_factory=dict)


def band_thickness_px(placement, piece) -> float:
    """The band's thickness as seen (px): its thickness in mm at the finger's measured scale."""
    px_per_mm = placement.finger_width_px / max(placement.inner_diameter_mm, 1e-3)
    return float(piece.band.get("thickness_mm", 1.7)) * px_per_mm


def setting_footprint(camera, placement, crop) -> np.ndarray:
    """(h, w) bool: where a head rising from the band's top could project in ``crop``.

    A capsule from the top of the finger to :data:`HEAD_HEIGHT_MM` above it, of
    radius :data:`HEAD_RADIUS_MM`: a stone may stand out past the finger's outline
    when the finger is seen from the side, and must not be cut there.
    """
    import cv2

    r_m = float(placement.finger_radius_m)
    c = np.asarray(placement.center_cam, float)
    up = np.asarray(placement.up_cam, float)
    out = np.zeros((crop.height, crop.width), np.uint8)
    # A head on the far side of the finger (a palm seen from the front) is hidden by it: nothing to
    # exempt there (exempting it let the band's back show past the finger's outline).
    if float(up @ (-c / max(np.linalg.norm(c), 1e-9))) < -HEAD_HIDDEN_COS:
        return out > 0
    p0 = camera.project(c + up * r_m)
    p1 = camera.project(c + up * (r_m + HEAD_HEIGHT_MM / 1000.0))
    px_per_m = placement.finger_width_px / max(2.0 * r_m, 1e-6)
    rad = max(int(round(HEAD_RADIUS_MM / 1000.0 * px_per_m)), 1)
    if np.all(np.isfinite(p0)) and np.all(np.isfinite(p1)):
        a = tuple(int(round(v)) for v in (p0 - [crop.x, crop.y]))
        b = tuple(int(round(v)) for v in (p1 - [crop.x, crop.y]))
        cv2.line(out, a, b, 1, 2 * rad)
        cv2.circle(out, a, rad, 1, -1)
        cv2.circle(out, b, rad, 1, -1)
    return out > 0


def band_back_mask(camera, placement, piece, crop, *, step_deg: float = 3.0) -> np.ndarray:
    """(h, w) bool: where only the back of the band (the half facing away from the camera) projects.

    The band's outer surface as a cylinder about the finger's axis (the bore's radius plus the
    band's thickness, the band's width long), cut in strips; a strip whose normal faces the camera
    is front, else back. Within the real finger's outline the finger hides the back: the proxy
    capsule, the bore's size, is a little narrower than the finger seen (its breadth), so the
    render alone shows the back of the band in a hook at each end.
    """
    import cv2

    r = float(placement.finger_radius_m) + float(piece.band.get("thickness_mm", 1.7)) / 1000.0
    half_w = float(piece.band.get("width_mm", 2.0)) / 2000.0
    c = np.asarray(placement.center_cam, float)
    ax = np.asarray(placement.axis_cam, float)
    ax = ax / max(np.linalg.norm(ax), 1e-12)
    u = np.asarray(placement.up_cam, float)
    u = u - (u @ ax) * ax
    u = u / max(np.linalg.norm(u), 1e-12)
    v = np.cross(ax, u)
    th = np.radians(np.arange(0.0, 360.0 + step_deg, step_deg))
    n = np.cos(th)[:, None] * u + np.sin(th)[:, None] * v
    rims = [c + r * n + s * half_w * ax for s in (-1.0, 1.0)]
    a = camera.project(rims[0]) - [crop.x, crop.y]
    b = camera.project(rims[1]) - [crop.x, crop.y]
    front = np.zeros((crop.height, crop.width), np.uint8)
    back = np.zeros_like(front)
    for i in range(len(th) - 1):
        nm = n[i] + n[i + 1]
        pm = c + r * nm / max(np.linalg.norm(nm), 1e-12)
        quad = np.array([a[i], a[i + 1], b[i + 1], b[i]])
        if not np.all(np.isfinite(quad)):
            continue
        target = front if float(nm @ (-pm)) > 0.0 else back
        cv2.fillConvexPoly(target, np.round(quad * 4).astype(np.int32), 1, cv2.LINE_8, 2)
    return (back > 0) & ~(cv2.dilate(front, np.ones((3, 3), np.uint8)) > 0)


@dataclass
class PhotoSide:
    """The part of :func:`prepare_integration` that needs no render (:func:`photo_side`): the silhouette
    and the camera's look, computed while the piece renders (``Renderer`` runs it on a second thread)."""

    seg: object
    visible: np.ndarray
    hidden_back: np.ndarray
    look: object
    radius: float
    thick: float
    has_head: bool
    cpu_s: dict


def photo_side(photo, hand, camera, placement, piece, crop) -> PhotoSide:
    """Segment the hand and measure the camera's look around ``crop`` (nothing here reads the render)."""
    import cv2

    from .camera_look import measure_look
    from .segmentation import segment_hand, visible_mask

    t = {}
    # Per-thread CPU: this runs beside the render, whose threads process_time() would count too.
    tick = time.thread_time()
    radius = max(0.75 * max(crop.width, crop.height), 2.5 * placement.finger_width_px)
    seg = segment_hand(photo, hand, finger=placement.finger, center_px=placement.center_px,
                       finger_width_px=placement.finger_width_px, radius_px=radius)
    thick = band_thickness_px(placement, piece)
    has_head = bool(piece.stone) or piece.kind != "band"
    exempt = setting_footprint(camera, placement, crop) if has_head else None
    visible = visible_mask(seg, crop, thick, exempt=exempt, finger_width_px=placement.finger_width_px)
    # The real finger hides the band's back wherever the finger is.
    _, own_c = seg.window(crop)
    hidden_back = band_back_mask(camera, placement, piece, crop) & own_c
    visible = visible * (1.0 - cv2.GaussianBlur(hidden_back.astype(np.float32), (0, 0), 0.6))
    t["segmentation_cpu_s"] = time.thread_time() - tick

    tick = time.thread_time()
    hand_w, _ = seg.window(crop)
    # The camera's look is read on the finger's edges around the ring and the skin beside it.
    edge = cv2.morphologyEx(hand_w.astype(np.uint8), cv2.MORPH_GRADIENT, np.ones((5, 5), np.uint8)) > 0
    look = measure_look(photo, crop.x, crop.y, crop.width, crop.height, edges=edge if edge.sum() > 40 else None,
                        skin=hand_w)
    t["look_cpu_s"] = time.thread_time() - tick
    return PhotoSide(seg=seg, visible=visible, hidden_back=hidden_back, look=look, radius=radius, thick=thick,
                     has_head=has_head, cpu_s=t)


def finish_integration(side: PhotoSide, camera, placement, light, crop, alpha) -> Integration:
    """The contact shading under the render's coverage ``alpha`` (of ``crop``), and the report."""
    from .contact import BULGE_STRENGTH, contact_shading, key_in_image

    t = dict(side.cpu_s)
    tick = time.thread_time()
    seg, visible, look = side.seg, side.visible, side.look
    _, own_w = seg.window(crop)
    a = np.clip(alpha, 0, 1) * visible
    info = light.info if light is not None else {}
    key = key_in_image(camera, placement.center_cam, info.get("key_direction"), float(info.get("key_share") or 0.0))
    contact, cinfo = contact_shading(a, own_w, key, side.thick, bulge_strength=BULGE_STRENGTH,
                                     blur_px=look.blur_sigma_px)
    t["contact_cpu_s"] = time.thread_time() - tick

    removed = float((np.clip(alpha, 0, 1) * (1.0 - visible)).sum() / max(float(np.clip(alpha, 0, 1).sum()), 1e-6))
    report = {"segmentation": dict(seg.to_report(), radius_px=round(side.radius, 3),
                                   band_thickness_px=round(side.thick, 2), head_exempt=side.has_head,
                                   coverage_cut=round(removed, 4), band_back_hidden_px=int(side.hidden_back.sum())),
              "contact": dict(cinfo, key_toward_px=None if key is None else [round(float(v), 3) for v in key.toward_px],
                              key_share=None if key is None else round(key.share, 3)),
              "camera_look": look.to_report(),
              "cpu_s": {k: round(v, 4) for k, v in t.items()}}
    return Integration(visible=visible, contact=contact, look=look, segmentation=seg, report=report)


def prepare_integration(photo, hand, camera, placement, piece, light, crop, alpha) -> Integration:
    """Segment, shade the contact and measure the camera's look for one try-on.

    ``alpha`` is the render's coverage of ``crop``. :func:`photo_side` then :func:`finish_integration`.
    """
    return finish_integration(photo_side(photo, hand, camera, placement, piece, crop), camera, placement, light,
                              crop, alpha)
