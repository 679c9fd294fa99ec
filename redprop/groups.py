"""Focus groups (重点人群) and who belongs to them, for which dates.

Membership is a span of local days: a member from `since` up to, not including, `until`.
A group with a default length ("newly moved in" for 90 days) gives a new membership its
`until` when it is joined, so expiry is a fact of the dates and needs no cron job. Leaving
sets `until` and keeps the row: "who was newly unemployed in March?" stays answerable.
"""

from datetime import date, datetime, timedelta
from typing import NamedTuple

from redprop.errors import N_, InvalidValue, Message, NotFound
from redprop.fields import Field, Record, Show, optional
from redprop.households import address_order, get_household, get_resident
from redprop.parsing import SINCE_FUTURE, clean_date, clean_past_date, clean_text, to_db
from redprop.store import Store, hooks
from redprop.store.sql import assignments, marks
from redprop.vocab import LEAVE_REASONS, SENSITIVE, Catalogue, Code, fold

hooks.points_at("memberships", "household_id", "households")  # a membership is part of its household's story

MASK = SENSITIVE.slug  # what a sensitive group, and everything written about a membership of one, is shown as


def clean_since(text: str | None, today: date) -> str:
    """A membership's first day: given, and not in the future."""
    day = clean_past_date(text, today, SINCE_FUTURE)
    if day is None:
        raise InvalidValue("no start date")
    return day


# A membership's fields (see fields.py): the member's household (and resident), the group, the span.
MEMBERSHIP = Record("memberships", (
    Field("household", N_("Address"), column="household_id", show=Show(keep=True)),
    Field("resident", N_("Resident"), headers=("姓名", "人员", "resident", "name"), column="resident_id", show=Show(keep=True)),
    Field("head", column=None),
    Field("phone", column=None),
    Field("grid", column=None),
    Field("group", N_("Focus group"), headers=("人群", "重点人群", "类别", "人群类别", "group"), required=True,
          column="group_code", show=Show(keep=True)),  # cleaned by the community's own catalogue
    Field("since", N_("Since"), clean_since, dated=True, headers=("开始日期", "开始", "纳入日期", "起始日期", "since", "from"),
          required=True, show=Show(drop=2)),
    Field("until", N_("Until"), clean_date, dated=True, headers=("结束日期", "结束", "until", "to"), show=Show(drop=3)),
    Field("left_reason", N_("Left because"), optional(LEAVE_REASONS.resolve), headers=("退出原因", "原因", "reason"),
          show=Show(drop=4)),
    Field("current", N_("Current"), column=None, show=Show(drop=1)),
    Field("note", clean=clean_text, headers=("备注", "note"), listed=False),
))


class Group(NamedTuple):  # not a dataclass: one costs half a millisecond of every start
    code: str
    zh: str
    en: str
    duty: str
    cadence_days: int
    default_days: int | None
    sensitive: bool

    def shown(self, show_sensitive: bool) -> str:
        """Its code, or `sensitive` where a sensitive group is masked."""
        return SENSITIVE.slug if self.sensitive and not show_sensitive else self.code

    def as_code(self) -> Code:
        return Code(self.code, self.zh, self.en)

    def as_dict(self) -> dict:
        return self._asdict()


def load_groups(store: Store) -> dict[str, Group]:
    return {
        r["code"]: Group(r["code"], r["zh"], r["en"], r["duty"], r["cadence_days"], r["default_days"], bool(r["sensitive"]))
        for r in store.conn.execute(f"SELECT * FROM focus_groups ORDER BY {store.added_order()}")
    }


def list_groups(store: Store) -> list[dict]:
    return [g.as_dict() for g in load_groups(store).values()]


def group_catalogue(groups: dict[str, Group]) -> Catalogue:
    return Catalogue(N_("focus group"), [g.as_code() for g in groups.values()])


def resolve_group(store: Store, text: str) -> Group:
    groups = load_groups(store)
    return groups[group_catalogue(groups).resolve(text)]


