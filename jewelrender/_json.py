"""Plain-JSON conversion of reports (NumPy scalars and arrays to Python numbers and lists)."""

from __future__ import annotations

import numpy as np


def jsonable(x, *, ndigits: int | None = None):
    """``x`` with every NumPy value turned into plain Python; floats rounded to ``ndigits`` when given."""
    if isinstance(x, dict):
        return {str(k): jsonable(v, ndigits=ndigits) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v, ndigits=ndigits) for v in x]
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist(), ndigits=ndigits)
    if isinstance(x, (float, np.floating)):
        return float(x) if ndigits is None else round(float(x), ndigits)
    if isinstance(x, np.integer):
        return int(x)
    return x
