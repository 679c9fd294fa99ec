"""`redprop config …`: the user's own settings — who I am, which database, which language."""

from typing import Annotated

import typer

from redprop.cli import common
from redprop.cli.common import FormatOption
from redprop.present import settings as show
from redprop.present.output import Format

config_app = common.sub_app("Your own settings (me, db, lang): show, set, unset.")

Key = Annotated[str, typer.Argument(metavar="setting", help="me (your name in the staff list), db (the database file or a server's URL), lang (zh or en) or community (a shared database's community, by code or name).")]


@config_app.command("show")
def show_(ctx: typer.Context, fmt: FormatOption = Format.table):
    """Each setting, its value and where it came from (--option, the environment, the settings file, the default). Example: redprop config show"""
    from redprop.cli.settings import SETTINGS

    app = ctx.obj
    rows = []
    for key, setting in SETTINGS.items():
        value, source, where = app.setting(key)
        rows.append({"key": key, "value": value if value is not None else _default(app, key), "source": source,
                     "where": where, "variable": setting.variable, "about": setting.help})
    show.settings(app.output(fmt), rows, app.config_path)


def _default(app, key: str):
    """What a setting is when nobody set it."""
    if key == "db":
        return str(app.target)
    if key == "lang":
        return app.language.code
    return None


@config_app.command("set")
def set_(ctx: typer.Context, key: Key, value: Annotated[str, typer.Argument(help="The value.")]):
    """Keep a setting in your settings file (mode 0600; $REDPROP_CONFIG names another file).

    \b
    Example: redprop config set me 王建国
    Example: redprop config set db ~/mlsj.db
    Example: redprop config set lang en
    """
    from redprop.cli.settings import read_config, setting, write_config

    app = ctx.obj
    chosen = setting(key)
    with common.naming(chosen.key):
        kept = chosen.clean(value)
    path = app.config_path
    values = read_config(path)
    values[chosen.key] = kept
    write_config(path, values)
    out = app.output()
    show.set_done(out, chosen.key, kept, path, overridden=app.setting(chosen.key) if chosen.variable else None)
    if chosen.key == "me":
        _check_me(app, kept, out)


def _check_me(app, name: str, out) -> None:
    """A name the database's staff list does not have is kept, with a warning naming the closest:
    the database may be another one, or not made yet."""
    from redprop.staff import find_staff, nearest_staff

    try:
        from redprop.store import Server

        if not isinstance(app.target, Server) and not app.db_path.exists():
            return
        store = app.store
        if find_staff(store, name) is None:
            show.not_staff(out, name, nearest_staff(store.conn, name))
    except Exception:  # noqa: BLE001 - a warning only: the setting is kept whatever the database
        return


@config_app.command("unset")
def unset(ctx: typer.Context, key: Key):
    """Remove a setting from your settings file: the environment or the default applies again. Example: redprop config unset db"""
    from redprop.cli.settings import read_config, setting, write_config

    app = ctx.obj
    chosen = setting(key)
    path = app.config_path
    values = read_config(path)
    was = values.pop(chosen.key, None)
    if was is not None:
        write_config(path, values)
    show.unset_done(app.output(), chosen.key, was, path)