def save_group(store: Store, code: str, values: dict, *, create: bool) -> Group:
    """Add a group (create) or change one; values hold zh, en, duty, cadence_days, default_days, sensitive."""
    values = {k: v for k, v in values.items() if v is not None}
    for field, option in (("cadence_days", "--cadence"), ("default_days", "--default-days")):
        if field in values and values[field] <= 0:
            raise InvalidValue("{option} must be a positive number of days", option=option)
    try:
        with store.write() as conn:
            if create:
                code = code.strip().lower().replace("-", "_").replace(" ", "_")
                if not code.isidentifier():
                    raise InvalidValue("{code!r} is not a slug (letters, digits and _ like elderly_alone)", code=code)
                missing = [f for f in ("zh", "en") if f not in values]
                if missing:
                    raise InvalidValue("a new group needs --zh and --en labels")
                if code in load_groups(store):
                    raise InvalidValue("group {code} already exists; use `group edit`", code=code)
                values.setdefault("cadence_days", 7)
                values.setdefault("duty", "care")
                values.setdefault("sensitive", False)
                columns = ["code", *values]
                conn.execute(f"INSERT INTO focus_groups ({', '.join(columns)}) VALUES ({marks(len(columns))})",
                             (code, *values.values()))
            else:
                code = resolve_group(store, code).code
                if not values:
                    raise InvalidValue("nothing to change: give --cadence, --default-days, --zh, --en, --duty or --sensitive")
                conn.execute(f"UPDATE focus_groups SET {assignments(values)} WHERE code = ${len(values) + 1}",
                             (*values.values(), code))
    except store.engine.IntegrityError:
        raise InvalidValue("another group already has that Chinese or English label") from None
    return load_groups(store)[code]


def _member_target(store: Store, household_key: str, resident: str | None, on: date):
    household = get_household(store, household_key, on=on)
    resident_row = get_resident(store, household, resident) if resident else None
    return household, resident_row


def join_group(
    store: Store, household_key: str, group_text: str, *, resident: str | None, since: date,
    until: date | None, note: str | None, now: datetime,
) -> dict:
    group = resolve_group(store, group_text)
    if since > now.astimezone(store.tz).date():
        raise InvalidValue(SINCE_FUTURE, day=since.isoformat())
    note = clean_text(note)
    household, resident_row = _member_target(store, household_key, resident, since)
    if household["moved_in_on"] and since.isoformat() < household["moved_in_on"]:
        raise InvalidValue("--since {since} is before {key} moved in ({moved_in})", since=since.isoformat(),
                           key=household["key"], moved_in=household["moved_in_on"])
    if household["moved_out_on"] and since.isoformat() >= household["moved_out_on"]:
        raise InvalidValue("{key} moved out on {moved_out}, before --since {since}", key=household["key"],
                           moved_out=household["moved_out_on"], since=since.isoformat())
    if until is None and group.default_days:
        until = since + timedelta(days=group.default_days)
    if until is not None and until < since:
        raise InvalidValue("--until {until} is before --since {since}", until=until.isoformat(), since=since.isoformat())
    resident_id = resident_row["id"] if resident_row else None
    with store.write() as conn:
        # The same person twice, or a person and their whole household (either way round): one
        # member of the group already, who would be listed and visited twice.
        clash = conn.execute(
            "SELECT m.since, m.until, r.name FROM memberships m LEFT JOIN residents r ON r.id = m.resident_id"
            " WHERE m.household_id = $1 AND (coalesce(m.resident_id, 0) = coalesce($2, 0) OR m.resident_id IS NULL"
            " OR CAST($3 AS INTEGER) IS NULL)"
            " AND m.group_code = $4 AND (m.until IS NULL OR m.until > $5) AND (CAST($6 AS TEXT) IS NULL OR m.since < $7)",
            (household["id"], resident_id, resident_id, group.code, since.isoformat(), until and until.isoformat(),
             until and until.isoformat()),
        ).fetchone()
        if clash:
            who = clash["name"] or household["key"]
            if group.sensitive:  # said as 敏感, whatever the worker typed
                if clash["until"]:
                    raise InvalidValue("{who} is already in this group ({group}) from {since} until {until}", who=who,
                                       group=SENSITIVE, since=clash["since"], until=clash["until"])
                raise InvalidValue("{who} is already in this group ({group}) since {since}", who=who, group=SENSITIVE,
                                   since=clash["since"])
            if clash["until"]:
                raise InvalidValue("{who} is already in {group} ({code}) from {since} until {until}", who=who,
                                   group=group.as_code(), code=group.code, since=clash["since"], until=clash["until"])
            raise InvalidValue("{who} is already in {group} ({code}) since {since}", who=who, group=group.as_code(),
                               code=group.code, since=clash["since"])
        insert_memberships(store, [(household["id"], resident_id, group.code, since.isoformat(),
                                    until and until.isoformat(), None, note, to_db(now))])
    return {"household": household["key"], "head": household["head"], "resident": resident,
            "group": group.shown(show_sensitive=False), "since": since.isoformat(), "until": until and until.isoformat()}


MEMBERSHIP_COLUMNS = ("household_id", "resident_id", "group_code", "since", "until", "left_reason", "note", "recorded_at")


