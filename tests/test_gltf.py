"""glTF export (jewelrender.gltf, `jewelrender export`): pygltflib round trips and the Khronos validator."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pygltflib", reason="the optional 'gltf' extra is not installed")
import pygltflib  # noqa: E402

from jewelrender import optics  # noqa: E402
from jewelrender.library import materials
from jewelrender.cli import main  # noqa: E402
from jewelrender.errors import MissingDependencyError  # noqa: E402
from jewelrender.gltf import export_piece  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
HALO = "halo-heart-ruby-1ct-18k-rose"


@pytest.fixture(scope="module")
def halo_glb(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gltf") / "halo.glb"
    export_piece(HALO, out)
    return out


def _positions(doc, mesh_index: int) -> np.ndarray:
    acc = doc.accessors[doc.meshes[mesh_index].primitives[0].attributes.POSITION]
    view = doc.bufferViews[acc.bufferView]
    blob = doc.binary_blob()
    return np.frombuffer(blob, np.float32, acc.count * 3, view.byteOffset + (acc.byteOffset or 0)).reshape(-1, 3)


def test_export_has_one_named_node_per_part_in_metres(halo_glb):
    doc = pygltflib.GLTF2().load(str(halo_glb))
    names = [n.name for n in doc.nodes]
    assert names[-1] == HALO and doc.scenes[0].nodes == [len(names) - 1]
    assert {"band", "head", "stone", "halo_frame", "prong_0", "accent_0"} <= set(names)
    band = _positions(doc, names.index("band"))
    r = np.hypot(band[:, 0], band[:, 1])
    assert r.min() == pytest.approx(17.35e-3 / 2, rel=2e-3)   # metres, at the default US 7
    assert np.ptp(band[:, 2]) == pytest.approx(2.2e-3, rel=0.02)  # the catalog entry's 2.2 mm band


def test_metal_base_color_is_the_spectral_f0(halo_glb):
    doc = pygltflib.GLTF2().load(str(halo_glb))
    gold = next(m for m in doc.materials if m.name == "rose-gold-18k")
    pbr = gold.pbrMetallicRoughness
    assert pbr.metallicFactor == 1.0
    # independently: the normal reflectance spectrum from n, k -> XYZ (D65) -> linear sRGB
    wl = np.arange(380.0, 781.0, 5.0)
    n, k = materials.metal("rose-gold-18k").data.nk(wl)
    R = ((n - 1) ** 2 + k ** 2) / ((n + 1) ** 2 + k ** 2)
    rgb = np.clip(optics.xyz_to_linear_srgb(optics.reflectance_to_xyz(wl, R)), 0, 1)
    assert np.allclose(pbr.baseColorFactor[:3], rgb, atol=1e-4)
    assert pbr.baseColorFactor[0] > pbr.baseColorFactor[1] > pbr.baseColorFactor[2]  # rose: red > green > blue
    assert pbr.roughnessFactor == pytest.approx(np.sqrt(materials.metal("rose-gold-18k").roughness), abs=1e-4)


def test_stones_carry_ior_dispersion_transmission_and_body_colour(halo_glb):
    doc = pygltflib.GLTF2().load(str(halo_glb))
    assert set(doc.extensionsUsed) == {"KHR_materials_ior", "KHR_materials_dispersion",
                                       "KHR_materials_transmission", "KHR_materials_volume"}
    mats = {m.name: m for m in doc.materials}
    ruby, diamond = mats["ruby"].extensions, mats["diamond"].extensions
    assert ruby["KHR_materials_ior"]["ior"] == pytest.approx(materials.gem("corundum").n_d, abs=1e-4)
    assert diamond["KHR_materials_ior"]["ior"] == pytest.approx(2.417, abs=2e-3)
    # dispersion = 20 / Abbe number (the extension's definition): diamond ~ 0.36, corundum lower
    assert diamond["KHR_materials_dispersion"]["dispersion"] == pytest.approx(20 / materials.gem("diamond").abbe, rel=1e-3)
    assert ruby["KHR_materials_dispersion"]["dispersion"] < diamond["KHR_materials_dispersion"]["dispersion"]
    assert ruby["KHR_materials_transmission"]["transmissionFactor"] == 1.0
    r, g, b = ruby["KHR_materials_volume"]["attenuationColor"]
    assert r > 3 * g and r > 3 * b                     # a red stone absorbs green and blue
    assert "attenuationColor" not in diamond["KHR_materials_volume"]   # colourless: no attenuation
    stone_node = next(n for n in doc.nodes if n.name == "stone")
    prim = doc.meshes[stone_node.mesh].primitives[0]
    assert doc.materials[prim.material].name == "ruby" and prim.attributes.NORMAL is None  # facets: flat


def test_gltf_text_form_round_trips(tmp_path):
    out = tmp_path / "band.gltf"
    assert main(["export", "band-court-2mm-18k-yellow", "--out", str(out), "--metal", "platinum-950",
                 "--inner-diameter", "19"]) == 0
    doc = json.loads(out.read_text())
    assert doc["buffers"][0]["uri"].startswith("data:application/octet-stream;base64,")
    loaded = pygltflib.GLTF2().load(str(out))
    assert [m.name for m in loaded.materials] == ["platinum-950"]
    band = np.frombuffer(loaded.get_data_from_buffer_uri(loaded.buffers[0].uri), np.float32,
                         loaded.accessors[0].count * 3).reshape(-1, 3)
    assert np.hypot(band[:, 0], band[:, 1]).min() == pytest.approx(9.5e-3, rel=2e-3)


@pytest.mark.parametrize("argv, code", [
    (["export", "no-such-piece", "--out", "{d}/x.glb"], "UNKNOWN_PIECE"),
    (["export", HALO, "--out", "{d}/x.obj"], "INVALID_OPTION"),
    (["export", HALO, "--out", "{d}/x.glb", "--metal", "unobtainium"], "INVALID_OPTION"),
    (["export", HALO, "--out", "{d}/x.glb", "--inner-diameter", "3"], "INVALID_OPTION"),
    (["export", HALO, "--out", "{d}/missing/x.glb"], "INVALID_OPTION"),
])
def test_export_refuses_bad_input_and_writes_nothing(tmp_path, capsys, argv, code):
    assert main([a.format(d=tmp_path) for a in argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {code}: ") and "\n" not in err
    assert list(tmp_path.iterdir()) == []


def test_missing_pygltflib_is_an_actionable_error(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pygltflib", None)
    with pytest.raises(MissingDependencyError) as exc:
        export_piece(HALO, tmp_path / "x.glb")
    assert exc.value.code == "MISSING_DEPENDENCY" and "jewelrender[gltf]" in exc.value.message
    assert list(tmp_path.iterdir()) == []


def _validator() -> Path | None:
    for d in (REPO / ".tools" / "node_modules" / "gltf-validator",):
        if d.is_dir() and shutil.which("node"):
            return d
    return None


@pytest.mark.skipif(_validator() is None, reason="Khronos glTF validator not installed (scripts/setup.sh: npm)")
def test_khronos_validator_finds_no_errors_or_warnings(tmp_path, halo_glb):
    export_piece("pearl-7mm-18k-yellow", tmp_path / "pearl.gltf")
    script = ("const v=require(process.argv[1]);const fs=require('fs');(async()=>{const out=[];"
              "for(const f of process.argv.slice(2)){const r=await v.validateBytes(new Uint8Array(fs.readFileSync(f)));"
              "out.push(r.issues)};console.log(JSON.stringify(out))})()")
    res = subprocess.run(["node", "-e", script, str(_validator()), str(halo_glb), str(tmp_path / "pearl.gltf")],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    for issues in json.loads(res.stdout):
        assert issues["numErrors"] == 0 and issues["numWarnings"] == 0, issues["messages"][:5]
