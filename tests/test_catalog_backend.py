"""Catalog data, quality presets and backend selection."""

from __future__ import annotations

import numpy as np
import pytest

from jewelrender import backend
from jewelrender.library import catalog, materials
from jewelrender.errors import BackendUnavailableError, CatalogError, InvalidOptionError, UnknownPieceError
from jewelrender.pieces import piece_parts
from jewelrender.scene import stone_bsdf_dict


def test_shipped_catalog_has_the_required_pieces():
    ids = [p.id for p in catalog.list_pieces()]
    assert ids == sorted(ids)
    for required in ("band-court-2mm-18k-yellow", "band-court-4mm-18k-yellow", "solitaire-round-1ct-18k-yellow"):
        assert required in ids
    assert catalog.get_piece("band-court-4mm-18k-yellow").band["width_mm"] == 4.0


@pytest.mark.parametrize("piece", [p.id for p in catalog.list_pieces() if p.site == "ring"])
def test_every_piece_builds_closed_meshes_with_known_materials(piece):
    """Rings, made to a 17.3 mm finger (wrist pieces: tests/test_wrist.py)."""
    p = catalog.get_piece(piece)
    materials.metal(p.metal)  # raises if the preset is missing
    parts = piece_parts(p, 17.3)
    assert parts and all(part.to_trimesh().is_watertight for part in parts)
    band = parts[0]
    r = np.hypot(band.vertices[:, 0], band.vertices[:, 1])
    assert r.min() == pytest.approx(17.3 / 2, abs=0.05)          # inner diameter as asked
    width = np.ptp(band.vertices[:, 2])
    assert width == pytest.approx(p.band["width_mm"], abs=0.05)
    if p.stone:
        assert any(part.role == "stone" for part in parts)
        from jewelrender.library import media
        from jewelrender.scene import stone_material

        m = stone_material(p.stone["gem"])
        if p.stone["gem"] in media.list_medium_stones():
            assert m["interior"]["type"] == "homogeneous"
        else:
            assert m["bsdf"]["type"] == "dispersive_dielectric" and m["interior"] is None
    if p.accent:
        assert any(part.name.startswith("accent_") for part in parts)
        assert stone_bsdf_dict(p.accent.get("gem", "diamond"))["type"] == "dispersive_dielectric"


@pytest.mark.parametrize("us", [3.0, 13.0])
@pytest.mark.parametrize("piece", [p.id for p in catalog.list_pieces() if p.site == "ring"])
def test_every_ring_builds_from_us_3_to_13(piece, us):
    """Geometry only (US 7 is the test above's 17.3 mm): a piece adapts to the finger, never CATALOG_ERROR."""
    from jewelrender.ringsize import diameter_of_us_size

    p = catalog.get_piece(piece)
    d = float(diameter_of_us_size(us))
    parts = piece_parts(p, d)
    r = np.hypot(parts[0].vertices[:, 0], parts[0].vertices[:, 1])
    assert r.min() == pytest.approx(d / 2, abs=0.05)
    if p.accent:
        assert any(part.name.startswith("accent_") for part in parts)


def test_shoulder_melee_thin_out_on_a_small_finger():
    """The halo's 8 shoulder melee do not fit below about US 2.5: fewer are set, down to plain shoulders."""
    from jewelrender.geometry import mounts
    from jewelrender.ringsize import diameter_of_us_size

    p = catalog.get_piece("halo-round-1ct-18k-white")
    n = {us: sum(part.name.startswith("accent_") for part in piece_parts(p, float(diameter_of_us_size(us))))
         for us in (-3.0, 1.0, 7.0)}
    assert n[7.0] == 21 + 8  # halo + the entry's 8 shoulder melee
    assert 21 < n[1.0] < n[7.0]
    assert n[-3.0] == 21  # plain shoulders
    # an explicit count asked of accent_band itself is still checked
    with pytest.raises(InvalidOptionError):
        mounts.accent_band(inner_diameter_mm=10.0, band_width_mm=2.4, band_thickness_mm=1.7, count=8,
                           melee_diameter_mm=1.3, exclude_x_mm=5.0)
    parts = mounts.accent_band(inner_diameter_mm=10.0, band_width_mm=2.4, band_thickness_mm=1.7, count=8,
                               melee_diameter_mm=1.3, exclude_x_mm=5.0, count_at_most=True)
    assert sum(part.name.startswith("accent_") for part in parts) == 4


