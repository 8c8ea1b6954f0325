"""Whole pieces from a brand's CAD: a ``.glb/.gltf/.obj/.stl/.ply`` of metal parts and stones, fitted to a finger.

``try-on --piece FILE`` (or ``try_on(photo, "ring.glb")``) reads the file into a
:class:`CadPiece`:

1. **Read the parts.** glTF/GLB: every mesh primitive under the default scene,
   with its node transforms, named by its node (else mesh, else material). OBJ:
   one part per object/group and material. STL/PLY: one part per
   connected solid, ``part_0``, ``part_1``, ... largest first. The whole file first
   goes through :func:`jewelrender.meshio.load_mesh` so a malformed, empty, huge or
   open mesh gets the same errors (``INVALID_MESH``, ``MESH_NOT_CLOSED``) as a stone
   file; every part is then checked closed on its own.
2. **Assign materials**, first rule that applies, per part:
   a sidecar TOML (``ring.glb.toml`` or ``ring.toml`` beside the file, or ``sidecar=``),
   whose ``[materials]`` table maps part-name patterns (``fnmatch``) to a material;
   the glTF material's ``extras.jewelrender`` (files written by ``jewelrender export``);
   the material's or the part's name (``diamond``, ``ruby``, ``18k_yellow``,
   ``platinum``, ``white gold 14k`` ...: :func:`material_from_name`);
   glTF PBR/KHR data: a transmissive material is the gem nearest in index and
   dispersion (``KHR_materials_ior``, ``KHR_materials_dispersion``; a coloured
   ``KHR_materials_volume`` picks the variety of that gem nearest in colour); a
   metallic one the metal preset nearest in colour to its base colour (CIEDE2000).
   ``metal=`` (``--metal``) then replaces every metal part's preset. A part left
   without a material is a :class:`~jewelrender.errors.PartUnassignedError`
   (``PART_UNASSIGNED``) naming the parts and how to assign them: nothing is half-loaded.
3. **Measure the ring.** The metal's axis (the direction of least spread of its
   surface), its centre (a circle fitted to the innermost metal in 72 angular
   sectors) and its inner diameter (twice the median innermost radius). Metal that
   does not go all the way round an axis is a :class:`~jewelrender.errors.PieceNotARingError`
   (``PIECE_NOT_A_RING``: a loose stone, a pendant). The parts are moved into the
   piece frame of :mod:`jewelrender.assets` (axis +Z, the head, i.e. the stones'
   side, +Y, millimetres).
4. **Fit it** (:meth:`CadPiece.fitted_parts`): for a finger of inner diameter D the
   band grows or shrinks radially by ``(D - d) / 2`` at every vertex (its thickness
   and width kept), and every other part (head, prongs, stones) moves rigidly
   outward by the same amount, so the stones keep their size.
"""

from __future__ import annotations

import base64
import fnmatch
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .geometry.assets import MeshPart
from .errors import InvalidOptionError, MeshError, PartUnassignedError, PieceNotARingError

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

__all__ = ["CadPiece", "PIECE_FILE_SUFFIXES", "is_piece_file", "load_piece", "read_parts", "material_from_name",
           "measure_ring"]

PIECE_FILE_SUFFIXES = (".glb", ".gltf", ".obj", ".stl", ".ply")
#: Millimetres per unit of files that carry no unit, guessed from the piece's size.
_UNIT_GUESSES = {"m": 1000.0, "cm": 10.0, "mm": 1.0, "in": 25.4}
_SIDECAR_KEYS = {"units", "materials"}


def is_piece_file(value: Any) -> bool:
    """Whether ``value`` names a whole-piece file (by suffix) rather than a catalog id."""
    return isinstance(value, (str, Path)) and Path(str(value)).suffix.lower() in PIECE_FILE_SUFFIXES


# --------------------------------------------------------------------------- #
# Material vocabulary
# --------------------------------------------------------------------------- #


def _tokens(text: str) -> list[str]:
    return [t for t in re.split(r"[^a-z0-9]+", text.lower().replace("carat", "k").replace("kt", "k")) if t]


def _metal_required_tokens() -> dict[str, set[str]]:
    from .library import materials

    out = {}
    for mid in materials.list_metals():
        # "gold" and fineness numbers (925, 950) are implied: "18k_yellow" and "platinum" suffice.
        out[mid] = {t for t in mid.split("-") if t != "gold" and not t.isdigit()}
    return out


#: Bare words for the metal a jeweller means by them.
_METAL_WORDS = {"gold": "yellow-gold-18k", "yellow": "yellow-gold-18k", "rose": "rose-gold-18k",
                "white": "white-gold-18k", "pink": "rose-gold-18k", "red": "rose-gold-18k"}


