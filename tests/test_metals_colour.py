"""Proof that the metals have the colours a jeweller expects.

Everything starts from the shipped n,k tables: normal-incidence reflectance ->
CIE XYZ (D65, 2°) -> CIELAB (:func:`jewelrender.library.materials.metal_lab`). The
tests check (1) the alloy model's mixing rule against the one measured alloy
series we have (Rioux et al. 2014, Au-Ag), (2) published colours: the presets'
``reference_lab`` and the standard gold colours 0N-6N (ISO 8654 designations)
the carat-gold calibration is fitted to, (3) the orderings and the white-gold
yellowness grade (ASTM D1925 on illuminant C, as Henderson & Manchanda), (4)
that the spectral renderer reproduces the Fresnel colour, and (5) the finishes.
Run ``python tests/test_metals_colour.py`` to print the table.
"""

from __future__ import annotations

import importlib.util
import itertools
import math
import re
from pathlib import Path

import numpy as np
import pytest

from jewelrender import color
from jewelrender.library import optics
from jewelrender.library import materials as M
from jewelrender.errors import InvalidOptionError

VIS = np.arange(380.0, 781.0, 5.0)
YELLOW = ("yellow-gold-22k", "yellow-gold-18k", "yellow-gold-14k")
ROSE = ("rose-gold-18k", "rose-gold-14k")
WHITE = ("white-gold-18k", "white-gold-18k-palladium")


def lab_of(pid: str) -> np.ndarray:
    c = M.metal_lab(pid)
    return np.array([c["L"], c["a"], c["b"]])


def colour_table() -> list[tuple[str, str, float, float, float, float, float]]:
    """(id, model, L*, a*, b*, YI E313 D65/2°, YI D1925 C/2°) for every metal."""
    rows = []
    for pid in M.list_metals():
        c = M.metal_lab(pid)
        rows.append((pid, M.metal(pid).model, c["L"], c["a"], c["b"], c["YI_E313"], c["YI_D1925"]))
    return rows


# --- the mixing rule against measured alloys -----------------------------------------


