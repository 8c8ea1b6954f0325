"""The asset library's data: the piece catalog, metals and gems (materials), optical formulas (optics), scattering stones (media)."""
