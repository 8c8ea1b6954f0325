"""The shared chain solver (jewelrender.physics.chain): rigid links under gravity against body proxies."""

import numpy as np
import pytest

from jewelrender.errors import InvalidOptionError
from jewelrender.physics import Capsule, Ellipsoid, Plane, chain_length, relax_chain, resample_polyline

IN = 0.0254


def _shoulders():
    """A neck (vertical capsule, camera frame: +y down) on a sloping chest, as a necklace meets them."""
    neck = Capsule(np.array([0, -0.10, 0.0]), np.array([0, 0.05, 0.0]), 0.055)
    chest = Plane(np.array([0, 0.05, 0.0]), np.array([0, -1, 0.3]))
    return [neck, chest]


def _loop(length_m, n=150, y=-0.02):
    th = np.linspace(0, 2 * np.pi, n, endpoint=False)
    r = length_m / (2 * np.pi)
    return np.stack([r * np.cos(th), np.full(n, y), r * np.sin(th)], 1)


def test_a_longer_necklace_rests_lower_and_every_chain_keeps_its_length():
    lowest = {}
    for inches in (16, 18, 24):
        L = inches * IN
        st = relax_chain(_loop(L), closed=True, colliders=_shoulders(), gravity=(0, 1, 0), link_length=L / 150)
        assert st.at_rest
        assert st.length_error < 1e-3 and st.max_link_error < 1e-3
        assert abs(chain_length(st.points, True) - L) < 1e-3 * L
        lowest[inches] = st.points[:, 1].max()
    assert lowest[16] < lowest[18] < lowest[24]


def test_a_chain_rests_on_the_body_not_in_it():
    cols = _shoulders()
    st = relax_chain(_loop(18 * IN), closed=True, colliders=cols, gravity=(0, 1, 0))
    sd, _ = cols[0].distance(st.points)
    assert sd.min() > -1e-3
    n = np.array([0, -1, 0.3]) / np.linalg.norm([0, -1, 0.3])
    assert ((st.points - np.array([0, 0.05, 0])) @ n).min() > -1e-3
    assert st.contact.mean() > 0.5


@pytest.mark.parametrize("gravity", [(0, 1, 0), (1, 1, 0), (0.2, 1, 0.5)])
def test_a_drop_pinned_at_the_piercing_hangs_along_gravity(gravity):
    pts = np.stack([np.linspace(0, 0.02, 9), np.zeros(9), np.zeros(9)], 1)  # starts sideways
    st = relax_chain(pts, closed=False, pinned=[0], gravity=gravity)
    g = np.asarray(gravity, float) / np.linalg.norm(gravity)
    assert np.allclose(st.points[0], 0)
    drop = st.points[-1] - st.points[0]
    assert drop @ g > 0.97 * 0.02
    assert st.max_link_error < 1e-3


def test_a_stiff_chain_keeps_its_bends_under_the_limit():
    """A loop hung over a thin rod: a cable chain wraps the rod tightly, a box chain cannot."""
    rod = Capsule(np.array([0, 0, -0.01]), np.array([0, 0, 0.01]), 0.003)
    th = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    pts = np.stack([0.008 * np.cos(th), -0.002 + 0.008 * np.sin(th), np.zeros(24)], 1)  # around the rod

    def max_bend(p):
        d = np.diff(np.vstack([p, p[:2]]), axis=0)
        d /= np.linalg.norm(d, axis=1)[:, None]
        return np.degrees(np.arccos(np.clip((d[:-1] * d[1:]).sum(1), -1, 1))).max()

    free = relax_chain(pts, closed=True, colliders=[rod], gravity=(0, 1, 0))
    stiff = relax_chain(pts, closed=True, colliders=[rod], gravity=(0, 1, 0), max_bend_deg=20)
    assert free.max_link_error < 1e-3 and stiff.max_link_error < 1e-3
    assert max_bend(free.points) > 30
    assert max_bend(stiff.points) < 24


def test_resample_spaces_joints_evenly():
    square = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], float)
    p = resample_polyline(square, 8, closed=True)
    d = np.linalg.norm(np.diff(np.vstack([p, p[:1]]), axis=0), axis=1)
    assert np.allclose(d, d.mean(), rtol=0.3) and abs(chain_length(p, True) - 4) < 0.6


@pytest.mark.parametrize("kwargs", [dict(points=np.zeros((1, 3))), dict(points=np.full((3, 3), np.nan)),
                                    dict(points=np.zeros((3, 2))), dict(points=np.eye(3), gravity=(0, 0, 0)),
                                    dict(points=np.eye(3), pinned=[5]), dict(points=np.eye(3), link_length=-1)])
def test_bad_chains_are_refused_with_a_code(kwargs):
    with pytest.raises(InvalidOptionError) as e:
        relax_chain(closed=False, **kwargs)
    assert e.value.code == "INVALID_OPTION"


def test_a_heavy_joint_pulls_a_loop_into_a_v_and_masses_are_checked():
    L = 18 * IN
    pts = _loop(L, n=60)
    front = int(np.argmax(pts[:, 2]))
    masses = np.ones(60)
    masses[front] = 30.0
    plain = relax_chain(pts, closed=True, colliders=_shoulders(), gravity=(0, 1, 0))
    heavy = relax_chain(pts, closed=True, colliders=_shoulders(), gravity=(0, 1, 0), masses=masses)
    assert heavy.length_error < 1e-3
    assert int(np.argmax(heavy.points[:, 1])) == front
    assert heavy.points[front, 1] > plain.points[:, 1].max() + 0.001  # lower (+y is down)
    for bad in (np.ones(59), -masses, np.full(60, np.nan)):
        with pytest.raises(InvalidOptionError):
            relax_chain(pts, closed=True, masses=bad)
