"""The plan of the house holds: imports point one way, routers stay apart, the map names every module.

docs/ARCHITECTURE.md states the rules; these tests read the source with ``ast`` (nothing is
imported, so they take a fraction of a second) and fail on the first new breach.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "ARCHITECTURE.md"
PACKAGES = ("routing", "dispatch", "api")

#: Routers that import another router, as (importer, imported): none since issue 19 moved what
#: they shared to api/schemas.py and api/geo.py. Never add one.
KNOWN_ROUTER_IMPORTS: set[tuple[str, str]] = set()


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _sources(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, anywhere in it (in functions and TYPE_CHECKING blocks too).

    ``from a.b import c`` counts as ``a.b`` and as ``a.b.c`` (``c`` may be a submodule);
    relative imports are resolved against the file's package; ``importlib.import_module("x")``
    and ``__import__("x")`` with a literal name count as well.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                found.add(node.args[0].value)
    return {name for name in found if name}


def _top(name: str) -> str:
    return name.partition(".")[0]


def test_the_sources_are_found() -> None:
    # Guards the guards: a moved root would make every test below pass on nothing.
    for package in PACKAGES:
        assert len(_sources(package)) > 5, package


def test_routing_imports_neither_dispatch_nor_api() -> None:
    breaches = [
        f"{_rel(path)} imports {name}"
        for path in _sources("routing")
        for name in sorted(_imports(path))
        if _top(name) in ("dispatch", "api")
    ]
    assert not breaches, "routing/ is the pure core (docs/ARCHITECTURE.md):\n" + "\n".join(breaches)


def test_dispatch_never_imports_api() -> None:
    breaches = [
        f"{_rel(path)} imports {name}"
        for path in _sources("dispatch")
        for name in sorted(_imports(path))
        if _top(name) == "api"
    ]
    assert not breaches, "dispatch/ is the domain, api/ its edge (docs/ARCHITECTURE.md):\n" + "\n".join(breaches)


def _is_router(path: Path) -> bool:
    """A module that defines ``router = APIRouter(...)`` at its top level."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if not isinstance(value, ast.Call) or not any(isinstance(t, ast.Name) and t.id == "router" for t in targets):
            continue
        func = value.func
        if (func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)) == "APIRouter":
            return True
    return False


def test_no_router_imports_another_beyond_the_known_exceptions() -> None:
    routers = {_module_name(path): _rel(path) for path in _sources("api") if _is_router(path)}
    assert {"api.clients", "api.console", "api.couriers"} <= routers.keys(), routers  # the detection works
    found = {
        (routers[_module_name(path)], routers[name])
        for path in _sources("api")
        if _module_name(path) in routers
        for name in _imports(path)
        if name in routers and name != _module_name(path)
    }
    new = found - KNOWN_ROUTER_IMPORTS
    assert not new, (
        "a router imports another router; move what they share to a non-router module or to dispatch/: "
        + ", ".join(f"{a} -> {b}" for a, b in sorted(new))
    )
    gone = KNOWN_ROUTER_IMPORTS - found
    assert not gone, "no longer an exception, remove it from KNOWN_ROUTER_IMPORTS: " + ", ".join(
        f"{a} -> {b}" for a, b in sorted(gone)
    )


def _documented_modules() -> list[Path]:
    """The modules docs/ARCHITECTURE.md must name: routing/, dispatch/, dispatch/store/, api/, api/cli/."""
    folders = [ROOT / "routing", ROOT / "dispatch", ROOT / "dispatch" / "store", ROOT / "api", ROOT / "api" / "cli"]
    return sorted(p for folder in folders for p in folder.glob("*.py") if p.name != "__init__.py")


def _named_in_doc() -> set[str]:
    """Every ``something.py`` the document names, as written (a path or a bare file name)."""
    return {m.removeprefix("./") for m in re.findall(r"[\w./-]*\w\.py\b", DOC.read_text(encoding="utf-8"))}


def test_the_architecture_document_names_every_module() -> None:
    named = _named_in_doc()
    modules = _documented_modules()
    basenames = [p.name for p in modules]
    missing = [
        _rel(p) for p in modules if _rel(p) not in named and not (basenames.count(p.name) == 1 and p.name in named)
    ]
    assert not missing, "docs/ARCHITECTURE.md does not name: " + ", ".join(missing)
    text = DOC.read_text(encoding="utf-8")
    for folder in ("routing/", "dispatch/", "dispatch/store/", "api/", "api/cli/", "console_web/"):
        assert f"`{folder}`" in text, folder


def test_every_module_the_architecture_document_names_exists() -> None:
    every_file = {
        p.name
        for top in ROOT.iterdir()
        if top.is_dir() and not top.name.startswith(".") and not top.name.endswith(".egg-info")
        for p in top.rglob("*.py")
    }
    absent = sorted(
        name for name in _named_in_doc() if not ((ROOT / name).is_file() if "/" in name else name in every_file)
    )
    assert not absent, "docs/ARCHITECTURE.md names modules that do not exist: " + ", ".join(absent)


#: The longest a function may be in routing/, dispatch/ and api/ (issue 19): past a screen, a
#: function does several things that each deserve a name. Counted from its first decorator to its
#: last line; the Alembic migrations (dispatch/store/migrations/) are generated scripts, left out.
MAX_FUNCTION_LINES = 60

#: Functions still longer than that, as (file, function): none since issue 19. Never add one; the
#: test below fails as well when one listed is no longer long, to be taken off.
KNOWN_LONG_FUNCTIONS: set[tuple[str, str]] = set()


def _function_lengths() -> Iterator[tuple[str, str, int, int]]:
    """(file, function, line, length in lines) of every function and method of the three packages."""
    for package in PACKAGES:
        for path in _sources(package):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
                    yield _rel(path), node.name, node.lineno, (node.end_lineno or node.lineno) - first + 1


def test_the_length_of_functions_is_measured() -> None:
    # Guards the guard: functions are found in each package, none in the migrations.
    found = [path for path, *_ in _function_lengths()]
    assert {path.partition("/")[0] for path in found} == set(PACKAGES)
    assert len(found) > 500 and not any("/migrations/" in path for path in found)


def test_no_function_is_longer_than_60_lines_beyond_the_known_exceptions() -> None:
    long = {
        (path, name): f"{path}:{line} {name} ({lines} lines)"
        for path, name, line, lines in _function_lengths()
        if lines > MAX_FUNCTION_LINES
    }
    new = sorted(text for key, text in long.items() if key not in KNOWN_LONG_FUNCTIONS)
    assert not new, "split these into named parts: " + ", ".join(new)
    gone = sorted(f"{path} {name}" for path, name in KNOWN_LONG_FUNCTIONS - long.keys())
    assert not gone, "no longer longer than 60 lines, remove from KNOWN_LONG_FUNCTIONS: " + ", ".join(gone)
