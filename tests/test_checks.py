"""One rule for numbers at every boundary: a bool is never a size, count or position."""

from __future__ import annotations

import numpy as np
import pytest

from jewelrender.checks import int_option, is_number, number_option
from jewelrender.errors import InvalidOptionError


def test_is_number():
    assert all(is_number(v) for v in (1, 2.5, np.float32(1.0), np.int64(3), float("nan")))
    assert not any(is_number(v) for v in (True, False, np.bool_(True), "1.5", None, [1.0]))


def test_number_and_int_options_refuse_bools_and_strings():
    assert number_option("x", 2, 0, 5) == 2.0
    for bad in (True, "2", None, float("inf")):
        with pytest.raises(InvalidOptionError):
            number_option("x", bad, 0, 5)
    assert int_option("n", np.int64(3), 1, 8) == 3
    with pytest.raises(InvalidOptionError):
        int_option("n", True, 0, 8)


def test_the_geometry_modules_share_the_rule(tmp_path):
    """True would be 1.0 (a valid carat, proportion, scale); every module refuses it."""
    from jewelrender.geometry import assets, cuts, meshio
    from jewelrender.pieces.ring import ring_assembly

    with pytest.raises(InvalidOptionError, match="carat"):
        assets.round_brilliant(carat=True)
    with pytest.raises(InvalidOptionError, match="carat"):
        cuts.make_stone("oval", carat=True)
    stone = assets.round_brilliant(carat=1.0)
    with pytest.raises(InvalidOptionError, match="culet_clearance_mm"):
        ring_assembly(inner_diameter_mm=17.0, stone=stone, setting={"style": "prong", "culet_clearance_mm": True})
    f = tmp_path / "stone.obj"
    f.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nf 1 3 2\nf 1 2 4\nf 1 4 3\nf 2 3 4\n")
    with pytest.raises(InvalidOptionError, match="size_mm"):
        meshio.load_mesh(f, size_mm=True)