def _read_rii_nk(path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    text = path.read_text(encoding="utf-8").split("data: |", 1)[1]
    rows = []
    for line in text.strip().splitlines():
        cells = line.split()
        if len(cells) != 3 or not re.fullmatch(r"[0-9.eE+-]+", cells[0]):
            break
        rows.append([float(c) for c in cells])
    a = np.array(rows)
    return a[:, 0] * 1000.0, a[:, 1], a[:, 2]


def _bruggeman(e1, e2, f1):
    # f1 (e1 - e)/(e1 + 2e) + f2 (e2 - e)/(e2 + 2e) = 0  <=>  2e^2 - b e - e1 e2 = 0
    b = (3 * f1 - 1) * e1 + (2 - 3 * f1) * e2
    r = np.sqrt(b * b + 8 * e1 * e2)
    c1, c2 = (b + r) / 4, (b - r) / 4
    return np.where(c1.imag >= 0, c1, c2)


def test_linear_permittivity_mix_predicts_measured_au_ag_alloys(data_dir):
    """Rioux et al. (2014) measured Au-Ag films across the whole series: the
    rule we use for alloys (volume-weighted permittivity) must predict the
    intermediate alloys' colour from the two end members, and do it better
    than Bruggeman's effective-medium rule (which models separate grains)."""
    folder = data_dir / "optics" / "refractiveindex_info" / "other" / "alloys" / "Au-Ag" / "nk"

    def eps(x):
        wl, n, k = _read_rii_nk(folder / f"Rioux-Au{x}Ag{100 - x}.yml")
        return optics.nk_to_permittivity(np.interp(VIS, wl, n), np.interp(VIS, wl, k))

    def lab(e):
        return optics.conductor_lab(VIS, *optics.permittivity_to_nk(e))[0]

    e_au, e_ag = eps(100), eps(0)
    lin_err, brug_err = [], []
    for x in (90, 80, 70, 60, 50, 30):
        measured = lab(eps(x))
        f = x / 100.0  # Au and Ag atomic volumes agree within 1 %: atomic = volume fraction
        lin_err.append(float(color.delta_e_2000(measured, lab(optics.mix_permittivity([e_au, e_ag], [f, 1 - f])))))
        brug_err.append(float(color.delta_e_2000(measured, lab(_bruggeman(e_au, e_ag, f)))))
    # measured: dE2000 1.3 (Au90) rising to 3.6 (Au30); 18k yellow's Au:Ag ratio is ~77:23
    assert max(lin_err[:3]) < 2.6 and max(lin_err) < 4.0
    assert all(a < b for a, b in zip(lin_err, brug_err))


def test_alloy_model_is_the_volume_weighted_permittivity():
    comp = {"Au": 75.0, "Cu": 25.0}
    d = M.alloy_data(comp)
    au, cu = M.metal_data("Au"), M.metal_data("Cu")
    v_au, v_cu = 75.0 / M.ELEMENTS["Au"][1], 25.0 / M.ELEMENTS["Cu"][1]
    f = v_au / (v_au + v_cu)
    wl = np.array([450.0, 550.0, 650.0])
    expect = f * optics.nk_to_permittivity(*au.nk(wl)) + (1 - f) * optics.nk_to_permittivity(*cu.nk(wl))
    np.testing.assert_allclose(optics.nk_to_permittivity(*d.nk(wl)), expect, rtol=1e-9)
    assert d.wavelengths_nm[0] <= 360 and d.wavelengths_nm[-1] >= 830
    # a pure "alloy" is the element itself
    np.testing.assert_allclose(M.alloy_data({"Ag": 100.0}).nk(wl), M.metal_data("Ag").nk(wl), rtol=1e-12)
    for bad in ({"Au": 75.0}, {"Au": 75.0, "Zn": 25.0}, {"Au": 101.0, "Cu": -1.0}, {}):
        with pytest.raises(InvalidOptionError):
            M.alloy_data(bad)


# --- published colours ------------------------------------------------------------------


#: The standard gold colours 0N-6N with their compositions (Klotz's table) and the calibration's
#: fit: one home, the script that prints docs/metals.md's calibration figures.
FIT_SCRIPT = Path(__file__).resolve().parents[1] / "materials" / "tools" / "fit_carat_gold.py"
_spec = importlib.util.spec_from_file_location("fit_carat_gold", FIT_SCRIPT)
fit_carat_gold = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fit_carat_gold)
STANDARD_GOLD_COLOURS = fit_carat_gold.STANDARD_GOLD_COLOURS


def _alloy_lab(comp: dict[str, float], calibrated: bool = True) -> np.ndarray:
    return optics.conductor_lab(VIS, *M.alloy_data(comp, calibrated=calibrated).nk(VIS))[0]


def test_calibrated_alloys_within_de2000_2_of_published_colours():
    refs = [M.metal(pid) for pid in M.list_metals() if M.metal(pid).reference_lab is not None]
    assert any(p.model == "alloy" for p in refs), "no alloy preset carries a published colour"
    for p in refs:
        assert re.search(r"\b(19|20)\d\d\b", p.reference_source) and "http" in p.reference_source
        de = float(color.delta_e_2000(lab_of(p.id), np.array(p.reference_lab)))
        # measured element tables are not calibrated: for them the bound is the spread between
        # datasets (pure Au: 3.6-4.3 between J&C and newer films, docs/metals.md)
        limit = 2.0 if p.model == "alloy" else 3.5
        assert de <= limit, f"{p.id}: dE2000 {de:.2f} from {p.reference_lab} ({p.reference_source})"


