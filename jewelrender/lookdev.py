"""Look development: a piece under studio HDRIs, turned, with its metal and stones swapped, side by side.

For notebooks (``docs/notebooks/lookdev.ipynb``) and quick checks of a brand's CAD::

    from jewelrender import lookdev
    img = lookdev.studio_render("solitaire-round-1ct-18k-yellow", "studio_small_03_1k.hdr", size=256)
    strip = lookdev.turntable("ring.glb", hdri, frames=8)                  # one render, 8 tiles
    metals = lookdev.studio_row([dict(piece=p, metal=m) for m in ("platinum-950", "rose-gold-18k")], hdri)

The pieces are rendered exactly as in a try-on — the same meshes (:func:`jewelrender.pieces.piece_parts`
or a whole-piece file, :mod:`jewelrender.cad`), measured metal spectra, dispersive
gem BSDF, scattering stones and the ``hero_path`` integrator — under an
environment map file (``.hdr``/``.exr``, e.g. the CC0 Poly Haven studios), which is
hidden behind a soft grey backdrop. Scene units are metres. The ring stands with its
axis horizontal and its head up, and ``yaw_deg`` turns it about the vertical. Several
looks share one render (:func:`studio_row`: tiles side by side under one orthographic
camera), which is what makes a turntable or a metal swap cheap enough for a notebook.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import InvalidOptionError

__all__ = ["studio_render", "studio_row", "turntable", "side_by_side", "piece_meshes"]

#: The finger size pieces are generated for (US 7).
LOOKDEV_INNER_DIAMETER_MM = 17.35


_PARTS: dict[tuple[str, float], list] = {}


def _catalog_parts(piece, inner_diameter_mm: float):
    # a turntable renders one piece many times: generate its meshes once (ids name composed pieces too)
    from .pieces import piece_parts

    key = (piece.id, round(inner_diameter_mm, 3))
    if key not in _PARTS:
        if len(_PARTS) > 16:
            _PARTS.clear()
        from .sites import made_to_without_photo

        _PARTS[key] = piece_parts(piece, made_to_without_photo(piece, inner_diameter_mm))
    return _PARTS[key]


def piece_meshes(piece, *, metal: str | None = None, finish: str | None = None, stone: str | None = None,
                 cut: str | None = None, carat: float | None = None, setting: str | None = None,
                 inner_diameter_mm: float = LOOKDEV_INNER_DIAMETER_MM):
    """The piece's parts as :class:`~jewelrender.scene.SceneMesh` (piece frame, metres) with their materials.

    ``piece``: a catalog id or Piece (optionally composed with ``stone``/``cut``/``carat``/``setting``,
    :func:`jewelrender.compose.compose_piece`), a whole-piece file or a :class:`~jewelrender.cad.CadPiece`.
    """
    from .library import materials
    from .cad import CadPiece, is_piece_file, load_piece
    from .compose import compose_piece
    from .scene import SceneMesh, stone_material

    metal = materials.resolve_metal(metal)
    if metal is not None and metal not in materials.list_metals():
        raise InvalidOptionError(f"unknown metal {metal!r}; valid: {', '.join(materials.list_metals())}",
                                 details={"option": "metal", "valid": materials.list_metals()})
    if is_piece_file(piece):
        piece = load_piece(piece, metal=metal)
    if isinstance(piece, CadPiece):
        if stone is not None:  # a file's stones: every one becomes this gem
            piece = piece.__class__(**{**piece.__dict__, "part_materials": {
                k: (("stone", stone) if v[0] == "stone" else v) for k, v in piece.part_materials.items()}})
        parts = piece.fitted_parts(inner_diameter_mm)
        mats = piece.scene_materials(finish=finish, metal=metal)
    else:
        piece = compose_piece(piece, stone=stone, cut=cut, carat=carat, setting=setting)
        parts = _catalog_parts(piece, float(inner_diameter_mm))
        metal_id = metal or piece.metal
        fin = finish or piece.finish
        m_uv = {"bsdf": materials.metal_bsdf_dict(metal_id, finish=fin), "interior": None}
        m_no = {"bsdf": materials.metal_bsdf_dict(metal_id, finish=fin, has_texcoords=False), "interior": None}
        accent = stone_material((piece.accent or {}).get("gem", "diamond"))
        centre = stone_material(piece.stone["gem"]) if piece.stone else None
        mats = {}
        for p in parts:
            if p.role == "metal":
                mats[p.name] = m_uv if p.texcoords is not None else m_no
            else:
                mats[p.name] = accent if p.name.startswith("accent") else centre
    out = []
    for p in parts:
        v = p.vertices.astype(np.float64) * 1e-3
        out.append(SceneMesh(p.name, p.role, v.astype(np.float32), np.asarray(p.faces, np.uint32), p.normals,
                             mats[p.name]["bsdf"], texcoords=p.texcoords, interior=mats[p.name]["interior"]))
    return out


def _rot_y(deg: float) -> np.ndarray:
    a = np.radians(deg)
    return np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])


def studio_row(looks, hdri, *, size: int = 192, spp: int = 64, pitch_deg: float = 18.0,
               hdri_turn_deg: float = 140.0, hdri_scale: float = 1.2, seed: int = 0) -> np.ndarray:
    """Several looks in one render, side by side: ``(size, size * len(looks), 3)`` sRGB uint8.

    Each look is a dict: ``piece`` and optionally ``yaw_deg`` (turn about the vertical)
    and :func:`piece_meshes`' options (``metal``, ``finish``, ``stone``, ``cut``,
    ``carat``, ``setting``). All share one orthographic camera, one scale and the
    HDRI (at infinity, so every tile sees the same light); one render costs far less
    than one per look. Tiles are spaced so neighbours barely see each other.
    """
    import mitsuba as mi

    from . import backend
    from .color import linear_to_srgb8
    from .render import mitsuba_mesh

    hdri = Path(hdri)
    if not hdri.is_file():
        raise InvalidOptionError(f"HDRI file not found: {hdri}", details={"option": "hdri"})
    looks = list(looks)
    if not looks or len(looks) > 32:
        raise InvalidOptionError(f"give 1-32 looks, got {len(looks)}")
    if not (16 <= int(size) <= 2048) or not (1 <= int(spp) <= 4096):
        raise InvalidOptionError(f"size must be 16-2048 px and spp 1-4096, got {size}, {spp}")
    backend.select()
    tiles = []
    for look in looks:
        opts = dict(look)
        if "piece" not in opts:
            raise InvalidOptionError("each look needs a 'piece'")
        piece, yaw = opts.pop("piece"), float(opts.pop("yaw_deg", 30.0))
        meshes = piece_meshes(piece, **opts)
        R = _rot_y(yaw)
        for m in meshes:
            m.vertices = (m.vertices.astype(np.float64) @ R.T).astype(np.float32)
            if m.normals is not None:
                m.normals = (m.normals.astype(np.float64) @ R.T).astype(np.float32)
        pts = np.concatenate([m.vertices for m in meshes])
        tiles.append((meshes, 0.5 * (pts.min(0) + pts.max(0)), float(np.linalg.norm(pts - pts.mean(0), axis=1).max())))
    half = 1.08 * max(r for _, _, r in tiles)   # half a tile, metres: the largest piece fills ~90 %
    n = len(tiles)
    shapes = {}
    for k, (meshes, c, _) in enumerate(tiles):
        shift = np.array([(2 * k - (n - 1)) * half, 0.0, 0.0]) - c
        for j, m in enumerate(meshes):
            m.vertices = (m.vertices.astype(np.float64) + shift).astype(np.float32)
            shapes[f"t{k}_{j}"] = mitsuba_mesh(mi, m)
    p = np.radians(pitch_deg)
    view = np.array([0.0, np.sin(p), np.cos(p)])
    to_world = mi.ScalarTransform4f().look_at(origin=(view * 20 * half).tolist(), target=[0, 0, 0], up=[0, 1, 0]) \
        @ mi.ScalarTransform4f().scale([n * half, n * half, 1.0])   # Mitsuba divides y by the film's aspect
    scene = mi.load_dict({
        "type": "scene",
        "integrator": {"type": "hero_path", "max_depth": 16, "hide_emitters": True},
        "sensor": {
            "type": "orthographic", "to_world": to_world,
            "film": {"type": "hdrfilm", "width": int(size) * n, "height": int(size), "pixel_format": "rgba",
                     "rfilter": {"type": "gaussian"}},
            "sampler": {"type": "independent", "sample_count": int(spp)},
        },
        "env": {"type": "envmap", "filename": str(hdri), "scale": float(hdri_scale),
                "to_world": mi.ScalarTransform4f().rotate([0, 1, 0], float(hdri_turn_deg))},
        **shapes,
    })
    rgba = np.array(mi.render(scene, spp=int(spp), seed=int(seed)), dtype=np.float32)
    h, w = rgba.shape[:2]
    back = np.linspace(0.80, 0.55, h, dtype=np.float32)[:, None, None] * np.ones((1, w, 3), np.float32)
    a = np.clip(rgba[..., 3:4], 0, 1)
    return linear_to_srgb8(rgba[..., :3] + back * (1 - a))   # the film's RGB is premultiplied by coverage


def studio_render(piece, hdri, *, yaw_deg: float = 30.0, size: int = 192, spp: int = 64, pitch_deg: float = 18.0,
                  hdri_turn_deg: float = 140.0, hdri_scale: float = 1.2, seed: int = 0, **piece_options) -> np.ndarray:
    """One square sRGB picture (``(size, size, 3)`` uint8) of the piece under ``hdri`` on a grey backdrop."""
    return studio_row([dict(piece=piece, yaw_deg=yaw_deg, **piece_options)], hdri, size=size, spp=spp,
                      pitch_deg=pitch_deg, hdri_turn_deg=hdri_turn_deg, hdri_scale=hdri_scale, seed=seed)


def turntable(piece, hdri, *, frames: int = 6, start_deg: float = 0.0, **options) -> np.ndarray:
    """The piece turned evenly about the vertical, ``frames`` tiles in one row (one render, :func:`studio_row`).

    ``options``: :func:`studio_row`'s (``size``, ``spp``, ...) and :func:`piece_meshes`' (``metal``, ``stone``, ...).
    """
    if not 1 <= int(frames) <= 32:
        raise InvalidOptionError(f"frames must be 1-32, got {frames!r}")
    row_keys = ("size", "spp", "pitch_deg", "hdri_turn_deg", "hdri_scale", "seed")
    row = {k: options.pop(k) for k in row_keys if k in options}
    looks = [dict(piece=piece, yaw_deg=start_deg + 360.0 * k / frames, **options) for k in range(int(frames))]
    return studio_row(looks, hdri, **row)


def side_by_side(images, labels=None, *, pad: int = 4) -> np.ndarray:
    """Pictures in one row (uint8), each with its label written under it."""
    from PIL import Image, ImageDraw

    images = [np.asarray(i, np.uint8) for i in images]
    h = max(i.shape[0] for i in images)
    label_h = 14 if labels else 0
    w = sum(i.shape[1] for i in images) + pad * (len(images) - 1)
    canvas = Image.new("RGB", (w, h + label_h), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    x = 0
    for k, img in enumerate(images):
        canvas.paste(Image.fromarray(img[..., :3]), (x, 0))
        if labels:
            draw.text((x + 2, h + 1), str(labels[k])[: max(4, img.shape[1] // 6)], fill=(0, 0, 0))
        x += img.shape[1] + pad
    return np.asarray(canvas)
