"""The package's shape: no import cycles, no private names across modules, body sites as a seam.

These read the source (AST), so they are fast and need no renderer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "jewelrender"


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PKG.rglob("*.py")):
        parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    """The absolute module an ``ImportFrom`` reads from."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str, path: Path) -> list[tuple[str, list[str], int]]:
    """(absolute module, imported names, line) for every import in the file, inside functions too."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            out.append((_resolve(module, path, node), [a.name for a in node.names], node.lineno))
    return out


def _edges() -> dict[str, set[str]]:
    """Module -> package modules it imports (``from pkg import mod`` counts as importing ``pkg.mod``)."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module, path in MODULES.items():
        for target, names, _ in _imports(module, path):
            if not target.startswith("jewelrender"):
                continue
            subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
            # ``from pkg import sub`` reads the submodule; it is an edge to the package's
            # __init__ only when some name is defined there (or it is a plain ``import pkg``)
            if target in MODULES and (not names or len(subs) < len(names)):
                graph[module].add(target)
            graph[module].update(subs)
        graph[module].discard(module)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_import_walk_sees_imports_inside_functions_and_relative_ones():
    graph = _edges()
    # pipeline imports its stages inside Renderer methods, relative to the package
    assert "jewelrender.scene" in graph["jewelrender.pipeline"]
    assert "jewelrender.sites" in graph["jewelrender.pipeline"] or "jewelrender.sites.ring" in graph["jewelrender.pipeline"]
    # a cycle made of function-level imports is found
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles_in_the_package():
    assert _cycles(_edges()) == []


def test_no_module_imports_a_private_name_of_another_module():
    bad = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = {}  # local name -> package module it stands for
        for target, names, line in _imports(module, path):
            if not target.startswith("jewelrender"):
                continue
            for n in names:
                if n.startswith("_") and not n.startswith("__"):
                    bad.append(f"{module}:{line} imports {n} from {target}")
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                for a in node.names:
                    full = f"{_resolve(module, path, node)}.{a.name}"
                    if full in MODULES:
                        aliases[a.asname or a.name] = full
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name in MODULES and a.asname:
                        aliases[a.asname] = a.name
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                bad.append(f"{module}:{node.lineno} uses {aliases[node.value.id]}.{node.attr}")
    assert bad == []


def test_sites_registry_holds_ring():
    from jewelrender.sites import SITES, get_site

    assert "ring" in SITES
    site = SITES["ring"]
    assert site.name == "ring"
    assert "hand" in site.detectors
    assert get_site("ring") is site


def test_an_unknown_site_lists_the_valid_ones():
    from jewelrender.errors import InvalidOptionError
    from jewelrender.sites import get_site

    with pytest.raises(InvalidOptionError) as exc:
        get_site("knee")
    assert "ring" in exc.value.message and exc.value.code == "INVALID_OPTION"


def test_every_catalog_piece_names_a_known_site_and_kind():
    from jewelrender import list_pieces
    from jewelrender.pieces import PIECE_KINDS
    from jewelrender.sites import SITES

    for piece in list_pieces():
        assert piece.site in SITES, piece.id
        # (was `piece.site in PIECE_KINDS`, true for rings only because "ring" is also a kind)
        assert piece.kind in PIECE_KINDS, piece.id
        assert PIECE_KINDS[piece.kind] in SITES[piece.site].piece_families, piece.id
        assert piece.to_report()["site"] == piece.site


def test_tomllib_has_its_python_3_10_fallback():
    """pyproject accepts Python 3.10, which has no tomllib: every import of it falls back to tomli."""
    for module, path in MODULES.items():
        text = path.read_text(encoding="utf-8")
        if "import tomllib" in text:
            assert "import tomli as tomllib" in text, module


def test_moved_modules_import_under_their_old_names_but_the_package_uses_the_new_ones():
    import importlib
    import sys
    import warnings

    from jewelrender import MOVED_MODULES

    for old, new in MOVED_MODULES.items():
        # an earlier test may have imported the old path already (the alias then sits in sys.modules and
        # importing it again warns no more): forget the alias, not the module
        sys.modules.pop(f"jewelrender.{old}", None)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            mod = importlib.import_module(f"jewelrender.{old}")
        assert mod is importlib.import_module(f"jewelrender.{new}") and mod.__spec__.name == f"jewelrender.{new}"
        assert any(f"jewelrender.{new}" in str(w.message) for w in caught), old
    stale = [f"{m}:{line} {t}" for m, path in MODULES.items() for t, names, line in _imports(m, path)
             if t.split(".")[:2] in [["jewelrender", o] for o in MOVED_MODULES]
             or (t == "jewelrender" and set(names) & set(MOVED_MODULES))]
    assert stale == []
