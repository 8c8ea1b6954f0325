"""Undertone from the skin's hue under the light's white balance, and the metal advice's rule table."""

from __future__ import annotations

import numpy as np
import pytest

from jewelrender.library import materials
from jewelrender.color import linear_srgb_to_xyz, rgb_to_lab, xyz_to_linear_srgb
from jewelrender.lighting.advice import (
    COOL_CHROMA,
    WARM_CHROMA,
    RULES,
    metal_advice,
    reference_hue,
    skin_advice,
    undertone,
)


def _lab_to_linear(L, a, b) -> np.ndarray:
    # Inverse CIELAB (D65 white of jewelrender.color), by the textbook formula.
    white = linear_srgb_to_xyz(np.ones(3))
    fy = (L + 16) / 116
    f = np.array([fy + a / 500, fy, fy - b / 200])
    t = np.where(f > 6 / 29, f ** 3, 3 * (6 / 29) ** 2 * (f - 4 / 29))
    return xyz_to_linear_srgb(t * white)


def _skin(L, hue_deg, chroma=20.0) -> np.ndarray:
    h = np.radians(hue_deg)
    return _lab_to_linear(L, chroma * np.cos(h), chroma * np.sin(h))


@pytest.mark.parametrize("L", [75.0, 60.0, 40.0])
def test_undertone_by_chroma(L):
    # The same lightness and hue, the chroma below, between and above the thresholds.
    for c, want in ((COOL_CHROMA - 3, "cool"), ((COOL_CHROMA + WARM_CHROMA) / 2, "neutral"), (WARM_CHROMA + 3, "warm")):
        u = undertone(_skin(L, 55.0, c))
        assert u["undertone"] == want, (L, c, u)
        assert u["chroma"] == pytest.approx(c, abs=0.05) and u["lab_balanced"][0] == pytest.approx(L, abs=0.05)


def test_a_warm_light_is_divided_out():
    # A neutral skin under a warm (orange) lamp reads warm at face value, neutral under the lamp's balance.
    skin = _skin(65.0, 55.0, (COOL_CHROMA + WARM_CHROMA) / 2)
    lamp = np.array([1.25, 1.0, 0.6])
    lit = skin * lamp
    assert undertone(lit)["undertone"] == "warm"
    assert undertone(lit, lamp)["undertone"] == "neutral"
    # Any scale of the balance: only its colour counts.
    assert undertone(lit, 7.0 * lamp)["chroma"] == pytest.approx(undertone(lit, lamp)["chroma"])
    # ... and a bluish light makes the same skin read cool at face value.
    assert undertone(skin * np.array([0.8, 1.0, 1.35]))["undertone"] == "cool"


def test_reference_hue_rises_with_depth():
    # Melanin makes skin yellower as well as darker: the reference hue of deep skin is above that of fair skin.
    assert reference_hue(-40.0) > reference_hue(60.0) + 5.0


@pytest.mark.parametrize("tone,depth,first", [("warm", "medium", "yellow-gold-18k"),
                                              ("cool", "medium", "white-gold-18k"),
                                              ("neutral", "medium", "rose-gold-18k"),
                                              ("warm", "deep", "yellow-gold-18k"),
                                              ("cool", "fair", "white-gold-18k"),
                                              ("neutral", "fair", "rose-gold-18k")])
def test_rule_table_ranking(tone, depth, first):
    adv = metal_advice({"undertone": tone, "depth": depth})
    assert adv[0]["metal"] == first, adv
    scores = [r["score"] for r in adv]
    assert scores == sorted(scores, reverse=True)
    assert all(r["reason"] for r in adv)
    if depth == "deep":
        assert "deep" in next(r for r in adv if r["metal"] == "yellow-gold-18k")["reason"]


def test_deep_skin_lifts_yellow_gold_to_rose_golds_level_on_a_neutral_undertone():
    adv = metal_advice({"undertone": "neutral", "depth": "deep"})
    assert [(r["metal"], r["score"]) for r in adv[:2]] == [("rose-gold-18k", 2), ("yellow-gold-18k", 2)]
    assert metal_advice({"undertone": "neutral", "depth": "medium"})[1]["score"] == 1


def test_neutral_fair_skin_ties_rose_with_white_and_keeps_the_table_order():
    adv = metal_advice({"undertone": "neutral", "depth": "fair"})
    assert [r["score"] for r in adv[:3]] == [2, 2, 2]
    assert [r["metal"] for r in adv[:3]] == ["rose-gold-18k", "white-gold-18k", "platinum-950"]


def test_every_advised_metal_is_a_preset():
    ids = set(materials.list_metals())
    for table in list(RULES["undertone"].values()) + list(RULES["depth"].values()):
        assert set(table) <= ids


def test_no_skin_no_advice():
    assert skin_advice({"skin_tone": {"n": 0}})["metal_advice"] == []
    assert undertone(np.zeros((0, 3)))["undertone"] is None


def test_skin_advice_from_a_lighting_info():
    L = 70.0
    rgb = _skin(L, 60.0, WARM_CHROMA + 5)
    info = {"skin_tone": {"rgb_linear": list(rgb), "monk": 4}, "white_balance_rgb": [1.0, 1.0, 1.0]}
    s = skin_advice(info)
    assert s["undertone"] == "warm" and s["metal_advice"][0]["metal"] == "yellow-gold-18k" and s["monk"] == 4
    assert "white_balance_note" in skin_advice({"skin_tone": info["skin_tone"]})
    assert rgb_to_lab(rgb)[0] == pytest.approx(L, abs=0.05)