def test_unknown_piece_lists_valid_ids():
    with pytest.raises(UnknownPieceError) as e:
        catalog.get_piece("gold-thing")
    assert "solitaire-round-1ct-18k-yellow" in e.value.details["valid"]
    assert e.value.code == "UNKNOWN_PIECE"


@pytest.mark.parametrize("text, fragment", [
    ("not = [valid", "not valid TOML"),
    ("[other]\nx = 1\n", "no [pieces"),
    ('[pieces.a]\nkind = "brooch"\nmetal = "x"\nband = {width_mm = 2, thickness_mm = 1}\n', "kind"),
    ('[pieces.a]\nkind = "band"\nmetal = "x"\nband = {width_mm = -2, thickness_mm = 1}\n', "width_mm"),
    ('[pieces.a]\nkind = "band"\nband = {width_mm = 2, thickness_mm = 1}\n', "metal"),
    ('[pieces.a]\nkind = "solitaire"\nmetal = "x"\nband = {width_mm = 2, thickness_mm = 1}\n', "stone"),
    ('[pieces.a]\nkind = "solitaire"\nmetal = "x"\nband = {width_mm = 2, thickness_mm = 1}\n'
     'stone = {cut = "round-brilliant", carat = 1.0, gem = "diamond"}\nsetting = {style = "prong", prongs = 2}\n', "prongs"),
    ("[pieces]\na = 3\n", "must be a table"),
    ('[pieces.a]\nkind = "band"\nmetal = "x"\nband = {width_mm = "2", thickness_mm = 1}\n', "width_mm"),
    ('[pieces.a]\nkind = "band"\nmetal = "x"\nband = {width_mm = true, thickness_mm = 1}\n', "width_mm"),
    ('[pieces.a]\nkind = "band"\nmetal = "x"\nband = {width_mm = nan, thickness_mm = 1}\n', "width_mm"),
    ('[pieces.a]\nkind = "band"\nmetal = "x"\nband = {width_mm = inf, thickness_mm = 1}\n', "width_mm"),
    ('[pieces.a]\nkind = "band"\nmetal = "x"\nband = {width_mm = 2, thickness_mm = 1, profile = "wavy"}\n', "profile"),
    ('[pieces.a]\nkind = "band"\nmetal = ""\nband = {width_mm = 2, thickness_mm = 1}\n', "metal"),
    ('[pieces.a]\nkind = "band"\nmetal = "x"\nband = "2 mm"\n', "band"),
    (('[pieces.a]\nkind = "solitaire"\nmetal = "x"\nband = {width_mm = 2, thickness_mm = 1}\n'
     'stone = {cut = "rose-cut", carat = 1.0, gem = "diamond"}\nsetting = {style = "prong", prongs = 4}\n'), "cut"),
    (('[pieces.a]\nkind = "solitaire"\nmetal = "x"\nband = {width_mm = 2, thickness_mm = 1}\n'
     'stone = {cut = "oval", carat = 1.0, gem = "diamond"}\nsetting = {style = "bezel"}\n'), "solitaire"),
    (('[pieces.a]\nkind = "ring"\nmetal = "x"\nband = {width_mm = 2, thickness_mm = 1}\n'
     'stone = {cut = "oval", carat = 1.0, gem = "diamond"}\nsetting = {style = "claw"}\n'), "setting style"),
    (('[pieces.a]\nkind = "ring"\nmetal = "x"\nband = {width_mm = 2, thickness_mm = 1}\n'
     'stone = {cut = "oval", carat = 1.0, gem = "diamond"}\nsetting = {style = "bezel", prongs = 4}\n'), "prongs"),
    (('[pieces.a]\nkind = "ring"\nmetal = "x"\nband = {width_mm = 2, thickness_mm = 1}\n'
     'stone = {mesh = "nowhere.obj", size_mm = 6, gem = "diamond"}\nsetting = {style = "prong"}\n'), "not found"),
    (('[pieces.a]\nkind = "ring"\nmetal = "x"\nband = {width_mm = 2, thickness_mm = 1}\n'
     'stone = {cut = "oval", mesh = "a.obj", carat = 1.0, gem = "diamond"}\nsetting = {style = "prong"}\n'), "exactly one"),
    (('[pieces.a]\nkind = "band"\nmetal = "x"\nband = {width_mm = 2, thickness_mm = 1}\n'
     'accent = {style = "scatter", count = 3}\n'), "accent style"),
    (('[pieces.a]\nkind = "band"\nmetal = "x"\nband = {width_mm = 2, thickness_mm = 1}\ncolour = "red"\n'), "unknown key"),
    ('[pieces.a]\nkind = "band"\nmetal = "x"\nband = {width_mm = 2, thickness_mm = 1}\n', "'site' missing"),
    ('[pieces.a]\nsite = "knee"\nkind = "band"\nmetal = "x"\nband = {width_mm = 2, thickness_mm = 1}\n',
     "unknown site 'knee'; valid: ring"),
    (('[pieces.a]\nkind = "solitaire"\nmetal = "x"\nband = {width_mm = 2, thickness_mm = 1}\n'
     'stone = {cut = "round-brilliant", gem = "diamond"}\nsetting = {style = "prong", prongs = 4}\n'), "carat"),
    (('[pieces.a]\nkind = "solitaire"\nmetal = "x"\nband = {width_mm = 2, thickness_mm = 1}\n'
     'stone = {cut = "round-brilliant", carat = 1.0, gem = 7}\nsetting = {style = "prong", prongs = 4}\n'), "gem"),
])
def test_malformed_catalogs_raise_catalog_error(tmp_path, text, fragment):
    f = tmp_path / "catalog.toml"
    f.write_text(text)
    with pytest.raises(CatalogError) as e:
        catalog.load_catalog(f)
    assert fragment in e.value.message


