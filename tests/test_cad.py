"""Whole pieces from CAD (jewelrender.cad, try-on --piece FILE): materials, measuring, fitting, refusals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pygltflib", reason="the optional 'gltf' extra is not installed")
import pygltflib  # noqa: E402

from jewelrender import cad  # noqa: E402
from jewelrender.library.catalog import get_piece  # noqa: E402
from jewelrender.cli import main  # noqa: E402
from jewelrender.errors import MeshError, PartUnassignedError, PieceNotARingError  # noqa: E402
from jewelrender.gltf import export_piece  # noqa: E402
from jewelrender.pieces import piece_parts  # noqa: E402

SOLITAIRE = "solitaire-round-1ct-18k-yellow"


def _write_obj(path: Path, parts, names, scale: float = 1.0) -> Path:
    lines, off = [], 1
    for p, n in zip(parts, names):
        lines.append(f"o {n}")
        lines += [f"v {x * scale:.6f} {y * scale:.6f} {z * scale:.6f}" for x, y, z in p.vertices]
        lines += [f"f {a + off} {b + off} {c + off}" for a, b, c in p.faces]
        off += len(p.vertices)
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def solitaire_glb(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cad") / "solitaire.glb"
    export_piece(SOLITAIRE, out)
    return out


@pytest.fixture(scope="module")
def solitaire_parts():
    return piece_parts(get_piece(SOLITAIRE), 18.0)


def _hausdorff(a, b) -> float:
    """Symmetric Hausdorff distance of two vertex sets (repair may weld and reorder vertices)."""
    from scipy.spatial import cKDTree

    return float(max(cKDTree(a).query(b)[0].max(), cKDTree(b).query(a)[0].max()))


def _rotation(axis, angle):
    axis = np.asarray(axis, float) / np.linalg.norm(axis)
    K = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * K + (1 - np.cos(angle)) * K @ K


def test_exported_piece_loads_back_with_its_materials_and_geometry(solitaire_glb):
    piece = cad.load_piece(solitaire_glb)
    assert piece.inner_diameter_mm == pytest.approx(17.35, abs=0.01)
    assert set(piece.assigned_by.values()) == {"gltf-extras"}
    assert piece.part_materials["stone"] == ("stone", "diamond")
    assert piece.part_materials["band"] == ("metal", "yellow-gold-18k")
    # refitted to another finger: the band regrows, the stone keeps its size, and it matches
    # what the catalog generates for that finger to a tenth of a millimetre
    ref = {p.name: p for p in piece_parts(get_piece(SOLITAIRE), 19.0)}
    fit = {p.name: p for p in piece.fitted_parts(19.0)}
    assert set(ref) == set(fit)
    for name in ("band", "stone", "head"):
        assert _hausdorff(ref[name].vertices, fit[name].vertices) < 0.02, name
    assert max(_hausdorff(ref[n].vertices, fit[n].vertices) for n in ref) < 0.15   # prong feet re-seat
    assert np.ptp(fit["stone"].vertices, axis=0) == pytest.approx(np.ptp(ref["stone"].vertices, axis=0), abs=1e-4)


def test_a_tilted_obj_in_centimetres_is_measured_and_named(tmp_path, solitaire_parts):
    # a CAD export in its own frame: rotated, shifted, in cm, materials only in the object names
    R = _rotation([0.3, 1.0, 0.2], 0.9)
    moved = [type(p)(p.name, p.role, p.vertices @ R.T + [4.0, -7.0, 2.5], p.faces) for p in solitaire_parts]
    names = ["band_18k_yellow" if p.name == "band" else f"{p.name}_yellow_gold_18k" if p.role == "metal"
             else "Diamond.001" for p in solitaire_parts]
    f = _write_obj(tmp_path / "ring.obj", moved, names, scale=0.1)
    piece = cad.load_piece(f)
    assert piece.inner_diameter_mm == pytest.approx(18.0, abs=0.05)
    assert set(piece.assigned_by.values()) == {"name"}
    assert piece.part_materials["Diamond.001"] == ("stone", "diamond")
    stone = next(p for p in piece.parts if p.role == "stone")
    # in the piece frame the stone sits on top (+Y), centred on the band (x, z about 0)
    c = stone.vertices.mean(axis=0)
    assert c[1] > 9.0 and abs(c[0]) < 0.05 and abs(c[2]) < 0.05


def test_sidecar_assigns_parts_and_metal_option_overrides(tmp_path, solitaire_parts):
    f = _write_obj(tmp_path / "ring.obj", solitaire_parts, [p.name for p in solitaire_parts])
    with pytest.raises(PartUnassignedError) as exc:
        cad.load_piece(f)
    assert exc.value.code == "PART_UNASSIGNED" and "stone" in exc.value.details["parts"]
    (tmp_path / "ring.obj.toml").write_text('units = "mm"\n[materials]\n"stone" = "moissanite"\n"*" = "18k_rose"\n')
    piece = cad.load_piece(f)
    assert piece.part_materials["stone"] == ("stone", "moissanite")
    assert piece.part_materials["band"] == ("metal", "rose-gold-18k") and piece.assigned_by["band"] == "sidecar"
    piece = cad.load_piece(f, metal="platinum-950")
    assert piece.part_materials["prong_0"] == ("metal", "platinum-950") and piece.metal == "platinum-950"
    (tmp_path / "ring.obj.toml").write_text('[materials]\n"*" = "kryptonite"\n')
    with pytest.raises(PartUnassignedError, match="kryptonite"):
        cad.load_piece(f)


def test_gltf_without_extras_uses_pbr_and_khr_numbers(tmp_path, solitaire_glb):
    doc = pygltflib.GLTF2().load(str(solitaire_glb))
    for m in doc.materials:   # another tool's export: no jewelrender extras, anonymous names
        m.extras = {}
        m.name = "Material.001" if m.name == "diamond" else "Material.002"
    for n in doc.nodes:
        n.name = None
    for m in doc.meshes:
        m.name = None
    out = tmp_path / "anon.glb"
    doc.save_binary(str(out))
    piece = cad.load_piece(out)
    assert set(piece.assigned_by.values()) == {"gltf-pbr"}
    mats = set(piece.part_materials.values())
    assert mats == {("stone", "diamond"), ("metal", "yellow-gold-18k")}


def test_pieces_that_cannot_be_worn_are_refused_with_codes(tmp_path, solitaire_parts):
    stone = next(p for p in solitaire_parts if p.role == "stone")
    with pytest.raises(PieceNotARingError) as exc:
        cad.load_piece(_write_obj(tmp_path / "loose.obj", [stone], ["diamond"]))
    assert exc.value.code == "PIECE_NOT_A_RING" and exc.value.details["reason"] == "no_metal"
    prong = next(p for p in solitaire_parts if p.name == "prong_0")
    with pytest.raises(PieceNotARingError, match="does not go round"):
        cad.load_piece(_write_obj(tmp_path / "pendant.obj", [prong, stone], ["platinum", "diamond"]))
    band = solitaire_parts[0]
    open_band = type(band)("band", "metal", band.vertices, band.faces[: len(band.faces) // 2])
    with pytest.raises(MeshError) as exc:
        cad.load_piece(_write_obj(tmp_path / "open.obj", [open_band], ["gold"]))
    assert exc.value.code in ("MESH_NOT_CLOSED", "INVALID_MESH")
    (tmp_path / "junk.glb").write_bytes(b"glTF not really")
    with pytest.raises(MeshError):
        cad.load_piece(tmp_path / "junk.glb")


def test_every_shared_mesh_loads_as_a_stone_or_is_refused_with_a_code(data_dir, tmp_path):
    files = sorted(p for p in (data_dir / "meshes").rglob("*") if p.suffix.lower() in (".obj", ".gltf", ".glb"))
    assert files
    side = tmp_path / "stones.toml"
    side.write_text('[materials]\n"*" = "diamond"\n')
    outcomes = {}
    for f in files:
        try:
            parts, mats, _ = cad.load_parts(f, sidecar=side, units="mm")
        except MeshError as exc:
            outcomes[f.name] = exc.code
            continue
        assert parts and all(p.role == "stone" for p in parts) and set(mats.values()) == {("stone", "diamond")}
        for p in parts:
            assert p.to_trimesh().is_watertight, f.name
        outcomes[f.name] = "stone"
        # as a try-on piece a loose stone is refused before any render
        with pytest.raises((PieceNotARingError, PartUnassignedError)) as exc:
            cad.load_piece(f)
        assert exc.value.code in ("PIECE_NOT_A_RING", "PART_UNASSIGNED")
    assert set(outcomes.values()) <= {"stone", "INVALID_MESH", "MESH_NOT_CLOSED"}
    assert sum(v == "stone" for v in outcomes.values()) >= len(files) - 2, outcomes


def test_cli_try_on_with_a_bad_piece_file_exits_2_and_writes_nothing(tmp_path, capsys, data_dir):
    photo = data_dir / "samples" / "hand_shu-fingercount_set1-five-22.jpg"
    stone = data_dir / "meshes" / "gems_gam0022" / "round_brilliant.obj"
    out = tmp_path / "out.png"
    assert main(["try-on", str(photo), "--piece", str(stone), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: PART_UNASSIGNED: ") and "\n" not in err
    assert not out.exists()


@pytest.mark.slow
def test_exported_catalog_piece_renders_the_same_try_on(solitaire_glb, data_dir):
    """Catalog piece vs its glTF loaded back, same seed: the difference is below Monte Carlo noise."""
    import jewelrender as jr

    photo = data_dir / "samples" / "hand_shu-fingercount_set1-five-22.jpg"
    opts = dict(quality="preview", refine_lighting=0, min_quality=0)
    with jr.Renderer() as r:
        a = r.try_on(photo, SOLITAIRE, **opts)
        b = r.try_on(photo, str(solitaire_glb), **opts)
        c = r.try_on(photo, SOLITAIRE, seed=1, **opts)
    ring = (a.mask > 0.05) | (b.mask > 0.05)
    assert ring.sum() > 100
    diff = lambda x, y: float(np.abs(x.image.astype(float) - y.image.astype(float))[ring].mean())  # noqa: E731
    noise = diff(a, c)                      # two seeds of the same catalog piece
    assert diff(a, b) < 0.6 * noise, (diff(a, b), noise)
    assert np.abs(a.mask - b.mask).sum() < 0.05 * a.mask.sum()
    assert b.report["piece"]["kind"] == "cad" and b.report["piece"]["measured_inner_diameter_mm"] == pytest.approx(17.35, abs=0.01)
    json.dumps(b.report)


def test_stl_parts_are_its_solids_assigned_by_a_sidecar(tmp_path):
    import trimesh

    parts = piece_parts(get_piece("band-court-4mm-18k-yellow"), 18.0)
    trimesh.util.concatenate([p.to_trimesh() for p in parts]).export(tmp_path / "band.stl")
    with pytest.raises(PartUnassignedError) as exc:
        cad.load_piece(tmp_path / "band.stl")
    assert exc.value.details["parts"] == ["part_0"]
    (tmp_path / "band.toml").write_text('[materials]\n"part_*" = "14k_yellow"\n')
    piece = cad.load_piece(tmp_path / "band.stl")
    assert piece.part_materials == {"part_0": ("metal", "yellow-gold-14k")}
    assert piece.inner_diameter_mm == pytest.approx(18.0, abs=0.01) and piece.band["width_mm"] == pytest.approx(4.0, abs=0.01)


def test_gltf_texture_coordinates_give_cad_bands_their_satin_brush_and_hammer_dimples(solitaire_glb, solitaire_parts):
    """The band's TEXCOORD_0 is read, so satin and hammered finishes orient themselves on a CAD band as on the
    catalog's; parts without (u, v) keep the isotropic equivalents."""
    piece = cad.load_piece(solitaire_glb)
    band = next(p for p in piece.parts if p.name == "band")
    ref = next(p for p in solitaire_parts if p.name == "band")
    assert band.texcoords is not None and band.texcoords.shape == (len(band.vertices), 2)
    assert np.allclose(np.sort(band.texcoords, axis=0), np.sort(ref.texcoords, axis=0), atol=1e-5)
    head = next(p for p in piece.parts if p.name == "head")
    assert head.texcoords is None
    satin = piece.scene_materials(finish="satin")
    assert "alpha_u" in satin["band"]["bsdf"] and "alpha_u" not in satin["head"]["bsdf"]
    assert piece.scene_materials(finish="hammered")["band"]["bsdf"]["type"] == "normalmap"
    fitted = next(p for p in piece.fitted_parts(19.0) if p.name == "band")
    assert fitted.texcoords is band.texcoords
