"""The ring size estimate (jewelrender.ringsize): the finger's elliptical section and the adult prior."""

from __future__ import annotations

import math

import pytest

from jewelrender.errors import InvalidOptionError
from jewelrender.ringsize import (
    PRIOR_MIXTURE,
    diameter_of_us_size,
    ellipse_perimeter,
    equivalent_diameter_mm,
    estimate_ring_size,
    us_size_of_diameter,
)


def test_ellipse_and_equivalent_circle():
    assert ellipse_perimeter(1.0, 1.0) == pytest.approx(2 * math.pi)
    # a flat ellipse's perimeter tends to 4a; Ramanujan II is within 0.05 % there
    assert ellipse_perimeter(1.0, 1e-9) == pytest.approx(4.0, rel=5e-4)
    assert equivalent_diameter_mm(17.0, 1.0) == pytest.approx(17.0)
    # a finger 0.85 as deep as it is wide: its bore is 0.927 of the width seen
    assert equivalent_diameter_mm(17.0) / 17.0 == pytest.approx(0.9265, abs=2e-4)
    for bad in (0.0, -1.0, float("nan"), None, True):
        with pytest.raises(InvalidOptionError):
            equivalent_diameter_mm(bad)
    with pytest.raises(InvalidOptionError):
        equivalent_diameter_mm(17.0, 1.2)


def test_us_sizes_round_trip_without_clamp():
    for s in (-1.0, 0.0, 3.0, 7.25, 13.0, 16.0):
        assert us_size_of_diameter(float(diameter_of_us_size(s))) == pytest.approx(s)


def test_prior_alone_is_labelled_and_wide():
    rs = estimate_ring_size(None)
    assert rs.size_source == "prior" and rs.measured_diameter_mm is None
    mid = sum(w * mu for w, mu, _ in PRIOR_MIXTURE)
    assert rs.us == pytest.approx(mid, abs=0.5)
    lo, hi = rs.interval
    assert lo <= 5.0 and hi >= 10.0  # it knows it does not know


def test_measurement_moves_the_estimate_monotonically_and_narrows_it():
    prior = estimate_ring_size(None)
    prev = -math.inf
    for d in (9.0, 11.0, 12.5, 14.0, 16.0, 18.0):
        rs = estimate_ring_size(d)
        assert rs.size_source == "hand_proportions+prior"
        assert rs.details["us_continuous"] > prev
        prev = rs.details["us_continuous"]
        lo, hi = rs.interval
        assert lo <= rs.us <= hi
        assert hi - lo <= prior.interval[1] - prior.interval[0]
        assert rs.inner_diameter_mm == pytest.approx(float(diameter_of_us_size(rs.details["us_continuous"])), abs=0.01)
    # the extremes move past the old 3..13 clamp rather than stopping at it
    assert estimate_ring_size(40.0).details["us_continuous"] > 13.0
    assert estimate_ring_size(4.0).details["us_continuous"] < 3.0
    json_ok = estimate_ring_size(13.0).to_report()
    assert set(json_ok) >= {"us", "interval", "size_source", "inner_diameter_mm"}