def test_missing_catalog_file(tmp_path):
    with pytest.raises(CatalogError):
        catalog.load_catalog(tmp_path / "nope.toml")


def test_quality_presets():
    p, f = catalog.quality_preset("preview"), catalog.quality_preset("final")
    assert f.spp > p.spp and f.max_depth >= p.max_depth
    with pytest.raises(InvalidOptionError):
        catalog.quality_preset("ultra")


def test_libllvm_16_or_newer_is_found():
    path = backend.find_libllvm()
    if path is None:
        pytest.skip("no libLLVM >= 16 installed (scripts/setup.sh installs one)")
    assert backend._llvm_version_from_name(path)[0] >= 16


def test_version_parsing_of_llvm_library_names():
    assert backend._llvm_version_from_name("/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1") == (15,)
    assert backend._llvm_version_from_name("/usr/lib/x86_64-linux-gnu/libLLVM.so.19.1") == (19,)
    assert backend._llvm_version_from_name("/usr/lib/llvm-17/lib/libLLVM.so") == (17,)


def test_select_picks_a_spectral_jit_variant():
    v = backend.select()
    assert v in backend.DEFAULT_VARIANTS
    assert backend.current() == v


def test_select_explains_unusable_variants():
    with pytest.raises(BackendUnavailableError) as e:
        backend.select(("cuda_ad_nonexistent",))
    assert "cuda_ad_nonexistent" in e.value.details["reasons"]
    assert e.value.code == "BACKEND_UNAVAILABLE"
    backend.select()  # still usable afterwards


def test_catalog_stone_from_a_users_mesh_file(tmp_path, data_dir):
    """A piece whose stone is a real third-party mesh, referenced relative to the catalog file."""
    import shutil

    shutil.copy(data_dir / "meshes" / "gems_gam0022" / "oval_brilliant.obj", tmp_path / "my_oval.obj")
    f = tmp_path / "catalog.toml"
    f.write_text('[pieces.mine]\nsite = "ring"\nkind = "ring"\nmetal = "platinum-950"\nband = {width_mm = 2, thickness_mm = 1.7}\n'
                 'stone = {mesh = "my_oval.obj", size_mm = 7.0, gem = "diamond"}\nsetting = {style = "bezel"}\n')
    piece = catalog.load_catalog(f)["mine"]
    parts = piece_parts(piece, 17.0)
    stone = next(p for p in parts if p.name == "stone")
    assert stone.to_trimesh().is_watertight
    ext = np.ptp(stone.vertices[:, [0, 2]], axis=0)
    assert max(ext) == pytest.approx(7.0, rel=1e-3)
    assert {"band", "bezel", "stone"} <= {p.name for p in parts}


def test_options_that_do_not_fit_raise_catalog_error_naming_the_entry(tmp_path):
    f = tmp_path / "catalog.toml"
    f.write_text('[pieces.tight]\nsite = "ring"\nkind = "band"\nmetal = "platinum-950"\nband = {width_mm = 1.2, thickness_mm = 1.7}\n'
                 'accent = {style = "pave", count = 9, melee_diameter_mm = 1.5}\n')
    piece = catalog.load_catalog(f)["tight"]
    with pytest.raises(CatalogError) as e:
        piece_parts(piece, 17.0)
    assert "'tight'" in e.value.message