def insert_memberships(store: Store, rows: list[tuple]) -> None:
    """The writer of new memberships, one or a file's (inside the caller's write): each row the
    values of MEMBERSHIP_COLUMNS, checked by the caller."""
    store.insert_many("memberships", MEMBERSHIP_COLUMNS, rows)


def end_memberships(conn, rows: list[tuple]) -> None:
    """The writer of a membership's end, one or a file's (inside the caller's write): each row
    (until, left_reason, left_recorded_at, id)."""
    conn.executemany("UPDATE memberships SET until = $1, left_reason = $2, left_recorded_at = $3 WHERE id = $4", rows)


def leave_group(
    store: Store, household_key: str, group_text: str, *, resident: str | None, on: date,
    reason: str | None, now: datetime,
) -> dict:
    group = resolve_group(store, group_text)
    household, resident_row = _member_target(store, household_key, resident, on)
    resident_id = resident_row["id"] if resident_row else None
    with store.write() as conn:
        row = conn.execute(
            "SELECT * FROM memberships WHERE household_id = $1 AND coalesce(resident_id, 0) = coalesce($2, 0) AND group_code = $3"
            " AND since <= $4 AND (until IS NULL OR until > $5) ORDER BY since DESC LIMIT 1",
            (household["id"], resident_id, group.code, on.isoformat(), on.isoformat()),
        ).fetchone()
        if row is None:
            who = resident or household["key"]
            if group.sensitive:
                raise NotFound("{who} is not in this group ({group}) on {day}", who=who, group=SENSITIVE, day=on.isoformat())
            raise NotFound("{who} is not in {group} ({code}) on {day}", who=who, group=group.as_code(), code=group.code,
                           day=on.isoformat())
        end_memberships(conn, [(on.isoformat(), reason, to_db(now), row["id"])])
    # a confirmation, like any output, says a sensitive group as 敏感 and repeats nothing written about it
    return {"household": household["key"], "head": household["head"], "resident": resident,
            "group": group.shown(show_sensitive=False), "since": row["since"], "until": on.isoformat(), "left_reason": None if group.sensitive else reason}


MEMBERSHIP_SQL = """
    SELECT m.*, h.key AS household, h.head, h.phone, h.grid, r.name AS resident
    FROM memberships m
    JOIN households h ON h.id = m.household_id
    LEFT JOIN residents r ON r.id = m.resident_id
"""


def membership_row(row, group: Group, show_sensitive: bool, on: date | None = None) -> dict:
    """A membership for listings and JSON; a masked sensitive group shows neither its code nor why it ended."""
    masked = group.sensitive and not show_sensitive
    current = on is not None and row["since"] <= on.isoformat() and (row["until"] is None or row["until"] > on.isoformat())
    return {
        "household": row["household"],
        "resident": row["resident"],
        "head": row["head"],
        "phone": row["phone"],
        "grid": row["grid"],
        "group": group.shown(show_sensitive),
        "since": row["since"],
        "until": row["until"],
        "left_reason": None if masked else row["left_reason"],
        "current": current,
    }


def list_members(
    store: Store, group_text: str, *, on: date | None, between: tuple[date, date] | None, show_sensitive: bool,
) -> list[dict]:
    """Members on a day, or at any time in a range of days ('who was newly unemployed in March?')."""
    group = resolve_group(store, group_text)
    if group.sensitive and not show_sensitive:
        raise InvalidValue("this is a sensitive group: add --show-sensitive to list its members")
    first, last = between if between else (on, on)
    sql = (MEMBERSHIP_SQL + " WHERE m.group_code = $1 AND m.since <= $2 AND (m.until IS NULL OR m.until > $3)"
           " ORDER BY " + address_order(store, "h.") + ", m.since")
    params = (group.code, last.isoformat(), first.isoformat())
    return [membership_row(r, group, show_sensitive, on) for r in store.conn.execute(sql, params)]


def household_memberships(store: Store, household_id: int, on: date, show_sensitive: bool) -> list[dict]:
    """Every membership of a household, current ones first, as known on day `on`."""
    groups = load_groups(store)
    rows = store.conn.execute(
        MEMBERSHIP_SQL + " WHERE m.household_id = $1 AND m.since <= $2 ORDER BY m.since DESC", (household_id, on.isoformat())
    ).fetchall()
    result = [membership_row(r, groups[r["group_code"]], show_sensitive, on) for r in rows]
    for row in result:
        if row["until"] and row["until"] > on.isoformat():
            row["left_reason"] = None  # it had not ended yet on that day
    result.sort(key=lambda r: not r["current"])
    return result


