"""``jewelrender compare``: one piece in several metals on the same real hand, with the skin's metal advice."""

from __future__ import annotations

import subprocess
import sys

import cv2
import numpy as np
import pytest

from jewelrender.color import rgb_to_lab, srgb8_to_linear
from jewelrender.compare import compare_metals
from jewelrender.errors import InvalidOptionError

PIECE = "band-court-4mm-18k-yellow"


@pytest.fixture(scope="module")
def comparison(data_dir):
    photo = data_dir / "photos" / "hands" / "ringtryon_target_left.jpg"
    return compare_metals(photo, PIECE, "yellow-gold-18k,white-gold-18k", quality="preview")


def _metal_lab(result) -> np.ndarray:
    # Mean CIELAB of the composite where the ring covers the pixel fully.
    m = result.mask > 0.9
    return rgb_to_lab(srgb8_to_linear(result.image[m]).mean(axis=0))


@pytest.mark.slow
def test_one_cell_per_metal_and_the_advice_under_them(comparison):
    res = comparison
    assert len(res.results) == 2 and res.report["metals"] == ["yellow-gold-18k", "white-gold-18k"]
    img = res.image
    assert img.dtype == np.uint8 and img.ndim == 3
    # Two cells side by side (360 px + 2 px margins each) over the caption.
    assert img.shape[1] == 2 * 364
    caption = img[364 + 30:]
    assert (caption < 128).any(), "the advice is drawn under the grid"
    skin = res.report["skin"]
    assert skin["undertone"] in ("warm", "neutral", "cool")
    assert [r["metal"] for r in skin["metal_advice"]][:1] and all(r["reason"] for r in skin["metal_advice"])
    # Detection, gate, placement and lighting ran once; the second metal reused them.
    assert res.report["preparation"] == ["computed", "reused"]
    assert res.results[1].report["timings"]["lighting"] == 0.0
    assert res.results[0].report["lighting"] == res.results[1].report["lighting"]


@pytest.mark.slow
def test_yellow_gold_is_yellower_than_white_gold_on_the_hand(comparison):
    yellow, white = (_metal_lab(r) for r in comparison.results)
    assert yellow[2] > white[2] + 10.0, (yellow, white)     # b*: yellow gold clearly yellower
    # The cells of the grid differ where the ring is, not elsewhere (same photo, same crop).
    a, b = (r.image.astype(int) for r in comparison.results)
    ring = np.maximum(comparison.results[0].mask, comparison.results[1].mask) > 0.02
    # Around the ring the camera's look is re-applied (the photo's JPEG tables re-encode the 8 px blocks the
    # ring touches, and its noise), and the contact shadow falls: 24 px covers both.
    near = cv2.dilate(ring.astype(np.uint8), np.ones((49, 49), np.uint8)) > 0
    # Where the ring covers most of a pixel: its faint anti-aliased rim (the grain the camera's look adds
    # there is the same for both metals) only dilutes the difference (9.99 on CI, 2026-12-03).
    solid = np.maximum(comparison.results[0].mask, comparison.results[1].mask) > 0.5
    assert np.abs(a - b)[solid].mean() > 10 and np.abs(a - b)[~near].max() <= 2


def test_bad_metal_lists_are_refused_before_any_work(data_dir):
    photo = data_dir / "photos" / "hands" / "ringtryon_target_left.jpg"
    for metals in ("", "yellow-gold-18k,unobtainium", "platinum-950,platinum-950", ",".join(["platinum-950"] * 1)
                   + ",yellow-gold-18k,white-gold-18k,rose-gold-18k,silver-925,palladium,rhodium"):
        with pytest.raises(InvalidOptionError):
            compare_metals(photo, PIECE, metals)
    with pytest.raises(InvalidOptionError):
        compare_metals(photo, PIECE, ["platinum-950"], metal="platinum-950")


def test_cli_refuses_an_unknown_metal_in_one_line(tmp_path, data_dir):
    photo = data_dir / "photos" / "hands" / "ringtryon_target_left.jpg"
    r = subprocess.run([sys.executable, "-m", "jewelrender", "compare", str(photo), "--piece", PIECE, "--metals",
                        "yellow-gold-18k,unobtainium", "--out", str(tmp_path / "g.png")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [r.stderr.strip()] and r.stderr.startswith("error: INVALID_OPTION: ")
    assert "unobtainium" in r.stderr and list(tmp_path.iterdir()) == []
