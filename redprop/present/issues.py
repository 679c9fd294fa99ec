"""Residents' issues as people read them: the card, its promises, its timeline, listings, categories."""

from redprop.errors import N_
from redprop.issues.fields import ISSUE
from redprop.issues.lifecycle import IMPORTED_NOTE, REOPEN_AT_RATING
from redprop.present.holidays import PROVISIONAL_LEGEND, marked, warn_provisional
from redprop.present.output import Output
from redprop.present.table import Column, Table
from redprop.present.times import duration, minute
from redprop.vocab import (
    CHANNELS, ISSUE_KINDS, ORDER_STAGES, PARTIES, PROMISE_CODES, PROMISE_STATES, STATUSES, STEPS, TIER_CODES,
    WAITING_CODES,
)

CARD = Table((
    Column("number", "Issue", keep=True),
    Column("title", "Title", keep=True),
    Column("kind", "Kind"),
    Column("category", "Category"),
    Column("channel", "Channel"),
    Column("where", "Where"),
    Column("reporter", "Reported by"),
    Column("tier", "Tier"),
    Column("status", "Status"),
    Column("voided", "Voided"),
    Column("order", "Work order"),
    Column("handler", "Handler"),
    Column("reported", "Reported"),
    Column("escalation", "Joint meeting"),
    Column("rating", "Rating"),
    Column("description", "Description"),
    Column("visit_link", "Opened on visit"),
))
DEADLINE_TABLE = Table((
    Column("promise", "Promise", keep=True),
    Column("due", "Due", keep=True),
    Column("met", "Met at", drop=2),
    Column("outcome", "Outcome", keep=True),
    Column("margin", "Margin", drop=1),
), title=N_("Promises"))
STEP_TABLE = Table((
    Column("when", "When", keep=True),
    Column("action", "Step", keep=True),
    Column("by", "By", drop=2),
    Column("detail", "Detail", wrap=True, drop=3),
    Column("typed", "Typed in", drop=1),
), title=N_("Timeline"))
LIST_TABLE = Table((
    Column("number", "Issue", "right", keep=True),
    Column("reported", "Reported", drop=4),
    Column("kind", "Kind", drop=7),
    Column("category", "Category", drop=5),
    Column("title", "Title", keep=True),
    Column("where", "Where", keep=True),
    Column("head", "Head", drop=3),
    Column("tier", "Tier", drop=6),
    Column("status", "Status", drop=2),
    Column("handler", "Handler", drop=1),
    Column("next", "Next deadline", keep=True),
))
CATEGORY_TABLE = Table((
    Column("code", "Code", keep=True),
    Column("zh", "Chinese", keep=True),
    Column("en", "English", drop=1),
    Column("issues", "Issues", "right", drop=2),
))
CATEGORY_FIELDS = ["code", "zh", "en", "upstream", "issues"]
UPSTREAM_COLUMN = Column("upstream", "Upstream class", drop=3)  # what the platforms above file it under


def where(record: dict) -> str:
    return " ".join(filter(None, (record.get("household"), record.get("place"))))


def late_text(out: Output, minutes: int) -> str:
    return out._("late {duration}", duration=duration(out, minutes))


def issue_cells(out: Output, record: dict) -> dict:
    """An issue's codes as labels, and the cells only a table shows (#37, where, next deadline)."""
    labels = out.labels
    reported = minute(record.get("reported_at"))
    if record.get("backdated"):
        reported = out._("{reported} (typed in {typed})", reported=reported, typed=minute(record["recorded_at"]))
    elif record.get("imported"):
        reported = out._("{reported} (imported)", reported=reported)
    cells = {
        **record,
        "number": f"#{record['id']}",
        "kind": labels.of(ISSUE_KINDS, record["kind"]),
        "category": labels.category(record["category"]),
        "channel": labels.of(CHANNELS, record["channel"]),
        "tier": labels.of(TIER_CODES, record["tier"]),
        "status": out._("voided") if record.get("voided") else labels.of(STATUSES, record["status"]),
        "where": where(record),
        "reported": reported,
        "escalation": _escalation_text(out, record.get("escalation")),
        "voided": _void_text(out, record),
        "order": order_text(out, record.get("order")),
    }
    if record.get("returned"):
        cells["status"] = out._("returned")
    pending = [] if record.get("voided") or record.get("returned") else [d for d in record.get("deadlines", []) if d["state"] in ("overdue", "pending", "paused")]
    if pending:
        d = min(pending, key=lambda d: d["due_at"] or "~")
        promise = labels.of(PROMISE_CODES, d["promise"])
        if d["state"] == "overdue":
            cells["next"] = f"{promise} {late_text(out, d['late_minutes'])}"
        elif d["state"] == "paused":
            cells["next"] = out._("{promise} paused", promise=promise)
        else:
            cells["next"] = f"{promise} {marked(minute(d['due_at']), d.get('provisional'))}"
    if record.get("visit"):
        cells["visit_link"] = out._("opened on visit #{visit}", visit=record["visit"])
    return cells


