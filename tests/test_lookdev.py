"""jewelrender.lookdev: studio renders of pieces for look development (small renders)."""

from __future__ import annotations

import numpy as np
import pytest

from jewelrender import lookdev
from jewelrender.errors import InvalidOptionError


def test_bad_inputs_are_refused(tmp_path):
    with pytest.raises(InvalidOptionError, match="HDRI file not found"):
        lookdev.studio_render("band-court-2mm-18k-yellow", tmp_path / "none.hdr")
    (tmp_path / "x.hdr").write_bytes(b"")
    with pytest.raises(InvalidOptionError, match="size must be"):
        lookdev.studio_render("band-court-2mm-18k-yellow", tmp_path / "x.hdr", size=4)
    with pytest.raises(InvalidOptionError, match="unknown metal"):
        lookdev.piece_meshes("band-court-2mm-18k-yellow", metal="unobtainium")
    with pytest.raises(InvalidOptionError, match="frames"):
        lookdev.turntable("band-court-2mm-18k-yellow", tmp_path / "x.hdr", frames=0)


@pytest.mark.slow
def test_metal_swap_row_shows_the_metals_colours(data_dir):
    hdri = data_dir / "hdri" / "studio_small_03_1k.hdr"
    row = lookdev.studio_row([dict(piece="band-court-4mm-18k-yellow", metal=m)
                              for m in ("rose-gold-18k", "platinum-950")], hdri, size=48, spp=8)
    assert row.shape == (48, 96, 3) and row.dtype == np.uint8
    tiles = [row[:, :48].astype(float), row[:, 48:].astype(float)]
    back = row[0, 0].astype(float)
    chroma = []
    for t in tiles:
        ring = np.abs(t - back).sum(-1) > 30          # the band, against the grey backdrop
        assert ring.sum() > 40
        r, g, b = t[ring].mean(0)
        chroma.append(r - b)
    assert chroma[0] > chroma[1] + 3                   # rose gold is redder than platinum (grey studio: subtle)
