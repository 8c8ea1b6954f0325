from __future__ import annotations

import numpy as np
import pytest

from jewelrender import color
from jewelrender.errors import InvalidOptionError


def test_all_256_codes_round_trip():
    codes = np.arange(256, dtype=np.uint8)
    lin = color.srgb8_to_linear(codes)
    assert lin.dtype == np.float32
    assert np.all(np.diff(lin) > 0), "decoding must be strictly increasing"
    np.testing.assert_array_equal(color.linear_to_srgb8(lin), codes)
    # The float curves agree with the table and invert each other.
    np.testing.assert_allclose(color.srgb_to_linear(codes / 255.0), lin, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(color.linear_to_srgb(color.srgb_to_linear(codes / 255.0)), codes / 255.0, atol=1e-12)


def test_known_values():
    assert color.srgb_to_linear(0.5) == pytest.approx(0.21404114, abs=1e-7)
    assert color.linear_to_srgb(0.21404114) == pytest.approx(0.5, abs=1e-7)
    # Linear segment below the threshold: 0.04 / 12.92.
    assert color.srgb_to_linear(0.04) == pytest.approx(0.04 / 12.92)
    assert color.linear_to_srgb(0.001) == pytest.approx(0.01292)
    assert color.srgb_to_linear(1.0) == pytest.approx(1.0)
    assert color.linear_to_srgb(0.0) == 0.0
    # 18 % grey encodes to code 118 (a commonly quoted value).
    assert int(color.linear_to_srgb8(np.float32(0.18))) == 118


def test_curve_is_continuous_at_the_seams():
    for t in (0.04045, 0.0031308):
        lo, hi = t * (1 - 1e-9), t * (1 + 1e-9)
        f = color.srgb_to_linear if t > 0.01 else color.linear_to_srgb
        assert f(lo) == pytest.approx(f(hi), rel=1e-6)


def test_clipping_and_dtype():
    x = np.array([-0.5, 0.0, 0.5, 1.0, 3.0, np.nan], dtype=np.float32)
    enc = color.linear_to_srgb(x)
    assert enc.dtype == np.float32
    np.testing.assert_allclose(enc[[0, 4, 5]], [0.0, 1.0, 0.0])
    codes = color.linear_to_srgb8(x)
    assert codes.dtype == np.uint8
    np.testing.assert_array_equal(codes[[0, 1, 3, 4, 5]], [0, 0, 255, 255, 0])
    img = np.random.default_rng(0).integers(0, 256, size=(4, 5, 3), dtype=np.uint8)
    assert color.srgb8_to_linear(img).shape == (4, 5, 3)
    with pytest.raises(InvalidOptionError):
        color.srgb8_to_linear(img.astype(np.float32))


def test_luminance_and_white_lab():
    assert color.luminance([1.0, 1.0, 1.0]) == pytest.approx(1.0)
    np.testing.assert_allclose(color.luminance(np.eye(3)), [0.2126, 0.7152, 0.0722])
    np.testing.assert_allclose(color.linear_srgb_to_xyz([1.0, 1.0, 1.0]), color.D65_WHITE_XYZ, atol=1e-12)
    np.testing.assert_allclose(color.D65_WHITE_XYZ, [0.95046, 1.0, 1.08906], atol=1e-4)
    np.testing.assert_allclose(color.rgb_to_lab([1.0, 1.0, 1.0]), [100.0, 0.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(color.rgb_to_lab([0.0, 0.0, 0.0]), [0.0, 0.0, 0.0], atol=1e-9)
    # The RGB->XYZ matrix agrees with the rounded one printed in IEC 61966-2-1.
    iec = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    np.testing.assert_allclose(color.SRGB_TO_XYZ, iec, atol=1.5e-4)
    # sRGB red (code 255, 0, 0) -> Lab (53.24, 80.09, 67.20), widely tabulated.
    red = color.srgb8_to_lab(np.array([255, 0, 0], dtype=np.uint8))
    np.testing.assert_allclose(red, [53.24, 80.09, 67.20], atol=0.02)
    with pytest.raises(InvalidOptionError):
        color.luminance([1.0, 1.0])


# Sharma, Wu & Dalal (2005), Color Res. Appl. 30(1):21-30, Table 1 (a selection).
SHARMA_PAIRS = [
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 3.1571, -77.2803), (50.0, 0.0, -82.7485), 2.8615),
    ((50.0, -1.3802, -84.2814), (50.0, 0.0, -82.7485), 1.0000),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.4900, -0.0010), (50.0, -2.4900, 0.0009), 7.1792),
    ((50.0, 2.4900, -0.0010), (50.0, -2.4900, 0.0011), 7.2195),
    ((50.0, -0.0010, 2.4900), (50.0, 0.0009, -2.4900), 4.8045),
    ((50.0, 2.5, 0.0), (50.0, 0.0, -2.5), 4.3065),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((50.0, 2.5, 0.0), (56.0, -27.0, -3.0), 31.9030),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((22.7233, 20.0904, -46.6940), (23.0331, 14.9730, -42.5619), 2.0373),
    ((90.8027, -2.0831, 1.4410), (91.1528, -1.6435, 0.0447), 1.4441),
    ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082),
]


def test_ciede2000_reference_pairs():
    a = np.array([p[0] for p in SHARMA_PAIRS])
    b = np.array([p[1] for p in SHARMA_PAIRS])
    want = np.array([p[2] for p in SHARMA_PAIRS])
    np.testing.assert_allclose(color.delta_e_2000(a, b), want, atol=5e-5)
    np.testing.assert_allclose(color.delta_e_2000(b, a), want, atol=5e-5)  # symmetric
    assert color.delta_e_2000(a[0], a[0]) == 0.0
    # Broadcasting: one colour against many.
    assert color.delta_e_2000(a[0], b).shape == (len(SHARMA_PAIRS),)
