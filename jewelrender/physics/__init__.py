"""Physics shared by the body sites: chains of rigid links relaxed under gravity (:mod:`.chain`)."""

from .chain import Capsule, ChainState, Ellipsoid, Plane, chain_length, relax_chain, resample_polyline

__all__ = ["Capsule", "ChainState", "Ellipsoid", "Plane", "chain_length", "relax_chain", "resample_polyline"]
