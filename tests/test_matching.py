"""Material matching (``jewelrender match-material``): the fit on a real product shot, the preset it
writes used by a try-on, user presets files, and the errors for bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from jewelrender.cli import main
from jewelrender.errors import (CatalogError, InvalidOptionError, PhotoNotFoundError, ProductNotFoundError,
                                UnknownPieceError)
from jewelrender.library import materials

@pytest.fixture(autouse=True)
def _forget_user_presets():
    """User presets are process-wide: leave none behind for other test modules (which list every metal)."""
    yield
    materials.forget_metal_presets()


SHOT = "samlora_ring2.jpg"                       # a platinum/white-gold solitaire on white
PIECE = "solitaire-round-1ct-6prong-platinum"


@pytest.fixture(scope="module")
def fitted(data_dir):
    """One small fit shared by the tests (64 px, 12 Adam steps, 4 spp: a few seconds on 2 cores)."""
    from jewelrender.matching import fit_material, load_product_shot

    shot = load_product_shot(data_dir / "jewelry_refs" / SHOT, size=64)
    return fit_material(PIECE, shot, iterations=12, spp=4, eval_spp=16)


@pytest.mark.slow
def test_the_fit_lowers_the_metal_delta_e_on_a_real_product_shot(fitted):
    r = fitted
    assert r.pose.iou > 0.45                                       # the catalog solitaire found on the photo
    assert r.region.sum() > 150
    assert r.loss_history[-1] < 0.8 * r.loss_history[0]
    # an optimiser that did nothing would render the same picture (same seed) and score the same
    assert r.delta_e_after < r.delta_e_before - 1.0, (r.delta_e_before, r.delta_e_after)
    assert r.base_metal in ("white-gold-18k", "platinum-950", "palladium-950", "silver-925", "white-gold-18k-palladium")
    assert np.all(r.after.tint <= 1.0) and r.after.tint.max() == pytest.approx(1.0)
    assert r.variant.endswith("_ad_spectral")
    json.dumps(r.to_report())


@pytest.mark.slow
def test_the_written_preset_round_trips_into_a_try_on_with_metal_file(fitted, tmp_path, data_dir, capsys):
    from jewelrender.matching import write_preset

    preset = tmp_path / "matched.toml"
    pid = write_preset(fitted, preset, name="my-platinum")
    assert pid == "my-platinum"
    text = preset.read_text()
    assert "tint = [" in text and "tint_nm = [" in text
    ids = materials.register_metal_presets(preset)
    assert ids == ["my-platinum"]
    m = materials.metal("my-platinum")
    assert m.tint is not None and m.roughness == pytest.approx(fitted.after.alpha, abs=1e-4)
    assert "specular_reflectance" in materials.metal_bsdf_dict(m)      # the tint reaches the renderer

    out, report = tmp_path / "tryon.png", tmp_path / "tryon.json"
    photo = data_dir / "samples" / "hand_shu-fingercount_set1-five-22.jpg"
    rc = main(["try-on", str(photo), "--piece", "band-court-2mm-18k-yellow", "--metal", str(preset),
               "--out", str(out), "--report", str(report), "--refine-lighting", "0", "--min-quality", "0"])
    assert rc == 0, capsys.readouterr().err
    rep = json.loads(report.read_text())
    assert json.dumps(rep).count("my-platinum") >= 1
    assert out.stat().st_size > 1000


def test_presets_files_are_checked_at_the_boundary(tmp_path):
    with pytest.raises(InvalidOptionError):
        materials.resolve_metal(str(tmp_path / "missing.toml"))
    bad = tmp_path / "bad.toml"
    bad.write_text('[x]\nlabel = "x"\nnote = "x"\ndata = "Pt"\nroughness = 0.03\ntint = [1.2, 1.0]\ntint_nm = [400, 700]\n')
    with pytest.raises(CatalogError, match="tint"):
        materials.register_metal_presets(bad)
    clash = tmp_path / "clash.toml"
    clash.write_text('[platinum-950]\nlabel = "x"\nnote = "x"\ndata = "Pt"\nroughness = 0.03\n')
    with pytest.raises(CatalogError, match="shipped"):
        materials.register_metal_presets(clash)
    two = tmp_path / "two.toml"
    two.write_text('[a1]\nlabel = "a"\nnote = "a"\ndata = "Pt"\nroughness = 0.03\n'
                   '[a2]\nlabel = "b"\nnote = "b"\ndata = "Pt"\nroughness = 0.03\n')
    with pytest.raises(InvalidOptionError, match="exactly one"):
        materials.resolve_metal(str(two))
    assert materials.resolve_metal("platinum-950") == "platinum-950"


def test_bad_inputs_get_codes_before_any_render(tmp_path, data_dir):
    from jewelrender.matching import load_product_shot, match_material

    with pytest.raises(PhotoNotFoundError):
        match_material(tmp_path / "nope.jpg", PIECE)
    with pytest.raises(UnknownPieceError):
        match_material(data_dir / "jewelry_refs" / SHOT, "no-such-piece")
    with pytest.raises(InvalidOptionError):
        match_material(data_dir / "jewelry_refs" / SHOT, PIECE, out=tmp_path / "preset.txt")
    with pytest.raises(InvalidOptionError):
        match_material(data_dir / "jewelry_refs" / SHOT, PIECE, out=tmp_path / "preset.toml", name="Bad Name!")
    blank = tmp_path / "blank.png"
    import imageio.v3 as iio

    iio.imwrite(blank, np.full((80, 80, 3), 250, np.uint8))
    with pytest.raises(ProductNotFoundError, match="stands out"):
        load_product_shot(blank)
    # a hand photo is no product shot: its border is not one plain colour
    with pytest.raises(ProductNotFoundError, match="plain backdrop"):
        load_product_shot(data_dir / "samples" / "hand_shu-fingercount_set1-five-22.jpg")
    assert not list(tmp_path.glob("*.toml"))


@pytest.mark.parametrize("args, code", [
    (["{blank}", "--piece", PIECE], "PRODUCT_NOT_FOUND"),
    (["{shot}", "--piece", "no-such-piece"], "UNKNOWN_PIECE"),
    (["{missing}", "--piece", PIECE], "FILE_NOT_FOUND"),
    (["{shot}", "--piece", PIECE, "--metal", "unobtanium"], "INVALID_OPTION"),
    (["{shot}", "--piece", "{missing_glb}"], "INVALID_MESH"),
])
def test_cli_errors_are_one_line_exit_2_and_nothing_written(args, code, tmp_path, data_dir, capsys):
    import imageio.v3 as iio

    blank = tmp_path / "blank.png"
    iio.imwrite(blank, np.full((80, 80, 3), 250, np.uint8))
    paths = {"blank": blank, "shot": data_dir / "jewelry_refs" / SHOT, "missing": tmp_path / "missing.jpg",
             "missing_glb": tmp_path / "missing.glb"}
    out = tmp_path / "preset.toml"
    argv = ["match-material", *[x.format(**paths) for x in args], "--out", str(out),
            "--preview", str(tmp_path / "p.png")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {code}: ") and err.count("\n") == 1
    assert not out.exists() and not (tmp_path / "p.png").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