def material_from_name(name: str) -> tuple[str, str] | None:
    """``("metal", preset)`` or ``("stone", gem)`` a part or material name means, or ``None``.

    Gems are whole words or hyphen/underscore-joined pairs of a gem, variety or
    scattering stone name or alias (``diamond``, ``cubic_zirconia``, ``pink-sapphire``,
    ``Ruby.001``); metals the words of a preset id without "gold" and fineness
    (``18k_yellow``, ``yellow-gold-18k``, ``WhiteGold14K`` is not split: use
    separators), or a bare ``gold``/``platinum``/``silver``.
    """
    from .library import materials, media

    toks = _tokens(name)
    if not toks:
        return None
    cands = ["-".join(toks[i:i + 2]) for i in range(len(toks) - 1)] + toks
    for c in cands:  # pairs first: "pink-sapphire" before "sapphire"
        if c in media.list_medium_stones():
            return ("stone", c)
        try:
            materials.gem_optics(c)
        except Exception:  # noqa: BLE001 - not a gem name
            continue
        return ("stone", c)
    tset = set(toks)
    best, best_n = None, 0
    for mid, req in _metal_required_tokens().items():
        if req <= tset and len(req) > best_n:
            best, best_n = mid, len(req)
    if best is not None:
        return ("metal", best)
    # a bare colour or "gold" (without a karat we take 18k, the commonest fine-jewellery alloy)
    for t in toks:
        if t in _METAL_WORDS and ("gold" in tset or t == "gold"):
            return ("metal", _METAL_WORDS[t])
    return None


def _valid_material_names() -> list[str]:
    from .library import materials, media

    return sorted(set(materials.list_metals()) | set(materials.list_gems()) | set(materials.list_gem_varieties())
                  | set(media.list_medium_stones()))


def _resolve(value: str, where: str) -> tuple[str, str]:
    hit = material_from_name(value) if isinstance(value, str) else None
    if hit is None:
        valid = _valid_material_names()
        raise PartUnassignedError(f"{where}: {value!r} is not a metal or gem; valid: {', '.join(valid)}",
                                  details={"value": str(value), "valid": valid})
    return hit


# --------------------------------------------------------------------------- #
# Reading parts
# --------------------------------------------------------------------------- #


@dataclass
class _RawPart:
    name: str
    vertices: np.ndarray        # (N, 3) float64, file units
    faces: np.ndarray           # (M, 3) int64
    normals: np.ndarray | None  # (N, 3) or None
    material_name: str = ""
    hint: tuple[str, str] | None = None   # from glTF extras/extensions
    exact: bool = False                    # the hint is jewelrender's own extras, not a guess
    names: tuple[str, ...] = ()            # every name worth matching, most specific first
    texcoords: np.ndarray | None = None    # (N, 2) float32: glTF TEXCOORD_0 (satin's brush, hammered dimples)


_COMPONENTS = {5120: np.int8, 5121: np.uint8, 5122: np.int16, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}
_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}


def _gltf_buffers(doc, path: Path) -> list[bytes]:
    out = []
    for i, b in enumerate(doc.buffers):
        if b.uri is None:
            out.append(doc.binary_blob() or b"")
        elif b.uri.startswith("data:"):
            out.append(base64.b64decode(b.uri.split(",", 1)[1]))
        else:
            f = (path.parent / b.uri).resolve()
            if not f.is_file():
                raise MeshError(f"{path.name}: buffer {i} refers to a missing file {b.uri!r}",
                                details={"path": str(path), "buffer": b.uri})
            out.append(f.read_bytes())
    return out


def _accessor(doc, buffers, index: int, path: Path) -> np.ndarray:
    try:
        acc = doc.accessors[index]
        if acc.sparse is not None or acc.bufferView is None:
            raise MeshError(f"{path.name}: sparse or empty accessors are not supported; re-export without them",
                            details={"path": str(path), "accessor": index})
        view = doc.bufferViews[acc.bufferView]
        dtype = np.dtype(_COMPONENTS[acc.componentType])
        width = _WIDTH[acc.type]
        data = buffers[view.buffer]
        start = (view.byteOffset or 0) + (acc.byteOffset or 0)
        stride = view.byteStride or dtype.itemsize * width
        need = start + stride * (acc.count - 1) + dtype.itemsize * width
        if acc.count < 1 or need > len(data) or need > (view.byteOffset or 0) + view.byteLength:
            raise MeshError(f"{path.name}: accessor {index} runs past its buffer (truncated file?)",
                            details={"path": str(path), "accessor": index})
        rows = np.ndarray((acc.count, width), dtype=dtype, buffer=data, offset=start, strides=(stride, dtype.itemsize))
        return np.array(rows)
    except (IndexError, KeyError, TypeError) as exc:
        raise MeshError(f"{path.name}: malformed glTF accessor {index} ({type(exc).__name__})",
                        details={"path": str(path), "accessor": index}) from None


