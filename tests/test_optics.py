"""Hand-checkable tests of jewelrender.library.optics (pure NumPy)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jewelrender.library import optics
from jewelrender.errors import InvalidOptionError
from jewelrender.library.materials import metal_data

# Peter (1923) as printed in refractiveindex.info's C/nk/Peter.yml ("formula 1": resonance wavelengths in µm).
DIAMOND = {"formula": "sellmeier", "coefficients": {"B": [0.3306, 4.3356], "L": [0.1750, 0.1060]}}
VIS = np.arange(380.0, 781.0, 5.0)


# --- dispersion formulas ------------------------------------------------------


def test_sellmeier_single_term_by_hand():
    # n^2 = 1 + 1 * L^2 / (L^2 - 0.01) at L = 0.5 µm: 1 + 0.25/0.24
    assert optics.sellmeier(500.0, [1.0], [0.01]) == pytest.approx(math.sqrt(1 + 0.25 / 0.24), rel=1e-12)
    # no resonance term: n^2 = 1 + A
    assert optics.sellmeier([400.0, 700.0], [0.0], [0.0], A=1.25) == pytest.approx([1.5, 1.5])


def test_sellmeier_nan_at_pole_and_shape():
    n = optics.sellmeier(np.array([[300.0, 500.0]]), [1.0], [0.25])  # pole at 500 nm
    assert n.shape == (1, 2)
    assert np.isfinite(n[0, 0]) and np.isnan(n[0, 1])


def test_cauchy_by_hand():
    # n = 1.5 + 0.0042 / 0.25 + 0.0001 / 0.0625 at 500 nm
    assert optics.cauchy(500.0, 1.5, 0.0042, 0.0001) == pytest.approx(1.5 + 0.0168 + 0.0016, rel=1e-12)


def test_diamond_nD_and_fire():
    n_D = float(optics.refractive_index(DIAMOND, optics.LINE_D))
    assert n_D == pytest.approx(2.417, abs=0.001)  # the gemmological RI of diamond
    assert optics.dispersion(DIAMOND) == pytest.approx(0.044, abs=0.001)  # diamond "fire"
    assert 50 < optics.abbe_number(DIAMOND) < 60  # diamond V_d ~ 55
    # normal-incidence reflectance of diamond in air: ((n-1)/(n+1))^2 ~ 0.172
    assert float(optics.fresnel_dielectric(1.0, n_D)) == pytest.approx(0.172, abs=0.001)


def test_sellmeier_C_and_L_forms_agree():
    as_C = dict(DIAMOND["coefficients"], C=[0.1750**2, 0.1060**2])
    del as_C["L"]
    np.testing.assert_allclose(
        optics.evaluate_formula("sellmeier", as_C, VIS), optics.refractive_index(DIAMOND, VIS), rtol=1e-12
    )


def test_formula_4_reduces_to_sellmeier_and_skips_empty_terms():
    # C1 + C2 L^2 / (L^2 - C4^2) with C1 = 1 is Sellmeier with B = C2, C = C4^2;
    # the empty second term (0 * L^0 / (L^2 - 0^0)) must not turn into NaN at L = 1 µm.
    wl = np.array([400.0, 589.3, 1000.0])
    f4 = optics.rii_formula_4(wl, [1.0, 0.8, 2, 0.1, 2, 0, 0, 0, 0])
    np.testing.assert_allclose(f4, optics.sellmeier(wl, [0.8], [0.01]), rtol=1e-12)


def test_dispersion_and_abbe_of_cauchy_analytic():
    A, B = 1.5, 0.005
    n = lambda wl: optics.cauchy(wl, A, B)  # noqa: E731
    expect_fire = B * (1 / 0.4308**2 - 1 / 0.6867**2)
    assert optics.dispersion(n) == pytest.approx(expect_fire, rel=1e-9)
    n_d = A + B / 0.58756**2
    assert optics.abbe_number(n) == pytest.approx((n_d - 1) / (B * (1 / 0.48613**2 - 1 / 0.65627**2)), rel=1e-9)


def test_formula_errors_are_invalid_option():
    with pytest.raises(InvalidOptionError, match="sellmeier, cauchy, rii-formula-4"):
        optics.evaluate_formula("lorentz", {}, 500.0)
    with pytest.raises(InvalidOptionError, match="exactly one of C"):
        optics.evaluate_formula("sellmeier", {"B": [1.0], "C": [0.01], "L": [0.1]}, 500.0)
    with pytest.raises(InvalidOptionError, match="does not take"):
        optics.evaluate_formula("cauchy", {"A": 1.5, "D": 1.0}, 500.0)
    with pytest.raises(InvalidOptionError):
        optics.sellmeier(-5.0, [1.0], [0.01])


# --- Fresnel --------------------------------------------------------------------


def test_fresnel_dielectric_hand_values():
    assert float(optics.fresnel_dielectric(1.0, 1.5)) == pytest.approx(0.04, abs=1e-12)
    assert float(optics.fresnel_dielectric(-1.0, 1.5)) == pytest.approx(0.04, abs=1e-12)  # from inside
    assert float(optics.fresnel_dielectric(0.3, 1.0)) == pytest.approx(0.0, abs=1e-15)  # no interface
    assert float(optics.fresnel_dielectric(0.0, 1.5)) == pytest.approx(1.0)  # grazing
    # Brewster angle: r_p = 0, so R = r_s^2 / 2 with r_s = (cos i - n cos t)/(cos i + n cos t)
    eta = 1.5
    ti = math.atan(eta)
    tt = math.asin(math.sin(ti) / eta)
    rs = (math.cos(ti) - eta * math.cos(tt)) / (math.cos(ti) + eta * math.cos(tt))
    assert float(optics.fresnel_dielectric(math.cos(ti), eta)) == pytest.approx(rs**2 / 2, rel=1e-12)


def test_total_internal_reflection():
    eta = 2.417  # diamond; from inside the critical angle is asin(1/eta) ~ 24.4°
    crit = math.asin(1 / eta)
    inside = -np.cos(np.array([crit + 1e-3, 0.6, 1.0, 1.5]))  # beyond the critical angle
    np.testing.assert_array_equal(optics.fresnel_dielectric(inside, eta), 1.0)
    below = float(optics.fresnel_dielectric(-math.cos(crit - 0.05), eta))
    assert 0.0 < below < 1.0


@settings(max_examples=200, deadline=None)
@given(
    cos_i=st.floats(0.0, 1.0),
    n=st.floats(0.2, 4.0),
)
def test_conductor_with_k0_equals_dielectric(cos_i, n):
    # including n < 1, where total internal reflection sets in
    assert float(optics.fresnel_conductor(cos_i, n, 0.0)) == pytest.approx(
        float(optics.fresnel_dielectric(cos_i, n)), abs=1e-9
    )


def _pbrt_fr_conductor(cos_i, n, k):
    """Independent form (a^2 + b^2 formulation, e.g. PBRT v3 FrConductor) of the unpolarised reflectance."""
    c2 = cos_i * cos_i
    s2 = 1 - c2
    t0 = n * n - k * k - s2
    a2b2 = np.sqrt(t0 * t0 + 4 * n * n * k * k)
    a = np.sqrt(0.5 * (a2b2 + t0))
    t1 = a2b2 + c2
    t2 = 2 * cos_i * a
    Rs = (t1 - t2) / (t1 + t2)
    t3 = c2 * a2b2 + s2 * s2
    t4 = t2 * s2
    Rp = Rs * (t3 - t4) / (t3 + t4)
    return 0.5 * (Rs + Rp)


@settings(max_examples=200, deadline=None)
@given(cos_i=st.floats(0.01, 1.0), n=st.floats(0.05, 4.0), k=st.floats(0.01, 8.0))
def test_conductor_matches_independent_formula(cos_i, n, k):
    assert float(optics.fresnel_conductor(cos_i, n, k)) == pytest.approx(
        float(_pbrt_fr_conductor(cos_i, n, k)), abs=1e-9
    )


def test_conductor_normal_incidence_and_grazing():
    n, k = np.array([0.16, 1.8, 2.2]), np.array([3.6, 4.5, 0.0])
    np.testing.assert_allclose(
        optics.fresnel_conductor(1.0, n, k), ((n - 1) ** 2 + k**2) / ((n + 1) ** 2 + k**2), rtol=1e-12
    )
    np.testing.assert_allclose(optics.normal_reflectance_conductor(1.5, 0.0), 0.04, rtol=1e-12)
    np.testing.assert_allclose(optics.fresnel_conductor(0.0, n, k), 1.0)
    with pytest.raises(InvalidOptionError):
        optics.fresnel_conductor(1.0, 1.0, -0.1)


def test_gold_reflectance_is_yellow():
    au = metal_data("Au")
    assert float(au.normal_reflectance(650.0)) > 0.9
    assert float(au.normal_reflectance(450.0)) < 0.45


# --- colorimetry ---------------------------------------------------------------


def test_cie_tables_sanity():
    t = optics.cie_tables()
    assert t.wavelength_nm[0] <= 380 and t.wavelength_nm[-1] >= 780
    assert np.all(np.diff(t.wavelength_nm) == 5.0)
    assert t.wavelength_nm[np.argmax(t.ybar)] == 555.0 and t.ybar.max() == pytest.approx(1.0)
    assert t.d65[t.wavelength_nm == 560.0][0] == pytest.approx(100.0)
    # the three CMFs have (nearly) equal areas: equal-energy white is x = y = 1/3
    areas = [t.xbar.sum(), t.ybar.sum(), t.zbar.sum()]
    np.testing.assert_allclose(areas, areas[1], rtol=2e-3)


def test_d65_white_point():
    w = optics.illuminant_white_xyz("D65")
    np.testing.assert_allclose(w, [0.9504, 1.0, 1.0888], atol=1e-3)  # CIE 15 D65 2° white
    x, y = w[0] / w.sum(), w[1] / w.sum()
    assert (x, y) == pytest.approx((0.3127, 0.3290), abs=2e-4)
    np.testing.assert_allclose(optics.xyz_to_linear_srgb(w), [1.0, 1.0, 1.0], atol=1e-3)
    np.testing.assert_allclose(optics.illuminant_white_xyz("E"), [1.0, 1.0, 1.0], atol=3e-3)
    with pytest.raises(InvalidOptionError, match="D65"):
        optics.illuminant_white_xyz("A")


def test_reflectance_to_xyz_scaling_and_batching():
    R = np.stack([np.full(VIS.size, 0.5), np.ones(VIS.size)])
    xyz = optics.reflectance_to_xyz(VIS, R)
    assert xyz.shape == (2, 3)
    np.testing.assert_allclose(xyz[0], 0.5 * xyz[1], rtol=1e-12)
    assert xyz[1, 1] == pytest.approx(1.0)
    with pytest.raises(InvalidOptionError, match="380-780"):
        optics.reflectance_to_xyz(np.arange(400.0, 701.0, 10.0), np.ones(31))
    with pytest.raises(InvalidOptionError):
        optics.reflectance_to_xyz(VIS[::-1], np.ones(VIS.size))


def test_lab_hand_values():
    white = optics.illuminant_white_xyz()
    np.testing.assert_allclose(optics.xyz_to_lab(white), [100.0, 0.0, 0.0], atol=1e-9)
    # 18 % grey: L* = 116 * 0.18^(1/3) - 16 = 49.496
    np.testing.assert_allclose(optics.xyz_to_lab(0.18 * white), [49.496, 0.0, 0.0], atol=1e-3)
    # below the linear-segment threshold: L* = kappa * Y
    assert optics.xyz_to_lab(0.001 * white)[0] == pytest.approx(24389 / 27 * 0.001, rel=1e-9)


def test_srgb_matrix_and_encoding():
    # IEC 61966-2-1 published XYZ -> linear sRGB matrix (4 decimals)
    iec = np.array([[3.2406, -1.5372, -0.4986], [-0.9689, 1.8758, 0.0415], [0.0557, -0.2040, 1.0570]])
    np.testing.assert_allclose(optics.xyz_to_linear_srgb(np.eye(3)).T, iec, atol=2e-3)
    assert optics.srgb_encode(0.5) == pytest.approx(0.7354, abs=1e-4)
    lo = 0.0031308
    assert optics.srgb_encode(lo - 1e-9) == pytest.approx(optics.srgb_encode(lo + 1e-9), abs=1e-6)
    np.testing.assert_allclose(optics.srgb_encode([-1.0, 2.0]), [0.0, 1.0], atol=1e-12)


def _metal_lab(symbol):
    d = metal_data(symbol)
    return optics.xyz_to_lab(optics.reflectance_to_xyz(VIS, d.normal_reflectance(VIS)))


def test_metal_colours():
    L, a, b = _metal_lab("Au")
    assert b > 20 and L > 80  # gold is a bright, strongly yellow metal
    L, a, b = _metal_lab("Ag")
    assert abs(a) < 2 and abs(b) < 2 and L > 95  # silver is a bright neutral
    assert _metal_lab("Cu")[1] > 8  # copper is reddish (a* > 0)
