"""Metal advice from the skin: an undertone (warm / neutral / cool) and a ranked list of metals.

The undertone is read from the skin's colour *under the estimated light's white
balance*: the skin's median linear colour divided by the colour of the light
the visible room casts on it (``photo_fit``'s ``white_balance_rgb``, luminance
1), so a warm lamp does not make every skin "warm".

What decides it is the **chroma** C*ab of that colour: pale, pinkish or ashy
skin (C* below :data:`COOL_CHROMA`) is cool, saturated golden, peach or olive
skin (above :data:`WARM_CHROMA`) is warm, in between neutral. The two
thresholds are *calibrated*, not published: fitted to one person's blind
reading of the 30 dev hand photos (``benchmarks/undertone_readings.csv``;
agreement, leave-one-out and in-sample, in ``docs/lighting.md``). The rule
that was written down first -- the hue angle h_ab against the hue typical of
skin of the same depth (melanin raises the hue angle; Weatherall & Coombs
1992), ±4° neutral -- agreed with that reading on 7 of 30 photos, below
chance; its numbers stay in the result (``hue_deg``, ``reference_hue_deg``,
``hue_offset_deg``) as information.

Which metal flatters which skin is jewellers' convention, not colour science:
cool (pink, rosy) skin with white metals, warm (golden, peach, olive) skin
with yellow gold, neutral skin with rose gold or anything. The rule table
below writes that convention down (:data:`RULES`); ``docs/lighting.md`` lists
its sources and which parts are ours.

References
----------
* I. L. Weatherall & B. D. Coombs (1992), "Skin color measurements in terms of
  CIELAB color space values", *J. Invest. Dermatol.* 99(4):468-473: skin colour
  as L*, hue angle and chroma; hue angle rises with pigmentation.
* Categorising skin by one colorimetric coordinate (there Hunter b, yellowness)
  for colour advice: Chromatics Color Sciences, EP 0682236 B1, "Method and
  instrument for selecting personal compatible colors".
* ITA° and its categories: :mod:`jewelrender.lighting.skin` (Chardon et al.
  1991, Del Bino et al. 2006).
* The metal convention: jewellers' guides, e.g. Orogold, "The right gold for
  your skin tone" (cool: white gold; warm: yellow gold; neutral: rose gold or
  either), Esaltare Designs, "How do I choose the right jewelry for my skin
  tone?" (warm: yellow, softer warm: rose; cool: white); AsiaOne, "best types of
  jewellery colour for your skin tone and undertone" (neutral suits all).
"""

from __future__ import annotations

import numpy as np

from ..color import luminance, rgb_to_lab
from .skin import SKIN_TYPE_ALBEDO, ita_category, ita_degrees

__all__ = ["COOL_CHROMA", "DEEP_ITA_DEG", "FAIR_ITA_DEG", "NEUTRAL_BAND_DEG", "RULES", "WARM_CHROMA", "metal_advice",
           "reference_hue", "skin_advice", "undertone"]

#: CIELAB chroma C*ab of the white-balanced skin colour below which the undertone is cool, and above
#: which it is warm. Calibrated: the thresholds that best reproduce one person's blind reading of the 30
#: dev photos (benchmarks/undertone_agreement.py); no published threshold for "undertone" was found.
COOL_CHROMA = 11.2
WARM_CHROMA = 19.6
#: Half-width of the neutral band of the first, hue-based rule (reported as ``hue_offset_deg``, not used).
NEUTRAL_BAND_DEG = 4.0
#: ITA° above which the skin counts as fair: Del Bino et al.'s "very light" category.
FAIR_ITA_DEG = 55.0
#: ITA° at or below which the skin counts as deep: Del Bino et al.'s "brown" and "dark" categories.
DEEP_ITA_DEG = 10.0

#: The rule table. Points per metal preset id (``materials/metals.toml``) for each undertone, and the
#: bonus for deep or fair skin; the advice ranks the metals by their total (ties keep this order).
RULES = {
    "undertone": {
        "warm":    {"yellow-gold-18k": 2, "rose-gold-18k": 1, "white-gold-18k": 0, "platinum-950": 0},
        "neutral": {"rose-gold-18k": 2, "yellow-gold-18k": 1, "white-gold-18k": 1, "platinum-950": 1},
        "cool":    {"white-gold-18k": 2, "platinum-950": 2, "rose-gold-18k": 1, "yellow-gold-18k": 0},
    },
    "depth": {
        "deep": {"yellow-gold-18k": 1},
        "fair": {"white-gold-18k": 1, "platinum-950": 1},
    },
}

_WHY_UNDERTONE = {
    ("warm", 2): "yellow gold echoes a warm (golden) undertone",
    ("warm", 1): "rose gold's warmth also suits a warm undertone",
    ("warm", 0): "white metals can look cold against a warm undertone",
    ("neutral", 2): "rose gold sits between warm and cool, like a neutral undertone",
    ("neutral", 1): "a neutral undertone suits yellow and white metals alike",
    ("cool", 2): "white metals echo a cool (pink) undertone",
    ("cool", 1): "rose gold's pink suits a cool undertone better than yellow",
    ("cool", 0): "yellow gold can make a cool undertone look sallow",
}
_WHY_DEPTH = {"deep": "yellow gold stands out warmly on deep skin",
              "fair": "white metals suit fair skin"}