def test_alloy_model_against_the_standard_gold_colours():
    """Every standard colour, modelled from its own composition. The calibration is fitted
    to 1N-6N (two parameters), so this checks the fit residual and guards it; the held-out
    check is test_carat_gold_calibration_predicts_a_held_out_colour."""
    de = {k: float(color.delta_e_2000(_alloy_lab(c), np.array(ref))) for k, (c, ref) in STANDARD_GOLD_COLOURS.items()}
    plain = {k: float(color.delta_e_2000(_alloy_lab(c, False), np.array(ref)))
             for k, (c, ref) in STANDARD_GOLD_COLOURS.items()}
    assert all(de[k] <= 2.0 for k in ("1N", "2N", "3N", "4N", "5N", "6N")), de
    assert de["0N"] <= 2.5, de  # silver-rich 14k: linear mixing stays too yellow (as for Rioux Au-Ag)
    # without the calibration the red golds come out yellow: it is doing real work
    assert plain["5N"] > 4.0 and plain["6N"] > 5.0 and max(de.values()) < min(plain["5N"], plain["6N"])
    # the measured trend across 18k (2N -> 6N): darker, redder, less yellow
    lab = np.array([_alloy_lab(STANDARD_GOLD_COLOURS[k][0]) for k in ("2N", "3N", "4N", "5N", "6N")])
    assert np.all(np.diff(lab[:, 0]) < 0) and np.all(np.diff(lab[:, 1]) > 0) and np.all(np.diff(lab[:, 2]) < 0)


def test_carat_gold_calibration_predicts_a_held_out_colour():
    """Leave-one-out: refit S, r0 on five of 1N-6N and predict the sixth. 3N (the yellow-gold-18k
    preset's published colour) is predicted within 1.44 when it is not fitted; every colour within
    1.8 (5N: 1.78). The grid optimum on all six is the shipped constants."""
    full = fit_carat_gold.fit()
    assert (full["S"], full["r0"]) == (M.CU_WEIGHT_S, M.CU_WEIGHT_R0)
    f = fit_carat_gold.fit(("1N", "2N", "4N", "5N", "6N"))
    held = float(fit_carat_gold.errors(f["S"], f["r0"], ("3N",))["3N"])
    assert (f["S"], f["r0"]) != (M.CU_WEIGHT_S, M.CU_WEIGHT_R0)  # a different fit, not the shipped one
    assert held <= 1.5, held
    note = M.metal("yellow-gold-18k").note  # users read these two figures in `jewelrender materials`
    assert f"held out of the fit, {held:.2f}" in note and f"dE2000 {float(fit_carat_gold.errors(M.CU_WEIGHT_S, M.CU_WEIGHT_R0, ('3N',))['3N']):.2f}" in note
    rep = fit_carat_gold.report()
    assert max(v["predicted_de"] for v in rep["leave_one_out"].values()) <= 1.8
    assert rep["library_agreement_lab"] < 1e-9  # the script's model is alloy_data's
    # docs/metals.md quotes the script's leave-one-out table and per-colour errors verbatim
    doc = (Path(__file__).resolve().parents[1] / "docs" / "metals.md").read_text(encoding="utf-8")
    assert fit_carat_gold.markdown(rep) in doc
    for k, (_, ref) in STANDARD_GOLD_COLOURS.items():
        row = re.search(rf"^\| {k}[ |].*$", doc, re.M).group(0)
        cells = [c.strip().strip("*") for c in row.split("|")]
        assert cells[-3] == f"{rep['shipped']['de'][k]:.2f}" and cells[-2] == f"{rep['plain_mix_de'][k]:.2f}", row


def test_alloy_notes_state_the_copper_weight_the_model_applies():
    """`jewelrender materials --json` prints each note to users: an alloy's note quotes the carat-gold
    calibration's copper weight exactly when the model applies one, and says "plain" otherwise."""
    for pid in M.list_metals():
        p = M.metal(pid)
        if p.model != "alloy":
            continue
        applied = re.search(r"copper weight x([0-9.]+)", p.data.metadata["model"])
        quoted = re.search(r"copper weight x([0-9.]+)", p.note)
        if applied:
            assert quoted and quoted.group(1) == applied.group(1), (pid, p.note)
            assert "calibration" in p.note and "plain" not in p.note, pid
        else:
            assert not quoted and ("plain" in p.note or "ESTIMATE" in p.note), (pid, p.note)
    assert "x5.26" in M.metal("rose-gold-18k").note


