"""Order sheets in: the lists of work orders the 12345 and grid-centre platforms hand out.

`issue import` reads a sheet as an order sheet when its header names a dispatch time or a
deadline (派单时间, 办结时限) or a 诉求类型: xlsx or CSV with headers such as 工单编号/工单号,
来源, 诉求类型, 诉求内容, 诉求人, 联系电话, 地址, 派单时间, 办结时限. Each row is a work order
handled as a new issue (a problem, reported at its dispatch): its address is matched to a
household where it names one (`8-2-301`, `8号楼2单元301`, within a longer address too), else
kept as the place; its 诉求类型 finds its category through the categories' upstream classes
(`issue category edit parking --upstream 街面秩序/乱停车`), else 其他, and the summary lists the
types that fell to 其他. The deadline is a time or working time from the dispatch (3个工作日).

Every row is checked before anything is written; an order already on record (the same
number from the same source) is unchanged, so importing the same sheet twice adds nothing.
The rows are written through the issues' own writer (issues.commands): this module holds no SQL
that writes.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from redprop.errors import N_, InvalidValue, Message, RedpropError
from redprop.exchange.sheets import DEFAULT_MAX_ROWS, Field, ImportResult, finish, read_sheet, row_error
from redprop.exchange.issues import _first_line as first_line
from redprop.parsing import clean_line, clean_name, clean_phone, clean_text, parse_instant

ORDER_FIELDS = [
    Field("number", ("工单编号", "工单号", "编号", "单号", "order_number", "order_no"), required=True),
    Field("source", ("来源", "工单来源", "派单来源", "派单单位", "source")),
    Field("upstream_type", ("诉求类型", "问题类型", "事项类型", "诉求分类", "type")),
    Field("title", ("标题", "诉求标题", "事项", "title")),
    Field("description", ("诉求内容", "内容", "问题描述", "描述", "content", "description")),
    Field("reporter", ("诉求人", "反映人", "来电人", "联系人", "caller")),
    Field("phone", ("联系电话", "电话", "来电号码", "phone")),
    Field("address", ("地址", "诉求地址", "事发地址", "发生地址", "address")),
    Field("dispatched_at", ("派单时间", "派遣时间", "下派时间", "dispatched_at"), required=True),
    Field("due", ("办结时限", "处理时限", "办理时限", "时限", "due"), required=True),
]
ORDER_HEADERS = [Field(f.name, f.headers) for f in ORDER_FIELDS if f.name in ("dispatched_at", "due", "upstream_type")]
_FUTURE_SLACK = timedelta(minutes=1)
_ADDRESS = re.compile(r"(\d+)\s*(?:栋|幢|号楼|座)\s*(?:(\d+)\s*单元)?\s*(\d+)\s*(?:室|号)?"  # 8号楼2单元301
                      r"|(\d+)-(\d+)-(\d+)|(\d+)-(\d+)")  # 8-2-301, 8-301
_BUILDING = re.compile(r"(\d+)\s*(?:栋|幢|号楼|座)")


@dataclass
class OrderImportResult(ImportResult):
    other_types: list[str] = field(default_factory=list)  # 诉求类型 with no category: filed as 其他

    def as_dict(self) -> dict:
        return {**super().as_dict(), "other_types": self.other_types}


def is_order_sheet(path: Path, sheet: str | None = None) -> bool:
    """Whether the file's header names a dispatch time, a deadline or a 诉求类型: an order sheet."""
    try:
        _rows, _errors, _ignored, headers = read_sheet(path, ORDER_HEADERS, sheet, DEFAULT_MAX_ROWS)
    except InvalidValue:
        return False
    return bool(headers)


@dataclass
class _Order:
    number: str
    source: str
    upstream_type: str | None
    title: str
    description: str | None
    reporter: str | None
    phone: str | None
    household: str | None
    place: str | None
    building: str | None
    dispatched: datetime
    due: str
    category: str


