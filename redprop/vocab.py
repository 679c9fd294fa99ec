"""Every code list: each code has a slug, a Chinese label and an English label.

Scripts use slugs (`building_leader`); people type whatever they know (`楼栋长`,
`Building leader`, `building-leader`). A `Catalogue` resolves any of the three to the
slug; the presentation layer shows a slug's label in the chosen language. Fixed lists
live here; the lists a community edits (focus groups, issue categories) are tables, loaded
into the same class by `groups` and `issues.categories`.
"""

from functools import cached_property

from redprop.errors import N_, InvalidValue, Message


class Code:
    """A code of a list: its slug, Chinese and English labels and other spellings; never changed
    once made, equal to another with the same parts. A plain class, not a frozen dataclass:
    making one of those costs half a millisecond of every start."""

    __slots__ = ("slug", "zh", "en", "aliases")

    def __init__(self, slug: str, zh: str, en: str, aliases: tuple[str, ...] = ()):
        self.slug, self.zh, self.en, self.aliases = slug, zh, en, aliases

    def _parts(self) -> tuple:
        return (self.slug, self.zh, self.en, self.aliases)

    def __eq__(self, other):
        return self._parts() == other._parts() if other.__class__ is self.__class__ else NotImplemented

    def __hash__(self) -> int:
        return hash(self._parts())

    def __repr__(self) -> str:
        return f"Code(slug={self.slug!r}, zh={self.zh!r}, en={self.en!r}, aliases={self.aliases!r})"

    def __str__(self) -> str:
        return self.slug


class Choices:
    """The codes a person may pick from, for an error message: shown as `slug (label)`."""

    __slots__ = ("codes",)

    def __init__(self, codes: tuple[Code, ...]):
        self.codes = codes

    def __eq__(self, other):
        return self.codes == other.codes if other.__class__ is self.__class__ else NotImplemented

    def __hash__(self) -> int:
        return hash(self.codes)

    def __repr__(self) -> str:
        return f"Choices(codes={self.codes!r})"

    def __str__(self) -> str:
        return ", ".join(f"{c.slug} ({c.en})" for c in self.codes)


def fold(text: str) -> str:
    """A word as spellings are compared: case, spaces and hyphens aside."""
    return text.strip().casefold().replace("-", "_").replace(" ", "_")


CLOSE_ENOUGH = 0.5  # of the characters in common, in order (difflib's ratio): 没在家 ~ 不在家, 王建图 ~ 王建国


def closest(text: str, spellings: dict[str, str]) -> str | None:
    """What a person most likely meant by `text`, among `spellings` (spelling → what it means):
    the spelling sharing the most characters with it, in order, if they share enough. One
    wrong character of three is close (没在家 → 不在家, 王建图 → 王建国); a word people say for
    a code (狗 for 犬只) is close when the catalogue knows it as a hint."""
    import difflib

    folded = fold(text)
    if not folded:
        return None
    found = difflib.get_close_matches(folded, list(spellings), n=1, cutoff=CLOSE_ENOUGH)
    return spellings[found[0]] if found else None


class UnknownWord(InvalidValue):
    """A word of a code list nobody has defined: the error lists the choices and suggests the
    closest; on a terminal the command line offers the choices instead (numbered)."""

    def __init__(self, catalogue: "Catalogue", text: str, nearest: str | None):
        choices = Choices(tuple(catalogue.codes.values()))
        if nearest:
            super().__init__(N_("unknown {what} {text!r}; did you mean {nearest}? choose one of: {choices}"),
                             what=Message(catalogue.name), text=text, nearest=catalogue.codes[nearest], choices=choices)
        else:
            super().__init__(N_("unknown {what} {text!r}; choose one of: {choices}"), what=Message(catalogue.name), text=text,
                             choices=choices)
        self.catalogue, self.text, self.nearest = catalogue, text, nearest


