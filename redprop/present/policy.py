"""The promise (policy) as people read it, and as one CSV row per tier for scripts."""

import re

from redprop.errors import N_
from redprop.present.output import Format, Output
from redprop.present.table import Column, Table, plain
from redprop.present.times import minute
from redprop.vocab import ISSUE_KINDS, PROMISE_CODES, PROMISES, TIER_CODES, TIERS, WAITING_CODES, WEEKDAYS

WEEKDAY_NAMES = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
POLICY_FIELDS = ["version", "name", "effective_at", "recorded_at", "kind", "tier", *PROMISES, "follow_up", "order_sign",
                 "hours", "chinese_calendar", "weekend", "holidays", "workdays", "pause_statuses", "note"]
KINDS = ("problem", "wish")


def said_time(out: Output, text: str | None) -> str | None:
    """A promised time as the policy stores it (`5m`, `4h`, `1d`, `1d4h`) in the worker's words (`5分钟`, `1天`)."""
    if not text:
        return text
    words = {"d": lambda n: out._("{days}d", days=n), "h": lambda n: out._("{hours}h", hours=n),
             "m": lambda n: out._("{minutes}m", minutes=n)}
    parts = re.findall(r"(\d+)([dhm])", text)
    return "".join(words[unit](int(n)) for n, unit in parts) if parts else text


def policy_lines(out: Output, p: dict) -> list[str]:
    labels = out.labels
    since = minute(p["effective_at"]) or out._("always")
    lines = [out._("Promise {name} (v{version}, in force from {since})", name=p["name"], version=p["version"], since=since)]
    columns = (Column("kind", "Kind"), Column("tier", "Tier"), *(Column(pr, labels.of(PROMISE_CODES, pr)) for pr in PROMISES))
    rows = [{"kind": labels.of(ISSUE_KINDS, kind) if tier == TIERS[0] else "", "tier": labels.of(TIER_CODES, tier),
             **{pr: said_time(out, _promises(p, kind)[tier].get(pr)) or "—" for pr in PROMISES}} for kind in KINDS for tier in TIERS]
    lines.extend(plain(columns, rows, out.language))
    lines.append(out._("Follow-up call: within {time} of the resolution", time=said_time(out, p["follow_up"])) if p.get("follow_up")
                 else out._("Follow-up call: no promise"))
    lines.append(out._("Work orders from above: signed for within {time} of their dispatch", time=said_time(out, p["order_sign"]))
                 if p.get("order_sign") else out._("Work orders from above: no sign-for limit"))
    if p["hours"]:
        calendar = out._("with China's public holidays and 调休 days") if p["chinese_calendar"] else out._(
            "without the public-holiday calendar")
        rest = out.separator.join(out._(WEEKDAY_NAMES[WEEKDAYS.index(d)]) for d in p["weekend"]) or "—"
        lines.append(out._("Working hours: {hours}; {calendar}; rest days: {rest}", hours=", ".join(p["hours"]),
                           calendar=calendar, rest=rest))
        if p["holidays"]:
            lines.append(out._("Extra holidays: {days}", days=", ".join(p["holidays"])))
        if p["workdays"]:
            lines.append(out._("Extra workdays: {days}", days=", ".join(p["workdays"])))
    else:
        lines.append(out._("Clock: round the clock"))
    pauses = out.separator.join(labels.all_of(WAITING_CODES, p["pause_statuses"])) or out._("none")
    lines.append(out._("Statuses that stop the clock: {statuses}", statuses=pauses))
    if p["note"]:
        lines.append(out._("Note: {note}", note=out._(p["note"])))  # the shipped version's note is in the catalogue
    return lines


def _promises(p: dict, kind: str) -> dict:
    """{tier: {promise: time}} of one kind: problems' at the top of the document, wishes' under `wish`."""
    return p["wish"] if kind == "wish" else {tier: p[tier] for tier in TIERS}


def csv_rows(policies: list[dict]):
    """One row per version, kind and tier: the promises beside the version's settings."""
    for p in policies:
        for kind in KINDS:
            for tier in TIERS:
                yield {**{k: p.get(k) for k in POLICY_FIELDS}, "kind": kind, "tier": tier,
                       **{pr: _promises(p, kind)[tier].get(pr) for pr in PROMISES}}


def policies(out: Output, versions: list[dict], history: bool) -> None:
    """`policy show` (the version in force, or with --history every version) and `policy set`."""
    if out.fmt == Format.json:
        out.document(versions if history else versions[0])
        return
    if out.fmt == Format.csv:
        out.listing(Table(()), csv_rows(versions), fields=POLICY_FIELDS)
        return
    for i, version in enumerate(versions):
        if i:
            out.line()
        for line in policy_lines(out, version):
            out.line(line)
