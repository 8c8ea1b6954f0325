"""Centre stones of catalog entries: a cut by name and size, or the user's own mesh file."""

from __future__ import annotations

from ..geometry import cuts, meshio
from ..geometry.assets import DIAMOND_DENSITY_G_CM3
from ..library import materials, media

__all__ = ["stone_part", "gem_density"]


def gem_density(gem_name: str) -> float:
    """Density (g/cm^3) of a gem, variety or scattering stone, for sizing by carat."""
    if gem_name in media.list_medium_stones():
        d = media.medium_stone_data(gem_name).density_g_cm3
    else:
        d = materials.gem_optics(gem_name)[0].density_g_cm3
    return float(d) if d else DIAMOND_DENSITY_G_CM3


def stone_part(stone: dict):
    """The centre stone of a catalog entry as a MeshPart in the stone frame (mm)."""
    if "mesh" in stone:
        kw = {k: stone[k] for k in ("size_mm", "units", "up_axis") if k in stone}
        return meshio.load_mesh(stone["mesh"], role="stone", name="stone", frame="stone", **kw)
    size = stone.get("size_mm")
    if isinstance(size, list):
        size = tuple(size) if len(size) == 2 else size[0]
    return cuts.make_stone(stone["cut"], carat=stone.get("carat"), size_mm=size,
                           density_g_cm3=gem_density(stone["gem"]), **stone.get("proportions", {}))