def _node_matrix(node) -> np.ndarray:
    if node.matrix:
        return np.array(node.matrix, dtype=np.float64).reshape(4, 4).T  # glTF stores column-major
    M = np.eye(4)
    if node.scale:
        M = np.diag([*node.scale, 1.0]) @ M
    if node.rotation:
        x, y, z, w = node.rotation
        R = np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                      [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                      [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])
        M = np.block([[R, np.zeros((3, 1))], [np.zeros((1, 3)), np.ones((1, 1))]]) @ M
    if node.translation:
        T = np.eye(4)
        T[:3, 3] = node.translation
        M = T @ M
    return M


def _gltf_hint(mat) -> tuple[tuple[str, str] | None, bool]:
    """What a glTF material says about itself: jewelrender's extras, else its PBR/KHR numbers."""
    from .library import materials

    extras = (mat.extras or {}).get("jewelrender", {}) if isinstance(mat.extras, dict) else {}
    if isinstance(extras.get("metal"), str):
        return ("metal", extras["metal"]), True
    if isinstance(extras.get("gem"), str):
        return ("stone", extras["gem"]), True
    ext = mat.extensions or {}
    pbr = mat.pbrMetallicRoughness
    transmission = float((ext.get("KHR_materials_transmission") or {}).get("transmissionFactor", 0.0))
    if transmission > 0.5:
        ior = float((ext.get("KHR_materials_ior") or {}).get("ior", 1.5))
        disp = (ext.get("KHR_materials_dispersion") or {}).get("dispersion")
        best, best_d = None, math.inf
        for g in materials.list_gems():
            data = materials.gem(g)
            d = abs(data.n_d - ior) + (0.0 if disp is None else 0.2 * abs(20.0 / data.abbe - float(disp)))
            if d < best_d:
                best, best_d = g, d
        colour = (ext.get("KHR_materials_volume") or {}).get("attenuationColor")
        if colour is not None and min(colour) < 0.9:
            best = _nearest_variety(best, colour) or best
        return ("stone", best), False
    metallic = 1.0 if pbr is None or pbr.metallicFactor is None else float(pbr.metallicFactor)
    if metallic >= 0.5 and pbr is not None:
        return ("metal", _nearest_metal(pbr.baseColorFactor or [1.0, 1.0, 1.0, 1.0])), False
    return None, False


def _nearest_metal(base_color) -> str:
    from .library import materials
    from .color import delta_e_2000, rgb_to_lab
    from .gltf import metal_base_color

    target = rgb_to_lab(np.asarray(base_color[:3], float))
    return min(materials.list_metals(),
               key=lambda m: float(delta_e_2000(target, rgb_to_lab(np.asarray(metal_base_color(m))))))


def _nearest_variety(material: str, colour) -> str | None:
    from .library import materials
    from .color import delta_e_2000, rgb_to_lab
    from .gltf import gem_gltf_material

    target = rgb_to_lab(np.asarray(colour[:3], float))
    best, best_d = None, math.inf
    for v in materials.list_gem_varieties():
        if materials.gem_variety(v).material != material:
            continue
        c = gem_gltf_material(v)["extensions"]["KHR_materials_volume"]["attenuationColor"]
        d = float(delta_e_2000(target, rgb_to_lab(np.asarray(c))))
        if d < best_d:
            best, best_d = v, d
    return best


