#!/usr/bin/env python3
"""Generate the sample rosters of the estate 美仑盛景 (seed 003).

Deterministic (``random.Random(2020)``), standard library only.  Run from the
repository root::

    python sample_data/make_sample.py

It writes, next to itself:

* ``households.csv``     UTF-8 with BOM, CRLF  (Excel "CSV UTF-8")
* ``households_gbk.csv`` the same rows in GBK, no BOM, CRLF (Excel "CSV" on Chinese Windows)
* ``residents.csv``      UTF-8 with BOM, CRLF: every person of every household
* ``staff.csv``          UTF-8 with BOM, CRLF: 一长三员, property staff, party volunteers
* ``grids.csv``          UTF-8 with BOM, CRLF: the 35 grid points

The estate: 350 households (of 384 dwellings, ~90% occupied) in 14 buildings,
35 grid points of about 10 households each, in 罗平县腊山街道新村社区 (Yunnan,
landline area code 0874).  The 70 shops are not in these rosters.
"""

import csv
import datetime
import io
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(2020)

THIS_YEAR = 2026          # "today" is late 2026: the last move-in dates are 2026-10
FIRST_MOVE_IN = datetime.date(2010, 6, 1)   # handed over in 2010
LAST_MOVE_IN = datetime.date(2026, 10, 31)

# --------------------------------------------------------------------------
# Layout: building number -> (units, floors, doors per floor, grid split)
# grid split = list of (first floor, last floor) per grid inside each unit.
# --------------------------------------------------------------------------
A = (2, 6, 2, [(1, 6)])                  # 2 units x 6 floors x 2 doors, one grid per unit (12)
B = (2, 6, 3, [(1, 3), (4, 6)])          # 2 units x 6 floors x 3 doors, two grids per unit (9+9)
C4 = (0, 6, 4, [(1, 3), (4, 6)])         # no units, 6 floors x 4 doors, two grids (12+12)
C6 = (0, 6, 6, [(1, 2), (3, 4), (5, 6)])  # no units, 6 floors x 6 doors, three grids (12x3)
BUILDINGS = {1: A, 2: A, 3: A, 4: B, 5: A, 6: C4, 7: A, 8: A,
             9: B, 10: A, 11: B, 12: A, 13: C4, 14: C6}
N_HOUSEHOLDS = 350

XIONG = dict(building=8, unit=2, room=301, name="熊秀英", born=1944,
             moved=datetime.date(2010, 9, 16))
N_ALONE = 12              # elderly living alone, 熊秀英 included
N_RENTED = 18
N_EMPTY_NEST = 6

# --------------------------------------------------------------------------
# Names (every character must be encodable in GBK; checked below)
# --------------------------------------------------------------------------
SURNAMES = (
    "李" * 12 + "王" * 10 + "张" * 10 + "杨" * 9 + "刘" * 8 + "陈" * 7 + "赵" * 5 + "黄" * 5
    + "周" * 4 + "吴" * 4 + "徐" * 3 + "孙" * 3 + "马" * 3 + "朱" * 3 + "胡" * 3 + "郭" * 2
    + "何" * 3 + "罗" * 3 + "高" * 2 + "林" * 2 + "段" * 3 + "岑" * 2 + "普" * 2 + "保"
    + "梁宋郑谢韩唐冯董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶余潘杜戴夏钟汪田任姜范方"
    "石姚谭廖邹熊金陆孔白崔康毛邱秦江史顾侯邵孟龙万雷钱汤尹黎易常武乔贺赖龚文资施"
)