def order_text(out: Output, order: dict | None) -> str | None:
    """`12345 12345-20261204-0031 · 处置中 · 督办 2次`: who sent it, its number, where it stands."""
    if not order:
        return None
    parts = [f"{order['source']} {order['number']}", out.labels.of(ORDER_STAGES, order["stage"])]
    if order["urges"]:
        parts.append(out._("urged {count}×", count=order["urges"]))
    if order["extensions"]:
        parts.append(out._("extended {count}×", count=order["extensions"]))
    if order["reworks"]:
        parts.append(out._("rework {count}×", count=order["reworks"]))
    if order["signed_late"]:
        parts.append(out._("signed for late"))
    return " · ".join(parts)


def _order_step_detail(out: Output, s: dict) -> list[str]:
    """What a step of a work order says beyond its note: the deadline set, who approved or urged,
    whether a reply says solved, how a verification went."""
    action, value = s["action"], s["value"]
    if action == "dispatch":
        return [out._("from {source}, due {due}", source=s["party"], due=minute(value))]
    if action == "extend":
        return [out._("due {due}, approved by {who}", due=minute(value), who=s["party"])]
    if action == "urge":
        return [out._("from {who}", who=s["party"])]
    if action == "reply":
        return [out._("solved") if value == "yes" else out._("not solved: {why}", why=s["reason"])]
    if action == "verify":
        return [out._("passed: closed") if value == "passed" else out._("failed: back for rework")]
    return []


def _void_text(out: Output, record: dict) -> str | None:
    if not record.get("voided"):
        return None
    step = next((s for s in reversed(record.get("steps", [])) if s["action"] == "void"), None)
    reason = step["note"] if step else ""
    if record.get("duplicate_of"):
        return out._("voided: a duplicate of #{other} ({reason})", other=record["duplicate_of"], reason=reason)
    return out._("voided ({reason})", reason=reason)


def _escalation_text(out: Output, escalation: dict | None) -> str | None:
    if not escalation:
        return None
    parts = [out.separator.join(out.labels.all_of(PARTIES, escalation["parties"]))] if escalation["parties"] else []
    if escalation["meeting_at"]:
        parts.append(out._("meeting {when}", when=minute(escalation["meeting_at"])))
    if escalation["decision"]:
        parts.append(out._("decided: {decision}", decision=escalation["decision"]))
    return "; ".join(parts) or out._("escalated")


def deadline_rows(out: Output, record: dict) -> list[dict]:
    rows = []
    for d in record["deadlines"]:
        late = d["late_minutes"]
        if d["state"] in ("missed", "overdue"):
            margin = late_text(out, late)
        elif d["state"] == "kept":
            margin = out._("early {duration}", duration=duration(out, late)) if late else ""
        elif d["state"] == "pending":
            margin = out._("left {duration}", duration=duration(out, late))
        else:
            margin = out._("clock stopped")
        rows.append({
            "promise": out.labels.of(PROMISE_CODES, d["promise"]),
            "due": marked(minute(d["due_at"]), d.get("provisional")) or out._("paused"),
            "met": minute(d["met_at"]),
            "outcome": out.labels.of(PROMISE_STATES, d["state"]),
            "margin": margin,
        })
    return rows


