#!/usr/bin/env python3
"""Generate ``issues.csv``: six weeks of residents' issues at 美仑盛景 before the demo moment.

Deterministic (``random.Random(5341)``), standard library only. Run from the repository root::

    python sample_data/make_issues.py

The file is what an office's Excel export of its 问题清单/需求清单 looks like (UTF-8 with
BOM, CRLF, Chinese headers, times as Excel's Chinese default ``2026/11/20 9:30``), in the
columns ``redprop issue import`` reads. The demo moment is 2026-11-24 08:00 (Tuesday):

* about 330 issues reported from 2026-10-13 on; everything older than the last two days is
  resolved (most closed, most rated 4-5), a fair share of them late against 5341;
* a short list still open at the demo moment, chosen so that ``redprop overdue --at
  "2026-11-24 08:00"`` is real and readable: about fifteen past a promise (unassigned,
  waiting for parts, a complex wish without its written plan, a burst pipe still not
  fixed…) and four due within the hour;
* some hotline (12345) work orders carry their own due time (期限), three days out.
"""

import csv
import datetime as dt
import io
import os
import random
import re

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(5341)
DEMO = dt.datetime(2026, 11, 24, 8, 0)
START = dt.datetime(2026, 10, 13, 0, 0)
OPEN_AFTER = dt.datetime(2026, 11, 22, 12, 0)  # the generated history is resolved before this

HEADER = ["编号", "报告时间", "类型", "类别", "渠道", "户号", "地点", "楼栋", "标题", "描述", "反映人",
          "等级", "处理人", "期限", "到场时间", "方案时间", "解决时间", "状态", "评分"]

# category -> ([(title, description)], public places or None for in-home, tier weights normal/major/complex)
PROBLEMS = {
    "乱停车": ([("乱停车堵住消防通道", "小车停在消防通道上，救护车进不来"),
             ("车辆占用单元门口", "单元门口停了一辆车，老人出入不便"),
             ("外来车辆乱停放", "有外来车辆长期停在绿化带边"),
             ("非机动车乱停乱放", "电动车、自行车堆在路口，走不过去")],
            ["{b}栋门口", "{b}栋消防通道", "小区东门", "小区北门停车场"], (8, 2, 0)),
    "犬只": ([("犬只吠叫扰民", "楼上的狗从早叫到晚，老人睡不好"),
            ("遛狗不牵绳", "有人在广场遛狗不拴绳，吓到小孩"),
            ("楼道有犬只粪便", "楼道里有狗粪便没人清理")],
           None, (9, 1, 0)),
    "报修": ([("水管漏水", "厨房水管接头漏水，楼下天花板渗水"),
            ("楼道灯坏了", "楼道声控灯不亮，晚上看不清台阶"),
            ("下水道堵塞", "卫生间下水道返水"),
            ("单元门禁坏了", "门禁刷卡没反应"),
            ("屋顶漏雨", "下雨后顶楼卧室漏水"),
            ("单元门锁坏了", "单元门关不上，锁舌坏了")],
           None, (6, 4, 0)),
    "环境卫生": ([("垃圾清运不及时", "垃圾站两天没有清运，气味很大"),
              ("楼道堆放杂物", "楼道里堆了旧家具，影响通行"),
              ("垃圾桶满溢", "垃圾桶满了没人收"),
              ("绿化带有垃圾", "绿化带里有人乱扔垃圾")],
             ["{b}栋垃圾站", "{b}栋楼道", "小区中心花园"], (9, 1, 0)),
    "治安": ([("监控摄像头坏了", "东门监控画面一直黑屏"),
            ("电动车被盗", "昨晚停在车棚的电动车被偷了"),
            ("陌生人进入楼栋", "有陌生人挨家敲门推销"),
            ("电动车在楼道充电", "有人把电动车推进楼道充电，存在火灾隐患")],
           ["小区东门", "{b}栋车棚", "{b}栋楼道"], (6, 4, 0)),
    "邻里纠纷": ([("楼上漏水引发纠纷", "楼上漏水淹了楼下，两家协商不成"),
              ("占用公共空间纠纷", "邻居在楼道放鞋柜，双方争执"),
              ("噪音引发邻里矛盾", "楼上小孩跑跳，楼下老人投诉多次")],
             None, (6, 3, 1)),
    "噪音": ([("夜间装修噪音", "晚上十点后还在装修电钻声"),
            ("广场舞音响太大", "广场舞音响太吵，影响休息"),
            ("夜间施工噪音", "夜里有施工车辆进出")],
           ["小区中心广场", "{b}栋"], (9, 1, 0)),
    "设施": ([("路灯不亮", "{b}栋前面的路灯坏了一个星期"),
            ("路面坑洼", "车道上有个大坑，下雨积水"),
            ("健身器材损坏", "健身器材螺丝松了有危险"),
            ("单元楼梯扶手松动", "楼梯扶手晃动，老人上下楼不安全")],
           ["{b}栋前道路", "小区中心广场", "健身广场"], (7, 3, 0)),
    "绿化": ([("树枝遮挡窗户", "树枝长到三楼窗口，挡光还招虫"),
            ("绿化带缺苗", "绿化带里的树苗死了一片"),
            ("草坪被踩踏", "草坪被踩出一条路"),
            ("种树引发纠纷", "有住户想在楼前种果树，邻居反对")],
           ["{b}栋前绿化带", "小区中心花园"], (7, 1, 2)),
}
WISHES = [
    ("设施", "希望增设自行车棚", "电动车和自行车没有地方停，希望在{b}栋旁边建车棚"),
    ("设施", "希望增加休闲座椅", "老人散步走累了没地方坐，希望在花园加几张长椅"),
    ("其他", "希望开设老年食堂", "独居老人做饭不方便，希望社区开老年食堂"),
    ("设施", "希望安装电动车充电桩", "楼道充电不安全，希望在车棚装充电桩"),
    ("设施", "希望增加儿童游乐设施", "小区里没有小孩玩的地方"),
    ("绿化", "希望多种些树", "中心花园太晒，希望多种几棵树"),
]
CHANNELS = ["一站式窗口", "热线", "微信群", "巡查", "走访"]
CHANNEL_WEIGHTS = [3, 3, 4, 2, 1]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = ["大妈", "大爷", "阿姨", "师傅", "女士", "先生", "奶奶", "爷爷"]


