"""Guard rails for the shape of the engine (see ``engine/README.md``).

The imports are read from the source with ``ast`` (nothing is imported), so these tests hold
whatever a module does at run time:

* SpiffWorkflow is imported only inside ``engine/workflow/`` (the bridge);
* the engine never imports the front door (``api``, FastAPI, Starlette, uvicorn) or Jinja2;
* every engine package imports only packages below it in ``PACKAGE_ORDER``, so no two engine
  packages import each other.

``python -m tests.test_layering`` prints the figures (imports running back up the order, package
pairs importing each other, largest module).
"""
from __future__ import annotations

import ast
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "engine"

# Floors, lowest first; within a floor, a package may import those listed before it. A module
# directly under engine/ counts as a package of its own (engine/clock.py is "clock").
FLOORS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ground", ("errors", "clock", "settings", "db", "calendar")),
    ("bridge", ("workflow",)),
    ("data", ("audit", "network", "people", "notify", "forms", "children")),
    ("protocols", ("protocols",)),
    ("cases", ("cases",)),
    ("time", ("deadlines",)),
    ("privacy", ("privacy",)),
    ("drivers", ("backlog", "heartbeats", "models", "migrations", "backup", "wiring", "rehearsal", "demo", "worker")),
)
PACKAGE_ORDER: tuple[str, ...] = tuple(name for _, names in FLOORS for name in names)

# Only the bridge talks to SpiffWorkflow; the product code around it never does. (Tests may:
# they check the bridge against the library itself.)
BRIDGE = "workflow"
PRODUCT_DIRS = ("engine", "api", "bench")
FRONT_DOOR = ("api", "fastapi", "starlette", "uvicorn", "jinja2")
# Notifications are rendered from Jinja2 text templates (engine/notify/templates/*.j2): plain
# mail bodies, no web page. This one module may use Jinja2; the rest of the engine may not.
JINJA2_ALLOWED = frozenset({"engine/notify/rendering.py"})


