"""Copying one community's rows whole from one database into another, whichever their engines.

Every table travels, row for row, as it is: ids, the change log (whose row keys are the
engine's row numbers: kept where both engines number rows), the holidays, the catalogues,
the policy, the settings (the community's name, code, time zone and identity). Written only
through the store's interface — `tables`, `columns`, `loosen_for_copy`, `drop_indexes`,
`insert_many` — so the same code copies a file into a server and a server's community back
into a file.

The source is read as of one moment (the engine's `snapshot`); the target is written in one
transaction, its own rows taken away first and its triggers and non-unique indexes dropped
for the load and made again at its end (`Engine.loosen_for_copy`: the triggers keep derived
columns and the change log, whose values are copied as they are — running them would count
each visit twice —, and a row may point at one written after it). Nothing
is committed here: the caller compares and checks what was written inside the same write, and
an error or an interruption (kill -9) leaves the target as it was.
"""

from redprop.errors import DatabaseError
from redprop.store import Store

CHUNK = 5000  # rows read and written at a time: a district's issues never sit in memory at once


def quoted(name: str) -> str:
    return f'"{name}"'


def table_counts(store: Store, tables) -> dict[str, int]:
    return {t: store.conn.execute(f"SELECT count(*) FROM {quoted(t)}").fetchone()[0] for t in tables}


def data_tables(store: Store) -> list[str]:
    """The tables a new database leaves empty (a new one fills its catalogues, policy, holidays
    and settings): a community holds data when any of these has a row."""
    from redprop.store.migrations import migrate

    engine = store.engine
    with engine.scratch(store.conn) as fresh:
        if fresh is None:
            raise DatabaseError("{target}: this login cannot copy a community into it (only the login that ran init"
                                " can)", target=store.shown)
        migrate(fresh)
        return [t for t in sorted(engine.tables(fresh))
                if fresh.execute(f"SELECT 1 FROM {quoted(t)} LIMIT 1").fetchone() is None]


def holds_data(store: Store) -> bool:
    return any(store.conn.execute(f"SELECT 1 FROM {quoted(t)} LIMIT 1").fetchone() is not None
               for t in data_tables(store))


def copy_rows(source: Store, target: Store) -> dict[str, int]:
    """Inside the target's write (under its `bulk_load`) and the source's `snapshot`: the target's
    rows replaced by every row of the source, table by table; the rows written to each table.
    The two schemas must be the same (the same tables and columns)."""
    numbers, target_numbers = source.engine.tables(source.conn), target.engine.tables(target.conn)
    if set(numbers) != set(target_numbers):
        raise DatabaseError("{source} and {target} have different tables ({tables}); bring both up to date first",
                            source=source.shown, target=target.shown,
                            tables=", ".join(sorted(set(numbers) ^ set(target_numbers))))
    tables = sorted(numbers)
    rebuild = target.engine.loosen_for_copy(target.conn, tables) + target.drop_indexes(tables)
    for table in tables:
        target.conn.execute(f"DELETE FROM {quoted(table)}")
    written = {}
    for table in tables:
        columns = source.engine.columns(source.conn, table)
        if set(columns) != set(target.engine.columns(target.conn, table)):
            raise DatabaseError("{source} and {target} differ in the columns of {table}; bring both up to date first",
                                source=source.shown, target=target.shown, table=table)
        number, target_number = numbers[table], target_numbers[table]
        # a target that numbers rows apart from their columns (SQLite's rowid, a rowid column) gets the source's numbers
        carried = number is not None and target_number is not None and target_number not in columns
        picked = ([number] if carried else []) + [quoted(c) for c in columns]
        into = ([target_number] if carried else []) + [c if c == target_number else quoted(c) for c in columns]
        order = number or ", ".join(quoted(c) for c in source.engine.primary_key(source.conn, table)) or "1"
        cursor = source.conn.cursor()
        cursor.execute(f"SELECT {', '.join(picked)} FROM {quoted(table)} ORDER BY {order}")
        written[table] = 0
        while rows := cursor.fetchmany(CHUNK):
            target.insert_many(table, into, [tuple(row) for row in rows])
            written[table] += len(rows)
    target.build_indexes(rebuild)
    return written
