"""Tests of the shipped material files and the jewelrender.library.materials accessor."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from jewelrender.library import materials as M
from jewelrender.library import optics
from jewelrender.errors import CatalogError, InvalidOptionError
from jewelrender.resources import resource_dir

MAT = resource_dir("materials")
METAL_FILES = sorted((MAT / "metals").glob("*.csv"))
GEM_FILES = sorted(p for p in (MAT / "gems").glob("*.toml") if p.name != M.GEM_VARIETIES_FILE)
YEAR = re.compile(r"\b(19|20)\d\d\b")


# --- every shipped file ----------------------------------------------------------


def test_expected_files_are_shipped():
    assert {p.stem for p in METAL_FILES} >= {"Au", "Ag", "Cu", "Pt", "Pd", "Rh", "Ni"}
    assert "diamond" in {p.stem for p in GEM_FILES}
    assert (MAT / "README.md").is_file()
    readme = (MAT / "README.md").read_text(encoding="utf-8")
    for p in [*METAL_FILES, *GEM_FILES, MAT / "gems" / M.GEM_VARIETIES_FILE, MAT / "metals.toml",
              *(MAT / "cie").glob("*.csv")]:
        assert p.name in readme, f"{p.name} has no provenance entry in materials/README.md"


@pytest.mark.parametrize("path", METAL_FILES, ids=lambda p: p.name)
def test_metal_file_loads_and_names_source(path):
    d = M.load_metal_file(path)
    assert d.wavelengths_nm[0] <= 380 and d.wavelengths_nm[-1] >= 780
    # Mitsuba samples 360-830 nm: the shipped tables cover it without padding
    assert d.wavelengths_nm[0] <= 360 and d.wavelengths_nm[-1] >= 830
    assert np.all(np.diff(d.wavelengths_nm) > 0) and np.all(d.n > 0) and np.all(d.k >= 0)
    assert YEAR.search(d.citation) and "doi.org/10." in d.citation
    assert "refractiveindex.info" in d.source and "CC0" in d.licence
    assert path.stem in d.name
    R = d.normal_reflectance(np.arange(380.0, 781.0, 5.0))
    assert np.all((R > 0.3) & (R < 1.0))  # every jewellery metal is a fair mirror


@pytest.mark.parametrize("path", GEM_FILES, ids=lambda p: p.name)
def test_gem_file_loads(path):
    g = M.load_gem_file(path)
    assert YEAR.search(g.citation) and g.source and g.licence
    if g.formula == "cauchy":
        # fitted by us to two gemmological constants: says so, and fits them exactly (test_gem_colour)
        assert "n_D" in g.citation and "B-G" in g.citation and "fitted" in g.source
    else:
        assert "refractiveindex.info" in g.source and "CC0" in g.licence
    n = g.n(np.arange(360.0, 831.0, 5.0))  # the range Mitsuba samples
    assert np.all(np.isfinite(n)) and np.all(np.diff(n) < 0)
    assert 1.4 < g.n_d < 2.8
    assert 0.005 < g.dispersion < 0.2 and 15 < g.abbe < 90


def test_metal_presets_file_loads():
    presets = M.load_metal_presets(MAT / "metals.toml")
    required = {"gold-24k", "yellow-gold-22k", "yellow-gold-18k", "yellow-gold-14k", "rose-gold-18k",
                "rose-gold-14k", "white-gold-18k", "white-gold-18k-palladium", "silver-925", "platinum-950",
                "palladium", "rhodium"}
    assert required <= set(presets)
    assert presets["white-gold-18k"].data is presets["rhodium"].data  # one table, loaded once
    assert presets["white-gold-18k"].model == "plated" and presets["white-gold-18k"].plating == "Rh"
    assert presets["rose-gold-18k"].model == "alloy" and presets["rose-gold-18k"].composition["Cu"] == 22.25
    for p in presets.values():
        assert p.note and p.label and 0.0 <= p.roughness <= 1.0


def test_cie_file_via_optics():
    t = optics.cie_tables()
    assert len(t.wavelength_nm) == 95  # 360..830 at 5 nm


# --- catalogue accessors -----------------------------------------------------------


def test_accessors_and_cache():
    assert "yellow-gold-18k" in M.list_metals()
    p = M.metal("yellow-gold-18k")
    assert p is M.metal("yellow-gold-18k")
    assert M.metal("gold-24k").data is M.metal_data("Au")
    assert p.model == "alloy" and p.composition == {"Au": 75.0, "Ag": 12.5, "Cu": 12.5}
    assert "Johnson" in p.data.citation and "alloy" in p.note.lower()
    assert M.metal("platinum-950").data is M.metal_data("Pt")
    assert M.metal("white-gold-18k").data is M.metal_data("Rh")
    with pytest.raises(ValueError):
        p.data.n[0] = 1.0  # read-only arrays: the cache cannot be corrupted


@pytest.mark.parametrize("name", ["diamond", "yag", "quartz"])  # L form, C form, C form with A != 0
def test_sellmeier_terms_reproduce_n(name):
    g = M.gem(name)
    A, B, C = g.sellmeier_terms()
    wl = np.arange(380.0, 781.0, 20.0)
    np.testing.assert_allclose(optics.sellmeier(wl, B, C, A), g.n(wl), rtol=1e-12)
    with pytest.raises(CatalogError, match="rii-formula-4"):
        M.gem("moissanite").sellmeier_terms()


def test_gem_lookup_and_diamond():
    assert "diamond" in M.list_gems()
    d = M.gem("Diamond")
    assert d.n_d == pytest.approx(2.417, abs=0.001)
    assert d.dispersion == pytest.approx(0.044, abs=0.001)
    assert d.wavelength_range_nm == (226.0, 760.0)
    assert M.gem("sapphire") is M.gem("corundum") is M.gem("ruby")
    assert M.refractive_index("diamond", optics.LINE_D) == pytest.approx(d.n_d)
    with pytest.raises(InvalidOptionError, match="materials.refractive_index"):
        optics.refractive_index("diamond", optics.LINE_D)  # names are the library's, not optics'

    # the simulants are told apart by index and fire as a gemmologist would
    assert M.gem("cubic-zirconia").dispersion > d.dispersion > M.gem("corundum").dispersion
    assert M.gem("moissanite").n_d > d.n_d > M.gem("cubic-zirconia").n_d


@pytest.mark.parametrize(
    ("call", "arg", "expected"),
    [
        (M.metal, "unobtainium", "yellow-gold-18k"),
        (M.metal, "Au", "silver-925"),
        (M.gem, "glass", "diamond"),
        (M.metal_data, "Fe", "Au"),
        (M.metal_bsdf_dict, "gold", "yellow-gold-18k"),
    ],
)
def test_unknown_names_list_valid_choices(call, arg, expected):
    with pytest.raises(CatalogError) as ei:
        call(arg)
    assert expected in str(ei.value)
    assert expected in ei.value.details["valid"]


def test_metal_nk_interpolation_and_range():
    au = M.metal_data("Au")
    i = 5
    n, k = au.nk(au.wavelengths_nm[i])
    assert (n, k) == (au.n[i], au.k[i])
    mid = 0.5 * (au.wavelengths_nm[i] + au.wavelengths_nm[i + 1])
    assert au.nk(mid)[0] == pytest.approx(0.5 * (au.n[i] + au.n[i + 1]))
    with pytest.raises(InvalidOptionError):
        au.nk(1500.0)


# --- malformed files ----------------------------------------------------------------

GOOD_HEADER = """# name: Xx (test metal)
# dataset: A. Author. A paper. J. Test 1, 1 (1999)
# source: hand-written test data
# licence: CC0 1.0
"""


def _rows(wl, n=None, k=None):
    n = n if n is not None else [1.0] * len(wl)
    k = k if k is not None else [3.0] * len(wl)
    return "wavelength_nm,n,k\n" + "".join(f"{a},{b},{c}\n" for a, b, c in zip(wl, n, k))


def test_good_tmp_metal_file_loads(tmp_path):
    p = tmp_path / "Xx.csv"
    p.write_text(GOOD_HEADER + _rows([350, 500, 800]), encoding="utf-8")
    d = M.load_metal_file(p)
    assert d.name == "Xx (test metal)" and d.source_file == str(p)
    assert float(d.normal_reflectance(500.0)) == pytest.approx(9 / 13)  # (0 + 9)/(4 + 9)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (GOOD_HEADER + _rows([350, 600, 500, 800]), "strictly increasing"),
        (GOOD_HEADER + _rows([350, 500, 800], k=[3, -0.1, 3]), "k must be >= 0"),
        (GOOD_HEADER + _rows([350, 500, 800], n=[1, 0, 1]), "n must be positive"),
        (GOOD_HEADER + _rows([400, 500, 800]), "must cover 380-780"),
        (GOOD_HEADER + _rows([350, 500, 700]), "must cover 380-780"),
        (GOOD_HEADER.replace("# dataset: A. Author. A paper. J. Test 1, 1 (1999)\n", "") + _rows([350, 800]), "dataset"),
        (GOOD_HEADER.replace("# licence: CC0 1.0\n", "") + _rows([350, 800]), "licence"),
        (GOOD_HEADER + "lambda,n,k\n350,1,1\n800,1,1\n", "column header"),
        (GOOD_HEADER + "wavelength_nm,n,k\n350,1,1\n500,one,1\n800,1,1\n", "not three numbers"),
        (GOOD_HEADER + "wavelength_nm,n,k\n350,1,1\n500,1\n800,1,1\n", "expected 3 columns"),
        (GOOD_HEADER + "wavelength_nm,n,k\n350,1,1\n500,nan,1\n800,1,1\n", "non-finite"),
        (GOOD_HEADER + "wavelength_nm,n,k\n", "at least two rows"),
    ],
)
def test_malformed_metal_file(tmp_path, text, problem):
    p = tmp_path / "Bad.csv"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError, match=re.escape(problem)) as ei:
        M.load_metal_file(p)
    assert ei.value.details["path"] == str(p)


def test_missing_metal_file(tmp_path):
    with pytest.raises(CatalogError, match="cannot be read"):
        M.load_metal_file(tmp_path / "nope.csv")


GOOD_GEM = """name = "testgem"
label = "Test gem"
formula = "sellmeier"
wavelength_range_nm = [300.0, 900.0]
citation = "A. Author. A paper. J. Test 1, 1 (1999)"
source = "hand-written"
licence = "CC0 1.0"