def import_orders(store, path: Path, now: datetime, *, dry_run=False, skip_invalid=False, sheet=None,
                  max_rows=DEFAULT_MAX_ROWS, source: str | None = None) -> OrderImportResult:
    """Load an order sheet: every row checked, then each new order written as an issue with its
    order, in one transaction (or nothing: a bad row refuses the file unless --skip-invalid)."""
    from redprop.codes import upstream_lookup
    from redprop.issues.categories import list_categories
    from redprop.issues.commands import NewIssue, insert_issue
    from redprop.issues.orders import NewOrder, order_deadline
    from redprop.policy.terms import TermsCache

    rows, errors, ignored, headers = read_sheet(path, ORDER_FIELDS, sheet, max_rows)
    if "source" not in headers and not source:
        raise InvalidValue("{file}: no column for the orders' source (来源); or say who dispatched them: --order-from",
                           file=path.name)
    if "title" not in headers and "description" not in headers:
        raise InvalidValue("{file}: no column for what the order is about (诉求内容 or 标题)", file=path.name)
    types = upstream_lookup(list_categories(store))
    households = {r[0]: r[1] for r in store.conn.execute("SELECT key, building FROM households WHERE moved_out_on IS NULL")}
    on_record = {tuple(r) for r in store.conn.execute("SELECT source, number FROM orders")}
    terms = TermsCache(store)
    result = OrderImportResult(dry_run=dry_run, ignored_columns=ignored)
    seen: dict = {}
    fresh: list[_Order] = []
    other_types: set[str] = set()
    for row in rows:
        try:
            order = _read(row, source, now, store.tz, types, households)
            office = terms.in_force(order.dispatched)[1]
            due = _cell("due", lambda t: order_deadline(office, order.dispatched, t, now, store.tz, relative=False),
                        order.due)
            if due <= order.dispatched:
                raise _CellError("due", Message("due {due}, not after its dispatch", due=order.due))
        except RedpropError as error:
            errors.append(row_error(row.number, error.message, _column_of(error, row)))
            continue
        key = (order.source, order.number)
        if key in seen:
            if seen[key][1] != order:
                errors.append(row_error(row.number, Message("the same order as row {other} with different values",
                                                            other=seen[key][0]), row.headers.get("number")))
            continue
        seen[key] = (row.number, order)
        if key in on_record:
            result.unchanged += 1
            continue
        if order.category == "other" and order.upstream_type and order.upstream_type not in types:
            other_types.add(order.upstream_type)
        fresh.append(order)
    finish(result, errors, skip_invalid, N_("order"))
    result.other_types = sorted(other_types)
    with store.write(source=path, dry_run=dry_run, counts=result) as conn:
        for order in sorted(fresh, key=lambda o: o.dispatched):
            new = NewIssue(kind="problem", category=order.category, channel=_channel(order.source), title=order.title,
                           household=order.household, place=order.place, building=order.building,
                           reporter=order.reporter, description=order.description)
            insert_issue(store, conn, new, order.dispatched, now, order=NewOrder(
                number=order.number, source=order.source, due=order.due, upstream_type=order.upstream_type,
                caller_phone=order.phone))
            result.added += 1
    return result


def _column_of(error: RedpropError, row) -> str | None:
    column = getattr(error, "column", None)
    return row.headers.get(column) if column else None


class _CellError(InvalidValue):
    def __init__(self, column: str, message):
        super().__init__(message)
        self.column = column


def _cell(column: str, read, text: str):
    try:
        return read(text)
    except RedpropError as error:
        raise _CellError(column, error.message) from None


def _read(row, source: str | None, now: datetime, tz, types: dict, households: dict) -> _Order:
    """One row's order, or a _CellError naming its column."""
    get = row.get
    number = _cell("number", clean_line, get("number"))
    if not number:
        raise _CellError("number", Message("no order number"))
    origin = _cell("source", clean_line, get("source")) or source
    if not origin:
        raise _CellError("source", Message("no source (来源)"))

    def instant(text: str):
        if not text:
            raise InvalidValue("no dispatch time")
        moment = parse_instant(text, now=now, tz=tz, relative=False, clock24=True)
        if moment > now + _FUTURE_SLACK:
            raise InvalidValue("{text!r} is in the future", text=text)
        return moment

    dispatched = _cell("dispatched_at", instant, get("dispatched_at"))
    due = get("due").strip()
    if not due:
        raise _CellError("due", Message("no deadline (办结时限)"))
    description = _cell("description", clean_text, get("description"))
    title = _cell("title", clean_line, get("title")) or first_line(description or "")
    if not title:
        raise _CellError("description", Message("no title or content"))
    upstream = _cell("upstream_type", clean_line, get("upstream_type"))
    if upstream:
        upstream = re.sub(r"\s*[/／]\s*", "/", upstream)
    address = _cell("address", clean_line, get("address"))
    if not address:
        raise _CellError("address", Message("no address (地址)"))
    household, building = _household(address, households)
    return _Order(
        number=number, source=origin, upstream_type=upstream or None, title=title, description=description or None,
        reporter=_cell("reporter", clean_name, get("reporter")) or None,
        phone=_cell("phone", clean_phone, get("phone")) if get("phone") else None,
        household=household, place=None if household else address, building=building, dispatched=dispatched,
        due=due, category=types.get(upstream) or types.get((upstream or "").rsplit("/", 1)[-1]) or "other",
    )


def _household(address: str | None, households: dict) -> tuple[str | None, str | None]:
    """(the household the address names, if on record; the building it names)."""
    if not address:
        return None, None
    for m in _ADDRESS.finditer(address):
        groups = m.groups()
        if groups[0]:
            key = "-".join(g for g in groups[0:3] if g)
        elif groups[3]:
            key = "-".join(groups[3:6])
        else:
            key = "-".join(groups[6:8])
        if key in households:
            return key, households[key]
    building = _BUILDING.search(address)
    return None, building.group(1) if building else None


def _channel(source: str) -> str:
    """The hotline for a 12345 order; other for the grid centre and the rest."""
    return "hotline" if "12345" in source or "热线" in source else "other"