def test_carat_gold_calibration_is_the_documented_copper_weight():
    comp = {"Au": 75.0, "Ag": 5.0, "Cu": 20.0}
    phi = {el: w / M.ELEMENTS[el][1] for el, w in comp.items()}
    total = sum(phi.values())
    g = math.exp(M.CU_WEIGHT_S * (20.0 / 25.0 - M.CU_WEIGHT_R0))
    w = {el: v / total * (g if el == "Cu" else 1.0) for el, v in phi.items()}
    wsum = sum(w.values())
    wl = np.array([450.0, 550.0, 650.0])
    eps = {el: optics.nk_to_permittivity(*M.metal_data(el).nk(wl)) for el in comp}
    expect = sum(eps[el] * w[el] / wsum for el in comp)
    got = optics.nk_to_permittivity(*M.alloy_data(comp).nk(wl))
    np.testing.assert_allclose(got, expect, rtol=1e-9)
    plain = sum(eps[el] * phi[el] / total for el in comp)
    np.testing.assert_allclose(optics.nk_to_permittivity(*M.alloy_data(comp, calibrated=False).nk(wl)), plain, rtol=1e-9)
    # only Au-Ag-Cu golds inside the fitted gold range are touched
    for other in ({"Ag": 92.5, "Cu": 7.5}, {"Au": 91.67, "Ag": 5.0, "Cu": 3.33}, {"Au": 75.0, "Pd": 15.0, "Ag": 10.0}):
        np.testing.assert_array_equal(M.alloy_data(other).nk(wl)[0], M.alloy_data(other, calibrated=False).nk(wl)[0])


# --- what a jeweller checks -------------------------------------------------------------


def test_orderings_a_jeweller_would_check():
    lab = {pid: lab_of(pid) for pid in (*YELLOW, *ROSE, *WHITE, "gold-24k")}
    for carat in ("18k", "14k"):
        y, r = lab[f"yellow-gold-{carat}"], lab[f"rose-gold-{carat}"]
        for w in WHITE:
            assert r[1] > y[1] > lab[w][1], (carat, w)  # a*: rose > yellow > white
        assert y[2] > r[2] > lab["white-gold-18k"][2], carat  # b*: yellow > rose > white
        assert y[2] > lab["white-gold-18k-palladium"][2], carat
    # dilution: fewer carats, paler yellow (b* falls with gold content)
    b = [lab[p][2] for p in ("gold-24k", *YELLOW)]
    assert all(hi > lo for hi, lo in itertools.pairwise(b))
    assert lab["rose-gold-14k"][1] > lab["rose-gold-18k"][1]  # more copper, redder


@pytest.mark.xfail(strict=True, reason="the unplated Pd white gold is a documented estimate that linear "
                   "mixing leaves too yellow (b* 19); since the calibration made rose gold as unyellow as the "
                   "published 5N/6N colours (b* 15-19), the estimate now out-yellows rose gold (docs/metals.md)")
def test_unplated_palladium_white_gold_is_less_yellow_than_rose_gold():
    for carat in ("18k", "14k"):
        assert lab_of(f"rose-gold-{carat}")[2] > lab_of("white-gold-18k-palladium")[2], carat


def test_rhodium_plated_white_gold_is_premium_grade():
    # White Gold Task Force / Henderson & Manchanda (2005): grade 1 ("good white") is YI < 19,
    # grade 2 19-24.5, grade 3 24.5-32, in ASTM D1925 -- on illuminant-C / 2° XYZ, as metal_lab gives it.
    c = M.metal_lab("white-gold-18k")
    assert c["YI_D1925"] <= 19.0
    assert c["YI_E313"] <= 19.0  # the D65 index agrees on the grade
    # the unplated model is documented as too yellow (an estimate): it must at least be far
    # whiter than the 18k yellow gold it is made from
    assert M.metal_lab("white-gold-18k-palladium")["YI_E313"] < M.metal_lab("yellow-gold-18k")["YI_E313"] - 5