@dataclass(frozen=True)
class Import:
    path: str  # relative to the project root
    line: int
    target: str  # the dotted module imported

    def __str__(self) -> str:
        return f"{self.path}:{self.line} imports {self.target}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[Import]:
    """Every import in the file, wherever it stands (module level, function, TYPE_CHECKING)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    relative_path = path.relative_to(ROOT).as_posix()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(Import(relative_path, node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # "from engine import audit" imports the module engine.audit.
            found.extend(Import(relative_path, node.lineno, f"{base}.{alias.name}") for alias in node.names)
    return found


def python_files(*folders: str) -> list[Path]:
    files = []
    for folder in folders:
        files.extend(p for p in sorted((ROOT / folder).rglob("*.py")) if ".venv" not in p.parts)
    return files


def engine_package(dotted: str) -> str | None:
    """The engine package a dotted name belongs to, or None outside the engine."""
    parts = dotted.split(".")
    if parts[0] != "engine" or len(parts) < 2:
        return None
    return parts[1]


def package_of(path: Path) -> str:
    return path.relative_to(ENGINE).with_suffix("").parts[0]


def engine_edges() -> list[tuple[str, str, Import]]:
    """(importing package, imported package, the import) for imports between engine packages."""
    edges = []
    packages = engine_packages()
    for path in python_files("engine"):
        source = package_of(path)
        for imported in imports_of(path):
            target = engine_package(imported.target)
            if target is not None and target != source and target in packages:
                edges.append((source, target, imported))
    return edges


def engine_packages() -> set[str]:
    return {package_of(path) for path in python_files("engine") if package_of(path) != "__init__"}


def upward_imports(order: tuple[str, ...] = PACKAGE_ORDER) -> list[tuple[str, str, Import]]:
    """One entry per import statement that reaches a package above its own."""
    rank = {name: index for index, name in enumerate(order)}
    seen: dict[tuple[str, int], tuple[str, str, Import]] = {}
    for source, target, imported in engine_edges():
        if rank.get(target, len(rank)) > rank.get(source, len(rank)):
            seen.setdefault((imported.path, imported.line), (source, target, imported))
    return list(seen.values())


def package_cycles() -> list[tuple[str, str]]:
    """Pairs of engine packages that import each other (directly)."""
    imports: dict[str, set[str]] = defaultdict(set)
    for source, target, _ in engine_edges():
        imports[source].add(target)
    return sorted({tuple(sorted((a, b))) for a in imports for b in imports[a] if a in imports.get(b, set())})


# -- the guard rails ------------------------------------------------------------------------------


def test_only_the_bridge_imports_spiffworkflow():
    offenders = [
        str(imported)
        for path in python_files(*PRODUCT_DIRS)
        if not path.is_relative_to(ENGINE / BRIDGE)
        for imported in imports_of(path)
        if imported.target.split(".")[0] == "SpiffWorkflow"
    ]
    assert not offenders, (
        "only engine/workflow/ (the bridge) may import SpiffWorkflow; give the bridge a function "
        "for what these need:\n  " + "\n  ".join(offenders)
    )


def test_the_engine_never_imports_the_front_door():
    offenders = [
        str(imported)
        for path in python_files("engine")
        for imported in imports_of(path)
        if imported.target.split(".")[0] in FRONT_DOOR
        and not (imported.target.split(".")[0] == "jinja2" and imported.path in JINJA2_ALLOWED)
    ]
    assert not offenders, "the engine is a library: it never imports api, FastAPI or Jinja2:\n  " + "\n  ".join(offenders)


def test_every_engine_package_has_its_place_in_the_order():
    unplaced = sorted(engine_packages() - set(PACKAGE_ORDER))
    assert not unplaced, f"put these engine packages on a floor of PACKAGE_ORDER (and engine/README.md): {unplaced}"


def test_no_two_engine_packages_import_each_other():
    cycles = package_cycles()
    assert not cycles, "engine packages that import each other: " + ", ".join(f"{a} <-> {b}" for a, b in cycles)


def test_engine_packages_import_only_packages_below_them():
    upward = upward_imports()
    assert not upward, "imports running back up the package order (engine/README.md):\n  " + "\n  ".join(
        f"{imported}  ({source} may not import {target})" for source, target, imported in upward
    )


def test_the_readme_draws_the_order_the_test_holds():
    readme = (ENGINE / "README.md").read_text(encoding="utf-8")
    for floor, names in FLOORS:
        line = next((line for line in readme.splitlines() if line.startswith(f"{floor} ")), None)
        assert line is not None, f"engine/README.md has no line for the {floor!r} floor"
        drawn = line[len(floor):]
        positions = [drawn.find(name) for name in names]
        assert all(position >= 0 for position in positions), f"engine/README.md's {floor!r} line lacks one of {names}"
        assert positions == sorted(positions), f"engine/README.md lists the {floor!r} floor in another order than {names}"


def test_tests_mirror_the_package_tree():
    """Every test folder under tests/engine and tests/api names a package that exists."""
    stray = [
        folder.relative_to(ROOT).as_posix()
        for top in ("engine", "api")
        for folder in sorted((ROOT / "tests" / top).rglob("*"))
        if folder.is_dir() and folder.name != "__pycache__"
        and not (ROOT / top / folder.relative_to(ROOT / "tests" / top)).is_dir()
    ]
    assert not stray, f"test folders that mirror no package (move them with the code): {stray}"


# -- figures --------------------------------------------------------------------------------------


def largest_module() -> tuple[int, str]:
    return max(
        (len(path.read_text(encoding="utf-8").splitlines()), path.relative_to(ROOT).as_posix())
        for path in python_files("engine", "api")
        if "migrations/versions" not in path.as_posix()
    )


def main() -> int:
    upward = upward_imports()
    print(f"imports running back up the order: {len(upward)}")
    for source, target, imported in upward:
        print(f"  {imported}  ({source} -> {target})")
    cycles = package_cycles()
    print(f"engine package pairs importing each other: {len(cycles)}: " + ", ".join(f"{a}<->{b}" for a, b in cycles))
    lines, path = largest_module()
    print(f"largest module: {path} ({lines} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