GIVEN = {
    # (generation, sex) -> (whole given names, first chars, second chars)
    ("old", "F"): ("秀英 桂英 玉兰 凤英 桂兰 秀兰 淑珍 玉珍 兰英 翠花 素芬 玉芬 秀珍 桂芳 凤兰 "
                   "金凤 玉梅 秀芳 春兰 美英 琼英 会芬 粉仙 树芬 桂珍 菊英 存芬 正芬",
                   "秀桂玉凤淑兰翠素金春美琼菊", "英兰珍芬芳梅花仙凤莲"),
    ("old", "M"): ("建国 国华 德明 志强 文华 振华 德华 国庆 永福 长生 福生 明德 学文 光明 "
                   "建华 家树 正清 树林 志刚 顺昌 开明 有才 自明 成林 发祥 绍先",
                   "德国文振永长福明学光家正树志顺有成绍开", "明华清林强福昌文才祥先"),
    ("mid", "F"): ("丽华 红梅 桂芬 建芳 丽萍 秀梅 海燕 丽娟 彩云 红英 晓梅 爱华 春梅 丽琼 "
                   "云仙 美仙 丽芬 红艳 玉琴 俊芬 丽仙 会仙",
                   "丽红建秀海彩晓爱春云美玉俊会", "华梅芳萍娟云英琼仙芬艳琴燕"),
    ("mid", "M"): ("建军 卫东 志勇 国强 建平 红军 海涛 永刚 学军 云华 兴华 建明 绍军 永祥 "
                   "伟 军 勇 斌 平 刚 明 华 俊 云 涛 波",
                   "建志国红海永学云兴绍光继德", "军东勇强平涛刚明华祥荣兵"),
    ("young", "F"): ("丽 静 燕 敏 婷 娜 艳 芳 霞 琳 倩 雪梅 晓燕 丽娜 艳芳 婷婷 静怡 玲玲 媛 莉",
                     "丽晓雪艳婷静玲美思佳雅春", "娜燕梅芳婷怡玲琳倩霞丹敏"),
    ("young", "M"): ("伟 磊 鹏 杰 涛 强 超 勇 斌 浩 亮 鑫 俊杰 志伟 海波 云飞 建伟 晓东 文杰 永强",
                     "俊志海云建晓文永家宏明旭", "杰伟波飞东强鹏斌亮辉宇龙"),
    ("kid", "F"): ("欣怡 梓涵 诗琪 雨桐 可馨 子萱 思雨 一诺 语嫣 佳怡 雨欣 梦琪 紫涵 心怡 "
                   "若曦 悦 萱 彤 妍",
                   "欣梓诗雨可子思语佳梦紫心若", "怡涵琪桐馨萱雨诺嫣欣彤妍瑶"),
    ("kid", "M"): ("浩然 子轩 宇航 梓豪 俊熙 皓轩 博文 一鸣 天佑 睿 宇 浩 轩 晨阳 子墨 "
                   "奕辰 铭泽 嘉豪 锦程",
                   "浩子宇梓俊皓博一天晨奕铭嘉锦", "然轩航豪熙文鸣佑阳墨辰泽程睿"),
}

used_names = {XIONG["name"]}


def generation(born):
    if born < 1956:
        return "old"
    if born < 1976:
        return "mid"
    if born < 1996:
        return "young"
    return "kid"


def new_name(sex, born, surname=None, avoid_surname=None):
    """A unique, plausible Chinese name for someone of this sex and birth year."""
    whole, firsts, seconds = GIVEN[(generation(born), sex)]
    whole = whole.split()
    while True:
        s = surname
        if s is None:
            s = rng.choice(SURNAMES)
            while s == avoid_surname:
                s = rng.choice(SURNAMES)
        if rng.random() < 0.55:
            g = rng.choice(whole)
        else:
            g = rng.choice(firsts) + rng.choice(seconds)
        name = s + g
        if name not in used_names:
            used_names.add(name)
            return name


# --------------------------------------------------------------------------
# Phones
# --------------------------------------------------------------------------
MOBILE_PREFIXES = ("130 131 132 133 135 136 137 138 139 147 150 151 152 153 155 156 157 158 "
                   "159 166 173 176 177 178 180 181 182 183 185 186 187 188 189 191 195 198 "
                   "199").split()
used_phones = set()


def mobile():
    while True:
        p = rng.choice(MOBILE_PREFIXES) + "".join(rng.choice("0123456789") for _ in range(8))
        if p not in used_phones:
            used_phones.add(p)
            return p


def landline():
    while True:
        p = "0874-8" + "".join(rng.choice("0123456789") for _ in range(6))
        if p not in used_phones:
            used_phones.add(p)
            return p


# --------------------------------------------------------------------------
# Dwellings and grids
# --------------------------------------------------------------------------
def unit_label(b, u):
    return f"{b}栋{u}单元" if u else f"{b}栋"


grids = []        # dicts: code, name, building, unit, floors, doors
dwellings = []    # dicts: building, unit, room, floor, grid
for b, (units, floors, doors, split) in BUILDINGS.items():
    for u in (range(1, units + 1) if units else [0]):
        for lo, hi in split:
            code = f"G{len(grids) + 1:02d}"
            grids.append(dict(code=code, building=b, unit=u,
                              name=f"{unit_label(b, u)}({lo}01-{hi}{doors:02d})"))
            for f in range(lo, hi + 1):
                for d in range(1, doors + 1):
                    dwellings.append(dict(building=b, unit=u, floor=f, room=f * 100 + d,
                                          grid=code))