def _read_gltf(path: Path) -> list[_RawPart]:
    from .gltf import require_pygltflib

    gl = require_pygltflib()
    try:
        doc = gl.GLTF2().load(str(path))
    except Exception as exc:  # noqa: BLE001 - any parser failure is a malformed file
        raise MeshError(f"{path.name}: not a readable glTF file ({type(exc).__name__})",
                        details={"path": str(path)}) from None
    if doc is None:
        raise MeshError(f"{path.name}: not a readable glTF file", details={"path": str(path)})
    buffers = _gltf_buffers(doc, path)
    parts: list[_RawPart] = []
    scene = doc.scenes[doc.scene or 0] if doc.scenes else None
    roots = scene.nodes if scene is not None else list(range(len(doc.nodes)))
    seen: dict[str, int] = {}

    def visit(i: int, parent: np.ndarray, depth: int) -> None:
        if depth > 64:
            raise MeshError(f"{path.name}: node hierarchy too deep (a cycle?)", details={"path": str(path)})
        node = doc.nodes[i]
        M = parent @ _node_matrix(node)
        if node.mesh is not None:
            mesh = doc.meshes[node.mesh]
            for k, prim in enumerate(mesh.primitives):
                if prim.mode not in (None, 4):
                    continue  # points and lines are not surfaces
                v = _accessor(doc, buffers, prim.attributes.POSITION, path).astype(np.float64)
                f = (_accessor(doc, buffers, prim.indices, path).reshape(-1) if prim.indices is not None
                     else np.arange(len(v)))
                if f.size % 3:
                    raise MeshError(f"{path.name}: mesh {mesh.name!r} has an index count not divisible by 3",
                                    details={"path": str(path)})
                f = f.astype(np.int64).reshape(-1, 3)
                if f.size and (f.min() < 0 or f.max() >= len(v)):
                    raise MeshError(f"{path.name}: mesh {mesh.name!r} has face indices out of range",
                                    details={"path": str(path)})
                n = None
                if prim.attributes.NORMAL is not None:
                    n = _accessor(doc, buffers, prim.attributes.NORMAL, path).astype(np.float64) @ M[:3, :3].T
                    n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
                uv = None
                if prim.attributes.TEXCOORD_0 is not None:
                    uv = _accessor(doc, buffers, prim.attributes.TEXCOORD_0, path)
                    if uv.shape != (len(v), 2):
                        raise MeshError(f"{path.name}: mesh {mesh.name!r} has TEXCOORD_0 that is not one (u, v) "
                                        "per vertex", details={"path": str(path)})
                    if uv.dtype.kind in "iu":  # normalised integers (glTF allows unsigned byte/short)
                        uv = uv.astype(np.float64) / float(np.iinfo(uv.dtype).max)
                    uv = uv.astype(np.float32)
                v = v @ M[:3, :3].T + M[:3, 3]
                if np.linalg.det(M[:3, :3]) < 0:
                    f = f[:, ::-1]
                mat = doc.materials[prim.material] if prim.material is not None else None
                names = tuple(x for x in (mat.name if mat else None, node.name, mesh.name) if x)
                base = node.name or mesh.name or (mat.name if mat else None) or f"part_{len(parts)}"
                if len(mesh.primitives) > 1:
                    base = f"{base}_{k}"
                seen[base] = seen.get(base, 0) + 1
                name = base if seen[base] == 1 else f"{base}_{seen[base] - 1}"
                hint, exact = _gltf_hint(mat) if mat else (None, False)
                parts.append(_RawPart(name, v, f, n, (mat.name or "") if mat else "", hint, exact, names, uv))
        for c in node.children or []:
            visit(c, M, depth + 1)

    for r in roots:
        visit(r, np.eye(4), 0)
    return parts


def _read_obj(path: Path) -> list[_RawPart]:
    """OBJ split by object (``o``), group (``g``) and material (``usemtl``).

    The file has already passed :func:`jewelrender.meshio.load_mesh`'s strict reader
    (every index checked), so this pass only groups faces; polygons are fanned,
    which is exact for the convex facets CAD exports write.
    """
    verts: list[list[float]] = []
    groups: dict[tuple[str, str], list[list[int]]] = {}
    obj = grp = mtl = ""
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        tok = line.split()
        if not tok:
            continue
        if tok[0] == "v" and len(tok) >= 4:
            verts.append([float(x) for x in tok[1:4]])
        elif tok[0] == "o":
            obj = " ".join(tok[1:])
        elif tok[0] == "g":
            grp = " ".join(tok[1:])
        elif tok[0] == "usemtl":
            mtl = " ".join(tok[1:])
        elif tok[0] == "f" and len(tok) >= 4:
            idx = [int(t.split("/")[0]) for t in tok[1:]]
            idx = [i - 1 if i > 0 else len(verts) + i for i in idx]
            faces = groups.setdefault((obj or grp, mtl), [])
            faces.extend([idx[0], idx[k], idx[k + 1]] for k in range(1, len(idx) - 1))
    v = np.asarray(verts, np.float64)
    by_name: dict[str, int] = {}
    for (name, _), _f in groups.items():
        by_name[name] = by_name.get(name, 0) + 1
    parts = []
    for (name, mtl), f in groups.items():
        f = np.asarray(f, np.int64)
        used, inv = np.unique(f, return_inverse=True)
        base = name or mtl or path.stem
        if name and by_name[name] > 1 and mtl:
            base = f"{name}_{mtl}"
        parts.append(_RawPart(base, v[used], inv.reshape(-1, 3), None, mtl, None, False,
                              tuple(x for x in (mtl, name) if x and x.lower() != "none")))
    return parts


def _read_trimesh(path: Path) -> list[_RawPart]:
    """STL/PLY: one body; its connected solids are the parts, ``part_0`` (largest) first."""
    import trimesh

    try:
        loaded = trimesh.load(str(path), force="mesh", process=False)
    except Exception as exc:  # noqa: BLE001 - meshio has already vetted the file; this is a reader failure
        raise MeshError(f"{path.name}: not readable as a whole piece ({type(exc).__name__})",
                        details={"path": str(path)}) from None
    mesh = trimesh.Trimesh(np.asarray(loaded.vertices, np.float64), np.asarray(loaded.faces, np.int64),
                           process=True, validate=False)
    pieces = sorted(mesh.split(only_watertight=False), key=lambda m: -m.area)
    return [_RawPart(f"part_{i}", np.asarray(p.vertices, np.float64), np.asarray(p.faces, np.int64), None, "",
                     None, False, (f"part_{i}",)) for i, p in enumerate(pieces)]


