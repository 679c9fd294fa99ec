"""The street's rates of work orders, for a week of orders made by hand, step by step, through the
CLI: each rate in `report week` and `stats` is checked against counts made independently from
`issue list -f json` (and against the counts worked out by hand below)."""

from datetime import datetime

import pytest
from conftest import built_once

WEEK = ("2026-11-16", "2026-11-22")  # Monday to Sunday
AT = "2026-11-30 12:00"


@pytest.fixture
@built_once
def week(db, run):
    def ok(*args):
        result = run(*args)
        assert result.exit_code == 0, (args, result.output)

    def order(number, source, at, due, place="1栋门口"):
        ok("issue", "open", "--kind", "problem", "--category", "乱停车", "--channel", "热线", "--place", place,
           "--title", f"工单 {number}", "--at", at, "--order", number, "--order-from", source, "--order-due", due)

    ok("staff", "add", "姜红华", "--role", "网格员")
    # A: signed in time, resolved, replied, passed: closed on time
    order("A", "12345", "2026-11-16 09:00", "3个工作日")
    ok("issue", "sign", "A", "--at", "2026-11-16 09:30")
    ok("issue", "resolve", "1", "--at", "2026-11-17 10:00")
    ok("issue", "reply", "A", "--text", "已处理", "--solved", "yes", "--at", "2026-11-17 10:30")
    ok("issue", "verify", "A", "--passed", "--at", "2026-11-18 10:00")
    # B: signed late, failed verification once (rework), closed after its deadline
    order("B", "12345", "2026-11-16 14:00", "2026-11-20 17:30")
    ok("issue", "sign", "B", "--at", "2026-11-16 17:00")
    ok("issue", "resolve", "2", "--at", "2026-11-17 11:00")
    ok("issue", "reply", "B", "--text", "已处理", "--solved", "yes", "--at", "2026-11-17 11:30")
    ok("issue", "verify", "B", "--failed", "--at", "2026-11-19 09:00")
    ok("issue", "resolve", "2", "--at", "2026-11-20 10:00")
    ok("issue", "reply", "B", "--text", "再次处理", "--solved", "yes", "--at", "2026-11-20 11:00")
    ok("issue", "verify", "B", "--passed", "--at", "2026-11-21 10:00")
    # C: returned as not ours
    order("C", "网格中心", "2026-11-17 10:00", "2个工作日")
    ok("issue", "return", "C", "--reason", "非本社区", "--at", "2026-11-17 11:00")
    # D: signed, extended past the week, urged; not closed
    order("D", "网格中心", "2026-11-18 09:00", "2026-11-20 18:00")
    ok("issue", "sign", "D", "--at", "2026-11-18 09:10")
    ok("issue", "extend", "D", "--to", "2026-11-25 18:00", "--reason", "等配件", "--approved-by", "街道", "--at", "2026-11-19 10:00")
    ok("issue", "urge", "D", "--from", "街道办", "--at", "2026-11-19 11:00")
    # E: dispatched the week before, due in this week after an extension, closed in time
    order("E", "12345", "2026-11-12 09:00", "2026-11-17 17:00")
    ok("issue", "sign", "E", "--at", "2026-11-12 09:30")
    ok("issue", "extend", "E", "--to", "2026-11-19 17:00", "--reason", "居民不在家", "--approved-by", "12345",
       "--at", "2026-11-16 09:00")
    ok("issue", "resolve", "5", "--at", "2026-11-19 15:00")
    ok("issue", "reply", "E", "--text", "已处理", "--solved", "yes", "--at", "2026-11-19 15:30")
    ok("issue", "verify", "E", "--passed", "--at", "2026-11-19 16:00")
    # F: never signed for, urged twice (one order urged)
    order("F", "12345", "2026-11-20 09:00", "2026-11-27 17:00")
    ok("issue", "urge", "F", "--from", "12345", "--at", "2026-11-21 10:00")
    ok("issue", "urge", "F", "--from", "街道办", "--at", "2026-11-22 10:00")
    # G: recorded by mistake: counts nowhere
    order("G", "12345", "2026-11-21 10:00", "1个工作日")
    ok("issue", "void", "7", "--reason", "重复登记")
    # H: dispatched on a Sunday, signed in time
    order("H", "12345", "2026-11-22 10:00", "2个工作日")
    ok("issue", "sign", "H", "--at", "2026-11-22 10:30")
    # not an order: no rate counts it
    ok("issue", "open", "--kind", "problem", "--category", "犬只", "--channel", "巡查", "--place", "3栋", "--title", "犬只",
       "--at", "2026-11-18 08:00")
    return db


def _inside(text, first, last) -> bool:
    if text is None:
        return False
    day = datetime.fromisoformat(text).date().isoformat()
    return first <= day <= last