assert len(grids) == 35, len(grids)


def key(d):
    return (d["building"], d["unit"], d["room"])


# ~10% of the dwellings are vacant (unsold / empty) and are not on the roster;
# every grid keeps at least 8 households.
per_grid = {}
for d in dwellings:
    per_grid[d["grid"]] = per_grid.get(d["grid"], 0) + 1
reserved = (XIONG["building"], XIONG["unit"], XIONG["room"])
vacant = set()
candidates = [d for d in dwellings if key(d) != reserved]
rng.shuffle(candidates)
for d in candidates:
    if len(dwellings) - len(vacant) == N_HOUSEHOLDS:
        break
    if per_grid[d["grid"]] > 8:
        per_grid[d["grid"]] -= 1
        vacant.add(key(d))
homes = [d for d in dwellings if key(d) not in vacant]
assert len(homes) == N_HOUSEHOLDS

# --------------------------------------------------------------------------
# Which homes are special
# --------------------------------------------------------------------------
xiong_home = next(d for d in homes if key(d) == reserved)
others = [d for d in homes if d is not xiong_home]
# elderly people tend to live low down
low = [d for d in others if d["floor"] <= 3]
alone_homes = [xiong_home] + rng.sample(low, N_ALONE - 1)
rest = [d for d in others if d not in alone_homes]
rented_homes = rng.sample(rest, N_RENTED)
rest = [d for d in rest if d not in rented_homes]
empty_nest_homes = rng.sample(rest, N_EMPTY_NEST)
alone_ids = {id(d) for d in alone_homes}
rented_ids = {id(d) for d in rented_homes}
empty_nest_ids = {id(d) for d in empty_nest_homes}


def rand_date(start, end):
    return start + datetime.timedelta(days=rng.randrange((end - start).days + 1))


def move_in_date(kind):
    if kind == "alone":
        return rand_date(FIRST_MOVE_IN, datetime.date(2012, 12, 31))
    if kind == "rented":
        return rand_date(datetime.date(2018, 1, 1), LAST_MOVE_IN)
    r = rng.random()
    if r < 0.55:      # the first owners, right after hand-over
        return rand_date(FIRST_MOVE_IN, datetime.date(2011, 12, 31))
    if r < 0.93:      # resales over the years
        return rand_date(datetime.date(2012, 1, 1), datetime.date(2025, 12, 31))
    return rand_date(datetime.date(2026, 1, 1), LAST_MOVE_IN)   # newly moved in


def other_sex(sex):
    return "F" if sex == "M" else "M"


def person(name, relation, born, phone=""):
    return dict(name=name, relation=relation, born=born, phone=phone)


def adult_phone(born, p):
    return mobile() if THIS_YEAR - born >= 16 and rng.random() < p else ""


