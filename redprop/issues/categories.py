"""The community's issue categories (乱停车, 犬只, 报修…): a catalogue it edits with `issue category`."""

import re

from redprop.errors import N_, InvalidValue
from redprop.store import Store
from redprop.store.sql import assignments
from redprop.vocab import CATEGORY_HINTS, Catalogue, Code


def load_categories(store: Store) -> Catalogue:
    """The community's category catalogue (editable with `issue category`)."""
    rows = store.conn.execute("SELECT code, zh, en FROM issue_categories ORDER BY position, code").fetchall()
    return Catalogue(N_("category"), [Code(r["code"], r["zh"], r["en"]) for r in rows], CATEGORY_HINTS)


def list_categories(store: Store) -> list[dict]:
    rows = store.conn.execute(
        "SELECT c.code, c.zh, c.en, c.upstream, (SELECT count(*) FROM issues i WHERE i.category = c.code) AS issues"
        " FROM issue_categories c ORDER BY c.position, c.code"
    ).fetchall()
    return [dict(r) for r in rows]


def save_category(store: Store, code: str, zh: str | None, en: str | None, new_code: str | None = None,
                  adding: bool = False, upstream: str | None = None) -> dict:
    """Add a category, or change an existing one's labels (or slug: its issues follow), or the
    upstream class it maps to (`街面秩序/乱停车`, 'none' to clear: see redprop.codes)."""
    from redprop.codes import clean_upstream


    def slug(text: str) -> str:
        text = text.strip().lower().replace("-", "_").replace(" ", "_")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", text):
            raise InvalidValue("{text!r} is not a category code (lower-case letters, digits and _, like bike_shed)", text=text)
        return text

    with store.write() as conn:
        if adding:
            code = slug(code)
            if not zh or not en:
                raise InvalidValue("a new category needs both labels: --zh 车棚 --en 'Bicycle shed'")
            if conn.execute("SELECT 1 FROM issue_categories WHERE code = $1", (code,)).fetchone():
                raise InvalidValue("category {code} already exists; use `issue category edit`", code=code)
            position = conn.execute("SELECT coalesce(max(position), 0) + 1 FROM issue_categories").fetchone()[0]
            values = (code, zh.strip(), en.strip(), position, clean_upstream(upstream) if upstream else None)
            sql, params = "INSERT INTO issue_categories (code, zh, en, position, upstream) VALUES ($1, $2, $3, $4, $5)", values
        else:
            code = load_categories(store).resolve(code)
            changes = {k: v.strip() for k, v in (("zh", zh), ("en", en)) if v}
            if new_code:
                changes["code"] = slug(new_code)
            if upstream is not None:
                changes["upstream"] = clean_upstream(upstream)
            if not changes:
                raise InvalidValue("nothing to change: give --zh, --en, --code or --upstream")
            sql = f"UPDATE issue_categories SET {assignments(changes)} WHERE code = ${len(changes) + 1}"
            params = (*changes.values(), code)
            code = changes.get("code", code)
        try:
            conn.execute(sql, params)
        except store.engine.IntegrityError:
            raise InvalidValue("another category already has that code or label") from None
    return next(c for c in list_categories(store) if c["code"] == code)