def independent_counts(records: list[dict], first: str, last: str) -> dict:
    """The rates' counts, from `issue list -f json` alone, as each definition reads."""
    orders = [r["order"] for r in records if r["order"] is not None and not r["voided"]]
    dispatched = [o for o in orders if _inside(o["dispatched_at"], first, last)]
    kept = [o for o in dispatched if o["returned_at"] is None]
    due = [o for o in orders if o["returned_at"] is None and _inside(o["due_at"], first, last)]
    closed = [o for o in orders if _inside(o["closed_at"], first, last)]

    def when(text):
        return datetime.fromisoformat(text)

    return {
        "dispatched": len(dispatched), "due": len(due), "closed": len(closed),
        "sign_on_time": (sum(1 for o in kept if o["signed_at"] and when(o["signed_at"]) <= when(o["sign_due"])), len(kept)),
        "closure": (sum(1 for o in due if o["closed_at"]), len(due)),
        "closed_on_time": (sum(1 for o in due if o["closed_at"] and when(o["closed_at"]) <= when(o["due_at"])), len(due)),
        "rework": (sum(1 for o in closed if o["reworks"] > 0), len(closed)),
        "extension": (sum(1 for o in due if o["extensions"] > 0), len(due)),
        "returned": (sum(1 for o in dispatched if o["returned_at"]), len(dispatched)),
        "urged": sum(1 for o in orders if any(_inside(u, first, last) for u in o["urged_at"])),
    }


def as_counts(figures: dict) -> dict:
    return {k: (v["numerator"], v["denominator"]) if isinstance(v, dict) else v for k, v in figures.items()}


def test_each_rate_matches_counts_made_from_the_issue_list(week, run_json):
    records = run_json("issue", "list", "--status", "all", "--voided", "--at", AT)
    expected = independent_counts(records, *WEEK)
    assert expected == {  # worked out by hand from the steps above
        "dispatched": 6, "due": 3, "closed": 3, "sign_on_time": (3, 5), "closure": (3, 3), "closed_on_time": (2, 3),
        "rework": (1, 3), "extension": (1, 3), "returned": (1, 6), "urged": 2,
    }
    report = run_json("report", "week", "--week", WEEK[0], "--at", AT)
    assert as_counts(report["orders"]) == expected
    for name in ("sign_on_time", "closure", "closed_on_time", "rework", "extension", "returned"):
        figure = report["orders"][name]
        assert figure["definition"] and figure["rate"] == round(figure["numerator"] / figure["denominator"], 4)
    [stats] = run_json("stats", "--from", WEEK[0], "--to", WEEK[1], "--at", AT)
    from_stats = {k.removeprefix("orders_").removeprefix("order_"): v for k, v in stats.items()
                  if k.startswith(("orders_", "order_"))}
    assert as_counts(from_stats) == expected


def test_the_rates_by_source_add_up_to_the_total(week, run_json):
    records = run_json("issue", "list", "--status", "all", "--voided", "--at", AT)
    report = run_json("report", "week", "--week", WEEK[0], "--at", AT)
    by_source = {r["source"]: r for r in report["orders_by_source"]}
    assert set(by_source) == {"12345", "网格中心"}
    for source, row in by_source.items():
        mine = [r for r in records if r["order"] and r["order"]["source"] == source]
        assert as_counts({k: v for k, v in row.items() if k != "source"}) == independent_counts(mine, *WEEK), source
    rows = {r["group"]: r for r in run_json("stats", "--from", WEEK[0], "--to", WEEK[1], "--at", AT, "--by", "source")}
    assert set(rows) == {"12345", "网格中心", None, "all"}, "the issue that is not an order has its own group"
    assert rows["12345"]["orders_dispatched"] == 4 and rows["网格中心"]["order_returned"]["numerator"] == 1
    assert rows[None]["orders_dispatched"] == 0 and rows[None]["issues"] == 1
    assert rows["all"]["order_sign_on_time"]["numerator"] == 3


def test_the_report_shows_the_rates_with_their_definitions(week, run, tmp_path):
    text = run("report", "week", "--week", WEEK[0], "--at", AT).stdout
    assert "上级工单" in text and "签收及时率" in text and "3/5 · 60%" in text and "2/3 · 67%" in text
    assert "按期结案率" in text and "工单（按来源）" in text
    csv_text = run("report", "week", "--week", WEEK[0], "--at", AT, "-f", "csv").stdout
    assert "orders,all,closed_on_time,2,3,0.6667" in csv_text
    page = tmp_path / "周报.html"
    assert run("report", "week", "--week", WEEK[0], "--at", AT, "-o", page).exit_code == 0
    html = page.read_text(encoding="utf-8")
    assert "上级工单" in html and "按期结案率" in html and "2/3 · 67%" in html and "工单（按网格）" in html
