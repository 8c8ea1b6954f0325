"""glTF 2.0 out (and the glTF half of whole pieces in): a piece as a ``.glb``/``.gltf`` a CAD tool, Blender or three.js opens.

Export (:func:`export_piece`)
-----------------------------
* Metres, glTF's Y up: the piece frame of :mod:`jewelrender.assets` (ring axis +Z,
  head +Y) scaled from millimetres, so the ring stands upright in a viewer.
* One node per part with its readable name (``band``, ``prong_0``, ``stone``,
  ``accent_3``), one mesh and one primitive each; metal parts carry their smooth
  normals and the band its texture coordinates; stones have no normals, which glTF
  viewers must shade flat (facets).
* Metals: ``metallicFactor`` 1, ``baseColorFactor`` = the metal's F0 — its normal
  reflectance spectrum from the measured n, k (:mod:`jewelrender.materials`) seen
  under D65 and converted to linear sRGB (glTF factors are linear) —
  ``roughnessFactor`` = sqrt(GGX alpha) of the finish (glTF's alpha is roughness²).
* Transparent gems: ``KHR_materials_transmission`` (1), ``KHR_materials_ior``
  (n at the sodium D line), ``KHR_materials_dispersion`` (20 / Abbe number, the
  extension's definition) and ``KHR_materials_volume``: its attenuation is the
  variety's Beer–Lambert body colour — ``attenuationDistance`` the variety's
  reference path (its trade colour is defined there) and ``attenuationColor`` the
  linear-sRGB transmittance through that path (D65), so ``T(d) = colour^(d / distance)``
  holds per channel as the extension defines it. ``thicknessFactor`` is the stone's
  depth. Colourless stones get no attenuation (infinite distance).
* Scattering stones (pearl, turquoise, onyx, opal, moonstone) are not transmissive
  in glTF's sense: a dielectric (``metallicFactor`` 0, their ``KHR_materials_ior``)
  whose base colour is the medium's diffuse albedo (:func:`jewelrender.media.diffuse_albedo`).
* ``KHR_materials_specular`` is not written: for a dielectric the F0 already follows
  from ``KHR_materials_ior`` (specular 1 and colour white are the defaults), and the
  extension does not apply to metals (their F0 is the base colour). It would only
  restate defaults.
* Every material's ``extras.jewelrender`` names the preset or gem (``{"metal":
  "yellow-gold-18k"}``, ``{"gem": "ruby"}``) so a file exported here loads back
  exactly (:mod:`jewelrender.pieces_io`); other tools ignore extras.

The ring is generated for one finger size (default US 7, 17.35 mm inner diameter);
loading it back measures the inner diameter and refits it.

pygltflib is an optional extra (``pip install 'jewelrender[gltf]'``); it is imported
only here, and its absence is a :class:`~jewelrender.errors.MissingDependencyError`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InvalidOptionError, MissingDependencyError

__all__ = ["DEFAULT_INNER_DIAMETER_MM", "GLTF_SUFFIXES", "export_piece", "piece_gltf", "metal_base_color",
           "gem_gltf_material", "require_pygltflib"]

#: The size an exported ring is generated at: US 7 (17.35 mm), the commonest women's size.
DEFAULT_INNER_DIAMETER_MM = 17.35
GLTF_SUFFIXES = (".glb", ".gltf")

_ARRAY_BUFFER = 34962
_ELEMENT_ARRAY_BUFFER = 34963
_FLOAT = 5126
_UINT = 5125


def require_pygltflib():
    """The pygltflib module, or a :class:`MissingDependencyError` saying how to install it."""
    try:
        import pygltflib
    except ModuleNotFoundError:
        raise MissingDependencyError(
            "glTF needs the optional 'gltf' extra: pip install 'jewelrender[gltf]' (or pip install pygltflib)",
            details={"extra": "gltf", "module": "pygltflib"},
        ) from None
    return pygltflib


def _linear_rgb(wl: np.ndarray, spectrum: np.ndarray) -> list[float]:
    from .library import optics

    xyz = optics.reflectance_to_xyz(wl, spectrum, "D65")
    rgb = np.clip(optics.xyz_to_linear_srgb(xyz), 0.0, 1.0)
    return [round(float(c), 5) for c in rgb]


def metal_base_color(metal_id: str) -> list[float]:
    """Linear-sRGB F0 of a metal preset: its normal reflectance under D65, from the n, k spectra."""
    from .library import materials, optics

    preset = materials.metal(metal_id)
    wl = np.arange(optics.COLOR_RANGE_NM[0], optics.COLOR_RANGE_NM[1] + 0.5, 5.0)
    return _linear_rgb(wl, preset.data.normal_reflectance(wl))


def _metal_material(metal_id: str, finish: str) -> dict[str, Any]:
    from .library import materials

    preset = materials.metal(metal_id)
    fin = materials.finish(finish)
    if fin.kind == "anisotropic":  # glTF core is isotropic: the brushed finish's geometric-mean alpha
        alpha = math.sqrt(fin.alpha_u * fin.alpha_v)
    else:
        alpha = preset.roughness if fin.alpha is None else fin.alpha
    return {
        "name": metal_id,
        "pbrMetallicRoughness": {"baseColorFactor": metal_base_color(metal_id) + [1.0], "metallicFactor": 1.0,
                                 "roughnessFactor": round(math.sqrt(alpha), 5)},
        "extras": {"jewelrender": {"metal": metal_id, "finish": finish}},
    }


def gem_gltf_material(gem_name: str, *, thickness_m: float = 0.0) -> dict[str, Any]:
    """glTF material (a plain dict with its KHR extensions) of a gem, variety or scattering stone."""
    from .library import materials, media, optics

    if gem_name in media.list_medium_stones():
        stone = media.medium_stone_data(gem_name)
        wl = np.arange(optics.COLOR_RANGE_NM[0], optics.COLOR_RANGE_NM[1] + 0.5, 5.0)
        return {
            "name": gem_name,
            "pbrMetallicRoughness": {"baseColorFactor": _linear_rgb(wl, media.diffuse_albedo(stone, wl)) + [1.0],
                                     "metallicFactor": 0.0, "roughnessFactor": round(math.sqrt(stone.roughness), 5)},
            "extensions": {"KHR_materials_ior": {"ior": round(float(stone.ior), 5)}},
            "extras": {"jewelrender": {"gem": gem_name}},
        }
    material, variety = materials.gem_optics(gem_name)
    ext: dict[str, Any] = {
        "KHR_materials_transmission": {"transmissionFactor": 1.0},
        "KHR_materials_ior": {"ior": round(float(material.n_d), 5)},
        "KHR_materials_dispersion": {"dispersion": round(20.0 / float(material.abbe), 5)},
    }
    volume: dict[str, Any] = {"thicknessFactor": round(float(thickness_m), 6)}
    if variety is not None:
        wl = np.arange(optics.COLOR_RANGE_NM[0], optics.COLOR_RANGE_NM[1] + 0.5, 5.0)
        volume["attenuationDistance"] = round(variety.reference_path_mm * 1e-3, 6)
        colour = _linear_rgb(wl, variety.transmittance(wl, variety.reference_path_mm))
        volume["attenuationColor"] = [max(c, 1e-4) for c in colour]  # 0 would be an infinite coefficient
    ext["KHR_materials_volume"] = volume
    return {
        "name": gem_name,
        "pbrMetallicRoughness": {"baseColorFactor": [1.0, 1.0, 1.0, 1.0], "metallicFactor": 0.0,
                                 "roughnessFactor": 0.0},
        "extensions": ext,
        "extras": {"jewelrender": {"gem": gem_name}},
    }


def _part_gem(piece, part_name: str) -> str:
    if part_name.startswith("accent"):
        return (piece.accent or {}).get("gem", "diamond")
    return piece.stone["gem"]


def piece_gltf(piece, *, inner_diameter_mm: float = DEFAULT_INNER_DIAMETER_MM, metal: str | None = None,
               parts=None):
    """The piece as a :class:`pygltflib.GLTF2` (one binary buffer, not yet saved).

    Parameters
    ----------
    piece : str or catalog.Piece
        A catalog id or piece.
    inner_diameter_mm : float
        Finger size the ring is generated for.
    metal : str, optional
        A metal preset replacing the piece's own.
    parts : list of assets.MeshPart, optional
        Already generated parts (piece frame, mm).
    """
    gl = require_pygltflib()
    from .library import catalog, materials
    from .pieces import piece_parts

    piece = catalog.get_piece(piece)
    if metal is not None and metal not in materials.list_metals():
        raise InvalidOptionError(f"unknown metal {metal!r}; valid: {', '.join(materials.list_metals())}",
                                 details={"valid": materials.list_metals()})
    metal_id = metal or piece.metal
    materials.metal(metal_id)  # a bad preset in a catalog file: CatalogError before anything is written
    if parts is None:
        from .sites import made_to_without_photo

        parts = piece_parts(piece, made_to_without_photo(piece, inner_diameter_mm))

    blob = bytearray()
    views, accessors, meshes, nodes, mats = [], [], [], [], []
    mat_index: dict[str, int] = {}

    def add_view(data: bytes, target: int) -> int:
        while len(blob) % 4:
            blob.append(0)
        views.append(gl.BufferView(buffer=0, byteOffset=len(blob), byteLength=len(data), target=target))
        blob.extend(data)
        return len(views) - 1

    def add_accessor(arr: np.ndarray, kind: str, comp: int, target: int, bounds: bool = False) -> int:
        view = add_view(np.ascontiguousarray(arr).tobytes(), target)
        kw = {}
        if bounds:
            kw = {"min": [float(x) for x in arr.min(axis=0)], "max": [float(x) for x in arr.max(axis=0)]}
        accessors.append(gl.Accessor(bufferView=view, componentType=comp, count=len(arr), type=kind, **kw))
        return len(accessors) - 1

    def material_for(part) -> int:
        if part.role == "metal":
            key, make = f"metal:{metal_id}", lambda: _metal_material(metal_id, piece.finish)
        else:
            g = _part_gem(piece, part.name)
            depth_m = float(np.ptp(part.vertices[:, 1])) * 1e-3
            key, make = f"gem:{g}", lambda: gem_gltf_material(g, thickness_m=depth_m)
        if key not in mat_index:
            mat_index[key] = len(mats)
            mats.append(gl.Material(**make()))
        return mat_index[key]

    for part in parts:
        v = (part.vertices.astype(np.float64) * 1e-3).astype(np.float32)
        attrs = gl.Attributes(POSITION=add_accessor(v, "VEC3", _FLOAT, _ARRAY_BUFFER, bounds=True))
        if part.normals is not None:
            attrs.NORMAL = add_accessor(part.normals.astype(np.float32), "VEC3", _FLOAT, _ARRAY_BUFFER)
        if part.texcoords is not None:
            attrs.TEXCOORD_0 = add_accessor(part.texcoords.astype(np.float32), "VEC2", _FLOAT, _ARRAY_BUFFER)
        idx = add_accessor(part.faces.astype(np.uint32).reshape(-1), "SCALAR", _UINT, _ELEMENT_ARRAY_BUFFER)
        prim = gl.Primitive(attributes=attrs, indices=idx, material=material_for(part), mode=4)
        meshes.append(gl.Mesh(name=part.name, primitives=[prim]))
        nodes.append(gl.Node(name=part.name, mesh=len(meshes) - 1,
                             extras={"jewelrender": {"role": part.role}}))

    used = sorted({k for m in mats for k in (m.extensions or {})})
    root = gl.Node(name=piece.id, children=list(range(len(nodes))),
                   extras={"jewelrender": {"piece": piece.id, "label": piece.label,
                                           "inner_diameter_mm": float(inner_diameter_mm),
                                           "axis": [0.0, 0.0, 1.0], "up": [0.0, 1.0, 0.0]}})
    nodes.append(root)
    doc = gl.GLTF2(
        asset=gl.Asset(version="2.0", generator="jewelrender"),
        scene=0, scenes=[gl.Scene(name=piece.id, nodes=[len(nodes) - 1])],
        nodes=nodes, meshes=meshes, materials=mats, accessors=accessors, bufferViews=views,
        buffers=[gl.Buffer(byteLength=len(blob))], extensionsUsed=used,
    )
    doc.set_binary_blob(bytes(blob))
    return doc


def export_piece(piece, out, *, inner_diameter_mm: float = DEFAULT_INNER_DIAMETER_MM,
                 metal: str | None = None) -> dict[str, Any]:
    """Write ``piece`` to ``out`` (``.glb`` binary, or ``.gltf`` with the buffer embedded as a data URI).

    The file is written to a temporary name and renamed into place, so a failure
    leaves nothing. Returns a summary: path, parts, triangles, materials.

    Raises
    ------
    InvalidOptionError
        ``out`` does not end in .glb/.gltf or its folder does not exist; bad metal.
    UnknownPieceError, MissingDependencyError
    """
    from ._files import publish, temp_beside

    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in GLTF_SUFFIXES:
        raise InvalidOptionError(f"--out must end in .glb or .gltf, got {str(out)!r}")
    if not out.resolve().parent.is_dir():
        raise InvalidOptionError(f"output folder does not exist: {out.parent}")
    doc = piece_gltf(piece, inner_diameter_mm=inner_diameter_mm, metal=metal)
    tmp = temp_beside(out, suffix)
    try:
        if suffix == ".glb":
            doc.save_binary(tmp)
        else:
            doc.convert_buffers(require_pygltflib().BufferFormat.DATAURI)
            doc.save_json(tmp)
        publish(tmp, out)
    finally:
        if Path(tmp).exists():
            Path(tmp).unlink()
    tris = sum(int(doc.accessors[m.primitives[0].indices].count) // 3 for m in doc.meshes)
    return {"path": str(out), "parts": [m.name for m in doc.meshes], "triangles": tris,
            "materials": [m.name for m in doc.materials]}