def make_family(kind, moved):
    """Return (size, members); members[0] is the head (phone filled in later)."""
    latest_head = moved.year - 20
    if kind == "alone":
        sex = "F" if rng.random() < 0.75 else "M"
        born = rng.randint(1935, 1949)
        return [person(new_name(sex, born), "户主", born)]
    if kind == "empty_nest":
        sex = "M" if rng.random() < 0.7 else "F"
        born = rng.randint(1940, 1956)
        head = person(new_name(sex, born), "户主", born)
        sb = born + rng.randint(-4, 5)
        spouse = person(new_name(other_sex(sex), sb, avoid_surname=head["name"][0]), "配偶", sb,
                        adult_phone(sb, 0.3))
        return [head, spouse]

    if kind == "rented":
        size = rng.choices([1, 2, 3, 4], [30, 25, 30, 15])[0]
    else:
        size = rng.choices([1, 2, 3, 4, 5, 6], [5, 24, 33, 21, 12, 5])[0]
    templates = {
        1: [[]],
        2: [["配偶"], ["配偶"], ["子女"], ["父母"]],
        3: [["配偶", "子女"], ["配偶", "子女"], ["配偶", "子女"], ["配偶", "父母"], ["子女", "子女"]],
        4: [["配偶", "子女", "子女"], ["配偶", "子女", "父母"]],
        5: [["配偶", "子女", "父母", "父母"], ["配偶", "子女", "子女", "父母"],
            ["配偶", "子女", "其他", "孙子女"]],
        6: [["配偶", "子女", "子女", "父母", "父母"], ["配偶", "子女", "其他", "孙子女", "孙子女"]],
    }
    rels = rng.choice(templates[size])
    sex = "M" if rng.random() < 0.72 else "F"
    if "孙子女" in rels:
        born = rng.randint(1946, 1960)
    elif "父母" in rels:
        born = rng.randint(1968, 1994)
    elif "子女" in rels:
        born = rng.randint(1962, 1994)
    else:
        born = rng.randint(1958, 2002)
    born = min(born, latest_head)
    head = person(new_name(sex, born), "户主", born)
    members = [head]
    father_surname = head["name"][0]
    if "配偶" in rels:
        sb = max(1935, min(born + rng.randint(-4, 5), latest_head + 2))
        spouse = person(new_name(other_sex(sex), sb, avoid_surname=head["name"][0]), "配偶", sb,
                        adult_phone(sb, 0.6))
        members.append(spouse)
        if sex == "F":
            father_surname = spouse["name"][0]
    n_parents = rels.count("父母")
    for i in range(n_parents):
        pb = max(1932, born - rng.randint(22, 34))
        if n_parents == 2 and i == 0:          # father carries the head's surname
            members.append(person(new_name("M", pb, surname=head["name"][0]), "父母", pb,
                                   adult_phone(pb, 0.3)))
        else:                                  # mother (or a widowed parent)
            psex = "F" if (n_parents == 2 or rng.random() < 0.75) else "M"
            members.append(person(new_name(psex, pb, surname=head["name"][0] if psex == "M"
                                            else None, avoid_surname=head["name"][0]),
                                  "父母", pb, adult_phone(pb, 0.3)))
    son = None
    for _ in range(rels.count("子女")):
        cb = min(THIS_YEAR - 1, born + rng.randint(22, 36))
        csex = "M" if ("其他" in rels and son is None) else rng.choice("MF")
        child = person(new_name(csex, cb, surname=father_surname), "子女", cb,
                       adult_phone(cb, 0.6))
        members.append(child)
        if son is None and csex == "M":
            son = child
    if "其他" in rels:                          # daughter-in-law
        db = son["born"] + rng.randint(-3, 3)
        members.append(person(new_name("F", db, avoid_surname=son["name"][0]), "其他", db,
                              adult_phone(db, 0.7)))
    for _ in range(rels.count("孙子女")):
        gb = min(THIS_YEAR - 1, son["born"] + rng.randint(23, 32))
        members.append(person(new_name(rng.choice("MF"), gb, surname=son["name"][0]),
                              "孙子女", gb, adult_phone(gb, 0.5)))
    return members


households = []
for d in homes:
    if d is xiong_home:
        kind = "alone"
    elif id(d) in alone_ids:
        kind = "alone"
    elif id(d) in rented_ids:
        kind = "rented"
    elif id(d) in empty_nest_ids:
        kind = "empty_nest"
    else:
        kind = "owner"
    if d is xiong_home:
        moved = XIONG["moved"]
        members = [person(XIONG["name"], "户主", XIONG["born"])]
    else:
        moved = move_in_date(kind)
        members = make_family(kind, moved)
    head = members[0]
    # ~10% landlines, far more likely in old people's homes
    p_land = 0.5 if kind in ("alone", "empty_nest") or head["born"] < 1956 else 0.06
    head["phone"] = landline() if rng.random() < p_land else mobile()
    remark = {"alone": "独居老人", "rented": "出租", "empty_nest": "空巢老人"}.get(kind, "")
    households.append(dict(home=d, moved=moved, members=members, remark=remark))

# --------------------------------------------------------------------------
# Writing cells the way offices do: mixed
# --------------------------------------------------------------------------
def fmt_building(b):
    return rng.choices([f"{b}栋", f"{b}号楼", f"{b}"], [50, 25, 25])[0]


def fmt_unit(u):
    if not u:
        return ""
    return rng.choices([f"{u}单元", f"{u}"], [60, 40])[0]


def fmt_room(r):
    return rng.choices([f"{r}室", f"{r}"], [30, 70])[0]


def fmt_date(dt):
    return rng.choices([f"{dt.year}-{dt.month:02d}-{dt.day:02d}",
                        f"{dt.year}/{dt.month}/{dt.day}",
                        f"{dt.year}年{dt.month}月{dt.day}日"], [50, 30, 20])[0]


HH_HEADER = ["楼栋", "单元", "门牌号", "户主", "电话", "网格", "人口", "入住日期", "备注"]
hh_rows = []
for h in households:
    d = h["home"]
    hh_rows.append([fmt_building(d["building"]), fmt_unit(d["unit"]), fmt_room(d["room"]),
                    h["members"][0]["name"], h["members"][0]["phone"], d["grid"],
                    str(len(h["members"])), fmt_date(h["moved"]), h["remark"]])
