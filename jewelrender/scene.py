"""Stage 5a: the render scene as plain data.

:func:`build_scene` is pure (no Mitsuba needed): it places the piece's meshes on
the finger, meshes the body proxies, chooses the crop of the photo to render and
collects BSDF descriptions. :mod:`jewelrender.render` turns the result into
Mitsuba scenes. Everything is in the camera frame (OpenCV axes), metres; piece
meshes are authored in millimetres in the piece frame (ring axis +Z, head +Y).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .sites.proxies import capsule_meshes

__all__ = ["SceneMesh", "SceneSpec", "Crop", "build_scene", "piece_to_camera", "stone_bsdf_dict", "stone_material",
           "crease_gain", "footprint", "SHADOW_REACH_MM"]


def stone_bsdf_dict(gem_name: str, length_unit_m: float = 1.0, *, dispersive: bool = True) -> dict:
    """Mitsuba BSDF of a gem or gem variety ("diamond", "ruby", "diamond-h", ...).

    The dispersive dielectric with the gem's own dispersion law and, for coloured
    varieties, its body absorption (Beer-Lambert) converted to the scene's length
    unit: try-on scenes are in metres (the default), benchmarks in millimetres
    (``length_unit_m=1e-3``).
    """
    from .library import materials

    return materials.gem_bsdf_dict(gem_name, length_unit_m=length_unit_m, dispersive=dispersive)


def stone_material(gem_name: str, *, dispersive: bool = True, thick_media: str = "volume") -> dict:
    """A stone's material for the try-on scene (metres): ``{"bsdf": ..., "interior": ... | None}``.

    Transparent gems and varieties get the dispersive dielectric
    (:func:`stone_bsdf_dict`); the scattering stones of :mod:`jewelrender.library.media`
    (opal, moonstone, turquoise, onyx, pearl) a dielectric surface over a
    homogeneous interior medium; with ``thick_media="surface"`` the optically thick
    ones (turquoise, onyx, pearl) their diffusion limit (:func:`media.surface_limit`).
    """
    from .library import media

    if gem_name in media.list_medium_stones():
        if thick_media == "surface" and media.is_optically_thick(gem_name):
            return media.surface_limit(gem_name)
        return dict(media.medium_stone(gem_name, unit="m"))
    return {"bsdf": stone_bsdf_dict(gem_name, dispersive=dispersive), "interior": None}


@dataclass(frozen=True)
class Crop:
    """A rectangle of the photo, pixels: columns [x, x+width), rows [y, y+height)."""

    x: int
    y: int
    width: int
    height: int

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.y, self.y + self.height), slice(self.x, self.x + self.width)

    def to_report(self) -> list[int]:
        return [self.x, self.y, self.width, self.height]


@dataclass
class SceneMesh:
    """A triangle mesh in the camera frame (metres) with its BSDF as a scene-dict entry."""

    name: str
    role: str                  # "metal" | "stone" | "proxy"
    vertices: np.ndarray       # (N, 3) float32
    faces: np.ndarray          # (M, 3) uint32
    normals: np.ndarray | None
    bsdf: dict
    texcoords: np.ndarray | None = None   # (N, 2) float32, uv in [0, 1]^2 over the photo (v down)
    emission: np.ndarray | None = None    # (h, w, 3) float32 linear radiance texture, looked up at texcoords
    interior: dict | None = None          # scene-dict medium inside a closed mesh (scattering stones)
    #: (K, 4, 4) transforms from the mesh's own frame to the camera frame: drawn K times (the renderer
    #: bakes the copies into one mesh); ``vertices``/``normals`` are then in the mesh's own frame.
    instances: np.ndarray | None = None


@dataclass
class SceneSpec:
    """Everything a render needs, as plain data (see :mod:`jewelrender.render`)."""

    width: int                 # photo size in pixels
    height: int
    fx: float
    fy: float
    cx: float
    cy: float
    crop: Crop
    jewel: list[SceneMesh]
    proxies: list[SceneMesh]
    env: object                # lighting.EnvMap
    supersample: int           # sub-pixels per pixel side, one sample each
    passes: int
    max_depth: int
    meta: dict = field(default_factory=dict)
    #: (crop h, crop w) bool: the only pixels to render (the piece's footprint and where its shadow can fall
    #: on a proxy; :func:`footprint`); None renders the whole crop.
    pixels: np.ndarray | None = None


def piece_to_camera(center_m, axis, up) -> np.ndarray:
    """4x4 matrix taking piece-frame millimetres to camera-frame metres."""
    z = np.asarray(axis, float)
    z = z / np.linalg.norm(z)
    y = np.asarray(up, float)
    y = y - z * (y @ z)
    y = y / np.linalg.norm(y)
    x = np.cross(y, z)
    M = np.eye(4)
    M[:3, :3] = np.stack([x, y, z], axis=1) * 1e-3
    M[:3, 3] = center_m
    return M


def _transform(vertices, normals, M):
    v = vertices.astype(np.float64) @ M[:3, :3].T + M[:3, 3]
    n = None
    if normals is not None:
        R = M[:3, :3] / np.linalg.norm(M[:3, 0])
        n = normals.astype(np.float64) @ R.T
        n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
        n = n.astype(np.float32)
    return v.astype(np.float32), n


def _crop_for(points_cam: np.ndarray, camera, margin: float, multiple: int, min_aspect: float = 1.0) -> Crop:
    """The square crop around the piece's projection (``margin`` x its larger side), or, with
    ``min_aspect`` < 1, a rectangle whose shorter side is at least that share of the longer one."""
    uv = camera.project(points_cam)
    lo, hi = uv.min(axis=0), uv.max(axis=0)
    centre = (lo + hi) / 2
    extent = (hi - lo) * margin + 8
    sides = np.maximum(extent, max(extent) * min_aspect)

    def fit(side, limit):
        w = int(np.ceil(side / multiple) * multiple)
        w = min(w, (limit // multiple) * multiple or limit)
        return max(w, min(multiple, limit))

    if min_aspect >= 1.0:
        w = min(fit(max(extent), camera.width), fit(max(extent), camera.height))
        cw, ch = w, w
    else:
        cw, ch = fit(sides[0], camera.width), fit(sides[1], camera.height)
    x = int(np.clip(round(centre[0] - cw / 2), 0, camera.width - cw))
    y = int(np.clip(round(centre[1] - ch / 2), 0, camera.height - ch))
    return Crop(x, y, cw, ch)


#: Around the piece's footprint, the pixels a sparse render keeps for anti-aliasing (px), and how far
#: (mm at the piece's depth) its shadow on a proxy can reach: the key light's offset of a link standing
#: a few mm off the proxy (the neck's render capsule lies 2-6 mm inside the skin) at up to ~60 degrees.
FOOTPRINT_EDGE_PX = 2
SHADOW_REACH_MM = 10.0


def footprint(crop: Crop, camera, pieces_px: list[np.ndarray], proxies: list[SceneMesh], px_per_mm: float) -> np.ndarray:
    """The crop's pixels a render needs when the piece covers a small share of it (a chain across the
    chest): each part's (or instance's) projected convex hull, grown by :data:`FOOTPRINT_EDGE_PX`, and,
    where a proxy lies under it in the image, by :data:`SHADOW_REACH_MM` (the render's shadow falls only
    on proxies; elsewhere lit_with = lit_without and nothing of the piece shows)."""
    import cv2

    h, w = crop.height, crop.width
    fp = np.zeros((h, w), np.uint8)
    origin = np.array([crop.x, crop.y], float)
    for pts in pieces_px:
        for hull_pts in pts:
            hull = cv2.convexHull(np.round(hull_pts - origin).astype(np.int32))
            cv2.fillConvexPoly(fp, hull, 1)
    prox = np.zeros((h, w), np.uint8)
    for m in proxies:
        uv = camera.project(np.asarray(m.vertices, np.float64)) - origin
        tris = np.round(uv[np.asarray(m.faces, np.int64)]).astype(np.int32)
        # one triangle at a time: fillPoly fills its contours together by the even-odd rule, so a capsule's
        # front and back faces cancelled and the proxy's area came out in streaks (the render's shadow on
        # the neck was sampled in vertical lines: a faint striped line above a pendant)
        for tri in tris:
            cv2.fillConvexPoly(prox, tri, 1)

    def grow(mask, r):
        r = max(int(np.ceil(r)), 0)
        return cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))

    near = grow(fp, FOOTPRINT_EDGE_PX)
    shadow = grow(fp, SHADOW_REACH_MM * px_per_mm) & prox
    return (near | shadow).astype(bool)


#: Side of the square photo texture the body proxy emits (reflections of skin are blurry anyway).
BODY_TEXTURE_SIDE = 768


#: The skin beside the band lies in the crease the band makes with the finger: the metal blocks most of
#: the room's light there. The photo shows that skin lit (no ring in it), so reflected as is, the band's
#: rounded edges mirrored bright skin and the band read as glass (issue 14, second blind round). The
#: emitted photo is darkened by up to CREASE_DEPTH over the band's footprint on its finger, falling off
#: over CREASE_FALLOFF band thicknesses (at least CREASE_MIN_PX) either side of it.
CREASE_DEPTH = 0.65
CREASE_FALLOFF = 1.5
CREASE_MIN_PX = 2.0


def crease_gain(shape, placement, piece, *, scale: float = 1.0) -> np.ndarray | None:
    """(h, w) gain on the photo the body emits: the band's crease on its finger (see CREASE_DEPTH).

    ``shape`` is the texture's (h, w); ``scale`` the texture's pixels per photo pixel. None for a
    piece without a band or a placement without the finger's image measures.
    """
    band = getattr(piece, "band", None) or {}
    try:
        c = np.asarray(placement.center_px, float) * scale
        ax = np.asarray(placement.axis_px, float)
        fw = float(placement.finger_width_px) * scale
        px_per_mm = fw / max(float(placement.inner_diameter_mm), 1e-3)
    except (AttributeError, TypeError, ValueError):
        return None
    if not (band and np.all(np.isfinite(c)) and np.all(np.isfinite(ax)) and np.isfinite(fw) and fw > 0):
        return None
    ax = ax / max(np.linalg.norm(ax), 1e-9)
    half = 0.5 * float(band.get("width_mm", 2.0)) * px_per_mm
    fall = max(CREASE_FALLOFF * float(band.get("thickness_mm", 1.7)) * px_per_mm, CREASE_MIN_PX * scale)
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    dx, dy = xx + 0.5 - c[0], yy + 0.5 - c[1]
    along = np.abs(dx * ax[0] + dy * ax[1])
    lateral = np.abs(-dx * ax[1] + dy * ax[0])
    near = np.exp(-np.maximum(along - half, 0.0) / fall)
    on_finger = 1.0 / (1.0 + np.exp(np.clip((lateral - 0.6 * fw) / max(0.08 * fw, 0.5), -50.0, 50.0)))
    return (1.0 - CREASE_DEPTH * near * on_finger).astype(np.float32)


def _body_mesh(camera, capsules, photo_linear: np.ndarray, *, placement=None, piece=None, surface=None) -> SceneMesh:
    """All proxy capsules as one mesh that shows the photo's own pixels.

    The body is what the piece reflects and refracts (the finger inside a band, the
    skin under a stone). Rather than re-light a guessed skin albedo, each proxy
    vertex takes the photo's pixel it projects to: the body *emits* what the camera
    saw there (black BSDF), so reflections show the customer's real skin, noise-free
    and at the photo's exposure. One mesh, so Mitsuba's uniform choice among
    emitters gives the environment half the light samples.
    """
    import cv2

    # Every capsule meshed at once (each exactly as capsule_mesh makes it; ~25x fewer NumPy calls).
    v, faces, normals = capsule_meshes([c.p0 for c in capsules], [c.p1 for c in capsules],
                                       [c.radius for c in capsules])
    if surface is not None:
        # the site's own patch of skin (camera frame: vertices, faces, normals), in the same mesh and texture
        sv, sf, sn = surface
        faces = np.concatenate([np.asarray(faces, np.int64), np.asarray(sf, np.int64) + len(v)])
        v = np.concatenate([np.asarray(v, np.float64), np.asarray(sv, np.float64)])
        normals = np.concatenate([np.asarray(normals, np.float64), np.asarray(sn, np.float64)])
    uv = camera.project(v.astype(np.float64)) / np.array([camera.width, camera.height])
    scale = min(1.0, BODY_TEXTURE_SIDE / max(photo_linear.shape[:2]))
    tex = photo_linear if scale >= 1.0 else cv2.resize(
        photo_linear, (max(1, round(photo_linear.shape[1] * scale)), max(1, round(photo_linear.shape[0] * scale))),
        interpolation=cv2.INTER_AREA)
    if placement is not None and piece is not None:
        gain = crease_gain(tex.shape[:2], placement, piece, scale=min(1.0, scale))
        if gain is not None:
            tex = tex * gain[..., None]
    # Always BODY_TEXTURE_SIDE square (only the short side, or a small photo, is enlarged): the texture's
    # resolution is a literal of the emitter's lookup, so a photo of another shape compiled the whole
    # render kernel again (~2-4 s on 2 cores); the UVs are in [0, 1] whatever the resolution.
    tex = cv2.resize(tex, (BODY_TEXTURE_SIDE, BODY_TEXTURE_SIDE), interpolation=cv2.INTER_LINEAR)
    black = {"type": "diffuse", "reflectance": {"type": "rgb", "value": [0.0, 0.0, 0.0]}}
    return SceneMesh("body", "proxy", v, faces, normals, black,
                     texcoords=np.clip(uv, 0.0, 1.0).astype(np.float32),
                     emission=np.array(tex, dtype=np.float32, order="C", copy=True))  # writable: mi.Bitmap refuses read-only arrays


def build_scene(camera, placement, piece, lighting, quality, *, metal_bsdf: dict, stones: dict | None,
                photo_linear: np.ndarray, parts=None, metal_bsdf_no_uv: dict | None = None,
                part_materials: dict | None = None) -> SceneSpec:
    """Assemble the render scene for one try-on.

    Parameters
    ----------
    camera : Camera
    placement : RingPlacement
        Ring pose and proxies (camera frame, metres).
    piece : catalog.Piece
    lighting : lighting.Lighting
    quality : catalog.Quality
    photo_linear : ndarray, (H, W, 3) float32
        The photo in linear sRGB: the body proxy shows it (see :func:`_body_mesh`).
    metal_bsdf : dict
        Mitsuba scene-dict BSDF for the metal parts.
    stones : dict or None
        ``{"stone": m, "accent": m}``: the centre stone's and the accent melee's
        (parts named ``accent_*``) :func:`stone_material` (BSDF plus interior
        medium); ``None`` for a piece without stones.
    metal_bsdf_no_uv : dict, optional
        The metal for parts without texture coordinates (heads, prongs): a
        brushed or hammered finish needs them, so those parts get its fallback.
    parts : list of assets.MeshPart, optional
        Pre-generated piece meshes (piece frame, mm); generated when omitted.
    part_materials : dict, optional
        ``{part name: {"bsdf", "interior"}}`` overriding the above per part (a whole
        piece read from CAD, :meth:`jewelrender.cad.CadPiece.scene_materials`).
    """
    if parts is None:
        from .pieces import piece_parts

        parts = piece_parts(piece, placement.inner_diameter_mm)
    M = piece_to_camera(placement.center_cam, placement.axis_cam, placement.up_cam)
    jewel = []
    all_pts = []
    per_copy = []  # vertices per copy of each part (an instanced part's points are copy after copy)
    for p in parts:
        transforms = getattr(p, "transforms", None)  # an InstancedPart: one mesh, many copies
        base = p.part if transforms is not None else p
        if transforms is not None:
            v = np.asarray(base.vertices, np.float32)
            per_copy.append(len(v))
            n = None if base.normals is None else np.asarray(base.normals, np.float32)
            instances = M[None] @ np.asarray(transforms, np.float64)
            local = v.astype(np.float64)
            all_pts.append((np.einsum("kij,nj->kni", instances[:, :3, :3], local)
                            + instances[:, None, :3, 3]).reshape(-1, 3).astype(np.float32))
        else:
            v, n = _transform(p.vertices, p.normals, M)
            per_copy.append(len(v))
            instances = None
            all_pts.append(v)
        uv = getattr(base, "texcoords", None)
        interior = None
        if part_materials is not None and p.name in part_materials:
            bsdf, interior = part_materials[p.name]["bsdf"], part_materials[p.name]["interior"]
        elif p.role == "stone":
            m = (stones or {}).get("accent" if p.name.startswith("accent") else "stone")
            if m is None:
                raise ValueError(f"part {p.name!r} is a stone but the piece has no material for it")
            bsdf, interior = m["bsdf"], m["interior"]
        elif p.role == "other":
            raise ValueError(f"part {p.name!r} needs its material from the piece's family (part_materials)")
        else:
            bsdf = metal_bsdf if uv is not None or metal_bsdf_no_uv is None else metal_bsdf_no_uv
        jewel.append(SceneMesh(p.name, p.role, v, np.asarray(base.faces, np.uint32), n, bsdf,
                               texcoords=None if uv is None else np.asarray(uv, np.float32), interior=interior,
                               instances=instances))

    # A site may add the skin right under the piece (a necklace's strip of chest: what its links mirror and
    # where their shadow falls), piece frame; the capsules are the rest of the body.
    under = getattr(placement, "skin_under", None)
    surface = under(piece) if callable(under) else None
    if surface is not None:
        sv, sn = _transform(np.asarray(surface[0]), np.asarray(surface[2]), M)
        surface = (sv, surface[1], sn)
    proxies = [_body_mesh(camera, placement.proxies, photo_linear, placement=placement, piece=piece, surface=surface)]
    # A site may allow an oblong crop (a bracelet seen from above is a thin band across the arm: a square
    # around it would path-trace several times the pixels it covers).
    crop = _crop_for(np.concatenate(all_pts), camera, quality.crop_margin, quality.crop_multiple,
                     getattr(placement, "crop_min_aspect", 1.0))
    pixels = None
    if getattr(placement, "sparse_render", False):
        # per instance (or part), its projected points: their hulls are the footprint
        hulls = [camera.project(p.astype(np.float64)).reshape(len(p) // n, n, 2) for p, n in zip(all_pts, per_copy)]
        pixels = footprint(crop, camera, hulls, proxies, float(placement.px_per_mm))
    return SceneSpec(
        width=camera.width, height=camera.height, fx=camera.fx, fy=camera.fy, cx=camera.cx, cy=camera.cy,
        crop=crop, jewel=jewel, proxies=proxies,
        env=lighting.render_env if getattr(lighting, "render_env", None) is not None else lighting.env, supersample=quality.supersample,
        passes=quality.passes, max_depth=quality.max_depth, pixels=pixels,
        meta={"parts": [p.name for p in parts],
              # triangles drawn (every instance) and held (each instanced mesh once)
              "triangles": int(sum(len(m.faces) * (1 if m.instances is None else len(m.instances)) for m in jewel)),
              "triangles_stored": int(sum(len(m.faces) for m in jewel)),
              "instances": int(sum(0 if m.instances is None else len(m.instances) for m in jewel)),
              "pixels_rendered": int(crop.width * crop.height if pixels is None else pixels.sum())},
    )
