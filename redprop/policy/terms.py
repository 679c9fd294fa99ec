"""The response-time promise as a policy: 5341 by default, every number a community's to change.

A policy says, for each kind of issue (a problem 问题, a wish 需求) and each tier (normal 一般,
major 重大, complex 特殊复杂), how long the office may take to be on site (`arrive`), to solve
it (`resolve`) and to hand over a written plan or reply (`plan`); and how soon after a
resolution the follow-up call (回访) is due (`follow_up`). The shipped default is the 5341
rule of seed 004 for problems: on site within 5 minutes for every tier, solved within 30
minutes (normal) or 4 hours (major), a written plan within 1 day (complex, which has no
resolution deadline unless a community sets one). A wish from the wish wall is not an
emergency: wishes get no on-site or solve clock, but a written reply or plan within 3 days.
The call is due 3 days after the resolution.

In the stored document the tiers at the top level are the problems' promises (as they were
before wishes had their own) and `wish` holds the wishes'. A document stored before wishes
had their own (no `wish` key) promised wishes what it promised problems, and no follow-up
call: it is read that way, so that deadlines already fixed stay as they were.

Optionally the clock counts only working time (`hours`, with China's public holidays and
调休 make-up days from `chinese_calendar` unless switched off, the community's own extra
holidays and workdays, and its weekly rest days), and names the statuses that stop the
clock while an issue waits (`waiting_resident`, `waiting_parts`, `escalated`).

Durations are written `5m`, `30m`, `4h`, `1h30m`, `1d`. A day (`d`) is 24 hours round the
clock; under working hours it is one working day (the length of the day's hours, 7.5 h for
08:30-12:00 + 14:00-18:00), so "a plan within 1 day" means by the same time the next
working day, as a community means it.

Policies are history: `policy set` appends a version in force from a moment on, and never
edits one. An issue takes its deadlines from the version in force when it was reported and
keeps them: a later change of policy does not rewrite the past.

Validation of what a worker types (`policy set`) uses a pydantic model; it is built on
first use (`policy_model()`), so that the commands that only *read* a policy — every issue
step, `overdue` — do not pay pydantic's start-up. Stored policies were validated on the way
in and are read back with plain code (`terms_from_json`).
"""

import json
import re
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo
from typing import NamedTuple

from redprop.errors import InvalidSetting, InvalidValue, Message
from redprop.vocab import PROMISES, TIER_CODES, TIERS, WAITING_CODES, WEEKDAYS

PAUSABLE = ("waiting_resident", "waiting_parts", "escalated")
_WEEKDAY_WORDS = {
    **{w: i for i, w in enumerate(WEEKDAYS)},
    **{w: i for i, w in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))},
    **{w: i for i, w in enumerate(("周一", "周二", "周三", "周四", "周五", "周六", "周日"))},
    **{w: i for i, w in enumerate(("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"))},
    "周天": 6, "星期天": 6,
}
NONE_WORDS = {"", "none", "no", "off", "-", "—", "无", "不限"}
MAX_PROMISE_DAYS = 90  # a longer promise is no promise; it also keeps deadline arithmetic in range
ROUND_THE_CLOCK_WORDS = NONE_WORDS | {"always", "24h", "24/7", "全天", "全天候"}

KINDS = ("problem", "wish")
SHIPPED_WISH = {tier: {"arrive": None, "resolve": None, "plan": "3d"} for tier in TIERS}
SHIPPED_FOLLOW_UP = "3d"
SHIPPED_ORDER_SIGN = "2h"  # a work order from above is signed for within 2 hours of its dispatch
DEFAULT_POLICY = {  # 5341 (seed 004): seeded by migration m003, with wishes and the call by m006
    "name": "5341",
    "normal": {"arrive": "5m", "resolve": "30m", "plan": None},
    "major": {"arrive": "5m", "resolve": "4h", "plan": None},
    "complex": {"arrive": "5m", "resolve": None, "plan": "1d"},
    "wish": SHIPPED_WISH,
    "follow_up": SHIPPED_FOLLOW_UP,
    "hours": None,
    "chinese_calendar": True,
    "weekend": ["sat", "sun"],
    "holidays": [],
    "workdays": [],
    "pause_statuses": [],
}

