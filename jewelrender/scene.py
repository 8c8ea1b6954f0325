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

from .sites.proxies import capsule_mesh

__all__ = ["SceneMesh", "SceneSpec", "Crop", "build_scene", "piece_to_camera", "stone_bsdf_dict", "stone_material"]


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
    #: (K, 4, 4) transforms to the camera frame: the mesh is one shape in its own frame (a chain's
    #: link, mm) drawn K times (a Mitsuba ``shapegroup`` and K ``instance``s); None: plain mesh.
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


def _crop_for(points_cam: np.ndarray, camera, margin: float, multiple: int) -> Crop:
    uv = camera.project(points_cam)
    lo, hi = uv.min(axis=0), uv.max(axis=0)
    centre = (lo + hi) / 2
    side = max(hi - lo) * margin + 8
    w = int(np.ceil(side / multiple) * multiple)
    w = min(w, (camera.width // multiple) * multiple or camera.width, (camera.height // multiple) * multiple or camera.height)
    w = max(w, min(multiple, camera.width, camera.height))
    x = int(np.clip(round(centre[0] - w / 2), 0, camera.width - w))
    y = int(np.clip(round(centre[1] - w / 2), 0, camera.height - w))
    return Crop(x, y, w, w)


#: Longest side of the photo texture the body proxy emits (reflections of skin are blurry anyway).
BODY_TEXTURE_SIDE = 768


def _body_mesh(camera, capsules, photo_linear: np.ndarray) -> SceneMesh:
    """All proxy capsules as one mesh that shows the photo's own pixels.

    The body is what the piece reflects and refracts (the finger inside a band, the
    skin under a stone). Rather than re-light a guessed skin albedo, each proxy
    vertex takes the photo's pixel it projects to: the body *emits* what the camera
    saw there (black BSDF), so reflections show the customer's real skin, noise-free
    and at the photo's exposure. One mesh, so Mitsuba's uniform choice among
    emitters gives the environment half the light samples.
    """
    import cv2

    vs, fs, ns, off = [], [], [], 0
    for cap in capsules:
        v, f, n = capsule_mesh(cap.p0, cap.p1, cap.radius)
        vs.append(v)
        fs.append(f + off)
        ns.append(n)
        off += len(v)
    v = np.concatenate(vs)
    uv = camera.project(v.astype(np.float64)) / np.array([camera.width, camera.height])
    scale = min(1.0, BODY_TEXTURE_SIDE / max(photo_linear.shape[:2]))
    tex = photo_linear if scale >= 1.0 else cv2.resize(
        photo_linear, (max(1, round(photo_linear.shape[1] * scale)), max(1, round(photo_linear.shape[0] * scale))),
        interpolation=cv2.INTER_AREA)
    black = {"type": "diffuse", "reflectance": {"type": "rgb", "value": [0.0, 0.0, 0.0]}}
    return SceneMesh("body", "proxy", v, np.concatenate(fs), np.concatenate(ns), black,
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
    for p in parts:
        instances = None
        if getattr(p, "instances", None) is not None:
            # One link's mesh, many placements: the mesh stays in its own frame (mm) and each
            # instance carries the whole transform to the camera (metres).
            instances = M[None] @ p.instances
            v, n = np.asarray(p.vertices, np.float32), p.normals
            corners = np.array([[x, y, z, 1.0] for x in p.bounds[:, 0] for y in p.bounds[:, 1] for z in p.bounds[:, 2]])
            all_pts.append((instances @ corners.T).transpose(0, 2, 1)[..., :3].reshape(-1, 3).astype(np.float32))
        else:
            v, n = _transform(p.vertices, p.normals, M)
            all_pts.append(v)
        uv = getattr(p, "texcoords", None)
        interior = None
        if part_materials is not None and p.name in part_materials:
            bsdf, interior = part_materials[p.name]["bsdf"], part_materials[p.name]["interior"]
        elif p.role == "stone":
            m = (stones or {}).get("accent" if p.name.startswith("accent") else "stone")
            if m is None:
                raise ValueError(f"part {p.name!r} is a stone but the piece has no material for it")
            bsdf, interior = m["bsdf"], m["interior"]
        else:
            bsdf = metal_bsdf if uv is not None or metal_bsdf_no_uv is None else metal_bsdf_no_uv
        jewel.append(SceneMesh(p.name, p.role, v, np.asarray(p.faces, np.uint32), n, bsdf,
                               texcoords=None if uv is None else np.asarray(uv, np.float32), interior=interior,
                               instances=instances))

    proxies = [_body_mesh(camera, placement.proxies, photo_linear)]
    crop = _crop_for(np.concatenate(all_pts), camera, quality.crop_margin, quality.crop_multiple)
    return SceneSpec(
        width=camera.width, height=camera.height, fx=camera.fx, fy=camera.fy, cx=camera.cx, cy=camera.cy,
        crop=crop, jewel=jewel, proxies=proxies,
        env=lighting.render_env if getattr(lighting, "render_env", None) is not None else lighting.env, supersample=quality.supersample,
        passes=quality.passes, max_depth=quality.max_depth,
        meta={"parts": [p.name for p in parts],
              "triangles": int(sum(len(m.faces) * (1 if m.instances is None else len(m.instances)) for m in jewel)),
              "instanced_shapes": int(sum(0 if m.instances is None else len(m.instances) for m in jewel))},
    )