def test_yellowness_index_by_hand():
    # ASTM E313, D65/2°: YI = 100 (1.2985 X - 1.1335 Z) / Y
    assert float(optics.yellowness_index([95.0, 100.0, 105.0])) == pytest.approx(100 * (1.2985 * 95 - 1.1335 * 105) / 100)
    # ASTM D1925 = 100 (1.28 X - 1.06 Z) / Y; colour-science's doctest gives 10.2999... for this XYZ
    assert float(optics.yellowness_index([95.0, 100.0, 105.0], "D1925")) == pytest.approx(10.3)
    assert float(optics.yellowness_index([95.0, 100.0, 105.0], "E313-C")) == pytest.approx(100 * (1.2769 * 95 - 1.0592 * 105) / 100)
    assert abs(float(optics.yellowness_index(optics.illuminant_white_xyz()))) < 0.05  # D65 white is neutral
    # the shipped illuminant C integrates to its CIE 1931 white point (0.31006, 0.31616)
    # (colour-science, colour/colorimetry/datasets/illuminants/chromaticity_coordinates.py)
    wc = optics.illuminant_white_xyz("C")
    np.testing.assert_allclose(wc[:2] / wc.sum(), [0.31006, 0.31616], atol=2e-4)
    assert abs(float(optics.yellowness_index(wc, "E313-C"))) < 0.05  # C white is neutral in E313-C
    assert abs(float(optics.yellowness_index(wc, "D1925"))) < 0.5  # and in D1925 (rounded coefficients)
    assert float(optics.yellowness_index(optics.illuminant_white_xyz(), "D1925")) > 5.0  # the D65 mistake
    # reflectance_yellowness picks the method's illuminant itself
    R = M.metal_data("Au").normal_reflectance(VIS)
    for method, ill in (("D1925", "C"), ("E313-C", "C"), ("E313-D65", "D65")):
        assert float(optics.reflectance_yellowness(VIS, R, method)) == pytest.approx(
            float(optics.yellowness_index(optics.reflectance_to_xyz(VIS, R, ill), method)))
    with pytest.raises(InvalidOptionError):
        optics.yellowness_index([1.0, 1.0, 1.0], "E999")
    with pytest.raises(InvalidOptionError):
        optics.reflectance_yellowness(VIS, R, "E313-A")
    with pytest.raises(InvalidOptionError):
        optics.reflectance_to_xyz(VIS, R, "A")


# --- every materials file -----------------------------------------------------------------


def test_every_metal_loads_covers_the_visible_and_names_a_source():
    rows = M.metal_rows()
    assert [r["id"] for r in rows] == M.list_metals()
    for r in rows:
        p = M.metal(r["id"])
        assert p.data.wavelengths_nm[0] <= 380 and p.data.wavelengths_nm[-1] >= 780
        R = p.data.normal_reflectance(VIS)
        assert np.all((R > 0.3) & (R < 1.0))
        assert re.search(r"\b(19|20)\d\d\b", r["source"]), r["id"]  # a dated citation
        assert r["model"] in ("measured", "alloy", "plated") and r["label"] and r["note"]
        if p.model == "alloy":
            assert abs(sum(p.composition.values()) - 100.0) <= 0.5 and r["composition"].endswith("wt%")


# --- the renderer agrees with the physics ----------------------------------------------------


@pytest.fixture
def mitsuba_spectral():
    mi = pytest.importorskip("mitsuba")
    before = mi.variant()
    if "llvm_ad_spectral" not in mi.variants():
        pytest.skip("mitsuba variant llvm_ad_spectral not compiled in")
    try:
        mi.set_variant("llvm_ad_spectral")
    except Exception as exc:  # noqa: BLE001 - e.g. no libLLVM: any failure means "not available here"
        pytest.skip(f"llvm_ad_spectral unavailable: {exc}")
    from jewelrender import bsdfs

    bsdfs.register()
    yield mi
    if before is not None:
        mi.set_variant(before)