_PART = re.compile(
    r"(\d+(?:\.\d+)?)\s*(days?|d|天|日|hours?|hrs?|h|小时|时|minutes?|mins?|m|分钟|分)", re.IGNORECASE
)
_UNIT = {"d": "d", "day": "d", "days": "d", "天": "d", "日": "d",
         "h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h", "小时": "h", "时": "h",
         "m": "m", "min": "m", "mins": "m", "minute": "m", "minutes": "m", "分钟": "m", "分": "m"}


class Duration:
    """A promised time: whole days (working days under working hours) plus minutes; never changed
    once made (a plain class, not a frozen dataclass: making one costs half a millisecond of
    every start)."""

    __slots__ = ("days", "minutes")

    def __init__(self, days: int = 0, minutes: int = 0):
        self.days, self.minutes = days, minutes

    def __eq__(self, other):
        return (self.days, self.minutes) == (other.days, other.minutes) if other.__class__ is self.__class__ else NotImplemented

    def __hash__(self) -> int:
        return hash((self.days, self.minutes))

    def __repr__(self) -> str:
        return f"Duration(days={self.days!r}, minutes={self.minutes!r})"

    def __str__(self) -> str:
        hours, minutes = divmod(self.minutes, 60)
        text = (f"{self.days}d" if self.days else "") + (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
        return text or "0m"

    def span(self, schedule) -> timedelta:
        """The counted time this duration stands for under `schedule` (None: round the clock)."""
        day = working_day_length(schedule) if schedule is not None else timedelta(days=1)
        return self.days * day + timedelta(minutes=self.minutes)

    def too_long(self) -> bool:
        """Longer than MAX_PROMISE_DAYS days, a day counted as 24 hours (a working day under working hours)."""
        return self.days * 1440 + self.minutes > MAX_PROMISE_DAYS * 1440


def parse_duration(text: str) -> Duration:
    """`5m`, `30 min`, `4h`, `1h30m`, `1.5h`, `1d`, `5分钟`, `4小时`, `1天`; a bare number is minutes."""
    raw = str(text).strip()
    if re.fullmatch(r"\d+", raw):
        raw += "m"
    position, days, minutes = 0, 0, 0.0
    compact = raw.replace(" ", "")
    for m in _PART.finditer(compact):
        if m.start() != position:
            break
        amount, unit = float(m.group(1)), _UNIT[m.group(2).lower()]
        if unit == "d":
            if not amount.is_integer():
                raise InvalidSetting("{text!r}: days must be whole (write 12h rather than 0.5d)", text=text)
            days += int(amount)
        else:
            minutes += amount * (60 if unit == "h" else 1)
        position = m.end()
    if position != len(compact) or not compact:
        raise InvalidSetting("{text!r} is not a duration (like 5m, 30m, 4h, 1h30m, 1d)", text=text)
    if not minutes.is_integer():
        raise InvalidSetting("{text!r} is not a whole number of minutes", text=text)
    duration = Duration(days, int(minutes))
    if duration == Duration():
        raise InvalidSetting("{text!r}: a promise needs a time longer than zero", text=text)
    return duration


def parse_hours(text: str) -> tuple[tuple[time, time], ...]:
    """`08:30-12:00,14:00-18:00` → periods; 24:00 (or 00:00) as an end is midnight."""
    periods = []
    for part in re.split(r"[,，;；\s]+", text.strip()):
        if not part:
            continue
        m = re.fullmatch(r"(\d{1,2})[:：](\d{2})\s*[-~–至到]\s*(\d{1,2})[:：](\d{2})", part)
        if not m:
            raise InvalidSetting("{part!r} is not a period of working hours (like 08:30-12:00)", part=part)
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if h2 == 24 and m2 == 0:
            h2 = 0
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise InvalidSetting("{part!r} is not a period of working hours (like 08:30-12:00)", part=part)
        periods.append((time(h1, m1), time(h2, m2)))
    if not periods:
        raise InvalidSetting("no working hours given (like 08:30-12:00,14:00-18:00, or 'none' for round the clock)")
    return tuple(periods)


def format_hours(periods) -> str:
    return ",".join(f"{a:%H:%M}-{'24:00' if b == time(0, 0) else f'{b:%H:%M}'}" for a, b in periods)


def parse_weekday(text: str) -> str:
    word = str(text).strip().lower()
    if word in _WEEKDAY_WORDS:
        return WEEKDAYS[_WEEKDAY_WORDS[word]]
    if word.isdigit() and 1 <= int(word) <= 7:
        return WEEKDAYS[int(word) - 1]
    raise InvalidSetting("{text!r} is not a day of the week (mon … sun, 周一 … 周日, 1 … 7)", text=text)


def working_day_length(schedule) -> timedelta:
    total = timedelta(0)
    for opens, closes in schedule.hours:
        start = timedelta(hours=opens.hour, minutes=opens.minute)
        end = timedelta(hours=closes.hour, minutes=closes.minute) or timedelta(days=1)
        total += end - start
    return total


class Terms:
    """A stored policy as the deadline arithmetic needs it (read without pydantic); never changed
    once made. A plain class, not a frozen dataclass (half a millisecond of every start)."""

    __slots__ = ("name", "durations", "schedule", "pause_statuses", "follow_up", "order_sign", "office")
    __hash__ = None  # its durations are a dict

    def __init__(self, name: str, durations: dict, schedule: object, pause_statuses: frozenset,
                 follow_up: Duration | None = None, order_sign: Duration | None = None, office: object = None):
        self.name = name
        self.durations = durations  # (kind, tier, promise) -> Duration
        self.schedule = schedule  # WorkSchedule, or None: the clock runs round the clock
        self.pause_statuses = pause_statuses
        self.follow_up = follow_up  # the call after a resolution
        self.order_sign = order_sign  # a work order signed for after its dispatch
        self.office = office  # () -> WorkSchedule: the office's hours and working days (not compared)

    def _compared(self) -> tuple:
        return (self.name, self.durations, self.schedule, self.pause_statuses, self.follow_up, self.order_sign)

    def __eq__(self, other):
        return self._compared() == other._compared() if other.__class__ is self.__class__ else NotImplemented

    def __repr__(self) -> str:
        return (f"Terms(name={self.name!r}, durations={self.durations!r}, schedule={self.schedule!r}, pause_statuses="
                f"{self.pause_statuses!r}, follow_up={self.follow_up!r}, order_sign={self.order_sign!r}, office={self.office!r})")

    def span(self, kind: str, tier: str, promise: str) -> timedelta | None:
        duration = self.durations.get((kind, tier, promise))
        return None if duration is None else duration.span(self.schedule)

    def base_deadlines(self, kind: str, tier: str, reported_at: datetime) -> dict[str, datetime | None]:
        """Each promise's deadline for a `kind` issue of `tier` counted from the report, before any pause."""
        return {promise: self.deadline(kind, tier, promise, reported_at) for promise in PROMISES}

    def provisional_years(self, start: datetime, due: datetime | None) -> list[int]:
        """Years not loaded in the holiday calendar that the deadline from `start` to `due` crossed."""
        from redprop.policy.worktime import provisional_years

        return provisional_years(self.schedule, start, due) if self.schedule is not None else []

    def follow_up_deadline(self, resolved_at: datetime) -> datetime | None:
        """When the follow-up call (回访) after a resolution at `resolved_at` is due; None: no such promise."""
        if self.follow_up is None:
            return None
        return self._count("follow_up", "—", resolved_at, self.follow_up.span(self.schedule), ())

    def sign_deadline(self, dispatched_at: datetime) -> datetime | None:
        """When a work order dispatched at `dispatched_at` is to be signed for; None: no such limit."""
        if self.order_sign is None:
            return None
        return self._count("sign", "—", dispatched_at, self.order_sign.span(self.schedule), ())

    def deadline(self, kind: str, tier: str, promise: str, reported_at: datetime, pauses: tuple = ()) -> datetime | None:
        """When `promise` falls due for `tier`, the clock stopped during `pauses`; None when there is
        no such promise, or an open pause stops the clock. A schedule that (nearly) never works, or a
        deadline past the calendar's end, is a one-line InvalidValue. `policy set` refuses what it can
        foresee from when a policy comes into force; this guards the rest (holidays listed years
        ahead, a pause of years, a policy stored before those checks)."""
        span = self.span(kind, tier, promise)
        if span is None:
            return None
        return self._count(promise, tier, reported_at, span, pauses)

    def _count(self, promise: str, tier: str, reported_at: datetime, span: timedelta, pauses: tuple) -> datetime | None:
        from redprop.policy.worktime import add_working_time

        try:
            if self.schedule is None and not pauses:
                return reported_at + span
            return add_working_time(reported_at, span, self.schedule, pauses)
        except (ValueError, OverflowError) as e:
            reason = e.message if isinstance(e, InvalidValue) else Message("a date or time out of range")
            raise InvalidValue(
                "the promise in force ({name}) gives no {promise} deadline for a {tier} issue reported {day}: {reason};"
                " see `redprop policy show` and correct it with `redprop policy set`",
                name=self.name or "—", promise=promise, tier=tier, day=reported_at.strftime("%Y-%m-%d"), reason=reason,
            ) from None


def effective_document(stored: dict) -> dict:
    """A stored document with every setting: one stored before wishes had their own promises
    (no `wish`) promised wishes what it promised problems, and no follow-up call; one stored
    before work orders (no `order_sign`) has the shipped sign-for limit (no order was recorded
    under it before)."""
    doc = {**DEFAULT_POLICY, "follow_up": None, "order_sign": SHIPPED_ORDER_SIGN, **stored}
    if "wish" not in stored:
        doc["wish"] = {tier: dict(doc[tier] or {}) for tier in TIERS}
    return doc


def kind_promises(doc: dict, kind: str) -> dict:
    """{tier: {promise: text or None}} of one kind in an effective document."""
    return {tier: dict((doc["wish"] if kind == "wish" else doc)[tier] or {}) for tier in TIERS}


def terms_from_json(text: str, tz: ZoneInfo, calendar=None) -> Terms:
    """Read a stored (already validated) policy document; `calendar` is the HolidayCalendar that
    working hours count by, or a function giving it (called only then); None: the
    chinesecalendar package's."""
    doc = effective_document(json.loads(text))
    durations = {}
    for kind in KINDS:
        for tier, promises in kind_promises(doc, kind).items():
            for promise, value in promises.items():
                if value:
                    durations[(kind, tier, promise)] = parse_duration(value)
    follow_up = parse_duration(doc["follow_up"]) if doc.get("follow_up") else None
    order_sign = parse_duration(doc["order_sign"]) if doc.get("order_sign") else None

    def working(hours: str | None):
        from redprop.policy.worktime import WorkSchedule

        return WorkSchedule(
            tz=tz,
            **({"hours": parse_hours(hours)} if hours else {}),
            use_chinese_calendar=bool(doc.get("chinese_calendar", True)),
            calendar=calendar() if callable(calendar) else calendar,
            extra_holidays=frozenset(date.fromisoformat(d) for d in doc.get("holidays") or ()),
            extra_workdays=frozenset(date.fromisoformat(d) for d in doc.get("workdays") or ()),
            weekend=frozenset(WEEKDAYS.index(w) for w in doc.get("weekend") or ()),
        )

    schedule = working(",".join(doc["hours"])) if doc.get("hours") else None
    # Orders counted in working days or hours (3个工作日) count by the office's hours where the
    # policy has them, else by the usual office hours, on the policy's working days.
    office = (lambda: schedule) if schedule is not None else cache(lambda: working(None))
    return Terms(doc.get("name") or "", durations, schedule, frozenset(doc.get("pause_statuses") or ()), follow_up,
                 order_sign, office)


def promise_duration(value) -> str | None:
    """A promised time as stored (`30m`, `1d`), None for 'none'; longer than any promise is refused."""
    if value is None or str(value).strip().lower() in NONE_WORDS:
        return None
    duration = parse_duration(str(value))
    if duration.too_long():
        raise InvalidSetting("{value!r} is longer than {days} days, the longest promise redprop keeps",
                             value=value, days=MAX_PROMISE_DAYS)
    return str(duration)


@cache
def policy_model():
    """The pydantic model of a policy document, built on first use (see the module's docstring)."""
    from pydantic import BaseModel, ConfigDict, field_validator, model_validator

    class TierPromises(BaseModel):
        model_config = ConfigDict(extra="forbid")
        arrive: str | None = None
        resolve: str | None = None
        plan: str | None = None

        @field_validator("arrive", "resolve", "plan", mode="before")
        @classmethod
        def _duration(cls, value):
            return promise_duration(value)

    class KindPromises(BaseModel):
        model_config = ConfigDict(extra="forbid")
        normal: TierPromises
        major: TierPromises
        complex: TierPromises

    class Policy(BaseModel):
        model_config = ConfigDict(extra="forbid")
        name: str = "5341"
        normal: TierPromises
        major: TierPromises
        complex: TierPromises
        wish: KindPromises
        follow_up: str | None = None
        order_sign: str | None = None
        hours: list[str] | None = None
        chinese_calendar: bool = True
        weekend: list[str] = ["sat", "sun"]
        holidays: list[date] = []
        workdays: list[date] = []
        pause_statuses: list[str] = []

        @field_validator("follow_up", "order_sign", mode="before")
        @classmethod
        def _follow_up(cls, value):
            return promise_duration(value)

        @field_validator("hours", mode="before")
        @classmethod
        def _hours(cls, value):
            if value is None:
                return None
            text = ",".join(value) if isinstance(value, (list, tuple)) else str(value)
            if text.strip().lower() in ROUND_THE_CLOCK_WORDS:
                return None
            return format_hours(parse_hours(text)).split(",")

        @field_validator("weekend", mode="before")
        @classmethod
        def _weekend(cls, value):
            if isinstance(value, str) and value.strip().lower() in NONE_WORDS:
                return []
            items = re.split(r"[,，、\s]+", value.strip()) if isinstance(value, str) else list(value)
            days = {parse_weekday(v) for v in items if str(v).strip()}
            if len(days) == len(WEEKDAYS):
                raise InvalidSetting("every day of the week would be a rest day; keep at least one working day")
            return [w for w in WEEKDAYS if w in days]

        @field_validator("pause_statuses", mode="before")
        @classmethod
        def _pauses(cls, value):
            if isinstance(value, str):
                value = [] if value.strip().lower() in NONE_WORDS else re.split(r"[,，、\s]+", value.strip())
            chosen = []
            for item in value:
                slug = pause_status_slug(str(item))
                if slug not in chosen:
                    chosen.append(slug)
            return chosen

        @field_validator("holidays", "workdays", mode="after")
        @classmethod
        def _sorted(cls, value):
            return sorted(set(value))

        @model_validator(mode="after")
        def _consistent(self):
            both = set(self.holidays) & set(self.workdays)
            if both:
                raise InvalidSetting("{days} listed both as holiday and as workday", days=[str(d) for d in sorted(both)])
            if self.hours is not None:
                from redprop.policy.worktime import WorkSchedule

                try:
                    WorkSchedule(tz=ZoneInfo("UTC"), hours=parse_hours(",".join(self.hours)))
                except InvalidSetting as e:
                    raise InvalidSetting("hours {hours}: {reason}", hours=",".join(self.hours), reason=e.message) from None
            return self

    return Policy


def pause_status_slug(text: str) -> str:
    try:
        return WAITING_CODES.resolve(text)
    except InvalidValue as e:
        raise InvalidSetting(e.message) from None


def validate_policy(document: dict) -> dict:
    """Check a policy document with the pydantic model; one-line InvalidValue on the first fault."""
    from pydantic import ValidationError

    try:
        policy = policy_model().model_validate(document)
    except ValidationError as e:
        first = e.errors()[0]
        fault = (first.get("ctx") or {}).get("error")
        reason = fault.message if isinstance(fault, InvalidValue) else first["msg"].removeprefix("Value error, ")
        raise InvalidValue("{option}: {reason}", option=_option_of(first["loc"]), reason=reason) from None
    return json.loads(policy.model_dump_json())


def _option_of(loc: tuple) -> str:
    """The `policy set` option a faulty field of the document came from: ('major', 'resolve') → --resolve major."""
    if not loc:
        return "policy"
    if loc[0] in TIERS and len(loc) > 1:
        return f"--{loc[1]} {loc[0]}"
    if loc[0] == "wish" and len(loc) > 2:
        return f"--kind wish --{loc[2]} {loc[1]}"
    return {"pause_statuses": "--pause", "chinese_calendar": "--chinese-calendar",
            "follow_up": "--follow-up", "order_sign": "--order-sign"}.get(loc[0], f"--{loc[0]}")


def policy_in_force(store, at: datetime) -> tuple[int, str, str]:
    """(id, document, effective_at) of the policy in force at `at`."""
    from redprop.parsing import to_db

    row = store.conn.execute(
        "SELECT id, terms, effective_at FROM policies WHERE effective_at <= $1 ORDER BY effective_at DESC, id DESC LIMIT 1",
        (to_db(at),),
    ).fetchone()
    if row is None:  # only before 1970, where the shipped default was seeded
        row = store.conn.execute("SELECT id, terms, effective_at FROM policies ORDER BY effective_at, id LIMIT 1").fetchone()
    return row["id"], row["terms"], row["effective_at"]


class TermsCache:
    """Stored policies by id, each read once per command."""

    def __init__(self, store):
        self.store = store
        self._terms: dict[int, Terms] = {}
        self._calendar = None

    @property
    def calendar(self):
        """The database's holiday calendar, read once, and only by a policy counting working hours."""
        if self._calendar is None:
            from redprop.policy.holidays import load_calendar

            self._calendar = load_calendar(self.store.conn)
        return self._calendar

    def get(self, policy_id: int) -> Terms:
        terms = self._terms.get(policy_id)
        if terms is None:
            row = self.store.conn.execute("SELECT terms FROM policies WHERE id = $1", (policy_id,)).fetchone()
            terms = terms_from_json(row["terms"], self.store.tz, lambda: self.calendar)
            self._terms[policy_id] = terms
        return terms

    def in_force(self, at: datetime) -> tuple[int, Terms]:
        policy_id, _, _ = policy_in_force(self.store, at)
        return policy_id, self.get(policy_id)


def _policy_dict(row, tz) -> dict:
    from redprop.parsing import show_local_iso

    return {
        "version": row["id"],
        "effective_at": show_local_iso(row["effective_at"], tz) if row["effective_at"] > "1971" else None,
        "recorded_at": show_local_iso(row["recorded_at"], tz),
        "note": row["note"],
        **effective_document(json.loads(row["terms"])),
    }


def show_policy(store, at: datetime) -> dict:
    """The policy in force at `at`, as a document with its version and since when."""
    policy_id, _, _ = policy_in_force(store, at)
    row = store.conn.execute("SELECT * FROM policies WHERE id = $1", (policy_id,)).fetchone()
    return _policy_dict(row, store.tz)


def policy_history(store) -> list[dict]:
    rows = store.conn.execute("SELECT * FROM policies ORDER BY effective_at, id").fetchall()
    return [_policy_dict(r, store.tz) for r in rows]


class PolicyChanges(NamedTuple):  # not a dataclass: one costs half a millisecond of every start
    """What `policy set` was given; None leaves a setting as it is."""

    promises: dict  # (kind, tier, promise) -> text ('none' removes the promise)
    name: str | None = None
    follow_up: str | None = None
    order_sign: str | None = None
    hours: str | None = None
    chinese_calendar: bool | None = None
    weekend: str | None = None
    holidays: str | None = None
    workdays: str | None = None
    pause_statuses: str | None = None


def parse_kind(text: str | None) -> str:
    """`--kind` of `policy set`: problem (the default) or wish, in any spelling."""
    from redprop.vocab import ISSUE_KINDS

    return ISSUE_KINDS.resolve(text) if text else "problem"


def parse_promise_options(promise: str, specs: list[str], kind: str = "problem") -> dict:
    """`--resolve 30m` (every tier) or `--resolve major=8h` → {(kind, tier, promise): text}."""
    result = {}
    for spec in specs:
        if "=" in spec:
            tier, value = spec.split("=", 1)
            chosen = [TIER_CODES.resolve(tier)] if tier.strip().lower() not in ("all", "全部") else list(TIERS)
        else:
            value, chosen = spec, list(TIERS)
        if not value.strip():  # an empty value is more likely a slip than a wish to drop the promise
            raise InvalidValue("--{promise} {spec!r} is empty; use 'none' to remove the promise", promise=promise, spec=spec)
        for tier in chosen:
            result[(kind, tier, promise)] = value.strip()
    return result


def set_policy(store, changes: PolicyChanges, effective_at: datetime, now: datetime, note: str | None,
               reset: bool = False) -> dict:
    """Append a policy version: the one in force at `effective_at` (or 5341 with `reset`) with the changes."""
    from redprop.parsing import to_db

    settings = ("name", "follow_up", "order_sign", "hours", "chinese_calendar", "weekend", "holidays", "workdays",
                "pause_statuses")
    if not reset and not changes.promises and all(getattr(changes, k) is None for k in settings):
        raise InvalidValue("nothing to change: give --arrive, --resolve, --plan, --follow-up, --hours, --pause … (see --help)")
    for key, option in _TEXT_OPTIONS.items():
        value = getattr(changes, key)
        if value is not None and not value.strip():
            if key == "name":
                raise InvalidValue("--name is empty")
            raise InvalidValue("{option} is empty; use 'none' to remove", option=option)
    _, current, _ = policy_in_force(store, effective_at)
    document = effective_document({} if reset else json.loads(current))
    document["wish"] = kind_promises(document, "wish")
    for tier in TIERS:
        document[tier] = dict(document[tier])
    for (kind, tier, promise), value in changes.promises.items():
        (document["wish"] if kind == "wish" else document)[tier][promise] = value
    if changes.promises and changes.name is None and document.get("name") == DEFAULT_POLICY["name"]:
        document["name"] = "custom"  # no longer 5341
    for key in settings:
        value = getattr(changes, key)
        if value is None:
            continue
        if key in ("holidays", "workdays"):
            value = _dates(value, key, now.date())
        document[key] = value
    checked = validate_policy(document)
    _check_countable(checked, effective_at, store.tz, TermsCache(store).calendar if checked.get("hours") else None)
    with store.write() as conn:
        policy_id = conn.execute(
            "INSERT INTO policies (effective_at, recorded_at, terms, note) VALUES ($1, $2, $3, $4) RETURNING id",
            (to_db(effective_at), to_db(now), json.dumps(checked, ensure_ascii=False), note),
        ).fetchone()[0]
    row = store.conn.execute("SELECT * FROM policies WHERE id = $1", (policy_id,)).fetchone()
    return _policy_dict(row, store.tz)


_TEXT_OPTIONS = {"name": "--name", "follow_up": "--follow-up", "order_sign": "--order-sign", "hours": "--hours", "weekend": "--weekend",
                 "holidays": "--holidays", "workdays": "--workdays", "pause_statuses": "--pause"}


def _check_countable(document: dict, effective_at: datetime, tz: ZoneInfo, calendar=None) -> None:
    """Refuse a policy under which deadlines cannot be counted from when it comes into force:
    working hours whose rest days and holidays leave no working time for years, or a promise
    so long under short working hours that it runs out of calendar (worktime walks 3 years)."""
    terms = terms_from_json(json.dumps(document), tz, calendar)
    if terms.schedule is None:
        return
    from redprop.policy.worktime import add_working_time

    try:
        add_working_time(effective_at, timedelta(minutes=1), terms.schedule)
    except ValueError:
        raise InvalidValue("--holidays/--weekend: no working time at all in the 3 years from {day}; keep some working days",
                           day=effective_at.strftime("%Y-%m-%d")) from None
    promised = sorted(terms.durations.items()) + ([(("problem", "all", "follow_up"), terms.follow_up)]
                                                  if terms.follow_up else [])
    for (_kind, tier, promise), duration in promised:
        try:
            add_working_time(effective_at, duration.span(terms.schedule), terms.schedule)
        except (ValueError, OverflowError):
            option = "follow-up" if promise == "follow_up" else promise
            raise InvalidValue(
                "--{promise} {tier}={duration}: too long to count under working hours {hours}"
                " and these rest days (no deadline within 3 years)",
                promise=option, tier=tier, duration=str(duration), hours=",".join(document["hours"]),
            ) from None


def _dates(text: str, what: str, today: date) -> list[str]:
    from redprop.parsing import parse_date

    if text.strip().lower() in NONE_WORDS:
        return []
    days = []
    for part in re.split(r"[,，、;；\s]+", text.strip()):
        if part:
            try:
                days.append(parse_date(part, today=today, ahead=True).isoformat())
            except InvalidValue as e:
                raise InvalidValue("--{what}: {reason}", what=what, reason=e.message) from None
    return days
