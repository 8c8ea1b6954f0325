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

__all__ = ["Integration", "PhotoSide", "prepare_integration", "photo_side", "finish_integration",
           "band_thickness_px", "setting_footprint", "band_back_mask", "band_reach_maps", "warp_layers"]

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
    #: ``(map_x, map_y)`` for ``cv2.remap`` of the piece's layers (:func:`band_reach_maps`), or None.
    layer_maps: tuple | None = None
    #: ``(map_x, map_y)`` for ``cv2.remap`` of the photo under the crop (the skin the band presses,
    #: :func:`jewelrender.contact.skin_bulge_maps`), or None.
    photo_maps: tuple | None = None
    #: The most the piece's median radiance (linear luminance, where it covers a pixel) may be, or None:
    #: the composite scales the piece down to it (a fine chain on a clipped studio backdrop, see
    #: :func:`jewelrender.sites.neck.metal_cap`).
    median_cap: float | None = None


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


#: The band's ends are carried out to the finger's segmented outline (:func:`band_reach_maps`) by at most
#: this share of the measured finger width per side: a band short by more is a placement fault, not an edge.
REACH_MAX_SHARE = 0.2
#: A head (stone and setting) keeps its shape: the stretch starts this share of the finger width from the
#: ring's centre on each side (a 1 ct stone is ~0.4 of an adult finger's width across).
HEAD_CORE_SHARE = 0.22


#: Beyond the segmented outline, a dark crease (the gap where the finger meets its neighbour) within this
#: share of the finger width, at least CREASE_MIN_DEPTH darker than the skin inside, with skin again beyond
#: it, is the finger's outline as a viewer sees it: the band may reach it.
CREASE_SEARCH_SHARE = 0.15
CREASE_MIN_DEPTH = 0.12


def _crease_beyond(gray, along, s, a_lo, a_hi, reach, fw):
    """Distance (the ``s`` frame) of a dark crease just beyond ``reach`` on the rows ``a_lo .. a_hi``, or None.

    A valley, not a step: the luminance across the finger drops by CREASE_MIN_DEPTH below the skin's
    inside the outline and rises again beyond it (a dark background beside the finger is no crease)."""
    rows = (along >= a_lo) & (along <= a_hi)
    lo, hi = reach - 0.1 * fw, reach + CREASE_SEARCH_SHARE * fw + 0.1 * fw
    sel = rows & (s >= lo) & (s <= hi)
    if sel.sum() < 10:
        return None
    k = np.round(s[sel] - lo).astype(np.int64)
    sums = np.bincount(k, weights=gray[sel])
    cnt = np.bincount(k)
    ok = cnt > 0
    prof = np.where(ok, sums / np.maximum(cnt, 1), np.nan)
    pos = np.arange(len(prof)) + lo
    inside = ok & (pos < reach - 1.0)
    if inside.sum() < 2:
        return None
    ref = float(np.nanmedian(prof[inside]))
    search = ok & (pos > reach + 0.5) & (pos <= reach + CREASE_SEARCH_SHARE * fw)
    if not search.any():
        return None
    i = int(np.nanargmin(np.where(search, prof, np.inf)))
    vmin = float(prof[i])
    if vmin > (1.0 - CREASE_MIN_DEPTH) * ref:
        return None
    after = ok & (pos > pos[i]) & (pos <= pos[i] + 0.1 * fw)
    if not after.any() or float(np.nanmax(prof[after])) < vmin + 0.5 * (ref - vmin):
        return None
    return float(pos[i])