[coefficients]
B = [1.0]
C = [0.01]
"""


def test_good_tmp_gem_file(tmp_path):
    p = tmp_path / "testgem.toml"
    p.write_text(GOOD_GEM, encoding="utf-8")
    g = M.load_gem_file(p)
    assert g.n(500.0) == pytest.approx(math.sqrt(1 + 0.25 / 0.24))


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda s: s.replace('formula = "sellmeier"', 'formula = "magic"'), "unknown dispersion formula"),
        (lambda s: s.replace("C = [0.01]", "C = [0.25]"), "no finite n > 1"),  # pole at 500 nm
        (lambda s: s.replace("B = [1.0]", "B = [-0.5]"), "no finite n > 1"),
        (lambda s: s.replace("B = [1.0]\nC = [0.01]", "A = 1.0\nB = [0.0]\nC = [0.0]"), "fall with wavelength"),
        (lambda s: s.replace('citation = "A. Author. A paper. J. Test 1, 1 (1999)"\n', ""), "lacks 'citation'"),
        (lambda s: s.replace('name = "testgem"', 'name = "other"'), "must equal the file name"),
        (lambda s: s.replace("[300.0, 900.0]", "[900.0, 300.0]"), "wavelength_range_nm"),
        (lambda s: s + "D = 3\n", "does not take"),
        (lambda s: s.replace("label =", "colour = 1\nlabel ="), "unknown key"),
        (lambda s: s.replace("B = [1.0]", "B = [1.0, 2.0]"), "same length"),
        (lambda s: s.replace("= [1.0]", "= [1.0"), "not valid TOML"),
    ],
)
def test_malformed_gem_file(tmp_path, edit, problem):
    p = tmp_path / "testgem.toml"
    p.write_text(edit(GOOD_GEM), encoding="utf-8")
    with pytest.raises(CatalogError, match=re.escape(problem)):
        M.load_gem_file(p)


def _write_presets(tmp_path, body):
    (tmp_path / "metals").mkdir(exist_ok=True)
    (tmp_path / "metals" / "Xx.csv").write_text(GOOD_HEADER + _rows([350, 500, 800]), encoding="utf-8")
    p = tmp_path / "metals.toml"
    p.write_text(body, encoding="utf-8")
    return p


def test_tmp_presets(tmp_path):
    ok = '[x-metal]\nlabel = "X"\ndata = "Xx"\nroughness = 0.1\nnote = "test"\n'
    presets = M.load_metal_presets(_write_presets(tmp_path, ok))
    assert presets["x-metal"].roughness == 0.1 and presets["x-metal"].data.name.startswith("Xx")
    bad = {
        ok.replace('data = "Xx"', 'data = "Yy"'): "available: Xx",
        ok.replace("roughness = 0.1", "roughness = 1.5"): "[0, 1]",
        ok.replace("roughness = 0.1", 'roughness = "shiny"'): "must be a number",
        ok.replace('note = "test"\n', ""): "'note'",
        ok.replace('data = "Xx"', "composition = { Au = 75.0, Cu = 20.0 }"): "sum to 100",
        ok.replace('data = "Xx"', "composition = { Au = 75.0, Zn = 25.0 }"): "no optical data for element 'Zn'",
        ok.replace('data = "Xx"', "composition = { Au = 100.0, Cu = -0.0 }"): "positive weight",
        ok.replace('data = "Xx"', 'plating = "Xx"'): "exactly one of",
        ok + 'composition = { Au = 100.0 }\n': "exactly one of",
        ok + "reference_lab = [90.0, 1.0]\n": "reference_lab must be [L, a, b]",
        ok + "reference_lab = [90.0, 1.0, 20.0]\n": "needs a 'reference_source'",
        ok + 'reference_source = "x"\n': "without reference_lab",
        ok + "colour = 3\n": "unknown key",
        "": "defines no presets",
    }
    for body, problem in bad.items():
        with pytest.raises(CatalogError, match=re.escape(problem)):
            M.load_metal_presets(_write_presets(tmp_path, body))


# --- Mitsuba ------------------------------------------------------------------------


def _parse_spectrum(spec):
    wl = np.array([float(v) for v in spec["wavelengths"].split(",")])
    val = np.array([float(v) for v in spec["values"].split(",")])
    return wl, val


def test_bsdf_dict_structure():
    d = M.metal_bsdf_dict("yellow-gold-18k")
    assert d["type"] == "roughconductor" and d["distribution"] == "ggx"
    assert d["alpha"] == M.metal("yellow-gold-18k").roughness
    assert M.metal_bsdf_dict("yellow-gold-18k", roughness=0)["type"] == "conductor"
    assert "alpha" not in M.metal_bsdf_dict(M.metal("silver-925"), roughness=0.0)
    wl, n = _parse_spectrum(d["eta"])
    data = M.metal("yellow-gold-18k").data
    np.testing.assert_allclose(wl, data.wavelengths_nm, rtol=1e-6)
    np.testing.assert_allclose(n, data.n, rtol=1e-5)
    for bad in (-0.1, 1.5, float("nan"), "rough", True):
        with pytest.raises(InvalidOptionError):
            M.metal_bsdf_dict("yellow-gold-18k", roughness=bad)


def test_bsdf_dict_pads_narrow_data_to_mitsuba_range(tmp_path):
    p = tmp_path / "Xx.csv"
    p.write_text(GOOD_HEADER + _rows([380, 500, 780], n=[1, 2, 3]), encoding="utf-8")
    preset = M.MetalPreset("x", "X", M.load_metal_file(p), 0.0, "test")
    wl, n = _parse_spectrum(M.metal_bsdf_dict(preset)["eta"])
    np.testing.assert_array_equal(wl, [360, 380, 500, 780, 830])
    np.testing.assert_array_equal(n, [1, 1, 2, 3, 3])


@pytest.fixture
def mitsuba():
    mi = pytest.importorskip("mitsuba")
    before = mi.variant()
    yield mi
    if before is not None:
        mi.set_variant(before)


def _set_variant(mi, name):
    if name not in mi.variants():
        pytest.skip(f"mitsuba variant {name} not compiled in")
    try:
        mi.set_variant(name)
    except Exception as exc:  # e.g. no libLLVM for llvm_* variants
        pytest.skip(f"mitsuba variant {name} unavailable: {exc}")


@pytest.mark.parametrize("variant", ["scalar_spectral", "llvm_ad_spectral"])
@pytest.mark.parametrize("preset", ["yellow-gold-18k", "platinum-950"])
@pytest.mark.parametrize("roughness", [None, 0.0])
def test_bsdf_dict_loads_in_mitsuba(mitsuba, variant, preset, roughness):
    _set_variant(mitsuba, variant)
    bsdf = mitsuba.load_dict(M.metal_bsdf_dict(preset, roughness=roughness))
    assert ("Rough" in type(bsdf).__name__ or "Rough" in str(bsdf)) == (roughness is None)


def _interaction(mi, dr, cos_i, wavelengths):
    si = dr.zeros(mi.SurfaceInteraction3f)
    si.wi = mi.Vector3f(math.sqrt(1 - cos_i**2), 0.0, cos_i)
    si.wavelengths = mi.Spectrum(wavelengths)
    return si


@pytest.mark.parametrize("preset", ["yellow-gold-18k", "silver-925", "white-gold-18k", "copper"])
def test_mitsuba_conductor_matches_fresnel(mitsuba, preset):
    import drjit as dr

    mi = mitsuba
    _set_variant(mi, "scalar_spectral")
    data = M.metal(preset).data
    bsdf = mi.load_dict(M.metal_bsdf_dict(preset, roughness=0.0))
    wl = [450.0, 520.0, 600.0, 650.0]  # scalar_spectral carries 4 wavelengths per sample
    n, k = data.nk(wl)
    ctx = mi.BSDFContext()
    for cos_i in (1.0, 0.5, 0.15):  # normal, 60°, ~81°
        bs, weight = bsdf.sample(ctx, _interaction(mi, dr, cos_i, wl), 0.5, mi.Point2f(0.5, 0.5))
        assert float(bs.wo[2]) == pytest.approx(cos_i, abs=1e-6)  # mirror direction
        # the brief asks for 1 %; both evaluate the same exact formula, so only
        # float32 rounding separates them and a much tighter bound holds
        np.testing.assert_allclose(np.array(weight), optics.fresnel_conductor(cos_i, n, k), rtol=2e-4)


def test_mitsuba_roughconductor_normal_incidence(mitsuba):
    # GGX at normal incidence and normal exit: D = 1/(pi alpha^2), G = 1, so
    # f cos = F * D * G / (4 cos_i) * cos_o = F / (4 pi alpha^2).
    import drjit as dr

    mi = mitsuba
    _set_variant(mi, "scalar_spectral")
    alpha = 0.2
    bsdf = mi.load_dict(M.metal_bsdf_dict("yellow-gold-18k", roughness=alpha))
    wl = [450.0, 520.0, 600.0, 650.0]
    value = np.array(bsdf.eval(mi.BSDFContext(), _interaction(mi, dr, 1.0, wl), mi.Vector3f(0, 0, 1)))
    n, k = M.metal("yellow-gold-18k").data.nk(wl)
    expect = optics.normal_reflectance_conductor(n, k) / (4 * math.pi * alpha**2)
    np.testing.assert_allclose(value, expect, rtol=1e-3)
