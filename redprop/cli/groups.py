"""`redprop group …`: the focus-group catalogue and who belongs to it when."""

from typing import Annotated, Optional

import typer

from redprop.cli import common
from redprop.cli.common import DryRun, FileArg, FormatOption, Key, Sheet, ShowSensitive, SkipInvalid, run_import, MaxRows
from redprop.exchange.limits import DEFAULT_MAX_ROWS
from redprop.present import care as show
from redprop.present.output import Format

group_app = common.sub_app("Focus groups (重点人群): catalogue, join, leave, members, import.")

GroupArg = Annotated[str, typer.Argument(help="Group: slug, Chinese or English label (elderly_alone, 独居老人, 'Elderly living alone').")]
Resident = Annotated[Optional[str], typer.Option("--resident", help="One person of the household (default: the whole household).")]
Zh = Annotated[Optional[str], typer.Option("--zh", help="Chinese label.")]
En = Annotated[Optional[str], typer.Option("--en", help="English label.")]
Duty = Annotated[Optional[str], typer.Option("--duty", help="visit (六访), ask (五问) or care.")]
Cadence = Annotated[Optional[int], typer.Option("--cadence", help="A member must be contacted every this many days.")]
DefaultDays = Annotated[Optional[int], typer.Option("--default-days", help="Membership ends by itself after this many days.")]
Sensitive = Annotated[Optional[bool], typer.Option("--sensitive/--not-sensitive", help="Masked in listings unless --show-sensitive.")]


def _group_values(zh, en, duty, cadence, default_days, sensitive):
    from redprop.vocab import DUTIES

    return {"zh": zh, "en": en, "duty": DUTIES.resolve(duty) if duty else None, "cadence_days": cadence,
            "default_days": default_days, "sensitive": sensitive}


@group_app.command("list")
def list_(ctx: typer.Context, fmt: FormatOption = Format.table):
    """The focus groups with their visit cadence. Example: redprop group list"""
    from redprop.groups import list_groups

    app = ctx.obj
    show.groups(app.output(fmt), list_groups(app.store))


@group_app.command("add")
def add(ctx: typer.Context, code: Annotated[str, typer.Argument(help="New slug, e.g. veteran.")], zh: Zh = None, en: En = None,
        duty: Duty = None, cadence: Cadence = None, default_days: DefaultDays = None, sensitive: Sensitive = None,
        fmt: FormatOption = Format.table):
    """Add a focus group. Example: redprop group add veteran --zh 退役军人 --en Veteran --cadence 30"""
    from redprop.groups import save_group

    app = ctx.obj
    group = save_group(app.store, code, _group_values(zh, en, duty, cadence, default_days, sensitive), create=True)
    show.group(app.output(fmt), group.as_dict())


@group_app.command("edit")
def edit(ctx: typer.Context, code: GroupArg, zh: Zh = None, en: En = None, duty: Duty = None, cadence: Cadence = None,
         default_days: DefaultDays = None, sensitive: Sensitive = None, fmt: FormatOption = Format.table):
    """Change a group's labels, cadence or default length. Example: redprop group edit 独居老人 --cadence 3"""
    from redprop.groups import save_group

    app = ctx.obj
    group = save_group(app.store, code, _group_values(zh, en, duty, cadence, default_days, sensitive), create=False)
    show.group(app.output(fmt), group.as_dict())


@group_app.command("join")
def join(ctx: typer.Context, household: Key, group: GroupArg, resident: Resident = None,
         since: Annotated[Optional[str], typer.Option("--since", help="First day of membership (default today).")] = None,
         until: Annotated[Optional[str], typer.Option("--until", help="Day it ends (default: the group's default length, if any).")] = None,
         note: Annotated[Optional[str], typer.Option("--note", help="Why, in a few words.")] = None,
         fmt: FormatOption = Format.table):
    """Put a household (or one resident) in a focus group from a date. Example: redprop group join 8-2-301 独居老人 --since 2026-01-01"""
    from redprop.groups import join_group

    app = ctx.obj
    store = app.store
    row = join_group(store, household, group, resident=resident, since=app.day(since, option="--since"),
                     until=app.day(until, default_today=False, option="--until", ahead=True), note=note,
                     now=app.now())
    show.membership(app.output(fmt, groups=True), row)


@group_app.command("leave")
def leave(ctx: typer.Context, household: Key, group: GroupArg, resident: Resident = None,
          on: Annotated[Optional[str], typer.Option("--on", help="Day it ends (default today).")] = None,
          reason: Annotated[Optional[str], typer.Option("--reason", help="found_work 找到工作, recovered 康复, moved_out 迁出, died 去世, ended 期满, other 其他.")] = None,
          fmt: FormatOption = Format.table):
    """End a membership, keeping its history. Example: redprop group leave 5-1-202 新近失业居民 --reason 找到工作"""
    from redprop.groups import leave_group
    from redprop.vocab import LEAVE_REASONS

    app = ctx.obj
    store = app.store
    row = leave_group(store, household, group, resident=resident, on=app.day(on, option="--on"),
                      reason=LEAVE_REASONS.resolve(reason) if reason else None, now=app.now())
    show.membership(app.output(fmt, groups=True), row)


@group_app.command("members")
def members(ctx: typer.Context, group: GroupArg,
            at: Annotated[Optional[str], typer.Option("--at", help="Members on this day (default today).")] = None,
            from_: Annotated[Optional[str], typer.Option("--from", help="Members at any time from this day…")] = None,
            to: Annotated[Optional[str], typer.Option("--to", help="…to this day (both needed).")] = None,
            show_sensitive: ShowSensitive = False, fmt: FormatOption = Format.table):
    """Who is (or was) in a group. Example: redprop group members 新近失业居民 --from 2026-03-01 --to 2026-03-31"""
    from redprop.groups import list_members
    from redprop.errors import InvalidValue

    app = ctx.obj
    store = app.store
    if bool(from_) != bool(to):
        raise InvalidValue("--from and --to go together")
    first = app.day(from_, option="--from") if from_ else None
    between = (first, app.day(to, option="--to", after=first)) if from_ else None
    if between:
        common.check_range(*between, "--from/--to")
    on = app.moment(at).date() if at else app.day(None)
    rows = list_members(store, group, on=on, between=between, show_sensitive=show_sensitive)
    show.memberships(app.output(fmt, groups=True), rows)


@group_app.command("import")
def import_(ctx: typer.Context, file: FileArg, dry_run: DryRun = False, skip_invalid: SkipInvalid = False, sheet: Sheet = None, max_rows: MaxRows = DEFAULT_MAX_ROWS,
            fmt: FormatOption = Format.table):
    """Load memberships (楼栋, 单元, 门牌号 or 户号, 姓名, 人群, 开始日期, 结束日期, 退出原因, 备注). Example: redprop group import sample_data/memberships.csv"""
    from redprop.exchange.care import import_memberships

    app = ctx.obj
    run_import(app, import_memberships, file, dry_run, skip_invalid, sheet, fmt, max_rows)