def band_reach_maps(alpha, allowed, axis_px, center_px, crop, finger_width_px, *, has_head: bool,
                    gray=None, others=None):
    """``(map_x, map_y, info)``: a remap that carries each end of the band out to where the finger lets it show.

    The render's band ends where the proxy capsule does: the capsule is the bore's size, a little
    narrower than the finger seen, and the landmarks' axis can sit off the finger's centre, so one end
    (or both) stopped short of the real finger's outline (issue 14, round four: "the shank stops 7 px
    short of the finger's right silhouette"). ``allowed`` (h, w bool) is where the ring may show
    (:func:`jewelrender.segmentation.visible_mask` without a head's exemption: the finger's outline
    plus the sliver). Across the finger (the ``axis_px`` frame), each side of the band beyond
    :data:`HEAD_CORE_SHARE` of the width from ``center_px`` (0 for a plain band) is stretched so its
    end reaches ``allowed``'s edge on the rows where that end lies; never shrunk (an overhang is cut
    by the mask), at most :data:`REACH_MAX_SHARE` of the width longer. None where nothing is short.

    With ``gray`` (the photo's luminance over the crop) a dark crease just beyond the segmented outline
    (:func:`_crease_beyond`) moves that end's target out to it (the segmentation may stop a few px inside
    the crease between two touching fingers: 8 px on the dorsal 11K photo, where round four's judges saw
    the shank stop short); the 4th element is then where the ring may show in addition (that strip,
    less ``others``, the other fingers), else None.
    """
    a = np.asarray(alpha, np.float32)
    solid = a > 0.5
    if solid.sum() < 8 or len(axis_px) != 2 or not allowed.any():
        return None
    mcp = np.asarray(axis_px[0], float) - [crop.x, crop.y]
    pip = np.asarray(axis_px[1], float) - [crop.x, crop.y]
    ax = (pip - mcp) / max(float(np.hypot(*(pip - mcp))), 1e-6)
    n = np.array([-ax[1], ax[0]])   # across the finger
    h, w = a.shape
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    along = (gx - mcp[0]) * ax[0] + (gy - mcp[1]) * ax[1]
    across = (gx - mcp[0]) * n[0] + (gy - mcp[1]) * n[1]
    c = np.asarray(center_px, float) - [crop.x, crop.y]
    p = float((c - mcp) @ n)
    fw = float(finger_width_px)
    core = HEAD_CORE_SHARE * fw if has_head else 0.0
    v_src = across.copy()
    info = {}
    extra = None
    for sign, name in ((1.0, "right"), (-1.0, "left")):
        side = solid & (sign * (across - p) > core)
        if side.sum() < 3:
            continue
        s_band = sign * (across[side] - p)
        end = float(s_band.max())
        # The rows (along the finger) where this end lies, and how far the finger lets the ring show there.
        at_end = side.copy()
        at_end[side] = s_band >= end - 1.5
        # Row by row (1 px bins along the finger) the furthest the ring may show; their median, so a
        # slanted outline is met on average and the mask cuts the rest along the outline itself.
        bins = np.round(along).astype(np.int64)
        reach_rows = []
        for b in range(int(bins[at_end].min()), int(bins[at_end].max()) + 1):
            row = allowed & (bins == b) & (sign * (across - p) > 0)
            if row.any():
                reach_rows.append(float((sign * (across[row] - p)).max()))
        if not reach_rows:
            continue
        reach = float(np.median(reach_rows)) - 0.5
        if gray is not None:
            a_lo, a_hi = float(along[at_end].min()) - 1.0, float(along[at_end].max()) + 1.0
            s_all = sign * (across - p)
            crease = _crease_beyond(gray, along, s_all, a_lo, a_hi, reach + 0.5, fw)
            if crease is not None:
                strip = (along >= a_lo - 1.0) & (along <= a_hi + 1.0) & (s_all > reach) & (s_all <= crease)
                if others is not None:
                    strip &= ~others
                extra = strip if extra is None else extra | strip
                reach = crease - 1.0
                info[name + "_crease_px"] = round(crease - float(np.median(reach_rows)), 2)
        gain = min(reach - end, REACH_MAX_SHARE * fw)
        info[name + "_px"] = round(max(gain, 0.0), 2)
        if gain < 0.5 or end - core < 1.0:
            continue
        scale = (end + gain - core) / (end - core)
        out = sign * (across - p) > core
        # Output at distance s from the centre shows the render's s' = core + (s - core) / scale.
        s_out = sign * (across - p)
        v_src = np.where(out, p + sign * (core + (s_out - core) / scale), v_src)
    if not any(v >= 0.5 for k, v in info.items() if not k.endswith("_crease_px")):
        return None
    shift = (v_src - across).astype(np.float32)
    return gx + shift * np.float32(n[0]), gy + shift * np.float32(n[1]), info, extra


def warp_layers(layers, maps):
    """The piece's own layers (radiance, coverage, stones) remapped by ``maps`` (:func:`band_reach_maps`);
    the proxies' lighting (the skin's shadow) is left as rendered."""
    import cv2
    import dataclasses

    if maps is None:
        return layers
    mx, my = maps[0], maps[1]

    def rm(img):
        return cv2.remap(np.ascontiguousarray(img, np.float32), mx, my, interpolation=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=0)

    return dataclasses.replace(layers, jewel=rm(layers.jewel), alpha=rm(layers.alpha), stone=rm(layers.stone))


@dataclass
class PhotoSide:
    """The part of :func:`prepare_integration` that needs no render (:func:`photo_side`): the silhouette
    and the camera's look, computed while the piece renders (``Renderer`` runs it on a second thread)."""

    seg: object
    visible: np.ndarray
    bare: np.ndarray
    gray: np.ndarray
    back: np.ndarray
    look: object
    radius: float
    thick: float
    has_head: bool
    cpu_s: dict


