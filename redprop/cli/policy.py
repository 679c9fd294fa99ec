"""`redprop policy …`: the response-time promise (5341 by default), shown and changed."""

from typing import Annotated, Optional

import typer

from redprop.cli import common
from redprop.cli.common import AtOption, FormatOption
from redprop.present import policy as show
from redprop.present.output import Format

policy_app = common.sub_app("The response-time promise (5341 by default): show, set.")


@policy_app.command("show")
def policy_show(ctx: typer.Context, at: AtOption = None,
                history: Annotated[bool, typer.Option("--history", help="Every version, oldest first.")] = False,
                fmt: FormatOption = Format.table):
    """The promise in force (per kind and tier, the follow-up call, working hours, pauses). Example: redprop policy show"""
    from redprop.policy.terms import policy_history, show_policy

    app = ctx.obj
    store = app.store
    versions = policy_history(store) if history else [show_policy(store, app.moment(at))]
    show.policies(app.output(fmt), versions, history)


@policy_app.command("set")
def policy_set(
    ctx: typer.Context,
    kind: Annotated[Optional[str], typer.Option("--kind", help="Whose promises --arrive/--resolve/--plan change: problem 问题 (the default) or wish 需求.")] = None,
    arrive: Annotated[Optional[list[str]], typer.Option("--arrive", metavar="[TIER=]TIME", help="On-site time: 10m for every tier, or major=10m; 'none' removes it.")] = None,
    resolve: Annotated[Optional[list[str]], typer.Option("--resolve", metavar="[TIER=]TIME", help="Resolution time: normal=1h, major=8h, complex=5d.")] = None,
    plan: Annotated[Optional[list[str]], typer.Option("--plan", metavar="[TIER=]TIME", help="Written-plan (or reply) time: complex=1d.")] = None,
    follow_up: Annotated[Optional[str], typer.Option("--follow-up", help="The follow-up call (回访) is due this long after a resolution, like 3d; 'none' for no such promise.")] = None,
    order_sign: Annotated[Optional[str], typer.Option("--order-sign", help="A work order from above (12345, the grid centre) is signed for within this long of its dispatch, like 2h; 'none' for no limit.")] = None,
    hours: Annotated[Optional[str], typer.Option("--hours", help="Working hours, like 08:30-12:00,14:00-18:00; 'none' counts round the clock.")] = None,
    chinese_calendar: Annotated[Optional[bool], typer.Option("--chinese-calendar/--no-chinese-calendar", help="Under working hours, rest on China's public holidays and work the 调休 make-up days (default on).")] = None,
    weekend: Annotated[Optional[str], typer.Option("--weekend", help="Weekly rest days, like sat,sun or 周日; 'none' for none.")] = None,
    holidays: Annotated[Optional[str], typer.Option("--holidays", help="The community's own extra days off, like 2026-12-31,2027-01-04 (replaces the list).")] = None,
    workdays: Annotated[Optional[str], typer.Option("--workdays", help="The community's own extra working days (replaces the list).")] = None,
    pause: Annotated[Optional[str], typer.Option("--pause", help="Statuses that stop the clock: waiting_resident,waiting_parts,escalated; 'none' for none.")] = None,
    name: Annotated[Optional[str], typer.Option("--name", help="A name for the promise, like 5341.")] = None,
    reset: Annotated[bool, typer.Option("--reset", help="Start from the shipped 5341 promise instead of the one in force.")] = False,
    from_: Annotated[Optional[str], typer.Option("--from", help="In force from this moment (default now); issues reported earlier keep their deadlines.")] = None,
    note: Annotated[Optional[str], typer.Option("--note", help="Why the promise changed (kept with the version).")] = None,
    fmt: FormatOption = Format.table,
):
    """Change the promise from a moment on; issues already reported keep their deadlines.

    Durations: 5m, 30m, 4h, 1h30m, 1d (a day is one working day under working hours).
    --arrive/--resolve/--plan change problems' promises, or wishes' with --kind wish.

    \b
    Example: redprop policy set --resolve normal=1h --hours 08:30-12:00,14:00-18:00 --pause waiting_resident,waiting_parts
    Example: redprop policy set --kind wish --arrive none --resolve none --plan 3d --follow-up 2d
    """
    from redprop.policy.terms import PolicyChanges, parse_kind, parse_promise_options, set_policy

    app = ctx.obj
    store = app.store
    promises = {}
    which = parse_kind(kind)
    for promise, specs in (("arrive", arrive), ("resolve", resolve), ("plan", plan)):
        promises.update(parse_promise_options(promise, specs or [], which))
    changes = PolicyChanges(promises=promises, name=name, follow_up=follow_up, order_sign=order_sign, hours=hours, chinese_calendar=chinese_calendar,
                            weekend=weekend, holidays=holidays, workdays=workdays, pause_statuses=pause)
    now = app.now()
    effective = app.moment(from_, "--from", ahead=True) if from_ else now
    policy = set_policy(store, changes, effective, now, note, reset=reset)
    show.policies(app.output(fmt), [policy], history=False)
