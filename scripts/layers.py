"""Print pytest_gate's package import graph and fail on a cycle or an arrow pointing up.

    python scripts/layers.py            # the graph, the floors, then OK or the offending arrows

Nodes are the packages under ``pytest_gate/`` (``plugin`` is ``plugin.py``). Every ``import`` counts,
including those inside functions and under ``TYPE_CHECKING``: a lazy import is still a dependency.
``pytest_gate/__init__.py`` is the public API (it re-exports from every package) and is not a node;
a package that imports the API back (``from pytest_gate import X``) points up and fails.

The intended order is written once, in ``LAYERS``: a package may import only packages on a lower
layer. ``SIDE`` packages sit beside the stack: they may import below their layer, and nothing in
the stack may import a side package placed above it. A package's *floor* is the length of its longest
import chain (``core`` is floor 1); more than ``MAX_FLOORS`` fails too.

Exit status: 0 when the graph follows the order, 1 otherwise.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "pytest_gate"

#: The intended order, lowest first. Packages on one layer may not import each other.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("core",),
    ("stats",),
    ("contract",),
    ("config",),
    ("sources",),
    ("checks", "gpu"),
    ("output",),
    ("watch",),
    ("run",),
    ("plugin",),
)
#: Beside the stack: ``vram`` is the gate-vram command and ``gateinit`` the gate-init command
#: (nothing imports them); ``contract`` serves ``serving/`` and ``vram/`` and imports only ``core``.
SIDE: frozenset[str] = frozenset({"vram", "gateinit", "contract"})
#: Where a side package sits, for the arrows it may draw (only downwards).
SIDE_LAYER: Mapping[str, int] = {"vram": len(LAYERS), "gateinit": len(LAYERS), "contract": 2}
#: Gate-check suites shipped in the package (``profiles/vllm``): like ``gate_checks/`` they import
#: the public API only, and nothing imports them.
CONSUMERS: frozenset[str] = frozenset({"profiles"})
MAX_FLOORS = 8


@dataclass(frozen=True)
class Arrow:
    """One package importing another, with a module that does it (the first found)."""

    source: str
    target: str
    where: str


def layer_of(package: str) -> int:
    """The layer index of ``package``; unknown packages raise so the table stays complete."""
    if package in SIDE_LAYER:
        return SIDE_LAYER[package]
    for index, names in enumerate(LAYERS):
        if package in names:
            return index
    raise KeyError(package)


def package_of(module: str) -> str | None:
    """``pytest_gate.sources.http`` -> ``sources``; the public API itself -> ``__init__``."""
    parts = module.split(".")
    if parts[0] != PACKAGE:
        return None
    if len(parts) == 1:
        return "__init__"
    return parts[1]


def _imported(tree: ast.AST, module: str, is_package: bool, root: Path) -> Iterable[str]:
    """Absolute names of the pytest_gate modules ``tree`` imports (relative imports resolved)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            if name != PACKAGE:
                yield name
                continue
            # ``from pytest_gate import sources`` names a package; any other name is the public
            # API, except ``__version__``, which is the package's metadata
            for alias in node.names:
                if (root / PACKAGE / alias.name).is_dir() or alias.name == "plugin":
                    yield f"{name}.{alias.name}"
                elif alias.name != "__version__":
                    yield name


def arrows(root: Path = ROOT) -> list[Arrow]:
    """Every package-to-package import under ``root/pytest_gate``, one per pair."""
    found: dict[tuple[str, str], Arrow] = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        relative = path.relative_to(root).with_suffix("")
        is_package = relative.name == "__init__"
        parts = relative.parts[:-1] if is_package else relative.parts
        module = ".".join(parts)
        source = package_of(module)
        if source in (None, "__init__"):
            continue
        source = source.removesuffix(".py")
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for name in _imported(tree, module, is_package, root):
            target = package_of(name)
            if target is None or target == source:
                continue
            key = (source, target)
            found.setdefault(key, Arrow(source, target, str(path.relative_to(root))))
    return sorted(found.values(), key=lambda arrow: (arrow.source, arrow.target))