class ShownGroups:
    """Focus-group codes as people are shown them: in the catalogue's order, a sensitive group
    masked (`sensitive`, once) unless shown; the few sets that recur over many rows worked out once."""

    def __init__(self, groups: dict[str, "Group"], show_sensitive: bool = False):
        self.groups = groups
        self.order = {code: i for i, code in enumerate(groups)}
        self.show_sensitive = show_sensitive
        self.cache: dict[tuple, list[str]] = {}

    def __call__(self, codes) -> list[str]:
        key = tuple(codes)
        shown = self.cache.get(key)
        if shown is None:
            ordered = sorted(set(key), key=lambda c: self.order.get(c, len(self.order)))
            shown = self.cache[key] = list(dict.fromkeys(
                self.groups[c].shown(self.show_sensitive) if c in self.groups else c for c in ordered))
        return shown


def current_groups(store: Store, household_id: int, on: date, show_sensitive: bool = False) -> list[str]:
    """The focus groups a household (or one of its residents) is in on day `on`, as shown
    (ShownGroups): what a confirmation says back beside the head's name, so the worker sees
    whom they recorded."""
    day = on.isoformat()
    codes = [r[0] for r in store.conn.execute(
        "SELECT group_code FROM memberships WHERE household_id = $1 AND since <= $2 AND (until IS NULL OR until > $2)",
        (household_id, day))]
    return ShownGroups(load_groups(store), show_sensitive)(codes)


# -- the change log: a sensitive group's memberships, masked where the log is read ----------

PRIVATE_FIELDS = ("group_code", "note", "left_reason")  # a membership's: which group, and what was written about it
MEMBERSHIP_COMMANDS = ("join", "leave")  # `group join|leave`: their --note and --reason are about the membership
PRIVATE_OPTIONS = ("--note", "--reason")


@hooks.private("memberships")
class SensitiveMemberships:
    """How the change log shows a membership of a sensitive group (上访, 精神病人, 矫正: the focus
    groups flagged sensitive) unless asked to show it: its group, its note and why it ended as
    `sensitive`, in every entry that touched it (a `visit log` updates its contact columns); and in
    command lines, every word that names a sensitive group (its slug, Chinese or English label,
    alone or inside a word: a file named 矫正人员名单.csv) and the note and reason of `group join`
    and `group leave`."""

    def __init__(self, conn):
        rows = conn.execute("SELECT code, zh, en FROM focus_groups WHERE sensitive = 1").fetchall()
        self.codes = {row[0] for row in rows}
        spellings = {fold(text) for row in rows for text in row if text}
        self.exact = spellings
        # inside a longer word: the labels and slugs long enough not to turn up by chance
        self.inside = {s for s in spellings if len(s) >= (2 if not s.isascii() else 4)}

    def private(self, values: dict) -> bool:
        return values.get("group_code") in self.codes

    def hide(self, values: dict) -> dict:
        return {k: MASK if k in PRIVATE_FIELDS and v is not None else v for k, v in values.items()}

    def words(self, command: str) -> str:
        folded = fold(command)
        if not self.codes or (" group " not in f" {command} " and not any(s in folded for s in self.exact)):
            return command  # the usual case, said without splitting the line
        import shlex

        try:
            words = shlex.split(command)
        except ValueError:  # not a line as redprop keeps them: nothing of it is shown
            return MASK
        membership = _membership_command(words)
        shown, hide_next = [], False
        for word in words:
            option, equals, value = word.partition("=")
            if hide_next:
                word, hide_next = MASK, False
            elif membership and option in PRIVATE_OPTIONS:
                hide_next = not equals
                word = f"{option}={MASK}" if equals else word
            elif not word.startswith("-") and self._names_group(word):
                word = MASK
            shown.append(word)
        return shlex.join(shown)

    def said(self, command: str):
        """A masked command line as a message names it: the mask said in the reader's language (敏感)."""
        if MASK not in command:
            return command
        import shlex

        words = shlex.split(command)
        template = shlex.join("\x00" if w == MASK else w for w in words)
        return Message(template.replace("{", "{{").replace("}", "}}").replace("\x00", "{mask}"), mask=SENSITIVE)

    def _names_group(self, word: str) -> bool:
        folded = fold(word)
        return folded in self.exact or any(s in folded for s in self.inside)


def _membership_command(words: list[str]) -> bool:
    """Whether a command line is `group join` or `group leave` (wherever --db or --lang stand)."""
    plain = [w for w in words if not w.startswith("-")]
    return any(a == "group" and b in MEMBERSHIP_COMMANDS for a, b in zip(plain, plain[1:]))