class Catalogue:
    def __init__(self, name: str, codes: list[Code], hints: dict[str, tuple[str, ...]] | None = None):
        """`hints`: slug → words people say for it that are not its names (狗 for 犬只): never
        taken as the code, only suggested when the code is not typed."""
        self.name = name  # what a code of this list is, in English: a msgid (`focus group`)
        self.codes = {code.slug: code for code in codes}
        self.hints = {slug: words for slug, words in (hints or {}).items() if slug in self.codes}

    @cached_property
    def _lookup(self) -> dict[str, str]:
        """Every spelling, folded → its slug: made when a word is first read, not for each of the
        lists at every start (most commands read none)."""
        return {fold(spelling): code.slug for code in self.codes.values()
                for spelling in (code.slug, code.zh, code.en, *code.aliases)}

    def resolve(self, text: str) -> str:
        """The slug for any spelling of a code; an unknown one is a one-line error listing the
        choices and suggesting the closest (UnknownWord)."""
        slug = self._lookup.get(fold(text))
        if slug is None:
            raise UnknownWord(self, text, self.nearest(text))
        return slug

    def nearest(self, text: str) -> str | None:
        """The slug a person most likely meant by an unknown word, if any is close."""
        spellings = dict(self._lookup)
        for slug, words in self.hints.items():
            spellings.update((fold(w), slug) for w in words)
        return closest(text, spellings)

    def get(self, slug: str | None) -> Code | None:
        return self.codes.get(slug) if slug is not None else None

    def slugs(self) -> list[str]:
        return list(self.codes)

    def only(self, slugs) -> "Catalogue":
        """The same list limited to some of its codes (what one option accepts)."""
        return Catalogue(self.name, [c for c in self.codes.values() if c.slug in slugs], self.hints)


# Words people say for the shipped issue categories that are not their names: suggested, never
# taken silently (狗 may be barking, 噪音, or mess, 环境卫生). A community's own categories have none.
CATEGORY_HINTS = {
    "parking": ("停车", "车", "占道", "堵车", "消防通道", "车位", "parking"),
    "dogs": ("狗", "犬", "狗叫", "遛狗", "宠物", "狗屎", "dog", "pet"),
    "repair": ("修", "维修", "坏了", "漏水", "水管", "门禁", "电梯", "repairs"),
    "sanitation": ("垃圾", "卫生", "脏", "清洁", "保洁", "rubbish", "garbage"),
    "security": ("偷", "被盗", "小偷", "监控", "安全", "theft"),
    "dispute": ("纠纷", "吵架", "矛盾", "邻居", "邻里"),
    "noise": ("吵", "扰民", "噪声", "装修"),
    "facilities": ("路灯", "灯", "车棚", "健身器材", "设备"),
    "greening": ("树", "草", "绿地", "花坛", "树木"),
}

# A sensitive focus group (上访, 精神病人, 矫正) where it is masked: the domain returns this code.
SENSITIVE = Code("sensitive", "敏感", "sensitive")

ROLES = Catalogue(N_("role"), [
    Code("building_leader", "楼栋长", "Building leader", ("楼长",)),
    Code("grid_worker", "网格员", "Grid worker"),
    Code("community_worker", "社区工作者", "Community worker", ("社工", "社区干部")),
    Code("mediator", "治安调解员", "Security mediator", ("调解员",)),
    Code("cleaner", "清扫保洁员", "Cleaner", ("保洁员",)),
    Code("property_staff", "物业人员", "Property staff", ("物业",)),
    Code("volunteer", "党员志愿者", "Party-member volunteer", ("志愿者",)),
])

RELATIONS = Catalogue(N_("relation"), [
    Code("head", "户主", "Head of household", ("本人",)),
    Code("spouse", "配偶", "Spouse", ("妻子", "丈夫", "wife", "husband")),
    Code("child", "子女", "Child", ("儿子", "女儿", "son", "daughter")),
    Code("parent", "父母", "Parent", ("父亲", "母亲", "father", "mother")),
    Code("grandchild", "孙子女", "Grandchild", ("孙子", "孙女", "外孙", "外孙女")),
    Code("tenant", "租户", "Tenant", ("租客",)),
    Code("other", "其他", "Other", ("亲属",)),
])

LEAVE_REASONS = Catalogue(N_("reason for leaving"), [
    Code("found_work", "找到工作", "Found work", ("就业", "再就业")),
    Code("recovered", "康复", "Recovered", ("出院", "痊愈")),
    Code("moved_out", "迁出", "Moved out", ("搬走",)),
    Code("died", "去世", "Died", ("死亡", "病故")),
    Code("ended", "期满", "Period ended", ("解除", "结束")),
    Code("other", "其他", "Other"),
])

DUTIES = Catalogue(N_("duty"), [
    Code("visit", "六访", "Visit (六访)"),
    Code("ask", "五问", "Ask after (五问)"),
    Code("care", "关爱", "Care"),
])

VISIT_KINDS = Catalogue(N_("visit kind"), [
    Code("round", "巡查", "Round", ("两巡", "巡")),
    Code("visit", "走访", "Home visit", ("入户", "六访", "访")),
    Code("ask", "问询", "Asking after", ("五问", "问")),
    Code("phone", "电话", "Phone call", ("电话联系", "call")),
])

