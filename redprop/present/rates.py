"""A rate as people read it: `29/41 · 71%`, its counts before its share."""


def shown_rate(r: dict | None) -> str:
    """`3/4 · 75%`; `0/0 · —` when nothing was counted."""
    if not r:
        return "—"
    share = f"{r['rate'] * 100:.0f}%" if r["rate"] is not None else "—"
    return f"{r['numerator']}/{r['denominator']} · {share}"