def bad_arrows(graph: Iterable[Arrow]) -> list[str]:
    """Arrows that import the public API back, point sideways or up, or name an unknown package."""
    problems = []
    for arrow in graph:
        if arrow.source in CONSUMERS or arrow.target in CONSUMERS:
            if arrow.source not in CONSUMERS or arrow.target != "__init__":
                problems.append(
                    f"{arrow.source} -> {arrow.target}: check suites import only the public API "
                    f"and nothing imports them ({arrow.where})"
                )
            continue
        if arrow.target == "__init__":
            problems.append(f"{arrow.source} imports the public API back ({arrow.where})")
            continue
        try:
            source, target = layer_of(arrow.source), layer_of(arrow.target)
        except KeyError as unknown:
            problems.append(f"package {unknown} is not in scripts/layers.py LAYERS ({arrow.where})")
            continue
        if target >= source:
            side = "sideways" if target == source else "up"
            problems.append(f"{arrow.source} -> {arrow.target} points {side} ({arrow.where})")
    return problems


def cycles(graph: Iterable[Arrow]) -> list[list[str]]:
    """Each import cycle between packages, as the packages along it."""
    edges: dict[str, set[str]] = {}
    for arrow in graph:
        edges.setdefault(arrow.source, set()).add(arrow.target)
    found: list[list[str]] = []
    seen: set[frozenset[str]] = set()

    def walk(node: str, path: list[str]) -> None:
        for nxt in sorted(edges.get(node, ())):
            if nxt in path:
                loop = path[path.index(nxt) :]
                if frozenset(loop) not in seen:
                    seen.add(frozenset(loop))
                    found.append([*loop, nxt])
            elif len(path) < len(edges) + 1:
                walk(nxt, [*path, nxt])

    for start in sorted(edges):
        walk(start, [start])
    return found


def floors(graph: Iterable[Arrow]) -> dict[str, int]:
    """The floor of every package: 1 + the highest floor it imports (cycles count once)."""
    edges: dict[str, set[str]] = {}
    nodes: set[str] = set()
    for arrow in graph:
        if arrow.target == "__init__" or arrow.source in CONSUMERS:
            continue
        edges.setdefault(arrow.source, set()).add(arrow.target)
        nodes |= {arrow.source, arrow.target}
    memo: dict[str, int] = {}

    def floor(node: str, visiting: frozenset[str]) -> int:
        if node in memo:
            return memo[node]
        below = [floor(n, visiting | {node}) for n in edges.get(node, ()) if n not in visiting]
        memo[node] = 1 + max(below, default=0)
        return memo[node]

    return {node: floor(node, frozenset()) for node in sorted(nodes)}


def render(graph: list[Arrow], floor_of: Mapping[str, int]) -> str:
    """The graph, highest floor first: ``run (floor 8) -> checks, config, ...``."""
    targets: dict[str, list[str]] = {}
    for arrow in graph:
        targets.setdefault(arrow.source, []).append(arrow.target)
    lines = []
    for node in sorted(floor_of, key=lambda n: (-floor_of[n], n)):
        below = ", ".join(sorted(targets.get(node, []))) or "-"
        lines.append(f"{node:<9} floor {floor_of[node]}  -> {below}")
    for node in sorted(CONSUMERS & set(targets)):
        shown = ", ".join("the public API" if t == "__init__" else t for t in targets[node])
        lines.append(f"{node:<9} (check suites) -> {shown}")
    return "\n".join(lines)


def problems_of(graph: list[Arrow]) -> list[str]:
    """Every problem of ``graph``: arrows up or sideways, cycles, too many floors."""
    problems = bad_arrows(graph)
    problems += ["cycle: " + " -> ".join(loop) for loop in cycles(graph)]
    highest = max(floors(graph).values(), default=0)
    if highest > MAX_FLOORS:
        problems.append(f"{highest} floors; at most {MAX_FLOORS}")
    return problems


def check(root: Path = ROOT) -> tuple[str, list[str]]:
    """The rendered graph and every problem found (empty when the layering holds)."""
    graph = arrows(root)
    return render(graph, floors(graph)), problems_of(graph)


def main() -> int:
    """Print the graph and the verdict; 1 when the layering is broken."""
    text, problems = check()
    print(text)
    for problem in problems:
        print(f"LAYERS: {problem}", file=sys.stderr)
    if problems:
        print(
            "The packages must import downwards only (order in scripts/layers.py LAYERS): move the "
            "shared piece down to the lower package, or pass it in as an argument.",
            file=sys.stderr,
        )
        return 1
    print("OK: no cycle, no arrow up")
    return 0


if __name__ == "__main__":
    sys.exit(main())