VISIT_OUTCOMES = Catalogue(N_("outcome"), [
    Code("well", "平安", "Seen and well", ("正常", "良好", "ok", "seen")),
    Code("not_home", "不在家", "Not at home", ("无人", "未见", "敲门未应", "no_answer")),
    Code("needs_help", "需要帮助", "Needs help", ("需帮助", "有需求", "help")),
    Code("refused", "拒绝", "Refused", ("拒访",)),
])

ISSUE_KINDS = Catalogue(N_("kind"), [
    Code("problem", "问题", "Problem", ("问题清单",)),
    Code("wish", "需求", "Wish", ("需求清单", "愿望", "心愿", "demand")),
])

CHANNELS = Catalogue(N_("channel"), [
    Code("window", "一站式窗口", "One-stop window", ("窗口", "一站式", "服务窗口")),
    Code("hotline", "热线/服务点", "Hotline / service point", ("热线", "服务点", "电话", "1890", "phone")),
    Code("wechat", "微信群", "WeChat group", ("微信", "weixin")),
    Code("wish_wall", "许愿墙", "Wish wall", ("心愿墙",)),
    Code("patrol", "巡查", "Patrol", ("巡逻", "巡查发现")),
    Code("visit", "走访", "Home visit", ("入户", "入户走访")),
    Code("other", "其他", "Other"),
])

STATUSES = Catalogue(N_("status"), [
    Code("new", "待派单", "New", ("待处理", "新建", "未处理", "已受理", "pending", "reported")),
    Code("assigned", "已派单", "Assigned", ("处理中", "办理中", "已分派", "in_progress")),
    Code("on_site", "已到场", "On site", ("到场", "现场处理")),
    Code("waiting_resident", "等待居民", "Waiting for the resident"),
    Code("waiting_parts", "等待配件", "Waiting for parts"),
    Code("escalated", "联席会议", "Escalated to a joint meeting", ("提交联席会议", "已上报")),
    Code("reopened", "重新打开", "Reopened", ("重开",)),
    Code("resolved", "已解决", "Resolved", ("已完成", "已处理", "解决", "solved", "done")),
    Code("closed", "已关闭", "Closed", ("已办结", "办结", "结案", "关闭")),
])
UNFINISHED = ("new", "assigned", "on_site", "waiting_resident", "waiting_parts", "escalated", "reopened")
FINISHED = ("resolved", "closed")

STEPS = Catalogue(N_("step"), [
    Code("open", "报告", "Reported"),
    Code("assign", "派单", "Assigned"),
    Code("arrive", "到场", "On site"),
    Code("wait", "等待", "Waiting"),
    Code("resume", "恢复处理", "Resumed"),
    Code("plan", "书面方案", "Written plan"),
    Code("escalate", "联席会议", "Joint meeting"),
    Code("resolve", "解决", "Resolved"),
    Code("close", "关闭", "Closed"),
    Code("reopen", "重新打开", "Reopened"),
    Code("rate", "回访评价", "Follow-up rating"),
    Code("note", "备注", "Note"),
    Code("retier", "调整等级", "Tier changed"),
    Code("void", "作废", "Voided"),
    Code("dispatch", "上级派单", "Order dispatched"),  # a work order from above (12345, the grid centre)
    Code("sign", "签收", "Signed for"),
    Code("return", "退回", "Returned"),
    Code("extend", "延期", "Extended"),
    Code("urge", "督办", "Urged"),
    Code("reply", "反馈", "Replied"),
    Code("verify", "核查", "Verified"),
])

PARTIES = Catalogue(N_("party"), [
    Code("residents_committee", "居委会", "Residents' committee", ("社区居委会", "居民委员会")),
    Code("owners_committee", "业委会", "Owners' committee", ("业主委员会",)),
    Code("property_company", "物业公司", "Property company", ("物业", "红色物业")),
    Code("party_committee", "社区党委", "Community party committee", ("党委", "社区党组织")),
    Code("housing_office", "房管部门", "Housing office", ("房管所", "房管局")),
    Code("police", "派出所", "Police station", ("公安", "警务室")),
    Code("other", "其他", "Other"),
])
DEFAULT_PARTIES = ("residents_committee", "owners_committee", "property_company")

PROMISE_STATES = Catalogue(N_("promise outcome"), [
    Code("kept", "按时", "Kept"),
    Code("missed", "超时完成", "Missed"),
    Code("overdue", "已超时", "Overdue"),
    Code("pending", "未到期", "Pending"),
    Code("paused", "暂停计时", "Paused"),
])

TIERS = ("normal", "major", "complex")
TIER_CODES = Catalogue(N_("tier"), [
    Code("normal", "一般", "Normal", ("普通", "一般问题")),
    Code("major", "重大", "Major", ("重大问题",)),
    Code("complex", "特殊复杂", "Special complex", ("复杂", "特殊", "特殊复杂问题")),
])

