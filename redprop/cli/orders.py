"""`redprop issue sign|return|extend|urge|reply|verify`: the verbs of a work order from above.

Each is one step of the issue the order is, at --at, typed in now: parse, call one function of
`issues.commands`, show the issue as it stands after it. The issue is named by its number (37,
#37) or by its order's number (12345-20261204-0031).
"""

from typing import Annotated, Optional

import typer

from redprop.cli.common import AtOption, By, FormatOption, issue_step
from redprop.present.output import Format

Issue = Annotated[str, typer.Argument(help="The issue's number (37, #37) or its order's number (12345-20261204-0031).")]
Note = Annotated[Optional[str], typer.Option("--note", help="A note kept with the step.")]


def new_order(number: Optional[str], source: Optional[str], due: Optional[str]):
    """`issue open --order N --order-from S --order-due D`: the order, or None without --order."""
    from redprop.errors import InvalidValue

    if number is None:
        if source is not None or due is not None:
            raise InvalidValue("--order-from and --order-due describe a work order: give its number with --order")
        return None
    from redprop.issues.orders import NewOrder

    if not source:
        raise InvalidValue("--order-from: say who dispatched the order (12345, 网格中心…)")
    if not due:
        raise InvalidValue("--order-due: an order needs its deadline (like 3个工作日 or 2026-12-09 17:30)")
    return NewOrder(number=number, source=source, due=due)


def _step(app, verb: str, issue: str, at: Optional[str], by: Optional[str], fmt: Format, *args, **fields) -> None:
    from redprop.issues.orders import find_issue

    issue_step(app, verb, find_issue(app.store.conn, issue), at, by, fmt, *args, **fields)


def sign(ctx: typer.Context, issue: Issue, at: AtOption = None, by: By = None, note: Note = None, fmt: FormatOption = Format.table):
    """Sign for a work order (签收); late after the policy's sign-for limit (policy set --order-sign). Example: redprop issue sign 12345-20261204-0031 --at 10:20"""
    _step(ctx.obj, "sign", issue, at, by, fmt, note=note)


def return_(ctx: typer.Context, issue: Issue,
            reason: Annotated[str, typer.Option("--reason", help="Why it is not the community's to handle.")],
            at: AtOption = None, by: By = None, fmt: FormatOption = Format.table):
    """Return a work order as not ours (退回): it leaves every list of work and every count but the returns. Example: redprop issue return 41 --reason 属市政道路，非本社区辖区"""
    _step(ctx.obj, "return_order", issue, at, by, fmt, reason)


def extend(ctx: typer.Context, issue: Issue,
           to: Annotated[str, typer.Option("--to", help="The new deadline: a time, or N个工作日 from the deadline it extends.")],
           reason: Annotated[str, typer.Option("--reason", help="Why it needs longer.")],
           approved_by: Annotated[str, typer.Option("--approved-by", help="Who above approved the extension.")],
           at: AtOption = None, by: By = None, fmt: FormatOption = Format.table):
    """Extend a work order's deadline (延期); the old one stays in the timeline. Example: redprop issue extend 41 --to '2026-12-15 17:30' --reason 需等配件 --approved-by 街道网格中心"""
    _step(ctx.obj, "extend", issue, at, by, fmt, to, reason, approved_by)


def urge(ctx: typer.Context, issue: Issue,
         from_: Annotated[str, typer.Option("--from", help="Who urged it: 12345, 街道办…")],
         at: AtOption = None, by: By = None, note: Note = None, fmt: FormatOption = Format.table):
    """Record that a work order was urged from above (督办): counted, and marked in the morning list. Example: redprop issue urge 41 --from 街道办"""
    _step(ctx.obj, "urge", issue, at, by, fmt, from_, note=note)


def reply(ctx: typer.Context, issue: Issue,
          text: Annotated[str, typer.Option("--text", help="What was done (办理情况).")],
          solved: Annotated[str, typer.Option("--solved", help="yes or no (是否解决); yes wants the issue resolved.")],
          why_not: Annotated[Optional[str], typer.Option("--why-not", help="With --solved no: why it was not solved (未解决原因).")] = None,
          at: AtOption = None, by: By = None, fmt: FormatOption = Format.table):
    """Reply to a work order (反馈); it waits for verification, a reply alone never closes it. Example: redprop issue reply 41 --text 已清理并设置提示牌 --solved yes"""
    from redprop.issues.orders import parse_solved

    _step(ctx.obj, "reply", issue, at, by, fmt, text, parse_solved(solved), why_not)


def verify(ctx: typer.Context, issue: Issue,
           passed: Annotated[Optional[bool], typer.Option("--passed/--failed", help="Passed closes the order (结案); failed reopens the issue for rework (返工).")] = None,
           at: AtOption = None, by: By = None, note: Note = None, fmt: FormatOption = Format.table):
    """Record the verification of a reply (核查), the source's or the office's own. Example: redprop issue verify 41 --failed --note 现场仍有垃圾"""
    from redprop.errors import InvalidValue

    if passed is None:
        raise InvalidValue("say how the verification went: --passed or --failed")
    _step(ctx.obj, "verify", issue, at, by, fmt, passed, note=note)


def register(app: typer.Typer) -> None:
    """The order verbs, beside the issue's own under `redprop issue`."""
    for name, command in (("sign", sign), ("return", return_), ("extend", extend), ("urge", urge), ("reply", reply),
                          ("verify", verify)):
        app.command(name)(command)
