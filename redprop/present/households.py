"""Households, residents, staff and grid points as people read them."""

from redprop.errors import N_
from redprop.present.care import membership_cells, membership_table, visit_cells, visit_table
from redprop.present.output import Output
from redprop.households import HOUSEHOLD, RESIDENT
from redprop.staff import GRID, STAFF
from redprop.present.table import Column, Table, record_table
from redprop.vocab import RELATIONS, ROLES



def household_table() -> Table:
    return record_table(HOUSEHOLD)


def resident_table() -> Table:
    return record_table(RESIDENT, title=N_("Residents"))


def staff_table() -> Table:
    return record_table(STAFF)


def households(out: Output, rows, page=None) -> None:
    out.listing(household_table(), rows, fields=HOUSEHOLD.names(), page=page)


def household(out: Output, row: dict) -> None:
    out.record(household_table(), row)


def household_details(out: Output, details: dict) -> None:
    """`household show`: the household, then its residents, focus groups and recent visits."""
    if out.fmt != "table":
        out.record(household_table(), details)
        return
    out.fields(household_table(), details)
    out.line()
    out.table(resident_table(), [resident_cells(out, r) for r in details["residents"]])
    if details["groups"]:
        out.line()
        out.table(membership_table(), [membership_cells(out, m) for m in details["groups"]], title=out._("Focus groups"))
    if details["visits"]:
        out.line()
        out.table(visit_table(), [visit_cells(out, v) for v in details["visits"]], title=out._("Recent visits"))
    if details["issues"]:
        from redprop.present.issues import LIST_TABLE, issue_cells

        out.line()
        out.table(LIST_TABLE, [issue_cells(out, i) for i in details["issues"]], title=out._("Unfinished issues"))


def resident_cells(out: Output, row: dict) -> dict:
    return {**row, "relation": out.labels.of(RELATIONS, row["relation"])}


def residents(out: Output, rows) -> None:
    out.listing(resident_table(), rows, lambda r: resident_cells(out, r), RESIDENT.names(), title="")


def resident(out: Output, row: dict) -> None:
    out.record(resident_table(), row, lambda r: resident_cells(out, r))


def staff_cells(out: Output, row: dict) -> dict:
    return {**row, "role": out.labels.of(ROLES, row["role"])}


def staff_list(out: Output, rows) -> None:
    out.listing(staff_table(), rows, lambda r: staff_cells(out, r), STAFF.names())


def staff_member(out: Output, row: dict) -> None:
    out.record(staff_table(), row, lambda r: staff_cells(out, r))


HISTORY_TABLE = Table((
    Column("when", "When", keep=True),
    Column("family", "Family", keep=True),
    Column("what", "What happened", wrap=True, keep=False, drop=0),
), title=N_("History"))
EVENTS = {
    "moved_in": N_("moved in"), "added": N_("recorded (no move-in date)"), "moved_out": N_("moved out"),
    "resident_moved_out": N_("{name} moved out"), "joined": N_("joined {group}"), "left": N_("left {group}"),
}


def history_lines(out: Output, history: dict) -> list[dict]:
    from redprop.issues.lifecycle import IMPORTED_NOTE
    from redprop.present.care import visit_cells
    from redprop.vocab import LEAVE_REASONS, STEPS

    heads = {f["household_id"]: f["head"] or f"#{f['household_id']}" for f in history["families"]}
    rows = []
    for e in history["timeline"]:
        kind = e["event"]
        if kind == "visit":
            cells = visit_cells(out, {**e, "kind": "visit"})
            what = out._("visit #{id} by {by}: {outcome}", id=e["visit"], by=e["by"] or "—", outcome=cells["outcome"])
            what += "".join(f"; {t}" for t in (e["need"], e["note"]) if t)
        elif kind == "issue_step":
            what = out._("issue #{id} {title}: {step}", id=e["issue"], title=e["title"], step=out.labels.of(STEPS, e["action"]))
            note = out._("imported") if e["note"] == IMPORTED_NOTE else e["note"]
            what += "".join(f"; {t}" for t in (e["by"], f"→ {e['to']}" if e["to"] else None, note) if t)
            if e["voided"]:
                what += " " + out._("(voided)")
        elif kind == "log":
            from redprop.present.log import command as log_command  # only a history has log entries

            what = out._("log #{id} {user}: {command}", id=e["entry"], user=e["user"], command=log_command(out, e))
        elif kind in ("joined", "left"):
            what = out._(EVENTS[kind], group=out.labels.group(e["group"]))
            if e.get("resident"):
                what = f"{e['resident']} {what}"
            if e.get("reason"):
                what += f"（{out.labels.of(LEAVE_REASONS, e['reason'])}）"
        else:
            what = out._(EVENTS[kind], name=e.get("name"))
        rows.append({"when": e["at"][:16].replace("T", " "), "family": heads.get(e["household_id"], ""), "what": what})
    return rows


def household_history(out: Output, history: dict) -> None:
    """`household history`: the families at the address, then one timeline."""
    if out.fmt != "table":
        out.document(history)
        return
    for family in history["families"]:
        until = family["moved_out_on"] or out._("now")  # outside the f-string, where the catalogue's extractor finds it
        dates = f"{family['moved_in_on'] or '?'} – {until}"
        people = ", ".join(r["name"] for r in family["residents"]) or "—"
        out.line(out._("{key} {head} ({dates}): {people}", key=family["key"], head=family["head"] or "—", dates=dates,
                       people=people))
    out.line()
    out.table(HISTORY_TABLE, history_lines(out, history))


def handed_over(out: Output, result: dict) -> None:
    if out.fmt != "table":
        out.document(result)
        return
    out.line(out._("{name} left: no longer active; {count} unfinished issues handed to {heir}: {issues}", name=result["name"],
                   count=len(result["issues"]), heir=result["hand_to"], issues=" ".join(f"#{i}" for i in result["issues"]) or "—"))


def grids(out: Output, rows) -> None:
    rows = list(rows)
    out.listing(_grid_table(rows), rows, fields=GRID.names())


def grid(out: Output, row: dict) -> None:
    out.record(_grid_table([row]), row)


def _grid_table(rows: list[dict]) -> Table:
    """The grid points' table, with their 15-digit codes once any has one."""
    table = record_table(GRID)
    return table if any(r.get("upstream_code") for r in rows) else table.without("upstream_code")
