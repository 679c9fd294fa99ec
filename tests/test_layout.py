"""The shape of the code, held by a test so that it stays true.

Dependencies run one way: cli → present, exchange → reports → visits → issues → groups,
households, staff, policy → vocab, parsing → store → errors (STYLE.md). Nothing imports upward, no
modules import each other in a loop, Typer, Click and Rich live only in cli/ and present/,
and no domain function takes the language. The store knows no domain: it imports nothing but
`redprop.errors` (what it needs to know of the domain, the domain registers: store/hooks.py).
SQL that writes lives with the tables' owners (the domain modules) and the store, nowhere else.

An import is any of: `import x`, `from x import y` (y when it is a module), the relative forms
(`from ..cli import common`), at the top or inside a function, and a string naming a module of
redprop (`"redprop.cli.households"`: what importlib loads, as cli/core.py's LAZY_COMMANDS do).
"""

import ast
import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "redprop"

# Lower number = lower layer; a module may import its own layer and those below.
LAYERS = {
    "errors": 0,
    "store": 1,
    "vocab": 2, "parsing": 2, "spreadsheet": 2,
    "fields": 2,
    "households": 3, "staff": 3, "policy": 3, "codes": 3, "groups": 3,
    "issues": 4,
    "visits": 5,
    "reports": 6,
    "exchange": 7, "present": 7,
    "cli": 8,
    "sample_data": 9, "__main__": 9,
}
APART = {("exchange", "present"), ("present", "exchange")}  # siblings that must not lean on each other
USER_INTERFACE = ("typer", "click", "rich")
STORE_MAY_IMPORT = {"errors", "store"}  # the store knows no domain
# Who may write SQL that changes the database: the owners of the tables, and the store (its
# migrations name every table). Everyone else calls their writers.
WRITERS = {"store", "households", "staff", "groups", "visits", "issues", "policy"}
WRITE_SQL = re.compile(
    r"\b(INSERT\s+(OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE\s+[\w.]+\s+SET|DELETE\s+FROM|"
    r"CREATE\s+(TEMP|TEMPORARY|UNIQUE\s+)?\s*(TABLE|INDEX|TRIGGER|VIEW)|DROP\s+(TABLE|INDEX|TRIGGER|VIEW)|ALTER\s+TABLE)\b"
)


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def _package_of(module: str, path: Path) -> str:
    """The package a module's relative imports start from (a package's face is its own)."""
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def imports_in(source: str, module: str, known: dict, is_package: bool = False, by_name: bool = True) -> set[str]:
    """Every module `source` (the text of `module`) imports: see the module's docstring (without
    `by_name`, not those it names for importlib). `from package import module` is an import of
    that module (the package's face only hands it on)."""
    package = module if is_package else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            submodules = {f"{base}.{alias.name}" for alias in node.names} & set(known)
            found.update(submodules or {base})
        elif by_name and isinstance(node, ast.Constant) and isinstance(node.value, str) and "." in node.value \
                and node.value in known:
            found.add(node.value)  # a module named for importlib to load (not the bare "redprop" of a path)
    return found


def imports_of(path: Path, known: dict | None = None, by_name: bool = True) -> set[str]:
    known = modules() if known is None else known
    name = module_name(path)
    return imports_in(path.read_text(encoding="utf-8"), name, known, path.name == "__init__.py", by_name)


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def internal_graph(by_name: bool = True) -> dict[str, set[str]]:
    known = modules()
    return {name: {i for i in imports_of(path, known, by_name) if i in known and i != name} for name, path in known.items()}


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
    assert not upward, "imports against the layering (cli → present/exchange → reports → visits → issues → groups, households → …):\n" + "\n".join(upward)


def test_no_import_cycles():
    # A module named for importlib is loaded when it is asked for, once the one naming it is
    # whole: a registry and the modules it lists (cli/core.py's LAZY_COMMANDS, the store's
    # registrants) are no loop, so those names are left out here (the layering above holds them).
    graph = internal_graph(by_name=False)
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