def photo_side(photo, hand, camera, placement, piece, crop) -> PhotoSide:
    """Segment the hand and measure the camera's look around ``crop`` (nothing here reads the render)."""
    import cv2

    from .camera_look import measure_look
    from .color import luminance, srgb8_to_linear
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
    # Where the bare band may show (no head's exemption): how far its ends are carried out (finish_integration).
    bare = visible if exempt is None else visible_mask(seg, crop, thick, finger_width_px=placement.finger_width_px)
    sy, sx = crop.slices
    gray = luminance(srgb8_to_linear(photo.srgb[sy, sx])).astype(np.float32)
    # The real finger hides the band's back wherever the finger is.
    _, own_c = seg.window(crop)
    back = band_back_mask(camera, placement, piece, crop) & own_c
    t["segmentation_cpu_s"] = time.thread_time() - tick

    tick = time.thread_time()
    hand_w, _ = seg.window(crop)
    # The camera's look is read on the finger's edges around the ring and the skin beside it.
    edge = cv2.morphologyEx(hand_w.astype(np.uint8), cv2.MORPH_GRADIENT, np.ones((5, 5), np.uint8)) > 0
    look = measure_look(photo, crop.x, crop.y, crop.width, crop.height, edges=edge if edge.sum() > 40 else None,
                        skin=hand_w)
    t["look_cpu_s"] = time.thread_time() - tick
    return PhotoSide(seg=seg, visible=visible, bare=bare, gray=gray, back=back, look=look, radius=radius,
                     thick=thick, has_head=has_head, cpu_s=t)


def finish_integration(side: PhotoSide, camera, placement, light, crop, alpha) -> Integration:
    """The band's reach to the outline, the contact shading under the render's coverage ``alpha`` (of
    ``crop``), and the report."""
    import cv2

    from .contact import BULGE_STRENGTH, contact_shading, key_in_image, skin_bulge_maps

    t = dict(side.cpu_s)
    tick = time.thread_time()
    seg, visible, look, thick = side.seg, side.visible, side.look, side.thick
    # The band's ends carried out to the finger's outline where the render stops short of it.
    maps = band_reach_maps(alpha, side.bare > 0.5, seg.axis_px, placement.center_px, crop,
                           placement.finger_width_px, has_head=side.has_head, gray=side.gray,
                           others=seg.other_fingers(crop))
    if maps is not None and maps[3] is not None:
        # the strip up to the crease: anti-aliased as the mask's own cut
        visible = np.maximum(visible, cv2.GaussianBlur(maps[3].astype(np.float32), (0, 0), 0.6))
    hidden_back = side.back
    if maps is not None:
        alpha = cv2.remap(np.ascontiguousarray(alpha, np.float32), maps[0], maps[1], interpolation=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        # the back's hook moves out with the band's end
        hidden_back = cv2.remap(hidden_back.astype(np.float32), maps[0], maps[1], interpolation=cv2.INTER_LINEAR) > 0.5
    visible = visible * (1.0 - cv2.GaussianBlur(hidden_back.astype(np.float32), (0, 0), 0.6))
    t["segmentation_cpu_s"] += time.thread_time() - tick

    tick = time.thread_time()
    _, own_w = seg.window(crop)
    a = np.clip(alpha, 0, 1) * visible
    info = light.info if light is not None else {}
    key = key_in_image(camera, placement.center_cam, info.get("key_direction"), float(info.get("key_share") or 0.0))
    contact, cinfo = contact_shading(a, own_w, key, thick, bulge_strength=BULGE_STRENGTH,
                                     blur_px=look.blur_sigma_px)
    bulge = None
    if len(seg.axis_px) == 2:
        axis = np.asarray(seg.axis_px[1], float) - np.asarray(seg.axis_px[0], float)
        bulge = skin_bulge_maps(a, own_w, thick, axis, np.asarray(placement.center_px, float) - [crop.x, crop.y])
    if bulge is not None:
        cinfo["bulge_px"] = bulge[2]["bulge_px"]
    t["contact_cpu_s"] = time.thread_time() - tick

    removed = float((np.clip(alpha, 0, 1) * (1.0 - visible)).sum() / max(float(np.clip(alpha, 0, 1).sum()), 1e-6))
    report = {"segmentation": dict(seg.to_report(), radius_px=round(side.radius, 3),
                                   band_thickness_px=round(thick, 2), head_exempt=side.has_head,
                                   coverage_cut=round(removed, 4),
                                   band_reach_px=None if maps is None else maps[2],
                                   band_back_hidden_px=int(hidden_back.sum())),
              "contact": dict(cinfo, key_toward_px=None if key is None else [round(float(v), 3) for v in key.toward_px],
                              key_share=None if key is None else round(key.share, 3)),
              "camera_look": look.to_report(),
              "cpu_s": {k: round(v, 4) for k, v in t.items()}}
    return Integration(visible=visible, contact=contact, look=look, segmentation=seg, report=report,
                       layer_maps=None if maps is None else maps[:2], photo_maps=None if bulge is None else bulge[:2])


def prepare_integration(photo, hand, camera, placement, piece, light, crop, alpha) -> Integration:
    """Segment, shade the contact and measure the camera's look for one try-on.

    ``alpha`` is the render's coverage of ``crop``. :func:`photo_side` then :func:`finish_integration`.
    """
    return finish_integration(photo_side(photo, hand, camera, placement, piece, crop), camera, placement, light,
                              crop, alpha)