def _hue(lab: np.ndarray) -> np.ndarray:
    return np.degrees(np.arctan2(lab[..., 2], lab[..., 1]))


def _reference_fit() -> tuple[float, float]:
    # hue = c0 + c1 * ITA over the six published skin types: the hue of typical skin at each depth.
    lab = rgb_to_lab(SKIN_TYPE_ALBEDO)
    c1, c0 = np.polyfit(ita_degrees(lab), _hue(lab), 1)
    return float(c0), float(c1)


_REF = _reference_fit()


def reference_hue(ita_deg: float) -> float:
    """CIELAB hue angle (degrees) of typical skin of this ITA°, from the six published skin types.

    Clamped to the types' ITA range (about −50° to 75°): outside it the line is an extrapolation.
    """
    lab = rgb_to_lab(SKIN_TYPE_ALBEDO)
    ita = float(np.clip(ita_deg, ita_degrees(lab).min(), ita_degrees(lab).max()))
    return _REF[0] + _REF[1] * ita


def undertone(skin_rgb_linear, white_balance_rgb=None) -> dict:
    """The skin's undertone from its median colour under the light's white balance (see the module doc).

    Parameters
    ----------
    skin_rgb_linear : array_like, (3,) or (N, 3)
        Linear-sRGB skin colour (a median) or skin pixels (their median is taken).
    white_balance_rgb : array_like, (3,), optional
        Colour of the light on the skin (any scale; normalised to luminance 1).
        None = neutral (the photo as it is).

    Returns
    -------
    dict
        ``undertone`` (``"warm"``, ``"neutral"``, ``"cool"``, or None without skin),
        ``lab_balanced`` (CIELAB of the white-balanced colour), ``chroma``, ``hue_deg``, ``ita_deg``,
        ``ita_category``, ``depth`` (``"fair"``, ``"medium"``, ``"deep"``),
        ``reference_hue_deg``, ``hue_offset_deg`` (positive = yellower than typical
        skin of that depth; information only), ``white_balance_rgb``.
    """
    rgb = np.asarray(skin_rgb_linear, dtype=np.float64).reshape(-1, 3)
    rgb = rgb[np.all(np.isfinite(rgb), axis=1)]
    if len(rgb) == 0 or not np.any(np.median(rgb, axis=0) > 0):
        return {"undertone": None, "depth": None, "why": "no skin colour measured"}
    med = np.clip(np.median(rgb, axis=0), 0.0, None)
    wb = np.ones(3) if white_balance_rgb is None else np.asarray(white_balance_rgb, dtype=np.float64).reshape(3)
    if not np.all(np.isfinite(wb)) or np.any(wb <= 0):
        wb = np.ones(3)
    wb = wb / float(luminance(wb[None])[0])
    lab = rgb_to_lab(med / wb)
    hue = float(_hue(lab))
    ita = float(ita_degrees(lab))
    ref = reference_hue(ita)
    off = hue - ref
    chroma = float(np.hypot(lab[1], lab[2]))
    tone = "warm" if chroma > WARM_CHROMA else "cool" if chroma < COOL_CHROMA else "neutral"
    depth = "fair" if ita > FAIR_ITA_DEG else "deep" if ita <= DEEP_ITA_DEG else "medium"
    return {"undertone": tone, "lab_balanced": [float(v) for v in lab], "chroma": chroma, "hue_deg": hue,
            "ita_deg": ita,
            "ita_category": ita_category(ita), "depth": depth, "reference_hue_deg": ref,
            "hue_offset_deg": off, "white_balance_rgb": [float(v) for v in wb]}


def metal_advice(tone: dict) -> list[dict]:
    """Metals ranked for a skin by :data:`RULES`: ``[{"metal", "score", "reason"}, ...]`` (best first).

    ``tone`` is :func:`undertone`'s result; without an undertone the list is empty.
    """
    u, depth = tone.get("undertone"), tone.get("depth")
    if u is None:
        return []
    rows = []
    for order, (metal, pts) in enumerate(RULES["undertone"][u].items()):
        bonus = RULES["depth"].get(depth, {}).get(metal, 0)
        why = [_WHY_UNDERTONE[(u, pts)]] + ([_WHY_DEPTH[depth]] if bonus else [])
        rows.append((-(pts + bonus), order, {"metal": metal, "score": pts + bonus, "reason": "; ".join(why)}))
    return [r[2] for r in sorted(rows, key=lambda r: r[:2])]


def skin_advice(lighting_info: dict) -> dict:
    """The report's ``skin`` block from a lighting estimate's ``info``.

    Uses ``info["skin_tone"]["rgb_linear"]`` (the skin's median colour) and
    ``info["white_balance_rgb"]`` (neutral when the method has none). Returns
    the :func:`undertone` fields plus ``metal_advice`` and ``monk`` (the apparent
    Monk index, for reference).
    """
    st = lighting_info.get("skin_tone") or {}
    wb = lighting_info.get("white_balance_rgb")
    tone = undertone(st.get("rgb_linear", np.zeros(3)), wb)
    if wb is None and tone["undertone"] is not None:
        tone["white_balance_note"] = "the lighting method measured no white balance: the photo's colours as they are"
    out = dict(tone, monk=st.get("monk"), metal_advice=metal_advice(tone))
    return out