def step_rows(out: Output, record: dict) -> list[dict]:
    labels = out.labels
    rows = []
    for s in record["steps"]:
        detail = []
        action, value = s["action"], s["value"]
        if action == "open":
            detail.append(" · ".join(filter(None, (record["reporter"], labels.of(CHANNELS, record["channel"])))))
        if s["to"]:
            detail.append(f"→ {s['to']}")
        if action == "wait" and value:
            detail.append(labels.of(WAITING_CODES, value))
        if action == "retier" and value:
            detail.append(f"→ {labels.of(TIER_CODES, value)}")
        if action == "void" and value:
            detail.append(out._("a duplicate of #{other}", other=value))
        if action == "rate" and value:
            detail.append(f"{value}/5")
        if action == "reopen" and value:  # reopened by a low rating
            detail.append(out._("rating {rating}/5", rating=value))
        if action == "note" and value:  # a correction: {field: [was, now]}
            detail.append(correction_text(out, value))
        if action == "escalate":
            if value:
                detail.append(out.separator.join(labels.all_of(PARTIES, value.split(","))))
            if s["meeting_at"]:
                detail.append(out._("meeting {when}", when=minute(s["meeting_at"])))
            if s["decision"]:
                detail.append(out._("decided: {decision}", decision=s["decision"]))
        detail.extend(_order_step_detail(out, s))
        if s["note"] == IMPORTED_NOTE:
            detail.append(out._("imported"))
        elif s["note"]:
            detail.append(s["note"])
        rows.append({
            "when": minute(s["at"]),
            "action": labels.of(STEPS, action),
            "by": s["by"],
            "detail": out._("; ").join(d for d in detail if d),
            "typed": minute(s["recorded_at"]) if s["backdated"] else "",
        })
    return rows


_FIELD_HEADERS = {"title": N_("Title"), "description": N_("Description"), "kind": N_("Kind"), "category": N_("Category"),
                  "channel": N_("Channel"), "reporter": N_("Reported by"), "place": N_("Where"), "household": N_("Where")}


def correction_text(out: Output, changes: dict) -> str:
    """`corrected title: 门禁坏了 → 门禁又坏了, category: 报修 → 设施` in the chosen language."""
    def shown(field: str, value) -> str:
        if not value:
            return "—"
        if field == "kind":
            return out.labels.of(ISSUE_KINDS, value)
        if field == "category":
            return out.labels.category(value)
        if field == "channel":
            return out.labels.of(CHANNELS, value)
        return value

    parts = [out._("{field}: {was} → {now}", field=out._(_FIELD_HEADERS.get(field, field)), was=shown(field, was), now=shown(field, now))
             for field, (was, now) in changes.items()]
    return out._("corrected {changes}", changes=out._(", ").join(parts))


def issue(out: Output, record: dict, timeline: bool = False) -> None:
    """One issue: its card and promises (and timeline, for `issue show`), or its JSON / CSV row."""
    warn_provisional(out, record.get("provisional_years"))
    if out.fmt != "table":
        out.record(CARD, record)
        return
    cells = issue_cells(out, record)
    if record.get("household"):  # said back: the address with its head and focus groups
        cells["where"] = out.labels.household(record["household"], record.get("head"), record.get("groups"))
    out.fields(CARD, cells)
    if record["deadlines"]:
        out.line()
        out.table(DEADLINE_TABLE, deadline_rows(out, record))
        if record.get("provisional"):
            out.line(out._(PROVISIONAL_LEGEND))
    if timeline:
        out.line()
        out.table(STEP_TABLE, step_rows(out, record))


def opened(out: Output, record: dict) -> None:
    out.note(out._("opened issue #{id}", id=record["id"]))
    if record.get("possible_duplicates"):
        out.note(out._("warning: {issues} of the same category at the same place, reported within a day, is still"
                       " unfinished: the same issue twice? (`redprop issue void {id} --reason … --duplicate-of …`)",
                       issues=[f"#{i}" for i in record["possible_duplicates"]], id=record["id"]))
    issue(out, record)


def rated(out: Output, record: dict) -> None:
    if record["status"] == "reopened" and record["rating"] is not None and record["rating"] <= REOPEN_AT_RATING:
        out.note(out._("issue #{id} reopened: rating {rating} of 5", id=record["id"], rating=record["rating"]))
    issue(out, record)


def issues(out: Output, rows, page=None) -> None:
    out.listing(LIST_TABLE, rows, lambda r: issue_cells(out, r), ISSUE.names(), page=page)


def categories(out: Output, rows) -> None:
    rows = list(rows)
    out.listing(_category_table(rows), rows, fields=CATEGORY_FIELDS)


def category(out: Output, row: dict) -> None:
    out.record(_category_table([row]), row)


def _category_table(rows: list[dict]) -> Table:
    """The categories' table, with their upstream classes once any category has one."""
    if not any(r.get("upstream") for r in rows):
        return CATEGORY_TABLE
    return Table((*CATEGORY_TABLE.columns[:3], UPSTREAM_COLUMN, *CATEGORY_TABLE.columns[3:]))
