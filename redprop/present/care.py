"""Focus groups, memberships, visits, the due list and the week's rounds as people read them."""

from redprop.errors import N_
from redprop.present.output import Output
from redprop.care.groups import MEMBERSHIP
from redprop.care.visits import VISIT
from redprop.present.table import Column, Table, record_table
from redprop.present.times import minute
from redprop.vocab import DUTIES, LEAVE_REASONS, VISIT_KINDS, VISIT_OUTCOMES

GROUP_TABLE = Table((
    Column("code", "Code", keep=True),
    Column("zh", "Chinese", keep=True),
    Column("en", "English", drop=5),
    Column("duty", "Duty", drop=4),
    Column("cadence_days", "Cadence (days)", "right", drop=1),
    Column("default_days", "Default length (days)", "right", drop=2),
    Column("sensitive", "Sensitive", drop=3),
))
GROUP_FIELDS = ["code", "zh", "en", "duty", "cadence_days", "default_days", "sensitive"]


def membership_table() -> Table:
    return record_table(MEMBERSHIP)


def visit_table() -> Table:
    return record_table(VISIT)


DUE_TABLE = Table((  # on a narrow terminal the list of people goes first, the phone last: it is what is dialled
    Column("alert", "!", keep=True),
    Column("household", "Address", keep=True),
    Column("head", "Head", keep=True),
    Column("phone", "Phone", drop=1),
    Column("groups", "Focus groups", wrap=True, drop=2),
    Column("days_since_seen", "Days unseen", "right", keep=True),
    Column("cadence_days", "Cadence", "right", drop=5),
    Column("last_seen", "Last seen", drop=4),
    Column("failed_attempts", "Knocks", "right", drop=3),
    Column("staff", "Responsible", wrap=True, drop=6),
))
DUE_FIELDS = ["household", "head", "phone", "building", "grid", "groups", "cadence_days", "last_seen_at",
              "days_since_seen", "never_seen", "due_at", "overdue_days", "failed_attempts", "escalated", "staff"]
PLAN_TABLE = Table((
    Column("alert", "!", keep=True),
    Column("household", "Address", keep=True),
    Column("head", "Head", keep=True),
    Column("phone", "Phone", drop=2),
    Column("groups", "Focus groups", wrap=True, drop=1),
    Column("due_on", "Due on", drop=3),
    Column("days_since_seen", "Days unseen", "right", keep=True),
))
PLAN_FIELDS = ["staff", "household", "head", "phone", "grid", "groups", "days_since_seen", "due_at",
               "failed_attempts", "escalated"]
OVERDUE_A_WEEK = 7  # days past the cadence that earn a "!"


def group_cells(out: Output, group: dict) -> dict:
    return {**group, "duty": out.labels.of(DUTIES, group["duty"])}


def groups(out: Output, rows) -> None:
    out.listing(GROUP_TABLE, rows, lambda g: group_cells(out, g), GROUP_FIELDS)


def group(out: Output, row: dict) -> None:
    out.record(GROUP_TABLE, row, lambda g: group_cells(out, g))


def membership_cells(out: Output, row: dict) -> dict:
    return {**row, "group": out.labels.group(row["group"]), "left_reason": out.labels.of(LEAVE_REASONS, row.get("left_reason"))}


def memberships(out: Output, rows) -> None:
    out.listing(membership_table(), rows, lambda m: membership_cells(out, m), MEMBERSHIP.names())


def membership(out: Output, row: dict) -> None:
    """A membership joined or left, said back: the address with its head."""
    out.record(membership_table(), row, lambda m: {**membership_cells(out, m), "head": None,
                                                    "household": out.labels.household(m["household"], m.get("head"), None)})


def visit_cells(out: Output, row: dict) -> dict:
    """A visit known only by its date shows the date alone (it counts from the end of that day)."""
    at = minute(row["at"]) if row.get("time_known", True) else (row["at"] or "")[:10]
    outcome = out.labels.of(VISIT_OUTCOMES, row["outcome"])
    if row.get("voided"):
        outcome = out._("{outcome} (voided by {who}: {reason})", outcome=outcome, who=row["voided_by"], reason=row["void_reason"])
    return {**row, "at": at, "kind": out.labels.of(VISIT_KINDS, row["kind"]), "outcome": outcome,
            "issue_link": f"#{row['issue']}" if row.get("issue") else ""}


def visits(out: Output, rows, page=None) -> None:
    out.listing(visit_table(), rows, lambda v: visit_cells(out, v), VISIT.names(), page=page)


def visit(out: Output, row: dict, voided: bool = False) -> None:
    """A visit recorded or voided, said back: the address with its head and focus groups (and
    the issue it opened: a void leaves that issue as it is, and says so)."""
    if row.get("issue"):
        out.note(out._("issue #{id}, opened at this visit, stays as it is: `redprop issue void {id}` if it was a mistake too", id=row["issue"])
                 if voided else out._("opened issue #{id}", id=row["issue"]))
    said = lambda v: {**visit_cells(out, v), "household": out.labels.household(v["household"], v["head"], v.get("groups")),  # noqa: E731
                      "head": None}
    out.record(visit_table(), row, said)


def alert(out: Output, row: dict) -> str:
    """‼ with the knocks for an escalation, ! for a week or more past the cadence."""
    if row["escalated"]:
        return out._("‼ {knocks} knocks", knocks=row["failed_attempts"])
    overdue = row.get("overdue_days")
    return "!" if overdue is not None and overdue >= OVERDUE_A_WEEK else ""


def due_cells(out: Output, row: dict) -> dict:
    return {**row, "alert": alert(out, row), "groups": out.labels.group_list(row["groups"]),
            "last_seen": minute(row["last_seen_at"]) or out._("never")}


DUE_LEGEND = N_("‼ elderly person living alone, knocks in a row unanswered: escalated, go today; ! a week or more overdue")


def due_list(out: Output, rows: list[dict]) -> None:
    """`visit due`: the table, and the legend when a mark needs it."""
    out.listing(DUE_TABLE, rows, lambda r: due_cells(out, r), DUE_FIELDS)
    if out.fmt == "table" and any(alert(out, r) for r in rows):
        out.line(out._(DUE_LEGEND))


def week_plan(out: Output, rows: list[dict]) -> None:
    """`visit plan`: one list per person, the unassigned last."""
    if out.fmt != "table":
        out.listing(PLAN_TABLE, rows, fields=PLAN_FIELDS)
        return
    people = list(dict.fromkeys(r["staff"] for r in rows))
    if not people:
        out.line(out._("nothing due this week"))
    for person in people:
        mine = [{**r, "alert": "‼" if r["escalated"] else "", "groups": [out.labels.group(g) for g in r["groups"]],
                 "due_on": r["due_at"][:10]} for r in rows if r["staff"] == person]
        out.table(PLAN_TABLE, mine, title=f"{person or out._('unassigned')} ({len(mine)})")
        out.line()