def render_flats(mi, bsdf_dicts: list[dict], px: int = 8, spp: int = 256) -> tuple[np.ndarray, list[np.ndarray]]:
    """Polished flats seen head-on (orthographic) under a uniform D65 sky.

    Returns the background's linear sRGB (the emitter seen directly: the white)
    and each flat's mean linear sRGB over its inner pixels.
    """
    T = mi.ScalarTransform4f
    n = len(bsdf_dicts)
    # ortho view spans x in [-(n+1), n+1], y in [-1, 1]: one 2x2 tile per flat, the last tile is sky
    scene = {
        "type": "scene",
        "integrator": {"type": "path", "max_depth": 2},
        "emitter": {"type": "constant", "radiance": {"type": "d65"}},
        "sensor": {
            "type": "orthographic",
            "to_world": T().look_at(origin=[0, 0, 5], target=[0, 0, 0], up=[0, 1, 0]) @ T().scale([n + 1, 1, 1]),
            "film": {"type": "hdrfilm", "width": (n + 1) * px, "height": px, "rfilter": {"type": "box"},
                     "pixel_format": "rgb"},
            "sampler": {"type": "independent", "sample_count": spp},
        },
    }
    for i, b in enumerate(bsdf_dicts):
        scene[f"flat{i}"] = {"type": "rectangle", "bsdf": M.prepare_for_mitsuba(b),
                             "to_world": T().translate([-n + 2 * i, 0, 0]) @ T().scale([0.9, 0.9, 1])}
    img = np.array(mi.render(mi.load_dict(scene)), dtype=np.float64)
    sky = img[1:-1, n * px + 1:(n + 1) * px - 1].reshape(-1, 3).mean(axis=0)
    flats = [img[1:-1, i * px + 1:(i + 1) * px - 1].reshape(-1, 3).mean(axis=0) for i in range(n)]
    return sky, flats


def test_spectral_render_matches_fresnel_colour(mitsuba_spectral):
    mi = mitsuba_spectral
    ids = M.list_metals()
    sky, flats = render_flats(mi, [M.metal_bsdf_dict(pid, roughness=0.0) for pid in ids])
    assert np.allclose(sky, 1.0, atol=0.02)  # D65 renders as sRGB white
    white = color.linear_srgb_to_xyz(sky)
    for pid, rgb in zip(ids, flats):
        rendered = color.xyz_to_lab(color.linear_srgb_to_xyz(rgb), white)
        de = float(color.delta_e_2000(rendered, lab_of(pid)))
        assert de <= 1.5, f"{pid}: rendered {np.round(rendered, 2)} vs Fresnel {np.round(lab_of(pid), 2)}: dE {de:.2f}"


# --- finishes ---------------------------------------------------------------------------------


def test_finish_dicts():
    assert M.list_finishes() == ["polished", "satin", "matte", "hammered"]
    pol = M.metal_bsdf_dict("rose-gold-18k")
    assert pol == M.metal_bsdf_dict("rose-gold-18k", finish="polished")
    assert pol["alpha"] == M.metal("rose-gold-18k").roughness
    sat = M.metal_bsdf_dict("rose-gold-18k", finish="satin")
    assert sat["type"] == "roughconductor" and sat["alpha_u"] < sat["alpha_v"] and "alpha" not in sat
    assert M.metal_bsdf_dict("rose-gold-18k", finish="satin", roughness=0.5)["alpha_v"] == 0.5
    mat = M.metal_bsdf_dict("silver-925", finish="matte")
    assert mat["alpha"] > 5 * pol["alpha"]
    ham = M.metal_bsdf_dict("silver-925", finish="hammered")
    assert ham["type"] == "normalmap" and ham["bsdf"]["type"] == "roughconductor"
    nm = ham["normalmap"]["data"]
    assert nm.shape == (6 * 12, 40 * 12, 3) and nm.dtype == np.float32
    # parts without texture coordinates (prongs) get the isotropic equivalent
    no_uv = M.metal_bsdf_dict("silver-925", finish="satin", has_texcoords=False)
    assert no_uv["alpha"] == pytest.approx(math.sqrt(sat["alpha_u"] * sat["alpha_v"])) and "alpha_u" not in no_uv
    assert M.metal_bsdf_dict("silver-925", finish="hammered", has_texcoords=False) == ham["bsdf"]
    for bad in ("brushed-ish", None, 3):
        with pytest.raises(InvalidOptionError):
            M.metal_bsdf_dict("silver-925", finish=bad)