PROMISES = ("arrive", "resolve", "plan")
PROMISE_CODES = Catalogue(N_("promise"), [
    Code("arrive", "到场", "On site", ("arrival", "到达")),
    Code("resolve", "解决", "Resolved", ("resolution", "办结")),
    Code("plan", "书面方案", "Written plan", ("方案",)),
    Code("follow_up", "回访", "Follow-up call", ("follow-up", "call", "回访电话")),  # after a resolution
    Code("sign", "签收时限", "Sign for", ("签收",)),  # a work order from above: the policy's sign-for limit
    Code("order", "办结时限", "Order deadline", ("工单时限", "时限")),  # ... and the order's own deadline
])

ORDER_STAGES = Catalogue(N_("order stage"), [  # where a work order from above stands
    Code("dispatched", "待签收", "Dispatched, not signed for"),
    Code("signed", "处置中", "Signed for, being handled"),
    Code("replied", "待核查", "Replied, awaiting verification"),
    Code("rework", "返工", "Rework (verification failed)"),
    Code("closed", "已结案", "Closed (verified)"),
    Code("returned", "已退回", "Returned (not ours)"),
])

HOLIDAY_MARKS = Catalogue(N_("holiday mark"), [  # a day of the State Council's arrangement
    Code("off", "休", "Day off", ("假", "放假", "休息", "holiday", "rest")),
    Code("work", "班", "Make-up working day", ("上班", "补班", "工作日", "workday")),
])
HOLIDAY_SOURCES = Catalogue(N_("holiday source"), [  # where a year's arrangement came from
    Code("package", "软件包", "Package (chinesecalendar)"),
    Code("file", "文件导入", "Imported file"),
    Code("typed", "手工录入", "Typed in"),
    Code("provisional", "暂估（法定节日）", "Provisional (statutory holidays)"),
])
HOLIDAY_NAMES = Catalogue(N_("holiday"), [  # the statutory holidays, as notices and packages name them
    Code("new_year", "元旦", "New Year's Day"),
    Code("spring_festival", "春节", "Spring Festival"),
    Code("qingming", "清明节", "Qingming (Tomb-sweeping Day)", ("清明",)),
    Code("labour_day", "劳动节", "Labour Day", ("五一",)),
    Code("dragon_boat", "端午节", "Dragon Boat Festival", ("端午",)),
    Code("mid_autumn", "中秋节", "Mid-Autumn Festival", ("中秋",)),
    Code("national_day", "国庆节", "National Day", ("国庆",)),
    Code("anti_fascist", "抗战胜利纪念日", "Victory Day (2015)", ("中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",)),
])

WAITING_CODES = Catalogue(N_("waiting status"), [
    Code("waiting_resident", "等待居民", "Waiting for the resident", ("resident", "居民")),
    Code("waiting_parts", "等待配件", "Waiting for parts", ("parts", "配件")),
    Code("escalated", "联席会议", "Escalated to a joint meeting", ("提交联席会议", "meeting", "joint_meeting")),
])

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

LEDGER_KINDS = Catalogue(N_("ledger"), [  # the 台账 an office hands on (`redprop ledger KIND`)
    Code("households", "住户台账", "Household ledger", ("住户", "households_ledger", "roster", "花名册")),
    Code("focus", "重点人群台账", "Focus-group ledger", ("重点人群", "focus_groups", "groups")),
    Code("visits", "走访台账", "Visit ledger", ("走访", "visit")),
    Code("problems", "问题清单", "List of problems", ("问题", "problem")),
    Code("wishes", "需求清单", "List of wishes", ("需求", "wish", "demands")),
    Code("orders", "工单台账", "Work-order ledger", ("工单", "order", "work_orders")),  # the reply sheet of orders from above
])

STATS_GROUPINGS = Catalogue(N_("grouping"), [  # `redprop stats --by`
    Code("kind", "类型", "Kind", ("种类",)),
    Code("tier", "等级", "Tier", ("级别",)),
    Code("category", "类别", "Category", ("分类",)),
    Code("channel", "渠道", "Channel", ("来源",)),
    Code("handler", "处理人", "Handler", ("经办人", "负责人")),
    Code("building", "楼栋", "Building", ("楼",)),
    Code("grid", "网格", "Grid point", ("网格点",)),
    Code("source", "工单来源", "Order source", ("派单来源", "order_source")),  # who dispatched a work order
    Code("community", "社区", "Community", ("小区",)),  # the street's picture: a row per community (reports.street)
])
STREET_GROUPINGS = STATS_GROUPINGS.only(("community",))  # `report …`, `overdue --by`: the street's picture alone
