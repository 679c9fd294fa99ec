"""The store's extension points: what the layers above tell it about their tables.

The change log and undo work on every table without knowing any by name (datasette's
`hookspecs.py` is the model: the low layer lists its extension points, the layers above
register). A domain module registers, when it is imported:
- `after_undo(table)`: work to do again on the rows of `table` that an undo changed or put back
  from values that lack some of the table's columns now (an entry logged before a migration
  added them: an issue's settled figures, computed from the columns the undo restored).
- `private(table)`: which rows of `table` are private (a sensitive focus group's memberships) and
  how the change log shows them, and the words of a command line about them, when it masks them.

Commands load their modules lazily, so an `undo` may run before any domain module was imported:
the package (`redprop/__init__.py`) names the modules that register (`registrants`), and the
store imports them (`load`) before it needs what they register — only then, not at every start.
"""

from importlib import import_module

_registrants: list[str] = []
_loaded: set[str] = set()
_after_undo: dict[str, list] = {}
_subjects: dict[str, tuple[str, bool]] = {}
_pointers: list[tuple[str, str, str]] = []
_private: dict[str, object] = {}


def registrants(*modules: str) -> None:
    """Name the modules whose import registers their hooks (imported by `load`, once)."""
    _registrants.extend(m for m in modules if m not in _registrants)


def load() -> None:
    """Import every module named by `registrants` not imported yet: their registrations are in place."""
    for module in _registrants:
        if module not in _loaded:
            import_module(module)
            _loaded.add(module)


def after_undo(table: str):
    """Decorator: `work(conn, ids)` runs after an undo changed or put back these rows of `table`
    (their ids, sorted) from values lacking some of the table's columns, inside the undo's
    transaction."""
    def register(work):
        works = _after_undo.setdefault(table, [])
        if work not in works:
            works.append(work)
        return work

    return register


def undo_work() -> dict[str, list]:
    """table → the work registered to follow an undo of its rows."""
    load()
    return {table: list(works) for table, works in _after_undo.items()}


def subject(keyword: str, table: str, *, one: bool = False) -> None:
    """`list_entries(store, keyword=ids)` lists the entries touching these rows of `table` (with
    `one`, `keyword=id`: this row) or a row pointing at one of them (see `points_at`)."""
    _subjects[keyword] = (table, one)


def points_at(table: str, column: str, parent: str) -> None:
    """The rows of `table` name a row of `parent` in `column`."""
    if (table, column, parent) not in _pointers:
        _pointers.append((table, column, parent))


def subjects() -> dict[str, tuple[str, bool]]:
    """keyword → (table, whether it names one row), as registered."""
    load()
    return dict(_subjects)


def pointers_to(parent: str) -> list[tuple[str, str]]:
    """(table, column) of the rows that name a row of `parent`, in the order registered."""
    load()
    return [(table, column) for table, column, to in _pointers if to == parent]


def private(table: str):
    """Decorator: `mask = factory(conn)` tells the change log which rows of `table` are private
    and how to show them where it masks them (`log`, `household history`, `undo`, unless asked to
    show them): `mask.row(values)` → the row's values with what is private masked, or None for a
    row that is not private; `mask.words(command)` → a command line with its private words
    masked; `mask.said(command)` → such a line as a message names it (a Message saying the mask
    in the reader's language). Made once per reading of the log."""
    def register(factory):
        _private[table] = factory
        return factory

    return register


def private_rows() -> dict[str, object]:
    """table → the factory of its mask (see `private`), as registered."""
    load()
    return dict(_private)