def test_hammered_normal_map_is_unit_seamless_and_dimpled():
    nm = M.hammered_normal_map(10, 3, px=16).astype(np.float64)
    n = 2 * nm - 1
    np.testing.assert_allclose(np.linalg.norm(n, axis=-1), 1.0, atol=1e-5)
    assert n[..., 2].min() > math.cos(math.radians(25))  # shallow blows, no normal flipped over
    tilt = np.degrees(np.arccos(n[..., 2]))
    assert tilt.max() > 8.0 and np.median(tilt) > 2.0  # visibly dimpled, not a mirror
    # wraps in u and v: the jump across the seam is like any neighbouring jump
    inner = np.abs(np.diff(n, axis=1)).max()
    assert np.abs(n[:, 0] - n[:, -1]).max() <= inner + 1e-6
    assert np.abs(n[0] - n[-1]).max() <= np.abs(np.diff(n, axis=0)).max() + 1e-6
    np.testing.assert_array_equal(M.hammered_normal_map(10, 3, px=16), nm.astype(np.float32))  # deterministic


def test_satin_is_smooth_along_u_and_rough_across(mitsuba_spectral):
    """Mitsuba's alpha_u runs along the shading frame's s = dp/du, which on our bands
    is the circumference: a satin band must keep a tight lobe along the band and a
    wide one across it."""
    mi = mitsuba_spectral
    import drjit as dr

    bsdf = mi.load_dict(M.prepare_for_mitsuba(M.metal_bsdf_dict("yellow-gold-18k", finish="satin")))
    si = dr.zeros(mi.SurfaceInteraction3f)
    si.wi = mi.Vector3f(0, 0, 1)
    si.wavelengths = mi.Spectrum([450.0, 520.0, 600.0, 650.0])
    t = math.sin(math.radians(10)), math.cos(math.radians(10))
    along = np.array(bsdf.eval(mi.BSDFContext(), si, mi.Vector3f(t[0], 0, t[1]))).ravel()
    across = np.array(bsdf.eval(mi.BSDFContext(), si, mi.Vector3f(0, t[0], t[1]))).ravel()
    assert np.all(across > 3 * along)  # off-specular light spreads across the brush lines
    ham = mi.load_dict(M.prepare_for_mitsuba(M.metal_bsdf_dict("yellow-gold-18k", finish="hammered")))
    assert "NormalMap" in str(ham) or "normalmap" in str(ham).lower()


if __name__ == "__main__":  # print the table
    print(f"{'metal':28s} {'model':9s} {'L*':>6s} {'a*':>6s} {'b*':>6s} {'YI E313':>8s} {'YI D1925':>9s}")
    for pid, model, L, a, b, yi, yi2 in colour_table():
        print(f"{pid:28s} {model:9s} {L:6.1f} {a:+6.1f} {b:+6.1f} {yi:8.1f} {yi2:9.1f}")
    print(f"\n{'colour':6s} {'published L* a* b*':>22s} {'model L* a* b*':>22s} {'dE00':>6s} {'uncal.':>7s}")
    for key, (comp, ref) in STANDARD_GOLD_COLOURS.items():
        m, m0 = _alloy_lab(comp), _alloy_lab(comp, False)
        print(f"{key:6s} {ref[0]:8.1f}{ref[1]:+7.2f}{ref[2]:+7.2f} {m[0]:8.1f}{m[1]:+7.2f}{m[2]:+7.2f} "
              f"{float(color.delta_e_2000(m, np.array(ref))):6.2f} {float(color.delta_e_2000(m0, np.array(ref))):7.2f}")
    for pid in M.list_metals():
        p = M.metal(pid)
        if p.reference_lab:
            print(f"{pid}: dE00 {float(color.delta_e_2000(lab_of(pid), np.array(p.reference_lab))):.2f} vs {p.reference_lab}")
