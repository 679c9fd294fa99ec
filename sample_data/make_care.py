"""Generate the sample focus-group memberships and visit round sheets for 美仑盛景小区.

Reads households.csv, residents.csv and staff.csv beside it and writes memberships.csv and
visits.csv (UTF-8 with BOM, CRLF, as Excel saves them). Deterministic: run it again and
the files come out the same. The demo looks at 2026-11-24 08:00; by then 熊秀英 (8-2-301,
elderly, living alone) was last seen on 11-14 and nobody answered her door three times
since — the seed-002 story the due list exists for.

    python sample_data/make_care.py
"""

import csv
import random
import re
from datetime import date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEMO_NOW = datetime(2026, 11, 24, 8, 0)
rng = random.Random(2024)


def read(name):
    with open(HERE / name, encoding="utf-8-sig", newline="") as f:
        return [row for row in csv.DictReader(f) if any(v.strip() for v in row.values())]


def number(text):
    return re.match(r"\d+", text).group(0) if text else ""


def key_of(row):
    b, u, r = number(row["楼栋"]), number(row["单元"]), number(row["门牌号"])
    return f"{b}-{u}-{r}" if u else f"{b}-{r}"


households = read("households.csv")
residents = read("residents.csv")
staff = read("staff.csv")
by_key = {key_of(h): h for h in households}
people = {}
for r in residents:
    people.setdefault(key_of(r), []).append(r)
covering = {}
for s in staff:
    for area in re.split(r"[,，]", s["负责区域"]):
        if area.strip() and s["角色"] in ("楼栋长", "网格员", "党员志愿者"):
            covering.setdefault(area.strip(), []).append(s["姓名"])


def visitors(key):
    h = by_key[key]
    return covering.get(h["网格"], []) + covering.get(number(h["楼栋"]), []) or ["王芳"]


def moved_in(h):
    m = re.match(r"(\d{4})\D(\d{1,2})\D(\d{1,2})", h["入住日期"])
    return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))


XIONG = "8-2-301"
alone = [k for k, h in by_key.items() if h["备注"] == "独居老人"]
empty_nest = [k for k, h in by_key.items() if h["备注"] == "空巢老人"]
recent = [k for k, h in by_key.items() if moved_in(h) >= date(2026, 8, 27)]
others = sorted(set(by_key) - set(alone) - set(empty_nest) - set(recent))
rng.shuffle(others)
pick = iter(others)

memberships = []  # (key, resident, group, since, until, reason, note)
def joined(k, since):
    return max(date.fromisoformat(since), moved_in(by_key[k])).isoformat()  # not before they moved in


for k in alone:
    memberships.append((k, by_key[k]["户主"], "独居老人", joined(k, "2024-03-01"), "", "", ""))
for k in empty_nest:
    memberships.append((k, "", "空巢老人", joined(k, "2025-01-01"), "", "", ""))
for k in recent:
    memberships.append((k, "", "新迁入家庭", moved_in(by_key[k]).isoformat(), "", "", "入住登记"))
for group, count, since in [("退休人员", 8, "2025-06-01"), ("困难居民", 5, "2025-09-01"), ("残疾人", 3, "2025-03-01"),
                            ("留守儿童", 2, "2026-02-20"), ("重大变故家庭", 1, "2026-09-12"),
                            ("上访群众家庭", 1, "2026-04-02"), ("易肇事肇祸精神病人家庭", 1, "2025-11-05"),
                            ("矫正人员", 1, "2026-06-18"), ("生病住院居民", 2, "2026-11-02")]:
    for _ in range(count):
        k = next(pick)
        memberships.append((k, by_key[k]["户主"], group, joined(k, since), "", "", ""))
for until, reason in [("2026-10-15", "找到工作"), ("", ""), ("", "")]:  # one found work in October
    k = next(pick)
    memberships.append((k, by_key[k]["户主"], "新近失业居民", "2026-07-01", until, reason, ""))
k = next(pick)
memberships.append((k, by_key[k]["户主"], "生病住院居民", "2026-09-20", "2026-10-25", "康复", "已出院"))

visits = []  # (key, at, by, kind, outcome, need, note)
current = {m[0] for m in memberships if not m[4]}
late = set(rng.sample(sorted(current - {XIONG}), 6))  # a few households the rounds missed lately
for k in sorted(current):
    first = max(date(2026, 10, 1), moved_in(by_key[k]))
    day = datetime(first.year, first.month, first.day, 9, 0) + timedelta(days=rng.randint(0, 3))
    stop = DEMO_NOW - timedelta(days=rng.randint(9, 14) if k in late else rng.randint(0, 2))
    while day < stop:
        at = day.replace(hour=rng.choice([9, 10, 15, 16]), minute=rng.choice([0, 10, 20, 30, 40, 50]))
        outcome = rng.choices(["平安", "不在家", "需要帮助"], [85, 11, 4])[0]
        need = rng.choice(["代购药品", "陪同就医", "家电维修", "申请低保"]) if outcome == "需要帮助" else ""
        visits.append((k, at, rng.choice(visitors(k)), rng.choice(["走访", "走访", "巡查", "电话"]), outcome, need, ""))
        day += timedelta(days=rng.randint(3, 5))
visits = [v for v in visits if not (v[0] == XIONG and v[1] >= datetime(2026, 11, 14))]
visits.append((XIONG, datetime(2026, 11, 14, 10, 20), "杜丽娟", "走访", "平安", "", "精神尚好，腿脚不便"))
for day in (17, 19, 21):
    visits.append((XIONG, datetime(2026, 11, day, 9, 40), "杜丽娟", "走访", "不在家", "", "敲门无人应答"))
visits.sort(key=lambda v: v[1])


def write(name, header, rows):
    with open(HERE / name, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(header)
        w.writerows(rows)
    print(f"{name}: {len(rows)} rows")


write("memberships.csv", ["户号", "姓名", "人群", "开始日期", "结束日期", "退出原因", "备注"], memberships)
write("visits.csv", ["户号", "时间", "走访人", "方式", "结果", "需求", "备注"],
      [(k, f"{at:%Y/%-m/%-d %H:%M}", by, kind, outcome, need, note) for k, at, by, kind, outcome, need, note in visits])