# Excel leaves fully blank rows behind: two of them in the middle
blank = [""] * len(HH_HEADER)
hh_rows.insert(236, blank)
hh_rows.insert(117, blank)

RES_HEADER = ["楼栋", "单元", "门牌号", "姓名", "与户主关系", "出生年份", "电话"]
res_rows = []
for h in households:
    d = h["home"]
    for m in h["members"]:
        res_rows.append([fmt_building(d["building"]), fmt_unit(d["unit"]), fmt_room(d["room"]),
                         m["name"], m["relation"], str(m["born"]), m["phone"]])

GRID_HEADER = ["网格", "名称", "楼栋"]
grid_rows = [[g["code"], g["name"], str(g["building"])] for g in grids]

# --------------------------------------------------------------------------
# Staff: 一长三员 + property staff + party-member volunteers
# --------------------------------------------------------------------------
STAFF_HEADER = ["姓名", "角色", "电话", "负责区域"]
staff_rows = []


def staff(role, area, sex=None, born=None):
    sex = sex or rng.choice("MF")
    born = born or rng.randint(1960, 1994)
    staff_rows.append([new_name(sex, born), role, mobile(), area])


for b in BUILDINGS:
    staff("楼栋长", str(b), born=rng.randint(1952, 1980))
codes = [g["code"] for g in grids]
sizes = [4, 3, 4, 3, 4, 3, 4, 3, 4, 3]            # 10 grid workers, 35 grid points
assert sum(sizes) == len(codes)
i = 0
for n in sizes:
    staff("网格员", ",".join(codes[i:i + n]), born=rng.randint(1985, 1998))
    i += n
for area in ("1,2,3,4,5", "6,7,8,9,10", "11,12,13,14"):
    staff("治安调解员", area, sex="M", born=rng.randint(1965, 1985))
for area in ("1,2,3,4", "5,6,7", "8,9,10,11", "12,13,14"):
    staff("清扫保洁员", area, born=rng.randint(1962, 1978))
for _ in range(3):
    staff("物业人员", "")
for area in ("1,2,3", "4,5", "7,8,9", "10,11,12"):
    staff("党员志愿者", area, born=rng.randint(1950, 1975))
assert len({r[0] for r in staff_rows}) == len(staff_rows)


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------
def csv_text(header, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def write(name, text, encoding):
    with open(os.path.join(HERE, name), "w", encoding=encoding, newline="") as f:
        f.write(text)


hh_text = csv_text(HH_HEADER, hh_rows)
for ch in "".join(used_names):
    ch.encode("gbk")                      # every name must survive GBK
outputs = [
    ("households.csv", hh_text, "utf-8-sig", len(hh_rows)),
    ("households_gbk.csv", hh_text, "gbk", len(hh_rows)),
    ("residents.csv", csv_text(RES_HEADER, res_rows), "utf-8-sig", len(res_rows)),
    ("staff.csv", csv_text(STAFF_HEADER, staff_rows), "utf-8-sig", len(staff_rows)),
    ("grids.csv", csv_text(GRID_HEADER, grid_rows), "utf-8-sig", len(grid_rows)),
]
for name, text, enc, _ in outputs:
    write(name, text, enc)

# checks
with open(os.path.join(HERE, "households_gbk.csv"), "rb") as f:
    gbk = f.read()
with open(os.path.join(HERE, "households.csv"), "rb") as f:
    utf = f.read()
assert not gbk.startswith(b"\xef\xbb\xbf") and utf.startswith(b"\xef\xbb\xbf")
assert gbk.decode("gb18030") == utf.decode("utf-8-sig") == hh_text
assert sum(len(h["members"]) for h in households) == len(res_rows)

roles = {}
for r in staff_rows:
    roles[r[1]] = roles.get(r[1], 0) + 1
print("美仑盛景 sample data (seed 2020)")
for name, _, enc, n in outputs:
    print(f"  {name:<20} {enc:<10} {n:>5} data rows")
print(f"  households: {len(households)} (+2 blank rows), {len(BUILDINGS)} buildings, "
      f"{len(grids)} grid points, {len(dwellings)} dwellings ({len(vacant)} vacant)")
print(f"  residents: {len(res_rows)}; landlines: "
      f"{sum(1 for h in households if h['members'][0]['phone'].startswith('0874'))}; "
      + ", ".join(f"{k} {sum(1 for h in households if h['remark'] == k)}"
                  for k in ("独居老人", "空巢老人", "出租")))
print("  staff: " + ", ".join(f"{k} {v}" for k, v in roles.items()))