def _guess_units(parts: list[_RawPart]) -> float:
    pts = np.concatenate([p.vertices for p in parts])
    size = float(np.max(np.ptp(pts, axis=0)))
    # a ring is 12-40 mm across: take the unit that puts it there
    for unit, mm in (("mm", 1.0), ("cm", 10.0), ("m", 1000.0), ("in", 25.4)):
        if 8.0 <= size * mm <= 60.0:
            return mm
    return 1.0


def read_parts(path, *, units: str | float | None = None) -> tuple[list[_RawPart], float]:
    """The file's parts (file frame) and the millimetres per file unit (glTF: metres by its spec).

    Raises
    ------
    MeshError, MeshNotClosedError
        The existing mesh checks of :func:`jewelrender.meshio.load_mesh` on the whole file.
    """
    from .geometry import meshio

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in PIECE_FILE_SUFFIXES:
        raise MeshError(f"{path.name}: unsupported piece file; use one of {', '.join(PIECE_FILE_SUFFIXES)}",
                        details={"path": str(path), "valid": list(PIECE_FILE_SUFFIXES)})
    # The whole file through the stone/part loader first: missing, empty, oversized, malformed,
    # open or non-manifold files get its errors and codes before we look at parts.
    meshio.load_mesh(path, role="metal", frame="piece", units="mm")
    if suffix in (".glb", ".gltf"):
        parts = _read_gltf(path)
    elif suffix == ".obj":
        parts = _read_obj(path)
    else:
        parts = _read_trimesh(path)
    if not parts:
        raise MeshError(f"{path.name}: the file holds no triangles", details={"path": str(path)})
    if units is None:
        mm = 1000.0 if suffix in (".glb", ".gltf") else _guess_units(parts)
    elif isinstance(units, str):
        if units not in _UNIT_GUESSES:
            raise InvalidOptionError(f"units must be one of {list(_UNIT_GUESSES)}, got {units!r}")
        mm = _UNIT_GUESSES[units]
    else:
        mm = float(units)
    return parts, mm


