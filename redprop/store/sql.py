"""SQL written once for every engine: `$1, $2 …` placeholders, numbered as a statement is composed.

psycopg's raw cursors take `$n` as they are, and SQLite's engine binds them by name (see
store/sqlite.py): the text a module writes is the text each engine runs. A number may be used
twice (`… WHERE a = $1 OR b = $1`), given once.

    p = Params()
    where = [f"building = {p(building)}", f"grid = {p(grid)}"]
    conn.execute(f"SELECT … WHERE {' AND '.join(where)}", p)

A statement hands over exactly the values its placeholders number (PostgreSQL refuses more):
conditions shared by several statements are `Condition`s, numbered by each statement that
takes them (`Params.where`).
"""

from typing import NamedTuple


def marks(count: int, start: int = 1) -> str:
    """`$start, $start+1, …`, `count` of them: a row's values, or an IN list's."""
    return ", ".join(f"${n}" for n in range(start, start + count))


def assignments(columns, start: int = 1) -> str:
    """`a = $start, b = $start+1, …` for an UPDATE's SET (`columns` from code)."""
    return ", ".join(f"{column} = ${n}" for n, column in enumerate(columns, start=start))


class Condition(NamedTuple):
    """A condition of a WHERE, with its values: `text` has `{}` (or `{0}`, `{1}` for a value used
    twice) where each value's placeholder goes, numbered by the statement that takes it."""

    text: str
    values: tuple = ()


class Params(list):
    """The values of a statement composed piece by piece: calling it with a value adds the value
    and returns its placeholder; `many(values)` the placeholders of several, comma-separated."""

    def __call__(self, value) -> str:
        self.append(value)
        return f"${len(self)}"

    def many(self, values) -> str:
        return ", ".join(self(value) for value in values)

    def where(self, conditions) -> str:
        """The conditions joined by AND, each value added and its placeholder put in its place."""
        return " AND ".join(c.text.format(*map(self, c.values)) for c in conditions)


# How far a listing's "N more not shown" counts: past it, the page says "more than" (counting a
# million issues, visits or log entries to print one number would read every page of an index).
COUNT_BOUND = 10_000


def bounded_count(select: str, bound: int = COUNT_BOUND) -> str:
    """SQL counting the rows `select` (a `SELECT 1 FROM … WHERE …`) yields, stopping after
    `bound` + 1: a result above `bound` means "more than `bound`"."""
    return f"SELECT count(*) FROM ({select} LIMIT {int(bound) + 1}) AS counted"
