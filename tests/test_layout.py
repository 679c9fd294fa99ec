"""The shape of the code, held by a test so that it stays true.

Dependencies run one way: cli → present, exchange → reports → care, issues → households,
staff, policy → vocab, parsing → store → errors (STYLE.md). Nothing imports upward, no
modules import each other in a loop, Typer, Click and Rich live only in cli/ and present/,
and no domain function takes the language.
"""

import ast
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "redprop"

# Lower number = lower layer; a module may import its own layer and those below.
LAYERS = {
    "errors": 0,
    "store": 1,
    "vocab": 2, "parsing": 2, "spreadsheet": 2,
    "households": 3, "staff": 3, "policy": 3, "codes": 3,
    "care": 4, "issues": 4,
    "reports": 5,
    "exchange": 6, "present": 6,
    "cli": 7,
    "sample_data": 8, "__main__": 8,
}
APART = {("exchange", "present"), ("present", "exchange")}  # siblings that must not lean on each other
USER_INTERFACE = ("typer", "click", "rich")


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(path: Path, known: dict | None = None) -> set[str]:
    """Every module this file imports, at the top or inside a function. `from package import
    module` is an import of that module (the package's face only hands it on)."""
    known = modules() if known is None else known
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            submodules = {f"{node.module}.{alias.name}" for alias in node.names} & set(known)
            found.update(submodules or {node.module})
    return found


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def internal_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: {i for i in imports_of(path, known) if i in known and i != name} for name, path in known.items()}


def test_dependencies_run_one_way():
    upward = []
    for module, targets in internal_graph().items():
        here = layer_of(module)
        if here == "__init__":
            continue
        for target in targets:
            there = layer_of(target)
            if there == "__init__":
                continue
            if LAYERS[there] > LAYERS[here] or (here, there) in APART:
                upward.append(f"{module} imports {target}")
    assert not upward, "imports against the layering (cli → present/exchange → reports → care/issues → …):\n" + "\n".join(upward)


def test_no_import_cycles():
    graph = internal_graph()
    # a package's __init__ is its face: importing redprop.cli.core imports redprop.cli first,
    # which is no loop unless the face imports back, so faces are kept in the graph
    state: dict[str, int] = {}
    cycles = []

    def visit(node, trail):
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(" → ".join(trail[trail.index(nxt):] + [nxt]) if nxt in trail else f"{node} → {nxt}")
            elif state.get(nxt) is None:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for node in sorted(graph):
        if state.get(node) is None:
            visit(node, [node])
    assert not cycles, "modules importing each other in a loop:\n" + "\n".join(cycles)


def test_typer_click_and_rich_stay_in_the_cli_and_the_presentation_layer():
    leaks = []
    for module, path in modules().items():
        if layer_of(module) in ("cli", "present"):
            continue
        for imported in imports_of(path):
            if imported.split(".")[0] in USER_INTERFACE:
                leaks.append(f"{module} imports {imported}")
    assert not leaks, "\n".join(leaks)


def test_no_domain_function_takes_the_language():
    takers = []
    for module, path in modules().items():
        if layer_of(module) in ("cli", "present"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names = [a.arg for a in (*node.args.args, *node.args.kwonlyargs, *node.args.posonlyargs)]
                if {"lang", "language"} & set(names):
                    takers.append(f"{module}.{node.name}")
    assert not takers, "domain functions that take a language (the presentation layer says things): " + ", ".join(takers)


def test_every_package_is_listed_in_pyproject():
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    on_disk = {module_name(p) for p in PACKAGE.rglob("__init__.py")} | {"redprop.sample_data"}
    assert listed == on_disk, f"pyproject.toml lists {sorted(listed - on_disk)} extra, misses {sorted(on_disk - listed)}"