def _sidecar(path: Path, sidecar) -> dict:
    if sidecar is None:
        for cand in (path.with_name(path.name + ".toml"), path.with_suffix(".toml")):
            if cand.is_file():
                sidecar = cand
                break
        else:
            return {}
    sidecar = Path(sidecar)
    try:
        data = tomllib.loads(sidecar.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidOptionError(f"sidecar file not found: {sidecar}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidOptionError(f"sidecar {sidecar.name} is not valid TOML: {exc}") from None
    unknown = set(data) - _SIDECAR_KEYS
    if unknown:
        raise InvalidOptionError(f"sidecar {sidecar.name}: unknown key(s) {', '.join(sorted(unknown))}; "
                                 f"valid: {', '.join(sorted(_SIDECAR_KEYS))}")
    if not isinstance(data.get("materials", {}), dict):
        raise InvalidOptionError(f"sidecar {sidecar.name}: [materials] must map part-name patterns to materials")
    data["_name"] = sidecar.name
    return data


# --------------------------------------------------------------------------- #
# Measuring and fitting
# --------------------------------------------------------------------------- #


def _area_points(parts) -> tuple[np.ndarray, np.ndarray]:
    cs, ws = [], []
    for v, f in parts:
        tri = v[f]
        cs.append(tri.mean(axis=1))
        ws.append(0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1))
    return np.concatenate(cs), np.concatenate(ws)


def _fit_circle(xy: np.ndarray) -> tuple[np.ndarray, float]:
    A = np.c_[2 * xy, np.ones(len(xy))]
    b = (xy ** 2).sum(axis=1)
    sol, *_ = np.linalg.lstsq(A, b, rcond=None)
    c = sol[:2]
    return c, float(np.sqrt(max(sol[2] + c @ c, 0.0)))


def _ring_axis(cen, cw, pts, name):
    mean = (cen * cw[:, None]).sum(0) / cw.sum()
    dc = cen - mean
    _, evecs = np.linalg.eigh((dc * cw[:, None]).T @ dc / cw.sum())
    axis = evecs[:, 0]
    # The axis's sign is a convention: the file's +Z side (a piece authored in our frame keeps its
    # orientation, so a heart or pear points the way it was drawn), else its largest component's.
    k = 2 if abs(axis[2]) > 1e-6 else int(np.argmax(np.abs(axis)))
    axis = axis if axis[k] > 0 else -axis
    e1 = evecs[:, 2]
    e2 = np.cross(axis, e1)
    # radii from the vertices: triangle centroids sit inside a concave (comfort-fit) inner surface
    d = pts - mean
    xy = np.c_[d @ e1, d @ e2]
    centre = np.zeros(2)
    for _ in range(3):  # innermost metal per sector, then a circle through it
        rel = xy - centre
        ang = np.arctan2(rel[:, 1], rel[:, 0])
        r = np.linalg.norm(rel, axis=1)
        bins = ((ang + np.pi) / (2 * np.pi) * 72).astype(int) % 72
        inner = []
        for b in range(72):
            sel = np.flatnonzero(bins == b)
            if sel.size:
                inner.append(xy[sel[np.argmin(r[sel])]])
        inner = np.array(inner)
        if len(inner) < 54:  # metal missing from more than a quarter of the way round
            raise PieceNotARingError(
                f"{name}: its metal does not go round an axis (covers {len(inner) * 5} of 360 degrees), so it "
                "cannot be put on a finger; try-on takes rings (a closed band)",
                details={"reason": "no_band", "coverage_deg": len(inner) * 5})
        centre, _ = _fit_circle(inner)
    rel = xy - centre
    r = np.linalg.norm(rel, axis=1)
    bins = ((np.arctan2(rel[:, 1], rel[:, 0]) + np.pi) / (2 * np.pi) * 72).astype(int) % 72
    r_in = np.array([r[bins == b].min() for b in range(72) if np.any(bins == b)])
    inner_r = float(np.median(r_in))
    if inner_r < 3.0 or inner_r > 20.0:
        raise PieceNotARingError(f"{name}: measured inner diameter {2 * inner_r:.1f} mm is not a ring size "
                                 "(6-40 mm accepted); check the file's units (sidecar 'units = \"mm\"')",
                                 details={"reason": "size", "inner_diameter_mm": round(2 * inner_r, 2)})
    return axis, e1, e2, mean, centre, inner_r


def measure_ring(metal, stones=(), *, name: str = "piece") -> dict:
    """Axis, centre, up and inner diameter of a ring from its metal (and stones), any frame, mm.

    Parameters
    ----------
    metal, stones : sequences of (vertices, faces)

    Returns
    -------
    dict
        ``axis``, ``up`` (unit 3-vectors), ``center`` (3,), ``inner_diameter_mm``,
        ``width_mm`` (the band's extent along the axis at its bottom) and the 4x4
        ``to_piece`` matrix into the piece frame (axis +Z, up +Y, centre at the origin).

    Raises
    ------
    PieceNotARingError
        No metal, or the metal does not go round an axis.
    """
    if not metal:
        raise PieceNotARingError(f"{name}: no metal part, so nothing to fit on a finger (a loose stone?); "
                                 "try-on needs a ring: a band with its setting",
                                 details={"reason": "no_metal"})
    cen, cw = _area_points(metal)  # area-weighted, so dense tessellation does not pull the axis
    pts = np.concatenate([v for v, _ in metal])
    keep = np.ones(len(cen), bool)
    for _pass in range(2):  # all metal first, then the band alone (a heart's head is not symmetric)
        axis, e1, e2, mean, centre, inner_r = _ring_axis(cen[keep], cw[keep], pts, name)
        c3 = mean + centre[0] * e1 + centre[1] * e2
        dc = cen - c3
        radial = np.linalg.norm(dc - np.outer(dc @ axis, axis), axis=1)
        keep = radial < 1.3 * inner_r
        if keep.sum() < 16:
            break
    d = pts - mean
    xy = np.c_[d @ e1, d @ e2]
    r = np.linalg.norm(xy - centre, axis=1)
    w = np.ones(len(pts))
    c3 = mean + centre[0] * e1 + centre[1] * e2
    # up: towards the stones, else towards where the metal is heaviest (the head)
    if stones:
        sp, sw = _area_points(stones)
        target = (sp * sw[:, None]).sum(0) / sw.sum()
    else:
        far = r > inner_r * 1.05
        target = (pts[far] * w[far, None]).sum(0) / max(w[far].sum(), 1e-12) if far.any() else c3 + e1
    up = target - c3
    up -= axis * (up @ axis)
    if np.linalg.norm(up) < 1e-6 * inner_r:  # a plain band: any direction across the axis
        up = e1.copy()
    up /= np.linalg.norm(up)
    # centre along the axis: the middle of the band at the bottom (opposite the head)
    band = (r < inner_r * 1.35) & ((pts - c3) @ up < 0)
    ax = (pts[band] - c3) @ axis if band.any() else (pts - c3) @ axis
    c3 = c3 + axis * 0.5 * (ax.min() + ax.max())
    x = np.cross(up, axis)
    R = np.stack([x, up, axis])  # rows: piece axes in file coordinates
    M = np.eye(4)
    M[:3, :3] = R
    M[:3, 3] = -R @ c3
    return {"axis": axis, "up": up, "center": c3, "inner_diameter_mm": 2 * inner_r,
            "width_mm": float(ax.max() - ax.min()), "to_piece": M}


# --------------------------------------------------------------------------- #
# The piece
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class CadPiece:
    """A whole piece read from a file, in the piece frame (mm), with a material per part.

    Duck-types :class:`jewelrender.catalog.Piece` where the pipeline reads it (``id``,
    ``label``, ``kind``, ``metal``, ``finish``, ``band``, ``stone``/``setting``/``accent``
    = None, :meth:`to_report`).
    """

    id: str
    label: str
    parts: tuple[MeshPart, ...]
    part_materials: dict[str, tuple[str, str]]
    inner_diameter_mm: float
    metal: str
    source: str
    finish: str = "polished"
    kind: str = "cad"
    #: A whole-piece file is a ring (anything else is refused as PIECE_NOT_A_RING).
    site: str = "ring"
    band: dict = field(default_factory=dict)
    stone: dict | None = None
    setting: dict | None = None
    accent: dict | None = None
    assigned_by: dict[str, str] = field(default_factory=dict)

    def to_report(self) -> dict:
        return {"id": self.id, "label": self.label, "kind": self.kind, "source": self.source, "metal": self.metal,
                "finish": self.finish, "band": dict(self.band),
                "measured_inner_diameter_mm": round(self.inner_diameter_mm, 3),
                "parts": {p.name: {"role": p.role, "material": self.part_materials[p.name][1],
                                   "assigned_by": self.assigned_by.get(p.name, "")} for p in self.parts}}

    def fitted_parts(self, inner_diameter_mm: float) -> list[MeshPart]:
        """The parts refitted to a finger: the band radially, everything else moved rigidly (stones keep their size)."""
        delta = 0.5 * (float(inner_diameter_mm) - self.inner_diameter_mm)
        out = []
        for p in self.parts:
            v = p.vertices.astype(np.float64)
            xy = v[:, :2]
            r = np.linalg.norm(xy, axis=1)
            ang = np.arctan2(xy[:, 1], xy[:, 0])
            wraps = p.role == "metal" and len(np.unique(((ang + np.pi) / (2 * np.pi) * 36).astype(int))) > 18
            if wraps:
                scale = (r + delta) / np.maximum(r, 1e-9)
                nv = np.c_[xy * scale[:, None], v[:, 2]]
                normals = p.normals  # a radial offset keeps directions up to O(delta / r)
            else:
                c = v.mean(axis=0)[:2]
                dirn = c / max(np.linalg.norm(c), 1e-9)
                nv = v + np.r_[dirn * delta, 0.0]
                normals = p.normals
            out.append(MeshPart(p.name, p.role, nv.astype(np.float32), p.faces, normals, p.texcoords))
        return out

    def scene_materials(self, *, dispersive_accents: bool = True, thick_media: str = "volume",
                        finish: str | None = None, metal: str | None = None) -> dict[str, dict]:
        """Per part name: ``{"bsdf", "interior"}`` for the render scene (metres)."""
        from .library import materials
        from .scene import stone_material

        fin = finish or self.finish
        cache: dict[tuple, dict] = {}
        out = {}
        for p in self.parts:
            kind, mid = self.part_materials[p.name]
            if kind == "metal":
                mid = metal or mid
                key = ("metal", mid, p.texcoords is not None)
                if key not in cache:
                    cache[key] = {"bsdf": materials.metal_bsdf_dict(mid, finish=fin,
                                                                    has_texcoords=p.texcoords is not None),
                                  "interior": None}
            else:
                small = float(np.max(np.ptp(p.vertices, axis=0))) < 2.5  # melee: see Quality.accent_dispersion
                key = ("stone", mid, small)
                if key not in cache:
                    cache[key] = stone_material(mid, dispersive=dispersive_accents or not small,
                                                thick_media=thick_media)
            out[p.name] = cache[key]
        return out


def load_parts(path, *, metal: str | None = None, sidecar=None, units: str | float | None = None
               ) -> tuple[list[MeshPart], dict[str, tuple[str, str]], dict[str, str]]:
    """Read a whole-piece file's parts (file frame, mm, each closed) with their materials, unmeasured.

    Returns ``(parts, materials, assigned_by)``: role ``"metal"``/``"stone"`` parts,
    ``{part: ("metal", preset) | ("stone", gem)}`` and which rule assigned each
    (``sidecar``, ``gltf-extras``, ``name``, ``gltf-pbr``, ``--metal``).

    Raises
    ------
    MeshError, MeshNotClosedError
        A bad file or part (the codes of :mod:`jewelrender.meshio`).
    PartUnassignedError
        Parts with no material from the sidecar, glTF data or names.
    PieceNotARingError
        Nothing that goes round a finger.
    InvalidOptionError
        Unknown ``metal``, bad sidecar.
    """
    from .geometry import meshio
    from .library import materials

    path = Path(path)
    if not path.is_file():
        raise MeshError(f"piece file not found: {path}", details={"path": str(path)})
    if metal is not None and metal not in materials.list_metals():
        raise InvalidOptionError(f"unknown metal {metal!r}; valid: {', '.join(materials.list_metals())}",
                                 details={"valid": materials.list_metals()})
    side = _sidecar(path, sidecar)
    raw, mm = read_parts(path, units=units if units is not None else side.get("units"))
    rules = side.get("materials", {})

    assigned: dict[str, tuple[str, str]] = {}
    how: dict[str, str] = {}
    for p in raw:
        for pattern, value in rules.items():
            if fnmatch.fnmatchcase(p.name, pattern) or (p.material_name and fnmatch.fnmatchcase(p.material_name, pattern)):
                assigned[p.name] = _resolve(value, f"sidecar {side['_name']} [{pattern}]")
                how[p.name] = "sidecar"
                break
        else:
            named = next((h for h in map(material_from_name, p.names) if h is not None), None)
            if p.hint is not None and p.exact:          # jewelrender's own extras: exact
                assigned[p.name], how[p.name] = _resolve(p.hint[1], p.name), "gltf-extras"
            elif named is not None:                     # a name that says which metal or gem
                assigned[p.name], how[p.name] = named, "name"
            elif p.hint is not None:                    # glTF PBR/KHR numbers: the nearest preset or gem
                assigned[p.name], how[p.name] = p.hint, "gltf-pbr"
    if metal is not None:
        for n, (kind, _) in list(assigned.items()):
            if kind == "metal":
                assigned[n], how[n] = ("metal", metal), "--metal"
    missing = [p.name for p in raw if p.name not in assigned]
    if missing:
        shown = ", ".join(missing[:12]) + (" ..." if len(missing) > 12 else "")
        raise PartUnassignedError(
            f"{path.name}: no material for part(s) {shown}; name the parts or their materials after a metal or gem "
            f"(e.g. 'band_18k_yellow', 'diamond'), or assign them in a sidecar {path.name}.toml: "
            "[materials] \"band*\" = \"yellow-gold-18k\", \"stone*\" = \"diamond\"",
            details={"path": str(path), "parts": missing, "valid": _valid_material_names()})

    parts: list[MeshPart] = []
    for p in raw:
        kind, mid = assigned[p.name]
        role = "metal" if kind == "metal" else "stone"
        v = p.vertices * mm
        fv, ff, rep = meshio.repair(v, p.faces, role=role, source=f"{path.name}:{p.name}")
        if role == "metal" and p.normals is not None and all("welded" in fix for fix in rep.fixes):
            # Closed once its crease copies are welded: keep the file's own corners and normals (the
            # creases and smooth shading the author meant), each corner snapped onto its welded vertex
            # so the surface has no cracks.
            from scipy.spatial import cKDTree

            _, nearest = cKDTree(fv).query(v)
            nv, nf, nn, uv = fv[nearest], p.faces, p.normals, p.texcoords
        else:  # repaired into new vertices: the file's per-vertex normals and (u, v) no longer apply
            nv, nf, nn, uv = fv, ff, None, None
        parts.append(MeshPart(p.name, role, nv.astype(np.float32), nf.astype(np.uint32), nn, uv))
    return parts, {q.name: assigned[q.name] for q in parts}, how


def load_piece(path, *, metal: str | None = None, sidecar=None, units: str | float | None = None) -> CadPiece:
    """Read a whole piece (:func:`load_parts`), measure the ring and move it into the piece frame.

    Raises
    ------
    MeshError, MeshNotClosedError
        A bad file or part (the codes of :mod:`jewelrender.meshio`).
    PartUnassignedError
        Parts with no material from the sidecar, glTF data or names.
    PieceNotARingError
        Nothing that goes round a finger.
    InvalidOptionError
        Unknown ``metal``, bad sidecar.
    """
    path = Path(path)
    parts, assigned, how = load_parts(path, metal=metal, sidecar=sidecar, units=units)
    metal_parts = [(q.vertices.astype(np.float64), q.faces) for q in parts if q.role == "metal"]
    stone_parts = [(q.vertices.astype(np.float64), q.faces) for q in parts if q.role == "stone"]
    m = measure_ring(metal_parts, stone_parts, name=path.name)
    T = m["to_piece"]
    placed = []
    for q in parts:
        v = q.vertices.astype(np.float64) @ T[:3, :3].T + T[:3, 3]
        n = None if q.normals is None else (q.normals.astype(np.float64) @ T[:3, :3].T).astype(np.float32)
        if q.role == "metal" and n is None:
            import trimesh

            n = trimesh.Trimesh(v, q.faces, process=False).vertex_normals.astype(np.float32)
        placed.append(MeshPart(q.name, q.role, v.astype(np.float32), q.faces, n, q.texcoords))
    metals = [assigned[q.name][1] for q in parts if q.role == "metal"]
    main = max(set(metals), key=metals.count)
    return CadPiece(id=path.name, label=f"{path.name} ({len(placed)} parts)", parts=tuple(placed),
                    part_materials={q.name: assigned[q.name] for q in parts}, inner_diameter_mm=m["inner_diameter_mm"],
                    metal=main, source=str(path), band={"width_mm": m["width_mm"]}, assigned_by=how)

