"""Composed pieces (jewelrender.compose; try-on --stone/--cut/--carat/--setting) and the gems/cuts/settings listings."""

from __future__ import annotations

import json

import numpy as np
import pytest

from jewelrender.geometry import cuts
from jewelrender.cli import main
from jewelrender.compose import compose_piece, cut_rows, gem_rows
from jewelrender.errors import InvalidOptionError
from jewelrender.pieces import piece_parts

SOLITAIRE = "solitaire-round-1ct-18k-yellow"


def test_stone_cut_and_carat_override_a_catalog_piece():
    p = compose_piece(SOLITAIRE, stone="moissanite", cut="cushion", carat=1.5)
    assert p.stone == {"cut": "cushion", "gem": "moissanite", "carat": 1.5}
    assert p.metal == "yellow-gold-18k" and p.kind == "solitaire" and p.setting["style"] == "prong"
    assert p.id == f"{SOLITAIRE}[stone=moissanite,cut=cushion,carat=1.5]"
    stone = next(q for q in piece_parts(p, 17.0) if q.name == "stone")
    length, width = cuts.carat_to_size_mm("cushion", 1.5, density_g_cm3=3.22)  # moissanite's density
    assert np.ptp(stone.vertices[:, 2]) == pytest.approx(length, rel=0.02)
    assert compose_piece(SOLITAIRE) is not None and compose_piece(SOLITAIRE).id == SOLITAIRE


def test_a_band_given_a_stone_becomes_a_ring_and_settings_follow_the_rules():
    p = compose_piece("band-court-2mm-18k-yellow", stone="sapphire")
    assert p.kind == "solitaire" and p.stone == {"cut": "round-brilliant", "gem": "sapphire", "carat": 1.0}
    assert compose_piece(SOLITAIRE, setting="bezel").kind == "ring"
    pearl = compose_piece(SOLITAIRE, cut="pearl", stone="pearl")
    assert pearl.setting == {"style": "cup"}
    halo = compose_piece("solitaire-round-1ct-6prong-platinum", setting="halo")
    assert halo.setting == {"style": "halo", "prongs": 6}
    with pytest.raises(InvalidOptionError, match="cup holds a round pearl"):
        compose_piece(SOLITAIRE, setting="cup")


@pytest.mark.parametrize("kw, option", [
    ({"stone": "kryptonite"}, "stone"), ({"cut": "rose"}, "cut"), ({"setting": "tension"}, "setting"),
    ({"carat": 0}, "carat"), ({"carat": 45.0}, "carat"), ({"carat": "1"}, "carat"), ({"carat": float("nan")}, "carat"),
])
def test_bad_options_are_typed_errors_listing_valid_values(kw, option):
    with pytest.raises(InvalidOptionError) as exc:
        compose_piece(SOLITAIRE, **kw)
    assert exc.value.code == "INVALID_OPTION" and exc.value.details["option"] == option
    if option in ("stone", "cut", "setting"):
        assert exc.value.details["valid"] and "jewelrender " in exc.value.message


def test_listings_show_what_matters(capsys):
    gems = {r["id"]: r for r in gem_rows()}
    assert gems["moissanite"]["dispersion"] > 2 * gems["diamond"]["dispersion"]  # moissanite: more fire
    assert gems["ruby"]["kind"] == "variety" and "red" in gems["ruby"]["colour"]
    assert gems["pearl"]["kind"] == "scattering"
    cuts_ = {r["id"]: r for r in cut_rows()}
    assert cuts_["round-brilliant"]["facets"] == 57 and cuts_["cushion"]["size_1ct_mm"][0] > 5
    for cmd in ("gems", "cuts", "settings"):
        assert main([cmd, "--json"]) == 0
        rows = json.loads(capsys.readouterr().out)
        assert rows and all("id" in r for r in rows)
    assert main(["cuts"]) == 0
    assert "cushion" in capsys.readouterr().out


def test_cli_refuses_a_bad_composition_before_rendering(tmp_path, capsys, data_dir):
    photo = data_dir / "samples" / "hand_shu-fingercount_set1-five-22.jpg"
    out = tmp_path / "out.png"
    assert main(["try-on", str(photo), "--piece", SOLITAIRE, "--cut", "rose", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: INVALID_OPTION: unknown cut 'rose'") and not out.exists()


@pytest.mark.slow
def test_try_on_keywords_compose_the_piece(data_dir):
    import jewelrender as jr

    photo = data_dir / "samples" / "hand_shu-fingercount_set1-five-22.jpg"
    res = jr.try_on(photo, SOLITAIRE, stone="ruby", cut="oval", carat=0.8, quality="preview", refine_lighting=0,
                    min_quality=0)
    assert res.report["piece"]["stone"] == {"cut": "oval", "gem": "ruby", "carat": 0.8}
    assert res.mask.sum() > 100