def read_csv(name):
    with open(os.path.join(HERE, name), encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def digits(text):
    m = re.match(r"\D*(\d+)", text or "")
    return m.group(1) if m else ""


def load():
    households = []
    for row in read_csv("households.csv"):
        building, unit, room = digits(row["楼栋"]), digits(row["单元"]), digits(row["门牌号"])
        if not building or not room:
            continue  # the roster's blank rows
        key = f"{building}-{unit}-{room}" if unit else f"{building}-{room}"
        households.append((key, building, row["网格"], row["户主"]))
    staff = {}
    for row in read_csv("staff.csv"):
        staff.setdefault(row["角色"], []).append((row["姓名"], set(filter(None, re.split(r"[,，]", row["负责区域"])))))
    return households, staff


def handler_for(category, building, grid, staff):
    """Who takes it: property staff repair, cleaners clean, mediators mediate, the grid worker the rest."""
    def covering(role):
        return [name for name, areas in staff[role] if building in areas or grid in areas]

    if category in ("报修", "设施"):
        return rng.choice([n for n, _ in staff["物业人员"]])
    if category == "环境卫生":
        return (covering("清扫保洁员") or [n for n, _ in staff["清扫保洁员"]])[0]
    if category in ("邻里纠纷", "治安"):
        return (covering("治安调解员") or [n for n, _ in staff["治安调解员"]])[0]
    people = covering("网格员") or covering("楼栋长") or [n for n, _ in staff["网格员"]]
    return people[0]


def fmt(moment):
    return f"{moment.year}/{moment.month}/{moment.day} {moment.hour}:{moment.minute:02d}" if moment else ""


def minutes(m):
    return dt.timedelta(minutes=m)


def report_time():
    day = START + dt.timedelta(days=rng.randrange((OPEN_AFTER - START).days))
    hour = rng.choices(range(6, 23), weights=[1, 3, 5, 6, 6, 5, 3, 3, 5, 5, 5, 4, 4, 5, 4, 3, 2])[0]
    return day.replace(hour=hour, minute=rng.randrange(60))


def history_row(number, households, staff):
    """An issue long since dealt with: arrival, resolution, usually closed and rated."""
    if rng.random() < 0.12:
        category, title, description = rng.choice(WISHES)
        kind, tier = "需求", rng.choice(["一般", "特殊复杂", "特殊复杂"])
        channel = rng.choice(["许愿墙", "许愿墙", "微信群", "走访"])
    else:
        category = rng.choice(list(PROBLEMS))
        pairs, places, weights = PROBLEMS[category]
        title, description = rng.choice(pairs)
        kind, tier = "问题", rng.choices(["一般", "重大", "特殊复杂"], weights=weights)[0]
        channel = rng.choices(CHANNELS, weights=CHANNEL_WEIGHTS)[0]
    key, building, grid, head = rng.choice(households)
    places = PROBLEMS[category][1] if kind == "问题" else None
    public = places and rng.random() < 0.6
    place = rng.choice(places).format(b=building) if public else ""
    reported = report_time()
    arrive_after = rng.choices([rng.randint(2, 5), rng.randint(6, 20), rng.randint(20, 90)], weights=[70, 22, 8])[0]
    arrived = reported + minutes(arrive_after)
    planned = None
    if tier == "一般":
        quick = rng.randint(arrive_after + 5, 30) if arrive_after <= 25 else arrive_after + 10
        resolve_after = max(rng.choices([quick, rng.randint(31, 180)], weights=[72, 28])[0], arrive_after + 5)
    elif tier == "重大":
        resolve_after = rng.choices([rng.randint(60, 240), rng.randint(241, 1440)], weights=[70, 30])[0]
    else:
        planned = reported + minutes(rng.choices([rng.randint(240, 1440), rng.randint(1441, 4320)], weights=[75, 25])[0])
        resolve_after = rng.randint(2, 14) * 1440 + rng.randint(0, 600)
    resolved = reported + minutes(resolve_after)
    if planned and planned >= resolved:
        planned = resolved - minutes(60)
    if resolved >= OPEN_AFTER:
        resolved = OPEN_AFTER - minutes(rng.randint(10, 600))
        planned = planned and min(planned, resolved - minutes(30))
        arrived = min(arrived, resolved - minutes(5))
    handler = handler_for(category, building, grid, staff)
    due = ""
    if channel == "热线" and rng.random() < 0.35:  # a 12345 hotline work order with its own due time
        due = fmt(reported + dt.timedelta(days=3))
    status = rng.choices(["已办结", "已解决"], weights=[85, 15])[0]
    late = resolved - reported > minutes({"一般": 30, "重大": 240}.get(tier, 10**6))
    rating = rng.choices(["5", "4", "3", "2", ""], weights=[50, 22, 8, 2, 18] if not late else [20, 25, 20, 8, 27])[0]
    return [
        f"GD{number:05d}", fmt(reported), kind, category, channel,
        "" if public else key, place, building if public else "", title, description.format(b=building),
        "" if public and rng.random() < 0.5 else f"{head[0]}{rng.choice(GIVEN)}" if public else head,
        tier, handler, due, fmt(arrived), fmt(planned), fmt(resolved), status, rating,
    ]


def open_rows(households, staff):
    """Still open at the demo moment: the overdue list, by hand, so it tells a story."""
    by_key = {h[0]: h for h in households}

    def where(key):
        return by_key.get(key) or rng.choice(households)

    T = dt.datetime
    cases = [
        # (reported, kind, category, channel, key or None, place, title, description, tier, handler, due,
        #  arrived, planned, status)
        (T(2026, 11, 23, 21, 10), "问题", "犬只", "微信群", "5-1-402", "", "犬只吠叫扰民",
         "楼下的狗半夜一直叫，已经两个晚上了", "一般", "", "", None, None, "待处理"),
        (T(2026, 11, 23, 19, 40), "问题", "乱停车", "热线", None, "小区东门", "乱停车堵住消防通道",
         "东门消防通道停了三辆车", "一般", "", "", None, None, "待处理"),
        (T(2026, 11, 22, 18, 5), "问题", "设施", "巡查", None, "{b}栋前道路", "路灯不亮",
         "巡查发现7栋前两盏路灯不亮", "一般", "陈旭飞", "", None, None, "已派单"),
        (T(2026, 11, 23, 10, 0), "问题", "报修", "热线", "8-2-301", "", "水管漏水",
         "厨房主水管爆裂，楼下也在漏", "重大", "郭涛", "", T(2026, 11, 23, 10, 4), None, "已到场"),
        (T(2026, 11, 20, 9, 15), "问题", "报修", "一站式窗口", "11-1-502", "", "单元门禁坏了",
         "门禁刷卡没反应，外人随便进出", "一般", "邓俊芬", "", T(2026, 11, 20, 9, 19), None, "等待配件"),
        (T(2026, 11, 19, 16, 30), "需求", "设施", "许愿墙", None, "{b}栋车棚", "希望增设自行车棚",
         "电动车没地方停，希望建车棚并装充电桩", "特殊复杂", "刘磊", "", T(2026, 11, 19, 16, 34), None, "已到场"),
        (T(2026, 11, 16, 10, 20), "问题", "绿化", "走访", None, "{b}栋前绿化带", "种树引发纠纷",
         "住户在楼前种果树，邻居认为挡光，双方争执", "特殊复杂", "姜红华", "", T(2026, 11, 16, 10, 24),
         T(2026, 11, 16, 16, 0), "联席会议"),
        (T(2026, 11, 23, 15, 20), "问题", "邻里纠纷", "一站式窗口", "9-2-601", "", "楼上漏水引发纠纷",
         "楼上漏水淹了楼下，两家协商不成", "重大", "顾海龙", "", T(2026, 11, 23, 15, 24), None, "已到场"),
        (T(2026, 11, 23, 20, 45), "问题", "噪音", "微信群", "2-1-302", "", "夜间装修噪音",
         "晚上九点后还在用电钻", "一般", "黎语嫣", "", T(2026, 11, 23, 20, 58), None, "已到场"),
        (T(2026, 11, 23, 7, 30), "问题", "环境卫生", "巡查", None, "{b}栋垃圾站", "垃圾清运不及时",
         "垃圾站两天没有清运，气味很大", "一般", "许绍强", "", T(2026, 11, 23, 7, 33), None, "已到场"),
        (T(2026, 11, 22, 14, 0), "问题", "治安", "热线", None, "小区东门", "监控摄像头坏了",
         "东门监控画面黑屏", "重大", "陈旭飞", "", T(2026, 11, 22, 14, 10), None, "等待配件"),
        (T(2026, 11, 23, 17, 50), "问题", "乱停车", "巡查", None, "{b}栋门口", "车辆占用单元门口",
         "单元门口停车，轮椅出不去", "一般", "刘云华", "", None, None, "已派单"),
        (T(2026, 11, 21, 9, 0), "问题", "报修", "热线", "6-2-101", "", "下水道堵塞",
         "卫生间下水道返水，家里有老人", "一般", "郭涛", T(2026, 11, 24, 9, 0), T(2026, 11, 21, 9, 30), None,
         "已到场"),
        (T(2026, 11, 22, 11, 30), "问题", "犬只", "走访", "12-1-201", "", "楼道有犬只粪便",
         "楼道里天天有狗粪便", "一般", "张婷芳", "", T(2026, 11, 22, 11, 36), None, "已到场"),
        # due within the hour at 08:00
        (T(2026, 11, 24, 7, 40), "问题", "报修", "热线", "3-1-201", "", "楼道灯坏了",
         "楼道声控灯不亮，老人摔了一跤", "一般", "邓俊芬", "", T(2026, 11, 24, 7, 43), None, "已到场"),
        (T(2026, 11, 24, 4, 50), "问题", "报修", "热线", "10-1-602", "", "屋顶漏水",
         "夜里下雨，顶楼卧室漏水", "重大", "郭涛", "", T(2026, 11, 24, 4, 54), None, "已到场"),
        (T(2026, 11, 23, 8, 30), "问题", "邻里纠纷", "一站式窗口", "4-2-502", "", "占用公共空间纠纷",
         "邻居在楼道放鞋柜和杂物，多次协商未果", "特殊复杂", "姜红华", "", T(2026, 11, 23, 8, 33), None,
         "已到场"),
        (T(2026, 11, 24, 7, 57), "问题", "乱停车", "微信群", None, "{b}栋消防通道", "乱停车堵住消防通道",
         "消防通道又被占了", "一般", "", "", None, None, "待处理"),
        # hotline work orders with their own due time, not yet due
        (T(2026, 11, 22, 16, 0), "问题", "设施", "热线", None, "健身广场", "健身器材损坏",
         "12345转办：健身器材螺丝松动", "一般", "陈旭飞", T(2026, 11, 25, 16, 0), T(2026, 11, 22, 17, 0), None,
         "已到场"),
        (T(2026, 11, 23, 9, 40), "问题", "绿化", "热线", None, "{b}栋前绿化带", "树枝遮挡窗户",
         "12345转办：树枝长到窗口", "一般", "苏云华", T(2026, 11, 26, 9, 40), None, None, "已派单"),
    ]
    rows = []
    for number, c in enumerate(cases, start=1):
        (reported, kind, category, channel, key, place, title, description, tier, handler, due,
         arrived, planned, status) = c
        household = where(key) if key else rng.choice(households)
        building = household[1]
        rows.append([
            f"GD9{number:04d}", fmt(reported), kind, category, channel, household[0] if key else "",
            place.format(b=building), building if not key else "", title, description,
            household[3] if key else "", tier, handler, fmt(due) if due else "", fmt(arrived), fmt(planned), "",
            status, "",
        ])
    return rows


def main():
    households, staff = load()
    history = [history_row(n, households, staff) for n in range(1, 316)]
    history.sort(key=lambda r: dt.datetime.strptime(r[1], "%Y/%m/%d %H:%M"))
    rows = history + open_rows(households, staff)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    with open(os.path.join(HERE, "issues.csv"), "w", encoding="utf-8-sig", newline="") as f:
        f.write(out.getvalue())
    print(f"issues.csv: {len(rows)} issues")


if __name__ == "__main__":
    main()
