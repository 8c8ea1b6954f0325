"""The asset library's geometry: mesh primitives and bands (assets), stone cuts, settings (mounts), users' mesh files (meshio)."""