def test_an_import_is_seen_in_every_form_it_takes():
    """The rules below see what Python and importlib would load (a rule must be able to fail)."""
    known = modules()
    store = "redprop.store.hooks"
    assert imports_in("from ..cli import common", store, known) == {"redprop.cli.common"}
    assert imports_in("from .. import households", store, known) == {"redprop.households"}
    assert imports_in("from . import log", store, known) == {"redprop.store.log"}
    assert imports_in("from .log import undo", store, known) == {"redprop.store.log"}
    assert imports_in("def f():\n    from redprop.cli import common", store, known) == {"redprop.cli.common"}
    assert imports_in("LAZY = {'x': ('redprop.cli.households', 'app')}", store, known) == {"redprop.cli.households"}
    assert imports_in("from . import hooks", "redprop.store", known, is_package=True) == {"redprop.store.hooks"}
    assert {"redprop.cli.households", "redprop.cli.log"} <= imports_of(PACKAGE / "cli" / "core.py"), "LAZY_COMMANDS"


def test_the_store_knows_no_domain():
    """The store imports nothing of redprop but the errors and itself: what it must know of the
    domain (which rows belong to a household, what to do after an undo) is registered with it."""
    leaks = []
    for module, targets in internal_graph().items():
        if layer_of(module) == "store":
            leaks += [f"{module} imports {t}" for t in sorted(targets) if layer_of(t) not in STORE_MAY_IMPORT]
    assert not leaks, "\n".join(leaks)


def _write_sql(path: Path) -> list[str]:
    """The strings of a file holding SQL that writes (INSERT, UPDATE, DELETE, REPLACE, CREATE
    and DROP, temporary tables included); an f-string is read with a name in each of its fields."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "x" for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        if match := WRITE_SQL.search(text):
            found.add(f"{path.relative_to(REPO)}:{node.lineno}: {match.group(0)}")
    return sorted(found)


def test_only_the_owners_of_the_tables_and_the_store_write_sql():
    """exchange/, reports/, present/ and cli/ write through the domain's writers (households.
    insert_households, issues.imported.ImportedIssues…), never with SQL of their own."""
    assert _write_sql(PACKAGE / "store" / "migrations.py"), "the rule sees SQL that writes"
    found = [hit for module, path in modules().items() if layer_of(module) not in WRITERS for hit in _write_sql(path)]
    assert not found, "SQL that writes outside the domain modules and the store:\n" + "\n".join(found)


ENGINE_MODULES = {"redprop.store.sqlite", "redprop.store.backups"}  # SQLite's: the engine and its copies
SQLITE_ONLY = re.compile(r"\b(PRAGMA|INDEXED BY|sqlite_master|sqlite_\w+\(|WITHOUT ROWID|BEGIN IMMEDIATE)\b")


def test_only_the_engine_module_knows_sqlite():
    """sqlite3 and what is SQLite's alone (PRAGMAs, planner hints, its catalogue, its locks) stay in
    the engine's module (the migrations, SQLite's schema history, aside): the domain asks the store."""
    found = []
    for module, path in modules().items():
        if module in ENGINE_MODULES:
            continue
        found += [f"{module} imports sqlite3" for i in imports_of(path) if i == "sqlite3"]
        if module == "redprop.store.migrations":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and (match := SQLITE_ONLY.search(node.value)):
                found.append(f"{module}:{node.lineno}: {match.group(0)}")
    assert not found, "SQLite's own, outside its engine module:\n" + "\n".join(found)


POSTGRES_MODULES = {"redprop.store.postgres", "redprop.store.postgres_ddl"}  # PostgreSQL's: the engine and its DDL
POSTGRES_ONLY = re.compile(r"((?<=[\w)'])::\w|\bpg_\w+|\bplpgsql\b|\bstring_agg\b|\bjson_populate_record\b|\bjson_build_\w+|"
                           r"\bILIKE\b|\bSERIAL\b|\bRETURNS trigger\b|\bCOLLATE \"C\")")


def test_only_the_engine_module_knows_postgresql():
    """psycopg and what is PostgreSQL's alone (casts with ::, its catalogue, PL/pgSQL, its own
    functions) stay in its engine's modules: the SQL the engines share is written once."""
    found = []
    for module, path in modules().items():
        if module in POSTGRES_MODULES:
            continue
        found += [f"{module} imports psycopg" for i in imports_of(path) if i.split(".")[0] == "psycopg"]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and (match := POSTGRES_ONLY.search(node.value)):
                found.append(f"{module}:{node.lineno}: {match.group(0)}")
    assert not found, "PostgreSQL's own, outside its engine modules:\n" + "\n".join(found)
